//! The events `protection-guard` acts on: one table, read by the classifier and by
//! `protection-guard --print-event-pattern`, from which the Terraform module builds its
//! EventBridge rules. An event that is not in this table is ignored; a row that no code
//! handles fails the catalog's own test.

use serde_json::{Value, json};

/// How urgent a confirmed weakening is (the rule: data stores are critical, the
/// rest error; the guard being blinded is critical).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// EFS, RDS, backup vaults, plans and recovery points, KMS keys: always critical.
    DataStore,
    /// Critical for a data bucket (`phoenix:data=true` or `PHOENIX_DATA_BUCKETS`), error otherwise.
    Bucket,
    /// Critical for an encryption-key secret, error otherwise.
    Secret,
    /// CloudTrail and Phoenix Guard's own rules and functions: critical.
    Guard,
}

impl Class {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::DataStore => "critical (data store)",
            Self::Bucket => "critical for data buckets, error otherwise",
            Self::Secret => "critical for encryption-key secrets, error otherwise",
            Self::Guard => "critical (the guard is blinded)",
        }
    }
}

/// Whether a handled call can weaken protection or only restore it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// May open the check (some calls, like `PutBucketVersioning`, also restore it,
    /// depending on their parameters).
    Weakens,
    /// Only restores: resolves the check once the read confirms it.
    Restores,
}

/// One handled CloudTrail event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handled {
    /// The EventBridge `source`, e.g. `aws.s3`.
    pub source: &'static str,
    /// CloudTrail's `eventName`. Lambda logs its API version after the name
    /// (`DeleteFunction20150331`); [`normalize`] strips it.
    pub event_name: &'static str,
    /// The checks the call opens or resolves.
    pub checks: &'static [&'static str],
    pub class: Class,
    pub role: Role,
}

/// Shared with `backup-events`.
pub use phoenix_shared::checks::BACKUP_PLAN_DELETED as PLAN_DELETED;
pub use phoenix_shared::checks::BACKUP_PLAN_WEAKENED as PLAN_WEAKENED;
/// Shared with `backup-events`.
pub use phoenix_shared::checks::BACKUP_REGION_OPT_OUT as REGION_OPT_OUT;
pub use phoenix_shared::checks::BACKUP_SELECTION_DELETED as SELECTION_DELETED;
/// Shared with `backup-events`: the vault deletion seen by both functions is one incident.
pub use phoenix_shared::checks::BACKUP_VAULT_DELETED as VAULT_DELETED;
pub use phoenix_shared::checks::BACKUP_VAULT_LOCK_REMOVED as VAULT_LOCK_REMOVED;
pub use phoenix_shared::checks::BACKUP_VAULT_POLICY_OPEN as VAULT_POLICY_OPEN;
pub use phoenix_shared::checks::CLOUDTRAIL_DELETED as TRAIL_DELETED;
pub use phoenix_shared::checks::CLOUDTRAIL_STOPPED as TRAIL_STOPPED;
pub use phoenix_shared::checks::CLOUDTRAIL_WEAKENED as TRAIL_WEAKENED;
/// A destructive call AWS refused (someone tried): a warning, told once.
pub use phoenix_shared::checks::DESTRUCTIVE_CALL_DENIED as CALL_DENIED;
pub use phoenix_shared::checks::DYNAMODB_DELETION_PROTECTION_OFF as TABLE_DELETION_PROTECTION_OFF;
pub use phoenix_shared::checks::DYNAMODB_PITR_OFF as PITR_OFF;
pub use phoenix_shared::checks::EFS_AUTOMATIC_BACKUPS_DISABLED as EFS_BACKUP_DISABLED;
pub use phoenix_shared::checks::EFS_DELETED;
pub use phoenix_shared::checks::ENCRYPTION_KEY_REGENERATED as KEY_REGENERATED;
pub use phoenix_shared::checks::GUARD_FUNCTION_DELETED;
pub use phoenix_shared::checks::GUARD_RULE_DELETED;
pub use phoenix_shared::checks::GUARD_RULE_DISABLED;
pub use phoenix_shared::checks::GUARD_TARGETS_REMOVED;
pub use phoenix_shared::checks::KMS_KEY_DELETION_SCHEDULED as KEY_DELETION_SCHEDULED;
pub use phoenix_shared::checks::KMS_KEY_DISABLED as KEY_DISABLED;
pub use phoenix_shared::checks::RDS_AUTOMATED_BACKUPS_DELETED as AUTOMATED_BACKUPS_DELETED;
pub use phoenix_shared::checks::RDS_BACKUP_RETENTION_LOW as BACKUP_RETENTION_LOW;
pub use phoenix_shared::checks::RDS_DELETED_WITHOUT_BACKUP as DB_DELETED;
pub use phoenix_shared::checks::RDS_DELETION_PROTECTION_OFF as DELETION_PROTECTION_OFF;
pub use phoenix_shared::checks::RECOVERY_POINT_DELETED;
pub use phoenix_shared::checks::S3_BUCKET_DELETED as BUCKET_DELETED;
pub use phoenix_shared::checks::S3_LIFECYCLE_WEAKENED as LIFECYCLE_WEAKENED;
pub use phoenix_shared::checks::S3_OBJECT_LOCK_WEAKENED as OBJECT_LOCK_WEAKENED;
pub use phoenix_shared::checks::S3_POLICY_BLINDS_GUARD as POLICY_BLINDS_GUARD;
pub use phoenix_shared::checks::S3_VERSIONING_SUSPENDED as VERSIONING_SUSPENDED;
pub use phoenix_shared::checks::SECRET_DELETED;

