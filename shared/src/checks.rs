//! Every check Phoenix Guard runs, once: its id (the `check` of a finding and of its dedup
//! key), what kind of resource it is about, why it matters for a rebuild and how to undo it,
//! with the resource's real names filled in.
//!
//! A check seen by two functions (a suspended bucket versioning is seen by the CloudTrail
//! call, by the S3 notification and by the audit) is one row, so an operator reads the same
//! advice whichever function paged first. A new check is one row here plus its rule where
//! the facts are.

use crate::finding::{Finding, Severity};
use crate::time::Timestamp;
use serde_json::Map;

/// What a remedy names: the resource as AWS returned it, or as the event named it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Target<'a> {
    /// AWS Backup's type names where they exist (`RDS`, `Aurora`, `EFS`, `S3`, …).
    pub resource_type: &'a str,
    /// The identifier the AWS CLI takes (bucket, DB identifier, vault, plan id, …).
    pub id: &'a str,
    /// The canonical ARN (or, for a check about a scope, the scope).
    pub arn: &'a str,
    pub region: &'a str,
    /// The least retention in days the policy asks for.
    pub min_retention_days: u64,
    /// The exact command that redoes what failed, where the raiser has it (an on-demand
    /// backup of the job's resource with its vault and role, a copy job); empty otherwise.
    pub command: &'a str,
}

/// One check: its id, its subject and its guidance.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    pub id: &'static str,
    /// What kind of resource a finding of this check is about.
    pub subject: &'static str,
    /// Why it matters and how to undo it. Where the advice depends on what the raiser saw,
    /// the template takes it from the [`Target`] (the command that redoes a failed job).
    pub guidance: Guidance,
}

/// Why a check matters and how to undo it.
#[derive(Debug, Clone, Copy)]
pub struct Guidance {
    /// Why it matters for a rebuild, in one or two sentences.
    pub impact: &'static str,
    /// How to undo it, with the target's names: a command to paste where there is one.
    pub remedy: fn(&Target<'_>) -> String,
}

impl Check {
    /// Impact and remedy for one resource.
    pub fn guidance(&self, target: &Target<'_>) -> (String, String) {
        (
            self.guidance.impact.to_owned(),
            (self.guidance.remedy)(target),
        )
    }
}

/// The row of a check id, if the id is one of [`CATALOG`]'s.
pub fn get(id: &str) -> Option<&'static Check> {
    CATALOG.iter().find(|c| c.id == id)
}

/// The one way to start a finding: impact and remedy from the row of `id` (none for an id
/// outside the catalog), the rest from the caller. `summary` says what was seen; details
/// start empty.
pub fn finding(
    id: &str,
    account: &str,
    target: &Target<'_>,
    severity: Severity,
    summary: String,
    observed_at: Timestamp,
) -> Finding {
    let (impact, remedy) = guidance(id, target);
    Finding {
        check: id.to_owned(),
        account: account.to_owned(),
        region: target.region.to_owned(),
        resource_arn: target.arn.to_owned(),
        resource_type: target.resource_type.to_owned(),
        severity,
        summary,
        impact,
        remedy,
        details: Map::new(),
        observed_at,
        occurrence: None,
        progress: None,
    }
}

/// Impact and remedy of a check for one resource; a finding of an id outside the catalog
/// (an older version's, read back from the ledger) gets none.
pub fn guidance(id: &str, target: &Target<'_>) -> (String, String) {
    get(id).map(|c| c.guidance(target)).unwrap_or_default()
}

// ---- the ids --------------------------------------------------------------------------

// Backups that failed, never happened or cannot be trusted.
pub const BACKUP_JOB_FAILED: &str = "backup-job-failed";
pub const BACKUP_COMPLETED_WITH_ISSUES: &str = "backup-completed-with-issues";
pub const BACKUP_COPY_FAILED: &str = "backup-copy-failed";
pub const RESTORE_FAILED: &str = "restore-failed";
pub const RECOVERY_POINT_DEGRADED: &str = "recovery-point-degraded";
pub const RESOURCE_UNPROTECTED: &str = "resource-unprotected";
pub const BACKUP_MISSED: &str = "backup-missed";
pub const BACKUP_NEVER_COMPLETED: &str = "backup-never-completed";
pub const BACKUP_EXEMPTION_UNEXPLAINED: &str = "backup-exemption-unexplained";
pub const BACKUP_RPO_TAG_INVALID: &str = "backup-rpo-tag-invalid";
/// A backup-freshness check that could not run.
pub const FRESHNESS_UNKNOWN: &str = "check-unknown";

// Buckets and the data in them.
pub const S3_VERSIONING_SUSPENDED: &str = "s3-versioning-suspended";
pub const BUCKET_UNVERSIONED: &str = "bucket-unversioned";
pub const BUCKET_VERSIONING_UNKNOWN: &str = "bucket-versioning-unknown";
pub const S3_LIFECYCLE_WEAKENED: &str = "s3-lifecycle-weakened";
pub const BUCKET_RETENTION_RULE_MISSING: &str = "bucket-version-retention-missing";
pub const S3_BUCKET_DELETED: &str = "s3-bucket-deleted";
pub const S3_POLICY_BLINDS_GUARD: &str = "s3-policy-blinds-guard";
pub const DATA_PERMANENTLY_DELETED: &str = "data-permanently-deleted";

// Databases and file systems.
pub const RDS_DELETION_PROTECTION_OFF: &str = "rds-deletion-protection-off";
pub const RDS_BACKUP_RETENTION_LOW: &str = "rds-backup-retention-low";
pub const RDS_DELETED_WITHOUT_BACKUP: &str = "rds-deleted-without-backup";
pub const RDS_AUTOMATED_BACKUPS_DELETED: &str = "rds-automated-backups-deleted";
/// A bucket's Object Lock default retention removed, or set below the policy.
pub const S3_OBJECT_LOCK_WEAKENED: &str = "s3-object-lock-weakened";
/// A DynamoDB table's point-in-time recovery turned off.
pub const DYNAMODB_PITR_OFF: &str = "dynamodb-pitr-off";
/// A DynamoDB table's deletion protection turned off.
pub const DYNAMODB_DELETION_PROTECTION_OFF: &str = "dynamodb-deletion-protection-off";
pub const EFS_DELETED: &str = "efs-deleted";
pub const EFS_AUTOMATIC_BACKUPS_DISABLED: &str = "efs-automatic-backups-disabled";

