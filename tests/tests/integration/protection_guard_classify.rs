//! Classification and decisions without AWS: what each fixture claims, what a failed call
//! amounts to, how a reading turns a claim into a finding, the policy evaluators, and a
//! property test that no JSON panics the parser.

use phoenix_account::policy::{self as rules, LifecycleRule, LifecycleVerdict, PlanRule};
use phoenix_shared::checks::{Target, guidance};
use phoenix_shared::{Config, Desired, Severity, Timestamp};
use protection_guard::catalog::{self, HANDLED, Role};
use protection_guard::confirm::KeyVersions;
use protection_guard::confirm::{Reading, Verdict};
use protection_guard::{Decision, Plan, decide, plan, rejudge_key};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const NOW: Timestamp = Timestamp::from_epoch_seconds(1_795_400_000);

fn config(extra: &[(&str, &str)]) -> Config {
    let extra: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::from_lookup(|key| {
        extra
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .or_else(|| match key {
                "PHOENIX_ALERT_TOPIC_ARN" => {
                    Some("arn:aws:sns:eu-west-1:123456789012:alerts".to_owned())
                }
                "PHOENIX_FINDINGS_TABLE" => Some("findings".to_owned()),
                "AWS_REGION" => Some("eu-west-1".to_owned()),
                _ => None,
            })
    })
    .expect("config")
}