const fn weakens(
    source: &'static str,
    event_name: &'static str,
    checks: &'static [&'static str],
    class: Class,
) -> Handled {
    Handled {
        source,
        event_name,
        checks,
        class,
        role: Role::Weakens,
    }
}

const fn restores(
    source: &'static str,
    event_name: &'static str,
    checks: &'static [&'static str],
    class: Class,
) -> Handled {
    Handled {
        role: Role::Restores,
        ..weakens(source, event_name, checks, class)
    }
}

use Class::{Bucket, DataStore, Guard, Secret};

/// Every CloudTrail event the function acts on.
pub const HANDLED: &[Handled] = &[
    weakens(
        "aws.s3",
        "PutBucketVersioning",
        &[VERSIONING_SUSPENDED],
        Bucket,
    ),
    weakens(
        "aws.s3",
        "PutBucketLifecycle",
        &[LIFECYCLE_WEAKENED],
        Bucket,
    ),
    weakens(
        "aws.s3",
        "DeleteBucketLifecycle",
        &[LIFECYCLE_WEAKENED],
        Bucket,
    ),
    weakens("aws.s3", "DeleteBucket", &[BUCKET_DELETED], Bucket),
    weakens(
        "aws.s3",
        "PutObjectLockConfiguration",
        &[OBJECT_LOCK_WEAKENED],
        Bucket,
    ),
    weakens("aws.s3", "PutBucketPolicy", &[POLICY_BLINDS_GUARD], Bucket),
    restores(
        "aws.s3",
        "DeleteBucketPolicy",
        &[POLICY_BLINDS_GUARD],
        Bucket,
    ),
    weakens(
        "aws.rds",
        "ModifyDBInstance",
        &[DELETION_PROTECTION_OFF, BACKUP_RETENTION_LOW],
        DataStore,
    ),
    weakens(
        "aws.rds",
        "ModifyDBCluster",
        &[DELETION_PROTECTION_OFF, BACKUP_RETENTION_LOW],
        DataStore,
    ),
    weakens(
        "aws.dynamodb",
        "UpdateContinuousBackups",
        &[PITR_OFF],
        DataStore,
    ),
    weakens(
        "aws.dynamodb",
        "UpdateTable",
        &[TABLE_DELETION_PROTECTION_OFF],
        DataStore,
    ),
    weakens("aws.rds", "DeleteDBInstance", &[DB_DELETED], DataStore),
    weakens("aws.rds", "DeleteDBCluster", &[DB_DELETED], DataStore),
    weakens(
        "aws.rds",
        "DeleteDBInstanceAutomatedBackup",
        &[AUTOMATED_BACKUPS_DELETED],
        DataStore,
    ),
    weakens(
        "aws.rds",
        "DeleteDBClusterAutomatedBackup",
        &[AUTOMATED_BACKUPS_DELETED],
        DataStore,
    ),
    weakens(
        "aws.elasticfilesystem",
        "DeleteFileSystem",
        &[EFS_DELETED],
        DataStore,
    ),
    weakens(
        "aws.elasticfilesystem",
        "PutBackupPolicy",
        &[EFS_BACKUP_DISABLED],
        DataStore,
    ),
    weakens(
        "aws.backup",
        "DeleteBackupVault",
        &[VAULT_DELETED],
        DataStore,
    ),
    weakens(
        "aws.backup",
        "DeleteRecoveryPoint",
        &[RECOVERY_POINT_DELETED],
        DataStore,
    ),
    weakens("aws.backup", "DeleteBackupPlan", &[PLAN_DELETED], DataStore),
    weakens(
        "aws.backup",
        "DeleteBackupSelection",
        &[SELECTION_DELETED],
        DataStore,
    ),
    weakens(
        "aws.backup",
        "UpdateBackupPlan",
        &[PLAN_WEAKENED],
        DataStore,
    ),
    weakens(
        "aws.backup",
        "DeleteBackupVaultLockConfiguration",
        &[VAULT_LOCK_REMOVED],
        DataStore,
    ),
    restores(
        "aws.backup",
        "PutBackupVaultLockConfiguration",
        &[VAULT_LOCK_REMOVED],
        DataStore,
    ),
    weakens(
        "aws.backup",
        "PutBackupVaultAccessPolicy",
        &[VAULT_POLICY_OPEN],
        DataStore,
    ),
    weakens(
        "aws.backup",
        "UpdateRegionSettings",
        &[REGION_OPT_OUT],
        DataStore,
    ),
    weakens(
        "aws.kms",
        "ScheduleKeyDeletion",
        &[KEY_DELETION_SCHEDULED],
        DataStore,
    ),
    restores(
        "aws.kms",
        "CancelKeyDeletion",
        &[KEY_DELETION_SCHEDULED],
        DataStore,
    ),
    weakens("aws.kms", "DisableKey", &[KEY_DISABLED], DataStore),
    restores("aws.kms", "EnableKey", &[KEY_DISABLED], DataStore),
    weakens(
        "aws.secretsmanager",
        "DeleteSecret",
        &[SECRET_DELETED],
        Secret,
    ),
    restores(
        "aws.secretsmanager",
        "RestoreSecret",
        &[SECRET_DELETED],
        Secret,
    ),
    weakens(
        "aws.secretsmanager",
        "PutSecretValue",
        &[KEY_REGENERATED],
        Secret,
    ),
    weakens(
        "aws.secretsmanager",
        "UpdateSecret",
        &[KEY_REGENERATED],
        Secret,
    ),
    weakens(
        "aws.secretsmanager",
        "RotateSecret",
        &[KEY_REGENERATED],
        Secret,
    ),
    weakens("aws.cloudtrail", "StopLogging", &[TRAIL_STOPPED], Guard),
    restores("aws.cloudtrail", "StartLogging", &[TRAIL_STOPPED], Guard),
    weakens("aws.cloudtrail", "DeleteTrail", &[TRAIL_DELETED], Guard),
    weakens("aws.cloudtrail", "UpdateTrail", &[TRAIL_WEAKENED], Guard),
    weakens(
        "aws.cloudtrail",
        "PutEventSelectors",
        &[TRAIL_WEAKENED],
        Guard,
    ),
    weakens("aws.events", "DisableRule", &[GUARD_RULE_DISABLED], Guard),
    restores("aws.events", "EnableRule", &[GUARD_RULE_DISABLED], Guard),
    weakens("aws.events", "DeleteRule", &[GUARD_RULE_DELETED], Guard),
    restores(
        "aws.events",
        "PutRule",
        &[GUARD_RULE_DELETED, GUARD_RULE_DISABLED],
        Guard,
    ),
    weakens(
        "aws.events",
        "RemoveTargets",
        &[GUARD_TARGETS_REMOVED],
        Guard,
    ),
    restores("aws.events", "PutTargets", &[GUARD_TARGETS_REMOVED], Guard),
    weakens(
        "aws.lambda",
        "DeleteFunction",
        &[GUARD_FUNCTION_DELETED],
        Guard,
    ),
];

