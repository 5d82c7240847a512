//! From a CloudTrail call to what it claims about protection: the [`Suspect`]s, still to be
//! confirmed by reading the resource's current state. Pure: parameters in, claims out.

use crate::call::ApiCall;
use crate::catalog::{self, Class, Handled, Role};
use phoenix_account::policy::{
    LifecycleVerdict, actions, assess_lifecycle, assess_plan, effect,
    lets_anyone_delete_recovery_points, lifecycle_rules_from_json, plan_rules_from_json,
    policy_json, selectors_keep_management_writes, statements,
};
use phoenix_shared::event::{as_bool, boolean, field, number, text};
use phoenix_shared::pattern::glob_match;
use phoenix_shared::{Config, Severity, Timestamp, arn};
use serde_json::{Map, Value, json};

/// What one call claims about one protection of one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Suspect {
    pub check: &'static str,
    pub class: Class,
    /// `Weakens` opens the check once confirmed; `Restores` resolves it.
    pub role: Role,
    /// The resource's ARN (the dedup key's resource).
    pub resource: String,
    /// AWS Backup's type names where they exist (`S3`, `RDS`, `Aurora`, `EFS`, …).
    pub resource_type: &'static str,
    /// The identifier the confirming read takes (bucket, DB id, key id, secret id, …).
    pub id: String,
    /// A second identifier some reads need (recovery point ARN, selection id, target ids).
    pub aux: Option<String>,
    /// What the call did, in words: "suspended versioning on bucket x".
    pub claim: String,
    /// A severity the call itself decides (a forced secret deletion is critical; a deletion
    /// that kept its backups is only recorded).
    pub severity: Option<Severity>,
    /// Facts from the parameters, for the page.
    pub details: Map<String, Value>,
}

/// What a call amounts to before anything is read.
#[derive(Debug, Clone, PartialEq)]
pub enum Classified {
    /// Not a handled call, or one whose parameters change nothing protection cares about.
    Ignored(String),
    Suspects(Vec<Suspect>),
}

/// Why a call cannot be used: it is handled, succeeded, and names no resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable(pub String);

struct Ctx<'a> {
    call: &'a ApiCall,
    row: &'static Handled,
    config: &'a Config,
}

impl Ctx<'_> {
    fn suspect(
        &self,
        check: &'static str,
        role: Role,
        resource: String,
        resource_type: &'static str,
        id: String,
        claim: String,
    ) -> Suspect {
        Suspect {
            check,
            class: self.row.class,
            role,
            resource,
            resource_type,
            id,
            aux: None,
            claim,
            severity: None,
            details: Map::new(),
        }
    }

    fn arn(&self, service: &str, resource: &str) -> String {
        arn::build(service, &self.call.region, &self.call.account, resource)
    }

    /// An ARN AWS returned for this call: a response element, else one of the record's
    /// resources that `fits`. The canonical spelling whenever it is there.
    fn returned_arn(&self, keys: &[&str], fits: impl Fn(&str) -> bool) -> Option<String> {
        self.call
            .answer(keys)
            .filter(|a| a.starts_with("arn:") && fits(a))
            .or_else(|| self.call.resources.iter().find(|r| fits(r)).cloned())
    }

    /// A required parameter, else an ARN from the record's resources that fits.
    fn need(&self, keys: &[&str], what: &str, arn_hint: &str) -> Result<String, Unusable> {
        self.call
            .param(keys)
            .or_else(|| {
                self.call
                    .resources
                    .iter()
                    .find(|r| r.contains(arn_hint))
                    .cloned()
            })
            .ok_or_else(|| {
                Unusable(format!(
                    "{} names no {what} (requestParameters.{})",
                    self.call.event_name,
                    keys.join(" / ")
                ))
            })
    }
}

/// Classifies a call. Failed calls are classified too (their resource is still of
/// interest: someone tried); the caller decides what a failure means.
pub fn classify(call: &ApiCall, config: &Config) -> Result<Classified, Unusable> {
    if !call
        .detail_type
        .eq_ignore_ascii_case("AWS API Call via CloudTrail")
    {
        return Ok(Classified::Ignored(format!(
            "{} is not an API call this function acts on",
            call.detail_type
        )));
    }
    let Some(row) = catalog::lookup(&call.source, &call.event_name) else {
        return Ok(Classified::Ignored(format!(
            "{} {} is not a call that weakens or restores protection",
            call.source, call.event_name
        )));
    };
    let ctx = Ctx { call, row, config };
    let suspects = match row.source {
        "aws.s3" => s3(&ctx)?,
        "aws.rds" => rds(&ctx)?,
        "aws.dynamodb" => dynamodb(&ctx)?,
        "aws.elasticfilesystem" => efs(&ctx)?,
        "aws.backup" => backup(&ctx)?,
        "aws.kms" => kms(&ctx)?,
        "aws.secretsmanager" => secrets(&ctx)?,
        "aws.cloudtrail" => cloudtrail(&ctx)?,
        _ => guard_resources(&ctx)?,
    };
    Ok(match suspects {
        Err(why) => Classified::Ignored(why),
        Ok(list) if list.is_empty() => Classified::Ignored(format!(
            "{} changed nothing protection depends on",
            call.event_name
        )),
        Ok(list) => Classified::Suspects(list),
    })
}

