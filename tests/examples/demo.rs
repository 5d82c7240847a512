//! `make demo`: the users' story from `../shared/seeds/`, against a local AWS emulator, with
//! every function run as a real Lambda binary under `cargo lambda watch`.
//!
//! 1. Today: the seeds' dev environment (Zulip's EFS in no backup plan, upload buckets
//!    without versioning, Zitadel's RDS without deletion protection, an unlocked vault, no
//!    restore drill). `backup-freshness` and `readiness-audit` run on their schedules: the
//!    pages, a low score whose failing checks are the seeds' blocker list, and what
//!    `phoenix verify --pre-destroy --state` says a destroy of the stack would lose (the
//!    file system, the database, the generated master key): refused.
//! 2. Data lost for good: a file deleted from BookStack's unversioned uploads bucket, and a
//!    `terraform destroy -target` seen in a new version of the state file
//!    (`s3-deletion-guard`).
//! 3. The seeds' Phase 1 fixes and the ones the gate asked for, applied through the AWS
//!    APIs and the stack's new state: every page resolves and the score is 100; the same
//!    destroy passes.
//! 4. The nights after: AWS Backup events (a failed job delivered twice, a failed copy, a
//!    restore drill, a completed job) through `backup-events`.
//! 5. Someone suspends versioning on Zulip's uploads bucket: `protection-guard` pages, and
//!    resolves when it is back.
//! 6. The backup that never happened: another file system's nightly job silently expired;
//!    only the scheduled `backup-freshness` check can notice.
//! 7. The monthly restore test: AWS Backup restores the Zulip EFS, `restore-validator`
//!    proves it whole and on time; a month later the restore comes back empty and pages.
//! 8. The risk matrix's last row, a region outage: the EFS has no copy in another region
//!    (paged since Phase 1); a copy rule and its first copy resolve it.
//! 9. Production and staging join, each its own AWS account: `sweep-dispatcher` queues one
//!    sweep per account, `backup-freshness` takes them from SQS and reads each member
//!    through its reader role; staging, whose member part is not deployed yet, pages its
//!    missing canary and an unknown (never a pass) until it is. Then prod's events, forwarded
//!    to the central bus: a permanent deletion in prod's uploads is judged in prod (its
//!    bucket read through the reader role), and prod's monthly restore test is validated
//!    and reported to prod's AWS Backup (through the validator role).
//!
//! Prints the alerts, the metrics and the ledger read back from the emulator.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use phoenix_tests::account::{
    backup_job, create_bucket, create_efs, create_plan, create_rds, finish_restore, restore_event,
    run_restore_tests, s3_client, scheduled_event, select, set_versioning,
};
use phoenix_tests::story::{self, Cochlearis};
use phoenix_tests::{Emulator, LambdaWatch, ReceivedAlert, World, attr_s, repo_root};
use serde_json::Value;
use std::path::Path;

const STORY: &[(&str, &str)] = &[
    (
        "03:41  The nightly AWS Backup job for Zulip's EFS file system FAILS",
        "backup-job-failed-efs.json",
    ),
    (
        "03:41  EventBridge delivers the same event a second time (at least once)",
        "backup-job-failed-efs.json",
    ),
    (
        "04:12  The copy of the EFS recovery point to the DR region FAILS",
        "copy-job-failed.json",
    ),
    (
        "10:07  An operator's one-off restore of the EFS data completes in 7.5 minutes",
        "restore-job-completed.json",
    ),
    (
        "03:38  The next night's EFS backup COMPLETES",
        "backup-job-completed-efs.json",
    ),
];

