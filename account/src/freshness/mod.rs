//! Backup freshness: the check for the backup that never happened.
//!
//! AWS Backup emits nothing for a job that never started, so a scheduled run reads the
//! account ([`collect`]) and decides ([`assess`], [`judge`]), for every resource of the
//! required types:
//!
//! - is it in a backup plan at all (`resource-unprotected`)?
//! - is its newest good recovery point younger than its RPO (`backup-missed`, or
//!   `backup-never-completed` when there is none)?
//! - could that be decided (`check-unknown` when a read failed: never reported healthy)?
//! - is a copy of it outside the region or account `PHOENIX_REQUIRE_COPY` names, and
//!   recent ([`crate::copies`]: `copy-missing`, `copy-stale`)?
//!
//! and turns the verdicts into open and resolved observations (pure: no AWS calls here
//! outside [`collect`]). The evaluation time is the scheduled event's time, so a retried run
//! reaches the same verdicts.

pub mod assess;
pub mod collect;

use crate::copies::{self, CopyVerdict};
use crate::schedule::format_duration;
use assess::{Item, Protection, Snapshot, TagProblem, Verdict};
use phoenix_shared::event::{arn_part, text, timestamp};
use phoenix_shared::finding::Severity;
use phoenix_shared::ledger::OpenFinding;
use phoenix_shared::metrics::Unit;
use phoenix_shared::{Finding, MetricBatch, Observation, Timestamp};
use phoenix_shared::{checks, tags};
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};

pub use phoenix_shared::checks::BACKUP_EXEMPTION_UNEXPLAINED as EXEMPTION_UNEXPLAINED;
pub use phoenix_shared::checks::BACKUP_MISSED as MISSED;
pub use phoenix_shared::checks::BACKUP_NEVER_COMPLETED as NEVER_COMPLETED;
pub use phoenix_shared::checks::BACKUP_RPO_TAG_INVALID as RPO_TAG_INVALID;
pub use phoenix_shared::checks::FRESHNESS_UNKNOWN as UNKNOWN;
pub use phoenix_shared::checks::RESOURCE_UNPROTECTED as UNPROTECTED;
pub use phoenix_shared::checks::{COPY_MISSING, COPY_STALE};

/// The checks this function opens and resolves.
pub const CHECKS: [&str; 8] = [
    UNPROTECTED,
    MISSED,
    NEVER_COMPLETED,
    UNKNOWN,
    EXEMPTION_UNEXPLAINED,
    RPO_TAG_INVALID,
    COPY_MISSING,
    COPY_STALE,
];

/// `true`: publish `HoursSinceLastCopy` for this resource (one custom metric each).
pub const COPY_METRIC_TAG: &str = tags::COPY_METRIC;

/// The evaluation time and account of a trigger: an EventBridge `Scheduled Event`
/// (`time`, `account`) or EventBridge Scheduler input (any of `time`, `scheduledTime`,
/// `scheduled_time`, `scheduled-time`, e.g. from `<aws.scheduler.scheduled-time>`).
/// Without a usable time the run is evaluated now.
pub fn trigger(event: &Value, now: Timestamp) -> (Timestamp, Option<String>) {
    let keys = ["time", "scheduledTime", "scheduled_time", "scheduled-time"];
    let at = timestamp(event, &keys).unwrap_or_else(|| {
        tracing::warn!(
            event_kind = phoenix_shared::event::kind_of(event),
            "trigger carries no usable time; evaluating now"
        );
        now
    });
    (at, text(event, &["account"]))
}

/// What one run concluded, returned as the invocation's result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub evaluated_at: Option<Timestamp>,
    pub resources_checked: u32,
    pub exempt: u32,
    pub unprotected: u32,
    pub missed: u32,
    pub unknown: u32,
    pub alerts_sent: usize,
}

