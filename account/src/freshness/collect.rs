//! Reading the account: inventory, plans and selections, region settings, protected
//! resources, and (only where the bulk reads leave a doubt) per-resource history.
//!
//! Calls per run: a few paginated listings, two calls per plan plus one per selection,
//! one `ListTagsOfResource` per DynamoDB table, one `DescribeBackupPolicy` per EFS file
//! system in no plan, and two calls for each covered resource whose `LastBackupTime` is
//! missing or older than its RPO. Per-resource calls run [`CONCURRENCY`] at a time; the
//! SDK's adaptive retries pace them when AWS throttles.

use crate::copies::CopyJob;
use crate::coverage::{Condition, Coverage, Operator, Resource, Selection};
use crate::freshness::assess::{History, Item, Job, Plan, Protection, Rule, Snapshot};
use aws_sdk_backup::error::ProvideErrorMetadata;
use aws_sdk_backup::primitives::DateTime;
use futures_util::stream::{self, StreamExt};
use phoenix_shared::aws::reason;
use phoenix_shared::config::CopyRequirement;
use phoenix_shared::event::arn_part;
use phoenix_shared::event::tag_map;
use phoenix_shared::time::Timestamp;
use std::collections::BTreeMap;

/// Per-resource calls in flight at once.
pub const CONCURRENCY: usize = 8;

/// The clients a run reads through ([`crate::Clients`]: each built on first use).
pub use crate::clients::Clients;

/// An SDK time as a [`Timestamp`] (whole seconds).
pub fn ts(value: Option<&DateTime>) -> Option<Timestamp> {
    value.map(|d| Timestamp::from_epoch_seconds(d.secs()))
}

fn wanted(types: &[String], name: &str) -> bool {
    types.iter().any(|t| t.eq_ignore_ascii_case(name))
}

/// AWS Backup's resource type for an RDS-family cluster engine.
fn cluster_type(engine: &str) -> &'static str {
    if engine.starts_with("aurora") {
        "Aurora"
    } else if engine.starts_with("docdb") {
        "DocumentDB"
    } else if engine.starts_with("neptune") {
        "Neptune"
    } else {
        // Multi-AZ DB clusters of MySQL and PostgreSQL are backed up as RDS.
        "RDS"
    }
}

type Listing = Result<Vec<Item>, String>;

async fn list_efs(client: &aws_sdk_efs::Client) -> Listing {
    let mut items = Vec::new();
    let mut pages = client.describe_file_systems().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| reason(&e))?;
        for fs in page.file_systems() {
            let Some(arn) = fs.file_system_arn() else {
                continue;
            };
            items.push(Item {
                resource: Resource {
                    arn: arn.to_owned(),
                    resource_type: "EFS".to_owned(),
                    tags: fs
                        .tags()
                        .iter()
                        .map(|t| (t.key().to_owned(), t.value().to_owned()))
                        .collect(),
                },
                id: fs.file_system_id().to_owned(),
                created: Some(Timestamp::from_epoch_seconds(fs.creation_time().secs())),
            });
        }
    }
    Ok(items)
}

async fn list_rds_instances(client: &aws_sdk_rds::Client) -> Listing {
    let mut items = Vec::new();
    let mut pages = client.describe_db_instances().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| reason(&e))?;
        for db in page.db_instances() {
            // Cluster members are backed up through their cluster.
            if db.db_cluster_identifier().is_some() {
                continue;
            }
            let (Some(arn), Some(id)) = (db.db_instance_arn(), db.db_instance_identifier()) else {
                continue;
            };
            items.push(Item {
                resource: Resource {
                    arn: arn.to_owned(),
                    resource_type: "RDS".to_owned(),
                    tags: tag_map(db.tag_list().iter().map(|t| (t.key(), t.value()))),
                },
                id: id.to_owned(),
                created: ts(db.instance_create_time()),
            });
        }
    }
    Ok(items)
}

async fn list_rds_clusters(client: &aws_sdk_rds::Client) -> Listing {
    let mut items = Vec::new();
    let mut pages = client.describe_db_clusters().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| reason(&e))?;
        for cluster in page.db_clusters() {
            let (Some(arn), Some(id)) = (cluster.db_cluster_arn(), cluster.db_cluster_identifier())
            else {
                continue;
            };
            items.push(Item {
                resource: Resource {
                    arn: arn.to_owned(),
                    resource_type: cluster_type(cluster.engine().unwrap_or_default()).to_owned(),
                    tags: tag_map(cluster.tag_list().iter().map(|t| (t.key(), t.value()))),
                },
                id: id.to_owned(),
                created: ts(cluster.cluster_create_time()),
            });
        }
    }
    Ok(items)
}