type Outcome = Result<Result<Vec<Suspect>, String>, Unusable>;

fn s3(ctx: &Ctx<'_>) -> Outcome {
    let bucket = ctx.need(&["bucketName", "bucket"], "bucket", ":s3:")?;
    let arn = arn::bucket(&bucket, &ctx.call.region);
    let bucket = arn::bucket_name(&bucket);
    let make = |check, role, claim: String| {
        ctx.suspect(check, role, arn.clone(), "S3", bucket.clone(), claim)
    };
    let min_days = ctx.config.min_version_retention_days;
    let suspect = match ctx.call.event_name.as_str() {
        "PutBucketVersioning" => {
            let configuration =
                field(&ctx.call.request, "VersioningConfiguration").unwrap_or(&Value::Null);
            match text(configuration, &["Status"])
                .map(|s| s.to_ascii_lowercase())
                .as_deref()
            {
                Some("suspended") => make(
                    catalog::VERSIONING_SUSPENDED,
                    Role::Weakens,
                    format!("suspended versioning on bucket {bucket}"),
                ),
                Some("enabled") => make(
                    catalog::VERSIONING_SUSPENDED,
                    Role::Restores,
                    format!("enabled versioning on bucket {bucket}"),
                ),
                _ => {
                    return Ok(Err(
                        "versioning status not changed (MFA delete only)".to_owned()
                    ));
                }
            }
        }
        "PutBucketLifecycle" => {
            let configuration =
                field(&ctx.call.request, "LifecycleConfiguration").unwrap_or(&Value::Null);
            let rules = lifecycle_rules_from_json(
                field(configuration, "Rule").or_else(|| field(configuration, "Rules")),
            );
            let verdict = assess_lifecycle(&rules, min_days);
            let mut s = match &verdict {
                LifecycleVerdict::Keeps => make(
                    catalog::LIFECYCLE_WEAKENED,
                    Role::Restores,
                    format!(
                        "set a lifecycle on bucket {bucket} that keeps noncurrent versions {min_days}+ days"
                    ),
                ),
                LifecycleVerdict::Deletes(why) => make(
                    catalog::LIFECYCLE_WEAKENED,
                    Role::Weakens,
                    format!("set a lifecycle on bucket {bucket} that deletes data early: {why}"),
                ),
                LifecycleVerdict::NoRetentionRule => {
                    let mut s = make(
                        catalog::LIFECYCLE_WEAKENED,
                        Role::Weakens,
                        format!(
                            "set a lifecycle on bucket {bucket} with no rule keeping noncurrent versions {min_days}+ days"
                        ),
                    );
                    s.severity = Some(Severity::Warning);
                    s
                }
            };
            s.details
                .insert("lifecycle".to_owned(), json!(verdict.describe()));
            s
        }
        "DeleteBucketLifecycle" => {
            let mut s = make(
                catalog::LIFECYCLE_WEAKENED,
                Role::Weakens,
                format!("deleted the lifecycle configuration of bucket {bucket}"),
            );
            // Nothing expires now, so nothing is lost; the retention policy is not met.
            s.severity = Some(Severity::Warning);
            s
        }
        "DeleteBucket" => make(
            catalog::BUCKET_DELETED,
            Role::Weakens,
            format!("deleted bucket {bucket}"),
        ),
        "PutObjectLockConfiguration" => {
            let configuration =
                field(&ctx.call.request, "ObjectLockConfiguration").unwrap_or(&Value::Null);
            let retention = field(configuration, "Rule")
                .and_then(|rule| field(rule, "DefaultRetention"))
                .unwrap_or(&Value::Null);
            let days = number(retention, &["Days"])
                .or_else(|| number(retention, &["Years"]).map(|y| y * 365.0));
            let mode = text(retention, &["Mode"]).unwrap_or_default();
            let keeps = days.is_some_and(|d| d >= min_days as f64);
            let mut s = match days {
                Some(d) if keeps => make(
                    catalog::OBJECT_LOCK_WEAKENED,
                    Role::Restores,
                    format!("set a {mode} default retention of {d} days on bucket {bucket}"),
                ),
                Some(d) => make(
                    catalog::OBJECT_LOCK_WEAKENED,
                    Role::Weakens,
                    format!(
                        "shortened the default Object Lock retention of bucket {bucket} to {d} days (policy: at least {min_days})"
                    ),
                ),
                None => make(
                    catalog::OBJECT_LOCK_WEAKENED,
                    Role::Weakens,
                    format!("removed the default Object Lock retention of bucket {bucket}"),
                ),
            };
            if let Some(d) = days {
                s.details
                    .insert("defaultRetentionDays".to_owned(), json!(d));
            }
            s
        }
        "PutBucketPolicy" => {
            let policy = policy_json(
                field(&ctx.call.request, "bucketPolicy")
                    .or_else(|| field(&ctx.call.request, "policy")),
            );
            let denies = statements(&policy).iter().any(|st| {
                effect(st) == "deny"
                    && (field(st, "NotAction").is_some()
                        || actions(st)
                            .iter()
                            .any(|a| GUARD_S3_READS.iter().any(|read| glob_match(a, read, true))))
            });
            if denies {
                make(
                    catalog::POLICY_BLINDS_GUARD,
                    Role::Weakens,
                    format!(
                        "set a policy on bucket {bucket} that denies reads of its protection settings"
                    ),
                )
            } else {
                make(
                    catalog::POLICY_BLINDS_GUARD,
                    Role::Restores,
                    format!("set a policy on bucket {bucket} that does not deny the guard's reads"),
                )
            }
        }
        "DeleteBucketPolicy" => make(
            catalog::POLICY_BLINDS_GUARD,
            Role::Restores,
            format!("deleted the policy of bucket {bucket}"),
        ),
        _ => return Ok(Err("not an S3 call this function reads".to_owned())),
    };
    Ok(Ok(vec![suspect]))
}

