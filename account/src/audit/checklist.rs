//! The phoenix checklist: what was read, judged item by item (pure, no AWS calls), and the
//! score.
//!
//! Every item is one check on one resource: pass, fail, or unknown with the reason. The
//! score weighs nine areas; an area's share is the fraction of its items that pass, and an
//! area with nothing to check is left out of the total rather than counted as passed or
//! failed. Unknown counts as failed, and the score is 100 only when every item passes.

use crate::audit::read::{Facts, Versioning};
use crate::freshness::assess::Verdict;
use crate::policy::{
    LifecycleVerdict, assess_lifecycle, lets_anyone_delete_recovery_points, policy_json,
};
use crate::schedule::format_duration;
use phoenix_shared::finding::Severity;
use phoenix_shared::time::Timestamp;
use phoenix_shared::{Config, checks};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// A check that could not run. Its own id, so no other function's sweep resolves it.
pub use phoenix_shared::checks::READINESS_UNKNOWN as UNKNOWN;

pub use phoenix_shared::checks::BACKUP_VAULT_LOCK_GOVERNANCE as VAULT_LOCK_GOVERNANCE;
pub use phoenix_shared::checks::BACKUP_VAULT_LOCK_REMOVED as VAULT_LOCK_REMOVED;
pub use phoenix_shared::checks::BACKUP_VAULT_POLICY_OPEN as VAULT_POLICY_OPEN;
pub use phoenix_shared::checks::BACKUP_VAULT_UNLOCKED as VAULT_UNLOCKED;
pub use phoenix_shared::checks::BUCKET_RETENTION_RULE_MISSING as RETENTION_RULE_MISSING;
pub use phoenix_shared::checks::BUCKET_UNVERSIONED;
pub use phoenix_shared::checks::DESTROY_WOULD_LOSE_DATA;
pub use phoenix_shared::checks::DYNAMODB_DELETION_PROTECTION_OFF as TABLE_DELETION_PROTECTION_OFF;
pub use phoenix_shared::checks::DYNAMODB_PITR_OFF as PITR_OFF;
pub use phoenix_shared::checks::KMS_KEY_DELETION_SCHEDULED as KEY_DELETION_SCHEDULED;
pub use phoenix_shared::checks::KMS_KEY_DISABLED as KEY_DISABLED;
pub use phoenix_shared::checks::RDS_BACKUP_RETENTION_LOW as BACKUP_RETENTION_LOW;
pub use phoenix_shared::checks::RDS_DELETION_PROTECTION_OFF as DELETION_PROTECTION_OFF;
pub use phoenix_shared::checks::S3_LIFECYCLE_WEAKENED as LIFECYCLE_WEAKENED;
pub use phoenix_shared::checks::S3_VERSIONING_SUSPENDED as VERSIONING_SUSPENDED;
pub use phoenix_shared::checks::SECRET_DELETED;
pub use phoenix_shared::checks::SECRET_PREVIOUS_VERSION_MISSING as SECRET_PREVIOUS_MISSING;
pub use phoenix_shared::checks::STATE_BUCKET_UNKNOWN as STATE_BUCKET_MISSING;
/// The resource [`STATE_BUCKET_MISSING`] is about: the account's Terraform state as a whole,
/// vouched for by any state bucket being known.
pub const STATE_SCOPE: &str = "terraform-state";
pub use phoenix_shared::checks::CLOUDTRAIL_MISSING as TRAIL_MISSING;
pub use phoenix_shared::checks::CLOUDTRAIL_STOPPED as TRAIL_STOPPED;
pub use phoenix_shared::checks::GUARD_RULE_DISABLED;
pub use phoenix_shared::checks::GUARD_RULES_MISSING;
pub use phoenix_shared::checks::HEARTBEAT_MISSING;
pub use phoenix_shared::checks::RESTORE_DRILL_MISSING as DRILL_MISSING;
pub use phoenix_shared::checks::RESTORE_DRILL_SLOW as DRILL_SLOW;
pub use phoenix_shared::checks::RESTORE_TESTING_PLAN_IDLE as TESTING_PLAN_IDLE;

/// The checks this audit opens and resolves itself (besides `backup-freshness`'s, which it
/// opens and resolves through that function's own logic).
pub const CHECKS: &[&str] = &[
    UNKNOWN,
    BUCKET_UNVERSIONED,
    VERSIONING_SUSPENDED,
    LIFECYCLE_WEAKENED,
    RETENTION_RULE_MISSING,
    DELETION_PROTECTION_OFF,
    BACKUP_RETENTION_LOW,
    PITR_OFF,
    TABLE_DELETION_PROTECTION_OFF,
    VAULT_UNLOCKED,
    VAULT_LOCK_REMOVED,
    VAULT_LOCK_GOVERNANCE,
    VAULT_POLICY_OPEN,
    KEY_DELETION_SCHEDULED,
    KEY_DISABLED,
    SECRET_DELETED,
    SECRET_PREVIOUS_MISSING,
    STATE_BUCKET_MISSING,
    DESTROY_WOULD_LOSE_DATA,
    DRILL_MISSING,
    DRILL_SLOW,
    TESTING_PLAN_IDLE,
    TRAIL_STOPPED,
    TRAIL_MISSING,
    GUARD_RULE_DISABLED,
    GUARD_RULES_MISSING,
    HEARTBEAT_MISSING,
];

/// The areas of the checklist and their weights (they add up to 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Area {
    Backups,
    Copies,
    DataBuckets,
    Databases,
    Vaults,
    Keys,
    State,
    Destroy,
    Drills,
    Guard,
}

impl Area {
    pub const ALL: [Area; 10] = [
        Area::Backups,
        Area::Copies,
        Area::DataBuckets,
        Area::Databases,
        Area::Vaults,
        Area::Keys,
        Area::State,
        Area::Destroy,
        Area::Drills,
        Area::Guard,
    ];

    pub const fn weight(self) -> u32 {
        match self {
            Area::Backups => 15,
            Area::Copies => 10,
            Area::DataBuckets => 15,
            Area::Databases => 10,
            Area::Vaults => 10,
            Area::Keys => 10,
            Area::State => 5,
            Area::Destroy => 10,
            Area::Drills => 10,
            Area::Guard => 5,
        }
    }

    pub const fn id(self) -> &'static str {
        match self {
            Area::Backups => "backups",
            Area::Copies => "copies",
            Area::DataBuckets => "data-buckets",
            Area::Databases => "databases",
            Area::Vaults => "backup-vaults",
            Area::Keys => "encryption-keys",
            Area::State => "terraform-state",
            Area::Destroy => "survives-destroy",
            Area::Drills => "restore-drills",
            Area::Guard => "guard",
        }
    }

    pub const fn title(self) -> &'static str {
        match self {
            Area::Backups => "Data stores backed up within their RPO",
            Area::Copies => "Copies outside the region or account",
            Area::DataBuckets => "Data buckets versioned and retaining versions",
            Area::Databases => "Databases and tables protected against deletion",
            Area::Vaults => "Backup vaults locked and closed",
            Area::Keys => "Encryption keys usable and kept",
            Area::State => "Terraform state versioned",
            Area::Destroy => "Survives terraform destroy",
            Area::Drills => "Restore drills recent and fast enough",
            Area::Guard => "Phoenix Guard itself watching",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pass,
    Fail,
    Unknown,
}

