//! An alert, as the alert topic's Lambda subscribers receive it (the structured body the
//! pipeline renders for `lambda`), read into the AWS Security Finding Format's fields. Pure:
//! no client, no SDK type; `hub` turns a [`Record`] into the import.
//!
//! One Phoenix Guard finding is one Security Hub finding: its `Id` is the dedup key, its
//! product the default product of the finding's own account and region (the only product a
//! customer's own findings may be imported under, and only from that account).

use phoenix_shared::Timestamp;
use phoenix_shared::alert::{short_resource, truncate_chars};
use phoenix_shared::arn::partition;
use serde_json::Value;
use std::collections::BTreeMap;

/// The ASFF schema version every finding names.
pub const SCHEMA_VERSION: &str = "2018-10-08";
/// ASFF's limits on the fields filled from free text.
const MAX_TITLE: usize = 256;
const MAX_DESCRIPTION: usize = 1024;
const MAX_RECOMMENDATION: usize = 512;
const MAX_PRODUCT_FIELD: usize = 2048;

/// One alert, read for Security Hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The dedup key: the finding's `Id`.
    pub id: String,
    pub account: String,
    pub region: String,
    /// `arn:<partition>:securityhub:<region>:<account>:product/<account>/default`.
    pub product_arn: String,
    /// `phoenix-guard/<check>`: the rule that produced it.
    pub generator_id: String,
    pub check: String,
    pub title: String,
    pub description: String,
    /// `INFORMATIONAL`, `MEDIUM`, `HIGH` or `CRITICAL`.
    pub severity_label: &'static str,
    /// Phoenix Guard's own severity word, as `Severity.Original`.
    pub severity_original: String,
    pub types: Vec<String>,
    pub resource: Resource,
    pub recommendation: String,
    /// The runbook section of the check, when the team has one.
    pub recommendation_url: Option<String>,
    /// The resource in the AWS console, when there is a console page for it.
    pub source_url: Option<String>,
    pub product_fields: BTreeMap<String, String>,
    pub first_observed: Option<Timestamp>,
    pub last_observed: Option<Timestamp>,
    /// When this notification was sent: the finding's `UpdatedAt`.
    pub updated_at: Timestamp,
    /// The finding no longer holds: archived, and its workflow resolved.
    pub resolved: bool,
}

/// A finding's resource in ASFF's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// ASFF's resource type (`AwsEfsFileSystem`, …; `Other` where ASFF has none).
    pub kind: &'static str,
    pub id: String,
    pub partition: &'static str,
    pub region: String,
}

/// Why a message is not one to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotAnAlert {
    /// Not JSON, or JSON without a dedup key and a finding: another publisher's message on
    /// a topic the team shares with Phoenix Guard.
    Foreign,
    /// A Phoenix Guard alert that lacks what a finding needs (named).
    Incomplete(&'static str),
}