/// The reads `protection-guard` and the readiness audit make on a bucket.
pub const GUARD_S3_READS: &[&str] = &[
    "s3:GetBucketVersioning",
    "s3:GetLifecycleConfiguration",
    "s3:GetBucketTagging",
];

/// A table's point-in-time recovery (`UpdateContinuousBackups`) or deletion protection
/// (`UpdateTable`) turned off or on; an `UpdateTable` that changes neither is ignored.
fn dynamodb(ctx: &Ctx<'_>) -> Outcome {
    let given = ctx.need(&["tableName", "tableArn"], "table", ":table/")?;
    let arn = ctx
        .returned_arn(&["tableArn"], |a| {
            a.contains(":dynamodb:") && a.contains(":table/")
        })
        .or_else(|| given.starts_with("arn:").then(|| given.clone()))
        .unwrap_or_else(|| ctx.arn("dynamodb", &format!("table/{given}")));
    let table = arn.rsplit('/').next().unwrap_or(&given).to_owned();
    let (check, flag, what) = if ctx.call.event_name == "UpdateContinuousBackups" {
        let spec =
            field(&ctx.call.request, "pointInTimeRecoverySpecification").unwrap_or(&Value::Null);
        (
            catalog::PITR_OFF,
            boolean(spec, &["pointInTimeRecoveryEnabled"]),
            "point-in-time recovery",
        )
    } else {
        (
            catalog::TABLE_DELETION_PROTECTION_OFF,
            boolean(&ctx.call.request, &["deletionProtectionEnabled"]),
            "deletion protection",
        )
    };
    let (role, claim) = match flag {
        Some(false) => (Role::Weakens, format!("turned {what} OFF on table {table}")),
        Some(true) => (
            Role::Restores,
            format!("turned {what} on for table {table}"),
        ),
        None => return Ok(Err(format!("{what} of table {table} not changed"))),
    };
    Ok(Ok(vec![
        ctx.suspect(check, role, arn, "DynamoDB", table, claim),
    ]))
}

