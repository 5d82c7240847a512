//! Confirming a claim by reading the resource's current state through the service's API.
//!
//! Each read answers with a [`Reading`]: the weakening still holds, it was already undone,
//! the call turned out not to matter (the secret holds no encryption key, the policy does
//! not deny the guard), or the read itself failed — then the page goes out anyway, saying
//! that confirmation failed.

use crate::catalog;
use crate::rules::Suspect;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use phoenix_account::policy::{self, PlanRule};
use phoenix_shared::aws::reason;
use phoenix_shared::event::tag_map;
use phoenix_shared::{Config, Severity, Timestamp};
use std::collections::BTreeMap;

/// The clients the reads go through ([`phoenix_account::Clients`]: each built on first use,
/// so an event about a key builds only the KMS client).
pub use phoenix_account::Clients;

/// What the read says about a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The weakening is in place now.
    Holds,
    /// The protection is back (or, for a restoring call, confirmed back).
    Restored,
    /// The call does not matter after all; the text says why.
    Irrelevant(String),
    /// The read failed; the text says how.
    Unconfirmed(String),
    /// No read can tell more than the call itself (a deleted function, deleted backups).
    NotChecked,
}

/// The outcome of a confirming read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub verdict: Verdict,
    /// What the read saw, in words, for the page.
    pub seen: String,
    /// The resource's tags when the read got them (opt-outs, data buckets, key secrets).
    pub tags: Option<BTreeMap<String, String>>,
    /// The resource's ARN when the read knows it better than the call did.
    pub arn: Option<String>,
    /// A severity the read justifies (an encryption key whose previous version is kept).
    pub severity: Option<Severity>,
    /// An encryption-key secret's versions, to judge against what the incident has seen.
    pub key_versions: Option<KeyVersions>,
    /// Facts the finding carries forward (what the incident has seen so far).
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// The versions of an encryption-key secret that still carry a staging label (Secrets
/// Manager treats a version without one as deprecated and may delete it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyVersions {
    pub labelled: Vec<String>,
    /// The version labelled `AWSPREVIOUS`: the key before the newest one.
    pub previous: Option<String>,
}

impl Reading {
    fn new(verdict: Verdict, seen: impl Into<String>) -> Self {
        Self {
            verdict,
            seen: seen.into(),
            tags: None,
            arn: None,
            severity: None,
            key_versions: None,
            extra: serde_json::Map::new(),
        }
    }

    fn holds(seen: impl Into<String>) -> Self {
        Self::new(Verdict::Holds, seen)
    }

    fn restored(seen: impl Into<String>) -> Self {
        Self::new(Verdict::Restored, seen)
    }

    /// No read could be made: the call's account could not be reached (its reader role
    /// refused). The page goes out on the call's own facts.
    pub fn unreachable(why: &str) -> Self {
        Self::failed("reaching the call's account", why.to_owned())
    }

    fn failed(what: &str, why: String) -> Self {
        let text = format!("{what} failed: {why}");
        Self::new(Verdict::Unconfirmed(text.clone()), text)
    }

    fn with_tags(mut self, tags: Option<BTreeMap<String, String>>) -> Self {
        self.tags = tags;
        self
    }

    /// Holds when `weak`, else restored; `seen` either way.
    fn either(weak: bool, seen: impl Into<String>) -> Self {
        Self::new(
            if weak {
                Verdict::Holds
            } else {
                Verdict::Restored
            },
            seen,
        )
    }
}

fn code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> &str {
    err.code().unwrap_or_default()
}

