//! `restore-validator` against the emulator: a restore testing plan runs, the emulator
//! restores a real file system, database, table or bucket, and the function judges it —
//! asserted through what a user sees: the validation result AWS Backup shows, the page (or
//! its absence), its dedup key, and the metrics read back from CloudWatch.

use phoenix_account::audit::checklist::Status;
use phoenix_shared::{HandlerError, Timestamp};
use phoenix_tests::World;
use phoenix_tests::account::{
    create_efs, create_rds, create_table, create_vault, deny, finish_restore, restore_event,
    restore_testing_plan, run_restore_tests, sized_backup,
};
use restore_validator::{Outcome, handle};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const GIB: i64 = 1 << 30;

fn key(world: &World, check: &str, resource: &str) -> String {
    format!("phoenix:{}:eu-west-1:{check}:{resource}", world.account)
}

async fn send(world: &World, event: &Value) -> Result<Outcome, HandlerError> {
    static INVOCATION: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = INVOCATION.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    handle(
        &world.guard(),
        &restore_validator::Clients::current(&world.sdk),
        event,
        &format!("validate-{n}"),
        Timestamp::now(),
    )
    .await
}

/// What AWS Backup now shows for the job: (ValidationStatus, ValidationStatusMessage).
async fn validation_of(world: &World, job: &str) -> (Option<String>, Option<String>) {
    let out = aws_sdk_backup::Client::new(&world.sdk)
        .describe_restore_job()
        .restore_job_id(job)
        .send()
        .await
        .expect("describe restore job");
    (
        out.validation_status().map(|s| s.as_str().to_owned()),
        out.validation_status_message().map(str::to_owned),
    )
}

/// An account with one EFS file system backed up (2 GiB in the recovery point) and a
/// monthly restore testing plan selecting every EFS: (world, file system ARN, plan name).
async fn efs_account(label: &str, account: &str) -> (World, String, String) {
    let world = World::in_account(label, account).await;
    let (fs, _) = create_efs(&world.sdk, &format!("{label}-zulip"), &[]).await;
    create_vault(&world.sdk, "drills", None).await;
    sized_backup(&world.sdk, "drills", &fs, 2 * GIB, 20.0).await;
    let plan = "zulip_monthly";
    restore_testing_plan(&world.sdk, plan, &["EFS"]).await;
    (world, fs, plan.to_owned())
}