fn fixtures() -> Vec<(String, Value)> {
    let dir = phoenix_tests::repo_root()
        .join("functions/protection-guard")
        .join("fixtures");
    let mut all: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .map(|e| {
            let path = e.expect("entry").path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            (
                name,
                serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json"),
            )
        })
        .collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

fn fixture(name: &str) -> Value {
    fixtures()
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no fixture {name}"))
        .1
}

/// (check, role, resource) of each claim a fixture makes, or the words of its fate.
type Claims = Result<Vec<(String, Role, String)>, String>;

fn claims(name: &str, config: &Config) -> Claims {
    match plan(&fixture(name), config) {
        Err(rejection) => Err(format!("rejected: {rejection}")),
        Ok((_, Plan::Ignored(why))) => Err(format!("ignored: {why}")),
        Ok((_, Plan::Failed { code, .. })) => Err(format!("failed: {code}")),
        Ok((_, Plan::Suspects(s))) => Ok(s
            .into_iter()
            .map(|s| (s.check.to_owned(), s.role, s.resource))
            .collect()),
    }
}

const ACCT: &str = "123456789012";

#[test]
fn every_fixture_makes_the_claim_a_user_would_expect() {
    use Role::{Restores as R, Weakens as W};
    let c = config(&[]);
    let uploads = "arn:aws:s3:::cochlearis-dev-zulip-uploads".to_owned();
    let zitadel = format!("arn:aws:rds:eu-west-1:{ACCT}:db:cochlearis-dev-zitadel");
    let sessions = format!("arn:aws:dynamodb:eu-west-1:{ACCT}:table/cochlearis-dev-sessions");
    let aurora = format!("arn:aws:rds:eu-west-1:{ACCT}:cluster:cochlearis-prod-aurora");
    let vault = format!("arn:aws:backup:eu-west-1:{ACCT}:backup-vault:cochlearis-dev-backup-vault");
    let plan_arn =
        format!("arn:aws:backup:eu-west-1:{ACCT}:backup-plan:8d2a0f3e-1c4b-4e5f-9a6b-7c8d9e0f1a2b");
    let key = format!("arn:aws:kms:eu-west-1:{ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab");
    let secret = format!(
        "arn:aws:secretsmanager:eu-west-1:{ACCT}:secret:cochlearis-dev-zitadel-master-key-Ab12Cd"
    );
    let trail = format!("arn:aws:cloudtrail:eu-west-1:{ACCT}:trail/cochlearis-management-trail");
    let rule = format!("arn:aws:events:eu-west-1:{ACCT}:rule/phoenix-guard-protection-guard");
    let one = |check: &str, role: Role, resource: &str| {
        Ok(vec![(check.to_owned(), role, resource.to_owned())])
    };
    let table: Vec<(&str, Claims)> = vec![
        (
            "s3-put-bucket-versioning-suspended",
            one(catalog::VERSIONING_SUSPENDED, W, &uploads),
        ),
        (
            "s3-put-bucket-versioning-enabled",
            one(catalog::VERSIONING_SUSPENDED, R, &uploads),
        ),
        (
            "s3-put-bucket-lifecycle-short-object-rule",
            one(catalog::LIFECYCLE_WEAKENED, W, &uploads),
        ),
        (
            "s3-put-bucket-lifecycle-keeps-array-rule",
            one(catalog::LIFECYCLE_WEAKENED, R, &uploads),
        ),
        (
            "s3-delete-bucket-lifecycle",
            one(catalog::LIFECYCLE_WEAKENED, W, &uploads),
        ),
        (
            "s3-delete-bucket",
            one(
                catalog::BUCKET_DELETED,
                W,
                "arn:aws:s3:::cochlearis-dev-bookstack-uploads",
            ),
        ),
        (
            "s3-put-object-lock-configuration-shortened",
            one(catalog::OBJECT_LOCK_WEAKENED, W, &uploads),
        ),
        (
            "s3-put-object-lock-configuration-compliance",
            one(catalog::OBJECT_LOCK_WEAKENED, R, &uploads),
        ),
        (
            "s3-put-bucket-policy-deny-reads",
            one(catalog::POLICY_BLINDS_GUARD, W, &uploads),
        ),
        (
            "s3-delete-bucket-policy",
            one(catalog::POLICY_BLINDS_GUARD, R, &uploads),
        ),
        (
            "rds-modify-db-instance-deletion-protection-off",
            one(catalog::DELETION_PROTECTION_OFF, W, &zitadel),
        ),
        (
            "dynamodb-update-continuous-backups-pitr-off",
            one(catalog::PITR_OFF, W, &sessions),
        ),
        (
            "dynamodb-update-continuous-backups-pitr-on",
            one(catalog::PITR_OFF, R, &sessions),
        ),
        (
            "dynamodb-update-table-deletion-protection-off",
            one(catalog::TABLE_DELETION_PROTECTION_OFF, W, &sessions),
        ),
        (
            "rds-modify-db-instance-deletion-protection-on",
            one(catalog::DELETION_PROTECTION_OFF, R, &zitadel),
        ),
        (
            "rds-modify-db-instance-retention-zero",
            one(catalog::BACKUP_RETENTION_LOW, W, &zitadel),
        ),
        (
            "rds-modify-db-cluster-retention-lowered",
            one(catalog::BACKUP_RETENTION_LOW, W, &aurora),
        ),
        (
            "rds-delete-db-instance-no-final-snapshot",
            one(catalog::DB_DELETED, W, &zitadel),
        ),
        (
            "rds-delete-db-cluster-with-snapshot-and-backups",
            one(catalog::DB_DELETED, W, &aurora),
        ),
        (
            "rds-delete-db-instance-automated-backup",
            one(
                catalog::AUTOMATED_BACKUPS_DELETED,
                W,
                &format!("arn:aws:rds:eu-west-1:{ACCT}:auto-backup:db-ABCDEFGHIJKLMNOPQRSTUVWXY1"),
            ),
        ),
        (
            "rds-delete-db-cluster-automated-backup",
            one(
                catalog::AUTOMATED_BACKUPS_DELETED,
                W,
                &format!(
                    "arn:aws:rds:eu-west-1:{ACCT}:cluster-auto-backup:cluster-ABCDEFGHIJKLMNOPQRSTUVWX"
                ),
            ),
        ),
        (
            "efs-delete-file-system",
            one(
                catalog::EFS_DELETED,
                W,
                &format!(
                    "arn:aws:elasticfilesystem:eu-west-1:{ACCT}:file-system/fs-0c5e2a7d1b9f4e8a1"
                ),
            ),
        ),
        (
            "efs-delete-file-system-restore-testing-cleanup",
            Err("ignored: AWS Backup restore testing (arn:aws:sts::123456789012:assumed-role/AWSServiceRoleForBackupRestoreTesting/AWSBackup-AWSServiceRoleForBackupRestoreTesting) cleaning up the copy it restored".to_owned()),
        ),
        (
            "efs-put-backup-policy-disabled",
            one(
                catalog::EFS_BACKUP_DISABLED,
                W,
                &format!(
                    "arn:aws:elasticfilesystem:eu-west-1:{ACCT}:file-system/fs-0c5e2a7d1b9f4e8a1"
                ),
            ),
        ),
        (
            "backup-delete-backup-vault",
            one(catalog::VAULT_DELETED, W, &vault),
        ),
        (
            "backup-delete-recovery-point",
            one(
                catalog::RECOVERY_POINT_DELETED,
                W,
                &format!(
                    "arn:aws:backup:eu-west-1:{ACCT}:recovery-point:3f1e2d4c-5b6a-4789-90ab-cdef01234567"
                ),
            ),
        ),
        (
            "backup-delete-backup-plan",
            one(catalog::PLAN_DELETED, W, &plan_arn),
        ),
        (
            "backup-delete-backup-selection",
            one(
                catalog::SELECTION_DELETED,
                W,
                &format!("{plan_arn}/selection/1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9"),
            ),
        ),
        (
            "backup-update-backup-plan-weakened",
            one(catalog::PLAN_WEAKENED, W, &plan_arn),
        ),
        (
            "backup-delete-backup-vault-lock-configuration",
            one(catalog::VAULT_LOCK_REMOVED, W, &vault),
        ),
        (
            "backup-put-backup-vault-lock-configuration",
            one(catalog::VAULT_LOCK_REMOVED, R, &vault),
        ),
        (
            "backup-put-backup-vault-access-policy-open",
            one(catalog::VAULT_POLICY_OPEN, W, &vault),
        ),
        (
            "backup-update-region-settings-efs-opt-out",
            one(
                catalog::REGION_OPT_OUT,
                W,
                &format!("arn:aws:backup:eu-west-1:{ACCT}:region-setting/EFS"),
            ),
        ),
        (
            "kms-schedule-key-deletion",
            one(catalog::KEY_DELETION_SCHEDULED, W, &key),
        ),
        (
            "kms-cancel-key-deletion",
            one(catalog::KEY_DELETION_SCHEDULED, R, &key),
        ),
        ("kms-disable-key", one(catalog::KEY_DISABLED, W, &key)),
        ("kms-enable-key", one(catalog::KEY_DISABLED, R, &key)),
        (
            "secretsmanager-delete-secret-force",
            one(catalog::SECRET_DELETED, W, &secret),
        ),
        (
            "secretsmanager-delete-secret-recovery-window-old-arn-spelling",
            one(catalog::SECRET_DELETED, W, &secret),
        ),
        (
            "secretsmanager-restore-secret",
            one(catalog::SECRET_DELETED, R, &secret),
        ),
        (
            "secretsmanager-put-secret-value",
            one(catalog::KEY_REGENERATED, W, &secret),
        ),
        (
            "secretsmanager-update-secret-new-value",
            one(catalog::KEY_REGENERATED, W, &secret),
        ),
        (
            "secretsmanager-rotate-secret",
            one(catalog::KEY_REGENERATED, W, &secret),
        ),
        (
            "cloudtrail-stop-logging",
            one(catalog::TRAIL_STOPPED, W, &trail),
        ),
        (
            "cloudtrail-start-logging",
            one(catalog::TRAIL_STOPPED, R, &trail),
        ),
        (
            "cloudtrail-delete-trail",
            one(catalog::TRAIL_DELETED, W, &trail),
        ),
        (
            "cloudtrail-update-trail",
            one(catalog::TRAIL_WEAKENED, W, &trail),
        ),
        (
            "cloudtrail-put-event-selectors-data-only",
            one(catalog::TRAIL_WEAKENED, W, &trail),
        ),
        (
            "events-disable-rule",
            one(catalog::GUARD_RULE_DISABLED, W, &rule),
        ),
        (
            "events-enable-rule",
            one(catalog::GUARD_RULE_DISABLED, R, &rule),
        ),
        (
            "events-delete-rule",
            one(catalog::GUARD_RULE_DELETED, W, &rule),
        ),
        (
            "events-put-rule",
            Ok(vec![
                (catalog::GUARD_RULE_DELETED.to_owned(), R, rule.clone()),
                (catalog::GUARD_RULE_DISABLED.to_owned(), R, rule.clone()),
            ]),
        ),
        (
            "events-remove-targets",
            one(catalog::GUARD_TARGETS_REMOVED, W, &rule),
        ),
        (
            "events-put-targets",
            one(catalog::GUARD_TARGETS_REMOVED, R, &rule),
        ),
        (
            "lambda-delete-function",
            one(
                catalog::GUARD_FUNCTION_DELETED,
                W,
                &format!("arn:aws:lambda:eu-west-1:{ACCT}:function:phoenix-guard-backup-freshness"),
            ),
        ),
    ];
    for (name, expected) in &table {
        assert_eq!(&claims(name, &c), expected, "{name}");
    }
    // Every fixture is in the table or among the ignored and rejected ones below.
    let fates = [
        (
            "secretsmanager-update-secret-description-only",
            "ignored: UpdateSecret changed the secret's metadata",
        ),
        (
            "events-disable-rule-not-the-guards",
            "ignored: rule nightly-report is not one of Phoenix Guard's",
        ),
        (
            "dynamodb-update-table-billing-only",
            "ignored: deletion protection of table cochlearis-dev-sessions not changed",
        ),
        (
            "kms-delete-key-service-event",
            "ignored: AWS Service Event via CloudTrail is not an API call",
        ),
        (
            "s3-get-bucket-versioning-read-only",
            "ignored: aws.s3 GetBucketVersioning is not a call",
        ),
        (
            "rejected-no-event-name",
            "rejected: a AWS API Call via CloudTrail event from aws.s3 without a usable detail.eventName",
        ),
        (
            "rejected-versioning-names-no-bucket",
            "rejected: PutBucketVersioning names no bucket",
        ),
    ];
    for (name, start) in fates {
        let got = claims(name, &c).expect_err(name);
        assert!(got.starts_with(start), "{name}: {got}");
    }
    assert_eq!(
        fixtures().len(),
        table.len() + fates.len(),
        "a fixture is in neither list"
    );
}

#[test]
fn every_row_of_the_catalog_has_a_fixture_the_code_turns_into_its_checks() {
    let c = config(&[]);
    for row in HANDLED {
        let found = fixtures()
            .into_iter()
            .any(|(_, event)| match plan(&event, &c) {
                Ok((call, Plan::Suspects(suspects))) => {
                    call.source == row.source
                        && catalog::normalize(&call.event_name) == row.event_name
                        && suspects.iter().all(|s| row.checks.contains(&s.check))
                }
                _ => false,
            });
        assert!(
            found,
            "no fixture exercises {} {}",
            row.source, row.event_name
        );
    }
}

#[test]
fn a_refused_destructive_call_is_a_warning_about_its_resource_and_other_failures_are_only_counted()
{
    let c = config(&[]);
    for (name, event) in fixtures() {
        let Ok((_, Plan::Suspects(suspects))) = plan(&event, &c) else {
            continue;
        };
        let weakens = suspects.iter().any(|s| s.role == Role::Weakens);
        for (code, denied) in [
            ("AccessDenied", true),
            ("Client.UnauthorizedOperation", true),
            ("ThrottlingException", false),
            ("InvalidParameterValue", false),
        ] {
            let mut failed = event.clone();
            failed["detail"]["errorCode"] = json!(code);
            failed["detail"]["errorMessage"] = json!("refused");
            failed["detail"]["responseElements"] = Value::Null;
            match plan(&failed, &c) {
                Ok((
                    call,
                    Plan::Failed {
                        code: got,
                        denied: list,
                    },
                )) => {
                    assert_eq!(got, code, "{name}");
                    assert_eq!(!list.is_empty(), denied && weakens, "{name} {code}");
                    for s in &list {
                        let f = protection_guard::denied_finding(&call, s, NOW);
                        assert_eq!(
                            (f.check.as_str(), f.severity),
                            (catalog::CALL_DENIED, Severity::Warning)
                        );
                        assert!(
                            f.summary.contains("arn:aws:"),
                            "{name}: who tried: {}",
                            f.summary
                        );
                    }
                }
                other => panic!("{name} {code}: {other:?}"),
            }
        }
    }
    // A refused call whose parameters are null still counts, without a rejection.
    let mut bare = fixture("rejected-versioning-names-no-bucket");
    bare["detail"]["errorCode"] = json!("AccessDenied");
    assert!(matches!(plan(&bare, &c), Ok((_, Plan::Failed { .. }))));
}

fn reading(verdict: Verdict, tags: &[(&str, &str)]) -> Reading {
    Reading {
        verdict,
        seen: "what the read saw".to_owned(),
        tags: Some(
            tags.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
        ),
        arn: None,
        severity: None,
        key_versions: None,
        extra: serde_json::Map::new(),
    }
}

/// The observation a fixture's first claim makes with a reading, or why none.
fn decided(name: &str, r: &Reading, c: &Config) -> Decision {
    let Ok((call, Plan::Suspects(suspects))) = plan(&fixture(name), c) else {
        panic!("{name}")
    };
    decide(&call, &suspects[0], r, c, NOW)
}

fn observed(d: Decision) -> (Desired, Severity, String) {
    match d {
        Decision::Observe(o) => (o.desired, o.finding.severity, o.finding.summary),
        other => panic!("expected an observation, got {other:?}"),
    }
}

#[test]
fn a_reading_decides_severity_info_for_already_restored_and_paging_when_unconfirmed() {
    let c = config(&[]);
    let versioning = "s3-put-bucket-versioning-suspended";
    // Not a data bucket: error. Tagged phoenix:data=true: critical.
    let (d, s, summary) = observed(decided(versioning, &reading(Verdict::Holds, &[]), &c));
    assert_eq!((d, s), (Desired::Open, Severity::Error));
    assert!(
        summary.starts_with(
            "Suspended versioning on bucket cochlearis-dev-zulip-uploads by arn:aws:sts::"
        ),
        "{summary}"
    );
    assert!(
        summary.contains("from 203.0.113.24 at 2026-11-20T10:15:00Z — confirmed"),
        "{summary}"
    );
    let (_, s, _) = observed(decided(
        versioning,
        &reading(Verdict::Holds, &[("phoenix:data", "true")]),
        &c,
    ));
    assert_eq!(s, Severity::Critical);
    let configured = config(&[("PHOENIX_DATA_BUCKETS", "cochlearis-*-uploads")]);
    let (_, s, _) = observed(decided(
        versioning,
        &reading(Verdict::Holds, &[]),
        &configured,
    ));
    assert_eq!(s, Severity::Critical);
    // Already restored when read: an info record, not a page.
    let (d, s, summary) = observed(decided(
        versioning,
        &reading(Verdict::Restored, &[("phoenix:data", "true")]),
        &c,
    ));
    assert_eq!((d, s), (Desired::Open, Severity::Info));
    assert!(summary.contains("already undone when checked"), "{summary}");
    // The read failed: full severity, and the page says so.
    let (_, s, summary) = observed(decided(
        versioning,
        &reading(
            Verdict::Unconfirmed("GetBucketVersioning failed: AccessDenied".into()),
            &[],
        ),
        &configured,
    ));
    assert_eq!(s, Severity::Critical);
    assert!(
        summary.contains("NOT confirmed (GetBucketVersioning failed: AccessDenied)"),
        "{summary}"
    );
    // A restoring call resolves, unless the read still shows the weakening.
    let (d, _, _) = observed(decided(
        "s3-put-bucket-versioning-enabled",
        &reading(Verdict::Restored, &[]),
        &c,
    ));
    assert_eq!(d, Desired::Resolved);
    assert!(matches!(
        decided(
            "s3-put-bucket-versioning-enabled",
            &reading(Verdict::Holds, &[]),
            &c
        ),
        Decision::Skip(_)
    ));
    // Data stores and the guard are critical whatever their tags.
    for name in [
        "rds-modify-db-instance-deletion-protection-off",
        "kms-schedule-key-deletion",
        "backup-delete-backup-vault",
        "cloudtrail-stop-logging",
        "events-disable-rule",
    ] {
        assert_eq!(
            observed(decided(name, &reading(Verdict::Holds, &[]), &c)).1,
            Severity::Critical,
            "{name}"
        );
    }
    // The call itself can set the severity: a clean deletion is recorded, a forced one critical.
    assert_eq!(
        observed(decided(
            "rds-delete-db-cluster-with-snapshot-and-backups",
            &reading(Verdict::Holds, &[]),
            &c
        ))
        .1,
        Severity::Info
    );
    assert_eq!(
        observed(decided(
            "secretsmanager-delete-secret-force",
            &reading(Verdict::Holds, &[]),
            &c
        ))
        .1,
        Severity::Critical
    );
    assert_eq!(
        observed(decided(
            "secretsmanager-delete-secret-recovery-window-old-arn-spelling",
            &reading(Verdict::Holds, &[]),
            &c
        ))
        .1,
        Severity::Error
    );
    assert_eq!(
        observed(decided(
            "s3-delete-bucket-lifecycle",
            &reading(Verdict::Holds, &[("phoenix:data", "true")]),
            &c
        ))
        .1,
        Severity::Warning
    );
}

#[test]
fn the_opt_out_needs_a_reason_and_an_irrelevant_call_observes_nothing() {
    let c = config(&[]);
    let name = "rds-modify-db-instance-deletion-protection-off";
    match decided(
        name,
        &reading(
            Verdict::Holds,
            &[
                ("phoenix:protect", "false"),
                ("phoenix:reason", "scratch database, rebuilt nightly"),
            ],
        ),
        &c,
    ) {
        Decision::Suppressed(why) => assert!(why.contains("scratch database"), "{why}"),
        other => panic!("{other:?}"),
    }
    match decided(
        name,
        &reading(Verdict::Holds, &[("phoenix:protect", "false")]),
        &c,
    ) {
        Decision::Observe(o) => {
            assert_eq!(o.finding.severity, Severity::Critical);
            assert!(
                o.finding.details["optOutIgnored"]
                    .as_str()
                    .unwrap()
                    .contains("without a phoenix:reason")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        decided("secretsmanager-put-secret-value", &reading(Verdict::Irrelevant("not a key".into()), &[]), &c),
        Decision::Skip(why) if why == "not a key"
    ));
}

#[test]
fn a_regenerated_key_is_critical_when_the_previous_version_is_gone_and_no_value_is_ever_copied() {
    let c = config(&[]);
    let mut event = fixture("secretsmanager-put-secret-value");
    // CloudTrail does not log values; were one ever there, it must not travel.
    event["detail"]["requestParameters"]["secretString"] = json!("s3cr3t-master-key-value");
    let (call, Plan::Suspects(suspects)) = plan(&event, &c).expect("usable") else {
        panic!()
    };
    let mut r = reading(Verdict::Holds, &[("phoenix:encryption-key", "true")]);
    r.severity = Some(Severity::Error);
    r.arn = Some("arn:aws:secretsmanager:eu-west-1:123456789012:secret:cochlearis-dev-zitadel-master-key-Ab12Cd".into());
    let Decision::Observe(o) = decide(&call, &suspects[0], &r, &c, NOW) else {
        panic!()
    };
    assert_eq!(o.finding.severity, Severity::Error, "previous version kept");
    let text = serde_json::to_string(&o).expect("json");
    assert!(!text.contains("s3cr3t"), "{text}");
    assert_eq!(
        o.finding.details["principal"],
        "arn:aws:iam::123456789012:user/terraform-ci"
    );
}

#[test]
fn lifecycle_plan_and_selector_policies() {
    let rule = |enabled, expiration_days, noncurrent_days| LifecycleRule {
        enabled,
        expiration_days,
        noncurrent_days,
    };
    assert_eq!(
        rules::assess_lifecycle(&[rule(true, None, Some(90))], 30),
        LifecycleVerdict::Keeps
    );
    assert_eq!(
        rules::assess_lifecycle(&[], 30),
        LifecycleVerdict::NoRetentionRule
    );
    assert_eq!(
        rules::assess_lifecycle(
            &[rule(false, Some(1), Some(1)), rule(true, None, Some(30))],
            30
        ),
        LifecycleVerdict::Keeps
    );
    let LifecycleVerdict::Deletes(why) =
        rules::assess_lifecycle(&[rule(true, Some(7), Some(90))], 30)
    else {
        panic!()
    };
    assert!(why.contains("current objects expire after 7 days"), "{why}");

    let c = config(&[]);
    let at = Timestamp::parse("2026-11-20T10:00:00Z").expect("time");
    let plan_rule = |schedule: &str, days| PlanRule {
        name: "daily".into(),
        schedule: Some(schedule.into()),
        delete_after_days: days,
    };
    assert!(rules::assess_plan(&[plan_rule("cron(0 3 * * ? *)", Some(30))], &c, at).is_empty());
    let weekly = rules::assess_plan(&[plan_rule("cron(0 3 ? * SUN *)", Some(30))], &c, at);
    assert!(weekly[0].contains("runs only every 7d"), "{weekly:?}");
    let short = rules::assess_plan(&[plan_rule("cron(0 3 * * ? *)", Some(1))], &c, at);
    assert!(
        short[0].contains("keeps recovery points 1 days"),
        "{short:?}"
    );
    assert!(rules::assess_plan(&[], &c, at)[0].contains("no rules"));

    assert!(rules::selectors_keep_management_writes(&json!({})));
    assert!(rules::selectors_keep_management_writes(
        &json!({"eventSelectors": [{"readWriteType": "WriteOnly"}]})
    ));
    assert!(!rules::selectors_keep_management_writes(
        &json!({"eventSelectors": [{"readWriteType": "ReadOnly", "includeManagementEvents": true}]})
    ));
    assert!(rules::selectors_keep_management_writes(
        &json!({"advancedEventSelectors": [{"fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}]}]})
    ));
    assert!(!rules::selectors_keep_management_writes(
        &json!({"advancedEventSelectors": [{"fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]}]}]})
    ));
}

use crate::mutation;

#[test]
fn no_json_panics_the_parser_every_value_of_every_fixture_replaced_by_hostile_ones() {
    let c = config(&[
        ("PHOENIX_DATA_BUCKETS", "*"),
        ("PHOENIX_ENCRYPTION_KEY_SECRETS", "*"),
    ]);
    let mut cases = 0;
    for (name, event) in fixtures() {
        for (path, mutated) in mutation::mutations(&event) {
            cases += 1;
            // Any answer is fine; reaching the next case without a panic is the property,
            // and every claim keeps a dedup key PagerDuty accepts.
            if let Ok((call, Plan::Suspects(suspects))) = plan(&mutated, &c) {
                for s in &suspects {
                    if let Decision::Observe(o) =
                        decide(&call, s, &reading(Verdict::Holds, &[]), &c, NOW)
                    {
                        assert!(o.finding.dedup_key().len() <= 255, "{name} {path:?}");
                    }
                }
            }
        }
    }
    assert!(cases > 20_000, "{cases} cases");
}

/// The dedup key a fixture's first claim pages under, after `edit` changed the event, with
/// the confirming read (if any) answering `read_arn`.
fn key_after(name: &str, read_arn: Option<&str>, edit: impl Fn(&mut Value)) -> String {
    let c = config(&[("PHOENIX_ENCRYPTION_KEY_SECRETS", "*")]);
    let mut event = fixture(name);
    edit(&mut event);
    let Ok((call, Plan::Suspects(suspects))) = plan(&event, &c) else {
        panic!("{name}: no claim after the edit")
    };
    // A weakening still in place; a restoring call the read agrees with.
    let verdict = match suspects[0].role {
        Role::Weakens => Verdict::Holds,
        Role::Restores => Verdict::Restored,
    };
    let mut r = reading(verdict, &[]);
    r.arn = read_arn.map(str::to_owned);
    match decide(&call, &suspects[0], &r, &c, NOW) {
        Decision::Observe(o) => o.finding.dedup_key(),
        other => panic!("{name}: {other:?}"),
    }
}

fn set(event: &mut Value, path: &[&str], value: Value) {
    let mut at = &mut event["detail"];
    for p in &path[..path.len() - 1] {
        at = &mut at[*p];
    }
    at[path[path.len() - 1]] = value;
}

/// A change to a fixture event.
type Edit = Box<dyn Fn(&mut Value)>;

/// Every spelling AWS accepts for one resource pages under one dedup key, so the call (or
/// the audit) that restores it resolves the page the weakening opened.
#[test]
fn every_spelling_aws_accepts_for_a_resource_is_one_dedup_key() {
    let db = "arn:aws:rds:eu-west-1:123456789012:db:cochlearis-dev-zitadel";
    let cases: Vec<(&str, Option<&str>, Vec<Edit>)> = vec![
        // RDS stores identifiers in lower case; CloudTrail keeps the caller's spelling.
        (
            "rds-modify-db-instance-deletion-protection-off",
            None,
            vec![
                Box::new(|_| {}),
                Box::new(|e| {
                    set(
                        e,
                        &["requestParameters", "dBInstanceIdentifier"],
                        json!("Cochlearis-Dev-Zitadel"),
                    )
                }),
                Box::new(|e| {
                    set(
                        e,
                        &["requestParameters", "dBInstanceIdentifier"],
                        json!("COCHLEARIS-DEV-ZITADEL"),
                    );
                    e["detail"]["responseElements"] = Value::Null;
                }),
                Box::new(|e| {
                    set(
                        e,
                        &["requestParameters", "dBInstanceIdentifier"],
                        json!("arn:aws:rds:eu-west-1:123456789012:db:Cochlearis-Dev-Zitadel"),
                    );
                    e["detail"]["responseElements"] = Value::Null;
                }),
                Box::new(|e| set(e, &["requestParameters", "deletionProtection"], json!(true))),
            ],
        ),
        (
            "rds-modify-db-cluster-retention-lowered",
            None,
            vec![
                Box::new(|_| {}),
                Box::new(|e| {
                    set(
                        e,
                        &["requestParameters", "dBClusterIdentifier"],
                        json!("Cochlearis-Prod-Aurora"),
                    )
                }),
                Box::new(|e| {
                    set(
                        e,
                        &["requestParameters", "dBClusterIdentifier"],
                        json!("COCHLEARIS-PROD-AURORA"),
                    );
                    e["detail"]["responseElements"] = Value::Null;
                }),
            ],
        ),
        // A bucket by name or by ARN, with or without a region.
        (
            "s3-put-bucket-versioning-suspended",
            None,
            vec![
                Box::new(|_| {}),
                Box::new(|e| {
                    set(
                        e,
                        &["requestParameters", "bucketName"],
                        json!("arn:aws:s3:::cochlearis-dev-zulip-uploads"),
                    )
                }),
                Box::new(|e| {
                    set(
                        e,
                        &["requestParameters", "bucketName"],
                        json!("arn:aws:s3:eu-west-1::cochlearis-dev-zulip-uploads"),
                    )
                }),
            ],
        ),
        // A vault by name, or by ARN with or without its region.
        (
            "backup-delete-backup-vault-lock-configuration",
            None,
            vec![
                Box::new(|_| {}),
                Box::new(|e| {
                    set(
                        e,
                        &["requestParameters", "backupVaultName"],
                        json!(
                            "arn:aws:backup:eu-west-1:123456789012:backup-vault:cochlearis-dev-backup-vault"
                        ),
                    )
                }),
                Box::new(|e| {
                    set(
                        e,
                        &["requestParameters", "backupVaultName"],
                        json!(
                            "arn:aws:backup::123456789012:backup-vault:cochlearis-dev-backup-vault"
                        ),
                    )
                }),
            ],
        ),
        // A key by id, ARN, alias or alias ARN: the record's resources name the key.
        (
            "kms-disable-key",
            None,
            vec![
                Box::new(|_| {}),
                Box::new(|e| {
                    set(
                        e,
                        &["requestParameters", "keyId"],
                        json!("alias/cochlearis-dev"),
                    )
                }),
                Box::new(|e| {
                    set(
                        e,
                        &["requestParameters", "keyId"],
                        json!("arn:aws:kms:eu-west-1:123456789012:alias/cochlearis-dev"),
                    )
                }),
            ],
        ),
        // A secret by name, partial ARN or full ARN: the answer names the full ARN.
        (
            "secretsmanager-put-secret-value",
            None,
            vec![
                Box::new(|_| {}),
                Box::new(|e| {
                    set(
                        e,
                        &["requestParameters", "secretId"],
                        json!("cochlearis-dev-zitadel-master-key"),
                    )
                }),
                Box::new(|e| {
                    set(
                        e,
                        &["requestParameters", "secretId"],
                        json!(
                            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cochlearis-dev-zitadel-master-key"
                        ),
                    )
                }),
            ],
        ),
    ];
    for (name, read, edits) in &cases {
        let keys: Vec<String> = edits.iter().map(|e| key_after(name, *read, e)).collect();
        assert!(keys.windows(2).all(|w| w[0] == w[1]), "{name}: {keys:#?}");
    }
    assert!(
        key_after(
            "rds-modify-db-instance-deletion-protection-off",
            None,
            |_| {}
        )
        .ends_with(db),
        "the key ends in the ARN AWS returns"
    );
    // Without anything AWS returned, the confirming read's ARN decides (an alias named
    // nowhere else, a secret named by name).
    let key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let by_alias = key_after("kms-disable-key", Some(key), |e| {
        set(
            e,
            &["requestParameters", "keyId"],
            json!("alias/cochlearis-dev"),
        );
        e["detail"]["resources"] = json!([]);
    });
    let by_id = key_after("kms-disable-key", Some(key), |e| {
        e["detail"]["resources"] = json!([])
    });
    assert_eq!(by_alias, by_id);
    assert!(by_id.ends_with(key), "{by_id}");
}

/// Any `<placeholder>` left in a remedy: the operator would have to fill it in.
fn placeholder(text: &str) -> Option<&str> {
    let start = text.find('<')?;
    let end = start + text[start..].find('>')?;
    let inner = &text[start + 1..end];
    (!inner.is_empty()
        && inner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ' '))
    .then(|| &text[start..=end])
}

/// Every remedy, for every check and every kind of resource it can be about, names the real
/// resource and nothing to fill in, and a database's command is the one for its kind.
#[test]
fn every_remedy_is_complete_and_names_the_right_api_for_the_resource_kind() {
    let c = config(&[("PHOENIX_ENCRYPTION_KEY_SECRETS", "*")]);
    let mut seen = std::collections::BTreeSet::new();
    for (name, event) in fixtures() {
        let Ok((call, Plan::Suspects(suspects))) = plan(&event, &c) else {
            continue;
        };
        for suspect in &suspects {
            let Decision::Observe(o) =
                decide(&call, suspect, &reading(Verdict::Holds, &[]), &c, NOW)
            else {
                continue;
            };
            if o.desired != Desired::Open {
                continue;
            }
            let remedy = &o.finding.remedy;
            seen.insert(suspect.check);
            assert_eq!(placeholder(remedy), None, "{name}: {remedy}");
            assert!(!remedy.is_empty(), "{name}");
            let named = match suspect.resource_type {
                "KMSKey" | "Secret" => o.finding.resource_arn.clone(),
                _ => suspect.id.clone(),
            };
            assert!(
                remedy.contains(&named),
                "{name}: the remedy names {named}: {remedy}"
            );
        }
    }
    let every_check: std::collections::BTreeSet<&str> = HANDLED
        .iter()
        .flat_map(|row| row.checks.iter().copied())
        .filter(|c| *c != catalog::CALL_DENIED)
        .collect();
    let missed: Vec<_> = every_check.difference(&seen).collect();
    assert!(
        missed.is_empty(),
        "checks no fixture rendered a remedy for: {missed:?}"
    );

    // Each check against each kind of resource it can name.
    for check in &every_check {
        for kind in [
            "S3",
            "RDS",
            "Aurora",
            "EFS",
            "BackupVault",
            "BackupPlan",
            "RegionSetting",
            "KMSKey",
            "Secret",
            "Trail",
            "Rule",
            "Function",
        ] {
            let t = Target {
                resource_type: kind,
                id: "the-resource",
                arn: "arn:aws:service:eu-west-1:123456789012:kind/the-resource",
                region: "eu-west-1",
                min_retention_days: 7,
                command: "",
            };
            let (impact, remedy) = guidance(check, &t);
            assert!(!impact.is_empty());
            assert_eq!(placeholder(&remedy), None, "{check} on {kind}: {remedy}");
            assert!(
                remedy.contains("the-resource"),
                "{check} on {kind}: {remedy}"
            );
        }
    }
    for check in [
        catalog::DELETION_PROTECTION_OFF,
        catalog::BACKUP_RETENTION_LOW,
    ] {
        let target = |kind| Target {
            resource_type: kind,
            id: "zitadel",
            arn: "arn:aws:rds:eu-west-1:123456789012:cluster:zitadel",
            region: "eu-west-1",
            min_retention_days: 14,
            command: "",
        };
        let aurora = guidance(check, &target("Aurora")).1;
        assert!(
            aurora.contains(
                "aws rds modify-db-cluster --region eu-west-1 --db-cluster-identifier zitadel"
            ),
            "{aurora}"
        );
        assert!(!aurora.contains("modify-db-instance"), "{aurora}");
        let rds = guidance(check, &target("RDS")).1;
        assert!(
            rds.contains(
                "aws rds modify-db-instance --region eu-west-1 --db-instance-identifier zitadel"
            ),
            "{rds}"
        );
    }
    let retention = guidance(
        catalog::BACKUP_RETENTION_LOW,
        &Target {
            resource_type: "RDS",
            id: "zitadel",
            arn: "arn:aws:rds:eu-west-1:123456789012:db:zitadel",
            region: "eu-west-1",
            min_retention_days: 14,
            command: "",
        },
    )
    .1;
    assert!(
        retention.contains("--backup-retention-period 14"),
        "the policy's own minimum: {retention}"
    );
    // The Aurora fixture's page says modify-db-cluster with the cluster's identifier.
    let Decision::Observe(o) = decided(
        "rds-modify-db-cluster-retention-lowered",
        &reading(Verdict::Holds, &[]),
        &c,
    ) else {
        panic!()
    };
    assert!(
        o.finding
            .remedy
            .contains("modify-db-cluster --region eu-west-1 --db-cluster-identifier"),
        "{}",
        o.finding.remedy
    );
}

/// A key secret given a new value twice while its finding is open has lost the key in use
/// before the incident, although a previous version is still kept: the finding escalates.
#[test]
fn a_second_new_key_while_the_first_is_open_is_judged_critical() {
    // First regeneration: v0 (the original key) is AWSPREVIOUS.
    let mut first = reading(Verdict::Holds, &[]);
    first.severity = Some(Severity::Error);
    first.key_versions = Some(KeyVersions {
        labelled: vec!["v0".into(), "v1".into()],
        previous: Some("v0".into()),
    });
    assert_eq!(rejudge_key(&mut first, None).as_deref(), Some("v0"));
    assert_eq!(
        first.severity,
        Some(Severity::Error),
        "the original key is still kept"
    );

    // Second: v1 is AWSPREVIOUS, v0 carries no label any more.
    let mut prior = serde_json::Map::new();
    prior.insert(
        protection_guard::ORIGINAL_KEY_VERSION.to_owned(),
        json!("v0"),
    );
    let mut second = reading(Verdict::Holds, &[]);
    second.severity = Some(Severity::Error);
    second.key_versions = Some(KeyVersions {
        labelled: vec!["v1".into(), "v2".into()],
        previous: Some("v1".into()),
    });
    assert_eq!(
        rejudge_key(&mut second, Some(&prior)).as_deref(),
        Some("v0")
    );
    assert_eq!(second.severity, Some(Severity::Critical));
    assert!(second.seen.contains("v0"), "{}", second.seen);
}
