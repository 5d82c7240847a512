//! Reading the account for the checklist. Every read keeps its failure as text, so a check
//! that could not run becomes "unknown", never a pass.
//!
//! Calls per audit: the backup reads of `backup-freshness` (bulk listings first), one
//! `ListBuckets`, one `GetResources` page per 100 tagged buckets, `GetBucketVersioning` on
//! each data and state bucket and `GetBucketLifecycleConfiguration` on each data bucket
//! whose versioning is or was on (at most two per bucket, none for other buckets), the RDS and EFS listings,
//! `ListBackupVaults` and one `GetBackupVaultAccessPolicy` per vault that holds or receives
//! recovery points, one `DescribeKey` per key those use, `ListSecrets`, `ListRestoreJobs`,
//! `DescribeTrails` with one `GetTrailStatus` per trail, `ListRules`, one
//! `GetMetricData` for the heartbeats, and per state bucket one `ListObjectsV2` and per state
//! object one `GetObject` with the gate's reads for what a destroy of its stack would delete
//! (`gate::read`); per DynamoDB table, `DescribeContinuousBackups` and `DescribeTable`.

use crate::freshness::assess::{Protection, Snapshot};
use crate::freshness::collect::ts;
use crate::policy::LifecycleRule;
use aws_sdk_s3::error::ProvideErrorMetadata;
use futures_util::stream::{self, StreamExt};
use phoenix_shared::aws::reason;
use phoenix_shared::time::Timestamp;
use phoenix_shared::{Config, tags};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Per-resource reads in flight at once.
pub const CONCURRENCY: usize = 16;

/// The scheduled functions whose `Heartbeat` the audit looks for (the dispatcher only in an
/// organization).
pub const SCHEDULED_FUNCTIONS: [&str; 3] =
    ["backup-freshness", "readiness-audit", "sweep-dispatcher"];

/// The function that runs only in organization mode (`PHOENIX_TARGET_ACCOUNTS`).
const ORGANIZATION_ONLY: &str = "sweep-dispatcher";

/// The clients an audit reads through ([`crate::Clients`]: each built on first use).
pub use crate::clients::Clients;

pub type Read<T> = Result<T, String>;

pub use crate::buckets::Versioning;

/// A bucket whose data must survive, or which holds Terraform state.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub name: String,
    pub data: bool,
    pub state: bool,
    pub versioning: Read<Versioning>,
    /// Data buckets whose versioning is (or was) on; `None` for the others.
    pub lifecycle: Option<Read<Vec<LifecycleRule>>>,
    /// The same buckets' Object Lock default retention (`Ok(None)`: no Object Lock).
    pub object_lock: Option<Read<Option<crate::object_lock::Retention>>>,
}