impl Status {
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Unknown => "unknown",
        }
    }
}

/// One check on one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub area: Area,
    /// The finding check a failure opens (and a pass resolves).
    pub check: &'static str,
    pub resource: String,
    pub resource_type: String,
    /// The short name people know the resource by.
    pub name: String,
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What to do about a failure (empty when passing).
    pub fix: String,
    pub severity: Severity,
    /// Other checks on the same resource that a pass shows no longer hold (raised by
    /// event-driven functions under their own names).
    pub also_resolves: &'static [&'static str],
    /// A weakness that does not fail the item (governance-mode vault lock).
    pub warning: Option<String>,
    /// The command that shows the failure in full, where there is one (the pre-destroy
    /// gate on the item's Terraform state); its remedy names it.
    pub command: String,
}

impl Item {
    fn new(area: Area, check: &'static str, resource: &str, rtype: &str, name: &str) -> Self {
        Self {
            area,
            check,
            resource: resource.to_owned(),
            resource_type: rtype.to_owned(),
            name: name.to_owned(),
            status: Status::Pass,
            detail: String::new(),
            fix: String::new(),
            severity: Severity::Error,
            also_resolves: &[],
            warning: None,
            command: String::new(),
        }
    }

    fn pass(mut self, detail: impl Into<String>) -> Self {
        self.status = Status::Pass;
        self.detail = detail.into();
        self
    }

    /// Failing, with what was seen; the fix is the check's remedy ([`guidance`]).
    fn fail(mut self, severity: Severity, detail: impl Into<String>) -> Self {
        self.status = Status::Fail;
        self.severity = severity;
        self.detail = detail.into();
        self
    }

    fn unknown(mut self, why: impl Into<String>) -> Self {
        self.status = Status::Unknown;
        self.severity = Severity::Error;
        self.detail = format!("could not be checked: {}", why.into());
        self
    }

    fn resolving(mut self, checks: &'static [&'static str]) -> Self {
        self.also_resolves = checks;
        self
    }

    fn judged(
        self,
        pass: bool,
        pass_detail: impl Into<String>,
        severity: Severity,
        fail_detail: impl Into<String>,
    ) -> Self {
        if pass {
            self.pass(pass_detail)
        } else {
            self.fail(severity, fail_detail)
        }
    }

    /// The resource's kind as people say it.
    pub fn resource_type_label(&self) -> &str {
        type_label(&self.resource_type)
    }

    pub fn to_json(&self) -> Value {
        json!({
            "area": self.area.id(),
            "check": self.check,
            "resource": self.resource,
            "resourceType": self.resource_type,
            "name": self.name,
            "status": self.status.as_str(),
            "severity": self.severity.as_str(),
            "detail": self.detail,
            "fix": self.fix,
            "warning": self.warning,
        })
    }
}

/// A resource type as people say it (`S3Bucket` is "S3 bucket").
pub fn type_label(resource_type: &str) -> &str {
    match resource_type {
        "S3Bucket" => "S3 bucket",
        "BackupVault" => "backup vault",
        "KMSKey" => "KMS key",
        "Secret" => "secret",
        "Trail" => "CloudTrail trail",
        "Rule" => "EventBridge rule",
        "Function" => "function",
        "TerraformState" => "Terraform state",
        "" => "scope",
        other => other,
    }
}

/// The score of a list of items: 0-100, weighted by area, 100 only when everything passes.
pub fn score(items: &[Item]) -> u32 {
    let mut earned = 0.0;
    let mut possible = 0.0;
    for area in Area::ALL {
        let in_area: Vec<&Item> = items.iter().filter(|i| i.area == area).collect();
        if in_area.is_empty() {
            continue;
        }
        let passed = in_area.iter().filter(|i| i.status == Status::Pass).count();
        let weight = f64::from(area.weight());
        possible += weight;
        earned += weight * passed as f64 / in_area.len() as f64;
    }
    if possible == 0.0 {
        return 0;
    }
    let all_pass = items.iter().all(|i| i.status == Status::Pass);
    let raw = (100.0 * earned / possible).floor();
    if all_pass {
        100
    } else {
        // Never round a failing checklist up to 100.
        (raw as u32).min(99)
    }
}

/// Judges everything read. The backup items come from `backup-freshness`'s verdicts.
pub fn evaluate(
    facts: &Facts,
    verdicts: &[(crate::freshness::assess::Item, Verdict)],
    config: &Config,
) -> Vec<Item> {
    let mut items = Vec::new();
    backups(facts, verdicts, &mut items);
    copies(facts, verdicts, &mut items);
    buckets(facts, config, &mut items);
    databases(facts, config, &mut items);
    tables(facts, &mut items);
    vaults(facts, &mut items);
    keys(facts, &mut items);
    destroys(facts, config, &mut items);
    drills(facts, verdicts, config, &mut items);
    guard(facts, config, &mut items);
    guidance(&mut items, facts, config);
    items
}

/// Every item that does not pass carries its check's remedy from the catalog, so the report,
/// the command line and the page say the same thing whichever function raised it; what the
/// audit saw is the item's detail.
fn guidance(items: &mut [Item], facts: &Facts, config: &Config) {
    for item in items.iter_mut().filter(|i| i.status != Status::Pass) {
        // An item that could not be checked is fixed the way every unknown is.
        let check = if item.status == Status::Unknown {
            UNKNOWN
        } else {
            item.check
        };
        let target = checks::Target {
            resource_type: &item.resource_type,
            id: &item.name,
            arn: &item.resource,
            region: &facts.region,
            // A bucket's versions are kept for their own number of days.
            min_retention_days: if item.area == Area::DataBuckets {
                config.min_version_retention_days
            } else {
                config.min_backup_retention_days
            },
            command: &item.command,
        };
        item.fix = checks::guidance(check, &target).1;
    }
}

/// One item per covered resource whose copies the freshness judgement weighed (none when
/// `PHOENIX_REQUIRE_COPY=none`); like the backup items, their findings are the judgement's.
fn copies(
    facts: &Facts,
    verdicts: &[(crate::freshness::assess::Item, Verdict)],
    items: &mut Vec<Item>,
) {
    use crate::copies::CopyVerdict;
    for (item, _) in verdicts {
        let Some(copy) = facts.copies.get(&item.resource.arn) else {
            continue;
        };
        let rtype = item.resource.resource_type.as_str();
        let base = |check| Item::new(Area::Copies, check, &item.resource.arn, rtype, &item.id);
        items.push(match copy {
            CopyVerdict::NotRequired => continue,
            CopyVerdict::Fresh { last, destination } => base(crate::freshness::COPY_MISSING)
                .pass(format!(
                    "copied to {destination} {} ago",
                    format_duration(facts.at.seconds_since(last.to_owned()))
                ))
                .resolving(&[crate::freshness::COPY_STALE]),
            CopyVerdict::Missing { reason } => base(crate::freshness::COPY_MISSING).fail(
                if crate::freshness::is_critical_type(rtype) {
                    Severity::Critical
                } else {
                    Severity::Error
                },
                reason.clone(),
            ),
            CopyVerdict::Stale { reason, .. } => {
                base(crate::freshness::COPY_STALE).fail(Severity::Error, reason.clone())
            }
            CopyVerdict::Unknown { reason } => {
                base(crate::freshness::COPY_MISSING).unknown(reason.clone())
            }
        });
    }
}