async fn list_table_names(client: &aws_sdk_dynamodb::Client) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let mut pages = client.list_tables().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| reason(&e))?;
        names.extend(page.table_names().iter().cloned());
    }
    Ok(names)
}

/// A DynamoDB table as an inventory item: tags from `ListTagsOfResource` (the ARN is
/// built from the account and region), or `DescribeTable` first when the account is
/// not known yet.
async fn table_item(
    client: &aws_sdk_dynamodb::Client,
    name: String,
    account: Option<String>,
    region: &str,
) -> Result<Item, String> {
    let (arn, created) = match account {
        Some(account) => (
            phoenix_shared::arn::build("dynamodb", region, &account, &format!("table/{name}")),
            None,
        ),
        None => {
            let described = client
                .describe_table()
                .table_name(&name)
                .send()
                .await
                .map_err(|e| reason(&e))?;
            let table = described.table();
            let arn = table
                .and_then(|t| t.table_arn())
                .ok_or_else(|| format!("DescribeTable returned no ARN for {name}"))?;
            (
                arn.to_owned(),
                ts(table.and_then(|t| t.creation_date_time())),
            )
        }
    };
    let mut tags = BTreeMap::new();
    let mut next: Option<String> = None;
    loop {
        let page = client
            .list_tags_of_resource()
            .resource_arn(&arn)
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|e| reason(&e))?;
        for tag in page.tags() {
            tags.insert(tag.key().to_owned(), tag.value().to_owned());
        }
        match page.next_token() {
            Some(token) if !token.is_empty() => next = Some(token.to_owned()),
            _ => break,
        }
    }
    Ok(Item {
        resource: Resource {
            arn,
            resource_type: "DynamoDB".to_owned(),
            tags,
        },
        id: name,
        created,
    })
}

fn to_selection(
    plan_id: &str,
    selection_id: &str,
    s: &aws_sdk_backup::types::BackupSelection,
) -> Selection {
    let mut out = Selection {
        plan_id: plan_id.to_owned(),
        selection_id: selection_id.to_owned(),
        resources: s.resources().to_vec(),
        not_resources: s.not_resources().to_vec(),
        ..Selection::default()
    };
    for tag in s.list_of_tags() {
        out = out.with_tag(tag.condition_key(), tag.condition_value());
    }
    if let Some(c) = s.conditions() {
        let groups = [
            (Operator::StringEquals, c.string_equals()),
            (Operator::StringNotEquals, c.string_not_equals()),
            (Operator::StringLike, c.string_like()),
            (Operator::StringNotLike, c.string_not_like()),
        ];
        for (operator, params) in groups {
            for p in params {
                if let Some(key) = p.condition_key() {
                    out.conditions.push(Condition::new(
                        operator,
                        key,
                        p.condition_value().unwrap_or_default(),
                    ));
                }
            }
        }
    }
    out
}

/// One plan's rules and selections.
struct PlanRead {
    plan: Plan,
    selections: Vec<(Selection, Option<Timestamp>)>,
}