/// An RDS instance (not in a cluster) or cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database {
    pub arn: String,
    pub id: String,
    /// `RDS` for an instance, `Aurora` (or the engine family) for a cluster.
    pub kind: String,
    pub cluster: bool,
    pub deletion_protection: bool,
    pub retention_days: i64,
    pub kms_key: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Vault {
    pub name: String,
    pub arn: String,
    pub locked: bool,
    pub min_retention_days: Option<i64>,
    /// Set in compliance mode: the date the lock becomes immutable.
    pub lock_date: Option<Timestamp>,
    pub key: Option<String>,
    pub points: i64,
    /// `Ok(None)`: no access policy.
    pub policy: Read<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub id: String,
    /// The vaults and data stores that use it.
    pub used_by: Vec<String>,
    pub state: Read<KeyState>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyState {
    pub arn: String,
    pub state: String,
    pub deletion_date: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    pub arn: String,
    pub name: String,
    pub deleted_date: Option<Timestamp>,
    /// Stages of each version.
    pub versions: BTreeMap<String, Vec<String>>,
    pub kms_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restore {
    pub id: String,
    pub resource_type: String,
    pub created: Timestamp,
    pub completed: Option<Timestamp>,
    pub restore_test: bool,
    /// `ValidationStatus` as a validator reported it (`SUCCESSFUL`, `FAILED`, …); `None`
    /// when nobody validated the restore.
    pub validation: Option<String>,
}

/// An AWS Backup restore testing plan and the resource types its selections restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestingPlan {
    pub arn: String,
    pub name: String,
    pub schedule: String,
    /// The selections' `ProtectedResourceType`s; `Err` when they could not be listed.
    pub types: Read<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trail {
    pub arn: String,
    pub name: String,
    pub multi_region: bool,
    pub logging: Read<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub arn: String,
    pub name: String,
    pub enabled: bool,
}

/// Everything an audit read.
#[derive(Debug)]
pub struct Facts {
    pub at: Timestamp,
    pub account: String,
    pub region: String,
    pub backups: Snapshot,
    pub protections: Vec<Protection>,
    /// Data and state buckets; `Err` when the bucket listing itself failed.
    pub buckets: Read<Vec<Bucket>>,
    /// Tags could not be listed: buckets named only by tag are missed.
    pub bucket_tags_failure: Option<String>,
    pub databases: Read<Vec<Database>>,
    pub vaults: Read<Vec<Vault>>,
    pub keys: Vec<Key>,
    pub secrets: Read<Vec<Secret>>,
    pub restores: Read<Vec<Restore>>,
    pub testing_plans: Read<Vec<TestingPlan>>,
    pub trails: Read<Vec<Trail>>,
    pub rules: Read<Vec<Rule>>,
    /// Newest heartbeat per scheduled function (not read for `this_function`).
    pub heartbeats: BTreeMap<String, Read<Option<Timestamp>>>,
    /// Every Terraform state in the state buckets, judged as if its stack were destroyed
    /// now (empty when the bucket listing failed: that is its own unknown).
    pub stacks: Vec<Stack>,
    /// The DynamoDB tables in the inventory (a required type) not exempt from backups, with
    /// their own protections.
    pub tables: Vec<Table>,
    /// Each covered resource's copies outside the blast radius, as the freshness judgement
    /// weighed them (filled in by [`crate::audit::audit`]).
    pub copies: HashMap<String, crate::copies::CopyVerdict>,
}

/// A DynamoDB table and its last lines of defence (`None`: the table went away meanwhile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub arn: String,
    pub name: String,
    pub point_in_time_recovery: Read<Option<bool>>,
    pub deletion_protection: Read<Option<bool>>,
}

/// One Terraform state object, and what a destroy of its stack would do now.
#[derive(Debug, Clone)]
pub struct Stack {
    pub bucket: String,
    /// `None` when the bucket's objects could not be listed.
    pub key: Option<String>,
    /// The gate's verdicts; `Err` when the listing or the object could not be read, or the
    /// object is not a Terraform state.
    pub judged: Read<Vec<crate::gate::Judged>>,
}

impl Stack {
    /// `s3://bucket/key` (or the bucket's, when its listing failed).
    pub fn location(&self) -> String {
        match &self.key {
            Some(key) => format!("s3://{}/{key}", self.bucket),
            None => format!("s3://{}", self.bucket),
        }
    }
}

/// How old a recovery point may be and still count as a restore source after a destroy:
/// the longest interval a backup plan may leave between runs, plus the grace.
pub const fn destroy_max_age_seconds(config: &Config) -> i64 {
    config.max_backup_interval_seconds + config.backup_grace_seconds
}

/// What one audit covers.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    /// The account, when the caller knows it (else it comes from the ARNs read).
    pub account: Option<String>,
    pub region: String,
    /// A member account of an organization, read through its reader role: Phoenix Guard's
    /// functions run in the central account, so their heartbeats are not looked for here
    /// (the member's forwarding rules are, and its canary is the dispatcher's concern).
    pub member: bool,
    /// The scheduled function running the audit, whose own heartbeat is this run.
    pub this_function: Option<&'a str>,
}

