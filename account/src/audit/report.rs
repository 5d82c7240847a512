//! The readiness report: the score, every item, and renderings for machines (JSON) and
//! people (Markdown, and HTML in [`crate::audit::html`], stored next to the JSON; the
//! command line prints its own table), and the scores' [`History`].

use crate::audit::checklist::{self, Area, Item, Status};
use crate::audit::read::Facts;
use phoenix_shared::Config;
use phoenix_shared::time::Timestamp;
use serde_json::{Value, json};
use std::fmt::Write as _;

#[derive(Debug, Clone)]
pub struct Report {
    pub environment: String,
    pub account: String,
    pub region: String,
    pub evaluated_at: Timestamp,
    pub score: u32,
    pub items: Vec<Item>,
}

impl Report {
    pub fn new(config: &Config, facts: &Facts, items: Vec<Item>) -> Self {
        Self {
            environment: config.environment.clone(),
            account: facts.account.clone(),
            region: facts.region.clone(),
            evaluated_at: facts.at,
            score: checklist::score(&items),
            items,
        }
    }

    /// The items not passing, worst first (failures before unknowns, then by severity).
    pub fn failing(&self) -> Vec<&Item> {
        let mut out: Vec<&Item> = self
            .items
            .iter()
            .filter(|i| i.status != Status::Pass)
            .collect();
        out.sort_by_key(|i| {
            (
                i.status == Status::Unknown,
                std::cmp::Reverse(i.severity),
                i.area,
            )
        });
        out
    }

    /// Items that pass with a weakness worth saying: (item, warning).
    pub fn warnings(&self) -> impl Iterator<Item = (&Item, &str)> {
        self.items
            .iter()
            .filter_map(|i| i.warning.as_deref().map(|w| (i, w)))
    }

    pub fn unknown(&self) -> usize {
        self.items
            .iter()
            .filter(|i| i.status == Status::Unknown)
            .count()
    }

    /// Per area: (area, passed, total) for the areas with anything to check.
    pub fn areas(&self) -> Vec<(Area, usize, usize)> {
        Area::ALL
            .into_iter()
            .filter_map(|area| {
                let total = self.items.iter().filter(|i| i.area == area).count();
                let passed = self
                    .items
                    .iter()
                    .filter(|i| i.area == area && i.status == Status::Pass)
                    .count();
                (total > 0).then_some((area, passed, total))
            })
            .collect()
    }

    /// A short summary: the invocation's answer.
    pub fn summary_json(&self) -> Value {
        json!({
            "environment": self.environment,
            "evaluatedAt": self.evaluated_at,
            "score": self.score,
            "checks": self.items.len(),
            "failing": self.items.iter().filter(|i| i.status == Status::Fail).count(),
            "unknown": self.unknown(),
        })
    }

    pub fn to_json(&self) -> Value {
        json!({
            "environment": self.environment,
            "account": self.account,
            "region": self.region,
            "evaluatedAt": self.evaluated_at,
            "score": self.score,
            "areas": self.areas().iter().map(|(area, passed, total)| json!({
                "area": area.id(),
                "title": area.title(),
                "weight": area.weight(),
                "passed": passed,
                "total": total,
            })).collect::<Vec<_>>(),
            "items": self.items.iter().map(Item::to_json).collect::<Vec<_>>(),
        })
    }

    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# Phoenix readiness: {} / 100\n", self.score);
        let _ = writeln!(
            out,
            "Environment `{}`, account `{}`, region `{}`, evaluated {}.\n",
            self.environment, self.account, self.region, self.evaluated_at
        );
        let _ = writeln!(out, "| area | weight | passing |\n|---|---:|---:|");
        for (area, passed, total) in self.areas() {
            let _ = writeln!(
                out,
                "| {} | {} | {passed} / {total} |",
                area.title(),
                area.weight()
            );
        }
        let stores: Vec<&Item> = self
            .items
            .iter()
            .filter(|i| i.area == Area::Destroy)
            .collect();
        if !stores.is_empty() {
            let _ = writeln!(
                out,
                "\n## If each stack were destroyed now\n\n| store | type | verdict |\n|---|---|---|"
            );
            for item in stores {
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} |",
                    item.name,
                    item.resource_type_label(),
                    item.detail.replace('|', "\\|")
                );
            }
        }
        let failing = self.failing();
        if failing.is_empty() {
            let _ = writeln!(out, "\nEvery check passes.");
        } else {
            let _ = writeln!(out, "\n## Not passing\n");
            for item in failing {
                let _ = writeln!(
                    out,
                    "- **{}** `{}` {} `{}`: {}\n  - fix: {}",
                    item.status.as_str().to_uppercase(),
                    item.check,
                    item.resource_type_label(),
                    item.name,
                    item.detail,
                    item.fix
                );
            }
        }
        let warnings: Vec<(&Item, &str)> = self.warnings().collect();
        if !warnings.is_empty() {
            let _ = writeln!(out, "\n## Warnings\n");
            for (item, warning) in warnings {
                let _ = writeln!(
                    out,
                    "- {} `{}`: {warning}",
                    item.resource_type_label(),
                    item.name
                );
            }
        }
        out
    }
}