// AWS Backup's own resources.
pub const BACKUP_VAULT_DELETED: &str = "backup-vault-deleted";
pub const RECOVERY_POINT_DELETED: &str = "recovery-point-deleted";
pub const BACKUP_PLAN_DELETED: &str = "backup-plan-deleted";
pub const BACKUP_SELECTION_DELETED: &str = "backup-selection-deleted";
pub const BACKUP_PLAN_WEAKENED: &str = "backup-plan-weakened";
pub const BACKUP_VAULT_UNLOCKED: &str = "backup-vault-unlocked";
pub const BACKUP_VAULT_LOCK_REMOVED: &str = "backup-vault-lock-removed";
pub const BACKUP_VAULT_LOCK_GOVERNANCE: &str = "backup-vault-lock-governance";
pub const BACKUP_VAULT_POLICY_OPEN: &str = "backup-vault-policy-open";
pub const BACKUP_REGION_OPT_OUT: &str = "backup-region-opt-out";

// Keys and secrets.
pub const KMS_KEY_DELETION_SCHEDULED: &str = "kms-key-deletion-scheduled";
pub const KMS_KEY_DISABLED: &str = "kms-key-disabled";
pub const SECRET_DELETED: &str = "secret-deleted";
pub const SECRET_PREVIOUS_VERSION_MISSING: &str = "secret-previous-version-missing";
pub const ENCRYPTION_KEY_REGENERATED: &str = "encryption-key-regenerated";

// Terraform state.
pub const PROTECTED_RESOURCE_DESTROYED: &str = "protected-resource-destroyed";
pub const STATE_UNREADABLE: &str = "state-unreadable";
pub const STATE_BUCKET_UNKNOWN: &str = "state-bucket-unknown";
/// A data store (or key) in a Terraform state that a destroy of its stack would lose now.
pub const DESTROY_WOULD_LOSE_DATA: &str = "destroy-would-lose-data";

// Copies outside the blast radius.
/// No backup plan rule copies the resource's backups where `PHOENIX_REQUIRE_COPY` asks.
pub const COPY_MISSING: &str = "copy-missing";
/// A rule copies them there, but no copy completed within the resource's RPO.
pub const COPY_STALE: &str = "copy-stale";

// The organization's members.
/// A member account and region whose canary stopped reaching the central bus: its events
/// no longer reach Phoenix Guard.
pub const MEMBER_CANARY_MISSING: &str = "member-canary-missing";

// Restore drills.
pub const RESTORE_DRILL_MISSING: &str = "restore-drill-missing";
pub const RESTORE_DRILL_SLOW: &str = "restore-drill-slow";
/// A restore testing plan whose selections restore no required resource type in use.
pub const RESTORE_TESTING_PLAN_IDLE: &str = "restore-testing-plan-idle";
/// A restore test whose restored resource does not hold what its recovery point did.
pub const RESTORE_VALIDATION_FAILED: &str = "restore-validation-failed";
/// A restore test that took longer than the recovery-time target.
pub const RESTORE_TIME_OVER_TARGET: &str = "restore-time-over-target";
/// A restore test whose restore job itself failed.
pub const RESTORE_TEST_FAILED: &str = "restore-test-failed";
/// A completed restore test whose restored resource could not be read: not validated.
pub const RESTORE_VALIDATION_UNKNOWN: &str = "restore-validation-unknown";

// The guard's own eyes: CloudTrail, its rules and functions.
pub const CLOUDTRAIL_STOPPED: &str = "cloudtrail-stopped";
pub const CLOUDTRAIL_DELETED: &str = "cloudtrail-deleted";
pub const CLOUDTRAIL_WEAKENED: &str = "cloudtrail-weakened";
pub const CLOUDTRAIL_MISSING: &str = "cloudtrail-missing";
pub const GUARD_RULE_DISABLED: &str = "guard-rule-disabled";
pub const GUARD_RULE_DELETED: &str = "guard-rule-deleted";
pub const GUARD_TARGETS_REMOVED: &str = "guard-targets-removed";
pub const GUARD_FUNCTION_DELETED: &str = "guard-function-deleted";
pub const GUARD_RULES_MISSING: &str = "guard-rules-missing";
pub const HEARTBEAT_MISSING: &str = "heartbeat-missing";

// About the checks themselves.
/// A destructive call AWS refused (someone tried): a warning, told once.
pub const DESTRUCTIVE_CALL_DENIED: &str = "destructive-call-denied";
/// A readiness-audit check that could not run (its own id, so no other function's sweep
/// resolves it).
pub const READINESS_UNKNOWN: &str = "readiness-check-unknown";
/// The summary sent when the readiness score changes: one per evaluation, never reminded.
pub const READINESS_SCORE_CHANGED: &str = "readiness-score-changed";

// ---- the catalog ----------------------------------------------------------------------

/// `modify-db-cluster` and its flag for Aurora, `modify-db-instance` for an instance, and
/// the Terraform resource type.
fn rds_words(t: &Target<'_>) -> (&'static str, &'static str, &'static str, &'static str) {
    if t.resource_type == "Aurora" {
        (
            "modify-db-cluster",
            "--db-cluster-identifier",
            "describe-db-cluster-snapshots",
            "aws_rds_cluster",
        )
    } else {
        (
            "modify-db-instance",
            "--db-instance-identifier",
            "describe-db-snapshots",
            "aws_db_instance",
        )
    }
}

/// ` --event-bus-name BUS` for a rule on a custom bus (`rule/BUS/NAME`), else nothing.
fn event_bus_flag(rule_arn: &str) -> String {
    let resource = rule_arn.rsplit(':').next().unwrap_or_default();
    match resource
        .strip_prefix("rule/")
        .and_then(|r| r.split_once('/'))
    {
        Some((bus, _)) => format!(" --event-bus-name {bus}"),
        None => String::new(),
    }
}

const BUCKET_UNVERSIONED_IMPACT: &str = "A delete or overwrite in this bucket keeps no previous version: a terraform destroy, a bad sync or a bug loses its data for good.";
fn enable_versioning(t: &Target<'_>) -> String {
    format!(
        "aws s3api put-bucket-versioning --bucket {} --versioning-configuration Status=Enabled, and keep it in Terraform (aws_s3_bucket_versioning) with a lifecycle rule for noncurrent versions.",
        t.id
    )
}
const GUARD_BLINDED: &str =
    "Phoenix Guard itself is blinded: events it should check no longer reach it.";
