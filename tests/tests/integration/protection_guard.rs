//! `protection-guard` against the emulator, over real HTTP: a CloudTrail event claims a
//! weakening, the emulator's state (changed through the same AWS APIs) confirms or
//! contradicts it, and the test reads what a user would see: the page (through an SQS
//! subscriber of the alert topic), its dedup key and severity, and the metrics.

use phoenix_shared::{HandlerError, Timestamp};
use phoenix_tests::account::{self, create_bucket, set_versioning};
use phoenix_tests::{Emulator, ReceivedAlert, World, fixture};
use protection_guard::confirm::Clients;
use protection_guard::{Outcome, handle};
use serde_json::{Value, json};

const ACCT: &str = "123456789012";

fn key(check: &str, resource: &str) -> String {
    format!("phoenix:{ACCT}:eu-west-1:{check}:{resource}")
}

/// A protection-guard fixture with some of its `detail` fields replaced.
fn event(name: &str, patch: &[(&str, Value)]) -> Value {
    let mut event = fixture("protection-guard", &format!("{name}.json"));
    for (pointer, value) in patch {
        *event
            .pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{name} has no {pointer}")) = value.clone();
    }
    event
}

async fn send(world: &World, event: &Value) -> Result<Outcome, HandlerError> {
    static INVOCATION: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = INVOCATION.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    handle(
        &world.guard(),
        &Clients::current(&world.sdk),
        event,
        &format!("pg-{n}"),
        Timestamp::now(),
    )
    .await
}

fn summary(alert: &ReceivedAlert) -> &str {
    alert.body["payload"]["summary"]
        .as_str()
        .unwrap_or_default()
}

/// Sends `event` and expects exactly one page: `dedup` at `severity`, its summary saying
/// `says`.
async fn expect_page(
    world: &World,
    event: &Value,
    dedup: &str,
    severity: &str,
    says: &str,
) -> ReceivedAlert {
    send(world, event).await.expect("delivered");
    let page = world.only_alert().await;
    assert_eq!((page.dedup_key(), page.severity()), (dedup, severity));
    assert!(summary(&page).contains(says), "{}", summary(&page));
    page
}

