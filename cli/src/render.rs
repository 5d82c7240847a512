//! The report as a table for people: per area what passes, then each failing check with its
//! resource and its fix, then (before a destroy) what would be lost. Colour only on a terminal.

use phoenix_account::audit::checklist::{self, Area, Status};
use phoenix_account::audit::predestroy::Loss;
use phoenix_account::audit::report::Report;
use std::collections::BTreeMap;
use std::fmt::Write as _;

struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
    fn red(&self, text: &str) -> String {
        self.wrap("31;1", text)
    }
    fn green(&self, text: &str) -> String {
        self.wrap("32", text)
    }
    fn yellow(&self, text: &str) -> String {
        self.wrap("33", text)
    }
    fn bold(&self, text: &str) -> String {
        self.wrap("1", text)
    }
}

fn mark(p: &Paint, status: Status) -> String {
    match status {
        Status::Pass => p.green("PASS"),
        Status::Fail => p.red("FAIL"),
        Status::Unknown => p.yellow("UNKNOWN"),
    }
}

pub fn table(
    report: &Report,
    pre_destroy: Option<&(Vec<Loss>, Vec<String>)>,
    max_age: i64,
    reasons: &BTreeMap<&str, String>,
    color: bool,
) -> String {
    let p = Paint(color);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  environment {}, account {}, region {}, {}",
        p.bold("Phoenix readiness"),
        report.environment,
        report.account,
        report.region,
        report.evaluated_at
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "  {:<48} {:>6} {:>9}", "area", "weight", "passing");
    let areas = report.areas();
    for (area, passed, total) in &areas {
        let share = format!("{passed}/{total}");
        let share = if passed == total {
            p.green(&share)
        } else {
            p.red(&share)
        };
        let pad = 9usize.saturating_sub(format!("{passed}/{total}").len());
        let _ = writeln!(
            out,
            "  {:<48} {:>6} {}{share}",
            area.title(),
            area.weight(),
            " ".repeat(pad)
        );
    }
    let missing: Vec<&str> = Area::ALL
        .iter()
        .filter(|a| !areas.iter().any(|(b, ..)| b == *a))
        .map(|a| a.id())
        .collect();
    if !missing.is_empty() {
        let _ = writeln!(
            out,
            "  (nothing to check, left out of the score: {})",
            missing.join(", ")
        );
    }

    let failing = report.failing();
    if !failing.is_empty() {
        let _ = writeln!(out, "\n{}", p.bold("Not passing"));
        for item in &failing {
            let _ = writeln!(
                out,
                "  {:<7} {:<8} {} {}: {}",
                mark(&p, item.status),
                item.severity.as_str(),
                item.resource_type_label(),
                p.bold(&item.name),
                item.detail
            );
            let _ = writeln!(
                out,
                "          check {}  resource {}",
                item.check, item.resource
            );
            if !item.fix.is_empty() {
                let _ = writeln!(out, "          fix: {}", item.fix);
            }
        }
    }
    let warnings: Vec<_> = report.warnings().collect();
    if !warnings.is_empty() {
        let _ = writeln!(out, "\n{}", p.bold("Warnings"));
        for (item, warning) in warnings {
            let _ = writeln!(
                out,
                "  {} {}: {warning}",
                item.resource_type_label(),
                item.name
            );
        }
    }
    if let Some((losses, notes)) = pre_destroy {
        let age = phoenix_account::schedule::format_duration(max_age);
        if losses.is_empty() {
            let _ = writeln!(
                out,
                "\n{} every data store has a recovery point younger than {age}, every data bucket is versioned",
                p.green("Pre-destroy: safe to destroy:")
            );
        } else {
            let _ = writeln!(
                out,
                "\n{}",
                p.red("Pre-destroy: terraform destroy now would lose")
            );
            for loss in losses {
                let _ = writeln!(
                    out,
                    "  - {} {}: {}",
                    checklist::type_label(&loss.resource_type),
                    p.bold(&loss.name),
                    loss.what
                );
            }
        }
        for note in notes {
            let _ = writeln!(out, "  note: {note}");
        }
    }
    let passed = report
        .items
        .iter()
        .filter(|i| i.status == Status::Pass)
        .count();
    let score = format!("{}/100", report.score);
    let _ = writeln!(
        out,
        "\nScore {}  ({passed} of {} checks pass)",
        if report.score == 100 {
            p.green(&score)
        } else {
            p.red(&score)
        },
        report.items.len()
    );
    for reason in reasons.values() {
        let _ = writeln!(out, "Not ready: {reason}");
    }
    if let Some((losses, _)) = pre_destroy
        && !losses.is_empty()
    {
        let _ = writeln!(
            out,
            "Not ready: {} thing(s) would be lost by a destroy now",
            losses.len()
        );
    }
    out
}