fn rds(ctx: &Ctx<'_>) -> Outcome {
    let name = ctx.call.event_name.as_str();
    let cluster = name.contains("Cluster");
    let (kind, rtype) = if cluster {
        ("cluster", "Aurora")
    } else {
        ("db", "RDS")
    };
    if name.ends_with("AutomatedBackup") {
        let id = if cluster {
            ctx.need(
                &["dbClusterResourceId", "dBClusterAutomatedBackupsArn"],
                "automated backup",
                "cluster-auto-backup",
            )?
        } else {
            ctx.need(
                &["dbiResourceId", "dBInstanceAutomatedBackupsArn"],
                "automated backup",
                "auto-backup",
            )?
        };
        let resource = if id.starts_with("arn:") {
            id.clone()
        } else {
            ctx.arn(
                "rds",
                &format!(
                    "{}:{id}",
                    if cluster {
                        "cluster-auto-backup"
                    } else {
                        "auto-backup"
                    }
                ),
            )
        };
        let s = ctx.suspect(
            catalog::AUTOMATED_BACKUPS_DELETED,
            Role::Weakens,
            resource,
            rtype,
            id.clone(),
            format!("deleted the retained automated backups of {id}"),
        );
        return Ok(Ok(vec![s]));
    }
    let id_keys: &[&str] = if cluster {
        &["dBClusterIdentifier", "dbClusterIdentifier"]
    } else {
        &["dBInstanceIdentifier", "dbInstanceIdentifier"]
    };
    let given = ctx.need(
        id_keys,
        if cluster { "DB cluster" } else { "DB instance" },
        &format!(":{kind}:"),
    )?;
    // AWS stores identifiers in lower case: the response and every read spell it so.
    let arn = ctx
        .returned_arn(
            if cluster {
                &["dBClusterArn", "dbClusterArn"]
            } else {
                &["dBInstanceArn", "dbInstanceArn"]
            },
            |a| a.contains(":rds:") && a.contains(&format!(":{kind}:")),
        )
        .unwrap_or_else(|| given.clone());
    let arn = arn::rds(kind, &arn, &ctx.call.region, &ctx.call.account);
    let id = arn::rds_id(&arn);
    let what = if cluster { "DB cluster" } else { "DB instance" };
    let mut out = Vec::new();
    if name.starts_with("Modify") {
        match boolean(&ctx.call.request, &["deletionProtection"]) {
            Some(false) => out.push(ctx.suspect(
                catalog::DELETION_PROTECTION_OFF,
                Role::Weakens,
                arn.clone(),
                rtype,
                id.clone(),
                format!("turned deletion protection OFF on {what} {id}"),
            )),
            Some(true) => out.push(ctx.suspect(
                catalog::DELETION_PROTECTION_OFF,
                Role::Restores,
                arn.clone(),
                rtype,
                id.clone(),
                format!("turned deletion protection on for {what} {id}"),
            )),
            None => {}
        }
        if let Some(days) = number(&ctx.call.request, &["backupRetentionPeriod"]) {
            let min = ctx.config.min_backup_retention_days as f64;
            let mut s = if days < min {
                let claim = if days <= 0.0 {
                    format!("DISABLED automated backups of {what} {id} (retention 0)")
                } else {
                    format!(
                        "lowered automated backup retention of {what} {id} to {days} days (policy: at least {min})"
                    )
                };
                ctx.suspect(
                    catalog::BACKUP_RETENTION_LOW,
                    Role::Weakens,
                    arn.clone(),
                    rtype,
                    id.clone(),
                    claim,
                )
            } else {
                ctx.suspect(
                    catalog::BACKUP_RETENTION_LOW,
                    Role::Restores,
                    arn.clone(),
                    rtype,
                    id.clone(),
                    format!("set automated backup retention of {what} {id} to {days} days"),
                )
            };
            s.details
                .insert("backupRetentionPeriod".to_owned(), json!(days));
            if let Some(now) = boolean(&ctx.call.request, &["applyImmediately"]) {
                s.details.insert("applyImmediately".to_owned(), json!(now));
            }
            out.push(s);
        }
        return Ok(Ok(out));
    }
    // DeleteDBInstance / DeleteDBCluster.
    let skip = boolean(&ctx.call.request, &["skipFinalSnapshot"]).unwrap_or(false);
    let final_snapshot = ctx.call.param(&[
        "finalDBSnapshotIdentifier",
        "finalDBClusterSnapshotIdentifier",
    ]);
    // Absent means the API default, which deletes them.
    let delete_backups = boolean(&ctx.call.request, &["deleteAutomatedBackups"]).unwrap_or(true);
    let member_of = if cluster {
        None
    } else {
        ctx.call
            .answer(&["dBClusterIdentifier", "dbClusterIdentifier"])
    };
    let mut problems = Vec::new();
    if skip || final_snapshot.is_none() {
        problems.push("no final snapshot");
    }
    if delete_backups {
        problems.push("automated backups deleted with it");
    }
    let mut s = ctx.suspect(
        catalog::DB_DELETED,
        Role::Weakens,
        arn,
        rtype,
        id.clone(),
        String::new(),
    );
    if let Some(cluster_id) = &member_of {
        s.claim = format!(
            "deleted DB instance {id}, a member of cluster {cluster_id} (the data lives in the cluster)"
        );
        s.severity = Some(Severity::Info);
    } else if problems.is_empty() {
        s.claim =
            format!("deleted {what} {id} with a final snapshot and its automated backups kept");
        s.severity = Some(Severity::Info);
    } else {
        s.claim = format!("deleted {what} {id}: {}", problems.join(", "));
    }
    for (key, value) in [
        ("skipFinalSnapshot", json!(skip)),
        ("deleteAutomatedBackups", json!(delete_backups)),
    ] {
        s.details.insert(key.to_owned(), value);
    }
    if let Some(snapshot) = final_snapshot {
        s.details
            .insert("finalSnapshot".to_owned(), json!(snapshot));
    }
    Ok(Ok(vec![s]))
}

