//! The verdicts, from what was read (pure: no AWS calls, so every rule is table-tested).

use crate::coverage::{Coverage, Resource, Selection};
use crate::schedule::{Schedule, format_duration, parse_duration, rule_rpo_seconds};
use phoenix_shared::config::CopyRequirement;
use phoenix_shared::time::Timestamp;
use std::collections::{BTreeMap, HashMap};

use phoenix_shared::tags::{self, BACKUP as EXEMPT_TAG, REASON as REASON_TAG, RPO as RPO_TAG};

/// EFS automatic backups run daily with AWS Backup's default start window.
const EFS_AUTOMATIC_GAP_SECONDS: i64 = 86_400;
const EFS_AUTOMATIC_START_WINDOW_MINUTES: i64 = 480;

/// A resource that must be recoverable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub resource: Resource,
    /// The short id shown to people and used as the `ResourceId` dimension.
    pub id: String,
    pub created: Option<Timestamp>,
}

/// One rule of a backup plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub name: String,
    pub schedule: Option<String>,
    pub timezone: Option<String>,
    pub start_window_minutes: Option<i64>,
    /// The vault the rule's recovery points go to.
    pub vault: Option<String>,
    /// The vaults (ARNs) the rule copies each recovery point to (`CopyActions`).
    pub copy_to: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub rules: Vec<Rule>,
}

/// A backup job, as much of it as a reason needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    pub state: String,
    pub created: Option<Timestamp>,
    pub completed: Option<Timestamp>,
    pub message: Option<String>,
}

/// Per-resource reads for a resource whose last backup is not known to be fresh.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// The newest COMPLETED or AVAILABLE recovery point: (creation time, ARN).
    pub newest_point: Option<(Timestamp, String)>,
    /// The newest backup job of the last 30 days.
    pub latest_job: Option<Job>,
}

/// Everything read in one run.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub account: String,
    pub region: String,
    pub items: Vec<Item>,
    /// Resource types whose listing failed, with the reason.
    pub inventory_failures: BTreeMap<String, String>,
    /// `Some(reason)` when `ListBackupPlans` itself failed: coverage is unknown everywhere.
    pub plans_failure: Option<String>,
    pub plans: BTreeMap<String, Plan>,
    /// Plans (by ARN) whose rules or selections could not be read.
    pub plan_failures: BTreeMap<String, String>,
    pub selections: Vec<Selection>,
    /// Creation time of each selection, by selection id.
    pub selection_created: HashMap<String, Timestamp>,
    pub opt_in: BTreeMap<String, bool>,
    pub region_settings_failure: Option<String>,
    /// EFS automatic backup policy by file system ARN: enabled, or why it is unknown.
    pub efs_automatic: HashMap<String, Result<bool, String>>,
    /// `LastBackupTime` from `ListProtectedResources`.
    pub last_backup: HashMap<String, Timestamp>,
    pub protected_failure: Option<String>,
    pub histories: HashMap<String, Result<History, String>>,
    /// Where copies must exist (`PHOENIX_REQUIRE_COPY`).
    pub require_copy: CopyRequirement,
    /// The region's copy jobs of the last 30 days (`None` unless copies are required).
    pub copy_jobs: Option<Result<Vec<crate::copies::CopyJob>, String>>,
    /// The copy destinations in this account and region that are logically air-gapped.
    pub air_gapped: std::collections::BTreeSet<String>,
}

/// How often a resource must be backed up, and where that comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rpo {
    pub seconds: i64,
    pub source: String,
}

/// Whether and how a resource is protected, before looking at its recovery points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protection {
    Exempt {
        reason: Option<String>,
    },
    Unprotected {
        reason: String,
    },
    Unknown {
        reason: String,
    },
    Covered {
        rpo: Rpo,
        /// Names of the covering plans (or "EFS automatic backups").
        plans: Vec<String>,
        /// Since when the resource has been covered, as far as is known.
        since: Option<Timestamp>,
        /// The vaults the covering plans' rules copy to.
        copy_to: Vec<String>,
    },
}