/// CloudTrail names Lambda's calls with the API version appended (`DeleteFunction20150331`,
/// `DeleteFunction20150331v2`): the name without it.
pub fn normalize(event_name: &str) -> &str {
    let trimmed = event_name.trim();
    let without_suffix = trimmed.strip_suffix("v2").unwrap_or(trimmed);
    let digits = without_suffix
        .bytes()
        .rev()
        .take_while(u8::is_ascii_digit)
        .count();
    if digits == 8 && without_suffix.len() > digits {
        &without_suffix[..without_suffix.len() - digits]
    } else {
        trimmed
    }
}

/// The row for an event, if the function handles it.
pub fn lookup(source: &str, event_name: &str) -> Option<&'static Handled> {
    let name = normalize(event_name);
    HANDLED
        .iter()
        .find(|h| h.source == source && h.event_name == name)
}

/// Every check the function opens or resolves.
pub fn checks() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = HANDLED
        .iter()
        .flat_map(|h| h.checks.iter().copied())
        .collect();
    all.push(CALL_DENIED);
    all.sort_unstable();
    all.dedup();
    all
}

/// The EventBridge event patterns that route exactly the handled events: one per source,
/// so that no pattern matches a name of another service. Lambda's names are matched with
/// their version suffix as CloudTrail logs them, by prefix.
pub fn event_patterns() -> Vec<Value> {
    let mut sources: Vec<&str> = HANDLED.iter().map(|h| h.source).collect();
    sources.dedup();
    sources
        .into_iter()
        .map(|source| {
            let names: Vec<Value> = HANDLED
                .iter()
                .filter(|h| h.source == source)
                .map(|h| {
                    if source == "aws.lambda" {
                        json!({"prefix": h.event_name})
                    } else {
                        json!(h.event_name)
                    }
                })
                .collect();
            json!({
                "source": [source],
                "detail-type": ["AWS API Call via CloudTrail"],
                "detail": {"eventName": names},
            })
        })
        .collect()
}