/// Every page the alert topic carried, in order: what its Security Hub subscription received.
static SENT: std::sync::Mutex<Vec<Value>> = std::sync::Mutex::new(Vec::new());

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!(
        "Phoenix Guard demo: the seeds' dev environment, every function as a Lambda binary, a local AWS emulator\n"
    );
    let emulator = Emulator::shared();
    println!("emulator        {}", emulator.endpoint);
    let mut world = World::new("demo").await;
    // The product's default: every required data store needs a copy in another region.
    world.config.require_copy = phoenix_shared::config::CopyRequirement::Region;
    println!("alert topic     {}", world.topic_arn);
    println!(
        "pager queue     {} (subscribed to the topic, raw delivery)",
        world.queue_url
    );
    println!("findings table  {}", world.table);
    println!("environment     {}", world.name);
    create_bucket(&world.sdk, REPORTS, &[], true).await;
    println!("report bucket   s3://{REPORTS}/readiness/{}/", world.name);
    println!("starting the Lambda binaries under `cargo lambda watch`...");
    let mut env = world.lambda_env(&emulator.endpoint);
    env.push(("PHOENIX_REPORT_BUCKET".into(), REPORTS.into()));
    let watch = LambdaWatch::start(&env);

    let cochlearis = today_chapter(&world, &watch).await;
    deletion_chapter(&world, &watch, &cochlearis).await;
    phase_one_chapter(&world, &watch, &cochlearis).await;

    println!("\n== 4. The nights after: AWS Backup events reach backup-events");
    for (step, fixture) in STORY {
        let path = repo_root()
            .join("functions/backup-events/fixtures")
            .join(fixture);
        run_step(&world, &watch, step, "backup-events", &path, false).await;
    }

    protection_chapter(&world, &watch, &cochlearis).await;
    freshness_chapter(&world, &watch).await;
    restore_test_chapter(&world, &watch).await;
    region_outage_chapter(&world, &watch, &cochlearis).await;
    let prod = organization_chapter(&world).await;
    security_hub_chapter(&world, &prod).await;
    // The event-driven binaries printed their metrics as EMF lines; in AWS, CloudWatch Logs
    // extracts them from the log group. Here the harness does.
    watch.deliver_metrics(&world.sdk).await;

    println!(
        "\n== Metrics read back from CloudWatch (namespace {}, Environment={}; the event-driven\n   functions' from their EMF log lines)",
        world.config.metric_namespace, world.name
    );
    for (name, dims, stat, unit) in [
        (
            "BackupJobs",
            vec![("State", "FAILED"), ("ResourceType", "EFS")],
            "Sum",
            "",
        ),
        (
            "BackupJobs",
            vec![("State", "COMPLETED"), ("ResourceType", "EFS")],
            "Sum",
            "",
        ),
        (
            "CopyJobs",
            vec![("State", "FAILED"), ("ResourceType", "EFS")],
            "Sum",
            "",
        ),
        (
            "RestoreJobs",
            vec![("State", "COMPLETED"), ("ResourceType", "EFS")],
            "Sum",
            "",
        ),
        (
            "RestoreJobDurationSeconds",
            vec![("ResourceType", "EFS")],
            "Maximum",
            " s",
        ),
        (
            "RestoreTimeSeconds",
            vec![("ResourceType", "EFS")],
            "Maximum",
            " s",
        ),
        (
            "RestoreValidations",
            vec![("ResourceType", "EFS"), ("Result", "Successful")],
            "Sum",
            "",
        ),
        (
            "RestoreValidations",
            vec![("ResourceType", "EFS"), ("Result", "Failed")],
            "Sum",
            "",
        ),
        ("BackupsMissed", vec![], "Sum", ""),
        (
            "ProtectionViolations",
            vec![("Check", "s3-versioning-suspended")],
            "Sum",
            "",
        ),
        (
            "ObjectsPermanentlyDeleted",
            vec![("Bucket", "cochlearis-dev-bookstack-uploads")],
            "Sum",
            "",
        ),
        ("StateChangesChecked", vec![], "Sum", ""),
        ("PhoenixReadiness", vec![], "Minimum", ""),
        ("PhoenixReadiness", vec![], "Maximum", ""),
        (
            "ReadinessChecksFailing",
            vec![("Check", "bucket-unversioned")],
            "Maximum",
            "",
        ),
        ("ProtectedResourcesDestroyed", vec![], "Sum", ""),
        (
            "Heartbeat",
            vec![("Function", "backup-freshness")],
            "Sum",
            "",
        ),
        (
            "Heartbeat",
            vec![("Function", "readiness-audit")],
            "Sum",
            "",
        ),
        (
            "AlertsPublished",
            vec![("Notification", "trigger")],
            "Sum",
            "",
        ),
        (
            "AlertsPublished",
            vec![("Notification", "resolve")],
            "Sum",
            "",
        ),
    ] {
        let value = world.metric_stat(name, &dims, stat).await;
        let dims: Vec<String> = dims.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let shown = value.map_or_else(|| "no data".to_owned(), |v| format!("{v}{unit}"));
        println!("   {name:<27} {:<36} {stat:<8} {shown}", dims.join(","));
    }

    println!("\n== Findings in the ledger");
    let items = aws_sdk_dynamodb::Client::new(&world.sdk)
        .scan()
        .table_name(&world.table)
        .send()
        .await
        .expect("scan")
        .items
        .unwrap_or_default();
    // Only findings that were ever open: the table also holds s3-deletion-guard's burst
    // tallies and markers, and the times of successes that had nothing to resolve (kept so
    // that an older failure delivered late stays stale).
    let mut rows: Vec<(String, String, String, String)> = items
        .iter()
        .filter(|item| item.contains_key("finding_state") && item.contains_key("severity_name"))
        .map(|item| {
            (
                attr_s(item, "finding_state").unwrap_or_default(),
                attr_s(item, "severity_name").unwrap_or_default(),
                attr_s(item, "finding_check").unwrap_or_default(),
                attr_s(item, "resource_arn").unwrap_or_default(),
            )
        })
        .collect();
    rows.sort();
    for (state, severity, check, resource) in &rows {
        println!("   {state:<9} {severity:<9} {check:<28} {resource}");
    }
    // Info notices (the readiness summaries) are told once; they are not incidents.
    let open: Vec<String> = rows
        .iter()
        .filter(|(state, severity, ..)| state == "open" && severity != "info")
        .map(|(_, severity, check, resource)| format!("{check} ({severity}) on {resource}"))
        .collect();
    println!(
        "\n{} finding(s) still open, not counting info notices{}",
        open.len(),
        if open.is_empty() { "." } else { ":" }
    );
    for finding in &open {
        println!("   {finding}");
    }
}