impl RunSummary {
    /// The invocation's result, as `function` reports it.
    pub fn to_json(&self, function: &str) -> Value {
        json!({
            "function": function,
            "evaluatedAt": self.evaluated_at.map(|t| t.to_string()),
            "resourcesChecked": self.resources_checked,
            "exempt": self.exempt,
            "unprotected": self.unprotected,
            "backupsMissed": self.missed,
            "checksUnknown": self.unknown,
            "alertsSent": self.alerts_sent,
        })
    }
}

/// Whether losing a resource of this type is critical (its unprotected, missed or uncopied
/// backups page at that severity).
pub fn is_critical_type(resource_type: &str) -> bool {
    ["EFS", "RDS", "Aurora"]
        .iter()
        .any(|t| t.eq_ignore_ascii_case(resource_type))
}

fn hours(seconds: i64) -> f64 {
    // Two decimals are plenty for an age in hours.
    (seconds as f64 / 36.0).round() / 100.0
}

/// Builds findings for one account and region at one evaluation time.
struct Findings<'a> {
    snapshot: &'a Snapshot,
    at: Timestamp,
}

impl Findings<'_> {
    fn finding(
        &self,
        check: &str,
        resource_arn: &str,
        resource_type: &str,
        severity: Severity,
        summary: String,
        details: Map<String, Value>,
    ) -> Finding {
        let target = checks::Target {
            resource_type,
            id: resource_arn,
            arn: resource_arn,
            region: &self.snapshot.region,
            min_retention_days: 0,
            command: "",
        };
        let mut finding = checks::finding(
            check,
            &self.snapshot.account,
            &target,
            severity,
            summary,
            self.at,
        );
        finding.details = details;
        finding
    }

    /// The open finding a verdict calls for, if any.
    fn for_verdict(&self, item: &Item, verdict: &Verdict) -> Option<Finding> {
        let rtype = item.resource.resource_type.as_str();
        let name = format!("{rtype} {}", item.id);
        let important = if is_critical_type(rtype) {
            Severity::Critical
        } else {
            Severity::Error
        };
        let mut details = Map::new();
        details.insert("resourceId".to_owned(), json!(item.id));
        details.insert("evaluatedAt".to_owned(), json!(self.at));
        let (check, severity, summary) = match verdict {
            Verdict::Unprotected { reason } => {
                details.insert("reason".to_owned(), json!(reason));
                (
                    UNPROTECTED,
                    important,
                    format!("{name} is not protected by AWS Backup: {reason}"),
                )
            }
            Verdict::Missed { last, rpo, why } => {
                let age = self.at.seconds_since(*last);
                details.insert("lastRecoveryPoint".to_owned(), json!(last));
                details.insert("hoursSinceLastRecoveryPoint".to_owned(), json!(hours(age)));
                details.insert("rpo".to_owned(), json!(format_duration(rpo.seconds)));
                details.insert("rpoSource".to_owned(), json!(rpo.source));
                details.insert("reason".to_owned(), json!(why));
                (
                    MISSED,
                    important,
                    format!(
                        "{name}: last recovery point {} old, RPO {}; {why}",
                        format_duration(age),
                        format_duration(rpo.seconds)
                    ),
                )
            }
            Verdict::NeverCompleted { rpo, why } => {
                details.insert("rpo".to_owned(), json!(format_duration(rpo.seconds)));
                details.insert("rpoSource".to_owned(), json!(rpo.source));
                details.insert("reason".to_owned(), json!(why));
                (
                    NEVER_COMPLETED,
                    important,
                    format!(
                        "{name} is in a backup plan but has no recovery point after more than its RPO of {}; {why}",
                        format_duration(rpo.seconds)
                    ),
                )
            }
            Verdict::Unknown { reason } => {
                details.insert("reason".to_owned(), json!(reason));
                (
                    UNKNOWN,
                    Severity::Error,
                    format!("Backup freshness of {name} could not be checked: {reason}"),
                )
            }
            Verdict::Exempt { .. }
            | Verdict::Fresh { .. }
            | Verdict::AwaitingFirst { .. }
            | Verdict::InProgress { .. } => return None,
        };
        Some(self.finding(check, &item.resource.arn, rtype, severity, summary, details))
    }

    /// The open finding a copy verdict calls for, if any (an unknown one is the scope's).
    fn for_copy(&self, item: &Item, copy: &CopyVerdict) -> Option<Finding> {
        let rtype = item.resource.resource_type.as_str();
        let name = format!("{rtype} {}", item.id);
        let mut details = Map::new();
        details.insert("resourceId".to_owned(), json!(item.id));
        details.insert(
            "requireCopy".to_owned(),
            json!(self.snapshot.require_copy.as_str()),
        );
        let (check, severity, summary) = match copy {
            CopyVerdict::Missing { reason } => {
                details.insert("reason".to_owned(), json!(reason));
                (
                    COPY_MISSING,
                    if is_critical_type(rtype) {
                        Severity::Critical
                    } else {
                        Severity::Error
                    },
                    format!(
                        "{name} would be lost in a region outage or with its account: {reason}"
                    ),
                )
            }
            CopyVerdict::Stale { reason, last } => {
                details.insert("reason".to_owned(), json!(reason));
                if let Some(last) = last {
                    details.insert("lastCopy".to_owned(), json!(last));
                }
                (COPY_STALE, Severity::Error, format!("{name}: {reason}"))
            }
            _ => return None,
        };
        Some(self.finding(check, &item.resource.arn, rtype, severity, summary, details))
    }

    fn for_tag_problem(&self, item: &Item, problem: &TagProblem) -> Finding {
        let rtype = &item.resource.resource_type;
        let mut details = Map::new();
        details.insert("resourceId".to_owned(), json!(item.id));
        let (check, summary) = match problem {
            TagProblem::ExemptionUnexplained => (
                EXEMPTION_UNEXPLAINED,
                format!(
                    "{rtype} {} is exempt from backup checks ({}=exempt) without a {} tag",
                    item.id,
                    tags::BACKUP,
                    tags::REASON
                ),
            ),
            TagProblem::RpoTagInvalid { value, error } => {
                details.insert("tagValue".to_owned(), json!(value));
                details.insert("error".to_owned(), json!(error));
                (
                    RPO_TAG_INVALID,
                    format!(
                        "{rtype} {}: tag {}={value:?} is not a duration; the plan's RPO applies",
                        item.id,
                        tags::RPO
                    ),
                )
            }
        };
        self.finding(
            check,
            &item.resource.arn,
            rtype,
            Severity::Warning,
            summary,
            details,
        )
    }

    /// A check that could not run for something other than one resource.
    fn unknown(&self, scope: &str, reason: &str) -> Finding {
        let mut details = Map::new();
        details.insert("scope".to_owned(), json!(scope));
        details.insert("reason".to_owned(), json!(reason));
        self.finding(
            UNKNOWN,
            scope,
            "",
            Severity::Error,
            format!("Backup freshness could not be checked for {scope}: {reason}"),
            details,
        )
    }
}