fn backups(
    facts: &Facts,
    verdicts: &[(crate::freshness::assess::Item, Verdict)],
    items: &mut Vec<Item>,
) {
    for (item, verdict) in verdicts {
        let rtype = item.resource.resource_type.as_str();
        let base = |check| Item::new(Area::Backups, check, &item.resource.arn, rtype, &item.id);
        let at = facts.at;
        let age = |t: Timestamp| format_duration(at.seconds_since(t));
        let out = match verdict {
            Verdict::Exempt { .. } => continue,
            Verdict::Fresh { last, rpo } => base(crate::freshness::MISSED).pass(format!(
                "newest recovery point {} old, within its RPO of {}",
                age(*last),
                format_duration(rpo.seconds)
            )),
            Verdict::InProgress {
                last: Some(last),
                rpo,
                job,
            } if at.seconds_since(*last) <= rpo.seconds => {
                base(crate::freshness::MISSED).pass(format!(
                    "newest recovery point {} old; job {} running",
                    age(*last),
                    job.id
                ))
            }
            Verdict::InProgress { last, rpo, job } => base(crate::freshness::MISSED).fail(
                Severity::Critical,
                format!(
                    "no recovery point within its RPO of {} ({}); job {} is running",
                    format_duration(rpo.seconds),
                    last.map_or_else(
                        || "none yet".to_owned(),
                        |l| format!("newest {} old", age(l))
                    ),
                    job.id
                ),
            ),
            Verdict::AwaitingFirst { rpo } => base(crate::freshness::NEVER_COMPLETED).fail(
                Severity::Critical,
                format!(
                    "in a backup plan (RPO {}) but no recovery point yet",
                    format_duration(rpo.seconds)
                ),
            ),
            Verdict::Unprotected { reason } => base(crate::freshness::UNPROTECTED)
                .fail(Severity::Critical, format!("not protected: {reason}")),
            Verdict::Missed { last, rpo, why } => base(crate::freshness::MISSED).fail(
                Severity::Critical,
                format!(
                    "newest recovery point {} old, RPO {}: {why}",
                    age(*last),
                    format_duration(rpo.seconds)
                ),
            ),
            Verdict::NeverCompleted { rpo, why } => base(crate::freshness::NEVER_COMPLETED).fail(
                Severity::Critical,
                format!(
                    "no recovery point after more than its RPO of {}: {why}",
                    format_duration(rpo.seconds)
                ),
            ),
            Verdict::Unknown { reason } => base(crate::freshness::UNKNOWN).unknown(reason.clone()),
        };
        items.push(out);
    }
    for (scope, why) in crate::freshness::unread_scopes(&facts.backups) {
        items.push(
            Item::new(Area::Backups, crate::freshness::UNKNOWN, &scope, "", &scope).unknown(why),
        );
    }
}

fn buckets(facts: &Facts, config: &Config, items: &mut Vec<Item>) {
    let buckets = match &facts.buckets {
        Ok(buckets) => buckets,
        Err(why) => {
            items.push(
                Item::new(
                    Area::DataBuckets,
                    UNKNOWN,
                    "inventory:buckets",
                    "",
                    "S3 buckets",
                )
                .unknown(why.clone()),
            );
            items.push(
                Item::new(Area::State, UNKNOWN, "inventory:buckets", "", "S3 buckets")
                    .unknown(why.clone()),
            );
            return;
        }
    };
    if let Some(why) = &facts.bucket_tags_failure {
        items.push(
            Item::new(
                Area::DataBuckets,
                UNKNOWN,
                "inventory:bucket-tags",
                "",
                "bucket tags",
            )
            .unknown(format!(
                "{why}; buckets marked only by tag were not checked"
            )),
        );
    }
    let min_days = config.min_version_retention_days;
    for bucket in buckets {
        let arn = phoenix_shared::arn::bucket(&bucket.name, &facts.region);
        let areas: Vec<Area> = [
            (bucket.data, Area::DataBuckets),
            (bucket.state, Area::State),
        ]
        .into_iter()
        .filter_map(|(yes, area)| yes.then_some(area))
        .collect();
        let what = if bucket.data {
            "data"
        } else {
            "Terraform state"
        };
        for area in &areas {
            let base = Item::new(*area, BUCKET_UNVERSIONED, &arn, "S3Bucket", &bucket.name);
            let item = match &bucket.versioning {
                Err(why) => base.unknown(why.clone()),
                Ok(Versioning::Enabled) => base.pass("versioning Enabled").resolving(&[VERSIONING_SUSPENDED]),
                Ok(Versioning::Never) => base.fail(
                    Severity::Critical,
                    format!("versioning was never enabled: a delete or overwrite of its {what} is permanent")),
                Ok(Versioning::Suspended) => Item {
                    check: VERSIONING_SUSPENDED,
                    ..base
                }
                .fail(
                    Severity::Critical,
                    "versioning is Suspended: new deletes and overwrites are permanent"),
            };
            // A bucket that holds both data and state counts in both areas.
            items.push(item);
        }
        if bucket.data && bucket.versioning == Ok(Versioning::Never) {
            items.push(
                Item::new(
                    Area::DataBuckets,
                    RETENTION_RULE_MISSING,
                    &arn,
                    "S3Bucket",
                    &bucket.name,
                )
                .fail(
                    Severity::Error,
                    "no noncurrent versions are kept: versioning was never enabled",
                ),
            );
        }
        // A compliance-mode default retention of the policy's length keeps every version
        // that long whatever a lifecycle says: it counts as the retention rule.
        let locked_days = match &bucket.object_lock {
            Some(Ok(Some(retention)))
                if retention.mode.as_deref() == Some("COMPLIANCE")
                    && retention
                        .days
                        .is_some_and(|d| u64::try_from(d).unwrap_or(0) >= min_days) =>
            {
                retention.days
            }
            _ => None,
        };
        if let Some(lifecycle) = &bucket.lifecycle {
            let base = Item::new(
                Area::DataBuckets,
                RETENTION_RULE_MISSING,
                &arn,
                "S3Bucket",
                &bucket.name,
            );
            let item = match (lifecycle, locked_days) {
                (_, Some(days)) => base
                    .pass(format!(
                        "compliance-mode Object Lock keeps every version {days} days"
                    ))
                    .resolving(&[LIFECYCLE_WEAKENED]),
                (Err(why), None) => base.unknown(why.clone()),
                (Ok(rules), None) => match assess_lifecycle(rules, min_days) {
                    LifecycleVerdict::Keeps => base
                        .pass(format!("a lifecycle rule keeps noncurrent versions at least {min_days} days"))
                        .resolving(&[LIFECYCLE_WEAKENED]),
                    LifecycleVerdict::Deletes(why) => Item {
                        check: LIFECYCLE_WEAKENED,
                        ..base
                    }
                    .fail(
                        Severity::Error,
                        format!("the lifecycle deletes data early: {why}")),
                    LifecycleVerdict::NoRetentionRule => base.fail(
                        Severity::Error,
                        format!("no enabled lifecycle rule keeps noncurrent versions for {min_days} days")),
                },
            };
            items.push(item);
        }
    }
    if !buckets.iter().any(|b| b.state) {
        let base = Item::new(
            Area::State,
            STATE_BUCKET_MISSING,
            STATE_SCOPE,
            "S3Bucket",
            "Terraform state",
        );
        items.push(match &facts.bucket_tags_failure {
            // The state bucket may be one marked only by its tag.
            Some(why) => base.unknown(format!(
                "{why}; a state bucket marked only by tag may have been missed"
            )),
            None => base.fail(
                Severity::Warning,
                "no bucket is known to hold Terraform state, so its versioning is not checked",
            ),
        });
    }
}

