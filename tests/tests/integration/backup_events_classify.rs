//! Classification without AWS: which observations and metrics each fixture produces, the
//! irregular shapes, and a property test that no JSON panics the parser.

use backup_events::{
    CHECK_COMPLETED_WITH_ISSUES, CHECK_JOB_FAILED, CHECK_REGION_OPT_OUT, CHECK_VAULT_DELETED,
    classify,
};
use phoenix_shared::event::Envelope;
use phoenix_shared::{Config, Desired, MetricBatch, Observation, Severity, Timestamp};
use serde_json::{Value, json};

const NOW: Timestamp = Timestamp::from_epoch_seconds(1_795_400_000);

fn config(extra: &[(&str, &str)]) -> Config {
    let extra: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::from_lookup(|key| {
        if let Some((_, v)) = extra.iter().find(|(k, _)| k == key) {
            return Some(v.clone());
        }
        match key {
            "PHOENIX_ALERT_TOPIC_ARN" => {
                Some("arn:aws:sns:eu-west-1:123456789012:alerts".to_owned())
            }
            "PHOENIX_FINDINGS_TABLE" => Some("findings".to_owned()),
            "AWS_REGION" => Some("eu-west-1".to_owned()),
            _ => None,
        }
    })
    .expect("config")
}

fn fixture(name: &str) -> Value {
    let path = phoenix_tests::repo_root()
        .join("functions/backup-events")
        .join("fixtures")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("fixture JSON")
}

fn run(name: &str, config: &Config) -> (Result<Vec<Observation>, String>, MetricBatch) {
    let mut metrics = MetricBatch::new();
    let result = Envelope::parse(&fixture(name))
        .and_then(|e| classify(&e, config, NOW, &mut metrics))
        .map_err(|r| r.0);
    (result, metrics)
}

fn metric(batch: &MetricBatch, name: &str, dims: &[(&str, &str)]) -> f64 {
    batch
        .merged()
        .iter()
        .filter(|m| {
            m.name == name
                && dims
                    .iter()
                    .all(|(k, v)| m.dimensions.iter().any(|(mk, mv)| mk == k && mv == v))
        })
        .map(|m| m.value)
        .sum()
}

#[test]
fn automatic_efs_backup_with_irregular_fields_is_critical() {
    // No resourceType (inferred from the ARN), size as a number, an RFC 2822 date.
    let (result, metrics) = run(
        "backup-job-failed-efs-automatic-irregular.json",
        &config(&[]),
    );
    let obs = result.expect("usable");
    assert_eq!(obs.len(), 1);
    let f = &obs[0].finding;
    assert_eq!(obs[0].desired, Desired::Open);
    assert_eq!(f.check, CHECK_JOB_FAILED);
    assert_eq!(f.resource_type, "EFS");
    assert_eq!(f.severity, Severity::Critical);
    assert!(
        f.summary.contains("running job for the same resource"),
        "{}",
        f.summary
    );
    assert_eq!(f.details["automaticEfsBackup"], json!(true));
    assert_eq!(
        metric(
            &metrics,
            "BackupJobs",
            &[("State", "FAILED"), ("ResourceType", "EFS")]
        ),
        1.0
    );
}

#[test]
fn expired_job_explains_itself_and_keeps_the_month_name_date() {
    let (result, _) = run("backup-job-expired-rds.json", &config(&[]));
    let f = &result.expect("usable")[0].finding;
    assert_eq!(f.severity, Severity::Critical);
    assert!(
        f.summary
            .contains("did not start within its plan rule's start window"),
        "{}",
        f.summary
    );
    assert_eq!(
        f.details["expectedCompletionDate"],
        json!("Nov 21, 2026 10:00:12 AM")
    );
    assert_eq!(f.observed_at.to_string(), "2026-11-21T11:00:15Z");
}

#[test]
fn required_types_are_configurable() {
    let (result, _) = run("backup-job-failed-ebs.json", &config(&[]));
    assert_eq!(result.expect("usable")[0].finding.severity, Severity::Error);
    let (result, _) = run(
        "backup-job-failed-ebs.json",
        &config(&[("PHOENIX_REQUIRED_RESOURCE_TYPES", "EBS, EFS")]),
    );
    assert_eq!(
        result.expect("usable")[0].finding.severity,
        Severity::Critical
    );
}