/// Reads one alert topic message. `own_account` stands in for a finding that names no
/// account (a local runtime's).
pub fn read(message: &str, own_account: &str) -> Result<Record, NotAnAlert> {
    let body: Value = serde_json::from_str(message).map_err(|_| NotAnAlert::Foreign)?;
    let (Some(id), Some(finding)) = (
        body.get("dedup_key").and_then(Value::as_str),
        body.get("finding").filter(|f| f.is_object()),
    ) else {
        return Err(NotAnAlert::Foreign);
    };
    let text = |name: &str| {
        finding
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or_default()
    };
    let check = text("check");
    if check.is_empty() {
        return Err(NotAnAlert::Incomplete("finding.check"));
    }
    let region = text("region");
    if region.is_empty() {
        return Err(NotAnAlert::Incomplete("finding.region"));
    }
    let account = Some(text("account"))
        .filter(|a| !a.is_empty())
        .unwrap_or(own_account);
    if account.is_empty() {
        return Err(NotAnAlert::Incomplete("finding.account"));
    }
    let updated_at = Timestamp::parse(text("notified_at"))
        .ok_or(NotAnAlert::Incomplete("finding.notified_at"))?;
    let resource_arn = Some(text("resource_arn"))
        .filter(|r| !r.is_empty())
        .unwrap_or(account);
    let severity = text("severity");
    let summary = text("summary");
    let impact = text("impact");
    let partition = partition(region);
    let links: Vec<(String, String)> = body
        .get("links")
        .and_then(Value::as_array)
        .map(|links| {
            links
                .iter()
                .filter_map(|l| {
                    Some((
                        l.get("href")?.as_str()?.to_owned(),
                        l.get("text")?.as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let runbook = links
        .iter()
        .find(|(_, text)| text.starts_with("Runbook"))
        .map(|(href, _)| href.clone());
    let console = links
        .iter()
        .find(|(_, text)| !text.starts_with("Runbook"))
        .map(|(href, _)| href.clone());
    let mut product_fields = BTreeMap::new();
    product_fields.insert("phoenix-guard/dedup_key".to_owned(), id.to_owned());
    product_fields.insert("phoenix-guard/check".to_owned(), check.to_owned());
    // The remedy in full: `Remediation.Recommendation.Text` holds only 512 characters, and
    // a remedy's command can be longer.
    for (name, field) in [
        ("phoenix-guard/environment", "environment"),
        ("phoenix-guard/resource_type", "resource_type"),
        ("phoenix-guard/remedy", "remedy"),
    ] {
        if !text(field).is_empty() {
            product_fields.insert(
                name.to_owned(),
                truncate_chars(text(field), MAX_PRODUCT_FIELD),
            );
        }
    }
    let description = match (summary.is_empty(), impact.is_empty()) {
        (false, false) => format!("{summary} {impact}"),
        (false, true) => summary.to_owned(),
        (true, false) => impact.to_owned(),
        (true, true) => check.to_owned(),
    };
    Ok(Record {
        id: id.to_owned(),
        account: account.to_owned(),
        region: region.to_owned(),
        product_arn: format!(
            "arn:{partition}:securityhub:{region}:{account}:product/{account}/default"
        ),
        generator_id: format!("phoenix-guard/{check}"),
        check: check.to_owned(),
        title: truncate_chars(
            &format!("{check}: {}", short_resource(resource_arn)),
            MAX_TITLE,
        ),
        description: truncate_chars(&description, MAX_DESCRIPTION),
        severity_label: severity_label(severity),
        severity_original: if severity.is_empty() {
            "unknown".to_owned()
        } else {
            severity.to_owned()
        },
        types: vec![format!(
            "Software and Configuration Checks/AWS Security Best Practices/{check}"
        )],
        resource: Resource {
            kind: resource_kind(resource_arn),
            id: resource_arn.to_owned(),
            partition,
            region: region.to_owned(),
        },
        recommendation: truncate_chars(
            Some(text("remedy"))
                .filter(|r| !r.is_empty())
                .unwrap_or("See the check's runbook section."),
            MAX_RECOMMENDATION,
        ),
        recommendation_url: runbook,
        source_url: console,
        product_fields,
        first_observed: Timestamp::parse(text("first_seen")),
        last_observed: Timestamp::parse(text("last_seen")),
        updated_at,
        resolved: text("state") == "resolved",
    })
}

/// Phoenix Guard's severities on ASFF's labels.
pub fn severity_label(severity: &str) -> &'static str {
    match severity {
        "critical" => "CRITICAL",
        "error" => "HIGH",
        "warning" => "MEDIUM",
        "info" => "INFORMATIONAL",
        // An alert of a severity this build does not know is still worth a look.
        _ => "MEDIUM",
    }
}

/// ASFF's resource type for an ARN (`Other` for what ASFF has no type for, and for a
/// resource named by something other than an ARN, such as `account:<id>`).
pub fn resource_kind(arn: &str) -> &'static str {
    let mut parts = arn.splitn(6, ':');
    if parts.next() != Some("arn") {
        return "Other";
    }
    let service = parts.nth(1).unwrap_or_default();
    let resource = parts.nth(2).unwrap_or_default();
    let head = resource.split(['/', ':']).next().unwrap_or_default();
    match (service, head) {
        ("elasticfilesystem", "file-system") => "AwsEfsFileSystem",
        ("rds", "db") => "AwsRdsDbInstance",
        ("rds", "cluster") => "AwsRdsDbCluster",
        ("s3", _) if !resource.contains('/') => "AwsS3Bucket",
        ("s3", _) => "AwsS3Object",
        ("secretsmanager", "secret") => "AwsSecretsManagerSecret",
        ("dynamodb", "table") => "AwsDynamoDbTable",
        ("kms", "key") => "AwsKmsKey",
        ("backup", "backup-vault") => "AwsBackupBackupVault",
        ("backup", "backup-plan") => "AwsBackupBackupPlan",
        ("backup", "recovery-point") => "AwsBackupRecoveryPoint",
        ("lambda", "function") => "AwsLambdaFunction",
        ("iam", "role") => "AwsIamRole",
        ("cloudtrail", "trail") => "AwsCloudTrailTrail",
        ("sns", _) => "AwsSnsTopic",
        ("sqs", _) => "AwsSqsQueue",
        _ => "Other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn alert(state: &str) -> String {
        json!({
            "dedup_key": "phoenix:111122223333:eu-west-1:backup-job-failed:fs-0abc",
            "notification": "trigger",
            "links": [
                {"href": "https://eu-west-1.console.aws.amazon.com/efs/home?region=eu-west-1#/file-systems/fs-0abc", "text": "fs-0abc in the AWS console"},
                {"href": "https://wiki.example.com/runbook#backup-job-failed", "text": "Runbook: backup-job-failed"},
            ],
            "finding": {
                "check": "backup-job-failed",
                "account": "111122223333",
                "region": "eu-west-1",
                "environment": "prod",
                "resource_arn": "arn:aws:elasticfilesystem:eu-west-1:111122223333:file-system/fs-0abc",
                "resource_type": "EFS",
                "severity": "critical",
                "state": state,
                "summary": "EFS backup of fs-0abc FAILED.",
                "impact": "A rebuild today loses a day of uploads.",
                "remedy": "Fix the cause and start an on-demand backup.",
                "first_seen": "2026-11-23T09:00:00Z",
                "last_seen": "2026-11-23T09:05:00Z",
                "notified_at": "2026-11-23T09:05:02Z",
            },
        })
        .to_string()
    }

    #[test]
    fn an_alert_becomes_a_finding_of_its_own_account_and_default_product() {
        let r = read(&alert("open"), "999999999999").expect("an alert");
        assert_eq!(
            r.product_arn,
            "arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default"
        );
        assert_eq!(r.account, "111122223333");
        assert_eq!(
            r.id,
            "phoenix:111122223333:eu-west-1:backup-job-failed:fs-0abc"
        );
        assert_eq!(r.title, "backup-job-failed: fs-0abc");
        assert_eq!(r.severity_label, "CRITICAL");
        assert_eq!(r.resource.kind, "AwsEfsFileSystem");
        assert_eq!(
            r.recommendation_url.as_deref(),
            Some("https://wiki.example.com/runbook#backup-job-failed")
        );
        assert!(r.source_url.as_deref().is_some_and(|u| u.contains("/efs/")));
        assert_eq!(r.product_fields["phoenix-guard/dedup_key"], r.id);
        assert_eq!(
            r.description,
            "EFS backup of fs-0abc FAILED. A rebuild today loses a day of uploads."
        );
        assert!(!r.resolved);
        assert!(read(&alert("resolved"), "").expect("an alert").resolved);
    }

    #[test]
    fn other_publishers_messages_and_incomplete_alerts_are_told_apart() {
        assert_eq!(read("a plain text message", "1"), Err(NotAnAlert::Foreign));
        assert_eq!(
            read(r#"{"AlarmName":"x","NewStateValue":"ALARM"}"#, "1"),
            Err(NotAnAlert::Foreign)
        );
        let mut body: Value = serde_json::from_str(&alert("open")).expect("json");
        body["finding"]["notified_at"] = json!("yesterday");
        assert_eq!(
            read(&body.to_string(), "1"),
            Err(NotAnAlert::Incomplete("finding.notified_at"))
        );
        body["finding"]["check"] = json!(null);
        assert_eq!(
            read(&body.to_string(), "1"),
            Err(NotAnAlert::Incomplete("finding.check"))
        );
    }

    #[test]
    fn a_finding_that_names_no_account_is_the_functions_own() {
        let mut body: Value = serde_json::from_str(&alert("open")).expect("json");
        body["finding"]["account"] = json!("");
        let r = read(&body.to_string(), "444455556666").expect("an alert");
        assert_eq!(r.account, "444455556666");
        assert!(
            r.product_arn
                .ends_with(":444455556666:product/444455556666/default")
        );
    }

    #[test]
    fn resource_types_follow_asff_and_fall_back_to_other() {
        for (arn, kind) in [
            ("arn:aws:rds:eu-west-1:1:db:zitadel", "AwsRdsDbInstance"),
            ("arn:aws:rds:eu-west-1:1:cluster:app", "AwsRdsDbCluster"),
            ("arn:aws:s3:::uploads", "AwsS3Bucket"),
            ("arn:aws:s3:::uploads/a/b.png", "AwsS3Object"),
            (
                "arn:aws:secretsmanager:eu-west-1:1:secret:key-AbC",
                "AwsSecretsManagerSecret",
            ),
            ("arn:aws:dynamodb:eu-west-1:1:table/t", "AwsDynamoDbTable"),
            (
                "arn:aws:backup:eu-west-1:1:backup-vault:main",
                "AwsBackupBackupVault",
            ),
            (
                "arn:aws:backup:eu-west-1:1:backup-plan:abc",
                "AwsBackupBackupPlan",
            ),
            ("arn:aws:events:eu-west-1:1:rule/x", "Other"),
            ("account:111122223333", "Other"),
            ("", "Other"),
        ] {
            assert_eq!(resource_kind(arn), kind, "{arn}");
        }
    }

    #[test]
    fn severities_map_to_asff_labels() {
        assert_eq!(
            ["critical", "error", "warning", "info", "new"].map(severity_label),
            ["CRITICAL", "HIGH", "MEDIUM", "INFORMATIONAL", "MEDIUM"]
        );
    }

    #[test]
    fn long_text_is_cut_to_asffs_limits() {
        let mut body: Value = serde_json::from_str(&alert("open")).expect("json");
        body["finding"]["summary"] = json!("x".repeat(3000));
        body["finding"]["remedy"] = json!("y".repeat(3000));
        let r = read(&body.to_string(), "1").expect("an alert");
        assert_eq!(r.description.chars().count(), MAX_DESCRIPTION);
        assert_eq!(r.recommendation.chars().count(), MAX_RECOMMENDATION);
        assert_eq!(
            r.product_fields["phoenix-guard/remedy"],
            "y".repeat(2047) + "~"
        );
    }
}