fn print_alert(alert: &ReceivedAlert) {
    let b = &alert.body;
    let action = alert.event_action();
    let (verb, pagerduty) = match action {
        "resolve" => ("RESOLVE", "event_action=resolve"),
        "change" => ("RECORD", "a change event"),
        _ => ("PAGE", "event_action=trigger"),
    };
    println!(
        "   -> {verb} [{}] {}  ({}; PagerDuty {pagerduty})",
        alert.severity(),
        b["payload"]["summary"].as_str().unwrap_or_default(),
        alert.notification()
    );
    if let Some(console) = b["links"][0]["href"].as_str() {
        println!("      console: {console}");
    }
    println!("      dedup key: {}", alert.dedup_key());
    if action != "resolve" {
        for (label, key) in [("why it matters", "impact"), ("what to do", "remedy")] {
            if let Some(Value::String(text)) = b["finding"].get(key) {
                println!("      {label}: {text}");
            }
        }
    }
    let mut attributes: Vec<String> = alert
        .attributes
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    attributes.sort();
    println!("      SNS attributes: {}", attributes.join(" "));
}

async fn invoke_freshness(world: &World, watch: &LambdaWatch, step: &str) {
    let event = scheduled_event(&phoenix_shared::Timestamp::now().to_string());
    let file =
        std::env::temp_dir().join(format!("phoenix-demo-schedule-{}.json", std::process::id()));
    std::fs::write(&file, event.to_string()).expect("event file");
    run_step(world, watch, step, "backup-freshness", &file, true).await;
}

/// One step of the story: invokes `function` with the event in `path` through the runtime
/// API and prints what reached the pager (and, with `show_response`, the function's answer).
/// Stops the demo when the invocation fails.
async fn run_step(
    world: &World,
    watch: &LambdaWatch,
    step: &str,
    function: &str,
    path: &Path,
    show_response: bool,
) {
    let shown = format!(
        "--data-file {}",
        path.strip_prefix(repo_root()).unwrap_or(path).display()
    );
    println!("\n== {step}\n   cargo lambda invoke {function} {shown}");
    let output = watch.invoke(function, path);
    if !output.status.success() {
        println!(
            "   invocation FAILED:\n{}\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            watch.log()
        );
        std::process::exit(1);
    }
    if show_response {
        println!("   -> {}", String::from_utf8_lossy(&output.stdout).trim());
    }
    let alerts = world.alerts().await;
    if let Ok(mut sent) = SENT.lock() {
        sent.extend(alerts.iter().map(|a| a.body.clone()));
    }
    if alerts.is_empty() {
        println!("   -> no alert (nothing new to tell anyone)");
    }
    for alert in &alerts {
        print_alert(alert);
    }
}

/// Invokes `restore-validator` with the event AWS Backup emits for a restore test's job.
async fn invoke_restore_test(world: &World, watch: &LambdaWatch, job: &str, step: &str) {
    let event = restore_event(&world.sdk, &world.account, job).await;
    let file = std::env::temp_dir().join(format!(
        "phoenix-demo-restore-{}-{job}.json",
        std::process::id()
    ));
    std::fs::write(&file, event.to_string()).expect("event file");
    run_step(world, watch, step, "restore-validator", &file, true).await;
    let out = aws_sdk_backup::Client::new(&world.sdk)
        .describe_restore_job()
        .restore_job_id(job)
        .send()
        .await
        .expect("restore job");
    println!(
        "   AWS Backup's restore job {job}: ValidationStatus {}: {}",
        out.validation_status().map_or("-", |s| s.as_str()),
        out.validation_status_message().unwrap_or("-")
    );
}