async fn read_plan(
    client: &aws_sdk_backup::Client,
    id: String,
    arn: String,
) -> Result<PlanRead, (String, String)> {
    let fail = |why: String| (arn.clone(), why);
    let got = client
        .get_backup_plan()
        .backup_plan_id(&id)
        .send()
        .await
        .map_err(|e| fail(reason(&e)))?;
    let body = got.backup_plan();
    let plan = Plan {
        id: id.clone(),
        arn: arn.clone(),
        name: body
            .map(|b| b.backup_plan_name().to_owned())
            .unwrap_or_else(|| id.clone()),
        rules: body
            .map(|b| b.rules())
            .unwrap_or_default()
            .iter()
            .map(|r| Rule {
                name: r.rule_name().to_owned(),
                schedule: r.schedule_expression().map(str::to_owned),
                timezone: r.schedule_expression_timezone().map(str::to_owned),
                start_window_minutes: r.start_window_minutes(),
                vault: Some(r.target_backup_vault_name().to_owned()).filter(|v| !v.is_empty()),
                copy_to: r
                    .copy_actions()
                    .iter()
                    .map(|c| c.destination_backup_vault_arn().to_owned())
                    .collect(),
            })
            .collect(),
    };
    let mut listed = Vec::new();
    let mut pages = client
        .list_backup_selections()
        .backup_plan_id(&id)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| fail(reason(&e)))?;
        for member in page.backup_selections_list() {
            if let Some(selection_id) = member.selection_id() {
                listed.push((selection_id.to_owned(), ts(member.creation_date())));
            }
        }
    }
    let mut selections = Vec::new();
    for (selection_id, created) in listed {
        let got = client
            .get_backup_selection()
            .backup_plan_id(&id)
            .selection_id(&selection_id)
            .send()
            .await
            .map_err(|e| fail(reason(&e)))?;
        if let Some(s) = got.backup_selection() {
            selections.push((to_selection(&id, &selection_id, s), created));
        }
    }
    Ok(PlanRead { plan, selections })
}

async fn read_plans(client: &aws_sdk_backup::Client, snapshot: &mut Snapshot) {
    let mut listed = Vec::new();
    let mut pages = client.list_backup_plans().into_paginator().send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => {
                for p in page.backup_plans_list() {
                    if p.deletion_date().is_some() {
                        continue;
                    }
                    if let (Some(id), Some(arn)) = (p.backup_plan_id(), p.backup_plan_arn()) {
                        listed.push((id.to_owned(), arn.to_owned()));
                    }
                }
            }
            Err(err) => {
                snapshot.plans_failure = Some(reason(&err));
                return;
            }
        }
    }
    let reads: Vec<_> = stream::iter(listed)
        .map(|(id, arn)| read_plan(client, id, arn))
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    for read in reads {
        match read {
            Ok(read) => {
                for (selection, created) in read.selections {
                    if let Some(created) = created {
                        snapshot
                            .selection_created
                            .insert(selection.selection_id.clone(), created);
                    }
                    snapshot.selections.push(selection);
                }
                snapshot.plans.insert(read.plan.id.clone(), read.plan);
            }
            Err((arn, why)) => {
                snapshot.plan_failures.insert(arn, why);
            }
        }
    }
}

async fn read_region_settings(client: &aws_sdk_backup::Client, snapshot: &mut Snapshot) {
    match client.describe_region_settings().send().await {
        Ok(out) => {
            if let Some(prefs) = out.resource_type_opt_in_preference() {
                snapshot.opt_in = prefs.iter().map(|(k, v)| (k.clone(), *v)).collect();
            }
        }
        Err(err) => snapshot.region_settings_failure = Some(reason(&err)),
    }
}

async fn read_protected(client: &aws_sdk_backup::Client, snapshot: &mut Snapshot) {
    let mut pages = client
        .list_protected_resources()
        .max_results(1000)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => {
                for r in page.results() {
                    if let (Some(arn), Some(last)) = (r.resource_arn(), ts(r.last_backup_time())) {
                        snapshot.last_backup.insert(arn.to_owned(), last);
                    }
                }
            }
            Err(err) => {
                // Not fatal: every covered resource's history is then read one by one.
                snapshot.protected_failure = Some(reason(&err));
                snapshot.last_backup.clear();
                return;
            }
        }
    }
}

async fn efs_policy(client: &aws_sdk_efs::Client, id: String) -> Result<bool, String> {
    match client
        .describe_backup_policy()
        .file_system_id(&id)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .backup_policy()
            .map(|p| p.status().as_str())
            .is_some_and(|s| s == "ENABLED" || s == "ENABLING")),
        Err(err) if err.code() == Some("PolicyNotFound") => Ok(false),
        Err(err) => Err(reason(&err)),
    }
}