/// Reads everything the checklist needs.
pub async fn read(clients: &Clients, config: &Config, scope: Scope<'_>, at: Timestamp) -> Facts {
    let Scope {
        account,
        region,
        member,
        this_function,
    } = scope;
    let (backups, _coverage, protections) = crate::freshness::collect::collect(
        clients,
        &config.required_resource_types,
        account,
        &region,
        at,
        config.backup_grace_seconds,
        config.require_copy,
    )
    .await;
    let (
        buckets,
        databases,
        vaults,
        secrets,
        (restores, testing_plans),
        trails,
        rules,
        heartbeats,
        efs_keys,
    ) = tokio::join!(
        read_buckets(clients, config),
        read_databases(clients.rds()),
        read_vaults(clients.backup(), &backups),
        read_secrets(clients.secrets(), config),
        async {
            tokio::join!(
                read_restores(clients.backup(), at, config.restore_drill_max_age_seconds),
                read_testing_plans(clients.backup()),
            )
        },
        read_trails(clients.cloudtrail()),
        read_rules(clients.events(), &config.guard_prefix),
        async {
            if member {
                BTreeMap::new()
            } else {
                read_heartbeats(clients.cloudwatch(), config, at, this_function).await
            }
        },
        read_efs_keys(clients.efs()),
    );
    let (buckets, bucket_tags_failure) = match buckets {
        Ok((buckets, failure)) => (Ok(buckets), failure),
        Err(why) => (Err(why), None),
    };

    // The keys vaults and data stores depend on.
    let mut users: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let (account, region) = (backups.account.clone(), backups.region.clone());
    let mut add = |key: &Option<String>, user: &str| {
        if let Some(key) = key.as_ref().filter(|k| !k.is_empty()) {
            users
                .entry(key_arn(key, &account, &region))
                .or_default()
                .insert(user.to_owned());
        }
    };
    for vault in vaults.iter().flatten() {
        add(&vault.key, &vault.arn);
    }
    for db in databases.iter().flatten() {
        add(&db.kms_key, &db.arn);
    }
    for (fs, key) in efs_keys.iter().flatten() {
        add(&Some(key.clone()), fs);
    }
    let keys: Vec<Key> = stream::iter(users)
        .map(|(id, used_by)| async move {
            let state = describe_key(clients.kms(), &id).await;
            Key {
                id,
                used_by: used_by.into_iter().collect(),
                state,
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut keys = keys;
    keys.sort_by(|a, b| a.id.cmp(&b.id));
    let stacks = read_stacks(clients, config, &buckets, at).await;
    let tables = read_tables(clients, &backups).await;

    Facts {
        at,
        account: backups.account.clone(),
        region: backups.region.clone(),
        backups,
        protections,
        buckets,
        bucket_tags_failure,
        databases,
        vaults,
        keys,
        secrets,
        restores,
        testing_plans,
        trails,
        rules,
        heartbeats,
        stacks,
        tables,
        copies: HashMap::new(),
    }
}

/// Point-in-time recovery and deletion protection of every table in the inventory.
async fn read_tables(clients: &Clients, backups: &Snapshot) -> Vec<Table> {
    let names: Vec<(String, String)> = backups
        .items
        .iter()
        .filter(|i| i.resource.resource_type == "DynamoDB")
        // A table exempt from backups (`phoenix:backup=exempt`) holds nothing that must
        // survive, such as Phoenix Guard's own ledger.
        .filter(|i| {
            !crate::freshness::assess::is_exempt(i)
                && !crate::freshness::assess::is_restore_test_copy(i)
        })
        .map(|i| (i.resource.arn.clone(), i.id.clone()))
        .collect();
    let mut tables: Vec<Table> = stream::iter(names)
        .map(|(arn, name)| async move {
            let (pitr, protection) = tokio::join!(
                crate::tables::point_in_time_recovery(clients.dynamodb(), &name),
                crate::tables::deletion_protection(clients.dynamodb(), &name),
            );
            Table {
                arn,
                name,
                point_in_time_recovery: pitr.map_err(|f| f.to_string()),
                deletion_protection: protection.map_err(|f| f.to_string()),
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    tables
}

/// Lists the state objects of every state bucket and judges each as destroyed now.
async fn read_stacks(
    clients: &Clients,
    config: &Config,
    buckets: &Read<Vec<Bucket>>,
    at: Timestamp,
) -> Vec<Stack> {
    let Ok(buckets) = buckets else {
        return Vec::new();
    };
    let mut objects = Vec::new();
    let mut stacks = Vec::new();
    for bucket in buckets.iter().filter(|b| b.state) {
        match crate::states::list(clients.s3(), &bucket.name).await {
            Ok(keys) => objects.extend(keys.into_iter().map(|k| (bucket.name.clone(), k))),
            Err(failure) => stacks.push(Stack {
                bucket: bucket.name.clone(),
                key: None,
                judged: Err(failure.to_string()),
            }),
        }
    }
    let max_age = destroy_max_age_seconds(config);
    let judged: Vec<Stack> = stream::iter(objects)
        .map(|(bucket, key)| async move {
            let judged = match crate::states::destroy_of(clients.s3(), &bucket, &key).await {
                Ok(Ok(destroy)) => {
                    let facts = crate::gate::read::facts(clients, &destroy, at, max_age).await;
                    Ok(crate::gate::judge(&destroy, &facts, config))
                }
                Ok(Err(unusable)) => Err(format!("not a usable Terraform state: {unusable}")),
                Err(failure) => Err(failure.to_string()),
            };
            Stack {
                bucket,
                key: Some(key),
                judged,
            }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    stacks.extend(judged);
    stacks.sort_by(|a, b| (&a.bucket, &a.key).cmp(&(&b.bucket, &b.key)));
    stacks
}

async fn read_buckets(clients: &Clients, config: &Config) -> Read<(Vec<Bucket>, Option<String>)> {
    let mut names = Vec::new();
    let mut pages = clients.s3().list_buckets().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| format!("ListBuckets: {}", reason(&e)))?;
        names.extend(
            page.buckets()
                .iter()
                .filter_map(|b| b.name().map(str::to_owned)),
        );
    }
    // Tags of every tagged bucket, a hundred per call.
    let mut tagged: BTreeMap<String, (bool, bool)> = BTreeMap::new();
    let mut tags_failure = None;
    let mut pages = clients
        .tagging()
        .get_resources()
        .resource_type_filters("s3:bucket")
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => {
                for mapping in page.resource_tag_mapping_list() {
                    let Some(arn) = mapping.resource_arn() else {
                        continue;
                    };
                    let name = arn.rsplit(':').next().unwrap_or(arn).to_owned();
                    let tag = |key: &str| {
                        mapping
                            .tags()
                            .iter()
                            .find(|t| t.key() == key)
                            .map(|t| t.value())
                    };
                    tagged.insert(
                        name,
                        (
                            tags::is_true(tag(tags::DATA)),
                            tags::is_true(tag(tags::TERRAFORM_STATE)),
                        ),
                    );
                }
            }
            Err(err) => {
                tags_failure = Some(format!("GetResources: {}", reason(&err)));
                break;
            }
        }
    }
    let wanted: Vec<(String, bool, bool)> = names
        .into_iter()
        .filter_map(|name| {
            let (tag_data, tag_state) = tagged.get(&name).copied().unwrap_or_default();
            let data = tag_data || config.is_configured_data_bucket(&name);
            let state = tag_state || config.is_configured_state_bucket(&name);
            (data || state).then_some((name, data, state))
        })
        .collect();
    let mut buckets: Vec<Bucket> = stream::iter(wanted)
        .map(|(name, data, state)| async move {
            let versioning = bucket_versioning(clients.s3(), &name).await;
            // A bucket that never had versioning keeps no noncurrent versions whatever its
            // lifecycle says; its rules are read once versioning is on.
            let (lifecycle, object_lock) = if data && versioning != Ok(Versioning::Never) {
                let (lifecycle, lock) = tokio::join!(
                    bucket_lifecycle(clients.s3(), &name),
                    crate::object_lock::default_retention(clients.s3(), &name),
                );
                (Some(lifecycle), Some(lock.map_err(|f| f.to_string())))
            } else {
                (None, None)
            };
            Bucket {
                name,
                data,
                state,
                versioning,
                lifecycle,
                object_lock,
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    buckets.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((buckets, tags_failure))
}

async fn bucket_versioning(s3: &aws_sdk_s3::Client, name: &str) -> Read<Versioning> {
    crate::buckets::versioning(s3, name)
        .await
        .map_err(|f| f.to_string())
}

async fn bucket_lifecycle(s3: &aws_sdk_s3::Client, name: &str) -> Read<Vec<LifecycleRule>> {
    crate::lifecycle::rules(s3, name)
        .await
        .map(Option::unwrap_or_default)
        .map_err(|failure| failure.to_string())
}

async fn read_databases(rds: &aws_sdk_rds::Client) -> Read<Vec<Database>> {
    let mut out = Vec::new();
    let mut pages = rds.describe_db_instances().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| format!("DescribeDBInstances: {}", reason(&e)))?;
        for db in page.db_instances() {
            // A cluster member is protected (and backed up) at the cluster; a restore test's
            // copy is AWS Backup's to delete.
            if db.db_cluster_identifier().is_some()
                || db
                    .tag_list()
                    .iter()
                    .any(|t| t.key() == Some(phoenix_shared::tags::RESTORE_TEST))
            {
                continue;
            }
            let (Some(arn), Some(id)) = (db.db_instance_arn(), db.db_instance_identifier()) else {
                continue;
            };
            out.push(Database {
                arn: arn.to_owned(),
                id: id.to_owned(),
                kind: "RDS".to_owned(),
                cluster: false,
                deletion_protection: db.deletion_protection().unwrap_or(false),
                retention_days: i64::from(db.backup_retention_period().unwrap_or(0)),
                kms_key: db.kms_key_id().map(str::to_owned),
            });
        }
    }
    let mut pages = rds.describe_db_clusters().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| format!("DescribeDBClusters: {}", reason(&e)))?;
        for c in page.db_clusters() {
            let (Some(arn), Some(id)) = (c.db_cluster_arn(), c.db_cluster_identifier()) else {
                continue;
            };
            if c.tag_list()
                .iter()
                .any(|t| t.key() == Some(phoenix_shared::tags::RESTORE_TEST))
            {
                continue;
            }
            let engine = c.engine().unwrap_or_default();
            out.push(Database {
                arn: arn.to_owned(),
                id: id.to_owned(),
                kind: if engine.starts_with("aurora") {
                    "Aurora".to_owned()
                } else {
                    "RDS".to_owned()
                },
                cluster: true,
                deletion_protection: c.deletion_protection().unwrap_or(false),
                retention_days: i64::from(c.backup_retention_period().unwrap_or(0)),
                kms_key: c.kms_key_id().map(str::to_owned),
            });
        }
    }
    out.sort_by(|a, b| a.arn.cmp(&b.arn));
    Ok(out)
}

async fn read_efs_keys(efs: &aws_sdk_efs::Client) -> Read<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut pages = efs.describe_file_systems().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| format!("DescribeFileSystems: {}", reason(&e)))?;
        for fs in page.file_systems() {
            if let (Some(arn), Some(key)) = (fs.file_system_arn(), fs.kms_key_id()) {
                out.push((arn.to_owned(), key.to_owned()));
            }
        }
    }
    Ok(out)
}