/// Restore tests, validated: the seeds' "tested monthly".
async fn restore_test_chapter(world: &World, watch: &LambdaWatch) {
    println!(
        "\n== 7. The monthly restore test ({}, selecting the Zulip EFS)",
        story::DRILL_PLAN
    );
    println!("   AWS Backup restores the newest Zulip EFS recovery point into a new file system,");
    println!("   keeps it for the validation window, and emits Restore Job State Change.");
    let jobs = run_restore_tests(&world.account, story::DRILL_PLAN);
    for job in &jobs {
        finish_restore(job, "COMPLETED", 7.5, serde_json::json!({}));
        invoke_restore_test(
            world,
            watch,
            job,
            "restore-validator: the restored file system against its recovery point, timed",
        )
        .await;
    }
    println!("\n   A month later the same test restores a file system that comes back EMPTY");
    println!("   (a backup that ran against an unmounted path, say): the job itself COMPLETES.");
    for job in run_restore_tests(&world.account, story::DRILL_PLAN) {
        finish_restore(
            &job,
            "COMPLETED",
            6.0,
            serde_json::json!({"RestoredSizeBytes": 6144}),
        );
        invoke_restore_test(
            world,
            watch,
            &job,
            "restore-validator: a COMPLETED restore that did not bring the data back",
        )
        .await;
    }
}

/// The seeds' risk matrix, last row: a region outage.
async fn region_outage_chapter(world: &World, watch: &LambdaWatch, env: &Cochlearis) {
    println!(
        "\n== 8. A region outage (the seeds' risk matrix: \"total loss -> cross-region backup\")"
    );
    println!("   Since Phase 1, backup-freshness has paged that every Zulip EFS backup sits in");
    println!("   eu-west-1 only (copy-missing). The team adds the copy rule:");
    println!("   {}", story::cross_region_copy(&world.sdk, env).await);
    invoke_freshness(world, watch, "Next hourly backup-freshness run").await;
}

/// The backup that never happened, found by the scheduled check.
async fn freshness_chapter(world: &World, watch: &LambdaWatch) {
    println!("\n== 6. The backup that never happened");
    println!("   Seeding through the AWS APIs: an archive EFS file system in a nightly");
    println!(
        "   plan (03:00 UTC, 1 h start window), last backup 31 h ago, last job EXPIRED 7 h ago;"
    );
    println!("   BookStack's RDS database exempt (its own automated backups, 7-day retention)");
    let (efs, id) = create_efs(&world.sdk, "zulip-data", &[("Name", "zulip-data")]).await;
    create_rds(
        &world.sdk,
        "bookstack-db",
        &[
            ("phoenix:backup", "exempt"),
            ("phoenix:reason", "RDS automated backups, 7-day retention"),
        ],
    )
    .await;
    let plan = create_plan(&world.sdk, "zulip-nightly", "cron(0 3 ? * * *)", 60).await;
    select(&world.sdk, &plan, "zulip-efs", &[&efs]).await;
    backup_job(&world.sdk, "zulip-nightly", &efs, "COMPLETED", 31.0, None).await;
    backup_job(
        &world.sdk,
        "zulip-nightly",
        &efs,
        "EXPIRED",
        7.0,
        Some("Backup job expired before it could start: the start window closed"),
    )
    .await;
    println!("   {id}: {efs}");

    invoke_freshness(
        world,
        watch,
        "Hourly backup-freshness run: no event was ever emitted for the missed backup",
    )
    .await;
    println!("\n   The on-call engineer starts an on-demand backup; it completes.");
    backup_job(&world.sdk, "zulip-nightly", &efs, "COMPLETED", 0.1, None).await;
    invoke_freshness(world, watch, "Next hourly backup-freshness run").await;
}

/// Someone weakens destroy-protection: the protection guard pages within the minute, with
/// who did it, and resolves the page when the protection is back.
async fn protection_chapter(world: &World, watch: &LambdaWatch, env: &Cochlearis) {
    let bucket = env.zulip_uploads.as_str();
    println!(
        "\n== 5. Destroy-protection weakened: Zulip's uploads bucket is versioned since Phase 1"
    );
    println!("\n   14:02  alice (platform-admin) suspends versioning on {bucket} to 'save costs'");
    set_versioning(&world.sdk, bucket, false).await;
    let fixtures = repo_root().join("functions/protection-guard/fixtures");
    run_step(
        world,
        watch,
        "14:03  CloudTrail's PutBucketVersioning event reaches protection-guard; it reads the bucket",
        "protection-guard",
        &fixtures.join("s3-put-bucket-versioning-suspended.json"),
        false,
    )
    .await;
    println!("\n   14:09  The on-call engineer runs the remedy from the page: versioning Enabled");
    set_versioning(&world.sdk, bucket, true).await;
    run_step(
        world,
        watch,
        "14:09  CloudTrail's PutBucketVersioning (Enabled) event: the guard confirms and resolves",
        "protection-guard",
        &fixtures.join("s3-put-bucket-versioning-enabled.json"),
        false,
    )
    .await;
}