fn efs(ctx: &Ctx<'_>) -> Outcome {
    let id = ctx.need(&["fileSystemId"], "file system", "file-system/")?;
    let id = id.rsplit('/').next().unwrap_or(&id).to_ascii_lowercase();
    let arn = ctx
        .returned_arn(&["fileSystemArn"], |a| {
            a.ends_with(&format!("file-system/{id}"))
        })
        .unwrap_or_else(|| ctx.arn("elasticfilesystem", &format!("file-system/{id}")));
    let s = match ctx.call.event_name.as_str() {
        "DeleteFileSystem" => ctx.suspect(
            catalog::EFS_DELETED,
            Role::Weakens,
            arn,
            "EFS",
            id.clone(),
            format!("deleted EFS file system {id}"),
        ),
        _ => {
            let policy = field(&ctx.call.request, "backupPolicy").unwrap_or(&Value::Null);
            match text(policy, &["status"])
                .map(|s| s.to_ascii_uppercase())
                .as_deref()
            {
                Some("DISABLED" | "DISABLING") => ctx.suspect(
                    catalog::EFS_BACKUP_DISABLED,
                    Role::Weakens,
                    arn,
                    "EFS",
                    id.clone(),
                    format!("disabled automatic backups of EFS file system {id}"),
                ),
                Some("ENABLED" | "ENABLING") => ctx.suspect(
                    catalog::EFS_BACKUP_DISABLED,
                    Role::Restores,
                    arn,
                    "EFS",
                    id.clone(),
                    format!("enabled automatic backups of EFS file system {id}"),
                ),
                _ => return Ok(Err("backup policy without a status".to_owned())),
            }
        }
    };
    Ok(Ok(vec![s]))
}