/// One restore test of the plan, ended `status` after `minutes`; its job id and event.
async fn one_test(
    world: &World,
    plan: &str,
    status: &str,
    minutes: f64,
    seed: Value,
) -> (String, Value) {
    let jobs = run_restore_tests(&world.account, plan);
    assert_eq!(jobs.len(), 1, "one selected resource, one restore job");
    finish_restore(&jobs[0], status, minutes, seed);
    let event = restore_event(&world.sdk, &world.account, &jobs[0]).await;
    (jobs[0].clone(), event)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monthly_efs_restore_test_is_validated_timed_and_reported_to_aws_backup() {
    let (world, _, plan) = efs_account("drill-ok", "310000000001").await;
    let (job, event) = one_test(&world, &plan, "COMPLETED", 7.5, json!({})).await;

    let outcome = send(&world, &event).await.expect("validated");
    assert_eq!(outcome.validation.as_deref(), Some("SUCCESSFUL"));
    assert!(
        world.alerts().await.is_empty(),
        "a good restore pages nobody"
    );
    let (status, message) = validation_of(&world, &job).await;
    assert_eq!(status.as_deref(), Some("SUCCESSFUL"));
    assert_eq!(
        message.as_deref(),
        Some("the restored file system holds 2.0 GiB (recovery point 2.0 GiB)")
    );
    let dims = [("ResourceType", "EFS")];
    assert_eq!(
        world.metric_sum("RestoreTimeSeconds", &dims).await,
        Some(450.0)
    );
    assert_eq!(
        world
            .metric_sum(
                "RestoreValidations",
                &[("ResourceType", "EFS"), ("Result", "Successful")]
            )
            .await,
        Some(1.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_restore_pages_once_fails_validation_and_the_next_good_test_resolves_it() {
    let (world, fs, plan) = efs_account("drill-empty", "310000000002").await;
    // The backup says 2 GiB; the restore brings back an empty file system.
    let (job, event) = one_test(
        &world,
        &plan,
        "COMPLETED",
        6.0,
        json!({"RestoredSizeBytes": 6144}),
    )
    .await;

    let outcome = send(&world, &event).await.expect("judged");
    assert_eq!(outcome.validation.as_deref(), Some("FAILED"));
    let alert = world.only_alert().await;
    assert_eq!(alert.check(), "restore-validation-failed");
    assert_eq!(alert.severity(), "critical", "EFS is a required type");
    assert_eq!(
        alert.dedup_key(),
        key(&world, "restore-validation-failed", &fs)
    );
    let summary = alert.body["payload"]["summary"]
        .as_str()
        .unwrap_or_default();
    assert!(
        summary.contains("holds 6.0 KiB of the recovery point's 2.0 GiB"),
        "{summary}"
    );
    let (status, message) = validation_of(&world, &job).await;
    assert_eq!(status.as_deref(), Some("FAILED"));
    assert!(
        message.unwrap_or_default().contains("100% less"),
        "AWS Backup shows why"
    );

    // EventBridge delivers the event again: no second page.
    send(&world, &event).await.expect("judged again");
    assert!(world.alerts().await.is_empty(), "a duplicate must not page");
    // The readiness audit does not count a restore that failed validation as a drill, and
    // the restored copy (tagged awsbackup-restore-test) is no unprotected file system.
    let (drill, unprotected) = drill_item(&world, &fs).await;
    assert_eq!(
        drill,
        (
            Status::Fail,
            "1 EFS restore(s) completed in the last 31d, none validated (1 failed validation): a completed job proves the backup could be read, not that the data came back".to_owned()
        )
    );
    assert!(!unprotected, "a restore test's copy needs no backup");

    // The backup is fixed; next month's test restores it whole and resolves the page.
    create_vault(&world.sdk, "drills-fixed", None).await;
    sized_backup(&world.sdk, "drills-fixed", &fs, 2 * GIB, 1.0).await;
    let (_, event) = one_test(&world, &plan, "COMPLETED", 7.0, json!({})).await;
    send(&world, &event).await.expect("validated");
    let alerts = world.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].event_action(), "resolve");
    assert_eq!(
        alerts[0].dedup_key(),
        key(&world, "restore-validation-failed", &fs)
    );
    let ((status, detail), _) = drill_item(&world, &fs).await;
    assert_eq!(status, Status::Pass, "{detail}");
    assert!(detail.contains("restored and validated in 7m"), "{detail}");
}

/// The audit's restore-drill item for EFS (status, detail), and whether any file system but
/// `source` (which no plan selects here) is judged unprotected.
async fn drill_item(world: &World, source: &str) -> ((Status, String), bool) {
    let clients = phoenix_account::freshness::collect::Clients::current(&world.sdk);
    let audit = phoenix_account::audit::audit(
        &clients,
        &world.config,
        Some(world.account.clone()),
        Timestamp::now(),
        None,
    )
    .await;
    let drill = audit
        .report
        .items
        .iter()
        .find(|i| i.resource == "restore-drill:EFS")
        .map(|i| (i.status, i.detail.clone()))
        .expect("a drill item");
    let unprotected = audit.report.items.iter().any(|i| {
        i.check == "resource-unprotected" && i.status != Status::Pass && i.resource != source
    });
    assert!(
        audit
            .report
            .items
            .iter()
            .any(|i| i.check == "resource-unprotected"
                && i.status == Status::Fail
                && i.resource == source),
        "the source itself is in no plan: the check does run"
    );
    (drill, unprotected)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_restore_test_and_a_slow_one_page_with_their_own_checks() {
    let (world, fs, plan) = efs_account("drill-failed", "310000000003").await;
    let (job, event) = one_test(
        &world,
        &plan,
        "FAILED",
        3.0,
        json!({"StatusMessage": "Access denied to KMS key"}),
    )
    .await;
    let outcome = send(&world, &event).await.expect("delivered");
    assert_eq!(outcome.validation, None, "a failed job takes no validation");
    let alert = world.only_alert().await;
    assert_eq!(alert.check(), "restore-test-failed");
    assert_eq!(alert.severity(), "error");
    assert_eq!(alert.dedup_key(), key(&world, "restore-test-failed", &fs));
    let remedy = alert.body["payload"]["custom_details"]["remedy"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        remedy.contains(&format!(
            "aws backup describe-restore-job --region eu-west-1 --restore-job-id {job}"
        )),
        "{remedy}"
    );

    // The next test restores, but takes 40 minutes against a 15-minute target.
    let (_, event) = one_test(&world, &plan, "COMPLETED", 40.0, json!({})).await;
    let outcome = send(&world, &event).await.expect("validated");
    assert_eq!(outcome.validation.as_deref(), Some("SUCCESSFUL"));
    let alerts = world.alerts().await;
    let actions: Vec<(&str, &str)> = alerts
        .iter()
        .map(|a| (a.check(), a.event_action()))
        .collect();
    assert!(
        actions.contains(&("restore-test-failed", "resolve")),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("restore-time-over-target", "trigger")),
        "{actions:?}"
    );
    let slow = alerts
        .iter()
        .find(|a| a.check() == "restore-time-over-target")
        .expect("slow");
    assert_eq!(slow.severity(), "warning");
    assert!(
        slow.body["payload"]["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("took 40m"),
        "{}",
        slow.body["payload"]["summary"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn databases_tables_and_buckets_are_judged_by_their_own_measures() {
    let world = World::in_account("drill-types", "310000000004").await;
    create_vault(&world.sdk, "drills", None).await;
    let db = create_rds(&world.sdk, "types-db", &[]).await;
    let table = create_table(&world.sdk, "types-sessions", true, true).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&world.sdk);
    for i in 0..3 {
        dynamodb
            .put_item()
            .table_name("types-sessions")
            .item(
                "id",
                aws_sdk_dynamodb::types::AttributeValue::S(format!("s{i}")),
            )
            .send()
            .await
            .expect("item");
    }
    let bucket = "types-uploads";
    phoenix_tests::account::create_bucket(&world.sdk, bucket, &[], true).await;
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    for resource in [&db, &table, &bucket_arn] {
        sized_backup(&world.sdk, "drills", resource, 3 << 20, 5.0).await;
    }
    restore_testing_plan(&world.sdk, "types", &["RDS", "DynamoDB", "S3"]).await;
    let jobs = run_restore_tests(&world.account, "types");
    assert_eq!(jobs.len(), 3);
    let backup = aws_sdk_backup::Client::new(&world.sdk);
    let mut verdicts = std::collections::BTreeMap::new();
    for job in &jobs {
        let rtype = backup
            .describe_restore_job()
            .restore_job_id(job)
            .send()
            .await
            .expect("job")
            .resource_type()
            .expect("type")
            .to_owned();
        // The database comes back smaller, the table empty; the bucket whole.
        let seed = match rtype.as_str() {
            "RDS" => json!({"RestoredAllocatedStorage": 10}),
            "DynamoDB" => json!({"RestoredItemCount": 0}),
            _ => json!({}),
        };
        finish_restore(job, "COMPLETED", 5.0, seed);
        let event = restore_event(&world.sdk, &world.account, job).await;
        let outcome = send(&world, &event).await.expect("judged");
        verdicts.insert(rtype, (outcome.validation, outcome.message));
    }
    assert_eq!(
        verdicts["RDS"],
        (
            Some("FAILED".to_owned()),
            "the restored DB instance has 10 GiB of storage where its source has 20 GiB".to_owned()
        )
    );
    assert_eq!(
        verdicts["DynamoDB"],
        (
            Some("FAILED".to_owned()),
            "the restored table is empty where the recovery point holds 3.0 MiB".to_owned()
        )
    );
    assert_eq!(
        verdicts["S3"],
        (
            Some("SUCCESSFUL".to_owned()),
            "the restored bucket holds 3.0 MiB (recovery point 3.0 MiB) in 1 objects".to_owned()
        )
    );
    let mut pages: Vec<(String, String, String)> = world
        .alerts()
        .await
        .iter()
        .map(|a| {
            (
                a.check().to_owned(),
                a.severity().to_owned(),
                a.dedup_key().to_owned(),
            )
        })
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        vec![
            (
                "restore-validation-failed".to_owned(),
                "critical".to_owned(),
                key(&world, "restore-validation-failed", &table)
            ),
            (
                "restore-validation-failed".to_owned(),
                "critical".to_owned(),
                key(&world, "restore-validation-failed", &db)
            ),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_resource_that_cannot_be_read_is_unknown_never_a_pass() {
    let (world, fs, plan) = efs_account("drill-unknown", "310000000005").await;
    let (job, event) = one_test(&world, &plan, "COMPLETED", 5.0, json!({})).await;
    let restored = event["detail"]["createdResourceArn"]
        .as_str()
        .expect("restored")
        .rsplit('/')
        .next()
        .expect("id")
        .to_owned();
    let fault = deny("elasticfilesystem", "DescribeFileSystems", &restored);
    let outcome = send(&world, &event).await;
    phoenix_tests::Emulator::shared().control(
        "DELETE",
        &format!("/_phoenix/faults/{fault}"),
        &json!({}),
    );
    let outcome = outcome.expect("delivered");
    assert_eq!(outcome.validation, None, "nothing is reported as validated");
    let alert = world.only_alert().await;
    assert_eq!(alert.check(), "restore-validation-unknown");
    assert_eq!(
        alert.dedup_key(),
        key(&world, "restore-validation-unknown", &fs)
    );
    assert!(
        alert.body["payload"]["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("DescribeFileSystems"),
        "{}",
        alert.body["payload"]["summary"]
    );
    assert_eq!(validation_of(&world, &job).await.0, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validation_result_aws_backup_refuses_fails_the_invocation_and_the_retry_pages_nobody_twice()
 {
    let (world, fs, plan) = efs_account("drill-retry", "310000000006").await;
    let (job, event) = one_test(
        &world,
        &plan,
        "COMPLETED",
        5.0,
        json!({"RestoredSizeBytes": 0}),
    )
    .await;
    let refused = phoenix_tests::Emulator::shared().control(
        "POST",
        "/_phoenix/faults",
        &json!({"Service": "backup", "Operation": "PutRestoreValidationResult", "ResourceArn": job,
                "Status": 503, "Code": "ServiceUnavailableException", "Message": "try again", "Times": 4}),
    );
    let failed = send(&world, &event).await;
    assert!(
        matches!(failed, Err(HandlerError::Unavailable(ref why)) if why.contains("PutRestoreValidationResult")),
        "{failed:?}"
    );
    let alert = world.only_alert().await;
    assert_eq!(
        alert.dedup_key(),
        key(&world, "restore-validation-failed", &fs)
    );
    phoenix_tests::Emulator::shared().control(
        "DELETE",
        &format!("/_phoenix/faults/{}", refused["Id"].as_str().expect("id")),
        &json!({}),
    );
    // Lambda retries: the result is reported, the page is not repeated.
    let outcome = send(&world, &event).await.expect("retried");
    assert_eq!(outcome.validation.as_deref(), Some("FAILED"));
    assert!(world.alerts().await.is_empty());
    assert_eq!(
        validation_of(&world, &job).await.0.as_deref(),
        Some("FAILED")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_that_are_not_restore_tests_are_ignored_and_unusable_ones_rejected() {
    let world = World::in_account("drill-bad", "310000000007").await;
    let plain = phoenix_tests::backup_fixture("restore-job-completed.json");
    let outcome = send(&world, &plain).await.expect("ignored");
    assert_eq!(
        outcome.ignored.as_deref(),
        Some("a restore job no restore testing plan started")
    );
    let running = json!({"source": "aws.backup", "detail-type": "Restore Job State Change",
        "detail": {"restoreJobId": "x", "status": "RUNNING", "restoreTestingPlanArn": "arn:aws:backup:eu-west-1:1:restore-testing-plan:p"}});
    assert_eq!(
        send(&world, &running)
            .await
            .expect("ignored")
            .ignored
            .as_deref(),
        Some("a restore test RUNNING")
    );
    for (event, why) in [
        (
            json!([1, 2]),
            "where an EventBridge event object was expected",
        ),
        (
            json!({"source": "aws.backup", "detail-type": "Restore Job State Change",
                "detail": {"status": "COMPLETED", "restoreTestingPlanArn": "arn:aws:backup:eu-west-1:1:restore-testing-plan:p"}}),
            "with no restoreJobId",
        ),
        (
            json!({"source": "aws.backup", "detail-type": "Restore Job State Change",
                "detail": {"restoreJobId": "NO-SUCH-JOB", "status": "COMPLETED", "restoreTestingPlanArn": "arn:aws:backup:eu-west-1:1:restore-testing-plan:p"}}),
            "AWS Backup knows no restore job NO-SUCH-JOB",
        ),
    ] {
        let result = send(&world, &event).await;
        assert!(
            matches!(&result, Err(HandlerError::Rejected(r)) if r.0.contains(why)),
            "{result:?}"
        );
    }
    assert!(world.alerts().await.is_empty());
    assert_eq!(
        world
            .metric_sum("EventsRejected", &[("Function", "restore-validator")])
            .await,
        Some(3.0)
    );
}

/// The team's own check (a Lambda of theirs that looks at the data) joins the verdict: the
/// file system is the right size, but their check finds the uploads' marker file missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_teams_own_validator_joins_the_verdict() {
    let (mut world, fs, plan) = efs_account("drill-own", "310000000009").await;
    world.config.restore_validators = vec![("EFS".to_owned(), "zulip-restore-check".to_owned())];
    let answer = |payload: Value, error: Option<&str>| {
        phoenix_tests::Emulator::shared().control(
            "POST",
            "/_phoenix/lambda/answers",
            &json!({"Account": world.account, "FunctionName": "zulip-restore-check",
                    "Payload": payload, "FunctionError": error}),
        );
    };
    answer(
        json!({"status": "fail", "message": "uploads/.phoenix-marker is missing"}),
        None,
    );
    let (job, event) = one_test(&world, &plan, "COMPLETED", 5.0, json!({})).await;
    let outcome = send(&world, &event).await.expect("judged");
    assert_eq!(outcome.validation.as_deref(), Some("FAILED"));
    assert_eq!(
        outcome.message,
        "the restored file system holds 2.0 GiB (recovery point 2.0 GiB); zulip-restore-check: FAILED: uploads/.phoenix-marker is missing"
    );
    let alert = world.only_alert().await;
    assert_eq!(
        alert.dedup_key(),
        key(&world, "restore-validation-failed", &fs)
    );
    // What their function was asked.
    let asked = phoenix_tests::Emulator::shared().control(
        "GET",
        &format!(
            "/_phoenix/lambda/invocations?account={}&function=zulip-restore-check",
            world.account
        ),
        &json!({}),
    );
    let request = &asked["Payloads"][0];
    assert_eq!(request["restoreJobId"], job.as_str());
    assert_eq!(request["resourceType"], "EFS");
    assert_eq!(request["sourceResourceArn"], fs.as_str());
    assert_eq!(
        request["createdResourceArn"],
        event["detail"]["createdResourceArn"]
    );

    // Their function crashes: nothing is proven, and nothing is called validated.
    answer(json!({"errorMessage": "Task timed out"}), Some("Unhandled"));
    let (job, event) = one_test(&world, &plan, "COMPLETED", 5.0, json!({})).await;
    let outcome = send(&world, &event).await.expect("delivered");
    assert_eq!(outcome.validation, None);
    assert!(
        outcome
            .message
            .contains("the validator zulip-restore-check failed (Unhandled)"),
        "{}",
        outcome.message
    );
    assert_eq!(validation_of(&world, &job).await.0, None);
    assert_eq!(
        world.only_alert().await.check(),
        "restore-validation-unknown"
    );

    // Fixed: both checks pass; the pages resolve.
    answer(
        json!({"status": "pass", "message": "marker present, 412 files"}),
        None,
    );
    let (job, event) = one_test(&world, &plan, "COMPLETED", 5.0, json!({})).await;
    assert_eq!(
        send(&world, &event)
            .await
            .expect("validated")
            .validation
            .as_deref(),
        Some("SUCCESSFUL")
    );
    assert_eq!(
        validation_of(&world, &job).await.1.as_deref(),
        Some(
            "the restored file system holds 2.0 GiB (recovery point 2.0 GiB); zulip-restore-check: marker present, 412 files"
        )
    );
    let resolved: BTreeSet<String> = world
        .alerts()
        .await
        .iter()
        .filter(|a| a.event_action() == "resolve")
        .map(|a| a.check().to_owned())
        .collect();
    assert_eq!(
        resolved,
        BTreeSet::from([
            "restore-validation-failed".to_owned(),
            "restore-validation-unknown".to_owned()
        ])
    );
}