/// A Terraform state file with Zulip's file system (when given) and Zitadel's master key.
fn state(serial: u64, efs: Option<&str>) -> String {
    let mut resources = vec![serde_json::json!({
        "module": "module.zitadel", "mode": "managed", "type": "random_password", "name": "master_key",
        "instances": [{"schema_version": 3, "attributes": {"id": "none", "length": 32, "result": "demo-master-key-0001"}}]
    })];
    if let Some(arn) = efs {
        resources.push(serde_json::json!({
            "module": "module.efs", "mode": "managed", "type": "aws_efs_file_system", "name": "zulip",
            "instances": [{"attributes": {"id": arn.rsplit('/').next(), "arn": arn, "encrypted": true}}]
        }));
    }
    serde_json::json!({"version": 4, "terraform_version": "1.9.8", "serial": serial,
        "lineage": "3f0c1ad2-6a3e-4b59-9d2f-1a7c5e0b9c11", "outputs": {}, "resources": resources})
    .to_string()
}

async fn put_object(world: &World, bucket: &str, key: &str, body: String) -> Option<String> {
    s3_client(&world.sdk)
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body.into_bytes().into())
        .send()
        .await
        .expect("put object")
        .version_id
}

/// Data deleted for good, and a data store destroyed by a Terraform run.
async fn deletion_chapter(world: &World, watch: &LambdaWatch, env: &Cochlearis) {
    let uploads = env.bookstack_uploads.as_str();
    let states = env.state_bucket.as_str();
    println!(
        "\n== 2. Data lost for good (before Phase 1): BookStack's uploads bucket has no versioning;"
    );
    println!("   the state bucket holds a state with a file system of the staging stack");
    let key = "bookstack/uploads/images/gallery/2026-11/diagram.png";
    put_object(world, uploads, key, "png".to_owned()).await;
    let efs = "arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0a1b2c3d4e5f60718";
    let state_key = "env:/dev/cochlearis/terraform.tfstate";
    put_object(world, states, state_key, state(41, Some(efs))).await;

    println!("\n   15:20  A cleanup script deletes {key}");
    s3_client(&world.sdk)
        .delete_object()
        .bucket(uploads)
        .key(key)
        .send()
        .await
        .expect("delete");
    let fixtures = repo_root().join("functions/s3-deletion-guard/fixtures");
    run_step(
        world,
        watch,
        "15:20  S3's ObjectRemoved:Delete notification (through SNS) reaches s3-deletion-guard",
        "s3-deletion-guard",
        &fixtures.join("classic-sns-wrapped.json"),
        false,
    )
    .await;

    println!("\n   16:05  terraform destroy -target=module.efs writes a new state version");
    let version = put_object(world, states, state_key, state(42, None))
        .await
        .expect("versioned");
    let mut event = phoenix_tests::fixture(
        "s3-deletion-guard",
        "eventbridge-object-created-tfstate.json",
    );
    event["detail"]["object"]["version-id"] = serde_json::json!(version);
    let file = std::env::temp_dir().join(format!("phoenix-demo-state-{}.json", std::process::id()));
    std::fs::write(&file, event.to_string()).expect("event file");
    run_step(
        world,
        watch,
        "16:05  EventBridge's Object Created for the state file: the guard compares it with the previous version",
        "s3-deletion-guard",
        &file,
        true,
    )
    .await;
}

const REPORTS: &str = "phoenix-reports";

/// Invokes a scheduled function with an EventBridge `Scheduled Event` for now.
async fn invoke_scheduled(world: &World, watch: &LambdaWatch, function: &str, step: &str) {
    let event = scheduled_event(&phoenix_shared::Timestamp::now().to_string());
    let file = std::env::temp_dir().join(format!(
        "phoenix-demo-{function}-{}.json",
        std::process::id()
    ));
    std::fs::write(&file, event.to_string()).expect("event file");
    run_step(world, watch, step, function, &file, true).await;
}