fn backup(ctx: &Ctx<'_>) -> Outcome {
    let vault = || {
        ctx.need(&["backupVaultName"], "backup vault", ":backup-vault:")
            .map(|v| arn::vault_name(&v))
    };
    let vault_arn = |name: &str| arn::vault(name, &ctx.call.region, &ctx.call.account);
    let suspects = match ctx.call.event_name.as_str() {
        "DeleteBackupVault" => {
            let name = vault()?;
            vec![ctx.suspect(
                catalog::VAULT_DELETED,
                Role::Weakens,
                vault_arn(&name),
                "BackupVault",
                name.clone(),
                format!("deleted backup vault {name}"),
            )]
        }
        "DeleteRecoveryPoint" => {
            let name = vault()?;
            let point = ctx.need(&["recoveryPointArn"], "recovery point", ":recovery-point:")?;
            let mut s = ctx.suspect(
                catalog::RECOVERY_POINT_DELETED,
                Role::Weakens,
                point.clone(),
                "RecoveryPoint",
                name.clone(),
                format!("deleted recovery point {point} from vault {name}"),
            );
            s.aux = Some(point);
            vec![s]
        }
        "DeleteBackupPlan" => {
            let id = ctx.need(&["backupPlanId"], "backup plan", ":backup-plan:")?;
            let id = id.rsplit(':').next().unwrap_or(&id).to_owned();
            vec![ctx.suspect(
                catalog::PLAN_DELETED,
                Role::Weakens,
                ctx.arn("backup", &format!("backup-plan:{id}")),
                "BackupPlan",
                id.clone(),
                format!("deleted backup plan {id}"),
            )]
        }
        "DeleteBackupSelection" => {
            let plan = ctx.need(&["backupPlanId"], "backup plan", ":backup-plan:")?;
            let selection = ctx.need(&["selectionId"], "backup selection", "selection")?;
            let mut s = ctx.suspect(catalog::SELECTION_DELETED, Role::Weakens, ctx.arn("backup", &format!("backup-plan:{plan}/selection/{selection}")), "BackupSelection", plan.clone(), format!("deleted selection {selection} of backup plan {plan}: the resources it chose are no longer backed up by it"));
            s.aux = Some(selection);
            vec![s]
        }
        "UpdateBackupPlan" => {
            let id = ctx.need(&["backupPlanId"], "backup plan", ":backup-plan:")?;
            let plan = field(&ctx.call.request, "backupPlan").unwrap_or(&Value::Null);
            let rules = plan_rules_from_json(field(plan, "rules"));
            let arn = ctx.arn("backup", &format!("backup-plan:{id}"));
            let at = ctx.call.time.unwrap_or_else(Timestamp::now);
            let problems = assess_plan(&rules, ctx.config, at);
            let mut s = if problems.is_empty() {
                ctx.suspect(
                    catalog::PLAN_WEAKENED,
                    Role::Restores,
                    arn,
                    "BackupPlan",
                    id.clone(),
                    format!("updated backup plan {id} within policy"),
                )
            } else {
                ctx.suspect(
                    catalog::PLAN_WEAKENED,
                    Role::Weakens,
                    arn,
                    "BackupPlan",
                    id.clone(),
                    format!("weakened backup plan {id}: {}", problems.join("; ")),
                )
            };
            s.details.insert("rules".to_owned(), json!(rules.len()));
            vec![s]
        }
        "DeleteBackupVaultLockConfiguration" | "PutBackupVaultLockConfiguration" => {
            let name = vault()?;
            let (role, claim) = if ctx.call.event_name.starts_with("Delete") {
                (
                    Role::Weakens,
                    format!(
                        "removed the vault lock of backup vault {name}: its recovery points can be deleted again"
                    ),
                )
            } else {
                (Role::Restores, format!("locked backup vault {name}"))
            };
            vec![ctx.suspect(
                catalog::VAULT_LOCK_REMOVED,
                role,
                vault_arn(&name),
                "BackupVault",
                name.clone(),
                claim,
            )]
        }
        "PutBackupVaultAccessPolicy" => {
            let name = vault()?;
            let policy = policy_json(field(&ctx.call.request, "policy"));
            let open = lets_anyone_delete_recovery_points(&policy);
            let (role, claim) = if open {
                (
                    Role::Weakens,
                    format!(
                        "set an access policy on backup vault {name} that lets anyone delete its recovery points"
                    ),
                )
            } else {
                (
                    Role::Restores,
                    format!(
                        "set an access policy on backup vault {name} that does not let anyone delete its recovery points"
                    ),
                )
            };
            vec![ctx.suspect(
                catalog::VAULT_POLICY_OPEN,
                role,
                vault_arn(&name),
                "BackupVault",
                name.clone(),
                claim,
            )]
        }
        _ => {
            // UpdateRegionSettings: one suspect per required type it names.
            let Some(Value::Object(preferences)) =
                field(&ctx.call.request, "resourceTypeOptInPreference")
            else {
                return Ok(Err(
                    "region settings change without resourceTypeOptInPreference".to_owned(),
                ));
            };
            preferences
                .iter()
                .filter(|(t, _)| ctx.config.is_required_type(t))
                .filter_map(|(t, v)| Some((t, as_bool(v)?)))
                .map(|(t, opted_in)| {
                    let resource = ctx.arn("backup", &format!("region-setting/{t}"));
                    let (role, claim) = if opted_in {
                        (Role::Restores, format!("opted {t} back in to AWS Backup in {}", ctx.call.region))
                    } else {
                        (Role::Weakens, format!("opted {t} OUT of AWS Backup in {}: no {t} resource there is backed up any more", ctx.call.region))
                    };
                    ctx.suspect(catalog::REGION_OPT_OUT, role, resource, "RegionSetting", t.clone(), claim)
                })
                .collect()
        }
    };
    Ok(Ok(suspects))
}

fn kms(ctx: &Ctx<'_>) -> Outcome {
    // The key ARN AWS returned (response element, the record's resources) is the key's one
    // name; an id, alias or alias ARN in the request is only a way of pointing at it.
    let returned = ctx.returned_arn(&["keyId"], arn::is_kms_key_arn);
    let key = match &returned {
        Some(a) => a.clone(),
        None => ctx.need(&["keyId"], "KMS key", ":key/")?,
    };
    let arn = arn::kms_key(&key, &ctx.call.region, &ctx.call.account);
    let (check, role, claim) = match ctx.call.event_name.as_str() {
        "ScheduleKeyDeletion" => {
            let days = ctx
                .call
                .param(&["pendingWindowInDays"])
                .unwrap_or_else(|| "30".to_owned());
            (
                catalog::KEY_DELETION_SCHEDULED,
                Role::Weakens,
                format!(
                    "scheduled KMS key {key} for deletion in {days} days: everything encrypted with it becomes unreadable then"
                ),
            )
        }
        "CancelKeyDeletion" => (
            catalog::KEY_DELETION_SCHEDULED,
            Role::Restores,
            format!("cancelled the deletion of KMS key {key}"),
        ),
        "DisableKey" => (
            catalog::KEY_DISABLED,
            Role::Weakens,
            format!("disabled KMS key {key}"),
        ),
        _ => (
            catalog::KEY_DISABLED,
            Role::Restores,
            format!("enabled KMS key {key}"),
        ),
    };
    let mut s = ctx.suspect(check, role, arn, "KMSKey", key, claim);
    for (from, to) in [("pendingWindowInDays", "pendingWindowInDays")] {
        if let Some(v) = ctx.call.param(&[from]) {
            s.details.insert(to.to_owned(), json!(v));
        }
    }
    if let Some(date) = ctx.call.answer(&["deletionDate"]) {
        s.details.insert("deletionDate".to_owned(), json!(date));
    }
    Ok(Ok(vec![s]))
}