#[test]
fn completed_with_issues_opens_a_warning_unless_accepted() {
    let (result, _) = run("backup-job-completed-with-issues-rds.json", &config(&[]));
    let obs = result.expect("usable");
    assert_eq!(obs.len(), 2);
    assert_eq!(
        (obs[0].finding.check.as_str(), obs[0].desired),
        (CHECK_JOB_FAILED, Desired::Resolved)
    );
    assert_eq!(
        (obs[1].finding.check.as_str(), obs[1].desired),
        (CHECK_COMPLETED_WITH_ISSUES, Desired::Open)
    );
    assert_eq!(obs[1].finding.severity, Severity::Warning);

    let accepted = config(&[(
        "PHOENIX_SUPPRESSIONS",
        r#"[{"message": "*state 'modifying'*", "resource": "arn:aws:rds:*:db:cochlearis-dev-zitadel"}]"#,
    )]);
    let (result, metrics) = run("backup-job-completed-with-issues-rds.json", &accepted);
    let obs = result.expect("usable");
    assert!(
        obs.iter().all(|o| o.desired == Desired::Resolved),
        "{obs:?}"
    );
    assert_eq!(metric(&metrics, "FindingsSuppressed", &[]), 1.0);
}

#[test]
fn progress_states_only_count() {
    for (name, state, rtype) in [
        ("backup-job-created.json", "CREATED", "Unknown"),
        ("backup-job-pending-aurora.json", "PENDING", "Aurora"),
        ("backup-job-running-efs.json", "RUNNING", "EFS"),
    ] {
        let (result, metrics) = run(name, &config(&[]));
        assert!(result.expect("usable").is_empty(), "{name}");
        assert_eq!(
            metric(
                &metrics,
                "BackupJobs",
                &[("State", state), ("ResourceType", rtype)]
            ),
            1.0,
            "{name}"
        );
    }
}

#[test]
fn region_opt_out_names_only_required_types_and_accepts_string_booleans() {
    let (result, _) = run("region-setting-efs-opt-out.json", &config(&[]));
    let obs = result.expect("usable");
    let opened: Vec<&str> = obs
        .iter()
        .filter(|o| o.desired == Desired::Open)
        .map(|o| o.finding.resource_type.as_str())
        .collect();
    let resolved: Vec<&str> = obs
        .iter()
        .filter(|o| o.desired == Desired::Resolved)
        .map(|o| o.finding.resource_type.as_str())
        .collect();
    assert_eq!(opened, vec!["EFS"], "EBS is not required");
    // In the event's order or sorted, depending on serde_json's features in the build.
    assert_eq!(resolved.len(), 2);
    assert!(resolved.contains(&"RDS") && resolved.contains(&"Aurora"));
    assert!(obs.iter().all(|o| o.finding.check == CHECK_REGION_OPT_OUT));

    let (result, _) = run("region-setting-efs-opt-in-irregular.json", &config(&[]));
    let obs = result.expect("usable");
    assert_eq!(obs.len(), 2);
    assert!(obs.iter().all(|o| o.desired == Desired::Resolved));
}

#[test]
fn a_double_encoded_detail_is_decoded() {
    let (result, _) = run("string-detail-vault-deleted.json", &config(&[]));
    let f = &result.expect("usable")[0].finding;
    assert_eq!(f.check, CHECK_VAULT_DELETED);
    assert_eq!(
        f.resource_arn,
        "arn:aws:backup:eu-west-1:123456789012:backup-vault:cochlearis-dev-dr-vault"
    );
}

#[test]
fn unusable_events_are_rejected_with_a_reason() {
    for (name, reason) in [
        ("rejected-no-detail-type.json", "detail-type"),
        ("rejected-job-without-state.json", "state"),
        (
            "rejected-failed-without-resource.json",
            "neither resourceArn nor copyJobId",
        ),
    ] {
        let (result, _) = run(name, &config(&[]));
        let err = result.expect_err(name);
        assert!(err.contains(reason), "{name}: {err}");
    }
}