/// Runs the `phoenix` command line against the emulator and prints what it printed.
fn phoenix(world: &World, args: &[&str]) {
    let exe = std::env::current_exe().expect("demo executable");
    let binary = exe
        .parent()
        .and_then(|examples| examples.parent())
        .expect("target dir")
        .join("phoenix");
    println!("\n   $ phoenix {}", args.join(" "));
    let mut command = std::process::Command::new(&binary);
    command
        .args(args)
        .env("AWS_ENDPOINT_URL", &Emulator::shared().endpoint)
        .env("AWS_REGION", phoenix_tests::REGION)
        .env("PHOENIX_ENVIRONMENT", &world.name)
        .env("PHOENIX_REQUIRE_COPY", world.config.require_copy.as_str())
        .env("NO_COLOR", "1");
    for (k, v) in world.credential_env() {
        command.env(k, v);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        println!("   | {line}");
    }
    println!("   (exit status {})", output.status.code().unwrap_or(-1));
}

/// The seeds' environment as it is today, seen by the scheduled checks.
async fn today_chapter(world: &World, watch: &LambdaWatch) -> Cochlearis {
    println!("\n== 1. Today: the seeds' dev environment, built through the AWS APIs");
    let env = story::seed(&world.sdk, "").await;
    println!(
        "   Zulip's data on EFS {} in no backup plan (one manual backup, 40 days old,",
        env.efs_id
    );
    println!("     in the unlocked vault {})", story::VAULT);
    println!(
        "   {} and {}: no versioning, no lifecycle rules",
        env.zulip_uploads, env.bookstack_uploads
    );
    println!(
        "   RDS {}: 7-day automated backups (exempt from AWS Backup), deletion protection OFF",
        story::ZITADEL_DB
    );
    println!(
        "   secret {} (phoenix:encryption-key=true)",
        story::MASTER_KEY
    );
    println!(
        "   {} versioned; trail {} logging; Phoenix Guard's EventBridge rules; no restore drill",
        env.state_bucket,
        story::TRAIL
    );
    invoke_scheduled(
        world,
        watch,
        "backup-freshness",
        "Hourly backup-freshness run",
    )
    .await;
    invoke_scheduled(
        world,
        watch,
        "readiness-audit",
        "The readiness audit runs on its schedule",
    )
    .await;
    println!("\n   Before anyone types terraform destroy: the gate on the stack's own state");
    let state = format!("s3://{}/{}", env.state_bucket, story::STATE_KEY);
    phoenix(world, &["verify", "--pre-destroy", "--state", &state]);
    env
}

/// The seeds' Phase 1, then the scheduled checks again.
async fn phase_one_chapter(world: &World, watch: &LambdaWatch, env: &Cochlearis) {
    println!("\n== 3. The team applies the seeds' Phase 1 (through the AWS APIs):");
    for fix in story::phase_one(&world.sdk, env).await {
        println!("   {fix}");
    }
    invoke_scheduled(
        world,
        watch,
        "backup-freshness",
        "Next hourly backup-freshness run",
    )
    .await;
    invoke_scheduled(world, watch, "readiness-audit", "Next readiness audit").await;
    println!("\n   The same destroy, judged again from the stack's new state:");
    let state = format!("s3://{}/{}", env.state_bucket, story::STATE_KEY);
    phoenix(world, &["verify", "--pre-destroy", "--state", &state]);
    let text = stored_report(world, "latest.md").await;
    println!(
        "\n   The stored report, s3://{REPORTS}/{}:",
        readiness_audit::report_key(&world.name, "latest.md")
    );
    for line in String::from_utf8_lossy(&text).lines() {
        println!("   | {line}");
    }
    // The same report as a page to open (tests/screenshot-report takes its picture).
    let html = stored_report(world, "latest.html").await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/phoenix-demo");
    std::fs::create_dir_all(&dir).expect("target/phoenix-demo");
    std::fs::write(dir.join("latest.html"), html).expect("write the HTML report");
    println!(
        "\n   And as one self-contained page, s3://{REPORTS}/{}, saved as target/phoenix-demo/latest.html",
        readiness_audit::report_key(&world.name, "latest.html")
    );
}

/// One of the readiness reports the audit stored, as bytes.
async fn stored_report(world: &World, name: &str) -> Vec<u8> {
    let report = s3_client(&world.sdk)
        .get_object()
        .bucket(REPORTS)
        .key(readiness_audit::report_key(&world.name, name))
        .send()
        .await
        .unwrap_or_else(|e| panic!("stored report {name}: {e:?}"));
    report.body.collect().await.expect("report body").to_vec()
}