fn secrets(ctx: &Ctx<'_>) -> Outcome {
    let id = ctx.need(&["secretId"], "secret", ":secret:")?;
    // Only AWS knows a secret's full ARN (its random suffix): from the answer or the record's
    // resources; the confirming read supplies it otherwise.
    let arn = ctx
        .returned_arn(&["arn", "aRN", "ARN"], arn::is_full_secret_arn)
        .unwrap_or_else(|| arn::secret(&id, &ctx.call.region, &ctx.call.account));
    let mut s = match ctx.call.event_name.as_str() {
        "DeleteSecret" => {
            let force =
                boolean(&ctx.call.request, &["forceDeleteWithoutRecovery"]).unwrap_or(false);
            let mut s = if force {
                let mut s = ctx.suspect(
                    catalog::SECRET_DELETED,
                    Role::Weakens,
                    arn,
                    "Secret",
                    id.clone(),
                    format!(
                        "FORCE-deleted secret {id} without a recovery window: it cannot be restored"
                    ),
                );
                s.severity = Some(Severity::Critical);
                s
            } else {
                let days = ctx
                    .call
                    .param(&["recoveryWindowInDays"])
                    .unwrap_or_else(|| "30".to_owned());
                let mut s = ctx.suspect(
                    catalog::SECRET_DELETED,
                    Role::Weakens,
                    arn,
                    "Secret",
                    id.clone(),
                    format!("scheduled secret {id} for deletion in {days} days"),
                );
                s.details
                    .insert("recoveryWindowInDays".to_owned(), json!(days));
                s
            };
            s.details
                .insert("forceDeleteWithoutRecovery".to_owned(), json!(force));
            s
        }
        "RestoreSecret" => ctx.suspect(
            catalog::SECRET_DELETED,
            Role::Restores,
            arn,
            "Secret",
            id.clone(),
            format!("restored secret {id}"),
        ),
        name => {
            // A successful UpdateSecret answers with a versionId only when it set a new value;
            // a refused one answers nothing, and counts as an attempt on the value.
            if name == "UpdateSecret"
                && ctx.call.error_code.is_none()
                && ctx.call.answer(&["versionId"]).is_none()
            {
                return Ok(Err(
                    "UpdateSecret changed the secret's metadata, not its value".to_owned(),
                ));
            }
            let verb = match name {
                "RotateSecret" => "rotated",
                "PutSecretValue" => "put a new value into",
                _ => "changed the value of",
            };
            ctx.suspect(catalog::KEY_REGENERATED, Role::Weakens, arn, "Secret", id.clone(), format!("{verb} secret {id}, which holds an encryption key: data encrypted with the previous key needs that key to be restored"))
        }
    };
    if let Some(version) = ctx.call.answer(&["versionId"]) {
        s.details.insert("newVersionId".to_owned(), json!(version));
    }
    Ok(Ok(vec![s]))
}