/// A bucket name of this world (S3 names are global).
fn bucket(world: &World, label: &str) -> String {
    format!("{label}-{}", world.name).to_ascii_lowercase()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspended_versioning_on_a_data_bucket_pages_once_with_who_did_it_and_resolves_when_enabled()
 {
    let world = World::new("pg-versioning").await;
    let uploads = bucket(&world, "zulip-uploads");
    create_bucket(&world.sdk, &uploads, &[("phoenix:data", "true")], true).await;
    set_versioning(&world.sdk, &uploads, false).await;
    let suspended = event(
        "s3-put-bucket-versioning-suspended",
        &[("/detail/requestParameters/bucketName", json!(uploads))],
    );

    send(&world, &suspended).await.expect("delivered");
    let page = world.only_alert().await;
    let dedup = key(
        "s3-versioning-suspended",
        &format!("arn:aws:s3:::{uploads}"),
    );
    assert_eq!(
        (page.event_action(), page.dedup_key(), page.severity()),
        ("trigger", dedup.as_str(), "critical")
    );
    assert!(
        summary(&page).contains(
            "by arn:aws:sts::123456789012:assumed-role/platform-admin/alice from 203.0.113.24"
        ),
        "{}",
        summary(&page)
    );
    assert!(
        summary(&page).contains("confirmed: versioning is Suspended"),
        "{}",
        summary(&page)
    );
    let details = &page.body["payload"]["custom_details"];
    assert_eq!(
        details["userAgent"], "aws-cli/2.15.30 Python/3.11.8 Linux/6.5 exe/x86_64",
        "{details}"
    );
    assert!(
        page.body["payload"]["custom_details"]["remedy"]
            .as_str()
            .unwrap_or_default()
            .contains("Status=Enabled"),
        "{details}"
    );
    assert_eq!(
        world
            .metric_sum(
                "ProtectionViolations",
                &[("Check", "s3-versioning-suspended")]
            )
            .await,
        Some(1.0)
    );

    // EventBridge delivers at least once: the duplicate changes nothing.
    send(&world, &suspended).await.expect("delivered");
    assert!(
        world.alerts().await.is_empty(),
        "a duplicate must not page again"
    );

    // Someone turns versioning back on: the page resolves.
    set_versioning(&world.sdk, &uploads, true).await;
    let enabled = event(
        "s3-put-bucket-versioning-enabled",
        &[("/detail/requestParameters/bucketName", json!(uploads))],
    );
    send(&world, &enabled).await.expect("delivered");
    let resolve = world.only_alert().await;
    assert_eq!(
        (resolve.event_action(), resolve.dedup_key()),
        ("resolve", dedup.as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weakening_already_undone_when_read_is_recorded_at_info_and_a_plain_bucket_pages_at_error()
 {
    let world = World::new("pg-undone").await;
    let uploads = bucket(&world, "bookstack-uploads");
    create_bucket(&world.sdk, &uploads, &[("phoenix:data", "true")], true).await;
    // The event says Suspended, but versioning is Enabled again by the time it is read.
    let suspended = event(
        "s3-put-bucket-versioning-suspended",
        &[("/detail/requestParameters/bucketName", json!(uploads))],
    );
    send(&world, &suspended).await.expect("delivered");
    let record = world.only_alert().await;
    assert_eq!(record.severity(), "info", "{}", summary(&record));
    assert_eq!(
        record.event_action(),
        "change",
        "a record on PagerDuty's timeline, not an incident"
    );
    assert!(
        summary(&record).contains("already undone when checked: versioning is Enabled"),
        "{}",
        summary(&record)
    );
    assert_eq!(
        world
            .metric_sum(
                "ProtectionViolations",
                &[("Check", "s3-versioning-suspended")]
            )
            .await,
        None
    );

    // A bucket nobody marked as data: still a page, at error.
    let logs = bucket(&world, "build-logs");
    create_bucket(&world.sdk, &logs, &[], true).await;
    set_versioning(&world.sdk, &logs, false).await;
    send(
        &world,
        &event(
            "s3-put-bucket-versioning-suspended",
            &[("/detail/requestParameters/bucketName", json!(logs))],
        ),
    )
    .await
    .expect("delivered");
    assert_eq!(world.only_alert().await.severity(), "error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_protection_off_and_backups_disabled_on_the_zitadel_database_page_and_resolve() {
    let world = World::new("pg-rds").await;
    let id = format!("zitadel-{}", world.name);
    let arn = account::create_rds(&world.sdk, &id, &[]).await;
    let rds = aws_sdk_rds::Client::new(&world.sdk);
    rds.modify_db_instance()
        .db_instance_identifier(&id)
        .deletion_protection(false)
        .backup_retention_period(0)
        .apply_immediately(true)
        .send()
        .await
        .expect("modify");

    let off = event(
        "rds-modify-db-instance-deletion-protection-off",
        &[
            ("/detail/requestParameters/dBInstanceIdentifier", json!(id)),
            ("/detail/responseElements/dBInstanceArn", json!(arn)),
        ],
    );
    expect_page(
        &world,
        &off,
        &key("rds-deletion-protection-off", &arn),
        "critical",
        "confirmed: deletion protection is OFF",
    )
    .await;

    let zero = event(
        "rds-modify-db-instance-retention-zero",
        &[("/detail/requestParameters/dBInstanceIdentifier", json!(id))],
    );
    send(&world, &zero).await.expect("delivered");
    let page = world.only_alert().await;
    assert_eq!(page.dedup_key(), key("rds-backup-retention-low", &arn));
    assert!(
        summary(&page).contains("DISABLED automated backups"),
        "{}",
        summary(&page)
    );

    rds.modify_db_instance()
        .db_instance_identifier(&id)
        .deletion_protection(true)
        .apply_immediately(true)
        .send()
        .await
        .expect("modify");
    let on = event(
        "rds-modify-db-instance-deletion-protection-on",
        &[("/detail/requestParameters/dBInstanceIdentifier", json!(id))],
    );
    send(&world, &on).await.expect("delivered");
    let resolve = world.only_alert().await;
    assert_eq!(
        (resolve.event_action(), resolve.dedup_key()),
        ("resolve", key("rds-deletion-protection-off", &arn).as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_buckets_object_lock_retention_shortened_pages_and_a_compliant_one_resolves() {
    let world = World::new("pg-lock").await;
    let name = bucket(&world, "locked-uploads");
    account::create_locked_bucket(&world.sdk, &name, &[("phoenix:data", "true")]).await;
    let arn = format!("arn:aws:s3:::{name}");
    let named = |fixture: &str| {
        event(
            fixture,
            &[
                ("/detail/requestParameters/bucketName", json!(name)),
                (
                    "/detail/requestParameters/Host",
                    json!(format!("{name}.s3.amazonaws.com")),
                ),
            ],
        )
    };
    account::set_default_retention(&world.sdk, &name, "GOVERNANCE", 1).await;
    let page = expect_page(
        &world,
        &named("s3-put-object-lock-configuration-shortened"),
        &key("s3-object-lock-weakened", &arn),
        "critical",
        "Shortened the default Object Lock retention",
    )
    .await;
    assert!(
        summary(&page).contains("confirmed: the default retention is GOVERNANCE 1 days"),
        "{}",
        summary(&page)
    );
    account::set_default_retention(&world.sdk, &name, "COMPLIANCE", 90).await;
    send(
        &world,
        &named("s3-put-object-lock-configuration-compliance"),
    )
    .await
    .expect("delivered");
    let resolve = world.only_alert().await;
    assert_eq!(
        (resolve.event_action(), resolve.dedup_key()),
        ("resolve", key("s3-object-lock-weakened", &arn).as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_losing_point_in_time_recovery_or_deletion_protection_pages_and_resolves() {
    use aws_sdk_dynamodb::types::PointInTimeRecoverySpecification;
    let world = World::new("pg-dynamodb").await;
    let name = format!("sessions-{}", world.name);
    let arn = account::create_table(&world.sdk, &name, true, true).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&world.sdk);
    let pitr = |enabled: bool| {
        dynamodb
            .update_continuous_backups()
            .table_name(&name)
            .point_in_time_recovery_specification(
                PointInTimeRecoverySpecification::builder()
                    .point_in_time_recovery_enabled(enabled)
                    .build()
                    .expect("pitr"),
            )
            .send()
    };
    // Each call later than the one before, as CloudTrail records them.
    let at = |fixture: &str, minute: u32| {
        let time = format!("2026-11-20T11:{minute:02}:00Z");
        event(
            fixture,
            &[
                ("/detail/requestParameters/tableName", json!(name)),
                ("/time", json!(time)),
                ("/detail/eventTime", json!(time)),
                ("/detail/eventID", json!(format!("dynamodb-{minute}"))),
            ],
        )
    };

    // Claimed off while the table still has it on: recorded, nobody paged.
    send(
        &world,
        &at("dynamodb-update-continuous-backups-pitr-off", 1),
    )
    .await
    .expect("delivered");
    assert!(
        world
            .alerts()
            .await
            .iter()
            .all(|a| a.event_action() != "trigger" || a.severity() == "info"),
        "a weakening the read contradicts pages nobody"
    );

    pitr(false).await.expect("disable");
    expect_page(
        &world,
        &at("dynamodb-update-continuous-backups-pitr-off", 2),
        &key("dynamodb-pitr-off", &arn),
        "critical",
        "confirmed: point-in-time recovery is OFF",
    )
    .await;
    pitr(true).await.expect("enable");
    send(&world, &at("dynamodb-update-continuous-backups-pitr-on", 3))
        .await
        .expect("delivered");
    let resolve = world.only_alert().await;
    assert_eq!(
        (resolve.event_action(), resolve.dedup_key()),
        ("resolve", key("dynamodb-pitr-off", &arn).as_str())
    );

    dynamodb
        .update_table()
        .table_name(&name)
        .deletion_protection_enabled(false)
        .send()
        .await
        .expect("unprotect");
    let off = event(
        "dynamodb-update-table-deletion-protection-off",
        &[
            ("/detail/requestParameters/tableName", json!(name)),
            (
                "/detail/responseElements/tableDescription/tableArn",
                json!(arn),
            ),
        ],
    );
    let page = expect_page(
        &world,
        &off,
        &key("dynamodb-deletion-protection-off", &arn),
        "critical",
        "confirmed: deletion protection is OFF",
    )
    .await;
    assert!(
        page.body["finding"]["remedy"]
            .as_str()
            .unwrap_or_default()
            .contains("--deletion-protection-enabled"),
        "{page:#?}"
    );
    // An UpdateTable that changes neither flag is none of the guard's business.
    let billing = event(
        "dynamodb-update-table-billing-only",
        &[("/detail/requestParameters/tableName", json!(name))],
    );
    let outcome = send(&world, &billing).await.expect("delivered");
    assert!(world.alerts().await.is_empty());
    assert!(
        outcome
            .ignored
            .as_deref()
            .is_some_and(|why| why.contains("deletion protection of table")),
        "{outcome:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_scheduled_for_deletion_pages_even_when_the_read_is_denied_and_cancelling_resolves() {
    let world = World::new("pg-kms").await;
    let key_id = account::create_key(&world.sdk, &[]).await;
    let key_arn = format!("arn:aws:kms:eu-west-1:{ACCT}:key/{key_id}");
    let kms = aws_sdk_kms::Client::new(&world.sdk);
    kms.schedule_key_deletion()
        .key_id(&key_id)
        .pending_window_in_days(7)
        .send()
        .await
        .expect("schedule");
    let scheduled = event(
        "kms-schedule-key-deletion",
        &[
            ("/detail/requestParameters/keyId", json!(key_id)),
            ("/detail/responseElements/keyId", json!(key_arn)),
        ],
    );
    expect_page(
        &world,
        &scheduled,
        &key("kms-key-deletion-scheduled", &key_arn),
        "critical",
        "confirmed: key state is PendingDeletion",
    )
    .await;

    // Cancelled and re-enabled: resolved.
    kms.cancel_key_deletion()
        .key_id(&key_id)
        .send()
        .await
        .expect("cancel");
    let cancelled = event(
        "kms-cancel-key-deletion",
        &[
            ("/detail/requestParameters/keyId", json!(key_id)),
            ("/detail/responseElements/keyId", json!(key_arn)),
        ],
    );
    send(&world, &cancelled).await.expect("delivered");
    assert_eq!(world.only_alert().await.event_action(), "resolve");

    // Disabled, and the guard may not read the key: it pages on the event's facts.
    kms.disable_key()
        .key_id(&key_id)
        .send()
        .await
        .expect("disable");
    let fault = account::deny("kms", "DescribeKey", &key_id);
    let disabled = event(
        "kms-disable-key",
        &[
            ("/detail/requestParameters/keyId", json!(key_arn)),
            ("/detail/resources/0/ARN", json!(key_arn)),
        ],
    );
    send(&world, &disabled).await.expect("delivered");
    Emulator::shared().control("DELETE", &format!("/_phoenix/faults/{fault}"), &json!({}));
    let page = world.only_alert().await;
    assert_eq!(
        (page.dedup_key(), page.severity()),
        (key("kms-key-disabled", &key_arn).as_str(), "critical")
    );
    assert!(
        summary(&page).contains("NOT confirmed (DescribeKey failed: AccessDeniedException"),
        "{}",
        summary(&page)
    );
    assert_eq!(
        world
            .metric_sum("ConfirmationsFailed", &[("Check", "kms-key-disabled")])
            .await,
        Some(1.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regenerated_encryption_key_pages_and_an_ordinary_secret_does_not() {
    let world = World::new("pg-secret").await;
    let name = format!("zitadel-master-key-{}", world.name);
    let arn = account::create_secret(
        &world.sdk,
        &name,
        "first-key-material",
        &[("phoenix:encryption-key", "true")],
    )
    .await;
    let secrets = aws_sdk_secretsmanager::Client::new(&world.sdk);
    secrets
        .put_secret_value()
        .secret_id(&arn)
        .secret_string("regenerated-key-material")
        .send()
        .await
        .expect("put");
    let put = event(
        "secretsmanager-put-secret-value",
        &[
            ("/detail/requestParameters/secretId", json!(arn)),
            ("/detail/responseElements/arn", json!(arn)),
        ],
    );
    // The previous version is still kept as AWSPREVIOUS: serious, not yet lost.
    let page = expect_page(
        &world,
        &put,
        &key("encryption-key-regenerated", &arn),
        "error",
        "the previous key is still kept as AWSPREVIOUS",
    )
    .await;
    assert!(
        !page.body.to_string().contains("key-material"),
        "no secret value travels"
    );

    let plain = format!("smtp-password-{}", world.name);
    let plain_arn = account::create_secret(&world.sdk, &plain, "hunter2", &[]).await;
    let put = event(
        "secretsmanager-put-secret-value",
        &[
            ("/detail/requestParameters/secretId", json!(plain_arn)),
            ("/detail/responseElements/arn", json!(plain_arn)),
        ],
    );
    let outcome = send(&world, &put).await.expect("delivered");
    assert!(world.alerts().await.is_empty());
    assert!(
        outcome
            .ignored
            .unwrap_or_default()
            .contains("not an encryption-key secret")
    );
    assert_eq!(
        world
            .metric_sum("EventsIgnored", &[("Function", "protection-guard")])
            .await,
        Some(1.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_vault_is_one_incident_for_protection_guard_and_backup_events() {
    let world = World::new("pg-vault").await;
    let vault = format!("vault-{}", world.name);
    let backup = aws_sdk_backup::Client::new(&world.sdk);
    backup
        .create_backup_vault()
        .backup_vault_name(&vault)
        .send()
        .await
        .expect("vault");
    backup
        .delete_backup_vault()
        .backup_vault_name(&vault)
        .send()
        .await
        .expect("delete");
    send(
        &world,
        &event(
            "backup-delete-backup-vault",
            &[("/detail/requestParameters/backupVaultName", json!(vault))],
        ),
    )
    .await
    .expect("delivered");
    let page = world.only_alert().await;
    let vault_arn = format!("arn:aws:backup:eu-west-1:{ACCT}:backup-vault:{vault}");
    assert_eq!(
        (page.dedup_key(), page.severity()),
        (key("backup-vault-deleted", &vault_arn).as_str(), "critical")
    );

    // AWS Backup's own event about the same deletion arrives later: the same incident.
    let mut backup_event = phoenix_tests::backup_fixture("backup-vault-deleted.json");
    backup_event["resources"] = json!([vault_arn]);
    backup_event["detail"]["backupVaultName"] = json!(vault);
    backup_event["time"] = json!("2026-11-20T10:16:00Z");
    backup_events::handle(&world.guard(), &backup_event, "be-1", Timestamp::now())
        .await
        .expect("delivered");
    assert!(world.alerts().await.is_empty(), "one deletion, one page");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_attempt_is_a_warning_and_an_explained_opt_out_pages_nobody() {
    let world = World::new("pg-denied").await;
    let trail = account::create_trail(
        &world.sdk,
        &format!("trail-{}", world.name).to_ascii_lowercase(),
    )
    .await;
    let mut denied = event(
        "cloudtrail-stop-logging",
        &[("/detail/requestParameters/name", json!(trail))],
    );
    denied["detail"]["errorCode"] = json!("AccessDenied");
    denied["detail"]["errorMessage"] =
        json!("User is not authorized to perform: cloudtrail:StopLogging");
    send(&world, &denied).await.expect("delivered");
    let warning = world.only_alert().await;
    assert_eq!(
        (warning.dedup_key(), warning.severity()),
        (
            key(
                "destructive-call-denied",
                &format!("arn:aws:cloudtrail:eu-west-1:{ACCT}:trail/{trail}")
            )
            .as_str(),
            "warning"
        )
    );
    assert_eq!(
        world.metric_sum("DestructiveCallsDenied", &[]).await,
        Some(1.0)
    );

    // The trail really stops: critical. Started again: resolved.
    let cloudtrail = aws_sdk_cloudtrail::Client::new(&world.sdk);
    cloudtrail
        .stop_logging()
        .name(&trail)
        .send()
        .await
        .expect("stop");
    send(
        &world,
        &event(
            "cloudtrail-stop-logging",
            &[("/detail/requestParameters/name", json!(trail))],
        ),
    )
    .await
    .expect("delivered");
    let page = world.only_alert().await;
    assert_eq!(
        (page.check(), page.severity()),
        ("cloudtrail-stopped", "critical")
    );
    cloudtrail
        .start_logging()
        .name(&trail)
        .send()
        .await
        .expect("start");
    send(
        &world,
        &event(
            "cloudtrail-start-logging",
            &[("/detail/requestParameters/name", json!(trail))],
        ),
    )
    .await
    .expect("delivered");
    assert_eq!(world.only_alert().await.event_action(), "resolve");

    // A scratch database opted out with a reason: nothing pages, the suppression is counted.
    let id = format!("scratch-{}", world.name);
    account::create_rds(
        &world.sdk,
        &id,
        &[
            ("phoenix:protect", "false"),
            ("phoenix:reason", "scratch copy, rebuilt nightly"),
        ],
    )
    .await;
    send(
        &world,
        &event(
            "rds-modify-db-instance-deletion-protection-off",
            &[
                ("/detail/requestParameters/dBInstanceIdentifier", json!(id)),
                ("/detail/responseElements", Value::Null),
            ],
        ),
    )
    .await
    .expect("delivered");
    assert!(world.alerts().await.is_empty());
    assert_eq!(
        world
            .metric_sum(
                "FindingsSuppressed",
                &[("Check", "rds-deletion-protection-off")]
            )
            .await,
        Some(1.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_that_names_no_resource_is_rejected_and_counted() {
    let world = World::new("pg-rejected").await;
    let result = send(&world, &event("rejected-versioning-names-no-bucket", &[])).await;
    match result {
        Err(err @ HandlerError::Rejected(_)) => {
            assert_eq!(err.error_type(), "PhoenixGuard.EventRejected");
            assert!(
                err.to_string()
                    .contains("PutBucketVersioning names no bucket"),
                "{err}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        world
            .metric_sum("EventsRejected", &[("Function", "protection-guard")])
            .await,
        Some(1.0)
    );
    assert!(world.alerts().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_efs_without_automatic_backups_and_a_deleted_recovery_point_page_critical() {
    let world = World::new("pg-efs").await;
    // moto creates file systems with automatic backups off unless asked.
    let (fs_arn, fs_id) =
        account::create_efs(&world.sdk, &format!("zulip-{}", world.name), &[]).await;
    let disabled = event(
        "efs-put-backup-policy-disabled",
        &[("/detail/requestParameters/fileSystemId", json!(fs_id))],
    );
    expect_page(
        &world,
        &disabled,
        &key("efs-automatic-backups-disabled", &fs_arn),
        "critical",
        "confirmed: no automatic backup policy",
    )
    .await;

    // A completed backup of it, then its recovery point deleted through AWS Backup.
    let plan = format!("plan-{}", world.name);
    account::create_plan(&world.sdk, &plan, "cron(0 3 ? * * *)", 60).await;
    account::backup_job(&world.sdk, &plan, &fs_arn, "COMPLETED", 2.0, None).await;
    let backup = aws_sdk_backup::Client::new(&world.sdk);
    let points = backup
        .list_recovery_points_by_resource()
        .resource_arn(&fs_arn)
        .send()
        .await
        .expect("points");
    let point = points.recovery_points()[0].clone();
    let (point_arn, point_vault) = (
        point.recovery_point_arn().unwrap().to_owned(),
        point.backup_vault_name().unwrap().to_owned(),
    );
    let deleted = event(
        "backup-delete-recovery-point",
        &[
            (
                "/detail/requestParameters/backupVaultName",
                json!(point_vault),
            ),
            (
                "/detail/requestParameters/recoveryPointArn",
                json!(point_arn),
            ),
        ],
    );
    // Not deleted yet (say, the vault lock refused it): the read contradicts the event.
    send(&world, &deleted).await.expect("delivered");
    assert_eq!(world.only_alert().await.severity(), "info");
    backup
        .delete_recovery_point()
        .backup_vault_name(&point_vault)
        .recovery_point_arn(&point_arn)
        .send()
        .await
        .expect("delete point");
    let mut later = deleted.clone();
    later["detail"]["eventTime"] = json!("2026-11-20T10:20:00Z");
    send(&world, &later).await.expect("delivered");
    let page = world.only_alert().await;
    assert_eq!(
        (page.dedup_key(), page.severity(), page.notification()),
        (
            key("recovery-point-deleted", &point_arn).as_str(),
            "critical",
            "escalation"
        )
    );
    assert!(
        summary(&page).contains("confirmed: the recovery point no longer exists"),
        "{}",
        summary(&page)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_the_guards_own_rule_is_critical_and_another_rule_is_not_the_guards_business() {
    let mut world = World::new("pg-rule").await;
    world.config.guard_prefix = format!("phoenix-guard-{}", world.name);
    let rule = format!("{}-protection", world.config.guard_prefix);
    let events = aws_sdk_eventbridge::Client::new(&world.sdk);
    events
        .put_rule()
        .name(&rule)
        .schedule_expression("rate(1 hour)")
        .send()
        .await
        .expect("rule");
    events
        .disable_rule()
        .name(&rule)
        .send()
        .await
        .expect("disable");
    send(
        &world,
        &event(
            "events-disable-rule",
            &[("/detail/requestParameters/name", json!(rule))],
        ),
    )
    .await
    .expect("delivered");
    let page = world.only_alert().await;
    assert_eq!(
        (page.check(), page.severity()),
        ("guard-rule-disabled", "critical")
    );
    assert!(
        summary(&page).contains(&format!("confirmed: rule {rule} is DISABLED")),
        "{}",
        summary(&page)
    );

    events
        .enable_rule()
        .name(&rule)
        .send()
        .await
        .expect("enable");
    send(
        &world,
        &event(
            "events-enable-rule",
            &[("/detail/requestParameters/name", json!(rule))],
        ),
    )
    .await
    .expect("delivered");
    assert_eq!(world.only_alert().await.event_action(), "resolve");

    let outcome = send(&world, &event("events-disable-rule-not-the-guards", &[]))
        .await
        .expect("delivered");
    assert!(world.alerts().await.is_empty());
    assert!(
        outcome
            .ignored
            .unwrap_or_default()
            .contains("is not one of Phoenix Guard's")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trail_that_stops_logging_management_writes_blinds_the_guard() {
    use aws_sdk_cloudtrail::types::{EventSelector, ReadWriteType};
    let world = World::new("pg-selectors").await;
    let trail = account::create_trail(
        &world.sdk,
        &format!("sel-{}", world.name).to_ascii_lowercase(),
    )
    .await;
    let cloudtrail = aws_sdk_cloudtrail::Client::new(&world.sdk);
    let selectors = |management: bool, rw: ReadWriteType| {
        EventSelector::builder()
            .include_management_events(management)
            .read_write_type(rw)
            .build()
    };
    cloudtrail
        .put_event_selectors()
        .trail_name(&trail)
        .event_selectors(selectors(false, ReadWriteType::All))
        .send()
        .await
        .expect("selectors");
    let weakened = event(
        "cloudtrail-put-event-selectors-data-only",
        &[("/detail/requestParameters/trailName", json!(trail))],
    );
    send(&world, &weakened).await.expect("delivered");
    let page = world.only_alert().await;
    assert_eq!(
        (page.check(), page.severity()),
        ("cloudtrail-weakened", "critical")
    );
    assert!(
        summary(&page).contains("confirmed: the trail logs, but no longer management write events"),
        "{}",
        summary(&page)
    );

    // Read-only management events only: still blind to the calls that matter.
    cloudtrail
        .put_event_selectors()
        .trail_name(&trail)
        .event_selectors(selectors(true, ReadWriteType::ReadOnly))
        .send()
        .await
        .expect("selectors");
    let mut restoring = weakened.clone();
    restoring["detail"]["requestParameters"]["eventSelectors"] =
        json!([{"readWriteType": "All", "includeManagementEvents": true}]);
    restoring["detail"]["eventTime"] = json!("2026-11-20T10:30:00Z");
    send(&world, &restoring).await.expect("delivered");
    assert!(
        world.alerts().await.is_empty(),
        "the read still shows the trail blind: no resolve"
    );

    cloudtrail
        .put_event_selectors()
        .trail_name(&trail)
        .event_selectors(selectors(true, ReadWriteType::All))
        .send()
        .await
        .expect("selectors");
    restoring["detail"]["eventTime"] = json!("2026-11-20T10:31:00Z");
    send(&world, &restoring).await.expect("delivered");
    assert_eq!(world.only_alert().await.event_action(), "resolve");
}

/// RDS stores identifiers in lower case, CloudTrail keeps the caller's spelling: the page
/// opened by `Zitadel-…` is resolved by the call that spells it `zitadel-…`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_named_in_another_case_is_one_incident_and_its_page_resolves() {
    let world = World::new("pg-rds-case").await;
    let id = format!("zitadel-{}", world.name).to_ascii_lowercase();
    let arn = account::create_rds(&world.sdk, &id, &[]).await;
    let rds = aws_sdk_rds::Client::new(&world.sdk);
    let set_protection = |on: bool| {
        let (rds, id) = (rds.clone(), id.clone());
        async move {
            rds.modify_db_instance()
                .db_instance_identifier(&id)
                .deletion_protection(on)
                .apply_immediately(true)
                .send()
                .await
                .expect("modify");
        }
    };
    set_protection(false).await;
    let typed = format!("Zitadel-{}", &id["zitadel-".len()..]).to_ascii_uppercase();
    let off = event(
        "rds-modify-db-instance-deletion-protection-off",
        &[
            (
                "/detail/requestParameters/dBInstanceIdentifier",
                json!(typed),
            ),
            ("/detail/responseElements", Value::Null),
        ],
    );
    let dedup = key("rds-deletion-protection-off", &arn);
    expect_page(
        &world,
        &off,
        &dedup,
        "critical",
        "deletion protection is OFF",
    )
    .await;

    set_protection(true).await;
    let on = event(
        "rds-modify-db-instance-deletion-protection-on",
        &[("/detail/requestParameters/dBInstanceIdentifier", json!(id))],
    );
    send(&world, &on).await.expect("delivered");
    let resolve = world.only_alert().await;
    assert_eq!(
        (resolve.event_action(), resolve.dedup_key()),
        ("resolve", dedup.as_str())
    );
}

/// A key secret given a new value twice while its page is open: the first new value keeps
/// the original key as AWSPREVIOUS (error), the second pushes it out (escalated, critical).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_regenerated_twice_escalates_to_critical_once_the_original_key_is_gone() {
    let world = World::new("pg-secret-twice").await;
    let name = format!("zitadel-master-key-{}", world.name);
    let arn = account::create_secret(
        &world.sdk,
        &name,
        "original-key-material",
        &[("phoenix:encryption-key", "true")],
    )
    .await;
    let secrets = aws_sdk_secretsmanager::Client::new(&world.sdk);
    let dedup = key("encryption-key-regenerated", &arn);
    let regenerate = |value: &'static str, at: &'static str| {
        let (secrets, arn) = (secrets.clone(), arn.clone());
        async move {
            secrets
                .put_secret_value()
                .secret_id(&arn)
                .secret_string(value)
                .send()
                .await
                .expect("put");
            event(
                "secretsmanager-put-secret-value",
                &[
                    ("/detail/requestParameters/secretId", json!(name_only(&arn))),
                    ("/detail/responseElements/arn", json!(arn)),
                    ("/detail/eventTime", json!(at)),
                ],
            )
        }
    };
    let first = regenerate("second-key-material", "2026-11-20T10:00:00Z").await;
    expect_page(
        &world,
        &first,
        &dedup,
        "error",
        "previous key is still kept",
    )
    .await;

    let second = regenerate("third-key-material", "2026-11-20T11:00:00Z").await;
    send(&world, &second).await.expect("delivered");
    let page = world.only_alert().await;
    assert_eq!(
        (page.notification(), page.dedup_key(), page.severity()),
        ("escalation", dedup.as_str(), "critical")
    );
    assert!(
        summary(&page).contains("no longer kept"),
        "{}",
        summary(&page)
    );
    assert!(
        !page.body.to_string().contains("key-material"),
        "no value travels"
    );

    // A third value changes nothing more: already critical, already told.
    let third = regenerate("fourth-key-material", "2026-11-20T12:00:00Z").await;
    send(&world, &third).await.expect("delivered");
    assert!(world.alerts().await.is_empty());
}

/// The secret's name in an ARN (`…:secret:NAME-AbCdEf` → `NAME`).
fn name_only(arn: &str) -> String {
    let resource = arn.rsplit(":secret:").next().unwrap_or(arn);
    resource
        .rsplit_once('-')
        .map_or(resource, |(name, _)| name)
        .to_owned()
}

/// A weakening, the call that undid it, and a duplicate of the weakening, delivered in every
/// order after the bucket is protected again: nothing stays open and nobody is paged.
/// Then the other way round (restored, weakened again, duplicate; the bucket stays weak):
/// exactly one critical page in every order, never resolved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_order_of_a_weakening_its_undoing_and_a_duplicate_ends_in_the_same_state() {
    let world = World::new("pg-orders").await;
    for (n, order) in phoenix_tests::ORDERS_OF_THREE.iter().enumerate() {
        for weak_at_end in [false, true] {
            let b = bucket(&world, &format!("orders-{n}-{weak_at_end}"));
            create_bucket(&world.sdk, &b, &[("phoenix:data", "true")], true).await;
            set_versioning(&world.sdk, &b, !weak_at_end).await;
            let (weak_time, undo_time) = if weak_at_end {
                ("2026-11-20T11:00:00Z", "2026-11-20T10:00:00Z")
            } else {
                ("2026-11-20T10:00:00Z", "2026-11-20T11:00:00Z")
            };
            let weaken = event(
                "s3-put-bucket-versioning-suspended",
                &[
                    ("/detail/requestParameters/bucketName", json!(b)),
                    ("/detail/eventTime", json!(weak_time)),
                ],
            );
            let undo = event(
                "s3-put-bucket-versioning-enabled",
                &[
                    ("/detail/requestParameters/bucketName", json!(b)),
                    ("/detail/eventTime", json!(undo_time)),
                ],
            );
            let unit = [&weaken, &undo, &weaken];
            for i in order {
                send(&world, unit[*i]).await.expect("delivered");
            }
            let dedup = key("s3-versioning-suspended", &format!("arn:aws:s3:::{b}"));
            let alerts: Vec<ReceivedAlert> = world
                .alerts()
                .await
                .into_iter()
                .filter(|a| a.dedup_key() == dedup)
                .collect();
            let pages: Vec<&ReceivedAlert> = alerts
                .iter()
                .filter(|a| a.event_action() == "trigger" && a.severity() != "info")
                .collect();
            let item = world.ledger_item(&dedup).await;
            let state = item
                .as_ref()
                .and_then(|i| phoenix_tests::attr_s(i, "finding_state"));
            if weak_at_end {
                assert_eq!(pages.len(), 1, "order {order:?}: {alerts:#?}");
                assert_eq!(pages[0].severity(), "critical");
                assert_eq!(state.as_deref(), Some("open"), "order {order:?}");
            } else {
                assert!(pages.is_empty(), "order {order:?}: {alerts:#?}");
                assert_ne!(
                    state.as_deref(),
                    Some("open"),
                    "order {order:?}: {alerts:#?}"
                );
            }
        }
    }
}