/// The resource types people know each Terraform type's data store by.
fn store_kind(resource_type: &str) -> &'static str {
    phoenix_terraform::state::PROTECTED_TYPES
        .iter()
        .find(|(t, _)| *t == resource_type)
        .map_or("Secret", |(_, kind)| *kind)
}

/// The data-store kinds the `DataStoresLostOnDestroy` metric counts.
pub const DESTROYED_STORE_KINDS: &[&str] = &["EFS", "RDS", "Aurora", "DynamoDB", "S3"];

/// Every Terraform state judged as if its stack were destroyed now: a store (or key) whose
/// data would be gone fails; one that can be restored, holds nothing, or stops the destroy
/// passes, saying which.
fn destroys(facts: &Facts, config: &Config, items: &mut Vec<Item>) {
    use crate::gate::Verdict;
    let data_buckets: BTreeSet<&str> = facts
        .buckets
        .iter()
        .flatten()
        .filter(|b| b.data)
        .map(|b| b.name.as_str())
        .collect();
    for stack in &facts.stacks {
        let location = stack.location();
        let command = format!("phoenix verify --pre-destroy --state {location}");
        let judged = match &stack.judged {
            Ok(judged) => judged,
            Err(why) => {
                let mut item = Item::new(
                    Area::Destroy,
                    DESTROY_WOULD_LOSE_DATA,
                    &location,
                    "TerraformState",
                    &location,
                )
                .unknown(why.clone());
                item.command = command;
                items.push(item);
                continue;
            }
        };
        for j in judged {
            let kind = store_kind(&j.resource_type);
            let (resource, critical) = match kind {
                "S3" => (
                    phoenix_shared::arn::bucket(&j.resource, &facts.region),
                    data_buckets.contains(j.resource.as_str()),
                ),
                "BackupVault" => (
                    phoenix_shared::arn::vault(&j.resource, &facts.region, &facts.account),
                    false,
                ),
                // A key, a key secret, or a generated key: what everything else needs.
                "KMSKey" | "Secret" if j.resource.starts_with("arn:") => (j.resource.clone(), true),
                "KMSKey" | "Secret" => (format!("{location}#{}", j.address), true),
                _ => (
                    j.resource.clone(),
                    config.required_resource_types.iter().any(|t| t == kind),
                ),
            };
            let mut item = Item::new(
                Area::Destroy,
                DESTROY_WOULD_LOSE_DATA,
                &resource,
                kind,
                &j.address,
            );
            item.command.clone_from(&command);
            let said = format!(
                "{}: {} (terraform destroy of {location})",
                j.verdict.as_str(),
                j.verdict.reason()
            );
            let severity = if critical {
                Severity::Critical
            } else {
                Severity::Error
            };
            items.push(match &j.verdict {
                Verdict::Lost(_) | Verdict::Weakened(_) => item.fail(severity, said),
                Verdict::Unknown(why) => item.unknown(why.clone()),
                Verdict::Recoverable(_) | Verdict::Harmless(_) | Verdict::Blocked(_) => {
                    item.pass(said)
                }
            });
        }
    }
}

fn databases(facts: &Facts, config: &Config, items: &mut Vec<Item>) {
    let dbs = match &facts.databases {
        Ok(dbs) => dbs,
        Err(why) => {
            items.push(
                Item::new(Area::Databases, UNKNOWN, "inventory:rds", "", "RDS")
                    .unknown(why.clone()),
            );
            return;
        }
    };
    let min = i64::try_from(config.min_backup_retention_days).unwrap_or(i64::MAX);
    for db in dbs {
        let what = if db.cluster {
            "DB cluster"
        } else {
            "DB instance"
        };
        items.push(
            Item::new(
                Area::Databases,
                DELETION_PROTECTION_OFF,
                &db.arn,
                &db.kind,
                &db.id,
            )
            .judged(
                db.deletion_protection,
                "deletion protection on",
                Severity::Critical,
                format!(
                    "deletion protection is OFF on {what} {}: terraform destroy deletes it",
                    db.id
                ),
            ),
        );
        items.push(
            Item::new(
                Area::Databases,
                BACKUP_RETENTION_LOW,
                &db.arn,
                &db.kind,
                &db.id,
            )
            .judged(
                db.retention_days >= min,
                format!("automated backups kept {} days", db.retention_days),
                Severity::Error,
                format!(
                    "automated backups kept {} days (policy: at least {min})",
                    db.retention_days
                ),
            ),
        );
    }
}

/// Every DynamoDB table in the inventory keeps point-in-time recovery and deletion
/// protection on: its own last lines of defence.
fn tables(facts: &Facts, items: &mut Vec<Item>) {
    for table in &facts.tables {
        let checks = [
            (
                PITR_OFF,
                &table.point_in_time_recovery,
                "point-in-time recovery",
                "it cannot be restored to a moment of the last days, and a deleted table leaves no system backup",
            ),
            (
                TABLE_DELETION_PROTECTION_OFF,
                &table.deletion_protection,
                "deletion protection",
                "terraform destroy deletes it",
            ),
        ];
        for (check, read, what, why) in checks {
            let base = Item::new(Area::Databases, check, &table.arn, "DynamoDB", &table.name);
            items.push(match read {
                Err(failure) => base.unknown(failure.clone()),
                // Gone since the inventory was read: nothing left to protect.
                Ok(None) => base.pass(format!("table {} no longer exists", table.name)),
                Ok(Some(on)) => base.judged(
                    *on,
                    format!("{what} on"),
                    Severity::Critical,
                    format!("{what} is OFF on table {}: {why}", table.name),
                ),
            });
        }
    }
}

