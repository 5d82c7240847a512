//! `phoenix check-plan`: what a Terraform plan would do to the data, before it is applied.
//! The plan is read as it streams (`phoenix_terraform::plan`), the account only for the
//! stores the plan destroys (`phoenix_account::gate::read`), and the verdicts are
//! `phoenix_account::gate::judge`'s.

use crate::args::{CheckPlan, PlanFormat};
use phoenix_account::gate::{Judged, Verdict};
use phoenix_account::schedule::format_duration;
use phoenix_terraform::destroy;
use phoenix_terraform::plan::{self, Action, Plan};
use serde_json::{Value, json};
use std::fmt::Write as _;

/// The plan from a path, or standard input for `-`; the error is one line. `every_change`
/// keeps the changes of every type (for `-v`), not only those a rule judges.
pub fn read_plan(source: &str, every_change: bool) -> Result<Plan, String> {
    let judged: fn(&str) -> bool = if every_change {
        |_| true
    } else {
        plan::judged_type
    };
    let read = if source == "-" {
        plan::read_with(std::io::stdin().lock(), judged)
    } else {
        let file = std::fs::File::open(source).map_err(|e| format!("{source}: {e}"))?;
        plan::read_with(file, judged)
    };
    read.map_err(|why| format!("{source}: {why}"))
}

/// For `-v`: every other change that creates or replaces something, as harmless (it holds
/// no data yet, or none that is judged).
pub fn add_harmless(plan: &Plan, judged: &mut Vec<Judged>) {
    let seen: std::collections::BTreeSet<String> =
        judged.iter().map(|j| j.address.clone()).collect();
    for change in &plan.changes {
        let why = match change.action {
            Action::Create => "created: it holds no data yet",
            Action::Replace { .. } => "replaced: it holds no data",
            _ => continue,
        };
        if seen.contains(&change.address) {
            continue;
        }
        judged.push(Judged {
            address: change.address.clone(),
            resource_type: change.resource_type.clone(),
            action: change.action.as_str(),
            resource: change.address.clone(),
            verdict: Verdict::Harmless(why.to_owned()),
        });
    }
}

/// The destroy of the stack whose state file is at `source` (a path); the error is one line.
pub fn read_state_file(source: &str) -> Result<Plan, String> {
    let file = std::fs::File::open(source).map_err(|e| format!("{source}: {e}"))?;
    destroy::read(file).map_err(|why| format!("{source}: {why}"))
}

/// `s3://BUCKET/KEY` as bucket and key; `None` for anything else.
pub fn s3_location(source: &str) -> Option<(&str, &str)> {
    let (bucket, key) = source.strip_prefix("s3://")?.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then_some((bucket, key))
}

/// Whether the gate passes: nothing lost, nothing unknown, every change readable.
pub fn safe(plan: &Plan, judged: &[Judged]) -> bool {
    plan.unreadable.is_empty() && judged.iter().all(|j| j.verdict.passes())
}

fn label(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Lost(_) => "LOST",
        Verdict::Recoverable(_) => "RECOVERABLE",
        Verdict::Blocked(_) => "BLOCKED",
        Verdict::Unknown(_) => "UNKNOWN",
        Verdict::Harmless(_) => "HARMLESS",
        Verdict::Weakened(_) => "WEAKENED",
    }
}

/// How many would be lost, could not be judged, and weaken protection.
fn counts(judged: &[Judged]) -> (usize, usize, usize) {
    let lost = judged
        .iter()
        .filter(|j| matches!(j.verdict, Verdict::Lost(_)))
        .count();
    let unknown = judged
        .iter()
        .filter(|j| matches!(j.verdict, Verdict::Unknown(_)))
        .count();
    let weakened = judged
        .iter()
        .filter(|j| matches!(j.verdict, Verdict::Weakened(_)))
        .count();
    (lost, unknown, weakened)
}

pub fn to_json(plan: &Plan, judged: &[Judged], max_age: i64) -> Value {
    json!({
        "formatVersion": plan.format_version,
        "terraformVersion": plan.terraform_version,
        "maxAge": format_duration(max_age),
        "safe": safe(plan, judged),
        "changes": judged.iter().map(|j| json!({
            "address": j.address,
            "type": j.resource_type,
            "action": j.action,
            "resource": j.resource,
            "verdict": j.verdict.as_str(),
            "reason": j.verdict.reason(),
        })).collect::<Vec<_>>(),
        "unreadable": plan.unreadable,
        "otherChanges": plan.other_changes,
    })
}

/// The verdicts for people; `what` names what was judged (`phoenix check-plan`, or the
/// destroy of a state).
pub fn table(what: &str, plan: &Plan, judged: &[Judged], max_age: i64, color: bool) -> String {
    let paint = |text: &str, code: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    let mut out = String::new();
    let (lost, unknown, weakened) = counts(judged);
    let _ = writeln!(
        out,
        "{what}: {} change(s) judged (recovery points count up to {} old)",
        judged.len(),
        format_duration(max_age)
    );
    for j in judged {
        let code = match j.verdict {
            Verdict::Lost(_) | Verdict::Unknown(_) | Verdict::Weakened(_) => "31",
            Verdict::Blocked(_) => "33",
            _ => "32",
        };
        let _ = writeln!(
            out,
            "  {:<11} {}  ({})\n              {}",
            paint(label(&j.verdict), code),
            j.address,
            j.action,
            j.verdict.reason()
        );
    }
    for line in &plan.unreadable {
        let _ = writeln!(out, "  {:<11} {line}", paint("UNREADABLE", "31"));
    }
    let verdict = if safe(plan, judged) {
        paint("SAFE: no data would be lost", "32")
    } else {
        paint(
            &format!(
                "NOT SAFE: {lost} would be lost, {} could not be judged, {weakened} weaken protection",
                unknown + plan.unreadable.len()
            ),
            "31",
        )
    };
    let _ = writeln!(out, "{verdict}");
    out
}