/// `verify --org`'s table: one line per target, the least ready first, then each target's
/// worst items.
pub fn organization(
    rollup: &phoenix_account::rollup::Rollup,
    environment: &str,
    bucket: &str,
) -> String {
    let mut out = String::new();
    if rollup.targets.is_empty() {
        let _ = writeln!(
            out,
            "No readiness report under s3://{bucket}/{} yet: the central readiness-audit has not swept the organization.",
            phoenix_account::rollup::prefix(environment)
        );
    } else {
        let _ = writeln!(
            out,
            "Phoenix readiness of the organization ({environment}): {} / 100, its least ready target's; {} target(s)\n",
            rollup.score().unwrap_or_default(),
            rollup.targets.len()
        );
        let _ = writeln!(
            out,
            "{:<14} {:<16} {:>7} {:>12}  evaluated",
            "account", "region", "score", "not passing"
        );
        for t in &rollup.targets {
            let _ = writeln!(
                out,
                "{:<14} {:<16} {:>7} {:>12}  {}",
                t.account,
                t.region,
                t.score_text(),
                t.failing_count,
                t.evaluated_at
            );
        }
        for t in rollup.targets.iter().filter(|t| !t.failing.is_empty()) {
            let _ = writeln!(out, "\n{} {} ({}):", t.account, t.region, t.score_text());
            for f in &t.failing {
                let _ = writeln!(out, "  - {f}");
            }
        }
    }
    for (key, why) in &rollup.unreadable {
        let _ = writeln!(out, "\nunreadable report s3://{bucket}/{key}: {why}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use phoenix_account::audit::checklist::Item;

    fn report(status: Status) -> Report {
        let item = Item {
            area: Area::DataBuckets,
            check: "bucket-unversioned",
            resource: "arn:aws:s3:::uploads".to_owned(),
            resource_type: "S3Bucket".to_owned(),
            name: "uploads".to_owned(),
            status,
            detail: "versioning was never enabled".to_owned(),
            fix: "aws s3api put-bucket-versioning --bucket uploads".to_owned(),
            severity: phoenix_shared::Severity::Critical,
            also_resolves: &[],
            warning: None,
            command: String::new(),
        };
        Report {
            environment: "dev".to_owned(),
            account: "123456789012".to_owned(),
            region: "eu-west-1".to_owned(),
            evaluated_at: phoenix_shared::Timestamp::from_epoch_seconds(1_795_400_000),
            score: phoenix_account::audit::checklist::score(std::slice::from_ref(&item)),
            items: vec![item],
        }
    }

    #[test]
    fn colour_only_when_asked_and_every_failure_carries_its_fix() {
        let failing = report(Status::Fail);
        let plain = table(&failing, None, 86_400, &BTreeMap::new(), false);
        assert!(!plain.contains('\x1b'), "{plain}");
        assert!(
            plain.contains("FAIL    critical S3 bucket uploads: versioning was never enabled"),
            "{plain}"
        );
        assert!(
            plain.contains("fix: aws s3api put-bucket-versioning --bucket uploads"),
            "{plain}"
        );
        assert!(plain.contains("Score 0/100"), "{plain}");
        let coloured = table(&failing, None, 86_400, &BTreeMap::new(), true);
        assert!(coloured.contains("\x1b[31;1mFAIL\x1b[0m"), "{coloured}");

        let losses = vec![Loss {
            resource: "arn:aws:s3:::uploads".to_owned(),
            resource_type: "S3Bucket".to_owned(),
            name: "uploads".to_owned(),
            what: "3 object(s), 30 bytes".to_owned(),
        }];
        let gate = table(
            &report(Status::Pass),
            Some(&(losses, Vec::new())),
            86_400,
            &BTreeMap::new(),
            false,
        );
        assert!(
            gate.contains(
                "terraform destroy now would lose\n  - S3 bucket uploads: 3 object(s), 30 bytes"
            ),
            "{gate}"
        );
        assert!(
            gate.contains("Not ready: 1 thing(s) would be lost"),
            "{gate}"
        );
    }
}