fn vaults(facts: &Facts, items: &mut Vec<Item>) {
    let vaults = match &facts.vaults {
        Ok(vaults) => vaults,
        Err(why) => {
            items.push(
                Item::new(
                    Area::Vaults,
                    UNKNOWN,
                    "inventory:backup-vaults",
                    "",
                    "backup vaults",
                )
                .unknown(why.clone()),
            );
            return;
        }
    };
    for v in vaults {
        let lock = Item::new(Area::Vaults, VAULT_UNLOCKED, &v.arn, "BackupVault", &v.name);
        let lock = if !v.locked {
            lock.fail(
                Severity::Error,
                format!("no vault lock: anyone with backup:DeleteRecoveryPoint can delete its {} recovery point(s)", v.points))
        } else if v.min_retention_days.is_none_or(|d| d < 1) {
            lock.fail(
                Severity::Error,
                "vault lock without a minimum retention: recovery points can still be deleted at once")
        } else {
            let days = v.min_retention_days.unwrap_or_default();
            let mut pass = lock
                .pass(format!("vault lock on, minimum retention {days} days"))
                .resolving(&[VAULT_LOCK_REMOVED]);
            if v.lock_date.is_none() {
                pass.warning = Some("governance mode: a principal allowed backup:DeleteBackupVaultLockConfiguration can remove the lock; set changeable-for-days for compliance mode".to_owned());
            }
            pass
        };
        items.push(lock);
        let policy = Item::new(
            Area::Vaults,
            VAULT_POLICY_OPEN,
            &v.arn,
            "BackupVault",
            &v.name,
        );
        items.push(match &v.policy {
            Err(why) => policy.unknown(why.clone()),
            Ok(None) => policy.pass("no access policy: only the account's own IAM decides"),
            Ok(Some(text)) => {
                let doc = policy_json(Some(&Value::String(text.clone())));
                policy.judged(
                    !lets_anyone_delete_recovery_points(&doc),
                    "the access policy lets no arbitrary principal delete recovery points",
                    Severity::Critical,
                    "the access policy lets any principal delete or expire its recovery points",
                )
            }
        });
    }
}

fn keys(facts: &Facts, items: &mut Vec<Item>) {
    for key in &facts.keys {
        let users = key.used_by.join(", ");
        match &key.state {
            Err(why) => items.push(
                Item::new(Area::Keys, UNKNOWN, &key.id, "KMSKey", &key.id).unknown(why.clone()),
            ),
            Ok(state) => {
                let name = state
                    .arn
                    .rsplit('/')
                    .next()
                    .unwrap_or(&state.arn)
                    .to_owned();
                let base = |check| Item::new(Area::Keys, check, &state.arn, "KMSKey", &name);
                let item = match state.state.as_str() {
                    "PendingDeletion" | "PendingReplicaDeletion" => base(KEY_DELETION_SCHEDULED)
                        .fail(
                            Severity::Critical,
                            format!(
                                "scheduled for deletion{}: {users} become unreadable then",
                                state
                                    .deletion_date
                                    .map_or_else(String::new, |d| format!(" on {d}"))
                            ),
                        ),
                    "Disabled" => base(KEY_DISABLED).fail(
                        Severity::Critical,
                        format!("disabled: {users} cannot be read or restored"),
                    ),
                    "Enabled" => base(KEY_DELETION_SCHEDULED)
                        .pass(format!("enabled; used by {users}"))
                        .resolving(&[KEY_DISABLED]),
                    other => base(KEY_DISABLED).fail(
                        Severity::Error,
                        format!("key state {other}: {users} may not be readable"),
                    ),
                };
                items.push(item);
            }
        }
    }
    match &facts.secrets {
        Err(why) => items.push(
            Item::new(Area::Keys, UNKNOWN, "inventory:secrets", "", "secrets").unknown(why.clone()),
        ),
        Ok(secrets) => {
            for s in secrets {
                let base = |check| Item::new(Area::Keys, check, &s.arn, "Secret", &s.name);
                items.push(match s.deleted_date {
                    Some(when) => base(SECRET_DELETED).fail(
                        Severity::Critical,
                        format!("scheduled for deletion on {when}: the key that decrypts restored data goes with it")),
                    None => base(SECRET_DELETED).pass("not scheduled for deletion"),
                });
                let has_previous = s
                    .versions
                    .values()
                    .any(|stages| stages.iter().any(|st| st == "AWSPREVIOUS"));
                items.push(base(SECRET_PREVIOUS_MISSING).judged(
                    s.versions.len() <= 1 || has_previous,
                    if s.versions.len() <= 1 { "one version: never changed".to_owned() } else { "the previous version is kept (AWSPREVIOUS)".to_owned() },
                    Severity::Error,
                    format!("{} versions and none is AWSPREVIOUS: data encrypted with the key before the last change cannot be decrypted", s.versions.len())));
            }
        }
    }
}

fn drills(
    facts: &Facts,
    verdicts: &[(crate::freshness::assess::Item, Verdict)],
    config: &Config,
    items: &mut Vec<Item>,
) {
    let types: BTreeSet<&str> = verdicts
        .iter()
        .filter(|(_, v)| !matches!(v, Verdict::Exempt { .. }))
        .map(|(i, _)| i.resource.resource_type.as_str())
        .collect();
    let window = format_duration(config.restore_drill_max_age_seconds);
    let target = config.recovery_time_target_seconds;
    for rtype in &types {
        let rtype = *rtype;
        let scope = format!("restore-drill:{rtype}");
        let base = Item::new(Area::Drills, DRILL_MISSING, &scope, rtype, "restore drill");
        let restores = match &facts.restores {
            Err(why) => {
                items.push(base.unknown(why.clone()));
                continue;
            }
            Ok(r) => r,
        };
        let of_type: Vec<&crate::audit::read::Restore> = restores
            .iter()
            .filter(|r| r.resource_type.eq_ignore_ascii_case(rtype) && r.completed.is_some())
            .collect();
        // Only a restore someone proved whole counts: a completed job proves the backup
        // could be read, not that the data came back.
        let done: Vec<(i64, &crate::audit::read::Restore)> = of_type
            .iter()
            .filter(|r| r.validation.as_deref() == Some("SUCCESSFUL"))
            .filter_map(|r| r.completed.map(|c| (c.seconds_since(r.created), *r)))
            .collect();
        let fastest = done.iter().min_by_key(|(d, _)| *d);
        items.push(match fastest {
            None if of_type.is_empty() => base.fail(
                Severity::Warning,
                format!("no validated {rtype} restore in the last {window}: nobody knows the backups restore")),
            None => {
                let failed = of_type.iter().filter(|r| r.validation.as_deref() == Some("FAILED")).count();
                base.fail(
                    Severity::Warning,
                    format!(
                        "{} {rtype} restore(s) completed in the last {window}, none validated{}: a completed job proves the backup could be read, not that the data came back",
                        of_type.len(),
                        if failed > 0 { format!(" ({failed} failed validation)") } else { String::new() }
                    ),
                )
            }
            Some((duration, r)) if *duration > target => Item { check: DRILL_SLOW, ..base }.fail(
                Severity::Warning,
                format!("fastest validated {rtype} restore in the last {window} took {} (job {}); the recovery-time target is {}", format_duration(*duration), r.id, format_duration(target))),
            Some((duration, r)) => base
                .pass(format!(
                    "{} {} restored and validated in {} on {}",
                    if r.restore_test { "restore test" } else { "restore job" },
                    r.id,
                    format_duration(*duration),
                    r.created
                ))
                .resolving(&[DRILL_SLOW]),
        });
    }
    match &facts.testing_plans {
        Err(why) => items.push(
            Item::new(
                Area::Drills,
                UNKNOWN,
                "inventory:restore-testing-plans",
                "",
                "restore testing plans",
            )
            .unknown(why.clone()),
        ),
        Ok(plans) => {
            for plan in plans {
                let base = Item::new(Area::Drills, TESTING_PLAN_IDLE, &plan.arn, "", &plan.name);
                items.push(match &plan.types {
                    Err(why) => base.unknown(why.clone()),
                    Ok(selected) => {
                        let tested: Vec<&str> = types
                            .iter()
                            .copied()
                            .filter(|t| selected.iter().any(|s| s.eq_ignore_ascii_case(t)))
                            .collect();
                        if tested.is_empty() {
                            base.fail(
                                Severity::Warning,
                                format!(
                                    "restore testing plan {} ({}) selects {} but no required type in use ({})",
                                    plan.name,
                                    plan.schedule,
                                    if selected.is_empty() { "nothing".to_owned() } else { selected.join(", ") },
                                    types.iter().copied().collect::<Vec<_>>().join(", ")
                                ),
                            )
                        } else {
                            base.pass(format!(
                                "restore testing plan {} ({}) tests {}",
                                plan.name,
                                plan.schedule,
                                tested.join(", ")
                            ))
                        }
                    }
                });
            }
        }
    }
}