/// The conclusion about one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Exempt {
        reason: Option<String>,
    },
    Unprotected {
        reason: String,
    },
    Unknown {
        reason: String,
    },
    Fresh {
        last: Timestamp,
        rpo: Rpo,
    },
    /// Covered for less than one RPO and not yet backed up.
    AwaitingFirst {
        rpo: Rpo,
    },
    /// Stale, but a job is running now.
    InProgress {
        last: Option<Timestamp>,
        rpo: Rpo,
        job: Job,
    },
    Missed {
        last: Timestamp,
        rpo: Rpo,
        why: String,
    },
    NeverCompleted {
        rpo: Rpo,
        why: String,
    },
}

impl Verdict {
    /// The newest recovery point known, for `HoursSinceLastRecoveryPoint`.
    pub fn last_point(&self) -> Option<Timestamp> {
        match self {
            Self::Fresh { last, .. } | Self::Missed { last, .. } => Some(*last),
            Self::InProgress { last, .. } => *last,
            _ => None,
        }
    }
}

/// A problem with the resource's own tags, reported as a warning next to the verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagProblem {
    /// Exempt without a `phoenix:reason`.
    ExemptionUnexplained,
    /// `phoenix:rpo` could not be read; the plan-derived RPO applies.
    RpoTagInvalid { value: String, error: String },
}

/// Whether the resource is tagged `phoenix:backup=exempt`: its data need not survive.
pub fn is_exempt(item: &Item) -> bool {
    item.resource
        .tags
        .get(EXEMPT_TAG)
        .is_some_and(|v| tags::says(Some(v), "exempt"))
}

/// Whether the resource is a restore test's scratch copy (tagged [`tags::RESTORE_TEST`]).
pub fn is_restore_test_copy(item: &Item) -> bool {
    item.resource.tags.contains_key(tags::RESTORE_TEST)
}

fn exemption_reason(item: &Item) -> Option<String> {
    item.resource
        .tags
        .get(REASON_TAG)
        .and_then(|r| tags::reason(Some(r)))
}

/// Problems with the resource's Phoenix Guard tags.
pub fn tag_problems(item: &Item) -> Vec<TagProblem> {
    let mut out = Vec::new();
    if is_exempt(item) && exemption_reason(item).is_none() {
        out.push(TagProblem::ExemptionUnexplained);
    }
    if !is_exempt(item)
        && let Some(value) = item.resource.tags.get(RPO_TAG)
        && let Err(err) = parse_duration(value)
    {
        out.push(TagProblem::RpoTagInvalid {
            value: value.clone(),
            error: err.to_string(),
        });
    }
    out
}

/// The RPO one rule gives, or why it gives none.
fn rule_rpo(rule: &Rule, plan: &Plan, at: Timestamp, grace: i64) -> Result<Option<Rpo>, String> {
    let Some(expression) = rule.schedule.as_deref().filter(|s| !s.trim().is_empty()) else {
        return Ok(None);
    };
    let schedule = Schedule::parse(expression).map_err(|e| {
        format!(
            "rule {} of plan {} has a schedule Phoenix Guard cannot read ({e}); set a {RPO_TAG} tag",
            rule.name, plan.name
        )
    })?;
    let Some(gap) = schedule.longest_gap_seconds(at) else {
        return Ok(None);
    };
    // AWS Backup's default start window is 8 hours.
    let start_window = rule.start_window_minutes.unwrap_or(480);
    let seconds = rule_rpo_seconds(gap, start_window, rule.timezone.as_deref(), grace);
    let zone = rule.timezone.as_deref().unwrap_or("UTC");
    Ok(Some(Rpo {
        seconds,
        source: format!(
            "plan {} rule {} ({expression} {zone}): every {} + start window {} + grace",
            plan.name,
            rule.name,
            format_duration(gap),
            format_duration(start_window * 60)
        ),
    }))
}