/// Reads what confirms or contradicts `suspect`.
pub async fn read(clients: &Clients, suspect: &Suspect, config: &Config, at: Timestamp) -> Reading {
    use catalog as c;
    match suspect.check {
        c::VERSIONING_SUSPENDED
        | c::LIFECYCLE_WEAKENED
        | c::BUCKET_DELETED
        | c::OBJECT_LOCK_WEAKENED
        | c::POLICY_BLINDS_GUARD => bucket(clients, suspect, config).await,
        c::DELETION_PROTECTION_OFF | c::BACKUP_RETENTION_LOW | c::DB_DELETED => {
            database(clients, suspect, config).await
        }
        c::AUTOMATED_BACKUPS_DELETED => Reading::new(
            Verdict::NotChecked,
            "deleted automated backups cannot come back; the call succeeded",
        ),
        c::EFS_DELETED | c::EFS_BACKUP_DISABLED => file_system(clients, suspect).await,
        c::PITR_OFF | c::TABLE_DELETION_PROTECTION_OFF => table(clients, suspect).await,
        c::VAULT_DELETED | c::VAULT_LOCK_REMOVED => vault(clients, suspect).await,
        c::RECOVERY_POINT_DELETED => recovery_point(clients, suspect).await,
        c::PLAN_DELETED | c::PLAN_WEAKENED => plan(clients, suspect, config, at).await,
        c::SELECTION_DELETED => selection(clients, suspect).await,
        c::VAULT_POLICY_OPEN => Reading::new(
            Verdict::NotChecked,
            "the call carries the whole policy that is now in force",
        ),
        c::REGION_OPT_OUT => region_setting(clients, suspect).await,
        c::KEY_DELETION_SCHEDULED | c::KEY_DISABLED => key(clients, suspect).await,
        c::SECRET_DELETED | c::KEY_REGENERATED => secret(clients, suspect, config).await,
        c::TRAIL_STOPPED | c::TRAIL_DELETED | c::TRAIL_WEAKENED => trail(clients, suspect).await,
        c::GUARD_RULE_DISABLED | c::GUARD_RULE_DELETED | c::GUARD_TARGETS_REMOVED => {
            rule(clients, suspect).await
        }
        _ => Reading::new(
            Verdict::NotChecked,
            "a deleted function is confirmed by the call itself",
        ),
    }
}

async fn bucket_tags(clients: &Clients, bucket: &str) -> Option<BTreeMap<String, String>> {
    match clients
        .s3()
        .get_bucket_tagging()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(out) => Some(
            out.tag_set()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect(),
        ),
        Err(err) if code(&err) == "NoSuchTagSet" => Some(BTreeMap::new()),
        Err(err) => {
            tracing::warn!(bucket, error = %reason(&err), "bucket tags unreadable");
            None
        }
    }
}

async fn bucket(clients: &Clients, suspect: &Suspect, config: &Config) -> Reading {
    let name = suspect.id.as_str();
    let status = match phoenix_account::buckets::versioning(clients.s3(), name).await {
        Ok(v) => v.as_str(),
        Err(f) if f.code == "NoSuchBucket" => {
            return Reading::either(
                suspect.check == catalog::BUCKET_DELETED || suspect.role == catalog::Role::Weakens,
                format!("bucket {name} no longer exists"),
            );
        }
        Err(f)
            if suspect.check == catalog::POLICY_BLINDS_GUARD && f.code.contains("AccessDenied") =>
        {
            return Reading::holds(format!(
                "GetBucketVersioning on {name} is denied to Phoenix Guard ({})",
                f.reason
            ));
        }
        Err(f) => return Reading::failed(f.operation, f.reason),
    };
    let tags = bucket_tags(clients, name).await;
    let reading = match suspect.check {
        catalog::VERSIONING_SUSPENDED => Reading::either(
            !status.eq_ignore_ascii_case("Enabled"),
            format!("versioning is {status}"),
        ),
        catalog::BUCKET_DELETED => Reading::restored(format!(
            "a bucket named {name} exists again (versioning {status})"
        )),
        catalog::OBJECT_LOCK_WEAKENED => {
            match phoenix_account::object_lock::default_retention(clients.s3(), name).await {
                Ok(Some(retention)) => {
                    let days = retention.days.unwrap_or(0);
                    let mode = retention.mode.unwrap_or_default();
                    Reading::either(
                        u64::try_from(days).unwrap_or(0) < config.min_version_retention_days,
                        if days > 0 {
                            format!("the default retention is {mode} {days} days")
                        } else {
                            "Object Lock has no default retention".to_owned()
                        },
                    )
                }
                Ok(None) => Reading::holds("the bucket has no Object Lock configuration"),
                Err(failure) => Reading::failed(failure.operation, failure.reason),
            }
        }
        catalog::POLICY_BLINDS_GUARD => match suspect.role {
            catalog::Role::Weakens => Reading::new(
                Verdict::Irrelevant(format!(
                    "the new policy of {name} still lets Phoenix Guard read it"
                )),
                "GetBucketVersioning succeeded",
            ),
            catalog::Role::Restores => Reading::restored("GetBucketVersioning succeeded"),
        },
        _ => match phoenix_account::lifecycle::rules(clients.s3(), name).await {
            Ok(Some(rules)) => {
                let verdict = policy::assess_lifecycle(&rules, config.min_version_retention_days);
                Reading::either(
                    verdict != policy::LifecycleVerdict::Keeps,
                    format!("the lifecycle {}", verdict.describe()),
                )
            }
            Ok(None) => Reading::holds("the bucket has no lifecycle configuration"),
            Err(failure) => Reading::failed(failure.operation, failure.reason),
        },
    };
    reading.with_tags(tags)
}