const TRAIL_BLINDED: &str = "CloudTrail no longer records management calls: Phoenix Guard cannot see the next weakening of destroy-protection.";
const BUCKET_DATA: &str = "Objects deleted or overwritten in this bucket cannot be brought back after a destroy or a mistake.";
const VAULT_DELETABLE: &str = "Recovery points in this vault can be deleted, by mistake or by an attacker, before they are needed.";
const DRILLS: &str =
    "Nobody knows that a restore works, or how long it takes, until the day it is needed.";
const GUARD_BLIND: &str = "Phoenix Guard is partly blind: weakened protection may go unnoticed.";

/// The raiser's command, or where to do it by hand when the event did not give one.
fn or_console(command: &str, action: &str, resource: &str) -> String {
    if command.is_empty() {
        format!("AWS Backup console, Protected resources, {resource}, {action}")
    } else {
        command.to_owned()
    }
}

const PLAN_GONE: &str = "Resources this plan selected get no new backups from now on: each day without them is data a rebuild loses.";

/// Every check. Rows are grouped as the ids above; `phoenix checks` and the Terraform
/// module's dashboards list them in this order.
pub const CATALOG: &[Check] = &[
    Check {
        id: BACKUP_JOB_FAILED,
        subject: "backup job",
        guidance: Guidance {
            impact: "This backup made no complete recovery point: if the environment is destroyed and rebuilt now, everything written since the last good recovery point is lost.",
            remedy: |t| {
                format!(
                    "Read the status message and fix the cause: the backup role's permissions, access to the KMS key or the resource's state; for an EXPIRED job, widen the plan rule's start window or move it away from other jobs on this resource; for a PARTIAL one, what was skipped. Then run an on-demand backup: {}.",
                    or_console(t.command, "Create on-demand backup", t.arn)
                )
            },
        },
    },
    Check {
        id: BACKUP_COMPLETED_WITH_ISSUES,
        subject: "backup job",
        guidance: Guidance {
            impact: "The recovery point exists but may not hold everything: a restore could come back incomplete.",
            remedy: |_| {
                "Read the status message; fix the cause, or accept it for this resource with a PHOENIX_SUPPRESSIONS entry.".to_owned()
            },
        },
    },
    Check {
        id: BACKUP_COPY_FAILED,
        subject: "copy job",
        guidance: Guidance {
            impact: "The copy that protects against losing this region or account is missing: a regional outage or a compromised account now loses this resource's data.",
            remedy: |t| {
                format!(
                    "Check the destination vault's access policy and KMS key grants for the copy, then copy the latest recovery point again: {}.",
                    or_console(t.command, "Copy the newest recovery point", t.arn)
                )
            },
        },
    },
    Check {
        id: RESTORE_FAILED,
        subject: "restore job",
        guidance: Guidance {
            impact: "A restore from this resource's backups did not work: the backups may not be usable for a rebuild.",
            remedy: |_| {
                "Read the status message, fix the cause (restore role, KMS key, networking of the restored resource) and run the restore again; until one succeeds, treat these backups as unproven.".to_owned()
            },
        },
    },
    Check {
        id: RECOVERY_POINT_DEGRADED,
        subject: "recovery point",
        guidance: Guidance {
            impact: "A PARTIAL recovery point holds only part of the resource, and restoring from it loses data; one AWS Backup could not delete after its retention (EXPIRED) means its lifecycle or the vault's permissions are broken, and newer points may be affected too.",
            remedy: |_| {
                "Check the vault's access policy and the backup role's permissions, and make sure a newer complete recovery point exists.".to_owned()
            },
        },
    },
    Check {
        id: RESOURCE_UNPROTECTED,
        subject: "data store",
        guidance: Guidance {
            impact: "No plan backs this resource up: destroying or losing it loses its data for good.",
            remedy: |_| {
                "Add it to a backup plan selection (by ARN or tag), or tag it phoenix:backup=exempt with a phoenix:reason.".to_owned()
            },
        },
    },
    Check {
        id: BACKUP_MISSED,
        subject: "data store",
        guidance: Guidance {
            impact: "The newest restorable copy is older than the data-loss budget: a rebuild now loses everything written since.",
            remedy: |_| {
                "Look at the backup job named in the reason (AWS Backup console, Jobs); check the plan's schedule, start window, vault and IAM role.".to_owned()
            },
        },
    },
    Check {
        id: BACKUP_NEVER_COMPLETED,
        subject: "data store",
        guidance: Guidance {
            impact: "The resource is meant to be backed up but has no recovery point at all: it cannot be restored.",
            remedy: |_| {
                "Start an on-demand backup now, then fix what stops the scheduled job (see the reason)."
                    .to_owned()
            },
        },
    },
    Check {
        id: BACKUP_EXEMPTION_UNEXPLAINED,
        subject: "data store",
        guidance: Guidance {
            impact: "An exemption nobody can explain hides a resource from every backup check.",
            remedy: |_| {
                "Add a phoenix:reason tag saying why this resource needs no backup, or remove the exemption.".to_owned()
            },
        },
    },
    Check {
        id: BACKUP_RPO_TAG_INVALID,
        subject: "data store",
        guidance: Guidance {
            impact: "A malformed phoenix:rpo tag is ignored: the plan's own RPO applies instead of the one intended.",
            remedy: |_| "Write the tag as a duration such as 26h, 2d or 90m.".to_owned(),
        },
    },
    Check {
        id: FRESHNESS_UNKNOWN,
        subject: "data store or scope",
        guidance: Guidance {
            impact: "Phoenix Guard could not tell whether this data is recoverable; it is not counted as healthy.",
            remedy: |t| {
                match t.arn.strip_prefix("account:") {
                Some(account) => format!(
                    "Deploy the phoenix-guard-member module in account {account} (its reader role must exist and trust this central account's sweep functions, aws:PrincipalOrgID), or leave the account out of PHOENIX_TARGET_ACCOUNTS; the next sweep retries."
                ),
                None => "Check the function's IAM permissions and AWS Backup throttling; the next run retries."
                    .to_owned(),
            }
            },
        },
    },
    Check {
        id: S3_VERSIONING_SUSPENDED,
        subject: "bucket",
        guidance: Guidance {
            impact: BUCKET_UNVERSIONED_IMPACT,
            remedy: enable_versioning,
        },
    },
    Check {
        id: BUCKET_UNVERSIONED,
        subject: "bucket",
        guidance: Guidance {
            impact: BUCKET_UNVERSIONED_IMPACT,
            remedy: enable_versioning,
        },
    },
    Check {
        id: BUCKET_VERSIONING_UNKNOWN,
        subject: "bucket",
        guidance: Guidance {
            impact: "Phoenix Guard could not read the bucket's versioning, so it cannot tell whether deletes are recoverable.",
            remedy: |t| {
                format!(
                    "Grant the guard s3:GetBucketVersioning on {} (or lift the Deny that blocks it).",
                    t.id
                )
            },
        },
    },
    Check {
        id: S3_LIFECYCLE_WEAKENED,
        subject: "bucket",
        guidance: Guidance {
            impact: "The lifecycle deletes objects or old versions sooner than the retention policy allows: what it deletes cannot be restored.",
            remedy: |t| {
                format!(
                    "Restore a lifecycle rule on {id} that keeps noncurrent versions for at least the policy's days and does not expire current objects early (aws_s3_bucket_lifecycle_configuration); review it with aws s3api get-bucket-lifecycle-configuration --bucket {id}.",
                    id = t.id
                )
            },
        },
    },
    Check {
        id: BUCKET_RETENTION_RULE_MISSING,
        subject: "bucket",
        guidance: Guidance {
            impact: BUCKET_DATA,
            remedy: |t| {
                format!(
                    "With versioning enabled on {}, add an aws_s3_bucket_lifecycle_configuration rule with noncurrent_version_expiration of at least {} days (the seeds' Phase 1 uses 90).",
                    t.id, t.min_retention_days
                )
            },
        },
    },
    Check {
        id: S3_BUCKET_DELETED,
        subject: "bucket",
        guidance: Guidance {
            impact: "The bucket and every object and version in it are gone.",
            remedy: |t| {
                format!(
                    "Re-create {} through Terraform and restore its objects from a backup or replica (aws backup list-recovery-points-by-resource --region {} --resource-arn {}), if one exists.",
                    t.id, t.region, t.arn
                )
            },
        },
    },
    Check {
        id: S3_POLICY_BLINDS_GUARD,
        subject: "bucket",
        guidance: Guidance {
            impact: "Phoenix Guard can no longer read this bucket's protection settings: the next weakening goes unseen.",
            remedy: |t| {
                format!(
                    "Remove the Deny on the guard's reads from the policy of {id} (aws s3api get-bucket-policy --bucket {id}), or exempt Phoenix Guard's role from it.",
                    id = t.id
                )
            },
        },
    },
    Check {
        id: DATA_PERMANENTLY_DELETED,
        subject: "bucket",
        guidance: Guidance {
            impact: "These objects have no version left: no restore, replica or rebuild brings them back unless a copy exists elsewhere.",
            remedy: |t| {
                format!(
                    "Stop whatever is deleting (a destroy, a sync --delete, a script); check for copies in backups or replicas; enable versioning (aws s3api put-bucket-versioning --bucket {} --versioning-configuration Status=Enabled) so the next delete is recoverable.",
                    t.id
                )
            },
        },
    },
    Check {
        id: RDS_DELETION_PROTECTION_OFF,
        subject: "database",
        guidance: Guidance {
            impact: "The database can now be deleted by one call or one terraform destroy.",
            remedy: |t| {
                let (modify, flag, _, tf) = rds_words(t);
                format!(
                    "aws rds {modify} --region {} {flag} {} --deletion-protection --apply-immediately, and set deletion_protection = true in Terraform ({tf}).",
                    t.region, t.id
                )
            },
        },
    },
    Check {
        id: RDS_BACKUP_RETENTION_LOW,
        subject: "database",
        guidance: Guidance {
            impact: "Fewer days of automated backups (none at 0): point-in-time recovery reaches back less far, or not at all.",
            remedy: |t| {
                let (modify, flag, _, tf) = rds_words(t);
                let days = t.min_retention_days;
                format!(
                    "aws rds {modify} --region {} {flag} {} --backup-retention-period {days} --apply-immediately, and set backup_retention_period = {days} in Terraform ({tf}).",
                    t.region, t.id
                )
            },
        },
    },
    Check {
        id: S3_OBJECT_LOCK_WEAKENED,
        subject: "bucket",
        guidance: Guidance {
            impact: "Objects written from now on can be deleted or overwritten sooner than the bucket used to allow: its default retention no longer holds them.",
            remedy: |t| {
                format!(
                    "aws s3api put-object-lock-configuration --region {} --bucket {} --object-lock-configuration 'ObjectLockEnabled=Enabled,Rule={{DefaultRetention={{Mode=COMPLIANCE,Days={}}}}}', and the same default_retention in Terraform (aws_s3_bucket_object_lock_configuration).",
                    t.region, t.id, t.min_retention_days
                )
            },
        },
    },
    Check {
        id: DYNAMODB_PITR_OFF,
        subject: "DynamoDB table",
        guidance: Guidance {
            impact: "The table can no longer be restored to a moment of the last days, and if it is deleted AWS keeps no 35-day system backup of it.",
            remedy: |t| {
                format!(
                    "aws dynamodb update-continuous-backups --region {} --table-name {} --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true, and point_in_time_recovery {{ enabled = true }} in Terraform (aws_dynamodb_table).",
                    t.region, t.id
                )
            },
        },
    },
    Check {
        id: DYNAMODB_DELETION_PROTECTION_OFF,
        subject: "DynamoDB table",
        guidance: Guidance {
            impact: "One DeleteTable call, or a terraform destroy, now deletes the table and its data.",
            remedy: |t| {
                format!(
                    "aws dynamodb update-table --region {} --table-name {} --deletion-protection-enabled, and deletion_protection_enabled = true in Terraform (aws_dynamodb_table).",
                    t.region, t.id
                )
            },
        },
    },
    Check {
        id: RDS_DELETED_WITHOUT_BACKUP,
        subject: "database",
        guidance: Guidance {
            impact: "The database is gone and nothing was kept to restore it from (no final snapshot, or its automated backups were deleted with it).",
            remedy: |t| {
                let (_, flag, snapshots, tf) = rds_words(t);
                format!(
                    "Look for a recent snapshot or recovery point of it (aws rds {snapshots} --region {region} {flag} {id}; aws backup list-recovery-points-by-resource --region {region} --resource-arn {arn}), restore from it now, and set skip_final_snapshot = false and delete_automated_backups = false in Terraform ({tf}).",
                    region = t.region,
                    id = t.id,
                    arn = t.arn
                )
            },
        },
    },
    Check {
        id: RDS_AUTOMATED_BACKUPS_DELETED,
        subject: "database",
        guidance: Guidance {
            impact: "The retained automated backups of a deleted database are gone: it can no longer be restored from them.",
            remedy: |t| {
                let (_, _, snapshots, _) = rds_words(t);
                format!(
                    "Check for manual snapshots or AWS Backup recovery points of the database whose retained backups ({}) were deleted (aws rds {snapshots} --region {} --snapshot-type manual; aws backup list-recovery-points-by-resource); keep deletion of retained backups out of reach of day-to-day roles.",
                    t.id, t.region
                )
            },
        },
    },
    Check {
        id: EFS_DELETED,
        subject: "file system",
        guidance: Guidance {
            impact: "The file system and its data are gone; only its recovery points (if any) remain.",
            remedy: |t| {
                format!(
                    "Find its latest recovery point (aws backup list-recovery-points-by-resource --region {} --resource-arn {}), restore it (aws backup start-restore-job) and re-point the services that mount it.",
                    t.region, t.arn
                )
            },
        },
    },
    Check {
        id: EFS_AUTOMATIC_BACKUPS_DISABLED,
        subject: "file system",
        guidance: Guidance {
            impact: "EFS automatic backups are off: unless a backup plan selects this file system, nothing backs it up.",
            remedy: |t| {
                format!(
                    "aws efs put-backup-policy --region {} --file-system-id {} --backup-policy Status=ENABLED, or make sure a backup plan selects it.",
                    t.region, t.id
                )
            },
        },
    },
    Check {
        id: BACKUP_VAULT_DELETED,
        subject: "backup vault",
        guidance: Guidance {
            impact: "Every recovery point that lived in this vault is gone, and plans that target it can no longer back anything up: a rebuild cannot restore from it.",
            remedy: |t| {
                format!(
                    "Find who deleted it (CloudTrail DeleteBackupVault); aws backup create-backup-vault --region {} --backup-vault-name {} (better: re-apply the Terraform that defines it), take on-demand backups of everything its plans covered, and enable vault lock on it (aws backup put-backup-vault-lock-configuration).",
                    t.region, t.id
                )
            },
        },
    },
    Check {
        id: RECOVERY_POINT_DELETED,
        subject: "recovery point",
        guidance: Guidance {
            impact: "A restorable copy of the resource is gone: the environment can only be rebuilt from older or newer points.",
            remedy: |t| {
                format!(
                    "Take an on-demand backup of the resource now; lock vault {id} so points cannot be deleted before their retention ends (aws backup put-backup-vault-lock-configuration --region {} --backup-vault-name {id} --min-retention-days {}).",
                    t.region,
                    t.min_retention_days,
                    id = t.id
                )
            },
        },
    },
    Check {
        id: BACKUP_PLAN_DELETED,
        subject: "backup plan",
        guidance: Guidance {
            impact: PLAN_GONE,
            remedy: |t| {
                format!(
                    "Find who deleted it (CloudTrail DeleteBackupPlan) and re-apply the Terraform that defines backup plan {} and its selections (aws_backup_plan, aws_backup_selection); check every resource it covered is in a plan again.",
                    t.id
                )
            },
        },
    },
    Check {
        id: BACKUP_SELECTION_DELETED,
        subject: "backup plan",
        guidance: Guidance {
            impact: PLAN_GONE,
            remedy: |t| {
                format!(
                    "Re-apply the Terraform that defines backup plan {} and its selections (aws_backup_plan, aws_backup_selection); check every resource it covered is in a plan again.",
                    t.id
                )
            },
        },
    },
    Check {
        id: BACKUP_PLAN_WEAKENED,
        subject: "backup plan",
        guidance: Guidance {
            impact: "The plan keeps recovery points too briefly or runs too seldom: a rebuild can lose more data than the policy allows.",
            remedy: |t| {
                format!(
                    "Restore the schedule and lifecycle of backup plan {id} to the policy (daily or better, retention of at least {} days) in Terraform (aws_backup_plan); review it with aws backup get-backup-plan --region {} --backup-plan-id {id}.",
                    t.min_retention_days,
                    t.region,
                    id = t.id
                )
            },
        },
    },
    Check {
        id: BACKUP_VAULT_UNLOCKED,
        subject: "backup vault",
        guidance: Guidance {
            impact: VAULT_DELETABLE,
            remedy: |t| {
                format!(
                    "aws backup put-backup-vault-lock-configuration --region {} --backup-vault-name {} --min-retention-days {} --changeable-for-days 3 (Terraform: aws_backup_vault_lock_configuration).",
                    t.region,
                    t.id,
                    t.min_retention_days.max(1)
                )
            },
        },
    },
    Check {
        id: BACKUP_VAULT_LOCK_REMOVED,
        subject: "backup vault",
        guidance: Guidance {
            impact: "Without the vault lock, anyone with the right permissions can delete recovery points or shorten their retention.",
            remedy: |t| {
                format!(
                    "aws backup put-backup-vault-lock-configuration --region {} --backup-vault-name {} --min-retention-days {} (add --changeable-for-days 3 for compliance mode; Terraform: aws_backup_vault_lock_configuration).",
                    t.region, t.id, t.min_retention_days
                )
            },
        },
    },
    Check {
        id: BACKUP_VAULT_LOCK_GOVERNANCE,
        subject: "backup vault",
        guidance: Guidance {
            impact: VAULT_DELETABLE,
            remedy: |t| {
                format!(
                    "Put the lock on {} again with --changeable-for-days (compliance mode: after that grace period nobody can remove it); Terraform: changeable_for_days on aws_backup_vault_lock_configuration.",
                    t.id
                )
            },
        },
    },
    Check {
        id: BACKUP_VAULT_POLICY_OPEN,
        subject: "backup vault",
        guidance: Guidance {
            impact: "The vault's access policy lets any principal delete its recovery points.",
            remedy: |t| {
                format!(
                    "Replace the access policy of vault {id} with one that denies backup:DeleteRecoveryPoint to everyone but a break-glass role (aws backup put-backup-vault-access-policy --region {} --backup-vault-name {id} --policy file://policy.json).",
                    t.region,
                    id = t.id
                )
            },
        },
    },
    Check {
        id: BACKUP_REGION_OPT_OUT,
        subject: "region setting",
        guidance: Guidance {
            impact: "No resource of this type in the region is backed up any more, whatever the backup plans say.",
            remedy: |t| {
                format!(
                    "aws backup update-region-settings --region {} --resource-type-opt-in-preference {}=true.",
                    t.region, t.id
                )
            },
        },
    },
    Check {
        id: KMS_KEY_DELETION_SCHEDULED,
        subject: "KMS key",
        guidance: Guidance {
            impact: "When the pending window ends the key is deleted, and everything encrypted with it (backups included) can never be decrypted.",
            remedy: |t| {
                format!(
                    "aws kms cancel-key-deletion --key-id {arn} && aws kms enable-key --key-id {arn}.",
                    arn = t.arn
                )
            },
        },
    },
    Check {
        id: KMS_KEY_DISABLED,
        subject: "KMS key",
        guidance: Guidance {
            impact: "Nothing encrypted with this key can be read or restored while it is disabled.",
            remedy: |t| format!("aws kms enable-key --key-id {}.", t.arn),
        },
    },
    Check {
        id: SECRET_DELETED,
        subject: "secret",
        guidance: Guidance {
            impact: "The secret will be gone: an application that needs it after a rebuild cannot start or cannot decrypt its data.",
            remedy: |t| {
                format!(
                    "aws secretsmanager restore-secret --secret-id {} (possible until the recovery window ends; a forced deletion cannot be undone).",
                    t.arn
                )
            },
        },
    },
    Check {
        id: SECRET_PREVIOUS_VERSION_MISSING,
        subject: "secret",
        guidance: Guidance {
            impact: "Backups encrypted with this key cannot be restored once the key is gone.",
            remedy: |_| {
                "Put the previous key value back as a version staged AWSPREVIOUS, and add lifecycle { ignore_changes = [secret_string] } to the secret version.".to_owned()
            },
        },
    },
    Check {
        id: ENCRYPTION_KEY_REGENERATED,
        subject: "secret or Terraform state",
        guidance: Guidance {
            impact: "Data encrypted with the previous key (databases, backups) will not decrypt with the new one after a restore.",
            remedy: |t| {
                if t.arn.contains(":secretsmanager:") {
                    format!(
                        "Keep the previous value: list the versions (aws secretsmanager list-secret-version-ids --secret-id {} --include-deprecated), store the previous key safely, and in Terraform add lifecycle {{ ignore_changes = [secret_string] }} so apply stops regenerating it.",
                        t.arn
                    )
                } else {
                    format!(
                        "Recover the previous value from the previous version of the state object in {id} (aws s3api list-object-versions --bucket {id}) and store it safely; in Terraform add lifecycle {{ ignore_changes }} so apply stops regenerating it.",
                        id = t.id
                    )
                }
            },
        },
    },
    Check {
        id: PROTECTED_RESOURCE_DESTROYED,
        subject: "data store in Terraform state",
        guidance: Guidance {
            impact: "A data store left the Terraform state: it was destroyed or replaced, and its data is gone unless a backup or snapshot of it exists.",
            remedy: |t| {
                format!(
                    "Find its latest recovery point (aws backup list-recovery-points-by-resource --region {} --resource-arn {}) or final snapshot and restore it now (aws backup start-restore-job), then find out which plan destroyed it; add prevent_destroy to data stores.",
                    t.region, t.arn
                )
            },
        },
    },
    Check {
        id: DESTROY_WOULD_LOSE_DATA,
        subject: "data store in Terraform state",
        guidance: Guidance {
            impact: "If its stack were destroyed now (terraform destroy, or a rebuild), this data would be gone for good: nothing it could be restored from survives the destroy.",
            remedy: |t| {
                let fix = match t.resource_type {
                    "RDS" | "Aurora" => {
                        "set skip_final_snapshot = false with a final_snapshot_identifier (or delete_automated_backups = false), or deletion_protection = true"
                    }
                    "DynamoDB" => "turn on point_in_time_recovery, or deletion_protection_enabled",
                    "S3" => {
                        "set force_destroy = false (the destroy then stops at a bucket that holds objects), or back it up or replicate it outside the stack"
                    }
                    "BackupVault" => {
                        "move the vault to a stack that is never destroyed, without force_destroy"
                    }
                    "KMSKey" => {
                        "move the key to a stack that is never destroyed, or re-encrypt what it protects with a key that survives"
                    }
                    "Secret" => {
                        "keep the key in a stack that is never destroyed, with recovery_window_in_days above 0, and lifecycle { ignore_changes } on its generator"
                    }
                    _ => {
                        "add it to a backup plan whose vault is in a stack that is never destroyed, and let a backup complete"
                    }
                };
                let why = if t.command.is_empty() {
                    "phoenix verify --pre-destroy --state on the stack's state"
                } else {
                    t.command
                };
                format!("See why with {why}, then {fix}; prevent_destroy stops a destroy outright.")
            },
        },
    },
    Check {
        id: STATE_UNREADABLE,
        subject: "Terraform state object",
        guidance: Guidance {
            impact: "Phoenix Guard cannot compare this state version with the previous one: a destroyed data store or a regenerated key in it goes unseen.",
            remedy: |t| {
                format!(
                    "Enable versioning on {id} (aws s3api put-bucket-versioning --bucket {id} --versioning-configuration Status=Enabled) and make sure the guard can read the state object (s3:GetObject, s3:GetObjectVersion, s3:ListBucketVersions).",
                    id = t.id
                )
            },
        },
    },
    Check {
        id: STATE_BUCKET_UNKNOWN,
        subject: "Terraform state",
        guidance: Guidance {
            impact: "Without versions of the Terraform state, a bad apply or a deleted state cannot be rolled back.",
            remedy: |_| {
                "Tag the state bucket phoenix:terraform-state=true or name it in PHOENIX_STATE_BUCKETS.".to_owned()
            },
        },
    },
    Check {
        id: RESTORE_DRILL_MISSING,
        subject: "data store",
        guidance: Guidance {
            impact: DRILLS,
            remedy: |t| {
                format!(
                    "Schedule an AWS Backup restore testing plan with a selection of {} (the module's restore_testing variable creates a monthly one) and let restore-validator, or your own validator, report each restore as validated (PutRestoreValidationResult).",
                    t.resource_type
                )
            },
        },
    },
    Check {
        id: RESTORE_DRILL_SLOW,
        subject: "data store",
        guidance: Guidance {
            impact: DRILLS,
            remedy: |_| {
                "Make the restore faster (smaller data set, provisioned throughput, automation), or agree a longer PHOENIX_RECOVERY_TIME_MINUTES.".to_owned()
            },
        },
    },
    Check {
        id: COPY_MISSING,
        subject: "data store",
        guidance: Guidance {
            impact: "Every backup of this resource sits where one region outage or one compromised account takes it together with the resource: a rebuild elsewhere has nothing to restore.",
            remedy: |t| {
                format!(
                    "Add a copy action to the rule of the backup plan that covers this {} (copy_action {{ destination_vault_arn = a vault in another region or account }} in aws_backup_plan), then let its next backup copy; or accept the risk with PHOENIX_REQUIRE_COPY=none.",
                    t.resource_type
                )
            },
        },
    },
    Check {
        id: COPY_STALE,
        subject: "data store",
        guidance: Guidance {
            impact: "The copy outside the region or account is older than the RPO: a rebuild there loses everything since.",
            remedy: |t| {
                format!(
                    "Read the newest copy job (aws backup list-copy-jobs --region {} --by-resource-arn {}); a failed copy is most often the destination vault's access policy or its KMS key not allowing this account; fix it and start a copy (aws backup start-copy-job).",
                    t.region, t.arn
                )
            },
        },
    },
    Check {
        id: MEMBER_CANARY_MISSING,
        subject: "member account and region",
        guidance: Guidance {
            impact: "Events of this account and region no longer reach Phoenix Guard: a failed backup, a weakened protection or a deletion there would page nobody.",
            remedy: |t| {
                format!(
                    "Check the phoenix-guard-member deployment in account {} region {}: its forwarding rules and their role (aws events list-rules --region {} --name-prefix phoenix-guard), and the central bus's policy (aws events describe-event-bus); apply the member module again.",
                    t.id, t.region, t.region
                )
            },
        },
    },
    Check {
        id: RESTORE_TESTING_PLAN_IDLE,
        subject: "restore testing plan",
        guidance: Guidance {
            impact: "The restore testing plan runs, but tests none of the data stores a rebuild needs: it proves nothing about them.",
            remedy: |t| {
                format!(
                    "Add a selection of the required types to restore testing plan {} (aws backup create-restore-testing-selection --region {} --restore-testing-plan-name {} with ProtectedResourceType and ProtectedResourceArns [\"*\"] or tag conditions), or delete the plan.",
                    t.id, t.region, t.id
                )
            },
        },
    },
    Check {
        id: RESTORE_VALIDATION_FAILED,
        subject: "data store",
        guidance: Guidance {
            impact: "A restore of this resource's backup came back, but not whole: a rebuild from these backups would lose data.",
            remedy: |t| {
                format!(
                    "Compare the restored {} with its source (the finding names both and the recovery point), find why the backup holds less (files excluded, a backup taken while empty, the wrong resource selected), fix it and take a new backup; the next restore test that validates resolves this.",
                    t.resource_type
                )
            },
        },
    },
    Check {
        id: RESTORE_TIME_OVER_TARGET,
        subject: "data store",
        guidance: Guidance {
            impact: "A rebuild would take longer than the recovery-time target: the restore alone did.",
            remedy: |_| {
                "Make the restore faster (a smaller or warmer recovery point, a larger restored instance class, provisioned throughput), or agree a longer PHOENIX_RECOVERY_TIME_MINUTES.".to_owned()
            },
        },
    },
    Check {
        id: RESTORE_TEST_FAILED,
        subject: "data store",
        guidance: Guidance {
            impact: "The scheduled restore test of this resource could not restore it: until one succeeds, its backups are unproven.",
            remedy: |t| {
                format!(
                    "Read the restore job's status message ({}), fix the cause (the restore testing plan's role, the KMS key, the restore metadata overrides such as subnets) and let the next test run, or start one now.",
                    t.command
                )
            },
        },
    },
    Check {
        id: RESTORE_VALIDATION_UNKNOWN,
        subject: "data store",
        guidance: Guidance {
            impact: "Nobody knows whether this restore test brought the data back: it is not a proof.",
            remedy: |t| {
                format!(
                    "Give restore-validator's role read access to the restored {} and a validation window long enough to read it (ValidationWindowHours of the restore testing selection, at least 1), then let the next test run.",
                    t.resource_type
                )
            },
        },
    },
    Check {
        id: CLOUDTRAIL_STOPPED,
        subject: "trail",
        guidance: Guidance {
            impact: TRAIL_BLINDED,
            remedy: |t| format!("aws cloudtrail start-logging --name {}.", t.arn),
        },
    },
    Check {
        id: CLOUDTRAIL_DELETED,
        subject: "trail",
        guidance: Guidance {
            impact: TRAIL_BLINDED,
            remedy: |t| {
                format!(
                    "Re-create trail {id} through Terraform (aws_cloudtrail, with management write events), then aws cloudtrail start-logging --name {id}.",
                    id = t.id
                )
            },
        },
    },
    Check {
        id: CLOUDTRAIL_WEAKENED,
        subject: "trail",
        guidance: Guidance {
            impact: TRAIL_BLINDED,
            remedy: |t| {
                format!(
                    "aws cloudtrail put-event-selectors --trail-name {arn} --event-selectors '[{{\"ReadWriteType\":\"All\",\"IncludeManagementEvents\":true}}]', and aws cloudtrail start-logging --name {arn} if it stopped.",
                    arn = t.arn
                )
            },
        },
    },
    Check {
        id: CLOUDTRAIL_MISSING,
        subject: "trail",
        guidance: Guidance {
            impact: GUARD_BLIND,
            remedy: |_| {
                "Create a multi-region trail (aws_cloudtrail) and start logging.".to_owned()
            },
        },
    },
    Check {
        id: GUARD_RULE_DISABLED,
        subject: "Phoenix Guard rule",
        guidance: Guidance {
            impact: GUARD_BLINDED,
            remedy: |t| {
                format!(
                    "aws events enable-rule --region {} --name {}{}, then find out who disabled it and why.",
                    t.region,
                    t.id,
                    event_bus_flag(t.arn)
                )
            },
        },
    },
    Check {
        id: GUARD_RULE_DELETED,
        subject: "Phoenix Guard rule",
        guidance: Guidance {
            impact: GUARD_BLINDED,
            remedy: reapply_guard,
        },
    },
    Check {
        id: GUARD_TARGETS_REMOVED,
        subject: "Phoenix Guard rule",
        guidance: Guidance {
            impact: GUARD_BLINDED,
            remedy: reapply_guard,
        },
    },
    Check {
        id: GUARD_FUNCTION_DELETED,
        subject: "Phoenix Guard function",
        guidance: Guidance {
            impact: GUARD_BLINDED,
            remedy: reapply_guard,
        },
    },
    Check {
        id: GUARD_RULES_MISSING,
        subject: "Phoenix Guard rule",
        guidance: Guidance {
            impact: GUARD_BLIND,
            remedy: |_| {
                "Deploy the infra/ module (or set PHOENIX_GUARD_PREFIX to the rules' prefix)."
                    .to_owned()
            },
        },
    },
    Check {
        id: HEARTBEAT_MISSING,
        subject: "Phoenix Guard function",
        guidance: Guidance {
            impact: GUARD_BLIND,
            remedy: |t| {
                format!(
                    "Check the {} function's schedule, errors and permissions.",
                    t.id
                )
            },
        },
    },
    Check {
        id: DESTRUCTIVE_CALL_DENIED,
        subject: "any protected resource",
        guidance: Guidance {
            impact: "Nothing changed: AWS refused the call. Someone (or something) is trying to weaken destroy-protection.",
            remedy: |_| {
                "Ask the principal why; if nobody expects it, treat the credentials as compromised and rotate them.".to_owned()
            },
        },
    },
    Check {
        id: READINESS_UNKNOWN,
        subject: "readiness check",
        guidance: Guidance {
            impact: "Phoenix Guard could not tell whether this holds; it is not counted as ready.",
            remedy: |_| {
                "Give the audit's role read access to this API (see the reason), or retry if AWS throttled; the next run checks again.".to_owned()
            },
        },
    },
    Check {
        id: READINESS_SCORE_CHANGED,
        subject: "environment",
        guidance: Guidance {
            impact: "The score says how much of the environment can be destroyed and rebuilt without losing data.",
            remedy: |_| {
                "Fix the failing checks listed in the details, each with its own finding and fix; if none is listed, every check passes.".to_owned()
            },
        },
    },
];