/// Decides how the item is protected.
pub fn protection(
    item: &Item,
    snapshot: &Snapshot,
    coverage: &Coverage,
    at: Timestamp,
    grace: i64,
) -> Protection {
    if is_exempt(item) {
        return Protection::Exempt {
            reason: exemption_reason(item),
        };
    }
    if is_restore_test_copy(item) {
        return Protection::Exempt {
            reason: Some(
                "a restore test's copy (tagged awsbackup-restore-test): AWS Backup deletes it when the validation window ends"
                    .to_owned(),
            ),
        };
    }
    if let Some(reason) = &snapshot.plans_failure {
        return Protection::Unknown {
            reason: format!("backup plans could not be listed: {reason}"),
        };
    }
    let rtype = &item.resource.resource_type;
    if !coverage.opted_in(rtype) {
        return Protection::Unprotected {
            reason: format!(
                "AWS Backup is opted out of {rtype} in {}: no plan can back this resource up",
                snapshot.region
            ),
        };
    }
    let covering = coverage.covering(&item.resource);
    let mut plans: Vec<&Plan> = Vec::new();
    for selection in &covering {
        if let Some(plan) = snapshot.plans.get(&selection.plan_id)
            && !plans.iter().any(|p| p.id == plan.id)
        {
            plans.push(plan);
        }
    }
    let since = covering
        .iter()
        .filter_map(|s| snapshot.selection_created.get(&s.selection_id).copied())
        .min()
        .map(|selected| item.created.map_or(selected, |c| c.max(selected)));

    let mut best: Option<Rpo> = None;
    let mut unreadable: Option<String> = None;
    let mut names: Vec<String> = Vec::new();
    for plan in &plans {
        names.push(plan.name.clone());
        for rule in &plan.rules {
            match rule_rpo(rule, plan, at, grace) {
                Ok(Some(rpo)) => {
                    if best.as_ref().is_none_or(|b| rpo.seconds < b.seconds) {
                        best = Some(rpo);
                    }
                }
                Ok(None) => {}
                Err(reason) => unreadable = Some(reason),
            }
        }
    }
    let tag_rpo = item
        .resource
        .tags
        .get(RPO_TAG)
        .and_then(|v| parse_duration(v).ok().map(|s| (v.trim().to_owned(), s)));

    if plans.is_empty() {
        if let Some((plan_arn, reason)) = snapshot.plan_failures.iter().next() {
            return Protection::Unknown {
                reason: format!(
                    "plan {plan_arn} could not be read ({reason}); it may cover this resource"
                ),
            };
        }
        if rtype.eq_ignore_ascii_case("EFS") {
            match snapshot.efs_automatic.get(&item.resource.arn) {
                Some(Ok(true)) => {
                    let rpo = tag_rpo.map_or_else(
                        || Rpo {
                            seconds: rule_rpo_seconds(
                                EFS_AUTOMATIC_GAP_SECONDS,
                                EFS_AUTOMATIC_START_WINDOW_MINUTES,
                                None,
                                grace,
                            ),
                            source: "EFS automatic backups: daily + start window 8h + grace"
                                .to_owned(),
                        },
                        |(value, seconds)| Rpo {
                            seconds,
                            source: format!("tag {RPO_TAG}={value}"),
                        },
                    );
                    return Protection::Covered {
                        rpo,
                        plans: vec!["EFS automatic backups".to_owned()],
                        since: item.created,
                        copy_to: Vec::new(),
                    };
                }
                Some(Err(reason)) => {
                    return Protection::Unknown {
                        reason: format!(
                            "in no backup plan, and its EFS automatic backup policy could not be read: {reason}"
                        ),
                    };
                }
                Some(Ok(false)) => {
                    return Protection::Unprotected {
                        reason: "in no backup plan selection, and EFS automatic backups are off"
                            .to_owned(),
                    };
                }
                None => {}
            }
        }
        return Protection::Unprotected {
            reason: "in no backup plan selection".to_owned(),
        };
    }

    let rpo = match (tag_rpo, best) {
        (Some((value, seconds)), _) => Rpo {
            seconds,
            source: format!("tag {RPO_TAG}={value}"),
        },
        (None, Some(rpo)) => rpo,
        (None, None) => {
            return match unreadable {
                Some(reason) => Protection::Unknown { reason },
                None => Protection::Unprotected {
                    reason: format!(
                        "selected by plan {}, but no rule of it is scheduled to run again",
                        names.join(", ")
                    ),
                },
            };
        }
    };
    let mut copy_to: Vec<String> = plans
        .iter()
        .flat_map(|p| p.rules.iter().flat_map(|r| r.copy_to.iter().cloned()))
        .collect();
    copy_to.sort();
    copy_to.dedup();
    Protection::Covered {
        rpo,
        plans: names,
        since,
        copy_to,
    }
}