/// The protection settings of an RDS instance or cluster.
struct DbState {
    arn: Option<String>,
    deletion_protection: bool,
    retention: i32,
    pending_retention: Option<i32>,
    status: String,
    cluster: Option<String>,
    tags: BTreeMap<String, String>,
}

async fn describe_cluster(clients: &Clients, id: &str) -> Result<Option<DbState>, String> {
    match clients
        .rds()
        .describe_db_clusters()
        .db_cluster_identifier(id)
        .send()
        .await
    {
        Ok(out) => Ok(out.db_clusters().first().map(|c| DbState {
            arn: c.db_cluster_arn().map(str::to_owned),
            deletion_protection: c.deletion_protection().unwrap_or(false),
            retention: c.backup_retention_period().unwrap_or(0),
            pending_retention: c
                .pending_modified_values()
                .and_then(|p| p.backup_retention_period()),
            status: c.status().unwrap_or("unknown").to_owned(),
            cluster: None,
            tags: tag_map(c.tag_list().iter().map(|t| (t.key(), t.value()))),
        })),
        Err(err) if code(&err).starts_with("DBClusterNotFound") => Ok(None),
        Err(err) => Err(reason(&err)),
    }
}

async fn database(clients: &Clients, suspect: &Suspect, config: &Config) -> Reading {
    let id = suspect.id.as_str();
    let state = if suspect.resource_type == "Aurora" {
        describe_cluster(clients, id).await
    } else {
        match clients
            .rds()
            .describe_db_instances()
            .db_instance_identifier(id)
            .send()
            .await
        {
            Ok(out) => Ok(out.db_instances().first().map(|i| DbState {
                arn: i.db_instance_arn().map(str::to_owned),
                deletion_protection: i.deletion_protection().unwrap_or(false),
                retention: i.backup_retention_period().unwrap_or(0),
                pending_retention: i
                    .pending_modified_values()
                    .and_then(|p| p.backup_retention_period()),
                status: i.db_instance_status().unwrap_or("unknown").to_owned(),
                cluster: i.db_cluster_identifier().map(str::to_owned),
                tags: tag_map(i.tag_list().iter().map(|t| (t.key(), t.value()))),
            })),
            Err(err) if code(&err).starts_with("DBInstanceNotFound") => Ok(None),
            Err(err) => Err(reason(&err)),
        }
    };
    let mut state = match state {
        Err(why) => return Reading::failed("DescribeDBInstances/DescribeDBClusters", why),
        Ok(None) => {
            return Reading::either(
                suspect.role == catalog::Role::Weakens,
                format!("{id} no longer exists"),
            );
        }
        Ok(Some(state)) => state,
    };
    // The instance's or cluster's own ARN, whatever the cluster read below adds.
    let own_arn = state.arn.clone();
    // For Aurora members, protection and backups live on the cluster.
    if let Some(cluster) = state.cluster.clone()
        && suspect.check != catalog::DB_DELETED
    {
        match describe_cluster(clients, &cluster).await {
            Ok(Some(c)) => {
                let tags = std::mem::take(&mut state.tags);
                state = DbState {
                    tags: if c.tags.is_empty() { tags } else { c.tags },
                    cluster: Some(cluster),
                    ..c
                };
            }
            Ok(None) => {}
            Err(why) => return Reading::failed("DescribeDBClusters", why),
        }
    }
    let via = state
        .cluster
        .as_deref()
        .map_or_else(String::new, |c| format!(" (on its cluster {c})"));
    let reading = match suspect.check {
        catalog::DELETION_PROTECTION_OFF => Reading::either(
            !state.deletion_protection,
            format!(
                "deletion protection is {}{via}",
                if state.deletion_protection {
                    "on"
                } else {
                    "OFF"
                }
            ),
        ),
        catalog::BACKUP_RETENTION_LOW => {
            let effective = state.pending_retention.unwrap_or(state.retention);
            let pending = if state.pending_retention.is_some() {
                " (pending, applied in the next maintenance window)"
            } else {
                ""
            };
            Reading::either(
                i64::from(effective)
                    < i64::try_from(config.min_backup_retention_days).unwrap_or(i64::MAX),
                format!("automated backup retention is {effective} days{pending}{via}"),
            )
        }
        _ => {
            let gone = state.status.eq_ignore_ascii_case("deleting");
            Reading::either(gone, format!("status is {}", state.status))
        }
    };
    let mut reading = reading.with_tags(Some(state.tags));
    reading.arn = own_arn;
    reading
}

