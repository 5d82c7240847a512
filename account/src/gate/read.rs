//! Reading what the gate's verdicts depend on: the objects of every bucket a plan destroys,
//! the recovery points of every destroyed data store whose own settings leave its fate to
//! them ([`settled`]), and the recovery points in every vault it destroys. At most one
//! listing per store and per vault, one to ten pages of objects per bucket; when a vault or
//! a key is destroyed, the account's vaults; when a key is, its encrypted file systems and
//! databases. Nothing else (key secrets are judged from the plan alone).

use super::{DATA_STORES, Facts, Settled, VaultFact, resource_of, settled};
use crate::Clients;
use crate::failure::Failure;
use futures_util::stream::{self, StreamExt};
use phoenix_shared::time::Timestamp;
use phoenix_terraform::plan::{Change, Plan};

/// Reads in flight at once.
pub const CONCURRENCY: usize = 8;

/// The facts for `plan`'s destroys, judged at `now` with recovery points up to
/// `max_age_seconds` old. A failed read is kept as its reason (the verdict is unknown).
pub async fn facts(clients: &Clients, plan: &Plan, now: Timestamp, max_age_seconds: i64) -> Facts {
    let mut facts = Facts::new(now, max_age_seconds);
    let targets: Vec<(&Change, String)> = plan
        .changes
        .iter()
        .filter(|c| c.action.destroys() && DATA_STORES.contains(&c.resource_type.as_str()))
        .filter_map(|c| Some((c, resource_of(c)?)))
        .collect();
    // A bucket's objects are counted first; recovery points are listed only for a store its
    // own settings leave to them (`settled`).
    let read: Vec<_> = stream::iter(targets)
        .map(|(change, resource)| async move {
            let objects = if change.resource_type == "aws_s3_bucket" {
                Some(
                    crate::audit::predestroy::contents(clients, &resource)
                        .await
                        .map(|(count, _, _)| count),
                )
            } else {
                None
            };
            let points = match settled(change, &resource, objects.as_ref(), plan) {
                Settled::Verdict(_) => None,
                Settled::ByPoints { arn, .. } => {
                    let (points, copies) = tokio::join!(
                        crate::recovery::completed_points(clients.backup(), &arn),
                        completed_copies(clients.backup(), &arn),
                    );
                    Some((arn, points.map_err(|failure| failure.to_string()), copies))
                }
            };
            (resource, points, objects)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    for (resource, points, objects) in read {
        if let Some((arn, points, copies)) = points {
            facts.copies.insert(arn.clone(), copies);
            facts.points.insert(arn, points);
        }
        if let Some(objects) = objects {
            facts.objects.insert(resource, objects);
        }
    }
    let vaults: Vec<String> = super::destroyed_vaults(plan).into_iter().collect();
    let listed: Vec<_> = stream::iter(vaults)
        .map(|vault| async move {
            let resources = resources_in_vault(clients.backup(), &vault)
                .await
                .map_err(|failure| failure.to_string());
            (vault, resources)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let keys = plan
        .changes
        .iter()
        .any(|c| c.action.destroys() && c.resource_type == "aws_kms_key");
    if !listed.is_empty() || keys {
        facts.vaults = Some(
            list_vaults(clients.backup())
                .await
                .map_err(|failure| failure.to_string()),
        );
    }
    if keys {
        facts.encrypted = Some(
            encrypted_stores(clients)
                .await
                .map_err(|failure| failure.to_string()),
        );
    }
    facts.vault_points.extend(listed);
    facts
}

/// A resource's completed copies of the last 30 days (`ListCopyJobs` by resource): each
/// destination vault and when the copy completed.
async fn completed_copies(
    backup: &aws_sdk_backup::Client,
    arn: &str,
) -> Result<Vec<(String, Timestamp)>, String> {
    let mut out = Vec::new();
    let mut pages = backup
        .list_copy_jobs()
        .by_resource_arn(arn)
        .by_state(aws_sdk_backup::types::CopyJobState::Completed)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| format!("ListCopyJobs: {}", phoenix_shared::aws::reason(&e)))?;
        for job in page.copy_jobs() {
            if let (Some(vault), Some(done)) = (
                job.destination_backup_vault_arn(),
                job.completion_date()
                    .map(|d| Timestamp::from_epoch_seconds(d.secs())),
            ) {
                out.push((vault.to_owned(), done));
            }
        }
    }
    Ok(out)
}

/// The account's backup vaults: key, recovery points, and the date a compliance-mode lock
/// became (or becomes) immutable (`ListBackupVaults`).
async fn list_vaults(backup: &aws_sdk_backup::Client) -> Result<Vec<VaultFact>, Failure> {
    let mut vaults = Vec::new();
    let mut pages = backup.list_backup_vaults().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| Failure::of("ListBackupVaults", &err))?;
        for vault in page.backup_vault_list() {
            let Some(name) = vault.backup_vault_name() else {
                continue;
            };
            vaults.push(VaultFact {
                name: name.to_owned(),
                key: vault.encryption_key_arn().map(str::to_owned),
                points: vault.number_of_recovery_points(),
                locked_since: (vault.locked() == Some(true))
                    .then(|| vault.lock_date())
                    .flatten()
                    .map(|d| Timestamp::from_epoch_seconds(d.secs())),
            });
        }
    }
    Ok(vaults)
}

/// The account's encrypted file systems, RDS instances and clusters, with their KMS keys
/// (`DescribeFileSystems`, `DescribeDBInstances`, `DescribeDBClusters`).
async fn encrypted_stores(clients: &Clients) -> Result<Vec<(String, String)>, Failure> {
    let mut stores = Vec::new();
    let mut pages = clients
        .efs()
        .describe_file_systems()
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| Failure::of("DescribeFileSystems", &err))?;
        for fs in page.file_systems() {
            if let (Some(arn), Some(key)) = (fs.file_system_arn(), fs.kms_key_id()) {
                stores.push((arn.to_owned(), key.to_owned()));
            }
        }
    }
    let mut pages = clients
        .rds()
        .describe_db_instances()
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| Failure::of("DescribeDBInstances", &err))?;
        for db in page.db_instances() {
            if let (Some(arn), Some(key)) = (db.db_instance_arn(), db.kms_key_id()) {
                stores.push((arn.to_owned(), key.to_owned()));
            }
        }
    }
    let mut pages = clients.rds().describe_db_clusters().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| Failure::of("DescribeDBClusters", &err))?;
        for cluster in page.db_clusters() {
            if let (Some(arn), Some(key)) = (cluster.db_cluster_arn(), cluster.kms_key_id()) {
                stores.push((arn.to_owned(), key.to_owned()));
            }
        }
    }
    Ok(stores)
}

/// The resource of every recovery point in a vault (kept here, not in `recovery`: only the
/// gate lists a vault, and a function that reads recovery points by resource is not granted
/// this listing) (`ListRecoveryPointsByBackupVault`),
/// one entry per point, every page.
pub async fn resources_in_vault(
    backup: &aws_sdk_backup::Client,
    vault: &str,
) -> Result<Vec<String>, Failure> {
    let mut resources = Vec::new();
    let mut pages = backup
        .list_recovery_points_by_backup_vault()
        .backup_vault_name(vault)
        .max_results(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| Failure::of("ListRecoveryPointsByBackupVault", &err))?;
        resources.extend(
            page.recovery_points()
                .iter()
                .map(|p| p.resource_arn().unwrap_or("(unnamed resource)").to_owned()),
        );
    }
    Ok(resources)
}