fn guard(facts: &Facts, config: &Config, items: &mut Vec<Item>) {
    match &facts.trails {
        Err(why) => items.push(
            Item::new(Area::Guard, UNKNOWN, "inventory:trails", "", "CloudTrail")
                .unknown(why.clone()),
        ),
        Ok(trails) => {
            items.push(
                Item::new(
                    Area::Guard,
                    TRAIL_MISSING,
                    "cloudtrail",
                    "Trail",
                    "CloudTrail",
                )
                .judged(
                    trails.iter().any(|t| t.logging == Ok(true)),
                    "at least one trail is logging",
                    Severity::Critical,
                    "no trail is logging: protection-guard sees no API calls",
                ),
            );
            for t in trails {
                let base = Item::new(Area::Guard, TRAIL_STOPPED, &t.arn, "Trail", &t.name);
                items.push(match &t.logging {
                    Err(why) => base.unknown(why.clone()),
                    Ok(logging) => base.judged(
                        *logging,
                        format!(
                            "logging{}",
                            if t.multi_region { ", multi-region" } else { "" }
                        ),
                        Severity::Critical,
                        "logging is stopped",
                    ),
                });
            }
        }
    }
    match &facts.rules {
        Err(why) => items.push(
            Item::new(
                Area::Guard,
                UNKNOWN,
                "inventory:rules",
                "",
                "EventBridge rules",
            )
            .unknown(why.clone()),
        ),
        Ok(rules) if rules.is_empty() => items.push(
            Item::new(
                Area::Guard,
                GUARD_RULES_MISSING,
                "guard-rules",
                "Rule",
                "Phoenix Guard rules",
            )
            .fail(
                Severity::Critical,
                format!(
                    "no EventBridge rule named {}*: no event reaches Phoenix Guard",
                    config.guard_prefix
                ),
            ),
        ),
        Ok(rules) => {
            for r in rules {
                items.push(
                    Item::new(Area::Guard, GUARD_RULE_DISABLED, &r.arn, "Rule", &r.name).judged(
                        r.enabled,
                        "enabled",
                        Severity::Critical,
                        "disabled: its events no longer reach Phoenix Guard",
                    ),
                );
            }
        }
    }
    for (function, newest) in &facts.heartbeats {
        let scope = format!("function:{function}");
        let base = Item::new(Area::Guard, HEARTBEAT_MISSING, &scope, "Function", function);
        let max = config.heartbeat_max_age_seconds;
        items.push(match newest {
            Err(why) => base.unknown(why.clone()),
            Ok(Some(t)) => base.pass(format!(
                "last heartbeat {} ago",
                format_duration(facts.at.seconds_since(*t))
            )),
            Ok(None) => base.fail(
                Severity::Error,
                format!(
                    "no Heartbeat in the last {}: the scheduled check is not running",
                    format_duration(max)
                ),
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::read::{Bucket, Restore, Secret, Vault};
    use std::collections::BTreeMap;

    const AT: Timestamp = Timestamp::from_epoch_seconds(1_795_400_000);

    fn config() -> Config {
        Config::for_checks(|_| None).expect("defaults")
    }

    fn facts() -> Facts {
        Facts {
            at: AT,
            account: "123456789012".to_owned(),
            region: "eu-west-1".to_owned(),
            backups: Default::default(),
            protections: Vec::new(),
            buckets: Ok(Vec::new()),
            bucket_tags_failure: None,
            databases: Ok(Vec::new()),
            vaults: Ok(Vec::new()),
            keys: Vec::new(),
            secrets: Ok(Vec::new()),
            restores: Ok(Vec::new()),
            testing_plans: Ok(Vec::new()),
            trails: Ok(Vec::new()),
            rules: Ok(Vec::new()),
            heartbeats: BTreeMap::new(),
            stacks: Vec::new(),
            tables: Vec::new(),
            copies: Default::default(),
        }
    }

    fn item(area: Area, status: Status) -> Item {
        let mut i = Item::new(area, "x", "r", "", "r");
        i.status = status;
        i
    }

    #[test]
    fn each_store_of_each_state_is_judged_as_destroyed_now_and_a_state_that_cannot_be_read_is_unknown()
     {
        use crate::audit::read::Stack;
        use crate::gate::{Judged, Verdict};
        let judged = |address: &str, kind: &str, resource: &str, verdict: Verdict| Judged {
            address: address.to_owned(),
            resource_type: kind.to_owned(),
            action: "delete",
            resource: resource.to_owned(),
            verdict,
        };
        const EFS: &str = "arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-1";
        let mut f = facts();
        f.buckets = Ok(vec![Bucket {
            name: "zulip-uploads".to_owned(),
            data: true,
            state: false,
            versioning: Ok(Versioning::Enabled),
            lifecycle: None,
            object_lock: None,
        }]);
        f.stacks = vec![
            Stack {
                bucket: "tfstate".to_owned(),
                key: Some("dev/terraform.tfstate".to_owned()),
                judged: Ok(vec![
                    judged(
                        "aws_efs_file_system.zulip",
                        "aws_efs_file_system",
                        EFS,
                        Verdict::Lost("no recovery point".to_owned()),
                    ),
                    judged(
                        "aws_s3_bucket.uploads",
                        "aws_s3_bucket",
                        "zulip-uploads",
                        Verdict::Blocked("holds objects".to_owned()),
                    ),
                    judged(
                        "random_password.master_key",
                        "random_password",
                        "random_password.master_key",
                        Verdict::Lost("encryption-key-regenerated: new value".to_owned()),
                    ),
                    judged(
                        "aws_db_instance.zitadel",
                        "aws_db_instance",
                        "arn:aws:rds:eu-west-1:123456789012:db:zitadel",
                        Verdict::Unknown("ListRecoveryPointsByResource: throttled".to_owned()),
                    ),
                ]),
            },
            Stack {
                bucket: "tfstate".to_owned(),
                key: Some("prod/terraform.tfstate".to_owned()),
                judged: Err("GetObject: AccessDenied".to_owned()),
            },
        ];
        let items: Vec<Item> = evaluate(&f, &[], &config())
            .into_iter()
            .filter(|i| i.area == Area::Destroy)
            .collect();
        assert_eq!(items.len(), 5, "{items:#?}");
        assert!(items.iter().all(|i| i.check == DESTROY_WOULD_LOSE_DATA));
        let by = |name: &str| items.iter().find(|i| i.name == name).unwrap();
        let efs = by("aws_efs_file_system.zulip");
        assert_eq!(
            (efs.status, efs.severity),
            (Status::Fail, Severity::Critical)
        );
        assert_eq!(
            (efs.resource.as_str(), efs.resource_type.as_str()),
            (EFS, "EFS")
        );
        assert_eq!(
            efs.detail,
            "lost: no recovery point (terraform destroy of s3://tfstate/dev/terraform.tfstate)"
        );
        assert!(
            efs.fix.contains(
                "phoenix verify --pre-destroy --state s3://tfstate/dev/terraform.tfstate"
            ) && efs.fix.contains("backup plan"),
            "{}",
            efs.fix
        );
        let bucket = by("aws_s3_bucket.uploads");
        assert_eq!(
            bucket.status,
            Status::Pass,
            "the destroy stops there: the data survives"
        );
        assert_eq!(bucket.resource, "arn:aws:s3:::zulip-uploads");
        let key = by("random_password.master_key");
        assert_eq!(
            (key.status, key.severity),
            (Status::Fail, Severity::Critical)
        );
        assert_eq!(
            key.resource, "s3://tfstate/dev/terraform.tfstate#random_password.master_key",
            "a generated key has no ARN: its state and address name it"
        );
        assert_eq!(by("aws_db_instance.zitadel").status, Status::Unknown);
        let unread = by("s3://tfstate/prod/terraform.tfstate");
        assert_eq!(unread.status, Status::Unknown);
        assert!(unread.detail.contains("AccessDenied"), "{}", unread.detail);
    }

    #[test]
    fn a_table_keeps_point_in_time_recovery_and_deletion_protection_on() {
        use crate::audit::read::Table;
        let table = |pitr: Result<Option<bool>, String>,
                     protection: Result<Option<bool>, String>| {
            let mut f = facts();
            f.tables = vec![Table {
                arn: "arn:aws:dynamodb:eu-west-1:123456789012:table/sessions".to_owned(),
                name: "sessions".to_owned(),
                point_in_time_recovery: pitr,
                deletion_protection: protection,
            }];
            evaluate(&f, &[], &config())
                .into_iter()
                .filter(|i| i.resource_type == "DynamoDB")
                .map(|i| (i.check, i.status, i.severity))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            table(Ok(Some(false)), Ok(Some(true))),
            [
                (PITR_OFF, Status::Fail, Severity::Critical),
                (TABLE_DELETION_PROTECTION_OFF, Status::Pass, Severity::Error),
            ]
        );
        let unread = table(Ok(Some(true)), Err("DescribeTable: throttled".to_owned()));
        assert_eq!(
            unread[1].1,
            Status::Unknown,
            "a read that failed is never a pass"
        );
        assert!(
            table(Ok(None), Ok(None))
                .iter()
                .all(|(_, s, _)| *s == Status::Pass),
            "a table gone since the inventory has nothing left to protect"
        );
    }

    #[test]
    fn weights_add_up_to_100() {
        assert_eq!(Area::ALL.iter().map(|a| a.weight()).sum::<u32>(), 100);
    }

    #[test]
    fn the_score_weighs_areas_leaves_empty_ones_out_and_reaches_100_only_when_all_pass() {
        use Status::{Fail, Pass, Unknown};
        assert_eq!(score(&[]), 0, "nothing checked is not ready");
        assert_eq!(score(&[item(Area::Guard, Pass)]), 100);
        // Backups (20) half passing, buckets (20) passing: (10 + 20) / 40.
        let items = [
            item(Area::Backups, Pass),
            item(Area::Backups, Fail),
            item(Area::DataBuckets, Pass),
        ];
        assert_eq!(score(&items), 75);
        let unknown = [item(Area::Backups, Pass), item(Area::Backups, Unknown)];
        assert_eq!(score(&unknown), 50, "unknown counts as failed");
        let mut many: Vec<Item> = (0..1000).map(|_| item(Area::Backups, Pass)).collect();
        many.push(item(Area::Backups, Fail));
        assert_eq!(
            score(&many),
            99,
            "one failure in a thousand still is not 100"
        );
    }

    #[test]
    fn a_governance_lock_passes_with_a_warning_and_an_open_policy_fails() {
        let mut f = facts();
        let vault = |name: &str, locked, lock_date, policy: Option<&str>| Vault {
            name: name.to_owned(),
            arn: format!("arn:aws:backup:eu-west-1:123456789012:backup-vault:{name}"),
            locked,
            min_retention_days: Some(7),
            lock_date,
            key: None,
            points: 3,
            policy: Ok(policy.map(str::to_owned)),
        };
        let open = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"backup:DeleteRecoveryPoint","Resource":"*"}]}"#;
        f.vaults = Ok(vec![
            vault("governance", true, None, None),
            vault("compliance", true, Some(AT), None),
            vault("open", false, None, Some(open)),
        ]);
        let items = evaluate(&f, &[], &config());
        let find = |name: &str, check: &str| {
            items
                .iter()
                .find(|i| i.name == name && i.check == check)
                .unwrap_or_else(|| panic!("{name} {check}: {items:#?}"))
        };
        let governance = find("governance", VAULT_UNLOCKED);
        assert_eq!(governance.status, Status::Pass);
        assert!(
            governance
                .warning
                .as_deref()
                .unwrap_or_default()
                .contains("governance mode")
        );
        assert_eq!(find("compliance", VAULT_UNLOCKED).warning, None);
        assert_eq!(find("open", VAULT_UNLOCKED).status, Status::Fail);
        let policy = find("open", VAULT_POLICY_OPEN);
        assert_eq!(
            (policy.status, policy.severity),
            (Status::Fail, Severity::Critical)
        );
    }

    #[test]
    fn secrets_keep_their_previous_version_and_drills_meet_the_recovery_time() {
        let mut f = facts();
        let stages = |pairs: &[(&str, &[&str])]| {
            pairs
                .iter()
                .map(|(v, s)| ((*v).to_owned(), s.iter().map(|x| (*x).to_owned()).collect()))
                .collect()
        };
        f.secrets = Ok(vec![
            Secret {
                arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:kept-AbCdEf".to_owned(),
                name: "kept".to_owned(),
                deleted_date: None,
                versions: stages(&[("v1", &["AWSPREVIOUS"]), ("v2", &["AWSCURRENT"])]),
                kms_key: None,
            },
            Secret {
                arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:lost-AbCdEf".to_owned(),
                name: "lost".to_owned(),
                deleted_date: Some(AT),
                versions: stages(&[("v1", &[]), ("v2", &["AWSCURRENT"])]),
                kms_key: None,
            },
        ]);
        let items = evaluate(&f, &[], &config());
        let status = |name: &str, check: &str| {
            items
                .iter()
                .find(|i| i.name == name && i.check == check)
                .map(|i| i.status)
        };
        assert_eq!(status("kept", SECRET_PREVIOUS_MISSING), Some(Status::Pass));
        assert_eq!(status("kept", SECRET_DELETED), Some(Status::Pass));
        assert_eq!(status("lost", SECRET_PREVIOUS_MISSING), Some(Status::Fail));
        assert_eq!(status("lost", SECRET_DELETED), Some(Status::Fail));

        // Drills: one per required type present; 20 minutes misses a 15-minute target.
        let verdicts = efs_in_a_plan();
        let drill = |minutes: i64| Restore {
            id: "r-1".to_owned(),
            resource_type: "EFS".to_owned(),
            created: AT.plus_seconds(-86_400),
            completed: Some(AT.plus_seconds(-86_400 + minutes * 60)),
            restore_test: true,
            validation: Some("SUCCESSFUL".to_owned()),
        };
        let check_of = |restores: Vec<Restore>| {
            let mut f = facts();
            f.restores = Ok(restores);
            let items = evaluate(&f, &verdicts, &config());
            let d = items
                .iter()
                .find(|i| i.area == Area::Drills)
                .cloned()
                .expect("a drill item");
            (d.check, d.status)
        };
        assert_eq!(check_of(vec![]), (DRILL_MISSING, Status::Fail));
        assert_eq!(check_of(vec![drill(20)]), (DRILL_SLOW, Status::Fail));
        assert_eq!(
            check_of(vec![drill(20), drill(8)]),
            (DRILL_MISSING, Status::Pass)
        );
        // A fast restore nobody validated, or one that failed validation, proves nothing.
        let unvalidated = Restore {
            validation: None,
            ..drill(8)
        };
        let failed = Restore {
            validation: Some("FAILED".to_owned()),
            ..drill(8)
        };
        assert_eq!(
            check_of(vec![unvalidated, failed, drill(20)]),
            (DRILL_SLOW, Status::Fail)
        );
    }

    /// One EFS file system in a plan, awaiting its first backup: a required type in use.
    fn efs_in_a_plan() -> Vec<(crate::freshness::assess::Item, Verdict)> {
        let efs = crate::freshness::assess::Item {
            resource: crate::coverage::Resource {
                arn: "arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-1".to_owned(),
                resource_type: "EFS".to_owned(),
                tags: Default::default(),
            },
            id: "fs-1".to_owned(),
            created: None,
        };
        let rpo = crate::freshness::assess::Rpo {
            seconds: 86_400,
            source: "plan".to_owned(),
        };
        vec![(efs, Verdict::AwaitingFirst { rpo })]
    }

    #[test]
    fn a_restore_testing_plan_that_tests_no_required_type_in_use_fails() {
        use crate::audit::read::TestingPlan;
        let verdicts = efs_in_a_plan();
        let plan = |name: &str, types: Result<Vec<String>, String>| TestingPlan {
            arn: format!("arn:aws:backup:eu-west-1:123456789012:restore-testing-plan:{name}"),
            name: name.to_owned(),
            schedule: "cron(0 5 1 * ? *)".to_owned(),
            types,
        };
        let mut f = facts();
        f.testing_plans = Ok(vec![
            plan("ebs_only", Ok(vec!["EBS".to_owned()])),
            plan("monthly", Ok(vec!["EBS".to_owned(), "EFS".to_owned()])),
            plan(
                "broken",
                Err("ListRestoreTestingSelections: AccessDenied".to_owned()),
            ),
        ]);
        let items = evaluate(&f, &verdicts, &config());
        let of = |name: &str| {
            items
                .iter()
                .find(|i| i.check == TESTING_PLAN_IDLE && i.name == name)
                .map(|i| (i.status, i.detail.clone()))
                .expect(name)
        };
        assert_eq!(
            of("ebs_only"),
            (
                Status::Fail,
                "restore testing plan ebs_only (cron(0 5 1 * ? *)) selects EBS but no required type in use (EFS)".to_owned()
            )
        );
        assert_eq!(of("monthly").0, Status::Pass);
        assert_eq!(of("broken").0, Status::Unknown);
        f.testing_plans = Err("ListRestoreTestingPlans: AccessDenied".to_owned());
        let items = evaluate(&f, &verdicts, &config());
        assert!(items.iter().any(|i| i.area == Area::Drills
            && i.status == Status::Unknown
            && i.resource == "inventory:restore-testing-plans"));
    }

    #[test]
    fn a_bucket_read_that_failed_is_unknown_and_a_missing_state_bucket_is_named() {
        let mut f = facts();
        f.buckets = Ok(vec![Bucket {
            name: "uploads".to_owned(),
            data: true,
            state: false,
            versioning: Err("GetBucketVersioning: AccessDenied".to_owned()),
            lifecycle: Some(Ok(Vec::new())),
            object_lock: None,
        }]);
        let items = evaluate(&f, &[], &config());
        let versioning = items
            .iter()
            .find(|i| i.check == BUCKET_UNVERSIONED)
            .expect("item");
        assert_eq!(versioning.status, Status::Unknown);
        assert!(versioning.detail.contains("AccessDenied"));
        assert!(
            items
                .iter()
                .any(|i| i.check == STATE_BUCKET_MISSING && i.status == Status::Fail)
        );
        assert!(score(&items) < 100);
    }

    #[test]
    fn a_compliance_mode_object_lock_of_the_policys_length_counts_as_the_retention_rule() {
        use crate::object_lock::Retention;
        let item = |mode: &str, days: i64| {
            let mut f = facts();
            f.buckets = Ok(vec![Bucket {
                name: "uploads".to_owned(),
                data: true,
                state: false,
                versioning: Ok(Versioning::Enabled),
                lifecycle: Some(Ok(Vec::new())),
                object_lock: Some(Ok(Some(Retention {
                    mode: Some(mode.to_owned()),
                    days: Some(days),
                }))),
            }]);
            evaluate(&f, &[], &config())
                .into_iter()
                .find(|i| i.check == RETENTION_RULE_MISSING || i.check == LIFECYCLE_WEAKENED)
                .expect("the retention item")
        };
        let locked = item("COMPLIANCE", 90);
        assert_eq!(locked.status, Status::Pass);
        assert!(locked.detail.contains("keeps every version 90 days"));
        assert_eq!(
            item("GOVERNANCE", 90).status,
            Status::Fail,
            "governance can be bypassed"
        );
        assert_eq!(
            item("COMPLIANCE", 1).status,
            Status::Fail,
            "shorter than the policy"
        );
    }

    #[test]
    fn with_bucket_tags_unreadable_a_missing_state_bucket_is_unknown_not_a_failure() {
        let mut f = facts();
        f.buckets = Ok(Vec::new());
        f.bucket_tags_failure = Some("GetResources: ThrottlingException".to_owned());
        let items = evaluate(&f, &[], &config());
        let state = items
            .iter()
            .find(|i| i.check == STATE_BUCKET_MISSING)
            .expect("item");
        assert_eq!(
            (state.status, state.resource.as_str()),
            (Status::Unknown, STATE_SCOPE)
        );
        assert!(
            state.detail.contains("ThrottlingException"),
            "{}",
            state.detail
        );
    }
}