async fn file_system(clients: &Clients, suspect: &Suspect) -> Reading {
    let id = suspect.id.as_str();
    let described = clients
        .efs()
        .describe_file_systems()
        .file_system_id(id)
        .send()
        .await;
    let fs = match described {
        Ok(out) => out.file_systems().first().cloned(),
        Err(err) if code(&err) == "FileSystemNotFound" => None,
        Err(err) => return Reading::failed("DescribeFileSystems", reason(&err)),
    };
    let Some(fs) = fs else {
        return Reading::either(
            suspect.role == catalog::Role::Weakens,
            format!("file system {id} no longer exists"),
        );
    };
    let tags = Some(
        fs.tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect(),
    );
    if suspect.check == catalog::EFS_DELETED {
        let state = fs.life_cycle_state().as_str().to_owned();
        return Reading::either(
            state.eq_ignore_ascii_case("deleting") || state.eq_ignore_ascii_case("deleted"),
            format!("file system is {state}"),
        )
        .with_tags(tags);
    }
    match clients
        .efs()
        .describe_backup_policy()
        .file_system_id(id)
        .send()
        .await
    {
        Ok(out) => {
            let status = out
                .backup_policy()
                .map_or("DISABLED", |p| p.status().as_str())
                .to_owned();
            Reading::either(
                status.starts_with("DISABL"),
                format!("automatic backups are {status}"),
            )
            .with_tags(tags)
        }
        Err(err) if code(&err) == "PolicyNotFound" => {
            Reading::holds("no automatic backup policy").with_tags(tags)
        }
        Err(err) => Reading::failed("DescribeBackupPolicy", reason(&err)).with_tags(tags),
    }
}

/// A table's point-in-time recovery or deletion protection as it is now
/// ([`phoenix_account::tables`]); a table that no longer exists holds the weakening.
async fn table(clients: &Clients, suspect: &Suspect) -> Reading {
    use phoenix_account::tables;
    let name = suspect.id.as_str();
    let (read, what) = if suspect.check == catalog::PITR_OFF {
        (
            tables::point_in_time_recovery(clients.dynamodb(), name).await,
            "point-in-time recovery",
        )
    } else {
        (
            tables::deletion_protection(clients.dynamodb(), name).await,
            "deletion protection",
        )
    };
    match read {
        Ok(Some(on)) => {
            Reading::either(!on, format!("{what} is {}", if on { "on" } else { "OFF" }))
        }
        Ok(None) => Reading::either(
            suspect.role == catalog::Role::Weakens,
            format!("table {name} no longer exists"),
        ),
        Err(failure) => Reading::failed(failure.operation, failure.reason),
    }
}

async fn vault(clients: &Clients, suspect: &Suspect) -> Reading {
    let name = suspect.id.as_str();
    match clients
        .backup()
        .describe_backup_vault()
        .backup_vault_name(name)
        .send()
        .await
    {
        Ok(out) => {
            let tags = match out.backup_vault_arn() {
                Some(arn) => clients
                    .backup()
                    .list_tags()
                    .resource_arn(arn)
                    .send()
                    .await
                    .ok()
                    .map(|t| {
                        t.tags()
                            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                            .unwrap_or_default()
                    }),
                None => None,
            };
            let arn = out.backup_vault_arn().map(str::to_owned);
            let reading = if suspect.check == catalog::VAULT_DELETED {
                Reading::restored(format!("a vault named {name} exists again"))
            } else {
                let locked = out.locked().unwrap_or(false);
                Reading::either(
                    !locked,
                    format!("vault lock is {}", if locked { "on" } else { "OFF" }),
                )
            };
            let mut reading = reading.with_tags(tags);
            reading.arn = arn;
            reading
        }
        Err(err) if code(&err) == "ResourceNotFoundException" => Reading::either(
            suspect.role == catalog::Role::Weakens,
            format!("vault {name} does not exist"),
        ),
        Err(err) => Reading::failed("DescribeBackupVault", reason(&err)),
    }
}

