//! Policy evaluators: whether a lifecycle, a backup plan, a trail's selectors or a vault's
//! access policy still protects the data. Pure: read from an event's parameters or from a
//! confirming read alike.

use crate::schedule::{Schedule, format_duration};
use phoenix_shared::event::{boolean, field, number, text};
use phoenix_shared::pattern::glob_match;
use phoenix_shared::{Config, Timestamp};
use serde_json::Value;

/// One S3 lifecycle rule, as far as data retention goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LifecycleRule {
    pub enabled: bool,
    /// Current objects expire after this many days (or on a date: 0).
    pub expiration_days: Option<i64>,
    /// Noncurrent versions are deleted after this many days.
    pub noncurrent_days: Option<i64>,
}

/// What a bucket's lifecycle does to its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LifecycleVerdict {
    /// An enabled rule keeps noncurrent versions long enough, and none deletes data early.
    Keeps,
    /// An enabled rule deletes data before the retention policy allows.
    Deletes(String),
    /// Nothing deletes data early, but no rule keeps noncurrent versions for the policy.
    NoRetentionRule,
}

impl LifecycleVerdict {
    pub fn describe(&self) -> String {
        match self {
            Self::Keeps => "keeps noncurrent versions long enough".to_owned(),
            Self::Deletes(why) => why.clone(),
            Self::NoRetentionRule => "no rule keeps noncurrent versions for the policy".to_owned(),
        }
    }
}

/// Reads lifecycle rules from CloudTrail's `LifecycleConfiguration.Rule`, which is one
/// object or an array of them.
pub fn lifecycle_rules_from_json(rules: Option<&Value>) -> Vec<LifecycleRule> {
    let list: Vec<&Value> = match rules {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(rule @ Value::Object(_)) => vec![rule],
        _ => Vec::new(),
    };
    list.into_iter()
        .map(|rule| {
            let days = |outer: &str, inner: &[&str]| {
                field(rule, outer).and_then(|o| {
                    number(o, inner)
                        .map(|d| d as i64)
                        .or_else(|| text(o, &["Date"]).map(|_| 0))
                })
            };
            LifecycleRule {
                enabled: text(rule, &["Status"]).is_some_and(|s| s.eq_ignore_ascii_case("enabled")),
                expiration_days: days("Expiration", &["Days"]),
                noncurrent_days: days("NoncurrentVersionExpiration", &["NoncurrentDays"]),
            }
        })
        .collect()
}

/// The retention policy: no enabled rule expires current objects or noncurrent versions in
/// fewer than `min_days`, and one enabled rule keeps noncurrent versions at least that long.
pub fn assess_lifecycle(rules: &[LifecycleRule], min_days: u64) -> LifecycleVerdict {
    let min = i64::try_from(min_days).unwrap_or(i64::MAX);
    let mut problems = Vec::new();
    for rule in rules.iter().filter(|r| r.enabled) {
        if let Some(days) = rule.expiration_days.filter(|d| *d < min) {
            problems.push(format!("current objects expire after {days} days"));
        }
        if let Some(days) = rule.noncurrent_days.filter(|d| *d < min) {
            problems.push(format!("noncurrent versions are deleted after {days} days"));
        }
    }
    if !problems.is_empty() {
        return LifecycleVerdict::Deletes(format!(
            "{} (policy: at least {min_days} days)",
            problems.join(", ")
        ));
    }
    if rules
        .iter()
        .any(|r| r.enabled && r.noncurrent_days.is_some_and(|d| d >= min))
    {
        LifecycleVerdict::Keeps
    } else {
        LifecycleVerdict::NoRetentionRule
    }
}

/// One backup plan rule, as far as the recovery point objective goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanRule {
    pub name: String,
    pub schedule: Option<String>,
    pub delete_after_days: Option<i64>,
}

pub fn plan_rules_from_json(rules: Option<&Value>) -> Vec<PlanRule> {
    let Some(Value::Array(items)) = rules else {
        return Vec::new();
    };
    items
        .iter()
        .map(|rule| PlanRule {
            name: text(rule, &["ruleName"]).unwrap_or_else(|| "(unnamed)".to_owned()),
            schedule: text(rule, &["scheduleExpression"]),
            delete_after_days: field(rule, "lifecycle")
                .and_then(|l| number(l, &["deleteAfterDays"]))
                .map(|d| d as i64),
        })
        .collect()
}