/// Whether the per-resource reads are needed: the bulk listing does not show a backup
/// younger than the RPO.
pub fn needs_history(
    protection: &Protection,
    last_backup: Option<Timestamp>,
    at: Timestamp,
) -> bool {
    match protection {
        Protection::Covered { rpo, .. } => {
            last_backup.is_none_or(|last| at.seconds_since(last) > rpo.seconds)
        }
        _ => false,
    }
}

fn is_running(state: &str) -> bool {
    matches!(state, "CREATED" | "PENDING" | "RUNNING")
}

/// Why the backup is missing, from the newest job AWS Backup knows of.
pub fn why_missing(job: Option<&Job>) -> String {
    match job {
        None => "AWS Backup started no backup job for it in the last 30 days (a selection \
                 that no longer matches, a disabled or deleted plan rule, or a region opt-out)"
            .to_owned(),
        Some(job) => {
            let when = job
                .completed
                .or(job.created)
                .map_or_else(|| "at an unknown time".to_owned(), |t| format!("at {t}"));
            let message = job
                .message
                .as_deref()
                .filter(|m| !m.trim().is_empty())
                .map(|m| format!(": {m}"))
                .unwrap_or_default();
            match job.state.as_str() {
                "COMPLETED" => format!(
                    "the newest job ({}) completed {when}, but its recovery point is gone",
                    job.id
                ),
                state => format!(
                    "the newest backup job ({}) ended {state} {when}{message}",
                    job.id
                ),
            }
        }
    }
}

