//! The organization's readiness at a glance: every target's latest report, the lowest score
//! first, each with its failing items. `readiness-audit` stores one report per (account,
//! region) under [`prefix`]; `phoenix verify --org` and the dispatcher read them back.

use crate::failure::Failure;
use serde_json::{Value, json};
use std::cmp::Reverse;
use std::fmt::Write as _;

/// Where the targets' reports of `environment` live in the report bucket.
pub fn prefix(environment: &str) -> String {
    format!("readiness/{environment}/accounts/")
}

/// How many failing items each target lists.
pub const FAILING_LISTED: usize = 5;

/// One target's latest report, as the roll-up needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub account: String,
    pub region: String,
    pub score: u32,
    pub evaluated_at: String,
    /// `check name: detail` of the items not passing, the worst first (as the report
    /// lists them), at most [`FAILING_LISTED`].
    pub failing: Vec<String>,
    pub failing_count: usize,
    /// False when the target could not be read at all (its score of 0 is an unknown).
    pub reachable: bool,
}

impl Target {
    /// The score as shown: `unknown` for a target that could not be read.
    pub fn score_text(&self) -> String {
        if self.reachable {
            self.score.to_string()
        } else {
            "unknown".to_owned()
        }
    }

    /// From a stored report (`Report::to_json`); `None` when it names no account or score.
    pub fn from_report(report: &Value) -> Option<Self> {
        let text = |k: &str| report.get(k).and_then(Value::as_str).map(str::to_owned);
        let score = u32::try_from(report.get("score")?.as_u64()?).ok()?;
        let items: Vec<&Value> = report
            .get("items")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter(|i| i.get("status").and_then(Value::as_str) != Some("pass"))
                    .collect()
            })
            .unwrap_or_default();
        // Failing before unknown, then the most severe first.
        let rank = |i: &Value| {
            let status = i.get("status").and_then(Value::as_str).unwrap_or_default();
            let severity = match i.get("severity").and_then(Value::as_str) {
                Some("critical") => 0,
                Some("error") => 1,
                Some("warning") => 2,
                _ => 3,
            };
            (status != "fail", severity)
        };
        let mut sorted = items.clone();
        sorted.sort_by_key(|i| rank(i));
        Some(Self {
            account: text("account")?,
            region: text("region").unwrap_or_default(),
            score,
            evaluated_at: text("evaluatedAt").unwrap_or_default(),
            failing: sorted
                .iter()
                .take(FAILING_LISTED)
                .map(|i| {
                    let field = |k: &str| i.get(k).and_then(Value::as_str).unwrap_or_default();
                    format!("{} {}: {}", field("check"), field("name"), field("detail"))
                })
                .collect(),
            failing_count: items.len(),
            reachable: !report
                .get("unreachable")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }
}

/// Every target's latest report, the lowest score first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rollup {
    pub targets: Vec<Target>,
    /// Reports that could not be read or used, by key.
    pub unreadable: Vec<(String, String)>,
}

impl Rollup {
    pub fn new(mut targets: Vec<Target>, unreadable: Vec<(String, String)>) -> Self {
        // Unknown first: a target that could not be read is not shown ready; then the lowest
        // score, and of equal scores the one with more items not passing.
        targets.sort_by(|a, b| {
            (
                a.reachable,
                a.score,
                Reverse(a.failing_count),
                &a.account,
                &a.region,
            )
                .cmp(&(
                    b.reachable,
                    b.score,
                    Reverse(b.failing_count),
                    &b.account,
                    &b.region,
                ))
        });
        Self {
            targets,
            unreadable,
        }
    }

    /// The organization's score: its weakest target's (a rebuild is as ready as its least
    /// ready part; an unreachable target counts 0). `None` with no report.
    pub fn score(&self) -> Option<u32> {
        self.targets.first().map(|t| t.score)
    }

    pub fn to_json(&self) -> Value {
        json!({
            "score": self.score(),
            "targets": self.targets.iter().map(|t| json!({
                "account": t.account,
                "region": t.region,
                "score": t.score,
                "evaluatedAt": t.evaluated_at,
                "failingCount": t.failing_count,
                "failing": t.failing,
                "reachable": t.reachable,
            })).collect::<Vec<_>>(),
            "unreadable": self.unreadable.iter().map(|(key, why)| json!({"key": key, "reason": why})).collect::<Vec<_>>(),
        })
    }