fn reapply_guard(t: &Target<'_>) -> String {
    format!(
        "Re-apply Phoenix Guard's Terraform module (it re-creates {}), then find out who changed it and why.",
        t.id
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn each_check_is_one_row_with_an_impact_and_a_remedy() {
        let mut ids = BTreeSet::new();
        let target = Target {
            resource_type: "Aurora",
            id: "zitadel-dev",
            arn: "arn:aws:rds:eu-west-1:123456789012:cluster:zitadel-dev",
            region: "eu-west-1",
            min_retention_days: 7,
            command: "",
        };
        for check in CATALOG {
            assert!(ids.insert(check.id), "{} twice", check.id);
            assert!(!check.subject.is_empty(), "{}", check.id);
            let (impact, remedy) = check.guidance(&target);
            assert!(!impact.is_empty() && !remedy.is_empty(), "{}", check.id);
            assert!(
                !remedy.contains('<') && !remedy.contains("{}"),
                "{}: a placeholder is left in {remedy}",
                check.id
            );
        }
        assert_eq!(
            get(S3_VERSIONING_SUSPENDED).map(|c| c.subject),
            Some("bucket")
        );
        assert!(get("no-such-check").is_none());
    }

    #[test]
    fn a_remedy_names_the_resource_with_the_command_for_its_kind() {
        let aurora = Target {
            resource_type: "Aurora",
            id: "zitadel-dev",
            region: "eu-west-1",
            ..Target::default()
        };
        let instance = Target {
            resource_type: "RDS",
            ..aurora
        };
        let (_, remedy) = guidance(RDS_DELETION_PROTECTION_OFF, &aurora);
        assert!(
            remedy.contains(
                "modify-db-cluster --region eu-west-1 --db-cluster-identifier zitadel-dev"
            ),
            "{remedy}"
        );
        let (_, remedy) = guidance(RDS_DELETION_PROTECTION_OFF, &instance);
        assert!(
            remedy.contains(
                "modify-db-instance --region eu-west-1 --db-instance-identifier zitadel-dev"
            ),
            "{remedy}"
        );
        let rule = Target {
            id: "phoenix-guard-s3",
            arn: "arn:aws:events:eu-west-1:123456789012:rule/custom-bus/phoenix-guard-s3",
            region: "eu-west-1",
            ..Target::default()
        };
        assert!(
            guidance(GUARD_RULE_DISABLED, &rule)
                .1
                .contains("--name phoenix-guard-s3 --event-bus-name custom-bus")
        );
        assert_eq!(
            guidance("no-such-check", &rule),
            (String::new(), String::new())
        );
    }

    #[test]
    fn a_failed_job_is_redone_with_the_raisers_command_or_by_hand_when_there_is_none() {
        let arn = "arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-1";
        let command = "aws backup start-backup-job --region eu-west-1 --backup-vault-name main \
                       --resource-arn arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-1 \
                       --iam-role-arn arn:aws:iam::123456789012:role/backup";
        let with = Target {
            resource_type: "EFS",
            id: "fs-1",
            arn,
            region: "eu-west-1",
            command,
            ..Target::default()
        };
        let (_, remedy) = guidance(BACKUP_JOB_FAILED, &with);
        assert!(remedy.ends_with(&format!(": {command}.")), "{remedy}");
        let (_, remedy) = guidance(
            BACKUP_JOB_FAILED,
            &Target {
                command: "",
                ..with
            },
        );
        assert!(
            remedy.ends_with(&format!(
                ": AWS Backup console, Protected resources, {arn}, Create on-demand backup."
            )),
            "{remedy}"
        );
    }
}