#[test]
fn other_events_are_ignored_and_counted() {
    for name in [
        "other-source-s3.json",
        "recovery-point-index-state-change.json",
        "backup-plan-modified.json",
        "backup-vault-created.json",
    ] {
        let (result, metrics) = run(name, &config(&[]));
        assert!(result.expect("usable").is_empty(), "{name}");
        let ignored = metric(&metrics, "EventsIgnored", &[]);
        let processed = metric(&metrics, "EventsProcessed", &[]);
        assert_eq!(ignored + processed, 1.0, "{name} is counted once");
    }
}

/// A small deterministic generator (xorshift), so failures reproduce from the printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const KEYS: &[&str] = &[
    "detail-type",
    "source",
    "detail",
    "state",
    "status",
    "resourceArn",
    "resourceType",
    "statusMessage",
    "creationDate",
    "completionDate",
    "time",
    "resources",
    "backupJobId",
    "copyJobId",
    "restoreJobId",
    "ResourceTypeOptInPreference",
    "backupVaultName",
    "backupPlanId",
    "sourceResourceArn",
    "createdBy",
    "EFS",
];
const STRINGS: &[&str] = &[
    "aws.backup",
    "Backup Job State Change",
    "Copy Job State Change",
    "Restore Job State Change",
    "Recovery Point State Change",
    "Backup Vault State Change",
    "Backup Plan State Change",
    "Region Setting State Change",
    "FAILED",
    "COMPLETED",
    "EXPIRED",
    "PARTIAL",
    "DELETED",
    "CREATED",
    "arn:aws:elasticfilesystem:eu-west-1:1:file-system/fs-1",
    "arn:",
    "arn:aws:rds:x:y:cluster:z",
    "",
    "Nov 31, 2026 25:61:00 PM",
    "2026-02-30T00:00:00Z",
    "9999999999999999999",
    "é\u{0}\"",
    "EFS",
    "true",
];

