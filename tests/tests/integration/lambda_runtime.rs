//! End to end: the real function binaries served by
//! `cargo lambda watch` (Lambda's runtime API), events sent with `cargo lambda invoke`,
//! effects read from the emulator.

use phoenix_tests::{Emulator, LambdaWatch, World, repo_root};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

fn text(output: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The function's JSON answer to an invocation that must have succeeded (else the
/// invocation's output and the watch log, for the reader of a failure).
fn answer(output: &Output, watch: &LambdaWatch) -> Value {
    assert!(
        output.status.success(),
        "{}\nwatch log:\n{}",
        text(output),
        watch.log()
    );
    serde_json::from_slice(&output.stdout).expect("JSON response")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lambda_binary_pages_once_and_resolves_through_the_runtime_api() {
    let emulator = Emulator::shared();
    let world = World::new("e2e").await;
    let watch = LambdaWatch::start(&world.lambda_env(&emulator.endpoint));

    let first = watch.invoke_fixture("backup-job-failed-efs.json");
    let response = answer(&first, &watch);
    assert_eq!(response["observations"], 1, "{response}");
    let alerts = world.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0].event_action(), "trigger");
    assert_eq!(alerts[0].severity(), "critical");
    let dedup = alerts[0].dedup_key().to_owned();

    let duplicate = watch.invoke_fixture("backup-job-failed-efs.json");
    assert!(duplicate.status.success(), "{}", text(&duplicate));
    assert!(
        world.alerts().await.is_empty(),
        "a duplicate delivery must not page"
    );

    let completed = watch.invoke_fixture("backup-job-completed-efs.json");
    assert!(completed.status.success(), "{}", text(&completed));
    let alerts = world.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(
        (alerts[0].event_action(), alerts[0].dedup_key()),
        ("resolve", dedup.as_str())
    );

    // An unusable event fails the invocation with a diagnostic naming why.
    let rejected = watch.invoke_fixture("rejected-no-detail-type.json");
    assert!(!rejected.status.success(), "{}", text(&rejected));
    let all = text(&rejected);
    assert!(all.contains("PhoenixGuard.EventRejected"), "{all}");
    assert!(all.contains("detail-type"), "{all}");
    // The binary printed its metrics (EMF); CloudWatch Logs' part turns them into metrics.
    watch.deliver_metrics(&world.sdk).await;
    assert_eq!(
        world
            .metric_sum("EventsRejected", &[("Function", "backup-events")])
            .await,
        Some(1.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_freshness_binary_pages_an_unprotected_file_system_from_a_scheduled_event() {
    let emulator = Emulator::shared();
    let world = World::new("e2e-freshness").await;
    let (efs, _) = phoenix_tests::account::create_efs(&world.sdk, "e2e-unprotected", &[]).await;
    let watch = LambdaWatch::start(&world.lambda_env(&emulator.endpoint));
    let event =
        phoenix_tests::account::scheduled_event(&phoenix_shared::Timestamp::now().to_string());

    let first = watch.invoke_event("backup-freshness", &event);
    let response = answer(&first, &watch);
    assert_eq!(response["function"], "backup-freshness", "{response}");
    let alerts = world.alerts().await;
    let page = alerts
        .iter()
        .find(|a| {
            a.dedup_key() == format!("phoenix:123456789012:eu-west-1:resource-unprotected:{efs}")
        })
        .unwrap_or_else(|| panic!("no page for {efs}: {alerts:#?}"));
    assert_eq!(page.event_action(), "trigger");
    assert_eq!(page.severity(), "critical");

    // The same scheduled event again (Lambda's retry): nothing pages twice.
    let retry = watch.invoke_event("backup-freshness", &event);
    assert!(retry.status.success(), "{}", text(&retry));
    let again = world.alerts().await;
    assert!(
        !again.iter().any(|a| a.dedup_key() == page.dedup_key()),
        "{again:#?}"
    );
    assert_eq!(
        world
            .metric_sum("Heartbeat", &[("Function", "backup-freshness")])
            .await,
        Some(2.0)
    );
}

/// Starts a function's binary (built by `make test`) with nothing but `env`, as a Lambda
/// cold start would; returns its exit status and what it printed on stderr.
fn cold_start(function: &str, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let binary = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join("target"))
        .join("debug")
        .join(function);
    assert!(
        binary.exists(),
        "build the binaries first (make test does): {}",
        binary.display()
    );
    let output = Command::new(&binary)
        .env_clear()
        .envs(env.iter().copied())
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .output()
        .expect("run");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_missing_required_variable_stops_the_cold_start_with_one_line_naming_it() {
    let (status, stderr) = cold_start("backup-events", &[("PHOENIX_FINDINGS_TABLE", "findings")]);
    assert_eq!(status, Some(2));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("PHOENIX_ALERT_TOPIC_ARN is not set"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_protection_guard_binary_pages_a_suspended_data_bucket_and_resolves_it() {
    use phoenix_tests::account::{create_bucket, set_versioning};
    let emulator = Emulator::shared();
    let world = World::new("e2e-protection").await;
    let bucket = format!("uploads-{}", world.name).to_ascii_lowercase();
    create_bucket(&world.sdk, &bucket, &[("phoenix:data", "true")], true).await;
    set_versioning(&world.sdk, &bucket, false).await;
    let watch = LambdaWatch::start(&world.lambda_env(&emulator.endpoint));
    let event = |fixture: &str| {
        let mut event = phoenix_tests::fixture("protection-guard", &format!("{fixture}.json"));
        event["detail"]["requestParameters"]["bucketName"] = serde_json::json!(bucket);
        event
    };

    let suspended = watch.invoke_event(
        "protection-guard",
        &event("s3-put-bucket-versioning-suspended"),
    );
    answer(&suspended, &watch);
    let alerts = world.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let dedup =
        format!("phoenix:123456789012:eu-west-1:s3-versioning-suspended:arn:aws:s3:::{bucket}");
    assert_eq!(
        (
            alerts[0].event_action(),
            alerts[0].dedup_key(),
            alerts[0].severity()
        ),
        ("trigger", dedup.as_str(), "critical")
    );

    set_versioning(&world.sdk, &bucket, true).await;
    let enabled = watch.invoke_event(
        "protection-guard",
        &event("s3-put-bucket-versioning-enabled"),
    );
    assert!(enabled.status.success(), "{}", text(&enabled));
    let alerts = world.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(
        (alerts[0].event_action(), alerts[0].dedup_key()),
        ("resolve", dedup.as_str())
    );
}

#[test]
fn the_protection_guard_binary_prints_the_event_patterns_its_code_handles() {
    let binary = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join("target"))
        .join("debug/protection-guard");
    let output = Command::new(&binary)
        .arg("--print-event-pattern")
        .env_clear()
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (make test builds the binaries first)",
                binary.display()
            )
        });
    assert!(output.status.success(), "{}", text(&output));
    let printed: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let rules = printed["rules"].as_object().expect("rules");
    let patterns: Vec<&Value> = rules.values().collect();
    // One rule per service, named after it, each naming exactly the calls of the catalog for
    // its source.
    for (name, pattern) in rules {
        assert_eq!(pattern["source"][0], format!("aws.{name}"));
    }
    for row in protection_guard::catalog::HANDLED {
        let pattern = patterns
            .iter()
            .find(|p| p["source"][0] == row.source)
            .unwrap_or_else(|| panic!("no pattern for {}", row.source));
        assert_eq!(pattern["detail-type"][0], "AWS API Call via CloudTrail");
        let names = pattern["detail"]["eventName"].as_array().expect("names");
        assert!(
            names
                .iter()
                .any(|n| n == row.event_name || n["prefix"] == row.event_name),
            "{} {} is not routed",
            row.source,
            row.event_name
        );
    }
    let routed: usize = patterns
        .iter()
        .map(|p| p["detail"]["eventName"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(
        routed,
        protection_guard::catalog::HANDLED.len(),
        "no pattern routes a call no code handles"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deletion_guard_binary_pages_a_permanent_deletion_once_through_the_runtime_api() {
    use phoenix_tests::account::create_bucket;
    let emulator = Emulator::shared();
    let world = World::new("e2e-deletion").await;
    let bucket = format!("uploads-{}", world.name).to_ascii_lowercase();
    create_bucket(&world.sdk, &bucket, &[], false).await;
    let mut env = world.lambda_env(&emulator.endpoint);
    env.push(("PHOENIX_DATA_BUCKETS".into(), "uploads-*".into()));
    let watch = LambdaWatch::start(&env);
    let mut event = phoenix_tests::fixture("s3-deletion-guard", "classic-delete-unversioned.json");
    event["Records"][0]["s3"]["bucket"]["name"] = serde_json::json!(bucket);

    let first = watch.invoke_event("s3-deletion-guard", &event);
    let response = answer(&first, &watch);
    assert_eq!(response["permanently_deleted"], 1, "{response}");
    let mut alerts = world.alerts().await;
    alerts.sort_by(|a, b| a.check().cmp(b.check()));
    let checks: Vec<&str> = alerts.iter().map(|a| a.check()).collect();
    assert_eq!(checks, ["bucket-unversioned", "data-permanently-deleted"]);
    // Classic notifications name no account: the function's own ARN gives it.
    let prefix =
        format!("phoenix:123456789012:eu-west-1:data-permanently-deleted:arn:aws:s3:::{bucket}@");
    assert!(
        alerts[1].dedup_key().starts_with(&prefix),
        "{}",
        alerts[1].dedup_key()
    );

    // The same delivery again (a Lambda retry): nothing more.
    let again = watch.invoke_event("s3-deletion-guard", &event);
    assert!(again.status.success(), "{}", text(&again));
    assert!(world.alerts().await.is_empty());

    // S3's test message is acknowledged and ignored.
    let test_event =
        repo_root().join("functions/s3-deletion-guard/fixtures/classic-test-event.json");
    let ignored = watch.invoke("s3-deletion-guard", &test_event);
    assert!(ignored.status.success(), "{}", text(&ignored));
    assert!(world.alerts().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_binary_scores_the_seeds_environment_and_stores_its_report() {
    let emulator = Emulator::shared();
    let account = "210000000004";
    let world = World::in_account("e2e-audit", account).await;
    let env = phoenix_tests::story::seed(&world.sdk, &format!("-{account}")).await;
    let reports = format!("phoenix-reports-{account}");
    phoenix_tests::account::create_bucket(&world.sdk, &reports, &[], true).await;
    let mut lambda_env = world.lambda_env(&emulator.endpoint);
    lambda_env.push(("PHOENIX_REPORT_BUCKET".into(), reports.clone()));
    let watch = LambdaWatch::start(&lambda_env);
    let mut event =
        phoenix_tests::account::scheduled_event(&phoenix_shared::Timestamp::now().to_string());
    event["account"] = serde_json::json!(account);

    let first = watch.invoke_event("readiness-audit", &event);
    let response = answer(&first, &watch);
    assert_eq!(response["function"], "readiness-audit", "{response}");
    let alerts = world.alerts().await;
    let versioning = format!(
        "phoenix:{account}:eu-west-1:bucket-unversioned:arn:aws:s3:::{}",
        env.zulip_uploads
    );
    assert!(
        alerts.iter().any(|a| a.dedup_key() == versioning),
        "{alerts:#?}"
    );
    let stored = phoenix_tests::account::s3_client(&world.sdk)
        .get_object()
        .bucket(&reports)
        .key(readiness_audit::report_key(&world.name, "latest.json"))
        .send()
        .await
        .expect("report stored");
    let report: Value =
        serde_json::from_slice(&stored.body.collect().await.unwrap().to_vec()).unwrap();
    assert_eq!(report["score"], response["score"]);
    assert!(report["score"].as_u64().unwrap() < 50, "{response}");

    // Lambda retries the same scheduled event: nothing pages twice.
    let retry = watch.invoke_event("readiness-audit", &event);
    assert!(retry.status.success(), "{}", text(&retry));
    assert_eq!(world.alerts().await.len(), 0);
    assert_eq!(
        world
            .metric_sum("Heartbeat", &[("Function", "readiness-audit")])
            .await,
        Some(2.0)
    );
}

/// No region anywhere (no AWS_REGION, no profile): the cold start stops with one line
/// naming the variable, instead of running with a made-up region.
#[test]
fn a_function_without_a_region_will_not_start() {
    let (status, stderr) = cold_start(
        "backup-events",
        &[
            (
                "PHOENIX_ALERT_TOPIC_ARN",
                "arn:aws:sns:eu-west-1:123456789012:alerts",
            ),
            ("PHOENIX_FINDINGS_TABLE", "findings"),
        ],
    );
    assert_eq!(status, Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("no AWS region (AWS_REGION"), "{stderr}");
}

#[test]
fn the_audit_binary_will_not_start_without_a_report_bucket() {
    let (status, stderr) = cold_start(
        "readiness-audit",
        &[
            (
                "PHOENIX_ALERT_TOPIC_ARN",
                "arn:aws:sns:eu-west-1:123456789012:alerts",
            ),
            ("PHOENIX_FINDINGS_TABLE", "findings"),
        ],
    );
    assert_eq!(status, Some(2));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("PHOENIX_REPORT_BUCKET is not set"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_binary_held_up_by_a_slow_aws_fails_as_out_of_time_before_the_lambda_timeout_and_its_retry_pages_once()
 {
    use phoenix_tests::account::{create_bucket, set_versioning};
    use phoenix_tests::runtime_api::invoke_binary;
    use std::time::Duration;
    let emulator = Emulator::shared();
    let world = World::new("e2e-deadline").await;
    let bucket = format!("uploads-{}", world.name).to_ascii_lowercase();
    create_bucket(&world.sdk, &bucket, &[("phoenix:data", "true")], true).await;
    set_versioning(&world.sdk, &bucket, false).await;
    let mut event = phoenix_tests::fixture(
        "protection-guard",
        "s3-put-bucket-versioning-suspended.json",
    );
    event["detail"]["requestParameters"]["bucketName"] = serde_json::json!(bucket);
    let env = world.lambda_env(&emulator.endpoint);

    // S3 answers the versioning read after 30 s. Each attempt gives up after 5 s and the call
    // after 15 s: within the call's own bounds, but more than this invocation has left.
    let slow = emulator.control(
        "POST",
        "/_phoenix/faults",
        &serde_json::json!({"Service": "s3", "Operation": "GetBucketVersioning",
            "Account": world.account, "Kind": "delay", "DelaySeconds": 30}),
    );
    let lambda_timeout = Duration::from_secs(8);
    let first = invoke_binary("protection-guard", &env, &event, lambda_timeout);
    assert_eq!(
        first.error_type.as_deref(),
        Some("PhoenixGuard.OutOfTime"),
        "{:#}\n{}",
        first.body,
        first.log
    );
    assert!(
        first.took < lambda_timeout - Duration::from_secs(1),
        "answered after {:?}, too close to the {lambda_timeout:?} timeout",
        first.took
    );
    assert!(
        first.took >= lambda_timeout - Duration::from_secs(3),
        "gave up after {:?}, well before its budget",
        first.took
    );
    assert!(first.log.contains("InvocationsOutOfTime"), "{}", first.log);
    assert!(
        world.alerts().await.is_empty(),
        "nothing was confirmed, nothing paged"
    );

    // S3 is quick again; Lambda's retry confirms the suspension and pages, once.
    emulator.control(
        "DELETE",
        &format!(
            "/_phoenix/faults/{}",
            slow["Id"].as_str().expect("fault id")
        ),
        &serde_json::json!({}),
    );
    let retry = invoke_binary("protection-guard", &env, &event, Duration::from_secs(60));
    assert_eq!(retry.error_type, None, "{:#}\n{}", retry.body, retry.log);
    let alerts = world.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(
        (alerts[0].event_action(), alerts[0].dedup_key()),
        (
            "trigger",
            format!("phoenix:123456789012:eu-west-1:s3-versioning-suspended:arn:aws:s3:::{bucket}")
                .as_str()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_restore_validator_binary_fails_an_empty_restore_test_and_tells_aws_backup() {
    use phoenix_tests::account::{
        create_efs, create_vault, finish_restore, restore_event, restore_testing_plan,
        run_restore_tests, sized_backup,
    };
    let emulator = Emulator::shared();
    let account = "310000000008";
    let world = World::in_account("e2e-restore", account).await;
    let (fs, _) = create_efs(&world.sdk, "e2e-restore-zulip", &[]).await;
    create_vault(&world.sdk, "drills", None).await;
    sized_backup(&world.sdk, "drills", &fs, 1 << 30, 12.0).await;
    restore_testing_plan(&world.sdk, "zulip_monthly", &["EFS"]).await;
    let jobs = run_restore_tests(account, "zulip_monthly");
    finish_restore(
        &jobs[0],
        "COMPLETED",
        8.0,
        serde_json::json!({"RestoredSizeBytes": 0}),
    );
    let event = restore_event(&world.sdk, account, &jobs[0]).await;
    let watch = LambdaWatch::start(&world.lambda_env(&emulator.endpoint));

    let first = watch.invoke_event("restore-validator", &event);
    let response = answer(&first, &watch);
    assert_eq!(response["validation"], "FAILED", "{response}");
    let alert = world.only_alert().await;
    assert_eq!(alert.check(), "restore-validation-failed");
    assert_eq!(
        alert.dedup_key(),
        format!("phoenix:{account}:eu-west-1:restore-validation-failed:{fs}")
    );
    let again = watch.invoke_event("restore-validator", &event);
    assert!(again.status.success(), "{}", text(&again));
    assert!(world.alerts().await.is_empty(), "a retry must not page");
    let job = aws_sdk_backup::Client::new(&world.sdk)
        .describe_restore_job()
        .restore_job_id(&jobs[0])
        .send()
        .await
        .expect("job");
    assert_eq!(job.validation_status().map(|s| s.as_str()), Some("FAILED"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dispatcher_binary_queues_the_organization_and_the_freshness_binary_sweeps_a_member_from_sqs()
 {
    use phoenix_tests::organization::{
        READER_ROLE, canary_event, create_organization, create_queue, create_reader_role, drain,
        sdk_in,
    };
    let emulator = Emulator::shared();
    let world = World::in_account("e2e-org", "320000000001").await;
    let prod = create_organization(&world.sdk, &["prod"]).await.remove(0);
    let prod_sdk = sdk_in(&prod).await;
    create_reader_role(&prod_sdk, &world.account).await;
    let (efs, _) = phoenix_tests::account::create_efs(&prod_sdk, "e2e-org-prod", &[]).await;
    let queue = create_queue(&world.sdk, &format!("freshness-{}", world.name)).await;
    let mut env = world.lambda_env(&emulator.endpoint);
    env.extend([
        (
            "PHOENIX_TARGET_ACCOUNTS".to_owned(),
            "organization".to_owned(),
        ),
        ("PHOENIX_TARGET_REGIONS".to_owned(), "eu-west-1".to_owned()),
        ("PHOENIX_READER_ROLE".to_owned(), READER_ROLE.to_owned()),
        (
            "PHOENIX_SWEEP_QUEUES".to_owned(),
            format!("backup-freshness={queue}"),
        ),
    ]);
    let watch = LambdaWatch::start(&env);
    let now = phoenix_shared::Timestamp::now();

    // The member part's canary reaches the central bus, and the dispatcher counts it.
    let canary = watch.invoke_event(
        "sweep-dispatcher",
        &canary_event(&prod, "eu-west-1", &now.to_string()),
    );
    let counted = answer(&canary, &watch);
    assert_eq!(counted["canary"]["account"], prod.as_str(), "{counted}");

    // The hourly schedule, as its input transformer shapes it.
    let dispatch = watch.invoke_event(
        "sweep-dispatcher",
        &serde_json::json!({"sweep": "backup-freshness", "time": now.to_string()}),
    );
    let dispatched = answer(&dispatch, &watch);
    assert_eq!(dispatched["messages"], 2, "{dispatched}");
    assert_eq!(dispatched["canariesMissing"], 0, "{dispatched}");

    // Lambda's SQS event source hands the batch to backup-freshness.
    let batches = drain(&world.sdk, &queue).await;
    assert_eq!(batches.len(), 1);
    let swept = watch.invoke_event("backup-freshness", &batches[0]);
    let response = answer(&swept, &watch);
    assert_eq!(
        response["batchItemFailures"],
        serde_json::json!([]),
        "{response}"
    );
    let alerts = world.alerts().await;
    assert!(
        alerts.iter().any(
            |a| a.dedup_key() == format!("phoenix:{prod}:eu-west-1:resource-unprotected:{efs}")
        ),
        "{alerts:#?}"
    );

    // A schedule naming a sweep with no queue is rejected, with the reason.
    let rejected = watch.invoke(
        "sweep-dispatcher",
        &repo_root().join("functions/sweep-dispatcher/fixtures/rejected-unknown-sweep.json"),
    );
    let all = text(&rejected);
    assert!(!rejected.status.success(), "{all}");
    assert!(all.contains("PhoenixGuard.EventRejected"), "{all}");
    assert!(
        all.contains("no queue for sweep backup-everything"),
        "{all}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_security_hub_binary_imports_the_alert_topics_page_into_security_hub() {
    let emulator = Emulator::shared();
    let world = World::in_account("e2e-sechub", "330000000005").await;
    phoenix_tests::enable_security_hub(&world.sdk).await;
    let watch = LambdaWatch::start(&world.lambda_env(&emulator.endpoint));
    let mut failed = phoenix_tests::backup_fixture("backup-job-failed-efs.json");
    failed["account"] = serde_json::json!(world.account);
    let paged = watch.invoke_event("backup-events", &failed);
    assert!(paged.status.success(), "{}", text(&paged));
    let alert = world.only_alert().await;

    // The alert topic's subscription hands the same message to security-hub.
    let event = phoenix_tests::sns_delivery(&world.topic_arn, &alert.body);
    let imported = watch.invoke_event("security-hub", &event);
    let response = answer(&imported, &watch);
    assert_eq!(
        response["imported"],
        serde_json::json!([alert.dedup_key()]),
        "{response}"
    );
    let findings = phoenix_tests::security_hub_findings(&world.sdk).await;
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].id(), Some(alert.dedup_key()));
    assert_eq!(
        findings[0].title(),
        Some("backup-job-failed: fs-0c5e2a7d1b9f4e8a1")
    );
    assert_eq!(findings[0].aws_account_id(), Some(world.account.as_str()));

    // A message of another publisher on the same topic is not a finding.
    let foreign = phoenix_tests::sns_delivery(
        &world.topic_arn,
        &serde_json::json!({"AlarmName": "disk-full", "NewStateValue": "ALARM"}),
    );
    let ignored = answer(&watch.invoke_event("security-hub", &foreign), &watch);
    assert_eq!(ignored["ignored"], 1, "{ignored}");
}