/// Writes an event for one step of the story and runs it.
async fn run_event(world: &World, watch: &LambdaWatch, step: &str, function: &str, event: &Value) {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let file = std::env::temp_dir().join(format!(
        "phoenix-demo-{function}-{}-{n}.json",
        std::process::id()
    ));
    std::fs::write(&file, event.to_string()).expect("event file");
    run_step(world, watch, step, function, &file, true).await;
}

/// Production and staging, each an account of the organization, watched from this one;
/// prod's account id.
async fn organization_chapter(world: &World) -> String {
    use phoenix_tests::organization::{
        READER_ROLE, VALIDATOR_ROLE, canary_event, create_organization, create_queue,
        create_reader_role, create_validator_role, drain, sdk_in,
    };
    println!("\n== 9. Production and staging join: one guard for the organization");
    let members = create_organization(&world.sdk, &["cochlearis-prod", "cochlearis-staging"]).await;
    let (prod, staging) = (members[0].clone(), members[1].clone());
    let prod_sdk = sdk_in(&prod).await;
    println!("   AWS Organizations: this account manages prod ({prod}) and staging ({staging}).");
    println!("   prod deployed the phoenix-guard-member module (reader role, forwarding rules,");
    println!("   canary); staging has not yet. prod's Zulip EFS is in no backup plan.");
    create_reader_role(&prod_sdk, &world.account).await;
    create_reader_role(&world.sdk, &world.account).await;
    create_efs(&prod_sdk, "zulip-data-prod", &[("Name", "zulip-data")]).await;
    let queue = create_queue(&world.sdk, &format!("sweeps-{}", world.name)).await;
    let emulator = Emulator::shared();
    let mut env = world.lambda_env(&emulator.endpoint);
    env.extend([
        ("PHOENIX_REPORT_BUCKET".to_owned(), REPORTS.to_owned()),
        (
            "PHOENIX_TARGET_ACCOUNTS".to_owned(),
            "organization".to_owned(),
        ),
        ("PHOENIX_TARGET_REGIONS".to_owned(), "eu-west-1".to_owned()),
        ("PHOENIX_READER_ROLE".to_owned(), READER_ROLE.to_owned()),
        (
            "PHOENIX_VALIDATOR_ROLE".to_owned(),
            VALIDATOR_ROLE.to_owned(),
        ),
        (
            "PHOENIX_SWEEP_QUEUES".to_owned(),
            format!("backup-freshness={queue}"),
        ),
    ]);
    println!(
        "   The guard's functions in organization mode (PHOENIX_TARGET_ACCOUNTS=organization):"
    );
    let watch = LambdaWatch::start(&env);
    let now = phoenix_shared::Timestamp::now();
    run_event(
        world,
        &watch,
        "prod's canary reaches the central bus",
        "sweep-dispatcher",
        &canary_event(&prod, "eu-west-1", &now.to_string()),
    )
    .await;
    let schedule = |n: i64| serde_json::json!({"sweep": "backup-freshness", "time": now.plus_seconds(n * 60).to_string()});
    run_event(
        world,
        &watch,
        "The hourly schedule: sweep-dispatcher queues one sweep per account",
        "sweep-dispatcher",
        &schedule(0),
    )
    .await;
    for batch in drain(&world.sdk, &queue).await {
        run_event(
            world,
            &watch,
            "Lambda's SQS event source hands the batch to backup-freshness",
            "backup-freshness",
            &batch,
        )
        .await;
    }
    println!("\n   staging deploys the member module: its reader role and canary.");
    let staging_sdk = sdk_in(&staging).await;
    create_reader_role(&staging_sdk, &world.account).await;
    let later = now.plus_seconds(30);
    for account in [&prod, &staging] {
        run_event(
            world,
            &watch,
            "A member's canary reaches the central bus",
            "sweep-dispatcher",
            &canary_event(account, "eu-west-1", &later.to_string()),
        )
        .await;
    }
    run_event(
        world,
        &watch,
        "The next schedule",
        "sweep-dispatcher",
        &schedule(1),
    )
    .await;
    for batch in drain(&world.sdk, &queue).await {
        run_event(
            world,
            &watch,
            "backup-freshness sweeps the batch",
            "backup-freshness",
            &batch,
        )
        .await;
    }

    println!("\n   prod's own events, forwarded by its member part to the central bus:");
    let uploads = "cochlearis-prod-zulip-uploads";
    create_bucket(&prod_sdk, uploads, &[("phoenix:data", "true")], false).await;
    let deletion = phoenix_tests::fixture(
        "s3-deletion-guard",
        "eventbridge-object-deleted-permanent.json",
    )
    .to_string()
    .replace("123456789012", &prod)
    .replace("cochlearis-dev-zulip-uploads", uploads);
    run_event(
        world,
        &watch,
        "An object deleted for good from prod's (unversioned) uploads: read in prod",
        "s3-deletion-guard",
        &serde_json::from_str(&deletion).expect("event"),
    )
    .await;
    create_validator_role(&prod_sdk, &world.account).await;
    let (prod_fs, _) = create_efs(&prod_sdk, "zulip-drill-prod", &[]).await;
    phoenix_tests::account::create_vault(&prod_sdk, "prod-drills", None).await;
    phoenix_tests::account::sized_backup(&prod_sdk, "prod-drills", &prod_fs, 1_887_437_312, 20.0)
        .await;
    phoenix_tests::account::restore_testing_plan(&prod_sdk, "prod_monthly", &["EFS"]).await;
    let jobs = phoenix_tests::account::run_restore_tests(&prod, "prod_monthly");
    finish_restore(&jobs[0], "COMPLETED", 6.0, serde_json::json!({}));
    let event = restore_event(&prod_sdk, &prod, &jobs[0]).await;
    run_event(
        world,
        &watch,
        "prod's monthly restore test: judged in prod, the verdict reported to prod's AWS Backup",
        "restore-validator",
        &event,
    )
    .await;
    let verdict = aws_sdk_backup::Client::new(&prod_sdk)
        .describe_restore_job()
        .restore_job_id(&jobs[0])
        .send()
        .await
        .expect("prod's restore job");
    println!(
        "   AWS Backup in prod shows the restore test {}: {}",
        verdict.validation_status().map_or("-", |s| s.as_str()),
        verdict.validation_status_message().unwrap_or_default()
    );
    prod
}