/// The vaults that receive or hold recovery points: targets of plan rules, and vaults with
/// recovery points in them.
async fn read_vaults(backup: &aws_sdk_backup::Client, snapshot: &Snapshot) -> Read<Vec<Vault>> {
    let targets: BTreeSet<&str> = snapshot
        .plans
        .values()
        .flat_map(|p| p.rules.iter().filter_map(|r| r.vault.as_deref()))
        .collect();
    let mut listed = Vec::new();
    let mut pages = backup.list_backup_vaults().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| format!("ListBackupVaults: {}", reason(&e)))?;
        for v in page.backup_vault_list() {
            let name = v.backup_vault_name().unwrap_or_default().to_owned();
            if v.number_of_recovery_points() == 0 && !targets.contains(name.as_str()) {
                continue;
            }
            listed.push(Vault {
                arn: v.backup_vault_arn().unwrap_or_default().to_owned(),
                name,
                locked: v.locked().unwrap_or(false),
                min_retention_days: v.min_retention_days(),
                lock_date: ts(v.lock_date()),
                key: v.encryption_key_arn().map(str::to_owned),
                points: v.number_of_recovery_points(),
                policy: Ok(None),
            });
        }
    }
    let mut vaults: Vec<Vault> = stream::iter(listed)
        .map(|mut vault| async move {
            vault.policy = match backup
                .get_backup_vault_access_policy()
                .backup_vault_name(&vault.name)
                .send()
                .await
            {
                Ok(out) => Ok(out.policy().map(str::to_owned)),
                Err(err) if err.code() == Some("ResourceNotFoundException") => Ok(None),
                Err(err) => Err(format!("GetBackupVaultAccessPolicy: {}", reason(&err))),
            };
            vault
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    vaults.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(vaults)
}

/// The ARN a key reference names, so that the item of a key that could not be described and
/// the item of the same key described later (named by `DescribeKey`'s ARN) are one resource:
/// a bare key id becomes `arn:aws:kms:<region>:<account>:key/<id>`; an ARN, or an alias
/// (which only `DescribeKey` can turn into its key), is kept as it is.
fn key_arn(reference: &str, account: &str, region: &str) -> String {
    if reference.starts_with("arn:") || reference.starts_with("alias/") || account.is_empty() {
        reference.to_owned()
    } else {
        let partition = if region.starts_with("cn-") {
            "aws-cn"
        } else if region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        };
        format!("arn:{partition}:kms:{region}:{account}:key/{reference}")
    }
}