fn cloudtrail(ctx: &Ctx<'_>) -> Outcome {
    let name = ctx.need(&["name", "trailName"], "trail", ":trail/")?;
    let short = name.rsplit('/').next().unwrap_or(&name).to_owned();
    let arn = if name.starts_with("arn:") {
        name.clone()
    } else {
        ctx.arn("cloudtrail", &format!("trail/{short}"))
    };
    let s = match ctx.call.event_name.as_str() {
        "StopLogging" => ctx.suspect(
            catalog::TRAIL_STOPPED,
            Role::Weakens,
            arn,
            "Trail",
            name,
            format!("stopped CloudTrail trail {short}: Phoenix Guard no longer sees API calls"),
        ),
        "StartLogging" => ctx.suspect(
            catalog::TRAIL_STOPPED,
            Role::Restores,
            arn,
            "Trail",
            name,
            format!("started CloudTrail trail {short}"),
        ),
        "DeleteTrail" => ctx.suspect(
            catalog::TRAIL_DELETED,
            Role::Weakens,
            arn,
            "Trail",
            name,
            format!("deleted CloudTrail trail {short}: Phoenix Guard no longer sees API calls"),
        ),
        "PutEventSelectors" => {
            if selectors_keep_management_writes(&ctx.call.request) {
                ctx.suspect(
                    catalog::TRAIL_WEAKENED,
                    Role::Restores,
                    arn,
                    "Trail",
                    name,
                    format!("set event selectors on trail {short} that log management writes"),
                )
            } else {
                ctx.suspect(catalog::TRAIL_WEAKENED, Role::Weakens, arn, "Trail", name, format!("set event selectors on trail {short} that no longer log management write events: destroy-protection changes go unseen"))
            }
        }
        // UpdateTrail: what matters is whether the trail still logs; the read decides.
        _ => ctx.suspect(
            catalog::TRAIL_WEAKENED,
            Role::Weakens,
            arn,
            "Trail",
            name,
            format!("updated CloudTrail trail {short}"),
        ),
    };
    Ok(Ok(vec![s]))
}

fn guard_resources(ctx: &Ctx<'_>) -> Outcome {
    let event = ctx.call.event_name.as_str();
    if ctx.call.source == "aws.lambda" {
        let name = ctx.need(&["functionName"], "function", ":function:")?;
        let short = name
            .strip_prefix("arn:")
            .map_or(name.as_str(), |_| name.split(':').nth(6).unwrap_or(&name))
            .to_owned();
        if !ctx.config.is_guard_resource(&short) {
            return Ok(Err(format!(
                "function {short} is not one of Phoenix Guard's"
            )));
        }
        let arn = ctx.arn("lambda", &format!("function:{short}"));
        return Ok(Ok(vec![ctx.suspect(
            catalog::GUARD_FUNCTION_DELETED,
            Role::Weakens,
            arn,
            "Function",
            short.clone(),
            format!("deleted Phoenix Guard's function {short}: its checks no longer run"),
        )]));
    }
    let rule = ctx.need(&["name", "rule"], "rule", ":rule/")?;
    let rule = rule.rsplit('/').next().unwrap_or(&rule).to_owned();
    if !ctx.config.is_guard_resource(&rule) {
        return Ok(Err(format!("rule {rule} is not one of Phoenix Guard's")));
    }
    let bus = ctx.call.param(&["eventBusName"]).filter(|b| b != "default");
    let arn = ctx.arn(
        "events",
        &bus.as_ref()
            .map_or_else(|| format!("rule/{rule}"), |b| format!("rule/{b}/{rule}")),
    );
    let make = |check, role, claim: String| {
        ctx.suspect(check, role, arn.clone(), "Rule", rule.clone(), claim)
    };
    let suspects = match event {
        "DisableRule" => vec![make(
            catalog::GUARD_RULE_DISABLED,
            Role::Weakens,
            format!(
                "disabled Phoenix Guard's rule {rule}: the events it routes no longer reach the guard"
            ),
        )],
        "EnableRule" => vec![make(
            catalog::GUARD_RULE_DISABLED,
            Role::Restores,
            format!("enabled Phoenix Guard's rule {rule}"),
        )],
        "DeleteRule" => vec![make(
            catalog::GUARD_RULE_DELETED,
            Role::Weakens,
            format!(
                "deleted Phoenix Guard's rule {rule}: the events it routed no longer reach the guard"
            ),
        )],
        "PutRule" => {
            let mut out = vec![make(
                catalog::GUARD_RULE_DELETED,
                Role::Restores,
                format!("created Phoenix Guard's rule {rule}"),
            )];
            if ctx
                .call
                .param(&["state"])
                .is_none_or(|s| s.eq_ignore_ascii_case("ENABLED"))
            {
                out.push(make(
                    catalog::GUARD_RULE_DISABLED,
                    Role::Restores,
                    format!("set Phoenix Guard's rule {rule} enabled"),
                ));
            }
            out
        }
        "RemoveTargets" => {
            let ids: Vec<String> = match field(&ctx.call.request, "ids") {
                Some(Value::Array(ids)) => ids
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            };
            let mut s = make(
                catalog::GUARD_TARGETS_REMOVED,
                Role::Weakens,
                format!(
                    "removed targets {} from Phoenix Guard's rule {rule}",
                    ids.join(", ")
                ),
            );
            s.aux = Some(ids.join(","));
            vec![s]
        }
        _ => vec![make(
            catalog::GUARD_TARGETS_REMOVED,
            Role::Restores,
            format!("put targets on Phoenix Guard's rule {rule}"),
        )],
    };
    Ok(Ok(suspects))
}
