//! `backup-events` against the emulator, over real HTTP: every row of the function's table,
//! asserted through what a user sees — the alert on the topic (read through an SQS
//! subscriber), the ledger item, and the metrics read back from CloudWatch.

use backup_events::handle;
use phoenix_shared::{HandlerError, Timestamp};
use phoenix_tests::{World, attr_s, backup_fixture};
use serde_json::Value;

const EFS: &str =
    "arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0c5e2a7d1b9f4e8a1";

fn key(check: &str, resource: &str) -> String {
    format!("phoenix:123456789012:eu-west-1:{check}:{resource}")
}

async fn send(world: &World, fixture: &str) -> Result<backup_events::Outcome, HandlerError> {
    send_event(world, &backup_fixture(fixture), Timestamp::now()).await
}

async fn send_event(
    world: &World,
    event: &Value,
    now: Timestamp,
) -> Result<backup_events::Outcome, HandlerError> {
    static INVOCATION: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = INVOCATION.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    handle(&world.guard(), event, &format!("invocation-{n}"), now).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_efs_backup_pages_once_and_the_next_completed_backup_resolves_it() {
    let world = World::new("story").await;
    let dedup = key("backup-job-failed", EFS);

    // The nightly EFS backup fails: one critical page.
    send(&world, "backup-job-failed-efs.json")
        .await
        .expect("delivered");
    let alert = world.only_alert().await;
    assert_eq!(alert.event_action(), "trigger");
    assert_eq!(alert.dedup_key(), dedup);
    assert_eq!(alert.severity(), "critical");
    assert_eq!(alert.check(), "backup-job-failed");
    assert_eq!(alert.body["payload"]["component"], "EFS");
    assert_eq!(alert.body["payload"]["group"], world.name.as_str());
    assert!(
        alert.body["payload"]["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("is not authorized"),
        "the summary says why: {}",
        alert.body["payload"]["summary"]
    );
    assert_eq!(
        alert.attributes.get("severity").map(String::as_str),
        Some("critical")
    );
    assert_eq!(
        alert.attributes.get("state").map(String::as_str),
        Some("ALARM")
    );
    assert_eq!(
        alert.attributes.get("resource_type").map(String::as_str),
        Some("EFS")
    );
    assert_eq!(alert.attributes.get("environment"), Some(&world.name));
    let item = world.ledger_item(&dedup).await.expect("ledger item");
    assert_eq!(attr_s(&item, "notified_action").as_deref(), Some("trigger"));
    assert_eq!(attr_s(&item, "finding_state").as_deref(), Some("open"));

    // EventBridge delivers the same event again, and Lambda retries it: no second page.
    send(&world, "backup-job-failed-efs.json")
        .await
        .expect("delivered");
    send(&world, "backup-job-failed-efs.json")
        .await
        .expect("delivered");
    assert!(world.alerts().await.is_empty(), "a duplicate must not page");
    let item = world.ledger_item(&dedup).await.expect("ledger item");
    assert_eq!(
        item["occurrence_count"].as_n().ok().map(String::as_str),
        Some("3")
    );

    // The next night's backup completes: the page resolves.
    send(&world, "backup-job-completed-efs.json")
        .await
        .expect("delivered");
    let resolve = world.only_alert().await;
    assert_eq!(resolve.event_action(), "resolve");
    assert_eq!(resolve.dedup_key(), dedup);
    assert_eq!(
        resolve.severity(),
        "critical",
        "a resolve carries the severity it was opened with"
    );
    assert_eq!(
        resolve.attributes.get("state").map(String::as_str),
        Some("OK")
    );
    let item = world.ledger_item(&dedup).await.expect("ledger item");
    assert_eq!(attr_s(&item, "notified_action").as_deref(), Some("resolve"));
    assert!(
        item.contains_key("expires_at"),
        "resolved findings expire by TTL"
    );

    // A late copy of the old failure arrives after the resolve: stale, nothing reopens.
    send(&world, "backup-job-failed-efs.json")
        .await
        .expect("delivered");
    assert!(
        world.alerts().await.is_empty(),
        "a stale failure must not reopen"
    );

    assert_eq!(
        world
            .metric_sum(
                "BackupJobs",
                &[("State", "FAILED"), ("ResourceType", "EFS")]
            )
            .await,
        Some(4.0)
    );
    assert_eq!(
        world
            .metric_sum(
                "BackupJobs",
                &[("State", "COMPLETED"), ("ResourceType", "EFS")]
            )
            .await,
        Some(1.0)
    );
    assert_eq!(
        world
            .metric_sum("AlertsPublished", &[("Notification", "trigger")])
            .await,
        Some(1.0)
    );
    assert_eq!(
        world
            .metric_sum("AlertsPublished", &[("Notification", "resolve")])
            .await,
        Some(1.0)
    );
    assert_eq!(world.metric_sum("StaleObservations", &[]).await, Some(1.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_failed_job_state_opens_backup_job_failed_with_its_severity() {
    let world = World::new("job-states").await;
    for (fixture, resource, severity, state, rtype) in [
        (
            "backup-job-aborted-dynamodb.json",
            "arn:aws:dynamodb:eu-west-1:123456789012:table/cochlearis-dev-sessions",
            "critical",
            "ABORTED",
            "DynamoDB",
        ),
        (
            "backup-job-expired-rds.json",
            "arn:aws:rds:eu-west-1:123456789012:db:cochlearis-dev-zitadel",
            "critical",
            "EXPIRED",
            "RDS",
        ),
        (
            "backup-job-partial-s3.json",
            "arn:aws:s3:::cochlearis-dev-zulip-uploads",
            "error",
            "PARTIAL",
            "S3",
        ),
        (
            "backup-job-failed-ebs.json",
            "arn:aws:ec2:eu-west-1:123456789012:volume/vol-0a1b2c3d4e5f60718",
            "error",
            "FAILED",
            "EBS",
        ),
    ] {
        send(&world, fixture).await.expect("delivered");
        let alert = world.only_alert().await;
        assert_eq!(
            alert.dedup_key(),
            key("backup-job-failed", resource),
            "{fixture}"
        );
        assert_eq!(alert.severity(), severity, "{fixture}");
        assert_eq!(alert.event_action(), "trigger", "{fixture}");
        assert_eq!(
            world
                .metric_sum("BackupJobs", &[("State", state), ("ResourceType", rtype)])
                .await,
            Some(1.0),
            "{fixture}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_states_only_write_metrics() {
    let world = World::new("progress").await;
    for fixture in [
        "backup-job-created.json",
        "backup-job-pending-aurora.json",
        "backup-job-running-efs.json",
    ] {
        send(&world, fixture).await.expect("delivered");
    }
    assert!(world.alerts().await.is_empty());
    assert_eq!(
        world
            .metric_sum(
                "BackupJobs",
                &[("State", "CREATED"), ("ResourceType", "Unknown")]
            )
            .await,
        Some(1.0)
    );
    assert_eq!(
        world
            .metric_sum(
                "BackupJobs",
                &[("State", "PENDING"), ("ResourceType", "Aurora")]
            )
            .await,
        Some(1.0)
    );
    assert_eq!(
        world
            .metric_sum(
                "BackupJobs",
                &[("State", "RUNNING"), ("ResourceType", "EFS")]
            )
            .await,
        Some(1.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completed_with_issues_warns_unless_the_message_is_accepted() {
    let world = World::new("issues").await;
    send(&world, "backup-job-completed-with-issues-rds.json")
        .await
        .expect("delivered");
    let alert = world.only_alert().await;
    assert_eq!(alert.check(), "backup-completed-with-issues");
    assert_eq!(alert.severity(), "warning");
    assert_eq!(
        alert.dedup_key(),
        key(
            "backup-completed-with-issues",
            "arn:aws:rds:eu-west-1:123456789012:db:cochlearis-dev-zitadel"
        )
    );

    let mut accepted = World::new("issues-accepted").await;
    accepted.config.suppressions = phoenix_shared::Config::from_lookup(|k| match k {
        "PHOENIX_ALERT_TOPIC_ARN" => Some(accepted.topic_arn.clone()),
        "PHOENIX_FINDINGS_TABLE" => Some(accepted.table.clone()),
        "PHOENIX_SUPPRESSIONS" => Some(r#"["*instance was in state 'modifying'*"]"#.to_owned()),
        _ => None,
    })
    .expect("config")
    .suppressions;
    send(&accepted, "backup-job-completed-with-issues-rds.json")
        .await
        .expect("delivered");
    assert!(
        accepted.alerts().await.is_empty(),
        "an accepted message does not alert"
    );
    assert_eq!(
        accepted
            .metric_sum(
                "FindingsSuppressed",
                &[("Check", "backup-completed-with-issues")]
            )
            .await,
        Some(1.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_failures_open_and_completed_copies_resolve() {
    let world = World::new("copy").await;
    send(&world, "copy-job-running.json")
        .await
        .expect("delivered");
    assert!(
        world.alerts().await.is_empty(),
        "a running copy is only counted"
    );
    send(&world, "copy-job-failed.json")
        .await
        .expect("delivered");
    let alert = world.only_alert().await;
    assert_eq!(
        (alert.check(), alert.severity(), alert.event_action()),
        ("backup-copy-failed", "error", "trigger")
    );
    assert_eq!(alert.dedup_key(), key("backup-copy-failed", EFS));
    send(&world, "copy-job-completed.json")
        .await
        .expect("delivered");
    let resolve = world.only_alert().await;
    assert_eq!(
        (resolve.check(), resolve.event_action()),
        ("backup-copy-failed", "resolve")
    );
    assert_eq!(
        world
            .metric_sum("CopyJobs", &[("State", "FAILED"), ("ResourceType", "EFS")])
            .await,
        Some(1.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_failures_open_and_completed_restores_resolve_and_record_their_duration() {
    let world = World::new("restore").await;
    send(&world, "restore-job-created.json")
        .await
        .expect("delivered");
    send(&world, "restore-job-failed.json")
        .await
        .expect("delivered");
    let alert = world.only_alert().await;
    assert_eq!(
        (alert.check(), alert.severity(), alert.event_action()),
        ("restore-failed", "error", "trigger")
    );
    assert_eq!(alert.dedup_key(), key("restore-failed", EFS));
    send(&world, "restore-job-completed.json")
        .await
        .expect("delivered");
    let resolve = world.only_alert().await;
    assert_eq!(
        (resolve.check(), resolve.event_action()),
        ("restore-failed", "resolve")
    );
    // 10:00:00 to 10:07:30: the environment's measured recovery time for EFS.
    assert_eq!(
        world
            .metric_stat(
                "RestoreJobDurationSeconds",
                &[("ResourceType", "EFS")],
                "Maximum"
            )
            .await,
        Some(450.0)
    );
    assert_eq!(
        world
            .metric_sum(
                "RestoreJobs",
                &[("State", "CREATED"), ("ResourceType", "EFS")]
            )
            .await,
        Some(1.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn degraded_recovery_points_warn_and_clear() {
    let world = World::new("points").await;
    let point =
        "arn:aws:backup:eu-west-1:123456789012:recovery-point:0d2c4b6a-8f1e-4d3c-b5a7-9e1f3d5c7b90";
    send(&world, "recovery-point-expired.json")
        .await
        .expect("delivered");
    let alert = world.only_alert().await;
    assert_eq!(
        (alert.check(), alert.severity()),
        ("recovery-point-degraded", "warning")
    );
    assert_eq!(alert.dedup_key(), key("recovery-point-degraded", point));
    send(&world, "recovery-point-partial.json")
        .await
        .expect("delivered");
    assert!(
        world.alerts().await.is_empty(),
        "same point, still open: no second message"
    );
    send(&world, "recovery-point-deleting.json")
        .await
        .expect("delivered");
    assert_eq!(world.only_alert().await.event_action(), "resolve");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_vaults_and_plans_are_critical() {
    let world = World::new("deleted").await;
    send(&world, "backup-vault-deleted.json")
        .await
        .expect("delivered");
    let vault = world.only_alert().await;
    assert_eq!(
        (vault.check(), vault.severity()),
        ("backup-vault-deleted", "critical")
    );
    assert_eq!(
        vault.dedup_key(),
        key(
            "backup-vault-deleted",
            "arn:aws:backup:eu-west-1:123456789012:backup-vault:cochlearis-dev-backup-vault"
        )
    );
    send(&world, "backup-plan-deleted.json")
        .await
        .expect("delivered");
    let plan = world.only_alert().await;
    assert_eq!(
        (plan.check(), plan.severity()),
        ("backup-plan-deleted", "critical")
    );
    send(&world, "backup-vault-created.json")
        .await
        .expect("delivered");
    send(&world, "backup-plan-modified.json")
        .await
        .expect("delivered");
    assert!(
        world.alerts().await.is_empty(),
        "creation and modification do not alert"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opting_a_required_type_out_of_the_region_is_critical_until_opted_back_in() {
    let world = World::new("optout").await;
    let resource = "arn:aws:backup:eu-west-1:123456789012:region-setting/EFS";
    send(&world, "region-setting-efs-opt-out.json")
        .await
        .expect("delivered");
    let alert = world.only_alert().await;
    assert_eq!(
        (alert.check(), alert.severity()),
        ("backup-region-opt-out", "critical")
    );
    assert_eq!(alert.dedup_key(), key("backup-region-opt-out", resource));
    send(&world, "region-setting-efs-opt-in-irregular.json")
        .await
        .expect("delivered");
    let resolve = world.only_alert().await;
    assert_eq!(
        (resolve.dedup_key(), resolve.event_action()),
        (key("backup-region-opt-out", resource).as_str(), "resolve")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_events_are_ignored_and_unusable_ones_rejected_and_counted() {
    let world = World::new("ignored").await;
    send(&world, "other-source-s3.json")
        .await
        .expect("ignored is not an error");
    send(&world, "recovery-point-index-state-change.json")
        .await
        .expect("ignored is not an error");
    let err = send(&world, "rejected-job-without-state.json")
        .await
        .expect_err("rejected");
    assert_eq!(err.error_type(), "PhoenixGuard.EventRejected");
    let err = send_event(
        &world,
        &Value::String("not an event".to_owned()),
        Timestamp::now(),
    )
    .await
    .expect_err("rejected");
    assert!(err.to_string().contains("a string"), "{err}");
    assert!(world.alerts().await.is_empty());
    assert_eq!(
        world
            .metric_sum("EventsIgnored", &[("Function", "backup-events")])
            .await,
        Some(2.0)
    );
    assert_eq!(
        world
            .metric_sum("EventsRejected", &[("Function", "backup-events")])
            .await,
        Some(2.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finding_still_open_reminds_after_the_configured_hours_and_escalates_at_once() {
    let mut world = World::new("remind").await;
    world.config.remind_after_seconds = 3600;
    let now = Timestamp::now();

    // A partial EFS backup (error) opens the finding...
    let mut event = backup_fixture("backup-job-partial-s3.json");
    event["detail"]["resourceArn"] = Value::String(EFS.to_owned());
    event["detail"]["resourceType"] = Value::String("EFS".to_owned());
    send_event(&world, &event, now).await.expect("delivered");
    let first = world.only_alert().await;
    assert_eq!(
        (first.notification(), first.severity()),
        ("trigger", "error")
    );

    // ...the next night's backup FAILS outright (critical): escalation, same dedup key.
    let mut failed = backup_fixture("backup-job-failed-efs.json");
    failed["time"] = Value::String("2026-11-22T03:41:10Z".to_owned());
    send_event(&world, &failed, now.plus_seconds(60))
        .await
        .expect("delivered");
    let escalated = world.only_alert().await;
    assert_eq!(
        (escalated.notification(), escalated.severity()),
        ("escalation", "critical")
    );
    assert_eq!(escalated.dedup_key(), first.dedup_key());

    // Within the hour it stays quiet; after it, one reminder.
    failed["time"] = Value::String("2026-11-22T03:50:00Z".to_owned());
    send_event(&world, &failed, now.plus_seconds(600))
        .await
        .expect("delivered");
    assert!(world.alerts().await.is_empty());
    failed["time"] = Value::String("2026-11-22T05:00:00Z".to_owned());
    send_event(&world, &failed, now.plus_seconds(2 * 3600))
        .await
        .expect("delivered");
    let reminder = world.only_alert().await;
    assert_eq!(
        (reminder.notification(), reminder.event_action()),
        ("reminder", "trigger")
    );
    assert!(reminder.body["payload"]["custom_details"]["occurrences"].as_i64() >= Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sns_subject_is_short_ascii_and_names_the_finding() {
    // The SQS subscriber receives the `sqs` part; check that the other parts of the very
    // message SNS was given are right by subscribing a second queue without raw delivery.
    let world = World::new("shapes").await;
    let sqs = aws_sdk_sqs::Client::new(&world.sdk);
    let sns = aws_sdk_sns::Client::new(&world.sdk);
    let queue = format!("envelope-{}", world.name);
    let url = sqs
        .create_queue()
        .queue_name(&queue)
        .send()
        .await
        .expect("queue")
        .queue_url
        .expect("url");
    sns.subscribe()
        .topic_arn(&world.topic_arn)
        .protocol("sqs")
        .endpoint(format!("arn:aws:sqs:eu-west-1:123456789012:{queue}"))
        .send()
        .await
        .expect("subscribe");
    send(&world, "backup-vault-deleted.json")
        .await
        .expect("delivered");
    let received = sqs
        .receive_message()
        .queue_url(&url)
        .send()
        .await
        .expect("receive");
    let body: Value = serde_json::from_str(received.messages()[0].body().unwrap_or_default())
        .expect("SNS envelope");
    let subject = body["Subject"].as_str().unwrap_or_default();
    assert_eq!(
        subject,
        format!(
            "ALARM: [critical] backup-vault-deleted: cochlearis-dev-backup-vault ({})",
            world.name
        )
    );
    assert!(subject.len() < 100 && subject.is_ascii());
    let structured: Value =
        serde_json::from_str(body["Message"].as_str().unwrap_or_default()).expect("sqs part");
    assert_eq!(structured["finding"]["check"], "backup-vault-deleted");
    assert!(
        structured["finding"]["remedy"]
            .as_str()
            .unwrap_or_default()
            .contains("vault lock")
    );
}

/// EventBridge delivers at least once and in no promised order. A failed backup, the
/// on-demand re-run that completed an hour later, and a duplicate of the failure, in every
/// order: the finding ends resolved, and it is paged at most once (and then resolved).
/// A newer success that arrives first is remembered, so the older failure is stale.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_order_of_a_failure_its_success_and_a_duplicate_ends_resolved_paged_at_most_once() {
    let mut failed = backup_fixture("backup-job-failed-efs.json");
    failed["time"] = Value::from("2026-11-21T03:41:10Z");
    let mut completed = backup_fixture("backup-job-completed-efs.json");
    completed["time"] = Value::from("2026-11-21T04:45:00Z");
    let unit = [&failed, &completed, &failed];
    let dedup = key("backup-job-failed", EFS);
    for order in phoenix_tests::ORDERS_OF_THREE {
        let world = World::new("orders").await;
        for i in order {
            send_event(&world, unit[i], Timestamp::now())
                .await
                .expect("delivered");
        }
        let alerts = world.alerts().await;
        let actions: Vec<&str> = alerts
            .iter()
            .filter(|a| a.dedup_key() == dedup)
            .map(|a| a.event_action())
            .collect();
        assert!(
            actions.is_empty() || actions == ["trigger", "resolve"],
            "order {order:?}: {actions:?}"
        );
        let item = world
            .ledger_item(&dedup)
            .await
            .expect("the ledger remembers it");
        assert_eq!(
            attr_s(&item, "finding_state").as_deref(),
            Some("resolved"),
            "order {order:?}"
        );
        assert!(
            item.contains_key("expires_at"),
            "order {order:?}: kept with a TTL"
        );
    }
}

/// A failure delivered hours late: first seen and last seen are the event's time, never
/// the time it was processed, and the page says when it was sent as a field of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_failure_is_first_and_last_seen_at_its_own_time() {
    let world = World::new("late").await;
    send_event(
        &world,
        &backup_fixture("backup-job-failed-efs.json"),
        Timestamp::now(),
    )
    .await
    .expect("delivered");
    let alert = world.only_alert().await;
    let finding = &alert.body["finding"];
    assert_eq!(finding["first_seen"], "2026-11-21T03:41:10Z");
    assert_eq!(finding["last_seen"], "2026-11-21T03:41:10Z");
    assert_ne!(finding["notified_at"], "2026-11-21T03:41:10Z");
}
