//! The plan gate's judgement: for each change of a Terraform plan that destroys a data
//! store (or a vault, a KMS key, a key secret), whether its data would be lost, can be restored (and from what), would stop the
//! apply, or cannot be judged because a read failed. Pure: the live account comes in as
//! [`Facts`], read beforehand.
//!
//! "Recoverable" always names the restore source: a recovery point (ARN, age, vault), a
//! final snapshot, retained automated backups, or AWS's own backup of a table with
//! point-in-time recovery. A recovery point counts only if it completed within the gate's
//! maximum age and lives in a vault the same plan does not destroy.

pub mod read;

use crate::policy::{LifecycleRule, LifecycleVerdict, assess_lifecycle};
use crate::schedule::format_duration;
use phoenix_shared::time::Timestamp;
use phoenix_shared::{Config, checks, tags};
use phoenix_terraform::plan::{Action, Change, Kept, Plan};
use phoenix_terraform::state::{GENERATOR_TYPES, SECRET_VERSION_TYPE};
use std::collections::{BTreeMap, BTreeSet};

pub use crate::recovery::Point;

/// What the account says now, for the resources the plan touches. A missing entry is a read
/// that was not made (the resource is new, or of no concern); an `Err` a read that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub now: Timestamp,
    /// Recovery points older than this do not count.
    pub max_age_seconds: i64,
    /// Completed recovery points per resource ARN.
    pub points: BTreeMap<String, Result<Vec<Point>, String>>,
    /// Objects in a bucket (by name): how many were counted.
    pub objects: BTreeMap<String, Result<u64, String>>,
    /// The resources whose recovery points a vault (by name) holds, one entry per point.
    pub vault_points: BTreeMap<String, Result<Vec<String>, String>>,
    /// The account's backup vaults; `None` when the plan destroys no vault and no key.
    pub vaults: Option<Result<Vec<VaultFact>, String>>,
    /// The account's data stores (ARN) and the KMS key each is encrypted with; `None` when
    /// the plan destroys no key.
    pub encrypted: Option<Result<Vec<(String, String)>, String>>,
    /// Completed copies (destination vault ARN, when) per resource ARN, read with its
    /// recovery points: whether the restore source survives a region outage too.
    pub copies: BTreeMap<String, Result<Vec<(String, Timestamp)>, String>>,
}

/// A backup vault as the account lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultFact {
    pub name: String,
    /// The KMS key its recovery points are encrypted with.
    pub key: Option<String>,
    pub points: i64,
    /// When its lock became (or becomes) immutable: compliance mode.
    pub locked_since: Option<Timestamp>,
}

impl Facts {
    /// No facts yet, judged at `now` with recovery points up to `max_age_seconds` old.
    pub const fn new(now: Timestamp, max_age_seconds: i64) -> Self {
        Self {
            now,
            max_age_seconds,
            points: BTreeMap::new(),
            objects: BTreeMap::new(),
            vault_points: BTreeMap::new(),
            vaults: None,
            encrypted: None,
            copies: BTreeMap::new(),
        }
    }
}

/// What a change would do to the data it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Gone for good: why.
    Lost(String),
    /// Comes back from the named source.
    Recoverable(String),
    /// The apply would fail here (the data survives, but the rebuild is not automatic): why.
    Blocked(String),
    /// A read the verdict needs failed; never counted as safe.
    Unknown(String),
    /// Nothing is held (an empty bucket): why.
    Harmless(String),
    /// The data stays, but what protects it is weakened in place (the check a guard would
    /// page, and why): the same rules `protection-guard` and the audit apply.
    Weakened(String),
}

impl Verdict {
    pub const fn as_str(&self) -> &'static str {
        match self {
            Self::Lost(_) => "lost",
            Self::Recoverable(_) => "recoverable",
            Self::Blocked(_) => "blocked",
            Self::Unknown(_) => "unknown",
            Self::Harmless(_) => "harmless",
            Self::Weakened(_) => "weakened",
        }
    }

    pub fn reason(&self) -> &str {
        match self {
            Self::Lost(r)
            | Self::Recoverable(r)
            | Self::Blocked(r)
            | Self::Unknown(r)
            | Self::Harmless(r)
            | Self::Weakened(r) => r,
        }
    }

    /// Whether the gate passes this change: nothing lost, nothing unknown, no protection
    /// weakened.
    pub const fn passes(&self) -> bool {
        matches!(
            self,
            Self::Recoverable(_) | Self::Harmless(_) | Self::Blocked(_)
        )
    }
}

/// One judged change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judged {
    pub address: String,
    pub resource_type: String,
    pub action: &'static str,
    /// The resource's ARN (or bucket name) the facts were read for.
    pub resource: String,
    pub verdict: Verdict,
}

/// The data-store types the gate judges, and how a destroy of each is decided.
pub const DATA_STORES: &[&str] = &[
    "aws_efs_file_system",
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_dynamodb_table",
    "aws_s3_bucket",
];

/// The resource a change's facts are read for: its ARN, or for a bucket its name.
pub fn resource_of(change: &Change) -> Option<String> {
    match change.resource_type.as_str() {
        "aws_s3_bucket" => text(change, "bucket").or_else(|| text(change, "id")),
        _ => text(change, "arn"),
    }
    .map(str::to_owned)
}

/// The vault names the plan destroys (their recovery points go with them, or stop the
/// apply).
pub fn destroyed_vaults(plan: &Plan) -> BTreeSet<String> {
    plan.changes
        .iter()
        .filter(|c| c.resource_type == "aws_backup_vault" && c.action.destroys())
        .filter_map(|c| text(c, "name").or_else(|| text(c, "id")).map(str::to_owned))
        .collect()
}

/// Judges every change of the plan that destroys a data store, a backup vault, a KMS key,
/// or a secret that holds an encryption key (tagged `phoenix:encryption-key`, or named by
/// `PHOENIX_ENCRYPTION_KEY_SECRETS` in `config`), and every change that would give an
/// encryption key a new value (a generator named by `PHOENIX_ENCRYPTION_KEY_RESOURCES`
/// replaced, a key secret's version replaced or rewritten).
pub fn judge(plan: &Plan, facts: &Facts, config: &Config) -> Vec<Judged> {
    let vaults = destroyed_vaults(plan);
    let mut judged: Vec<Judged> = plan
        .changes
        .iter()
        .filter_map(|c| {
            regenerated(c, plan, config)
                .or_else(|| weakened(c, config))
                .or_else(|| guard_removed(c, plan))
        })
        .collect();
    judged.extend(
        plan.changes
            .iter()
            .filter(|c| c.action.destroys())
            .filter_map(|c| {
                let kind = c.resource_type.as_str();
                let (resource, verdict) = if DATA_STORES.contains(&kind) {
                    let resource = resource_of(c).unwrap_or_default();
                    let verdict = if resource.is_empty() {
                        Verdict::Unknown(
                        "the plan does not say which resource this is (no arn or bucket in before)"
                            .to_owned(),
                    )
                    } else {
                        verdict(c, &resource, facts, &vaults, plan)
                    };
                    (resource, verdict)
                } else if kind == "aws_backup_vault" {
                    let name = text(c, "name")
                        .or_else(|| text(c, "id"))
                        .unwrap_or_default();
                    (name.to_owned(), vault(c, name, facts))
                } else if kind == "aws_kms_key" {
                    let arn = text(c, "arn").or_else(|| text(c, "id")).unwrap_or_default();
                    (arn.to_owned(), key(c, plan, facts))
                } else if kind == "aws_secretsmanager_secret" && is_key_secret(c, config) {
                    let arn = text(c, "arn")
                        .or_else(|| text(c, "name"))
                        .unwrap_or_default();
                    (arn.to_owned(), key_secret(c, arn))
                } else {
                    return None;
                };
                Some(Judged {
                    address: c.address.clone(),
                    resource_type: c.resource_type.clone(),
                    action: c.action.as_str(),
                    resource,
                    verdict,
                })
            }),
    );
    judged
}