/// What makes a plan weaker than the policy: no rules, a rule that keeps recovery points
/// fewer than the minimum days, or one that leaves more than the longest interval between
/// runs. Empty when the plan is within policy.
pub fn assess_plan(rules: &[PlanRule], config: &Config, at: Timestamp) -> Vec<String> {
    if rules.is_empty() {
        return vec!["it has no rules left: nothing is backed up by it".to_owned()];
    }
    let min = i64::try_from(config.min_backup_retention_days).unwrap_or(i64::MAX);
    let mut problems = Vec::new();
    for rule in rules {
        if let Some(days) = rule.delete_after_days.filter(|d| *d < min) {
            problems.push(format!(
                "rule {} keeps recovery points {days} days (policy: at least {min})",
                rule.name
            ));
        }
        if let Some(expression) = &rule.schedule
            && let Ok(gap) = Schedule::parse(expression).map(|s| s.longest_gap_seconds(at))
        {
            match gap {
                Some(gap) if gap > config.max_backup_interval_seconds => problems.push(format!(
                    "rule {} runs only every {} (policy: at least every {})",
                    rule.name,
                    format_duration(gap),
                    format_duration(config.max_backup_interval_seconds)
                )),
                None => problems.push(format!(
                    "rule {} never runs again ({expression})",
                    rule.name
                )),
                Some(_) => {}
            }
        }
    }
    problems
}

/// Whether event selectors (classic or advanced) still log management write events.
pub fn selectors_keep_management_writes(request: &Value) -> bool {
    if let Some(Value::Array(advanced)) = field(request, "advancedEventSelectors")
        && !advanced.is_empty()
    {
        return advanced.iter().any(|selector| {
            let fields = match field(selector, "fieldSelectors") {
                Some(Value::Array(f)) => f.clone(),
                _ => Vec::new(),
            };
            let equals = |name: &str, value: &str| {
                fields.iter().any(|f| {
                    text(f, &["field"]).is_some_and(|n| n.eq_ignore_ascii_case(name))
                        && matches!(field(f, "equals"), Some(Value::Array(v)) if v.iter().any(|x| x.as_str().is_some_and(|x| x.eq_ignore_ascii_case(value))))
                })
            };
            equals("eventCategory", "Management") && !equals("readOnly", "true")
        });
    }
    match field(request, "eventSelectors") {
        Some(Value::Array(selectors)) => selectors.iter().any(|s| {
            boolean(s, &["includeManagementEvents"]).unwrap_or(true)
                && text(s, &["readWriteType"]).is_none_or(|t| !t.eq_ignore_ascii_case("ReadOnly"))
        }),
        // No selectors given: CloudTrail's default logs management events.
        _ => true,
    }
}

/// Whether a backup vault access policy lets any principal, unconditionally, delete or
/// shorten the life of its recovery points.
pub fn lets_anyone_delete_recovery_points(policy: &Value) -> bool {
    statements(policy).iter().any(|st| {
        effect(st) == "allow"
            && field(st, "Condition").is_none()
            && principal_is_anyone(st)
            && actions(st).iter().any(|a| {
                [
                    "backup:DeleteRecoveryPoint",
                    "backup:UpdateRecoveryPointLifecycle",
                ]
                .iter()
                .any(|x| glob_match(a, x, true))
            })
    })
}

/// A policy document given as an object or a JSON string.
pub fn policy_json(value: Option<&Value>) -> Value {
    match value {
        Some(v @ Value::Object(_)) => v.clone(),
        Some(Value::String(s)) => serde_json::from_str(s).unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// A policy's statements (one object or an array).
pub fn statements(policy: &Value) -> Vec<Value> {
    match field(policy, "Statement") {
        Some(Value::Array(items)) => items.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// A statement's `Effect`, lower-cased.
pub fn effect(statement: &Value) -> String {
    text(statement, &["Effect"])
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// A statement's actions (one string or an array).
pub fn actions(statement: &Value) -> Vec<String> {
    match field(statement, "Action") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn principal_is_anyone(statement: &Value) -> bool {
    match field(statement, "Principal") {
        Some(Value::String(s)) => s == "*",
        Some(p @ Value::Object(_)) => match field(p, "AWS") {
            Some(Value::String(s)) => s == "*",
            Some(Value::Array(items)) => items.iter().any(|v| v.as_str() == Some("*")),
            _ => false,
        },
        _ => false,
    }
}