    pub fn to_markdown(&self, environment: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# Phoenix readiness of the organization: {}\n",
            self.score()
                .map_or_else(|| "no report yet".to_owned(), |s| format!("{s} / 100"))
        );
        let _ = writeln!(
            out,
            "Environment `{environment}`, {} account-region target(s), the least ready first.\n",
            self.targets.len()
        );
        let _ = writeln!(
            out,
            "| account | region | score | not passing | evaluated |\n|---|---|---:|---:|---|"
        );
        for t in &self.targets {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                t.account,
                t.region,
                t.score_text(),
                t.failing_count,
                t.evaluated_at
            );
        }
        for t in self.targets.iter().filter(|t| !t.failing.is_empty()) {
            let _ = writeln!(
                out,
                "\n## {} {} ({})\n",
                t.account,
                t.region,
                t.score_text()
            );
            for f in &t.failing {
                let _ = writeln!(out, "- {f}");
            }
        }
        for (key, why) in &self.unreadable {
            let _ = writeln!(out, "\n- unreadable report `{key}`: {why}");
        }
        out
    }
}

/// Reads every target's `latest.json` under [`prefix`] in `bucket`.
pub async fn read(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    environment: &str,
) -> Result<Rollup, Failure> {
    let prefix = prefix(environment);
    let mut keys = Vec::new();
    let mut pages = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(&prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| Failure::of("s3:ListObjectsV2", &e))?;
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key())
                // accounts/<account>/<region>/latest.json: not the history.
                .filter(|k| {
                    k.ends_with("/latest.json") && k[prefix.len()..].split('/').count() == 3
                })
                .map(str::to_owned),
        );
    }
    let mut targets = Vec::new();
    let mut unreadable = Vec::new();
    for key in keys {
        let got = s3.get_object().bucket(bucket).key(&key).send().await;
        let body = match got {
            Ok(out) => out
                .body
                .collect()
                .await
                .map(|b| b.into_bytes())
                .map_err(|e| e.to_string()),
            Err(e) => Err(phoenix_shared::aws::reason(&e)),
        };
        match body
            .and_then(|b| serde_json::from_slice::<Value>(&b).map_err(|e| e.to_string()))
            .and_then(|v| {
                Target::from_report(&v).ok_or_else(|| "not a readiness report".to_owned())
            }) {
            Ok(target) => targets.push(target),
            Err(why) => unreadable.push((key, why)),
        }
    }
    Ok(Rollup::new(targets, unreadable))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(account: &str, region: &str, score: u32, items: Value) -> Value {
        json!({"account": account, "region": region, "score": score, "evaluatedAt": "2026-11-30T10:00:00Z", "items": items})
    }

    #[test]
    fn the_least_ready_target_comes_first_with_its_worst_items() {
        let a = report(
            "111111111111",
            "eu-west-1",
            90,
            json!([
                {"status": "pass", "check": "x", "name": "n", "detail": "ok"},
            ]),
        );
        let b = report(
            "222222222222",
            "us-east-1",
            35,
            json!([
                {"status": "unknown", "severity": "error", "check": "check-unknown", "name": "rds", "detail": "denied"},
                {"status": "fail", "severity": "warning", "check": "copy-missing", "name": "db", "detail": "no copy"},
                {"status": "fail", "severity": "critical", "check": "resource-unprotected", "name": "fs-1", "detail": "in no plan"},
            ]),
        );
        let rollup = Rollup::new(
            [a, b].iter().filter_map(Target::from_report).collect(),
            Vec::new(),
        );
        assert_eq!(rollup.score(), Some(35));
        assert_eq!(rollup.targets[0].account, "222222222222");
        assert_eq!(rollup.targets[0].failing_count, 3);
        assert_eq!(
            rollup.targets[0].failing[0],
            "resource-unprotected fs-1: in no plan"
        );
        assert_eq!(
            rollup.targets[0].failing[2], "check-unknown rds: denied",
            "unknown after failing"
        );
        let md = rollup.to_markdown("prod");
        assert!(md.starts_with("# Phoenix readiness of the organization: 35 / 100"));
        assert!(
            md.find("222222222222").unwrap_or(usize::MAX) < md.find("111111111111").unwrap_or(0)
        );
        assert_eq!(Target::from_report(&json!({"score": 3})), None);
    }
}