async fn describe_key(kms: &aws_sdk_kms::Client, id: &str) -> Read<KeyState> {
    match crate::keys::describe(kms, id).await {
        Ok(Some(key)) => Ok(KeyState {
            arn: key.arn.unwrap_or_else(|| id.to_owned()),
            state: key.state,
            deletion_date: key.deletion_date,
        }),
        Ok(None) => Err(format!(
            "DescribeKey: NotFoundException: key {id} does not exist"
        )),
        Err(failure) => Err(failure.to_string()),
    }
}

/// The encryption-key secrets: tagged `phoenix:encryption-key=true` or named by
/// `PHOENIX_ENCRYPTION_KEY_SECRETS`, including those scheduled for deletion.
async fn read_secrets(
    secrets: &aws_sdk_secretsmanager::Client,
    config: &Config,
) -> Read<Vec<Secret>> {
    let mut out = Vec::new();
    let mut pages = secrets
        .list_secrets()
        .include_planned_deletion(true)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| format!("ListSecrets: {}", reason(&e)))?;
        for s in page.secret_list() {
            let (Some(arn), Some(name)) = (s.arn(), s.name()) else {
                continue;
            };
            let tagged = s
                .tags()
                .iter()
                .any(|t| t.key() == Some(tags::ENCRYPTION_KEY) && tags::is_true(t.value()));
            if !tagged
                && !config.is_configured_key_secret(name)
                && !config.is_configured_key_secret(arn)
            {
                continue;
            }
            out.push(Secret {
                arn: arn.to_owned(),
                name: name.to_owned(),
                deleted_date: ts(s.deleted_date()),
                versions: s
                    .secret_versions_to_stages()
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
                kms_key: s.kms_key_id().map(str::to_owned),
            });
        }
    }
    out.sort_by(|a, b| a.arn.cmp(&b.arn));
    Ok(out)
}