async fn recovery_point(clients: &Clients, suspect: &Suspect) -> Reading {
    let Some(point) = suspect.aux.as_deref() else {
        return Reading::new(Verdict::NotChecked, "no recovery point ARN to read");
    };
    match clients
        .backup()
        .describe_recovery_point()
        .backup_vault_name(&suspect.id)
        .recovery_point_arn(point)
        .send()
        .await
    {
        Ok(out) => {
            let status = out.status().map_or("unknown", |s| s.as_str()).to_owned();
            Reading::either(
                !matches!(status.as_str(), "COMPLETED" | "PARTIAL"),
                format!("recovery point is {status}"),
            )
        }
        Err(err) if code(&err) == "ResourceNotFoundException" => {
            Reading::holds("the recovery point no longer exists")
        }
        Err(err) => Reading::failed("DescribeRecoveryPoint", reason(&err)),
    }
}

async fn plan(clients: &Clients, suspect: &Suspect, config: &Config, at: Timestamp) -> Reading {
    match clients
        .backup()
        .get_backup_plan()
        .backup_plan_id(&suspect.id)
        .send()
        .await
    {
        Ok(out) => {
            if suspect.check == catalog::PLAN_DELETED {
                return if out.deletion_date().is_some() {
                    Reading::holds("the plan is deleted")
                } else {
                    Reading::restored("the plan exists")
                };
            }
            let rules: Vec<PlanRule> = out
                .backup_plan()
                .map(|p| {
                    p.rules()
                        .iter()
                        .map(|r| PlanRule {
                            name: r.rule_name().to_owned(),
                            schedule: r.schedule_expression().map(str::to_owned),
                            delete_after_days: r.lifecycle().and_then(|l| l.delete_after_days()),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let problems = policy::assess_plan(&rules, config, at);
            if problems.is_empty() {
                Reading::restored("the plan is within policy now")
            } else {
                Reading::holds(problems.join("; "))
            }
        }
        Err(err) if code(&err) == "ResourceNotFoundException" => Reading::either(
            suspect.role == catalog::Role::Weakens,
            "the plan does not exist",
        ),
        Err(err) => Reading::failed("GetBackupPlan", reason(&err)),
    }
}

async fn selection(clients: &Clients, suspect: &Suspect) -> Reading {
    let Some(selection) = suspect.aux.as_deref() else {
        return Reading::new(Verdict::NotChecked, "no selection id to read");
    };
    match clients
        .backup()
        .get_backup_selection()
        .backup_plan_id(&suspect.id)
        .selection_id(selection)
        .send()
        .await
    {
        Ok(_) => Reading::restored("the selection exists"),
        Err(err) if code(&err) == "ResourceNotFoundException" => {
            Reading::holds("the selection no longer exists")
        }
        Err(err) => Reading::failed("GetBackupSelection", reason(&err)),
    }
}

async fn region_setting(clients: &Clients, suspect: &Suspect) -> Reading {
    match clients.backup().describe_region_settings().send().await {
        Ok(out) => {
            let opted_in = out
                .resource_type_opt_in_preference()
                .and_then(|m| {
                    m.iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(&suspect.id))
                        .map(|(_, v)| *v)
                })
                .unwrap_or(true);
            Reading::either(
                !opted_in,
                format!(
                    "{} is opted {}",
                    suspect.id,
                    if opted_in { "in" } else { "OUT" }
                ),
            )
        }
        Err(err) => Reading::failed("DescribeRegionSettings", reason(&err)),
    }
}

async fn key(clients: &Clients, suspect: &Suspect) -> Reading {
    let id = suspect.resource.as_str();
    let key = match phoenix_account::keys::describe(clients.kms(), id).await {
        Ok(Some(key)) => key,
        Ok(None) => return Reading::holds("the key no longer exists"),
        Err(failure) => return Reading::failed(failure.operation, failure.reason),
    };
    let state = key.state.as_str();
    let tags = match clients
        .kms()
        .list_resource_tags()
        .key_id(&key.key_id)
        .send()
        .await
    {
        Ok(out) => Some(
            out.tags()
                .iter()
                .map(|t| (t.tag_key().to_owned(), t.tag_value().to_owned()))
                .collect(),
        ),
        Err(err) => {
            tracing::warn!(key = id, error = %reason(&err), "key tags unreadable");
            None
        }
    };
    let weak = match suspect.check {
        catalog::KEY_DELETION_SCHEDULED => {
            state == "PendingDeletion" || state == "PendingReplicaDeletion"
        }
        _ => state == "Disabled",
    };
    let mut seen = format!("key state is {state}");
    if let Some(date) = key.deletion_date {
        seen.push_str(&format!(", deletion on {date}"));
    }
    let mut reading = Reading::either(weak, seen).with_tags(tags);
    reading.arn = key.arn;
    reading
}

async fn secret(clients: &Clients, suspect: &Suspect, config: &Config) -> Reading {
    let id = suspect.id.as_str();
    let out = match clients
        .secrets()
        .describe_secret()
        .secret_id(id)
        .send()
        .await
    {
        Ok(out) => out,
        Err(err) if code(&err) == "ResourceNotFoundException" => {
            return Reading::either(
                suspect.role == catalog::Role::Weakens,
                format!("secret {id} no longer exists"),
            );
        }
        Err(err) => return Reading::failed("DescribeSecret", reason(&err)),
    };
    let tags = tag_map(out.tags().iter().map(|t| (t.key(), t.value())));
    let arn = out.arn().map(str::to_owned);
    let name = out.name().unwrap_or(id).to_owned();
    let mut reading = if suspect.check == catalog::SECRET_DELETED {
        match out.deleted_date() {
            Some(date) => Reading::holds(format!(
                "the secret is scheduled for deletion (marked {})",
                Timestamp::from_epoch_seconds(date.secs())
            )),
            None => Reading::restored("the secret is not scheduled for deletion"),
        }
    } else {
        let is_key = phoenix_shared::tags::is_true(
            tags.get(phoenix_shared::tags::ENCRYPTION_KEY)
                .map(String::as_str),
        ) || config.is_configured_key_secret(&name)
            || arn
                .as_deref()
                .is_some_and(|a| config.is_configured_key_secret(a));
        if !is_key {
            Reading::new(
                Verdict::Irrelevant(format!(
                    "secret {name} is not an encryption-key secret (no phoenix:encryption-key=true tag, not in PHOENIX_ENCRYPTION_KEY_SECRETS)"
                )),
                "not an encryption key",
            )
        } else {
            let stages = out.version_ids_to_stages();
            let previous_version = stages.and_then(|m| {
                m.iter()
                    .find(|(_, s)| s.iter().any(|x| x == "AWSPREVIOUS"))
                    .map(|(v, _)| v.clone())
            });
            let previous = previous_version.is_some();
            let versions = stages.map_or(0, |m| m.len());
            let mut r = Reading::holds(if previous {
                format!(
                    "a new AWSCURRENT version; the previous key is still kept as AWSPREVIOUS ({versions} versions)"
                )
            } else {
                format!(
                    "a new AWSCURRENT version and NO previous version is kept ({versions} versions): the old key is gone"
                )
            });
            // The old key can still be read: serious, not yet lost.
            r.severity = Some(if previous {
                Severity::Error
            } else {
                Severity::Critical
            });
            let mut labelled: Vec<String> = stages
                .map(|m| {
                    m.iter()
                        .filter(|(_, s)| !s.is_empty())
                        .map(|(v, _)| v.clone())
                        .collect()
                })
                .unwrap_or_default();
            labelled.sort();
            r.key_versions = Some(KeyVersions {
                labelled,
                previous: previous_version,
            });
            r
        }
    };
    reading.tags = Some(tags);
    reading.arn = arn;
    reading
}

async fn trail(clients: &Clients, suspect: &Suspect) -> Reading {
    let name = suspect.id.as_str();
    let logging = match phoenix_account::trails::logging(clients.cloudtrail(), name).await {
        Ok(Some(logging)) => logging,
        Ok(None) => {
            return Reading::either(
                suspect.role == catalog::Role::Weakens,
                format!("trail {name} does not exist"),
            );
        }
        Err(failure) => return Reading::failed(failure.operation, failure.reason),
    };
    match suspect.check {
        catalog::TRAIL_DELETED => {
            Reading::restored(format!("a trail named {name} exists (logging: {logging})"))
        }
        catalog::TRAIL_STOPPED => Reading::either(
            !logging,
            format!(
                "the trail is {}",
                if logging { "logging" } else { "NOT logging" }
            ),
        ),
        _ if !logging => Reading::holds("the trail is NOT logging"),
        _ => match clients
            .cloudtrail()
            .get_event_selectors()
            .trail_name(name)
            .send()
            .await
        {
            Ok(out) => {
                if policy::selectors_keep_management_writes(&selectors_json(&out)) {
                    match suspect.role {
                        catalog::Role::Restores => {
                            Reading::restored("the trail logs management write events")
                        }
                        catalog::Role::Weakens => Reading::new(
                            Verdict::Irrelevant(
                                "the trail still logs management write events".to_owned(),
                            ),
                            "logging, management events selected",
                        ),
                    }
                } else {
                    Reading::holds("the trail logs, but no longer management write events")
                }
            }
            Err(err) => Reading::failed("GetEventSelectors", reason(&err)),
        },
    }
}

/// A trail's selectors in the shape CloudTrail logs them in `PutEventSelectors`, so one
/// evaluator judges both the call and the read. No selectors at all is CloudTrail's default,
/// which logs management events.
fn selectors_json(
    out: &aws_sdk_cloudtrail::operation::get_event_selectors::GetEventSelectorsOutput,
) -> serde_json::Value {
    let mut request = serde_json::Map::new();
    if !out.event_selectors().is_empty() {
        let selectors: Vec<serde_json::Value> = out
            .event_selectors()
            .iter()
            .map(|s| {
                serde_json::json!({
                    "includeManagementEvents": s.include_management_events(),
                    "readWriteType": s.read_write_type().map(|t| t.as_str()),
                })
            })
            .collect();
        request.insert("eventSelectors".to_owned(), selectors.into());
    }
    if !out.advanced_event_selectors().is_empty() {
        let selectors: Vec<serde_json::Value> = out
            .advanced_event_selectors()
            .iter()
            .map(|a| {
                let fields: Vec<serde_json::Value> = a
                    .field_selectors()
                    .iter()
                    .map(|f| serde_json::json!({"field": f.field(), "equals": f.equals()}))
                    .collect();
                serde_json::json!({ "fieldSelectors": fields })
            })
            .collect();
        request.insert("advancedEventSelectors".to_owned(), selectors.into());
    }
    serde_json::Value::Object(request)
}

async fn rule(clients: &Clients, suspect: &Suspect) -> Reading {
    let name = suspect.id.as_str();
    let described = match clients.events().describe_rule().name(name).send().await {
        Ok(out) => out,
        Err(err) if code(&err) == "ResourceNotFoundException" => {
            return Reading::either(
                suspect.role == catalog::Role::Weakens,
                format!("rule {name} does not exist"),
            );
        }
        Err(err) => return Reading::failed("DescribeRule", reason(&err)),
    };
    match suspect.check {
        catalog::GUARD_RULE_DELETED => Reading::restored(format!("rule {name} exists")),
        catalog::GUARD_RULE_DISABLED => {
            let state = described
                .state()
                .map_or("UNKNOWN", |s| s.as_str())
                .to_owned();
            Reading::either(state != "ENABLED", format!("rule {name} is {state}"))
        }
        _ => match clients
            .events()
            .list_targets_by_rule()
            .rule(name)
            .send()
            .await
        {
            Ok(out) => {
                let present: Vec<&str> = out.targets().iter().map(|t| t.id()).collect();
                let removed: Vec<&str> = suspect
                    .aux
                    .as_deref()
                    .unwrap_or_default()
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .collect();
                let missing = if removed.is_empty() {
                    present.is_empty()
                } else {
                    removed.iter().any(|r| !present.contains(r))
                };
                Reading::either(
                    missing,
                    format!(
                        "rule {name} has {} target(s): {}",
                        present.len(),
                        present.join(", ")
                    ),
                )
            }
            Err(err) => Reading::failed("ListTargetsByRule", reason(&err)),
        },
    }
}