/// Which checks on an inventory resource are known not to hold after this run.
fn vouched(verdict: &Verdict, problems: &[TagProblem], check: &str) -> bool {
    let has = |p: &TagProblem| problems.contains(p);
    match check {
        EXEMPTION_UNEXPLAINED => !has(&TagProblem::ExemptionUnexplained),
        RPO_TAG_INVALID => !problems
            .iter()
            .any(|p| matches!(p, TagProblem::RpoTagInvalid { .. })),
        _ => match verdict {
            Verdict::Unknown { .. } => false,
            Verdict::InProgress { .. } => check == UNPROTECTED || check == UNKNOWN,
            Verdict::Exempt { .. } | Verdict::Fresh { .. } | Verdict::AwaitingFirst { .. } => true,
            Verdict::Unprotected { .. } => check != UNPROTECTED,
            Verdict::Missed { .. } => check != MISSED,
            Verdict::NeverCompleted { .. } => check != NEVER_COMPLETED,
        },
    }
}

/// The listing a resource type comes from (its failure leaves such findings open).
fn inventory_label(resource_type: &str) -> &'static [&'static str] {
    match resource_type {
        "EFS" => &["EFS"],
        "RDS" => &["RDS", "RDS clusters"],
        "Aurora" | "DocumentDB" | "Neptune" => &["RDS clusters"],
        "DynamoDB" => &["DynamoDB"],
        _ => &[],
    }
}