/// The scores of past audits, oldest first: stored next to the report as `history.json`
/// (each audit's full report stays under `history/`), drawn by the HTML report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    pub scores: Vec<(Timestamp, u32)>,
}

impl History {
    /// How many audits are kept: a month of hourly ones.
    pub const KEEP: usize = 720;

    /// Reads `history.json` leniently: entries it cannot read are left out.
    pub fn from_json(doc: &Value) -> Self {
        let mut scores: Vec<(Timestamp, u32)> = doc
            .get("scores")
            .and_then(Value::as_array)
            .map(|entries| {
                entries
                    .iter()
                    .filter_map(|e| {
                        let at = Timestamp::from_json(e.get("at")?)?;
                        let score = u32::try_from(e.get("score")?.as_u64()?).ok()?;
                        (score <= 100).then_some((at, score))
                    })
                    .collect()
            })
            .unwrap_or_default();
        scores.sort_by_key(|(at, _)| *at);
        scores.dedup_by_key(|(at, _)| *at);
        Self { scores }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "scores": self.scores.iter().map(|(at, score)| json!({"at": at, "score": score})).collect::<Vec<_>>(),
        })
    }

    /// With the audit at `at` (a retry of the same audit replaces it), the newest
    /// [`Self::KEEP`] kept.
    #[must_use]
    pub fn with(mut self, at: Timestamp, score: u32) -> Self {
        self.scores.retain(|(t, _)| *t != at);
        self.scores.push((at, score));
        self.scores.sort_by_key(|(t, _)| *t);
        let excess = self.scores.len().saturating_sub(Self::KEEP);
        self.scores.drain(..excess);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::History;
    use phoenix_shared::Timestamp;
    use serde_json::json;

    #[test]
    fn history_reads_leniently_replaces_a_retried_audit_and_keeps_a_month() {
        let doc = json!({"scores": [
            {"at": "2026-11-30T10:00:00Z", "score": 60},
            {"at": "not a time", "score": 1},
            {"at": "2026-11-30T09:00:00Z", "score": 200},
            {"at": "2026-11-30T08:00:00Z", "score": 40},
        ]});
        let history = History::from_json(&doc);
        assert_eq!(history.scores.len(), 2);
        let at = Timestamp::parse("2026-11-30T10:00:00Z").unwrap();
        let again = history.clone().with(at, 65);
        assert_eq!(again.scores.last(), Some(&(at, 65)));
        assert_eq!(again.scores.len(), 2);
        assert_eq!(History::from_json(&again.to_json()), again);
        let mut long = History::default();
        for hour in 0..800 {
            long = long.with(Timestamp::from_epoch_seconds(hour * 3600), 50);
        }
        assert_eq!(long.scores.len(), History::KEEP);
        assert_eq!(long.scores[0].0, Timestamp::from_epoch_seconds(80 * 3600));
        assert_eq!(History::from_json(&json!(null)), History::default());
    }
}