/// The region's copy jobs of the last 30 days (all `ListCopyJobs` shows), one listing.
async fn list_copy_jobs(
    client: &aws_sdk_backup::Client,
    at: Timestamp,
) -> Result<Vec<CopyJob>, String> {
    let since = DateTime::from_secs(at.plus_seconds(-30 * 86_400).epoch_seconds());
    let mut out = Vec::new();
    let mut pages = client
        .list_copy_jobs()
        .by_created_after(since)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| format!("ListCopyJobs: {}", reason(&e)))?;
        for job in page.copy_jobs() {
            let (Some(resource), Some(destination), Some(created)) = (
                job.resource_arn(),
                job.destination_backup_vault_arn(),
                ts(job.creation_date()),
            ) else {
                continue;
            };
            out.push(CopyJob {
                id: job.copy_job_id().unwrap_or_default().to_owned(),
                resource: resource.to_owned(),
                destination_vault: destination.to_owned(),
                state: job
                    .state()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                created,
                completed: ts(job.completion_date()),
                message: job
                    .status_message()
                    .filter(|m| !m.is_empty())
                    .map(str::to_owned),
            });
        }
    }
    Ok(out)
}

/// The newest good recovery point and the newest job of one resource.
pub async fn read_history(client: &aws_sdk_backup::Client, arn: &str) -> Result<History, String> {
    let newest_point = crate::recovery::completed_points(client, arn)
        .await
        .map_err(|failure| failure.reason)?
        .into_iter()
        .max_by_key(|p| p.completed)
        .map(|p| (p.completed, p.arn));
    let mut history = History {
        newest_point,
        ..History::default()
    };
    let mut pages = client
        .list_backup_jobs()
        .by_resource_arn(arn)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| reason(&e))?;
        for job in page.backup_jobs() {
            let created = ts(job.creation_date());
            let newer = history
                .latest_job
                .as_ref()
                .is_none_or(|j| created > j.created);
            if newer {
                history.latest_job = Some(Job {
                    id: job.backup_job_id().unwrap_or_default().to_owned(),
                    state: job
                        .state()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                    created,
                    completed: ts(job.completion_date()),
                    message: job.status_message().map(str::to_owned),
                });
            }
        }
    }
    Ok(history)
}