/// What one run concluded from a snapshot, before anything is delivered.
#[derive(Debug)]
pub struct Judgement {
    pub at: Timestamp,
    /// Every inventory resource with its verdict, in inventory order.
    pub verdicts: Vec<(Item, Verdict)>,
    tag_problems: HashMap<String, Vec<TagProblem>>,
    /// The findings that hold now: one per failing resource, tag problem and unread scope.
    pub opens: Vec<Observation>,
    pub summary: RunSummary,
    /// `HoursSinceLastRecoveryPoint` per resource and the run's counts.
    pub metrics: MetricBatch,
    /// Each covered resource's copies outside the blast radius, by ARN.
    pub copies: HashMap<String, CopyVerdict>,
}

/// Decides every resource of a snapshot (pure: no AWS calls).
pub fn judge(snapshot: &Snapshot, protections: Vec<Protection>, at: Timestamp) -> Judgement {
    let findings = Findings { snapshot, at };
    let mut metrics = MetricBatch::new();
    let mut summary = RunSummary {
        evaluated_at: Some(at),
        ..RunSummary::default()
    };
    let mut opens: Vec<Observation> = Vec::new();
    let mut verdicts = Vec::with_capacity(snapshot.items.len());
    let mut tag_problems = HashMap::new();
    let mut copy_verdicts = HashMap::new();
    let no_jobs = Ok(Vec::new());
    let copy_jobs = snapshot.copy_jobs.as_ref().unwrap_or(&no_jobs);

    for (item, protection) in snapshot.items.iter().zip(protections) {
        let arn = item.resource.arn.as_str();
        let last_backup = snapshot.last_backup.get(arn).copied();
        let copy = match &protection {
            Protection::Covered { rpo, copy_to, .. } => Some(copies::judge(
                snapshot.require_copy,
                copies::Place {
                    account: &snapshot.account,
                    region: &snapshot.region,
                    air_gapped: &snapshot.air_gapped,
                },
                arn,
                copy_to,
                copy_jobs,
                rpo.seconds,
                at,
            )),
            _ => None,
        };
        let verdict = assess::verdict(protection, last_backup, snapshot.histories.get(arn), at);
        if let Some(copy) = copy {
            // A resource awaiting its first backup has nothing to copy yet; one whose
            // freshness is unknown or that is unprotected is paged for that.
            let judged = match verdict {
                Verdict::Unknown { .. } | Verdict::Unprotected { .. } | Verdict::Exempt { .. } => {
                    false
                }
                Verdict::AwaitingFirst { .. } => !matches!(copy, CopyVerdict::Stale { .. }),
                _ => true,
            };
            if judged {
                if let Some(finding) = findings.for_copy(item, &copy) {
                    opens.push(Observation::open(finding));
                }
                if let Some(last) = copy.last()
                    && tags::is_true(item.resource.tags.get(COPY_METRIC_TAG).map(String::as_str))
                {
                    metrics.add(
                        "HoursSinceLastCopy",
                        &[
                            ("ResourceType", &item.resource.resource_type),
                            ("ResourceId", &item.id),
                        ],
                        hours(at.seconds_since(last)),
                        Unit::None,
                    );
                }
                copy_verdicts.insert(arn.to_owned(), copy);
            }
        }
        let problems = assess::tag_problems(item);
        match &verdict {
            Verdict::Exempt { reason } => {
                summary.exempt += 1;
                tracing::info!(
                    resource = arn,
                    reason = reason.as_deref().unwrap_or("-"),
                    "exempt"
                );
            }
            other => {
                summary.resources_checked += 1;
                match other {
                    Verdict::Unprotected { .. } => summary.unprotected += 1,
                    Verdict::Missed { .. } | Verdict::NeverCompleted { .. } => summary.missed += 1,
                    Verdict::Unknown { .. } => summary.unknown += 1,
                    _ => {}
                }
                if let Some(last) = other.last_point().or(last_backup) {
                    metrics.add(
                        "HoursSinceLastRecoveryPoint",
                        &[
                            ("ResourceType", &item.resource.resource_type),
                            ("ResourceId", &item.id),
                        ],
                        hours(at.seconds_since(last)),
                        Unit::None,
                    );
                }
            }
        }
        if let Some(finding) = findings.for_verdict(item, &verdict) {
            opens.push(Observation::open(finding));
        }
        for problem in &problems {
            opens.push(Observation::open(findings.for_tag_problem(item, problem)));
        }
        tag_problems.insert(arn.to_owned(), problems);
        verdicts.push((item.clone(), verdict));
    }

    // What could not be read beyond single resources.
    for (scope, why) in unread_scopes(snapshot) {
        tracing::error!(scope = %scope, reason = %why, "check could not run");
        opens.push(Observation::open(findings.unknown(&scope, &why)));
        summary.unknown += 1;
    }
    if let Some(why) = &snapshot.protected_failure {
        // Not a finding: every covered resource was then read one by one.
        tracing::warn!(reason = %why, "ListProtectedResources failed; read each resource's recovery points instead");
        metrics.count("ProtectedResourcesListingFailed", &[], 1);
    }
    Judgement {
        at,
        verdicts,
        tag_problems,
        opens,
        summary,
        metrics,
        copies: copy_verdicts,
    }
}