/// What `--print-event-pattern` prints: one EventBridge rule per service, named after it
/// (`s3`, `rds`, …), and the table of handled calls the patterns come from.
pub fn describe() -> Value {
    let rules: serde_json::Map<String, Value> = event_patterns()
        .into_iter()
        .map(|pattern| {
            let source = pattern["source"][0].as_str().unwrap_or_default();
            (source.trim_start_matches("aws.").to_owned(), pattern)
        })
        .collect();
    json!({
        "function": crate::FUNCTION,
        "rules": rules,
        "events": HANDLED.iter().map(|h| json!({
            "source": h.source,
            "eventName": h.event_name,
            "checks": h.checks,
            "severity": h.class.as_str(),
            "role": match h.role { Role::Weakens => "weakens", Role::Restores => "restores" },
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_names_lose_their_api_version_and_others_stay() {
        assert_eq!(normalize("DeleteFunction20150331"), "DeleteFunction");
        assert_eq!(normalize("DeleteFunction20150331v2"), "DeleteFunction");
        assert_eq!(normalize("PutBucketVersioning"), "PutBucketVersioning");
        assert_eq!(normalize("20150331"), "20150331");
        assert!(lookup("aws.lambda", "DeleteFunction20150331").is_some());
        assert!(lookup("aws.s3", "DeleteRule").is_none());
    }

    #[test]
    fn patterns_route_each_source_only_its_own_names() {
        let patterns = event_patterns();
        let sources: Vec<&str> = HANDLED.iter().map(|h| h.source).collect();
        let mut distinct = sources.clone();
        distinct.dedup();
        assert_eq!(
            patterns.len(),
            distinct.len(),
            "sources are grouped in the table"
        );
        let s3 = patterns
            .iter()
            .find(|p| p["source"][0] == "aws.s3")
            .expect("an S3 pattern");
        let names = s3["detail"]["eventName"].as_array().expect("names");
        assert!(names.contains(&json!("PutBucketVersioning")));
        assert!(!names.contains(&json!("DeleteRule")));
        let lambda = patterns
            .iter()
            .find(|p| p["source"][0] == "aws.lambda")
            .expect("a Lambda pattern");
        assert_eq!(lambda["detail"]["eventName"][0]["prefix"], "DeleteFunction");
    }

    #[test]
    fn every_check_has_a_stable_name() {
        let all = checks();
        assert!(all.contains(&VAULT_DELETED) && all.contains(&CALL_DENIED));
        assert!(all.iter().all(|c| {
            c.chars()
                .all(|ch| ch.is_ascii_lowercase() || ch == '-' || ch.is_ascii_digit())
        }));
    }
}