/// Every page of the story, also a Security Hub finding of the account it is about.
async fn security_hub_chapter(world: &World, prod: &str) {
    use aws_sdk_securityhub::types::RecordState;
    use phoenix_tests::organization::{FINDINGS_ROLE, create_findings_role, sdk_in};
    println!("\n== 10. Where the security team looks: AWS Security Hub");
    println!(
        "   With enable_security_hub, security-hub is subscribed to the alert topic. Each page"
    );
    println!("   above is handed to it in the order it was sent, as the subscription would have.");
    println!("   Security Hub is on in dev and in prod, whose member module now has the findings");
    println!("   role; staging still has no member module.");
    let prod_sdk = sdk_in(prod).await;
    create_findings_role(&prod_sdk, &world.account).await;
    let hubs = [
        ("dev (this account)", &world.account, world.sdk.clone()),
        ("prod", &prod.to_owned(), prod_sdk),
    ];
    for (_, _, sdk) in &hubs {
        phoenix_tests::enable_security_hub(sdk).await;
    }
    let sent = SENT.lock().map(|s| s.clone()).unwrap_or_default();
    let emulator = Emulator::shared();
    let mut env = world.lambda_env(&emulator.endpoint);
    env.push(("PHOENIX_FINDINGS_ROLE".into(), FINDINGS_ROLE.into()));
    let watch = LambdaWatch::start(&env);
    let mut refused = std::collections::BTreeMap::<String, usize>::new();
    for body in &sent {
        let event = phoenix_tests::sns_delivery(&world.topic_arn, body);
        let output = watch.invoke_event("security-hub", &event);
        if !output.status.success() {
            let account = body["finding"]["account"]
                .as_str()
                .unwrap_or("?")
                .to_owned();
            *refused.entry(account).or_default() += 1;
        }
    }
    println!("   {} notifications handed over.", sent.len());
    for (who, account, sdk) in &hubs {
        let findings = phoenix_tests::security_hub_findings(sdk).await;
        let active: Vec<_> = findings
            .iter()
            .filter(|f| f.record_state() == Some(&RecordState::Active))
            .collect();
        println!(
            "   Security Hub in {who} {account}: {} findings, {} active, {} archived and resolved",
            findings.len(),
            active.len(),
            findings.len() - active.len()
        );
        for f in active.iter().take(3) {
            println!(
                "     [{}] {}",
                f.severity()
                    .and_then(|s| s.label())
                    .map_or("-", |l| l.as_str()),
                f.title().unwrap_or_default()
            );
        }
    }
    for (account, n) in &refused {
        println!(
            "   {n} finding(s) of {account} not imported: no findings role there; each invocation \
             failed (SecurityHubImportFailures, Account={account}), Lambda retries it, then the \
             dead-letter queue's alarm pages"
        );
    }
}