/// The scopes (not single resources) a snapshot could not read, with the reason.
pub fn unread_scopes(snapshot: &Snapshot) -> Vec<(String, String)> {
    let mut scopes: Vec<(String, String)> = Vec::new();
    if let Some(why) = &snapshot.plans_failure {
        scopes.push(("backup-plans".to_owned(), why.clone()));
    }
    for (plan_arn, why) in &snapshot.plan_failures {
        scopes.push((plan_arn.clone(), why.clone()));
    }
    for (label, why) in &snapshot.inventory_failures {
        scopes.push((format!("inventory:{label}"), why.clone()));
    }
    if let Some(why) = &snapshot.region_settings_failure {
        scopes.push(("region-settings".to_owned(), why.clone()));
    }
    if let Some(Err(why)) = &snapshot.copy_jobs {
        scopes.push(("copy-jobs".to_owned(), why.clone()));
    }
    scopes
}

/// The resolve observations for the open findings (of [`CHECKS`]) that this judgement
/// vouches for; a finding it opens again, or cannot vouch for, stays open.
pub fn resolutions(
    snapshot: &Snapshot,
    judgement: &Judgement,
    open: &[OpenFinding],
    config: &phoenix_shared::Config,
) -> Vec<Observation> {
    let findings = Findings {
        snapshot,
        at: judgement.at,
    };
    let opened: HashSet<String> = judgement
        .opens
        .iter()
        .map(|o| o.finding.dedup_key())
        .collect();
    let no_problems = Vec::new();
    let outcomes: HashMap<&str, (&Verdict, &Vec<TagProblem>)> = judgement
        .verdicts
        .iter()
        .map(|(item, verdict)| {
            let arn = item.resource.arn.as_str();
            (
                arn,
                (
                    verdict,
                    judgement.tag_problems.get(arn).unwrap_or(&no_problems),
                ),
            )
        })
        .collect();
    open.iter()
        .filter(|finding| CHECKS.contains(&finding.check.as_str()))
        .filter(|finding| !opened.contains(&finding.dedup_key))
        .filter_map(|finding| resolution(&findings, &outcomes, &judgement.copies, finding, config))
        .map(Observation::resolved)
        .collect()
}