/// An in-place update that weakens what protects data, by the rules the guards page on.
/// (Deleting a plan, a selection, a trail or a vault lock is left out: in a destroy of the
/// whole stack it goes with the data it protected.)
fn weakened(change: &Change, config: &Config) -> Option<Judged> {
    if !matches!(change.action, Action::Update | Action::Create) {
        return None;
    }
    let before = |n: &str| change.before.get(n);
    let after = |n: &str| change.after.get(n);
    let turned_off = |n: &str| {
        before(n).and_then(Kept::as_bool) == Some(true)
            && after(n).and_then(Kept::as_bool) == Some(false)
    };
    let status = |side: Option<&Kept>| side.and_then(Kept::as_text).map(str::to_owned);
    let update = change.action == Action::Update;
    let (check, why) = match change.resource_type.as_str() {
        "aws_s3_bucket_versioning"
            if status(after("versioning_configuration.status")).is_some_and(|s| s != "Enabled")
                && status(before("versioning_configuration.status")).as_deref() == Some("Enabled") =>
        {
            (
                Some(checks::S3_VERSIONING_SUSPENDED),
                "versioning goes from Enabled to Suspended: objects overwritten or deleted from now on are gone for good".to_owned(),
            )
        }
        "aws_db_instance" | "aws_rds_cluster" if update && turned_off("deletion_protection") => (
            Some(checks::RDS_DELETION_PROTECTION_OFF),
            "deletion protection is turned off: a terraform destroy or one call deletes the database".to_owned(),
        ),
        "aws_db_instance" | "aws_rds_cluster"
            if update
                && after("backup_retention_period")
                    .and_then(Kept::as_number)
                    .is_some_and(|d| u64::try_from(d).unwrap_or(0) < config.min_backup_retention_days) =>
        {
            (
                Some(checks::RDS_BACKUP_RETENTION_LOW),
                format!(
                    "automated backups kept {} days, below the policy's {}",
                    after("backup_retention_period").and_then(Kept::as_number).unwrap_or(0),
                    config.min_backup_retention_days
                ),
            )
        }
        "aws_db_instance" | "aws_rds_cluster"
            if update
                && before("skip_final_snapshot").and_then(Kept::as_bool) == Some(false)
                && after("skip_final_snapshot").and_then(Kept::as_bool) == Some(true) =>
        {
            (
                None,
                "skip_final_snapshot is turned on: a later destroy takes no final snapshot".to_owned(),
            )
        }
        "aws_dynamodb_table" if update && turned_off("deletion_protection_enabled") => (
            Some(checks::DYNAMODB_DELETION_PROTECTION_OFF),
            "deletion protection is turned off: a terraform destroy deletes the table".to_owned(),
        ),
        "aws_dynamodb_table" if update && turned_off("point_in_time_recovery.enabled") => (
            Some(checks::DYNAMODB_PITR_OFF),
            "point-in-time recovery is turned off: no continuous backups, and no system backup if the table is deleted".to_owned(),
        ),
        "aws_cloudtrail" if update && turned_off("enable_logging") => (
            Some(checks::CLOUDTRAIL_STOPPED),
            "the trail stops logging: protection-guard sees no API calls".to_owned(),
        ),
        "aws_s3_bucket_object_lock_configuration" if update => {
            let days = |side: fn(&Change) -> &phoenix_terraform::plan::Attributes| {
                let side = side(change);
                side.get("rule.default_retention.days")
                    .and_then(Kept::as_number)
                    .or_else(|| {
                        side.get("rule.default_retention.years")
                            .and_then(Kept::as_number)
                            .map(|y| y * 365)
                    })
            };
            let min = i64::try_from(config.min_version_retention_days).unwrap_or(i64::MAX);
            let (was, now) = (days(|c| &c.before), days(|c| &c.after));
            if was.is_none_or(|d| d < min) || now.is_some_and(|d| d >= min) {
                return None;
            }
            (
                Some(checks::S3_OBJECT_LOCK_WEAKENED),
                match now {
                    Some(d) => format!(
                        "the default Object Lock retention goes from {} to {d} days (policy: at least {min})",
                        was.unwrap_or_default()
                    ),
                    None => "the default Object Lock retention is removed".to_owned(),
                },
            )
        }
        "aws_s3_bucket_lifecycle_configuration" => {
            let rule = LifecycleRule {
                enabled: status(after("rule.status")).as_deref() == Some("Enabled"),
                expiration_days: after("rule.expiration.days").and_then(Kept::as_number),
                noncurrent_days: after("rule.noncurrent_version_expiration.noncurrent_days")
                    .and_then(Kept::as_number),
            };
            match assess_lifecycle(&[rule], config.min_version_retention_days) {
                LifecycleVerdict::Deletes(why) => (
                    Some(checks::S3_LIFECYCLE_WEAKENED),
                    format!("the lifecycle deletes data early: {why}"),
                ),
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(Judged {
        address: change.address.clone(),
        resource_type: change.resource_type.clone(),
        action: change.action.as_str(),
        resource: change.address.clone(),
        verdict: Verdict::Weakened(match check {
            Some(check) => format!("{check}: {why}"),
            None => why,
        }),
    })
}

/// A resource that guards data, deleted while the data stays: a plan that is not a destroy
/// of everything removes a backup selection or plan, a vault lock, versioning or a trail.
/// (In a destroy of everything it goes with the data, which is judged on its own.)
fn guard_removed(change: &Change, plan: &Plan) -> Option<Judged> {
    if change.action != Action::Delete || plan.destroys_everything {
        return None;
    }
    let destroyed = |kind: &str, name: Option<&str>| {
        name.is_some_and(|name| {
            plan.changes.iter().any(|c| {
                c.resource_type == kind
                    && c.action.destroys()
                    && [text(c, "bucket"), text(c, "name"), text(c, "id")].contains(&Some(name))
            })
        })
    };
    let named = text(change, "name")
        .or_else(|| text(change, "id"))
        .unwrap_or(change.address.as_str());
    let (check, why) = match change.resource_type.as_str() {
        "aws_backup_selection" => (
            checks::BACKUP_SELECTION_DELETED,
            match text(change, "resources") {
                Some(resources) => format!(
                    "backup selection {named} is deleted: what it selected ({resources}) gets no new backups unless another selection covers it"
                ),
                None => format!(
                    "backup selection {named} is deleted: the resources it selected get no new backups unless another selection covers them"
                ),
            },
        ),
        "aws_backup_plan" => (
            checks::BACKUP_PLAN_DELETED,
            format!(
                "backup plan {named} is deleted with its selections: the resources they selected get no new backups"
            ),
        ),
        "aws_backup_vault_lock_configuration" => {
            let vault = text(change, "backup_vault_name");
            if destroyed("aws_backup_vault", vault) {
                return None;
            }
            (
                checks::BACKUP_VAULT_LOCK_REMOVED,
                format!(
                    "the lock of vault {} is removed: anyone allowed backup:DeleteRecoveryPoint can delete its recovery points again",
                    vault.unwrap_or(named)
                ),
            )
        }
        "aws_s3_bucket_versioning" => {
            let bucket = text(change, "bucket");
            let enabled = change
                .before
                .get("versioning_configuration.status")
                .and_then(Kept::as_text)
                == Some("Enabled");
            if !enabled || destroyed("aws_s3_bucket", bucket) {
                return None;
            }
            (
                checks::S3_VERSIONING_SUSPENDED,
                format!(
                    "deleting the versioning resource suspends versioning on {}: objects overwritten or deleted from now on are gone for good",
                    bucket.unwrap_or(named)
                ),
            )
        }
        "aws_s3_bucket_object_lock_configuration" => {
            let bucket = text(change, "bucket");
            if destroyed("aws_s3_bucket", bucket) {
                return None;
            }
            (
                checks::S3_OBJECT_LOCK_WEAKENED,
                format!(
                    "the Object Lock configuration of {} is deleted: new objects get no default retention",
                    bucket.unwrap_or(named)
                ),
            )
        }
        "aws_cloudtrail" => (
            checks::CLOUDTRAIL_DELETED,
            format!("trail {named} is deleted: protection-guard sees no API calls it recorded"),
        ),
        _ => return None,
    };
    Some(Judged {
        address: change.address.clone(),
        resource_type: change.resource_type.clone(),
        action: change.action.as_str(),
        resource: change.address.clone(),
        verdict: Verdict::Weakened(format!("{check}: {why}")),
    })
}

/// What an operator does about a key that is about to change.
const KEEP_THE_KEY: &str = "copy the current value first, add lifecycle { ignore_changes = all } to the generator (and ignore_changes = [secret_string] to the secret version), and keep keys in a stack that is never destroyed";

/// A change that gives an encryption key a new value: data encrypted with the old one can
/// no longer be decrypted (`encryption-key-regenerated`, seen before it happens).
fn regenerated(change: &Change, plan: &Plan, config: &Config) -> Option<Judged> {
    let kind = change.resource_type.as_str();
    let generator = GENERATOR_TYPES.iter().any(|(t, _)| *t == kind);
    let why = if generator {
        if !matches!(change.action, Action::Replace { .. } | Action::Delete)
            || !config.is_key_resource_name(&change.name)
        {
            return None;
        }
        // Destroyed, its value is gone with the state: the rebuild generates another.
        let how = if change.action == Action::Delete {
            "is destroyed and the rebuild generates a new value"
        } else {
            "gets a new value"
        };
        format!(
            "{}: {} {how}; data encrypted with the old key cannot be decrypted: {KEEP_THE_KEY}",
            checks::ENCRYPTION_KEY_REGENERATED,
            change.address
        )
    } else if kind == SECRET_VERSION_TYPE {
        let secret = change
            .before
            .get("secret_id")
            .or_else(|| change.after.get("secret_id"))
            .and_then(Kept::as_text)?;
        let key_secret = names_of_secret(secret)
            .iter()
            .any(|n| config.is_configured_key_secret(n))
            || plan.changes.iter().any(|c| {
                c.resource_type == "aws_secretsmanager_secret"
                    && [text(c, "arn"), text(c, "id"), text(c, "name")].contains(&Some(secret))
                    && is_key_secret(c, config)
            });
        let value = |side: &phoenix_terraform::plan::Attributes| {
            side.get("secret_string")
                .or_else(|| side.get("secret_binary"))
                .cloned()
        };
        let rewritten = match change.action {
            Action::Replace { .. } => true,
            Action::Update => value(&change.before) != value(&change.after),
            _ => false,
        };
        if !key_secret || !rewritten {
            return None;
        }
        format!(
            "{}: the key in {secret} gets a new value; data encrypted with the old key cannot be decrypted unless the old version stays (AWSPREVIOUS): {KEEP_THE_KEY}",
            checks::ENCRYPTION_KEY_REGENERATED
        )
    } else {
        return None;
    };
    Some(Judged {
        address: change.address.clone(),
        resource_type: change.resource_type.clone(),
        action: change.action.as_str(),
        resource: change.address.clone(),
        verdict: Verdict::Lost(why),
    })
}

fn text<'a>(change: &'a Change, name: &str) -> Option<&'a str> {
    change
        .before
        .get(name)
        .and_then(Kept::as_text)
        .filter(|t| !t.is_empty())
}

/// A secret marked as holding an encryption key, by its tag or by configuration.
fn is_key_secret(change: &Change, config: &Config) -> bool {
    let tagged = [
        "tags.phoenix:encryption-key",
        "tags_all.phoenix:encryption-key",
    ]
    .iter()
    .any(|t| tags::is_true(text(change, t)));
    tagged
        || [text(change, "name"), text(change, "arn")]
            .into_iter()
            .flatten()
            .flat_map(names_of_secret)
            .any(|n| config.is_configured_key_secret(&n))
}

/// The spellings a secret's patterns may match: as given, and for an ARN
/// (`…:secret:NAME-AbCdEf`) its name with and without the six-character suffix AWS adds.
fn names_of_secret(id: &str) -> Vec<String> {
    let mut names = vec![id.to_owned()];
    if let Some((_, name)) = id.split_once(":secret:") {
        names.push(name.to_owned());
        if let Some((base, suffix)) = name.rsplit_once('-')
            && suffix.len() == 6
        {
            names.push(base.to_owned());
        }
    }
    names
}

fn key_secret(change: &Change, arn: &str) -> Verdict {
    match change
        .before
        .get("recovery_window_in_days")
        .and_then(Kept::as_number)
    {
        Some(0) => Verdict::Lost(
            "recovery_window_in_days = 0 deletes the key at once: everything encrypted with it cannot be decrypted again"
                .to_owned(),
        ),
        // Terraform's default window is 30 days.
        days => Verdict::Recoverable(format!(
            "the secret can be restored for {} days: aws secretsmanager restore-secret --secret-id {arn}",
            days.unwrap_or(30)
        )),
    }
}

/// The attributes through which a resource names the KMS key that encrypts it.
const KEY_REFERENCES: &[&str] = &[
    "kms_key_id",
    "kms_key_arn",
    "server_side_encryption.kms_key_arn",
];

/// A key's deletion loses what it encrypts that the plan keeps: data stores, vaults (their
/// recovery points) and key secrets. It is reported with its deletion window, the time
/// left to cancel it.
fn key(change: &Change, plan: &Plan, facts: &Facts) -> Verdict {
    let ids: Vec<&str> = [
        text(change, "arn"),
        text(change, "key_id"),
        text(change, "id"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if ids.is_empty() {
        return Verdict::Unknown("the plan does not say which key this is".to_owned());
    }
    let is_this_key = |reference: &str| {
        ids.iter()
            .any(|id| reference == *id || reference.ends_with(&format!("/{id}")))
    };
    let mut encrypted: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| !c.action.destroys())
        .filter(|c| {
            KEY_REFERENCES.iter().any(|attr| {
                [&c.before, &c.after]
                    .into_iter()
                    .filter_map(|side| side.get(attr).and_then(Kept::as_text))
                    .any(is_this_key)
            })
        })
        .map(|c| c.address.clone())
        .collect();
    // What the account holds encrypted with it, outside the plan: the recovery points of
    // vaults, and data stores the plan does not destroy.
    let destroyed: BTreeSet<String> = plan
        .changes
        .iter()
        .filter(|c| c.action.destroys())
        .filter_map(resource_of)
        .collect();
    match &facts.vaults {
        Some(Err(why)) => {
            return Verdict::Unknown(format!(
                "the vaults it may encrypt could not be listed: {why}"
            ));
        }
        Some(Ok(vaults)) => encrypted.extend(
            vaults
                .iter()
                .filter(|v| v.points > 0 && v.key.as_deref().is_some_and(is_this_key))
                .map(|v| format!("the {} recovery point(s) in vault {}", v.points, v.name)),
        ),
        None => {}
    }
    match &facts.encrypted {
        Some(Err(why)) => {
            return Verdict::Unknown(format!(
                "the data stores it may encrypt could not be listed: {why}"
            ));
        }
        Some(Ok(stores)) => encrypted.extend(
            stores
                .iter()
                .filter(|(store, key)| is_this_key(key) && !destroyed.contains(store))
                .map(|(store, _)| store.clone()),
        ),
        None => {}
    }
    let window = change
        .before
        .get("deletion_window_in_days")
        .and_then(Kept::as_number)
        .unwrap_or(30);
    if encrypted.is_empty() {
        let seen = if facts.vaults.is_some() && facts.encrypted.is_some() {
            "nothing the plan keeps, no vault and no data store of the account is encrypted with it"
        } else {
            "nothing this plan keeps is encrypted with it"
        };
        Verdict::Harmless(format!(
            "{seen} (the key is deleted after {window} days; snapshots encrypted with it are not read)"
        ))
    } else {
        Verdict::Lost(format!(
            "it encrypts {}: after its {window}-day deletion window they cannot be decrypted (aws kms cancel-key-deletion undoes it within the window)",
            encrypted.join(", ")
        ))
    }
}

/// A vault holding recovery points: without `force_destroy` AWS refuses to delete it (the
/// apply stops); with it, the points go first.
fn vault(change: &Change, name: &str, facts: &Facts) -> Verdict {
    let points = match facts.vault_points.get(name) {
        None => {
            return Verdict::Unknown(format!(
                "the recovery points in vault {name} were not listed"
            ));
        }
        Some(Err(why)) => {
            return Verdict::Unknown(format!("its recovery points could not be listed: {why}"));
        }
        Some(Ok(points)) => points,
    };
    if points.is_empty() {
        return Verdict::Harmless("the vault holds no recovery points".to_owned());
    }
    let resources: BTreeSet<&str> = points.iter().map(String::as_str).collect();
    let named = resources
        .iter()
        .take(5)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    let more = resources.len().saturating_sub(5);
    let of = if more > 0 {
        format!("{named} and {more} more")
    } else {
        named
    };
    if flag(change, "force_destroy") == Some(true) {
        let immutable = |vaults: &[VaultFact]| {
            vaults
                .iter()
                .any(|v| v.name == name && v.locked_since.is_some_and(|since| since <= facts.now))
        };
        match &facts.vaults {
            Some(Ok(vaults)) if immutable(vaults) => Verdict::Blocked(format!(
                "a compliance-mode vault lock keeps its {} recovery point(s) (of {of}) until their retention ends: AWS refuses to delete them and the apply stops here",
                points.len()
            )),
            Some(Err(why)) => Verdict::Unknown(format!(
                "whether a compliance-mode lock keeps its recovery points could not be read: {why}"
            )),
            _ => Verdict::Lost(format!(
                "force_destroy deletes its {} recovery point(s), of {of}",
                points.len()
            )),
        }
    } else {
        Verdict::Blocked(format!(
            "it holds {} recovery point(s) (of {of}) and force_destroy is off: AWS refuses to delete it and the apply stops here",
            points.len()
        ))
    }
}

fn flag(change: &Change, name: &str) -> Option<bool> {
    change.before.get(name).and_then(Kept::as_bool)
}

/// The newest usable recovery point, as a restore source; `Err` when the points could not
/// be read.
fn point_source(
    resource: &str,
    facts: &Facts,
    vaults: &BTreeSet<String>,
) -> Result<Option<String>, String> {
    let Some(points) = facts.points.get(resource) else {
        return Ok(None);
    };
    let points = points.as_ref().map_err(Clone::clone)?;
    Ok(points
        .iter()
        .filter(|p| facts.now.seconds_since(p.completed) <= facts.max_age_seconds)
        .filter(|p| !vaults.contains(&p.vault))
        .max_by_key(|p| p.completed)
        .map(|p| {
            format!(
                "recovery point {} ({} old) in vault {}",
                p.arn,
                format_duration(facts.now.seconds_since(p.completed)),
                p.vault
            )
        }))
}

/// What a region outage would leave of a recoverable store's backups, when its copies were
/// read: nothing to say when a copy within the age limit sits in another region; else the
/// warning that its only copies share the region (and account) it is destroyed in.
fn outage(resource: &str, facts: &Facts) -> String {
    let Some(copies) = facts.copies.get(resource) else {
        return String::new();
    };
    // Where its recovery points are (a bucket's ARN names no region).
    let Some(point) = facts
        .points
        .get(resource)
        .and_then(|p| p.as_ref().ok())
        .and_then(|p| p.first())
    else {
        return String::new();
    };
    let (_, _, region, account, _) = phoenix_shared::arn::split(&point.arn).unwrap_or_default();
    match copies {
        Err(why) => format!("; its copies could not be read ({why})"),
        Ok(copies)
            if copies.iter().any(|(vault, done)| {
                facts.now.seconds_since(*done) <= facts.max_age_seconds
                    && phoenix_shared::arn::split(vault).is_some_and(|(_, _, r, _, _)| r != region)
            }) =>
        {
            String::new()
        }
        Ok(_) => {
            format!("; but every copy is in {region}, account {account}: lost in a region outage")
        }
    }
}

fn no_point(facts: &Facts) -> String {
    format!(
        "no completed recovery point within {} in a vault that outlives the change",
        format_duration(facts.max_age_seconds)
    )
}

fn from_points(resource: &str, facts: &Facts, vaults: &BTreeSet<String>, lost: String) -> Verdict {
    match point_source(resource, facts, vaults) {
        Err(why) => Verdict::Unknown(format!("its recovery points could not be read: {why}")),
        Ok(Some(source)) => Verdict::Recoverable(format!("{source}{}", outage(resource, facts))),
        Ok(None) => Verdict::Lost(format!("{lost}, and {}", no_point(facts))),
    }
}

/// What a destroyed data store's own settings decide before any recovery point is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// Decided: deletion protection, a final snapshot, retained automated backups,
    /// point-in-time recovery; for a bucket, given its object count: empty, object lock,
    /// `force_destroy` off (or the count could not be read).
    Verdict(Verdict),
    /// Only a recovery point of `arn` can save it; without one, `lost` is what goes.
    ByPoints { arn: String, lost: String },
}

/// [`Settled`] for a destroyed data store (`resource` as [`resource_of`] names it); a
/// bucket's verdict needs its object count in `objects` first. The reader asks this before
/// it lists recovery points, so a store its settings already decide costs no call.
pub fn settled(
    change: &Change,
    resource: &str,
    objects: Option<&Result<u64, String>>,
    plan: &Plan,
) -> Settled {
    let by_points = |lost: String| Settled::ByPoints {
        arn: resource.to_owned(),
        lost,
    };
    let decided = |verdict| Settled::Verdict(verdict);
    match change.resource_type.as_str() {
        "aws_efs_file_system" => {
            by_points("the file system and every file in it are deleted".to_owned())
        }
        "aws_db_instance" | "aws_rds_cluster" => {
            if flag(change, "deletion_protection") == Some(true) {
                return decided(Verdict::Blocked(
                    "deletion_protection is on: the apply stops here and the database stays, but the rebuild needs a person"
                        .to_owned(),
                ));
            }
            let snapshot = change
                .before
                .get("final_snapshot_identifier")
                .and_then(Kept::as_text)
                .filter(|s| !s.is_empty());
            if let (Some(false), Some(name)) = (flag(change, "skip_final_snapshot"), snapshot) {
                return decided(Verdict::Recoverable(format!(
                    "final snapshot {name}, taken as it is deleted"
                )));
            }
            if flag(change, "delete_automated_backups") == Some(false) {
                let days = change
                    .before
                    .get("backup_retention_period")
                    .and_then(Kept::as_number)
                    .unwrap_or_default();
                return decided(Verdict::Recoverable(format!(
                    "its automated backups are retained (delete_automated_backups = false), {days} days of them"
                )));
            }
            by_points("no final snapshot is taken (skip_final_snapshot, or no final_snapshot_identifier) and its automated backups are deleted with it".to_owned())
        }
        "aws_dynamodb_table" => {
            if flag(change, "deletion_protection_enabled") == Some(true) {
                return decided(Verdict::Blocked(
                    "deletion_protection_enabled is on: the apply stops here and the table stays"
                        .to_owned(),
                ));
            }
            if flag(change, "point_in_time_recovery.enabled") == Some(true) {
                return decided(Verdict::Recoverable(
                    "point-in-time recovery is on: AWS keeps a system backup of the deleted table for 35 days (aws dynamodb list-backups --backup-type SYSTEM)"
                        .to_owned(),
                ));
            }
            by_points("point-in-time recovery is off".to_owned())
        }
        "aws_s3_bucket" => {
            let count = match objects {
                None => {
                    return decided(Verdict::Unknown(format!(
                        "the objects in {resource} were not counted"
                    )));
                }
                Some(Err(why)) => {
                    return decided(Verdict::Unknown(format!(
                        "its objects could not be listed: {why}"
                    )));
                }
                Some(Ok(count)) => *count,
            };
            if count == 0 {
                return decided(Verdict::Harmless("the bucket is empty".to_owned()));
            }
            if flag(change, "object_lock_enabled") == Some(true) {
                return decided(Verdict::Blocked(format!(
                    "object lock is on and it holds {count} object(s): the apply stops here"
                )));
            }
            if flag(change, "force_destroy") != Some(true) {
                return decided(Verdict::Blocked(format!(
                    "it holds {count} object(s) and force_destroy is off: the apply stops here and the bucket stays"
                )));
            }
            if let Some(replica) = replica(plan, resource) {
                return decided(Verdict::Recoverable(format!(
                    "it replicates to {replica}, which this change keeps (objects written before replication began are only there if they were replicated)"
                )));
            }
            Settled::ByPoints {
                arn: format!("arn:aws:s3:::{resource}"),
                lost: format!(
                    "force_destroy deletes its {count} object(s) and every version of them"
                ),
            }
        }
        other => decided(Verdict::Unknown(format!(
            "{other} is not a data store the gate judges"
        ))),
    }
}

/// The bucket `bucket` replicates to (its replication configuration in the plan or state),
/// when that bucket is not destroyed too.
fn replica(plan: &Plan, bucket: &str) -> Option<String> {
    plan.changes
        .iter()
        .filter(|c| c.resource_type == "aws_s3_bucket_replication_configuration")
        .filter(|c| {
            text(c, "bucket")
                .is_some_and(|b| b == bucket || phoenix_shared::arn::bucket_name(b) == bucket)
        })
        .filter_map(|c| text(c, "rule.destination.bucket"))
        .map(phoenix_shared::arn::bucket_name)
        .find(|destination| {
            !plan.changes.iter().any(|c| {
                c.resource_type == "aws_s3_bucket"
                    && c.action.destroys()
                    && text(c, "bucket") == Some(destination.as_str())
            })
        })
}

fn verdict(
    change: &Change,
    resource: &str,
    facts: &Facts,
    vaults: &BTreeSet<String>,
    plan: &Plan,
) -> Verdict {
    match settled(change, resource, facts.objects.get(resource), plan) {
        Settled::Verdict(verdict) => verdict,
        Settled::ByPoints { arn, lost } => from_points(&arn, facts, vaults, lost),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use phoenix_terraform::plan::Attributes;

    const NOW: i64 = 1_800_000_000;

    fn config() -> Config {
        Config::for_checks(|name| {
            (name == "PHOENIX_ENCRYPTION_KEY_SECRETS").then(|| "*-master-key".to_owned())
        })
        .expect("config")
    }
    const DAY: i64 = 86_400;

    fn change(kind: &str, action: Action, before: &[(&'static str, Kept)]) -> Change {
        Change {
            address: format!("{kind}.main"),
            module_address: None,
            resource_type: kind.to_owned(),
            name: "main".to_owned(),
            action,
            previous_address: None,
            deposed: None,
            reason: None,
            replace_paths: Vec::new(),
            before: before.iter().cloned().collect::<Attributes>(),
            after: Attributes::new(),
        }
    }

    fn text(s: &str) -> Kept {
        Kept::Text(s.to_owned())
    }

    fn facts(points: &[(&str, &str, i64)]) -> Facts {
        let mut f = Facts::new(Timestamp::from_epoch_seconds(NOW), DAY);
        for (resource, vault, age) in points {
            if let Ok(list) = f
                .points
                .entry((*resource).to_owned())
                .or_insert_with(|| Ok(Vec::new()))
            {
                list.push(Point {
                    arn: format!("arn:aws:backup:eu-west-1:1:recovery-point:{vault}-{age}"),
                    vault: (*vault).to_owned(),
                    completed: Timestamp::from_epoch_seconds(NOW - age),
                });
            }
        }
        f
    }

    fn one(plan_changes: Vec<Change>, facts: &Facts) -> Verdict {
        let plan = Plan {
            format_version: "1.2".to_owned(),
            changes: plan_changes,
            ..Plan::default()
        };
        judge(&plan, facts, &config())
            .into_iter()
            .next()
            .map(|j| j.verdict)
            .unwrap_or(Verdict::Harmless("nothing judged".to_owned()))
    }

    const EFS: &str = "arn:aws:elasticfilesystem:eu-west-1:1:file-system/fs-1";

    #[test]
    fn a_recoverable_store_whose_copies_all_share_its_region_is_named_lost_in_a_region_outage() {
        let efs = || change("aws_efs_file_system", Action::Delete, &[("arn", text(EFS))]);
        let mut f = facts(&[(EFS, "main", 3600)]);
        let reason = |f: &Facts| one(vec![efs()], f).reason().to_owned();
        assert!(
            !reason(&f).contains("outage"),
            "copies not read: nothing said"
        );
        f.copies.insert(EFS.to_owned(), Ok(Vec::new()));
        assert!(
            reason(&f)
                .ends_with("; but every copy is in eu-west-1, account 1: lost in a region outage"),
            "{}",
            reason(&f)
        );
        let copied = |vault: &str, age: i64| {
            Ok(vec![(
                vault.to_owned(),
                Timestamp::from_epoch_seconds(NOW - age),
            )])
        };
        f.copies.insert(
            EFS.to_owned(),
            copied("arn:aws:backup:eu-west-1:1:backup-vault:other", 600),
        );
        assert!(
            reason(&f).contains("lost in a region outage"),
            "same region"
        );
        f.copies.insert(
            EFS.to_owned(),
            copied("arn:aws:backup:eu-central-1:1:backup-vault:dr", 2 * DAY),
        );
        assert!(reason(&f).contains("lost in a region outage"), "too old");
        f.copies.insert(
            EFS.to_owned(),
            copied("arn:aws:backup:eu-central-1:1:backup-vault:dr", 600),
        );
        assert!(!reason(&f).contains("outage"), "{}", reason(&f));
        assert!(
            matches!(one(vec![efs()], &f), Verdict::Recoverable(_)),
            "still recoverable"
        );
        f.copies
            .insert(EFS.to_owned(), Err("ListCopyJobs: AccessDenied".to_owned()));
        assert!(
            reason(&f).ends_with("; its copies could not be read (ListCopyJobs: AccessDenied)")
        );
    }

    #[test]
    fn a_file_system_survives_only_through_a_fresh_point_in_a_vault_the_plan_keeps() {
        let efs = || change("aws_efs_file_system", Action::Delete, &[("arn", text(EFS))]);
        let fresh = one(vec![efs()], &facts(&[(EFS, "main", 3600)]));
        assert!(
            matches!(&fresh, Verdict::Recoverable(s) if s.contains("1h") && s.contains("vault main")),
            "{fresh:?}"
        );
        let stale = one(vec![efs()], &facts(&[(EFS, "main", 2 * DAY)]));
        assert!(
            matches!(&stale, Verdict::Lost(s) if s.contains("every file")),
            "{stale:?}"
        );
        let none = one(vec![efs()], &facts(&[]));
        assert!(matches!(none, Verdict::Lost(_)));
        let vault = change(
            "aws_backup_vault",
            Action::Delete,
            &[("name", text("main"))],
        );
        let with_vault = one(vec![efs(), vault], &facts(&[(EFS, "main", 3600)]));
        assert!(
            matches!(with_vault, Verdict::Lost(_)),
            "the point's vault goes too: {with_vault:?}"
        );
        let mut unreadable = facts(&[]);
        unreadable
            .points
            .insert(EFS.to_owned(), Err("AccessDeniedException".to_owned()));
        assert!(
            matches!(one(vec![efs()], &unreadable), Verdict::Unknown(s) if s.contains("AccessDenied"))
        );
        let replaced = change(
            "aws_efs_file_system",
            Action::Replace {
                create_first: false,
            },
            &[("arn", text(EFS))],
        );
        assert!(
            matches!(one(vec![replaced], &facts(&[])), Verdict::Lost(_)),
            "a replacement destroys too"
        );
        let updated = change("aws_efs_file_system", Action::Update, &[("arn", text(EFS))]);
        let plan = Plan {
            changes: vec![updated],
            ..Plan::default()
        };
        assert!(
            judge(&plan, &facts(&[]), &config()).is_empty(),
            "an update destroys nothing"
        );
    }

    #[test]
    fn a_database_survives_through_protection_a_final_snapshot_retained_backups_or_a_point() {
        const DB: &str = "arn:aws:rds:eu-west-1:1:db:zitadel";
        let db = |extra: &[(&'static str, Kept)]| {
            let mut before = vec![("arn", text(DB))];
            before.extend_from_slice(extra);
            change("aws_db_instance", Action::Delete, &before)
        };
        let table: &[(&[(&'static str, Kept)], &str)] = &[
            (&[("deletion_protection", Kept::Bool(true))], "blocked"),
            (
                &[
                    ("skip_final_snapshot", Kept::Bool(false)),
                    (
                        "final_snapshot_identifier",
                        Kept::Text("zitadel-final".to_owned()),
                    ),
                ],
                "recoverable",
            ),
            // A final snapshot without a name is not taken.
            (&[("skip_final_snapshot", Kept::Bool(false))], "lost"),
            (
                &[
                    ("skip_final_snapshot", Kept::Bool(true)),
                    ("delete_automated_backups", Kept::Bool(false)),
                ],
                "recoverable",
            ),
            (
                &[
                    ("skip_final_snapshot", Kept::Bool(true)),
                    ("delete_automated_backups", Kept::Bool(true)),
                ],
                "lost",
            ),
        ];
        for (before, expected) in table {
            let verdict = one(vec![db(before)], &facts(&[]));
            assert_eq!(verdict.as_str(), *expected, "{before:?}: {verdict:?}");
        }
        let with_point = one(
            vec![db(&[("skip_final_snapshot", Kept::Bool(true))])],
            &facts(&[(DB, "main", 60)]),
        );
        assert_eq!(with_point.as_str(), "recoverable");
        assert!(with_point.reason().contains("recovery point"));
        let snapshot = one(
            vec![db(&[
                ("skip_final_snapshot", Kept::Bool(false)),
                (
                    "final_snapshot_identifier",
                    Kept::Text("zitadel-final".to_owned()),
                ),
            ])],
            &facts(&[]),
        );
        assert!(snapshot.reason().contains("zitadel-final"), "{snapshot:?}");
    }

    #[test]
    fn a_table_survives_through_protection_pitr_or_a_point() {
        const TABLE: &str = "arn:aws:dynamodb:eu-west-1:1:table/sessions";
        let t = |extra: &[(&'static str, Kept)]| {
            let mut before = vec![("arn", text(TABLE))];
            before.extend_from_slice(extra);
            change("aws_dynamodb_table", Action::Delete, &before)
        };
        assert_eq!(
            one(
                vec![t(&[("deletion_protection_enabled", Kept::Bool(true))])],
                &facts(&[])
            )
            .as_str(),
            "blocked"
        );
        assert_eq!(
            one(
                vec![t(&[("point_in_time_recovery.enabled", Kept::Bool(true))])],
                &facts(&[])
            )
            .as_str(),
            "recoverable"
        );
        assert_eq!(one(vec![t(&[])], &facts(&[])).as_str(), "lost");
        assert_eq!(
            one(vec![t(&[])], &facts(&[(TABLE, "main", 60)])).as_str(),
            "recoverable"
        );
    }

    #[test]
    fn a_bucket_is_harmless_empty_blocked_without_force_destroy_and_lost_with_it() {
        let bucket = |extra: &[(&'static str, Kept)]| {
            let mut before = vec![("bucket", text("uploads"))];
            before.extend_from_slice(extra);
            change("aws_s3_bucket", Action::Delete, &before)
        };
        let counted = |n: Result<u64, String>| {
            let mut f = facts(&[]);
            f.objects.insert("uploads".to_owned(), n);
            f
        };
        assert_eq!(one(vec![bucket(&[])], &counted(Ok(0))).as_str(), "harmless");
        assert_eq!(one(vec![bucket(&[])], &counted(Ok(12))).as_str(), "blocked");
        assert_eq!(
            one(
                vec![bucket(&[
                    ("force_destroy", Kept::Bool(true)),
                    ("object_lock_enabled", Kept::Bool(true))
                ])],
                &counted(Ok(12))
            )
            .as_str(),
            "blocked"
        );
        let lost = one(
            vec![bucket(&[("force_destroy", Kept::Bool(true))])],
            &counted(Ok(12)),
        );
        assert!(
            matches!(&lost, Verdict::Lost(s) if s.contains("12 object(s)")),
            "{lost:?}"
        );
        assert_eq!(
            one(vec![bucket(&[])], &counted(Err("AccessDenied".to_owned()))).as_str(),
            "unknown"
        );
        assert_eq!(
            one(vec![bucket(&[])], &facts(&[])).as_str(),
            "unknown",
            "an uncounted bucket is never safe"
        );
        let mut backed = counted(Ok(12));
        backed.points.insert(
            "arn:aws:s3:::uploads".to_owned(),
            Ok(vec![Point {
                arn: "arn:aws:backup:eu-west-1:1:recovery-point:p".to_owned(),
                vault: "main".to_owned(),
                completed: Timestamp::from_epoch_seconds(NOW - 60),
            }]),
        );
        assert_eq!(
            one(
                vec![bucket(&[("force_destroy", Kept::Bool(true))])],
                &backed
            )
            .as_str(),
            "recoverable"
        );
    }

    #[test]
    fn a_key_secret_survives_its_deletion_only_through_a_recovery_window() {
        let secret = |name: &str, extra: &[(&'static str, Kept)]| {
            let mut before = vec![
                ("name", text(name)),
                (
                    "arn",
                    text(&format!(
                        "arn:aws:secretsmanager:eu-west-1:1:secret:{name}-Ab12"
                    )),
                ),
            ];
            before.extend_from_slice(extra);
            change("aws_secretsmanager_secret", Action::Delete, &before)
        };
        let immediate = [("recovery_window_in_days", Kept::Number(0))];
        assert_eq!(
            one(vec![secret("app-master-key", &immediate)], &facts(&[])).as_str(),
            "lost"
        );
        let windowed = one(
            vec![secret(
                "app-master-key",
                &[("recovery_window_in_days", Kept::Number(7))],
            )],
            &facts(&[]),
        );
        assert!(
            matches!(&windowed, Verdict::Recoverable(s) if s.contains("7 days") && s.contains("restore-secret --secret-id arn:aws:secretsmanager")),
            "{windowed:?}"
        );
        let tagged = secret(
            "db-password",
            &[
                ("recovery_window_in_days", Kept::Number(0)),
                ("tags.phoenix:encryption-key", text(" True ")),
            ],
        );
        assert_eq!(
            one(vec![tagged], &facts(&[])).as_str(),
            "lost",
            "the tag marks it, any case"
        );
        let plain = Plan {
            changes: vec![secret("db-password", &immediate)],
            ..Plan::default()
        };
        assert!(
            judge(&plain, &facts(&[]), &config()).is_empty(),
            "a secret that holds no key is not judged"
        );
    }

    #[test]
    fn a_key_deletion_names_what_it_encrypts_that_the_plan_keeps() {
        const KEY: &str = "arn:aws:kms:eu-west-1:1:key/1234abcd";
        let key = change(
            "aws_kms_key",
            Action::Delete,
            &[
                ("arn", text(KEY)),
                ("key_id", text("1234abcd")),
                ("deletion_window_in_days", Kept::Number(7)),
            ],
        );
        let mut kept_efs = change(
            "aws_efs_file_system",
            Action::NoOp,
            &[("arn", text(EFS)), ("kms_key_id", text(KEY))],
        );
        kept_efs.address = "aws_efs_file_system.uploads".to_owned();
        let mut vault = change(
            "aws_backup_vault",
            Action::NoOp,
            &[("name", text("main")), ("kms_key_arn", text(KEY))],
        );
        vault.address = "aws_backup_vault.main".to_owned();
        let lost = one(vec![key.clone(), kept_efs, vault], &facts(&[]));
        assert!(
            matches!(&lost, Verdict::Lost(s) if s.contains("aws_efs_file_system.uploads, aws_backup_vault.main") && s.contains("7-day")),
            "{lost:?}"
        );
        let mut gone_too = change(
            "aws_efs_file_system",
            Action::Delete,
            &[("arn", text(EFS)), ("kms_key_id", text(KEY))],
        );
        gone_too.address = "aws_efs_file_system.uploads".to_owned();
        let plan = Plan {
            changes: vec![key, gone_too],
            ..Plan::default()
        };
        let judged = judge(&plan, &facts(&[]), &config());
        let key_verdict = judged
            .iter()
            .find(|j| j.resource_type == "aws_kms_key")
            .map(|j| j.verdict.as_str());
        assert_eq!(
            key_verdict,
            Some("harmless"),
            "what is destroyed with it is judged on its own: {judged:?}"
        );

        // What the account holds with it, outside the plan: a vault's recovery points, a
        // database; a store the plan destroys is judged on its own.
        let only_key = || {
            vec![change(
                "aws_kms_key",
                Action::Delete,
                &[("arn", text(KEY)), ("key_id", text("1234abcd"))],
            )]
        };
        let mut account = facts(&[]);
        account.vaults = Some(Ok(vec![
            VaultFact {
                name: "dr".to_owned(),
                key: Some(KEY.to_owned()),
                points: 4,
                locked_since: None,
            },
            VaultFact {
                name: "empty".to_owned(),
                key: Some(KEY.to_owned()),
                points: 0,
                locked_since: None,
            },
            VaultFact {
                name: "other".to_owned(),
                key: Some("arn:aws:kms:eu-west-1:1:key/ffff".to_owned()),
                points: 9,
                locked_since: None,
            },
        ]));
        account.encrypted = Some(Ok(vec![
            (
                "arn:aws:rds:eu-west-1:1:db:zitadel".to_owned(),
                KEY.to_owned(),
            ),
            (
                "arn:aws:rds:eu-west-1:1:db:other".to_owned(),
                "arn:aws:kms:eu-west-1:1:key/ffff".to_owned(),
            ),
        ]));
        let lost = one(only_key(), &account);
        assert!(
            matches!(&lost, Verdict::Lost(s) if s.contains("the 4 recovery point(s) in vault dr, arn:aws:rds:eu-west-1:1:db:zitadel") && !s.contains("other") && !s.contains("empty")),
            "{lost:?}"
        );
        let mut unread = facts(&[]);
        unread.vaults = Some(Ok(Vec::new()));
        unread.encrypted = Some(Err("DescribeDBInstances: AccessDenied".to_owned()));
        assert_eq!(one(only_key(), &unread).as_str(), "unknown");
        let mut nothing = facts(&[]);
        nothing.vaults = Some(Ok(Vec::new()));
        nothing.encrypted = Some(Ok(Vec::new()));
        let harmless = one(only_key(), &nothing);
        assert!(
            matches!(&harmless, Verdict::Harmless(s) if s.contains("no vault and no data store of the account")),
            "{harmless:?}"
        );
    }

    #[test]
    fn a_vault_with_points_stops_the_apply_unless_force_destroy_deletes_them() {
        let vault = |extra: &[(&'static str, Kept)]| {
            let mut before = vec![("name", text("main"))];
            before.extend_from_slice(extra);
            change("aws_backup_vault", Action::Delete, &before)
        };
        let listed = |points: Result<Vec<String>, String>| {
            let mut f = facts(&[]);
            f.vault_points.insert("main".to_owned(), points);
            f
        };
        assert_eq!(
            one(vec![vault(&[])], &listed(Ok(Vec::new()))).as_str(),
            "harmless"
        );
        let two = Ok(vec![EFS.to_owned(), EFS.to_owned()]);
        let blocked = one(vec![vault(&[])], &listed(two.clone()));
        assert!(
            matches!(&blocked, Verdict::Blocked(s) if s.contains("2 recovery point(s)")),
            "{blocked:?}"
        );
        let forced = || vec![vault(&[("force_destroy", Kept::Bool(true))])];
        let lost = one(forced(), &listed(two.clone()));
        assert!(
            matches!(&lost, Verdict::Lost(s) if s.contains(EFS)),
            "{lost:?}"
        );
        // A compliance-mode lock that is already immutable keeps the points even so; one
        // still in its grace period (its date ahead) does not.
        let locked = |since: i64| {
            let mut f = listed(two.clone());
            f.vaults = Some(Ok(vec![VaultFact {
                name: "main".to_owned(),
                key: None,
                points: 2,
                locked_since: Some(Timestamp::from_epoch_seconds(NOW + since)),
            }]));
            f
        };
        let kept = one(forced(), &locked(-DAY));
        assert!(
            matches!(&kept, Verdict::Blocked(s) if s.contains("compliance-mode vault lock")),
            "{kept:?}"
        );
        assert_eq!(one(forced(), &locked(DAY)).as_str(), "lost");
        let mut unread = listed(two);
        unread.vaults = Some(Err("ListBackupVaults: throttled".to_owned()));
        assert_eq!(one(forced(), &unread).as_str(), "unknown");
        assert_eq!(
            one(vec![vault(&[])], &listed(Err("AccessDenied".to_owned()))).as_str(),
            "unknown"
        );
        assert_eq!(one(vec![vault(&[])], &facts(&[])).as_str(), "unknown");
    }

    #[test]
    fn a_guard_deleted_while_the_data_stays_weakens_it_and_in_a_destroy_of_everything_goes_with_it()
    {
        let gone =
            |kind: &str, before: &[(&'static str, Kept)]| change(kind, Action::Delete, before);
        let plan = |changes: Vec<Change>, everything: bool| Plan {
            changes,
            destroys_everything: everything,
            ..Plan::default()
        };
        let verdicts = |p: &Plan| -> Vec<String> {
            judge(p, &facts(&[]), &config())
                .into_iter()
                .map(|j| j.verdict.reason().to_owned())
                .collect()
        };
        let guards = vec![
            gone(
                "aws_backup_selection",
                &[
                    ("name", text("efs-daily")),
                    ("resources", text("arn:fs-1, arn:fs-2")),
                ],
            ),
            gone("aws_backup_plan", &[("name", text("daily"))]),
            gone(
                "aws_backup_vault_lock_configuration",
                &[("backup_vault_name", text("main"))],
            ),
            gone(
                "aws_s3_bucket_versioning",
                &[
                    ("bucket", text("uploads")),
                    ("versioning_configuration.status", text("Enabled")),
                ],
            ),
            gone("aws_cloudtrail", &[("name", text("management"))]),
            gone(
                "aws_s3_bucket_object_lock_configuration",
                &[("bucket", text("uploads"))],
            ),
        ];
        let said = verdicts(&plan(guards.clone(), false));
        for check in [
            "backup-selection-deleted: backup selection efs-daily is deleted: what it selected (arn:fs-1, arn:fs-2)",
            "backup-plan-deleted: backup plan daily",
            "backup-vault-lock-removed: the lock of vault main",
            "s3-versioning-suspended: deleting the versioning resource suspends versioning on uploads",
            "cloudtrail-deleted: trail management",
            "s3-object-lock-weakened: the Object Lock configuration of uploads is deleted",
        ] {
            assert!(
                said.iter().any(|s| s.starts_with(check)),
                "{check}: {said:#?}"
            );
        }
        assert!(
            verdicts(&plan(guards.clone(), true)).is_empty(),
            "a destroy of everything"
        );
        // The bucket or vault goes in the same plan: its guard goes with it.
        let mut with_data = guards[2..4].to_vec();
        with_data.push(gone("aws_s3_bucket", &[("bucket", text("uploads"))]));
        with_data.push(gone("aws_backup_vault", &[("name", text("main"))]));
        let said = verdicts(&plan(with_data, false));
        assert!(
            said.iter().all(|s| !s.contains("weaken")
                && !s.starts_with("s3-versioning")
                && !s.starts_with("backup-vault-lock")),
            "{said:#?}"
        );
    }

    #[test]
    fn a_store_its_own_settings_decide_needs_no_recovery_point_read() {
        let db = |before: &[(&'static str, Kept)]| {
            settled(
                &change("aws_db_instance", Action::Delete, before),
                "arn:db",
                None,
                &Plan::default(),
            )
        };
        assert!(matches!(
            db(&[("deletion_protection", Kept::Bool(true))]),
            Settled::Verdict(Verdict::Blocked(_))
        ));
        assert!(matches!(
            db(&[
                ("skip_final_snapshot", Kept::Bool(false)),
                ("final_snapshot_identifier", text("zitadel-final"))
            ]),
            Settled::Verdict(Verdict::Recoverable(_))
        ));
        assert!(matches!(db(&[]), Settled::ByPoints { arn, .. } if arn == "arn:db"));
        let table = change(
            "aws_dynamodb_table",
            Action::Delete,
            &[("point_in_time_recovery.enabled", Kept::Bool(true))],
        );
        assert!(matches!(
            settled(&table, "arn:t", None, &Plan::default()),
            Settled::Verdict(Verdict::Recoverable(_))
        ));
        let efs = change("aws_efs_file_system", Action::Delete, &[]);
        assert!(matches!(
            settled(&efs, "arn:fs", None, &Plan::default()),
            Settled::ByPoints { .. }
        ));
        // A bucket: counted first; only a full one that force_destroy empties needs points.
        let bucket = change(
            "aws_s3_bucket",
            Action::Delete,
            &[("force_destroy", Kept::Bool(true))],
        );
        assert!(matches!(
            settled(&bucket, "b", Some(&Ok(0)), &Plan::default()),
            Settled::Verdict(Verdict::Harmless(_))
        ));
        assert!(matches!(
            settled(&bucket, "b", Some(&Ok(3)), &Plan::default()),
            Settled::ByPoints { arn, .. } if arn == "arn:aws:s3:::b"
        ));
        assert!(matches!(
            settled(
                &bucket,
                "b",
                Some(&Err("AccessDenied".to_owned())),
                &Plan::default()
            ),
            Settled::Verdict(Verdict::Unknown(_))
        ));
        // Replicated to a bucket the change keeps: the copies are the restore source.
        let replication = change(
            "aws_s3_bucket_replication_configuration",
            Action::Delete,
            &[
                ("bucket", text("b")),
                ("rule.destination.bucket", text("arn:aws:s3:::b-replica")),
            ],
        );
        let with_replica = Plan {
            changes: vec![bucket.clone(), replication.clone()],
            ..Plan::default()
        };
        assert!(matches!(
            settled(&bucket, "b", Some(&Ok(3)), &with_replica),
            Settled::Verdict(Verdict::Recoverable(s)) if s.contains("replicates to b-replica")
        ));
        let replica_gone = Plan {
            changes: vec![
                bucket.clone(),
                replication,
                change(
                    "aws_s3_bucket",
                    Action::Delete,
                    &[("bucket", text("b-replica"))],
                ),
            ],
            ..Plan::default()
        };
        assert!(matches!(
            settled(&bucket, "b", Some(&Ok(3)), &replica_gone),
            Settled::ByPoints { .. }
        ));
        let kept = change("aws_s3_bucket", Action::Delete, &[]);
        assert!(matches!(
            settled(&kept, "b", Some(&Ok(3)), &Plan::default()),
            Settled::Verdict(Verdict::Blocked(_))
        ));
    }

    #[test]
    fn a_key_that_would_get_a_new_value_is_lost_before_it_happens() {
        let mut generator = change(
            "random_password",
            Action::Replace {
                create_first: false,
            },
            &[],
        );
        generator.name = "master_key".to_owned();
        generator.address = "random_password.master_key".to_owned();
        let verdict = one(vec![generator.clone()], &facts(&[]));
        assert!(
            matches!(&verdict, Verdict::Lost(s) if s.starts_with("encryption-key-regenerated: random_password.master_key") && s.contains("ignore_changes")),
            "{verdict:?}"
        );
        let mut destroyed = generator.clone();
        destroyed.action = Action::Delete;
        let verdict = one(vec![destroyed], &facts(&[]));
        assert!(
            matches!(&verdict, Verdict::Lost(s) if s.contains("is destroyed and the rebuild generates a new value")),
            "a destroy loses the key as surely as a replacement: {verdict:?}"
        );
        let mut password = generator.clone();
        password.name = "admin_password".to_owned();
        let plan = Plan {
            changes: vec![password],
            ..Plan::default()
        };
        assert!(
            judge(&plan, &facts(&[]), &config()).is_empty(),
            "not a key by name"
        );
        let mut created = generator;
        created.action = Action::Create;
        let plan = Plan {
            changes: vec![created],
            ..Plan::default()
        };
        assert!(
            judge(&plan, &facts(&[]), &config()).is_empty(),
            "a first value replaces nothing"
        );

        const SECRET: &str = "arn:aws:secretsmanager:eu-west-1:1:secret:app-master-key-Ab12Cd";
        let version = |action: Action, old: &str, new: Kept| {
            let mut v = change(
                SECRET_VERSION_TYPE,
                action,
                &[
                    ("secret_id", text(SECRET)),
                    ("secret_string", Kept::Digest(old.to_owned())),
                ],
            );
            v.after = [("secret_id", text(SECRET)), ("secret_string", new)]
                .into_iter()
                .collect();
            v
        };
        let rewritten = one(
            vec![version(Action::Update, "aa", Kept::Digest("bb".to_owned()))],
            &facts(&[]),
        );
        assert_eq!(rewritten.as_str(), "lost", "{rewritten:?}");
        let unknown_yet = one(
            vec![version(Action::Update, "aa", Kept::Unknown)],
            &facts(&[]),
        );
        assert_eq!(
            unknown_yet.as_str(),
            "lost",
            "a value known only after apply is a new value"
        );
        let plan = Plan {
            changes: vec![version(Action::Update, "aa", Kept::Digest("aa".to_owned()))],
            ..Plan::default()
        };
        assert!(
            judge(&plan, &facts(&[]), &config()).is_empty(),
            "the same value is no change"
        );
    }

    #[test]
    fn an_update_that_weakens_protection_fails_the_gate_by_the_guards_rules() {
        let update =
            |kind: &str, before: &[(&'static str, Kept)], after: &[(&'static str, Kept)]| {
                let mut c = change(kind, Action::Update, before);
                c.after = after.iter().cloned().collect();
                c
            };
        let on = Kept::Bool(true);
        let off = Kept::Bool(false);
        let table: Vec<(Change, &str)> = vec![
            (
                update(
                    "aws_s3_bucket_versioning",
                    &[("versioning_configuration.status", text("Enabled"))],
                    &[("versioning_configuration.status", text("Suspended"))],
                ),
                "s3-versioning-suspended",
            ),
            (
                update(
                    "aws_db_instance",
                    &[("deletion_protection", on.clone())],
                    &[("deletion_protection", off.clone())],
                ),
                "rds-deletion-protection-off",
            ),
            (
                update(
                    "aws_rds_cluster",
                    &[("backup_retention_period", Kept::Number(14))],
                    &[("backup_retention_period", Kept::Number(1))],
                ),
                "rds-backup-retention-low",
            ),
            (
                update(
                    "aws_db_instance",
                    &[("skip_final_snapshot", off.clone())],
                    &[("skip_final_snapshot", on.clone())],
                ),
                "skip_final_snapshot is turned on",
            ),
            (
                update(
                    "aws_dynamodb_table",
                    &[("point_in_time_recovery.enabled", on.clone())],
                    &[("point_in_time_recovery.enabled", off.clone())],
                ),
                "dynamodb-pitr-off: point-in-time recovery is turned off",
            ),
            (
                update(
                    "aws_cloudtrail",
                    &[("enable_logging", on.clone())],
                    &[("enable_logging", off.clone())],
                ),
                "cloudtrail-stopped",
            ),
            (
                update(
                    "aws_s3_bucket_object_lock_configuration",
                    &[("rule.default_retention.years", Kept::Number(1))],
                    &[("rule.default_retention.days", Kept::Number(7))],
                ),
                "s3-object-lock-weakened: the default Object Lock retention goes from 365 to 7 days",
            ),
            (
                update(
                    "aws_s3_bucket_lifecycle_configuration",
                    &[],
                    &[
                        ("rule.status", text("Enabled")),
                        (
                            "rule.noncurrent_version_expiration.noncurrent_days",
                            Kept::Number(1),
                        ),
                    ],
                ),
                "s3-lifecycle-weakened",
            ),
        ];
        for (c, says) in table {
            let verdict = one(vec![c.clone()], &facts(&[]));
            assert!(
                matches!(&verdict, Verdict::Weakened(s) if s.contains(says)),
                "{}: {verdict:?}",
                c.resource_type
            );
            assert!(!verdict.passes());
        }
        let kept = vec![
            update(
                "aws_db_instance",
                &[("deletion_protection", on.clone())],
                &[("deletion_protection", on.clone())],
            ),
            update(
                "aws_rds_cluster",
                &[("backup_retention_period", Kept::Number(7))],
                &[("backup_retention_period", Kept::Number(14))],
            ),
            update(
                "aws_s3_bucket_versioning",
                &[("versioning_configuration.status", text("Suspended"))],
                &[("versioning_configuration.status", text("Enabled"))],
            ),
        ];
        let plan = Plan {
            changes: kept,
            ..Plan::default()
        };
        assert!(
            judge(&plan, &facts(&[]), &config()).is_empty(),
            "strengthening is not judged"
        );
    }

    #[test]
    fn only_lost_unknown_and_weakened_fail_the_gate() {
        assert!(!Verdict::Lost(String::new()).passes());
        assert!(!Verdict::Weakened(String::new()).passes());
        assert!(!Verdict::Unknown(String::new()).passes());
        assert!(Verdict::Recoverable(String::new()).passes());
        assert!(Verdict::Blocked(String::new()).passes());
        assert!(Verdict::Harmless(String::new()).passes());
    }
}