fn random_value(rng: &mut Rng, depth: u32) -> Value {
    match rng.below(if depth > 3 { 5 } else { 8 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.below(2) == 0),
        2 => json!(rng.next() as i64),
        3 => json!(f64::from_bits(rng.next()).clamp(-1e300, 1e300)),
        4 => Value::String(STRINGS[rng.below(STRINGS.len() as u64) as usize].to_owned()),
        5 | 6 => {
            let mut map = serde_json::Map::new();
            for _ in 0..rng.below(6) {
                map.insert(
                    KEYS[rng.below(KEYS.len() as u64) as usize].to_owned(),
                    random_value(rng, depth + 1),
                );
            }
            Value::Object(map)
        }
        _ => Value::Array(
            (0..rng.below(4))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
    }
}

/// Replaces one value somewhere in `v` with a random one.
fn mutate(v: &mut Value, rng: &mut Rng) {
    match v {
        Value::Object(map) if !map.is_empty() && rng.below(3) != 0 => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = &keys[rng.below(keys.len() as u64) as usize];
            match rng.below(3) {
                0 => {
                    map.remove(key);
                }
                1 => mutate(map.get_mut(key).expect("key"), rng),
                _ => {
                    map.insert(key.clone(), random_value(rng, 2));
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            let i = rng.below(items.len() as u64) as usize;
            mutate(&mut items[i], rng);
        }
        other => *other = random_value(rng, 2),
    }
}

#[test]
fn no_json_panics_the_parser() {
    let config = config(&[("PHOENIX_SUPPRESSIONS", r#"["*"]"#)]);
    let dir = phoenix_tests::repo_root()
        .join("functions/backup-events")
        .join("fixtures");
    let mut fixtures: Vec<Value> = std::fs::read_dir(&dir)
        .expect("fixtures dir")
        .map(|e| {
            serde_json::from_str(&std::fs::read_to_string(e.expect("entry").path()).expect("read"))
                .expect("json")
        })
        .collect();
    fixtures.sort_by_key(Value::to_string);
    let seed: u64 = 0x005e_ed0f_9e0e;
    let mut rng = Rng(seed);
    for case in 0..20_000 {
        let event = if case % 4 == 0 {
            random_value(&mut rng, 0)
        } else {
            let mut event = fixtures[rng.below(fixtures.len() as u64) as usize].clone();
            for _ in 0..=rng.below(4) {
                mutate(&mut event, &mut rng);
            }
            event
        };
        let mut metrics = MetricBatch::new();
        // Whatever comes back is fine; reaching the next case is the property.
        let outcome =
            Envelope::parse(&event).and_then(|e| classify(&e, &config, NOW, &mut metrics));
        if let Ok(observations) = outcome {
            for o in observations {
                assert!(
                    o.finding.dedup_key().len() <= 255,
                    "seed {seed:#x} case {case}"
                );
            }
        }
    }
}

#[test]
fn the_routed_detail_types_are_exactly_those_the_fixtures_are_acted_on_for() {
    // The Terraform module routes exactly DETAIL_TYPES to the function: a fixture of each
    // must be acted on, and no fixture outside them may be.
    let dir = phoenix_tests::repo_root()
        .join("functions/backup-events")
        .join("fixtures");
    let mut acted_on = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(dir).expect("fixtures") {
        let name = entry
            .expect("entry")
            .file_name()
            .into_string()
            .expect("name");
        let event = fixture(&name);
        let (_, metrics) = run(&name, &config(&[]));
        if metric(&metrics, "EventsProcessed", &[]) > 0.0 {
            let detail_type = event["detail-type"].as_str().expect("detail-type");
            assert!(
                event["source"] == "aws.backup"
                    && backup_events::DETAIL_TYPES.contains(&detail_type),
                "{name} is acted on but not routed"
            );
            acted_on.insert(detail_type.to_owned());
        }
    }
    let routed: std::collections::BTreeSet<String> = backup_events::DETAIL_TYPES
        .iter()
        .map(|t| (*t).to_owned())
        .collect();
    assert_eq!(
        acted_on, routed,
        "a routed detail type no fixture exercises"
    );
}

/// Every remedy of every fixture's open finding is complete: no `<placeholder>` to fill in,
/// and a failed backup job's says the exact on-demand backup, with the job's vault and role.
#[test]
fn every_remedy_is_complete_and_a_failed_job_names_its_on_demand_backup() {
    let c = config(&[]);
    let dir = phoenix_tests::repo_root()
        .join("functions/backup-events")
        .join("fixtures");
    for entry in std::fs::read_dir(dir).expect("fixtures") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        let (Ok(observations), _) = run(&name, &c) else {
            continue;
        };
        for o in observations.iter().filter(|o| o.desired == Desired::Open) {
            let remedy = &o.finding.remedy;
            let placeholder = remedy.find('<').and_then(|start| {
                let end = start + remedy[start..].find('>')?;
                remedy[start + 1..end]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                    .then(|| &remedy[start..=end])
            });
            assert_eq!(placeholder, None, "{name}: {remedy}");
            assert!(!remedy.is_empty(), "{name}: {}", o.finding.check);
        }
    }
    let (Ok(observations), _) = run("backup-job-failed-efs.json", &c) else {
        panic!("usable")
    };
    let remedy = &observations[0].finding.remedy;
    assert!(
        remedy.contains(
            "aws backup start-backup-job --region eu-west-1 --backup-vault-name cochlearis-dev-backup-vault \
             --resource-arn arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0c5e2a7d1b9f4e8a1 \
             --iam-role-arn arn:aws:iam::123456789012:role/cochlearis-dev-backup"
        ),
        "{remedy}"
    );
}

#[test]
fn a_restore_tests_job_is_left_to_restore_validator_and_a_plain_restore_is_judged_here() {
    let c = config(&[]);
    let (test, metrics) = run("restore-test-job-completed.json", &c);
    assert_eq!(
        test,
        Ok(Vec::new()),
        "one page per restore test, from restore-validator"
    );
    assert_eq!(metric(&metrics, "EventsIgnored", &[]), 1.0);
    let (plain, _) = run("restore-job-completed.json", &c);
    let plain = plain.expect("usable");
    assert_eq!(plain.len(), 1);
    assert_eq!(plain[0].finding.check, "restore-failed");
}