/// The resolve observation for an open finding this run vouches for, if any.
fn resolution(
    findings: &Findings<'_>,
    outcomes: &HashMap<&str, (&Verdict, &Vec<TagProblem>)>,
    copies: &HashMap<String, CopyVerdict>,
    open: &OpenFinding,
    config: &phoenix_shared::Config,
) -> Option<Finding> {
    let snapshot = findings.snapshot;
    let resource = open.resource_arn.as_str();
    let copy_check = open.check == COPY_MISSING || open.check == COPY_STALE;
    let healthy = if copy_check && let Some((verdict, _)) = outcomes.get(resource) {
        match (copies.get(resource), verdict) {
            (Some(CopyVerdict::Fresh { last, destination }), _) => Some(format!(
                "copied to {destination} {} ago",
                format_duration(findings.at.seconds_since(*last))
            )),
            (Some(CopyVerdict::NotRequired), _) => {
                Some("copies are no longer required (PHOENIX_REQUIRE_COPY=none)".to_owned())
            }
            (Some(CopyVerdict::Missing { .. }), _) if open.check == COPY_STALE => {
                Some("no copy rule left to be stale; copy-missing says so".to_owned())
            }
            (Some(CopyVerdict::Stale { .. }), _) if open.check == COPY_MISSING => {
                Some("a rule copies it outside now; copy-stale tracks the first copy".to_owned())
            }
            (None, Verdict::Exempt { .. }) => Some("the resource is now exempt".to_owned()),
            (None, Verdict::Unprotected { .. }) => {
                Some("in no backup plan now: resource-unprotected says so".to_owned())
            }
            (None, Verdict::AwaitingFirst { .. }) if open.check == COPY_STALE => {
                Some("awaiting its first backup under a new plan".to_owned())
            }
            _ => None,
        }
    } else if resource == "copy-jobs" {
        matches!(snapshot.copy_jobs, None | Some(Ok(_)))
            .then(|| "copy jobs listed again".to_owned())
    } else if let Some((verdict, problems)) = outcomes.get(resource) {
        vouched(verdict, problems, &open.check).then(|| match verdict {
            Verdict::Fresh { last, rpo } => format!(
                "last recovery point {} old, within its RPO of {}",
                format_duration(findings.at.seconds_since(*last)),
                format_duration(rpo.seconds)
            ),
            Verdict::Exempt { .. } => "the resource is now exempt".to_owned(),
            Verdict::AwaitingFirst { .. } => {
                "covered by a backup plan, awaiting its first scheduled backup".to_owned()
            }
            Verdict::InProgress { job, .. } => format!("backup job {} is running", job.id),
            _ => "this condition no longer holds".to_owned(),
        })
    } else if resource == crate::reach::scope(&snapshot.account) {
        // The account's reader role was refused before; this run read the account.
        Some("the account can be read again".to_owned())
    } else if let Some(label) = resource.strip_prefix("inventory:") {
        (!snapshot.inventory_failures.contains_key(label)).then(|| "listed again".to_owned())
    } else if resource == "backup-plans" {
        snapshot
            .plans_failure
            .is_none()
            .then(|| "backup plans listed again".to_owned())
    } else if resource == "region-settings" {
        snapshot
            .region_settings_failure
            .is_none()
            .then(|| "region settings read again".to_owned())
    } else if arn_part(resource, 2).as_deref() == Some("backup") {
        (snapshot.plans_failure.is_none() && !snapshot.plan_failures.contains_key(resource))
            .then(|| "the backup plan was read again (or no longer exists)".to_owned())
    } else {
        // Not in the inventory: gone, or no longer of a required type. Only a complete
        // listing of its type can say so.
        let rtype = open.resource_type.as_str();
        let listed = inventory_label(rtype)
            .iter()
            .all(|label| !snapshot.inventory_failures.contains_key(*label));
        (listed || !config.is_required_type(rtype)).then(|| {
            "the resource no longer exists (or is no longer of a required type)".to_owned()
        })
    }?;
    let rtype = if open.resource_type == "-" {
        ""
    } else {
        open.resource_type.as_str()
    };
    Some(findings.finding(
        &open.check,
        resource,
        rtype,
        open.severity.unwrap_or(Severity::Error),
        format!("{} resolved for {resource}: {healthy}", open.check),
        Map::new(),
    ))
}