/// Reads everything the verdicts need. `account` comes from the scheduled event when it
/// names one; otherwise from the ARNs read.
#[allow(clippy::too_many_arguments)]
pub async fn collect(
    clients: &Clients,
    required_types: &[String],
    account: Option<String>,
    region: &str,
    at: Timestamp,
    grace_seconds: i64,
    require_copy: CopyRequirement,
) -> (Snapshot, Coverage, Vec<Protection>) {
    let mut snapshot = Snapshot {
        region: region.to_owned(),
        require_copy,
        ..Snapshot::default()
    };
    let skip = || async { Ok(Vec::new()) };
    let want_efs = wanted(required_types, "EFS");
    let want_rds = wanted(required_types, "RDS");
    let want_clusters = ["Aurora", "DocumentDB", "Neptune", "RDS"]
        .iter()
        .any(|t| wanted(required_types, t));
    let want_dynamodb = wanted(required_types, "DynamoDB");

    let mut plans_part = Snapshot::default();
    let mut settings_part = Snapshot::default();
    let mut protected_part = Snapshot::default();
    let (efs, instances, clusters, tables, (), (), (), copy_jobs) = tokio::join!(
        async {
            if want_efs {
                list_efs(clients.efs()).await
            } else {
                skip().await
            }
        },
        async {
            if want_rds {
                list_rds_instances(clients.rds()).await
            } else {
                skip().await
            }
        },
        async {
            if want_clusters {
                list_rds_clusters(clients.rds()).await
            } else {
                skip().await
            }
        },
        async {
            if want_dynamodb {
                list_table_names(clients.dynamodb()).await
            } else {
                Ok(Vec::new())
            }
        },
        read_plans(clients.backup(), &mut plans_part),
        read_region_settings(clients.backup(), &mut settings_part),
        read_protected(clients.backup(), &mut protected_part),
        async {
            if require_copy == CopyRequirement::None {
                None
            } else {
                Some(list_copy_jobs(clients.backup(), at).await)
            }
        },
    );
    snapshot.copy_jobs = copy_jobs;
    snapshot.plans_failure = plans_part.plans_failure;
    snapshot.plans = plans_part.plans;
    snapshot.plan_failures = plans_part.plan_failures;
    snapshot.selections = plans_part.selections;
    snapshot.selection_created = plans_part.selection_created;
    snapshot.opt_in = settings_part.opt_in;
    snapshot.region_settings_failure = settings_part.region_settings_failure;
    snapshot.last_backup = protected_part.last_backup;
    snapshot.protected_failure = protected_part.protected_failure;

    for (label, listing) in [("EFS", efs), ("RDS", instances), ("RDS clusters", clusters)] {
        match listing {
            Ok(items) => snapshot.items.extend(
                items
                    .into_iter()
                    .filter(|i| wanted(required_types, &i.resource.resource_type)),
            ),
            Err(why) => {
                snapshot.inventory_failures.insert(label.to_owned(), why);
            }
        }
    }

    let account = account.filter(|a| !a.is_empty()).or_else(|| {
        snapshot
            .items
            .iter()
            .map(|i| i.resource.arn.as_str())
            .chain(snapshot.plans.values().map(|p| p.arn.as_str()))
            .find_map(|arn| arn_part(arn, 4).filter(|a| !a.is_empty()))
    });
    match tables {
        Ok(names) => {
            let reads: Vec<_> = stream::iter(names)
                .map(|name| table_item(clients.dynamodb(), name, account.clone(), region))
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
            for read in reads {
                match read {
                    Ok(item) => snapshot.items.push(item),
                    Err(why) => {
                        snapshot
                            .inventory_failures
                            .entry("DynamoDB".to_owned())
                            .or_insert(why);
                    }
                }
            }
        }
        Err(why) => {
            snapshot
                .inventory_failures
                .insert("DynamoDB".to_owned(), why);
        }
    }
    snapshot.account = account
        .or_else(|| {
            snapshot
                .items
                .iter()
                .find_map(|i| arn_part(&i.resource.arn, 4))
        })
        .unwrap_or_default();
    snapshot
        .items
        .sort_by(|a, b| a.resource.arn.cmp(&b.resource.arn));

    let coverage = Coverage {
        selections: snapshot.selections.clone(),
        opt_in: snapshot.opt_in.clone(),
    };

    // EFS automatic backups, for file systems no selection covers.
    let uncovered_efs: Vec<(String, String)> = snapshot
        .items
        .iter()
        .filter(|i| i.resource.resource_type == "EFS" && coverage.covering(&i.resource).is_empty())
        .map(|i| (i.resource.arn.clone(), i.id.clone()))
        .collect();
    let policies: Vec<_> = stream::iter(uncovered_efs)
        .map(|(arn, id)| async move { (arn, efs_policy(clients.efs(), id).await) })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    snapshot.efs_automatic.extend(policies);

    // Copy destinations in this account and region: a logically air-gapped one counts as
    // outside the account (one DescribeBackupVault each, only when copies are required).
    if require_copy != CopyRequirement::None {
        let here = format!(":backup:{region}:{}:backup-vault:", snapshot.account);
        let mut local: Vec<String> = snapshot
            .plans
            .values()
            .flat_map(|p| p.rules.iter().flat_map(|r| r.copy_to.iter()))
            .filter(|v| v.contains(&here))
            .cloned()
            .collect();
        local.sort();
        local.dedup();
        let kinds: Vec<(String, bool)> = stream::iter(local)
            .map(|arn| async move {
                let name = arn.rsplit(':').next().unwrap_or_default().to_owned();
                let gapped = clients
                    .backup()
                    .describe_backup_vault()
                    .backup_vault_name(name)
                    .send()
                    .await
                    .ok()
                    .and_then(|v| {
                        v.vault_type()
                            .map(|t| t.as_str() == "LOGICALLY_AIR_GAPPED_BACKUP_VAULT")
                    })
                    .unwrap_or(false);
                (arn, gapped)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        snapshot.air_gapped = kinds
            .into_iter()
            .filter(|(_, g)| *g)
            .map(|(a, _)| a)
            .collect();
    }

    let protections: Vec<Protection> = snapshot
        .items
        .iter()
        .map(|item| {
            crate::freshness::assess::protection(item, &snapshot, &coverage, at, grace_seconds)
        })
        .collect();

    let doubtful: Vec<String> = snapshot
        .items
        .iter()
        .zip(&protections)
        .filter(|(item, p)| {
            crate::freshness::assess::needs_history(
                p,
                snapshot.last_backup.get(&item.resource.arn).copied(),
                at,
            )
        })
        .map(|(item, _)| item.resource.arn.clone())
        .collect();
    let histories: Vec<_> = stream::iter(doubtful)
        .map(|arn| async move {
            let history = read_history(clients.backup(), &arn).await;
            (arn, history)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    snapshot.histories.extend(histories);
    (snapshot, coverage, protections)
}