/// The verdict for one resource.
pub fn verdict(
    protection: Protection,
    last_backup: Option<Timestamp>,
    history: Option<&Result<History, String>>,
    at: Timestamp,
) -> Verdict {
    let (rpo, since) = match protection {
        Protection::Exempt { reason } => return Verdict::Exempt { reason },
        Protection::Unprotected { reason } => return Verdict::Unprotected { reason },
        Protection::Unknown { reason } => return Verdict::Unknown { reason },
        Protection::Covered { rpo, since, .. } => (rpo, since),
    };
    let from_history = match history {
        Some(Ok(h)) => h.newest_point.as_ref().map(|(t, _)| *t),
        _ => None,
    };
    let last = last_backup.max(from_history);
    if let Some(last) = last
        && at.seconds_since(last) <= rpo.seconds
    {
        return Verdict::Fresh { last, rpo };
    }
    let history = match history {
        Some(Ok(h)) => h,
        Some(Err(reason)) => {
            return Verdict::Unknown {
                reason: format!("its recovery points could not be read: {reason}"),
            };
        }
        None => {
            return Verdict::Unknown {
                reason: "its recovery points were not read".to_owned(),
            };
        }
    };
    if let Some(job) = history.latest_job.as_ref().filter(|j| is_running(&j.state)) {
        return Verdict::InProgress {
            last,
            rpo,
            job: job.clone(),
        };
    }
    let why = why_missing(history.latest_job.as_ref());
    match last {
        Some(last) => Verdict::Missed { last, rpo, why },
        None => {
            let covered_for = since.map(|s| at.seconds_since(s));
            if covered_for.is_some_and(|c| c <= rpo.seconds) {
                Verdict::AwaitingFirst { rpo }
            } else {
                Verdict::NeverCompleted { rpo, why }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::{Condition, Operator};

    const H: i64 = 3600;
    /// 2026-11-23T12:00:00Z.
    const AT: Timestamp = Timestamp::from_epoch_seconds(1_795_435_200);
    const EFS: &str = "arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-zulip";

    fn item(arn: &str, rtype: &str, tags: &[(&str, &str)]) -> Item {
        Item {
            resource: Resource {
                arn: arn.to_owned(),
                resource_type: rtype.to_owned(),
                tags: tags
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            },
            id: "fs-zulip".to_owned(),
            created: Some(AT.plus_seconds(-400 * H)),
        }
    }

    fn plan(id: &str, schedule: &str, tz: &str, start: i64) -> Plan {
        Plan {
            id: id.to_owned(),
            arn: format!("arn:aws:backup:eu-west-1:123456789012:backup-plan:{id}"),
            name: format!("{id}-plan"),
            rules: vec![Rule {
                name: "r".to_owned(),
                schedule: Some(schedule.to_owned()),
                timezone: Some(tz.to_owned()),
                start_window_minutes: Some(start),
                vault: None,
                copy_to: Vec::new(),
            }],
        }
    }

    fn snapshot(plans: Vec<Plan>, selections: Vec<Selection>) -> Snapshot {
        Snapshot {
            account: "123456789012".to_owned(),
            region: "eu-west-1".to_owned(),
            plans: plans.into_iter().map(|p| (p.id.clone(), p)).collect(),
            selection_created: selections
                .iter()
                .map(|s| (s.selection_id.clone(), AT.plus_seconds(-300 * H)))
                .collect(),
            selections,
            ..Snapshot::default()
        }
    }

    fn selection(plan: &str, resources: &[&str]) -> Selection {
        Selection {
            plan_id: plan.to_owned(),
            selection_id: format!("{plan}-sel"),
            resources: resources.iter().map(|r| (*r).to_owned()).collect(),
            ..Selection::default()
        }
    }

    fn protect(item: &Item, snap: &Snapshot) -> Protection {
        let coverage = Coverage {
            selections: snap.selections.clone(),
            opt_in: snap.opt_in.clone(),
        };
        protection(item, snap, &coverage, AT, H)
    }

    fn rpo_hours(p: &Protection) -> Option<i64> {
        match p {
            Protection::Covered { rpo, .. } => Some(rpo.seconds / H),
            _ => None,
        }
    }

    #[test]
    fn rpo_comes_from_the_tightest_covering_rule_or_the_tag() {
        let daily = plan("daily", "cron(0 5 ? * * *)", "Etc/UTC", 60);
        let hourly = plan("hourly", "cron(0 * ? * * *)", "Etc/UTC", 60);
        let weekly = plan("weekly", "cron(0 3 ? * SUN *)", "Etc/UTC", 60);
        let berlin = plan("berlin", "cron(0 2 ? * * *)", "Europe/Berlin", 60);
        let default_window = plan("wide", "cron(0 5 ? * * *)", "Etc/UTC", 480);
        type Case<'a> = (&'a [&'a Plan], &'a [(&'a str, &'a str)], Option<i64>);
        let cases: &[Case<'_>] = &[
            (&[&daily], &[], Some(26)),
            (&[&hourly], &[], Some(3)),
            (&[&weekly], &[], Some(7 * 24 + 2)),
            (&[&berlin], &[], Some(27)),
            (&[&default_window], &[], Some(33)),
            (&[&daily, &hourly], &[], Some(3)),
            // The tag overrides the plans, looser or tighter.
            (&[&daily], &[(RPO_TAG, "48h")], Some(48)),
            (&[&hourly], &[(RPO_TAG, "2d")], Some(48)),
            // A malformed tag falls back to the plan (and is reported as a warning).
            (&[&daily], &[(RPO_TAG, "daily")], Some(26)),
        ];
        for (plans, tags, want) in cases {
            let snap = snapshot(
                plans.iter().map(|p| (*p).clone()).collect(),
                plans.iter().map(|p| selection(&p.id, &[EFS])).collect(),
            );
            let it = item(EFS, "EFS", tags);
            assert_eq!(rpo_hours(&protect(&it, &snap)), *want, "{plans:?} {tags:?}");
        }
    }

    #[test]
    fn malformed_rpo_tag_and_unexplained_exemption_are_warnings() {
        let it = item(EFS, "EFS", &[(RPO_TAG, "daily")]);
        assert!(matches!(
            tag_problems(&it).as_slice(),
            [TagProblem::RpoTagInvalid { value, .. }] if value == "daily"
        ));
        let it = item(EFS, "EFS", &[(EXEMPT_TAG, "exempt")]);
        assert_eq!(tag_problems(&it), vec![TagProblem::ExemptionUnexplained]);
        let it = item(
            EFS,
            "EFS",
            &[(EXEMPT_TAG, "exempt"), (REASON_TAG, "scratch space")],
        );
        assert!(tag_problems(&it).is_empty());
        assert_eq!(
            protect(&it, &snapshot(vec![], vec![])),
            Protection::Exempt {
                reason: Some("scratch space".to_owned())
            }
        );
    }

    #[test]
    fn unprotected_for_each_documented_reason() {
        let daily = plan("daily", "cron(0 5 ? * * *)", "Etc/UTC", 60);
        let it = item(EFS, "EFS", &[("app", "zulip")]);

        // In no selection.
        let snap = snapshot(
            vec![daily.clone()],
            vec![selection("daily", &["arn:aws:rds:*"])],
        );
        assert!(matches!(
            protect(&it, &snap),
            Protection::Unprotected { .. }
        ));

        // Selected by tag, but a condition excludes it.
        let mut sel = selection("daily", &[]).with_tag("app", "zulip");
        sel.conditions.push(Condition::new(
            Operator::StringEquals,
            "aws:ResourceTag/env",
            "prod",
        ));
        let snap = snapshot(vec![daily.clone()], vec![sel]);
        assert!(matches!(
            protect(&it, &snap),
            Protection::Unprotected { .. }
        ));

        // Selected, but the region is opted out of EFS.
        let mut snap = snapshot(vec![daily.clone()], vec![selection("daily", &["*"])]);
        snap.opt_in.insert("EFS".to_owned(), false);
        assert!(matches!(
            protect(&it, &snap),
            Protection::Unprotected { reason } if reason.contains("opted out")
        ));

        // Selected by a plan that never runs again.
        let ended = plan("ended", "cron(0 5 ? * * 2020)", "Etc/UTC", 60);
        let snap = snapshot(vec![ended], vec![selection("ended", &["*"])]);
        assert!(matches!(
            protect(&it, &snap),
            Protection::Unprotected { reason } if reason.contains("no rule")
        ));

        // EFS automatic backups count as a plan; when off, the reason says so.
        let mut snap = snapshot(vec![], vec![]);
        snap.efs_automatic.insert(EFS.to_owned(), Ok(true));
        assert_eq!(rpo_hours(&protect(&it, &snap)), Some(33));
        snap.efs_automatic.insert(EFS.to_owned(), Ok(false));
        assert!(matches!(
            protect(&it, &snap),
            Protection::Unprotected { reason } if reason.contains("automatic backups are off")
        ));
    }

    #[test]
    fn what_could_not_be_read_is_unknown_never_healthy_or_unprotected() {
        let it = item(EFS, "EFS", &[]);
        let mut snap = snapshot(vec![], vec![]);
        snap.plans_failure = Some("AccessDeniedException".to_owned());
        assert!(matches!(protect(&it, &snap), Protection::Unknown { .. }));

        let mut snap = snapshot(vec![], vec![]);
        snap.plan_failures
            .insert("arn:plan".to_owned(), "ThrottlingException".to_owned());
        assert!(matches!(protect(&it, &snap), Protection::Unknown { .. }));

        let mut snap = snapshot(vec![], vec![]);
        snap.efs_automatic
            .insert(EFS.to_owned(), Err("AccessDenied".to_owned()));
        assert!(matches!(protect(&it, &snap), Protection::Unknown { .. }));

        let odd = plan("odd", "cron(0 5 ? * MON#9 *)", "Etc/UTC", 60);
        let snap = snapshot(vec![odd], vec![selection("odd", &["*"])]);
        assert!(matches!(protect(&it, &snap), Protection::Unknown { .. }));

        // Stale in the bulk listing and unreadable per resource: unknown, not missed.
        let covered = Protection::Covered {
            rpo: Rpo {
                seconds: 26 * H,
                source: String::new(),
            },
            plans: vec![],
            since: None,
            copy_to: vec![],
        };
        let v = verdict(
            covered,
            Some(AT.plus_seconds(-31 * H)),
            Some(&Err("AccessDeniedException".to_owned())),
            AT,
        );
        assert!(matches!(v, Verdict::Unknown { .. }));
    }

    fn covered(since_hours_ago: i64) -> Protection {
        Protection::Covered {
            rpo: Rpo {
                seconds: 26 * H,
                source: "test".to_owned(),
            },
            plans: vec!["daily".to_owned()],
            since: Some(AT.plus_seconds(-since_hours_ago * H)),
            copy_to: vec![],
        }
    }

    fn job(state: &str, message: Option<&str>) -> Job {
        Job {
            id: "J1".to_owned(),
            state: state.to_owned(),
            created: Some(AT.plus_seconds(-7 * H)),
            completed: Some(AT.plus_seconds(-6 * H)),
            message: message.map(str::to_owned),
        }
    }

    #[test]
    fn freshness_verdicts() {
        let ago = |h: i64| Some(AT.plus_seconds(-h * H));
        let hist = |point: Option<i64>, job: Option<Job>| {
            Ok(History {
                newest_point: point.map(|h| (AT.plus_seconds(-h * H), "rp".to_owned())),
                latest_job: job,
            })
        };
        // Fresh from the bulk listing alone.
        assert!(matches!(
            verdict(covered(500), ago(20), None, AT),
            Verdict::Fresh { .. }
        ));
        // Exactly at the RPO is still fresh; a second later is not.
        assert!(matches!(
            verdict(covered(500), ago(26), None, AT),
            Verdict::Fresh { .. }
        ));
        // Stale in the listing, but the per-resource read finds a newer point.
        assert!(matches!(
            verdict(covered(500), ago(31), Some(&hist(Some(2), None)), AT),
            Verdict::Fresh { .. }
        ));
        // Missed, with the reason from the last job.
        let v = verdict(
            covered(500),
            ago(31),
            Some(&hist(
                Some(31),
                Some(job(
                    "EXPIRED",
                    Some("Backup job expired before it could start"),
                )),
            )),
            AT,
        );
        match v {
            Verdict::Missed { why, .. } => {
                assert!(
                    why.contains("EXPIRED") && why.contains("expired before"),
                    "{why}"
                );
            }
            other => panic!("{other:?}"),
        }
        // No job at all in 30 days.
        assert!(matches!(
            verdict(covered(500), ago(31), Some(&hist(Some(31), None)), AT),
            Verdict::Missed { why, .. } if why.contains("no backup job")
        ));
        // A running job: in progress, not missed.
        assert!(matches!(
            verdict(
                covered(500),
                ago(31),
                Some(&hist(Some(31), Some(job("RUNNING", None)))),
                AT
            ),
            Verdict::InProgress { .. }
        ));
        // Never backed up: awaiting its first backup within one RPO of being covered,
        // never completed after that.
        assert!(matches!(
            verdict(covered(10), None, Some(&hist(None, None)), AT),
            Verdict::AwaitingFirst { .. }
        ));
        assert!(matches!(
            verdict(covered(30), None, Some(&hist(None, Some(job("FAILED", Some("Access denied"))))), AT),
            Verdict::NeverCompleted { why, .. } if why.contains("FAILED") && why.contains("Access denied")
        ));
    }

    #[test]
    fn history_is_read_only_when_the_listing_does_not_show_a_fresh_backup() {
        let p = covered(500);
        assert!(!needs_history(&p, Some(AT.plus_seconds(-2 * H)), AT));
        assert!(needs_history(&p, Some(AT.plus_seconds(-27 * H)), AT));
        assert!(needs_history(&p, None, AT));
        assert!(!needs_history(
            &Protection::Unprotected {
                reason: String::new()
            },
            None,
            AT
        ));
    }
}