/// A Markdown table for a pull request comment (pipes in reasons escaped).
pub fn markdown(plan: &Plan, judged: &[Judged], max_age: i64) -> String {
    let cell = |text: &str| text.replace('|', "\\|").replace('\n', " ");
    let mut out = String::new();
    let (lost, unknown, weakened) = counts(judged);
    let _ = writeln!(out, "### Phoenix Guard: what this plan does to the data\n");
    if safe(plan, judged) {
        let _ = writeln!(out, "**Safe**: no data would be lost.\n");
    } else {
        let _ = writeln!(
            out,
            "**Not safe**: {lost} data store(s) would be lost, {} change(s) could not be judged, {weakened} weaken protection.\n",
            unknown + plan.unreadable.len()
        );
    }
    if !judged.is_empty() {
        let _ = writeln!(
            out,
            "| verdict | address | action | why, or the restore source |"
        );
        let _ = writeln!(out, "|---|---|---|---|");
        for j in judged {
            let _ = writeln!(
                out,
                "| **{}** | `{}` | {} | {} |",
                label(&j.verdict).to_lowercase(),
                cell(&j.address),
                j.action,
                cell(j.verdict.reason())
            );
        }
    }
    for line in &plan.unreadable {
        let _ = writeln!(out, "\n- unreadable: `{}`", cell(line));
    }
    let _ = writeln!(
        out,
        "\nRecovery points count up to {} old.",
        format_duration(max_age)
    );
    out
}

/// Prints the verdicts in the chosen format; the exit status: 0 safe, 1 not.
pub fn report(
    command: &CheckPlan,
    plan: &Plan,
    judged: &[Judged],
    max_age: i64,
    color: bool,
) -> u8 {
    match command.format {
        PlanFormat::Json => println!("{:#}", to_json(plan, judged, max_age)),
        PlanFormat::Table => print!(
            "{}",
            table("phoenix check-plan", plan, judged, max_age, color)
        ),
        PlanFormat::Markdown => print!("{}", markdown(plan, judged, max_age)),
    }
    u8::from(!safe(plan, judged))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(verdict: Verdict) -> Judged {
        Judged {
            address: "aws_efs_file_system.uploads".to_owned(),
            resource_type: "aws_efs_file_system".to_owned(),
            action: "delete",
            resource: "arn:aws:elasticfilesystem:eu-west-1:1:file-system/fs-1".to_owned(),
            verdict,
        }
    }

    #[test]
    fn a_loss_is_not_safe_in_every_format_and_a_recoverable_change_is() {
        let plan = Plan::default();
        let lost = [judged(Verdict::Lost(
            "the file system | every file".to_owned(),
        ))];
        assert!(!safe(&plan, &lost));
        let md = markdown(&plan, &lost, 86_400);
        assert!(
            md.contains("**Not safe**: 1 data store(s) would be lost"),
            "{md}"
        );
        assert!(md.contains("| **lost** | `aws_efs_file_system.uploads` | delete | the file system \\| every file |"), "{md}");
        let text = table("phoenix check-plan", &plan, &lost, 86_400, false);
        assert!(
            text.contains("LOST") && text.contains("NOT SAFE: 1 would be lost"),
            "{text}"
        );
        assert_eq!(
            to_json(&plan, &lost, 86_400)["changes"][0]["verdict"],
            "lost"
        );
        let fine = [judged(Verdict::Recoverable("recovery point p".to_owned()))];
        assert!(safe(&plan, &fine));
        assert!(
            table("phoenix check-plan", &plan, &fine, 86_400, false)
                .contains("SAFE: no data would be lost")
        );
        let unreadable = Plan {
            unreadable: vec!["aws_s3_bucket.b: actions [\"delete\", \"update\"]".to_owned()],
            ..Plan::default()
        };
        assert!(
            !safe(&unreadable, &fine),
            "a change that cannot be read is never safe"
        );
    }

    #[test]
    fn verbose_lists_what_is_created_or_replaced_as_harmless_once() {
        let bytes = include_bytes!("../../terraform/fixtures/terraform-data-plan.json");
        let plan = plan::read_with(&bytes[..], |_| true).expect("a plan");
        let mut judged = Vec::new();
        add_harmless(&plan, &mut judged);
        let listed: Vec<(&str, &str)> = judged
            .iter()
            .map(|j| (j.address.as_str(), j.verdict.reason()))
            .collect();
        assert_eq!(
            listed,
            [
                ("terraform_data.new", "created: it holds no data yet"),
                ("terraform_data.replace_me", "replaced: it holds no data"),
            ]
        );
        assert!(safe(&plan, &judged));
        add_harmless(&plan, &mut judged);
        assert_eq!(judged.len(), 2, "what is judged is not listed again");
    }

    #[test]
    fn only_a_bucket_and_a_key_make_an_s3_location() {
        assert_eq!(
            s3_location("s3://cochlearis-tfstate/env:/dev/terraform.tfstate"),
            Some(("cochlearis-tfstate", "env:/dev/terraform.tfstate"))
        );
        for not in [
            "s3://bucket",
            "s3:///key",
            "s3://bucket/",
            "state.tfstate",
            "S3://b/k",
        ] {
            assert_eq!(s3_location(not), None, "{not}");
        }
    }
}