async fn read_restores(
    backup: &aws_sdk_backup::Client,
    at: Timestamp,
    window_seconds: i64,
) -> Read<Vec<Restore>> {
    let since = aws_sdk_s3::primitives::DateTime::from_secs(
        at.plus_seconds(-window_seconds).epoch_seconds(),
    );
    let mut out = Vec::new();
    let mut pages = backup
        .list_restore_jobs()
        .by_status(aws_sdk_backup::types::RestoreJobStatus::Completed)
        .by_created_after(since)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| format!("ListRestoreJobs: {}", reason(&e)))?;
        for job in page.restore_jobs() {
            let Some(created) = ts(job.creation_date()) else {
                continue;
            };
            out.push(Restore {
                id: job.restore_job_id().unwrap_or_default().to_owned(),
                resource_type: job.resource_type().unwrap_or_default().to_owned(),
                created,
                completed: ts(job.completion_date()),
                restore_test: job
                    .created_by()
                    .and_then(|c| c.restore_testing_plan_arn())
                    .is_some(),
                validation: job.validation_status().map(|v| v.as_str().to_owned()),
            });
        }
    }
    Ok(out)
}

/// The restore testing plans (`ListRestoreTestingPlans`) and the types each one's
/// selections restore (`ListRestoreTestingSelections`).
async fn read_testing_plans(backup: &aws_sdk_backup::Client) -> Read<Vec<TestingPlan>> {
    let mut plans = Vec::new();
    let mut pages = backup.list_restore_testing_plans().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| format!("ListRestoreTestingPlans: {}", reason(&e)))?;
        for plan in page.restore_testing_plans() {
            plans.push((
                plan.restore_testing_plan_arn().to_owned(),
                plan.restore_testing_plan_name().to_owned(),
                plan.schedule_expression().to_owned(),
            ));
        }
    }
    let mut out: Vec<TestingPlan> = stream::iter(plans)
        .map(|(arn, name, schedule)| async move {
            let mut types = Vec::new();
            let mut pages = backup
                .list_restore_testing_selections()
                .restore_testing_plan_name(&name)
                .into_paginator()
                .send();
            let mut failed = None;
            while let Some(page) = pages.next().await {
                match page {
                    Ok(page) => types.extend(
                        page.restore_testing_selections()
                            .iter()
                            .map(|s| s.protected_resource_type().to_owned()),
                    ),
                    Err(e) => {
                        failed = Some(format!("ListRestoreTestingSelections: {}", reason(&e)));
                        break;
                    }
                }
            }
            TestingPlan {
                arn,
                name,
                schedule,
                types: failed.map_or(Ok(types), Err),
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

async fn read_trails(cloudtrail: &aws_sdk_cloudtrail::Client) -> Read<Vec<Trail>> {
    let out = cloudtrail
        .describe_trails()
        .include_shadow_trails(true)
        .send()
        .await
        .map_err(|e| format!("DescribeTrails: {}", reason(&e)))?;
    let listed: Vec<(String, String, bool)> = out
        .trail_list()
        .iter()
        .filter_map(|t| {
            Some((
                t.trail_arn()?.to_owned(),
                t.name()?.to_owned(),
                t.is_multi_region_trail().unwrap_or(false),
            ))
        })
        .collect();
    let trails = stream::iter(listed)
        .map(|(arn, name, multi_region)| async move {
            let logging = match crate::trails::logging(cloudtrail, &arn).await {
                Ok(Some(logging)) => Ok(logging),
                Ok(None) => Err(format!(
                    "GetTrailStatus: TrailNotFoundException: {arn} was deleted since it was listed"
                )),
                Err(failure) => Err(failure.to_string()),
            };
            Trail {
                arn,
                name,
                multi_region,
                logging,
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    Ok(trails)
}

async fn read_rules(events: &aws_sdk_eventbridge::Client, prefix: &str) -> Read<Vec<Rule>> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = events
            .list_rules()
            .name_prefix(prefix)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| format!("ListRules: {}", reason(&e)))?;
        for rule in page.rules() {
            out.push(Rule {
                arn: rule.arn().unwrap_or_default().to_owned(),
                name: rule.name().unwrap_or_default().to_owned(),
                enabled: rule.state() == Some(&aws_sdk_eventbridge::types::RuleState::Enabled),
            });
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The newest `Heartbeat` of each scheduled function within the allowed age, in one call.
async fn read_heartbeats(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    config: &Config,
    at: Timestamp,
    this_function: Option<&str>,
) -> BTreeMap<String, Read<Option<Timestamp>>> {
    let functions: Vec<&str> = SCHEDULED_FUNCTIONS
        .into_iter()
        .filter(|f| Some(*f) != this_function)
        .filter(|f| *f != ORGANIZATION_ONLY || config.organization.spans_accounts())
        .collect();
    let period = 300;
    let metrics: Vec<crate::metrics::Metric> = functions
        .iter()
        .map(|function| crate::metrics::Metric {
            name: "Heartbeat".to_owned(),
            dimensions: vec![
                ("Environment".to_owned(), config.environment.clone()),
                ("Function".to_owned(), (*function).to_owned()),
            ],
        })
        .collect();
    let answer = crate::metrics::newest(
        cloudwatch,
        &config.metric_namespace,
        &metrics,
        period,
        at.plus_seconds(-config.heartbeat_max_age_seconds),
        at.plus_seconds(i64::from(period)),
    )
    .await;
    match answer {
        Ok(newest) => functions
            .iter()
            .zip(newest)
            .map(|(function, newest)| ((*function).to_owned(), Ok(newest)))
            .collect(),
        Err(why) => functions
            .iter()
            .map(|function| ((*function).to_owned(), Err(why.clone())))
            .collect(),
    }
}

/// A JSON document the guard stored at `key` in `bucket`: `None` when there is none yet (one
/// that is not JSON reads as null).
pub async fn stored_json(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<Option<serde_json::Value>, crate::failure::Failure> {
    use aws_sdk_s3::error::ProvideErrorMetadata;
    match s3.get_object().bucket(bucket).key(key).send().await {
        Ok(out) => {
            let bytes = out
                .body
                .collect()
                .await
                .map_err(|e| crate::failure::Failure {
                    operation: "s3:GetObject",
                    code: String::new(),
                    reason: e.to_string(),
                    transient: true,
                })?
                .into_bytes();
            Ok(Some(
                serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
            ))
        }
        Err(err) if err.code() == Some("NoSuchKey") => Ok(None),
        Err(err) => Err(crate::failure::Failure::of("s3:GetObject", &err)),
    }
}

/// The scores' history stored at `key` in `bucket` (empty when there is none yet).
pub async fn history(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<crate::audit::report::History, crate::failure::Failure> {
    Ok(stored_json(s3, bucket, key)
        .await?
        .map(|doc| crate::audit::report::History::from_json(&doc))
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::key_arn;

    #[test]
    fn a_bare_key_id_names_the_same_resource_as_the_arn_describe_key_answers() {
        let id = "1234abcd-12ab-34cd-56ef-1234567890ab";
        assert_eq!(
            key_arn(id, "123456789012", "eu-west-1"),
            format!("arn:aws:kms:eu-west-1:123456789012:key/{id}")
        );
        assert_eq!(
            key_arn(id, "123456789012", "cn-north-1"),
            format!("arn:aws-cn:kms:cn-north-1:123456789012:key/{id}")
        );
        let arn = format!("arn:aws:kms:eu-west-1:123456789012:key/{id}");
        assert_eq!(key_arn(&arn, "123456789012", "eu-west-1"), arn);
        assert_eq!(
            key_arn("alias/backups", "123456789012", "eu-west-1"),
            "alias/backups"
        );
    }
}
