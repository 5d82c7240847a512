//! Fault injection for every AWS operation each function calls (the operations its
//! `aws-calls.txt` lists), through the emulator: throttling, a 5xx, an answer slower than
//! the attempt timeout, and a dropped connection. Each (operation, fault) runs the
//! function's scenario in an account of its own, with the fault on for that account only,
//! then lifts it and delivers again what failed, as Lambda's retry would. Against the same
//! scenario run without faults, it asserts what a user relies on:
//!
//! * no alert lost: every page of the fault-free run is sent once the fault is gone;
//! * no double page: no dedup key is triggered twice;
//! * never a pass: a run under the fault that is missing a page either failed (so Lambda
//!   retries it) or paged that a check could not run (`*-unknown`);
//! * no hang: every invocation ends within a bound set by the SDK's timeouts.
//!
//! The scenarios use the production retry modes (standard with 3 attempts for the
//! pipeline, adaptive with 8 for the sweeps) with timeouts scaled down (an attempt 2 s, a
//! call 6 s), so that a slow answer costs seconds, not minutes.

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use futures_util::StreamExt;
use phoenix_shared::Timestamp;
use phoenix_shared::metrics::MetricSink;
use phoenix_tests::account::{create_bucket, create_state_bucket, put_object, scheduled_event};
use phoenix_tests::{Emulator, ReceivedAlert, World, fixture, repo_root, story};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The longest any one invocation may take under a fault with the scaled timeouts: a few
/// calls in a row, each given up after [`CALL_TIMEOUT`].
const HANG_BOUND: Duration = Duration::from_secs(40);
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
const CALL_TIMEOUT: Duration = Duration::from_secs(6);
/// How many times a case is run until its operation is reached under the fault.
const REACH_ATTEMPTS: usize = 3;
/// How late a `slow` fault answers: past the attempt timeout.
const SLOW_ANSWER_SECONDS: f64 = 3.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Function {
    BackupEvents,
    ProtectionGuard,
    S3DeletionGuard,
    BackupFreshness,
    ReadinessAudit,
    RestoreValidator,
    SweepDispatcher,
}

impl Function {
    fn name(self) -> &'static str {
        match self {
            Self::BackupEvents => "backup-events",
            Self::ProtectionGuard => "protection-guard",
            Self::S3DeletionGuard => "s3-deletion-guard",
            Self::BackupFreshness => "backup-freshness",
            Self::ReadinessAudit => "readiness-audit",
            Self::RestoreValidator => "restore-validator",
            Self::SweepDispatcher => "sweep-dispatcher",
        }
    }

    fn is_sweep(self) -> bool {
        matches!(self, Self::BackupFreshness | Self::ReadinessAudit)
    }

    /// Where the function's binary writes its metrics (its `EDGE`).
    fn metric_sink(self) -> MetricSink {
        match self {
            Self::BackupEvents => backup_events::EDGE.metric_sink(),
            Self::ProtectionGuard => protection_guard::EDGE.metric_sink(),
            Self::S3DeletionGuard => s3_deletion_guard::EDGE.metric_sink(),
            Self::BackupFreshness => backup_freshness::EDGE.metric_sink(),
            Self::ReadinessAudit => readiness_audit::EDGE.metric_sink(),
            Self::RestoreValidator => restore_validator::EDGE.metric_sink(),
            Self::SweepDispatcher => sweep_dispatcher::EDGE.metric_sink(),
        }
    }

    /// The operations the function runs (`service:Operation`), from its aws-calls.txt.
    fn operations(self) -> Vec<String> {
        let path = repo_root().join(format!("functions/{}/aws-calls.txt", self.name()));
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let mut words = l.split_whitespace();
                let operation = words.next()?;
                (words.next()? != "-").then(|| operation.to_owned())
            })
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Throttled,
    ServerError,
    Slow,
    Dropped,
}

const FAULTS: [Fault; 4] = [
    Fault::Throttled,
    Fault::ServerError,
    Fault::Slow,
    Fault::Dropped,
];

impl Fault {
    /// The emulator's fault for `operation` (`service:Operation`) in `account`. The
    /// emulator names services by their signing name (CloudWatch signs as `monitoring`).
    fn spec(self, operation: &str, account: &str) -> Value {
        let (service, name) = operation.split_once(':').expect("service:Operation");
        let service = signing_name(service);
        let mut spec = json!({"Service": service, "Operation": name, "Account": account});
        let fields = match (self, service) {
            (Self::Throttled, "s3") => {
                json!({"Status": 503, "Code": "SlowDown", "Message": "Please reduce your request rate."})
            }
            (Self::Throttled, _) => {
                json!({"Status": 400, "Code": "ThrottlingException", "Message": "Rate exceeded"})
            }
            (Self::ServerError, "s3") => {
                json!({"Status": 500, "Code": "InternalError", "Message": "We encountered an internal error."})
            }
            (Self::ServerError, _) => {
                json!({"Status": 500, "Code": "InternalFailure", "Message": "The request processing has failed."})
            }
            (Self::Slow, _) => json!({"Kind": "delay", "DelaySeconds": SLOW_ANSWER_SECONDS}),
            (Self::Dropped, _) => json!({"Kind": "drop"}),
        };
        for (k, v) in fields.as_object().unwrap() {
            spec[k] = v.clone();
        }
        spec
    }
}

/// The SDK configuration of a scenario: the world's, with the production retry mode and
/// the scaled-down timeouts.
fn scaled(sdk: &SdkConfig, sweep: bool) -> SdkConfig {
    sdk.to_builder()
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(ATTEMPT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .operation_timeout(CALL_TIMEOUT)
                .build(),
        )
        .retry_config(retries(sweep))
        .build()
}

/// The production retry mode: adaptive for the sweeps, standard for the pipeline.
fn retries(sweep: bool) -> RetryConfig {
    if sweep {
        RetryConfig::adaptive().with_max_attempts(8)
    } else {
        RetryConfig::standard().with_max_attempts(3)
    }
}

/// The SDK configuration of the runs after a fault is lifted: the production timeouts and
/// retries (`phoenix_shared::aws`). Healing is judged as production would see it; under a
/// loaded machine the scaled-down timeouts can fail a call to a healthy emulator, which
/// would read as a fault that outlived its lifting.
fn production(sdk: &SdkConfig, sweep: bool) -> SdkConfig {
    let timeouts = if sweep {
        phoenix_shared::aws::sweep_timeouts()
    } else {
        phoenix_shared::aws::timeouts()
    };
    sdk.to_builder()
        .timeout_config(timeouts)
        .retry_config(retries(sweep))
        .build()
}

/// One function's scenario in one account: the events it is sent and what it needs.
struct Scenario {
    function: Function,
    world: World,
    sdk: SdkConfig,
    /// What the retries after the fault run with (see [`production`]).
    healed: SdkConfig,
    events: Vec<Value>,
    /// Generated ids and the names they stand for.
    aliases: Vec<(String, String)>,
}

static ACCOUNTS: AtomicU64 = AtomicU64::new(0);

/// A fresh account number per scenario (moto tells accounts apart by their credentials).
fn next_account(function: Function) -> String {
    let n = ACCOUNTS.fetch_add(1, Ordering::Relaxed);
    format!("{}{:010}", 40 + function as u64, n)
}

async fn prepare(function: Function) -> Scenario {
    let account = next_account(function);
    let mut world = World::in_account(&format!("faults-{}", function.name()), &account).await;
    let sdk = scaled(&world.sdk, function.is_sweep());
    let healed = production(&world.sdk, function.is_sweep());
    let events = match function {
        Function::BackupEvents => vec![fixture("backup-events", "backup-job-failed-efs.json")],
        Function::ProtectionGuard => {
            protection_guard_resources(&world.sdk, &account).await;
            // CloudTrail records a call in the account it was made in, where the guard
            // reads the resource back: the scenario's account, not the fixtures'.
            PROTECTION_WEAKENINGS
                .iter()
                .map(|n| {
                    let text = fixture("protection-guard", &format!("{n}.json")).to_string();
                    serde_json::from_str(&text.replace("123456789012", &account))
                        .expect("the fixture with the scenario's account")
                })
                .collect()
        }
        Function::S3DeletionGuard => s3_deletion_events(&world, &account).await,
        Function::SweepDispatcher => dispatcher_events(&mut world).await,
        Function::RestoreValidator => {
            // The team's own check of restored file systems, which passes.
            world.config.restore_validators = vec![("EFS".to_owned(), "faults-check".to_owned())];
            Emulator::shared().control(
                "POST",
                "/_phoenix/lambda/answers",
                &json!({"Account": account, "FunctionName": "faults-check",
                        "Payload": {"status": "pass", "message": "marker file present"}}),
            );
            restore_test_events(&world, &account).await
        }
        Function::BackupFreshness | Function::ReadinessAudit => {
            let reports = format!("phoenix-reports-{account}");
            world.config.report_bucket = Some(reports.clone());
            create_bucket(&world.sdk, &reports, &[], true).await;
            // The users' environment with their Phase 1 done (a plan protects the file
            // system, the buckets are versioned with retention), and then a second file
            // system nobody put in a plan.
            let env = story::seed(&world.sdk, &format!("-{account}")).await;
            story::phase_one(&world.sdk, &env).await;
            // Copies outside the region required (the default): the EFS is copied to
            // another region; the other stores below are not (copy-missing pages).
            world.config.require_copy = phoenix_shared::config::CopyRequirement::Region;
            story::cross_region_copy(&world.sdk, &env).await;
            phoenix_tests::account::create_efs(&world.sdk, "faults-scratch", &[]).await;
            // And one in a daily plan whose last backup is two days old: a missed backup.
            let (stale, _) =
                phoenix_tests::account::create_efs(&world.sdk, "faults-stale", &[]).await;
            let plan = phoenix_tests::account::create_plan(
                &world.sdk,
                "faults-daily",
                "cron(0 3 * * ? *)",
                60,
            )
            .await;
            phoenix_tests::account::select(&world.sdk, &plan, "faults-stale", &[&stale]).await;
            // Its rule copies to a vault of the same account and region: whether that vault is
            // air-gapped is read (it is not: copy-missing).
            let local =
                phoenix_tests::account::create_vault(&world.sdk, "faults-local-copies", None).await;
            phoenix_tests::account::add_copy_rule(&world.sdk, &plan, &local).await;
            phoenix_tests::account::backup_job(
                &world.sdk,
                "faults-daily",
                &stale,
                "COMPLETED",
                48.0,
                None,
            )
            .await;
            // A sessions table with its own protections on (the audit reads both), in the
            // daily plan with last night's backup: it adds reads, not pages.
            let table =
                phoenix_tests::account::create_table(&world.sdk, "faults-sessions", true, true)
                    .await;
            phoenix_tests::account::select(&world.sdk, &plan, "faults-tables", &[&table]).await;
            phoenix_tests::account::backup_job(
                &world.sdk,
                "faults-daily",
                &table,
                "COMPLETED",
                2.0,
                None,
            )
            .await;
            // A second stack that holds a backup vault of its own (empty): judging its
            // destroy lists the vault's recovery points.
            phoenix_tests::account::create_vault(&world.sdk, "faults-app-vault", None).await;
            let vault = json!({"version": 4, "serial": 1, "lineage": "faults-app", "resources": [
                {"mode": "managed", "type": "aws_backup_vault", "name": "app",
                 "instances": [{"attributes": {"name": "faults-app-vault", "force_destroy": false}}]}]});
            put_object(
                &world.sdk,
                &env.state_bucket,
                "app/terraform.tfstate",
                &vault.to_string(),
            )
            .await;
            let mut event = scheduled_event(&Timestamp::now().to_string());
            event["account"] = json!(account);
            vec![event]
        }
    };
    let aliases = aliases(&world.sdk).await;
    Scenario {
        function,
        world,
        sdk,
        healed,
        events,
        aliases,
    }
}

/// Names for the ids the emulator generated in this account (file systems by creation
/// token, backup plans by name), so that pages compare across scenarios.
async fn aliases(sdk: &SdkConfig) -> Vec<(String, String)> {
    let mut out = Vec::new();
    // An organization's member accounts (AWS Organizations picks their ids), by name.
    if let Ok(accounts) = aws_sdk_organizations::Client::new(sdk)
        .list_accounts()
        .send()
        .await
    {
        for a in accounts.accounts() {
            if let (Some(id), Some(name)) = (a.id(), a.name()) {
                out.push((id.to_owned(), format!("<account:{name}>")));
            }
        }
    }
    let file_systems = aws_sdk_efs::Client::new(sdk)
        .describe_file_systems()
        .send()
        .await
        .expect("describe file systems");
    for fs in file_systems.file_systems() {
        out.push((
            fs.file_system_id().to_owned(),
            format!("<fs:{}>", fs.creation_token()),
        ));
    }
    let plans = aws_sdk_backup::Client::new(sdk)
        .list_backup_plans()
        .send()
        .await
        .expect("list backup plans");
    for plan in plans.backup_plans_list() {
        if let (Some(id), Some(name)) = (plan.backup_plan_id(), plan.backup_plan_name()) {
            out.push((id.to_owned(), format!("<plan:{name}>")));
        }
    }
    out
}

/// One weakening per kind of resource `protection-guard` confirms, and none of the calls
/// that undo them: a retried weakening delivered after its undoing would rightly change
/// nothing (old news does not undo new news), which is not what this test is about.
const PROTECTION_WEAKENINGS: &[&str] = &[
    "s3-put-bucket-versioning-suspended",
    "s3-delete-bucket-lifecycle",
    "s3-put-object-lock-configuration-shortened",
    "rds-modify-db-instance-deletion-protection-off",
    "rds-modify-db-cluster-retention-lowered",
    "dynamodb-update-continuous-backups-pitr-off",
    "dynamodb-update-table-deletion-protection-off",
    "kms-schedule-key-deletion",
    "secretsmanager-update-secret-new-value",
    "backup-delete-backup-vault",
    "backup-delete-recovery-point",
    "backup-delete-backup-selection",
    "backup-update-backup-plan-weakened",
    "backup-update-region-settings-efs-opt-out",
    "cloudtrail-stop-logging",
    "cloudtrail-put-event-selectors-data-only",
    "events-disable-rule",
    "events-remove-targets",
    "efs-put-backup-policy-disabled",
];

/// What the protection-guard fixtures name, where the emulator lets a scenario create it:
/// the data buckets (S3 names are global: made once, read from every account), and in the
/// scenario's account the vault, the sessions table, the trail and the guard's own rules. The fixtures' KMS key
/// and file system ids are generated by their APIs, so those reads find nothing (see
/// [`UNREACHED`]).
async fn protection_guard_resources(sdk: &SdkConfig, account: &str) {
    static BUCKETS: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    BUCKETS
        .get_or_init(|| async {
            for bucket in [story::ZULIP_UPLOADS, story::BOOKSTACK_UPLOADS] {
                create_bucket(sdk, bucket, &[("phoenix:data", "true")], true).await;
            }
        })
        .await;
    phoenix_tests::account::create_vault(sdk, story::VAULT, None).await;
    phoenix_tests::account::create_guard_rules(sdk, "phoenix-guard").await;
    // The sessions table, with both of its protections already off.
    phoenix_tests::account::create_table(sdk, "cochlearis-dev-sessions", false, false).await;
    let logs = format!("trail-logs-{account}");
    create_bucket(sdk, &logs, &[], false).await;
    let cloudtrail = aws_sdk_cloudtrail::Client::new(sdk);
    cloudtrail
        .create_trail()
        .name("cochlearis-management-trail")
        .s3_bucket_name(logs)
        .send()
        .await
        .expect("create trail");
    cloudtrail
        .start_logging()
        .name("cochlearis-management-trail")
        .send()
        .await
        .expect("start logging");
}

/// Operations a function's code calls that its fault scenario does not reach, and why.
const UNREACHED: &[(&str, &str)] = &[
    (
        "sts:AssumeRole",
        "the scenarios sweep their own account and region; the organization module throttles AssumeRole and sees the target returned to its queue alone",
    ),
    (
        "organizations:ListAccountsForParent@sweep-dispatcher",
        "the scenario selects the whole organization; the organization module lists an OU's accounts",
    ),
    (
        "organizations:ListOrganizationalUnitsForParent@sweep-dispatcher",
        "the scenario selects the whole organization; the organization module lists an OU's accounts",
    ),
    (
        "organizations:ListTagsForResource@sweep-dispatcher",
        "the scenario selects the whole organization; the organization module selects accounts by tag",
    ),
    (
        "rds:DescribeDBClusters@restore-validator",
        "the emulator restores no Aurora cluster (moto models no cluster restore from a backup); the judge's Aurora rule is table-tested",
    ),
    (
        "dynamodb:DescribeTable",
        "the sweeps describe a table only when the scheduled event names no account; EventBridge's always does",
    ),
    (
        "kms:ListResourceTags",
        "the fixtures' key id cannot be created in the emulator (CreateKey picks ids)",
    ),
    (
        "dynamodb:GetItem@protection-guard",
        "an open key finding is re-read only for an encryption-key secret the read finds; the fixtures' secret ARN carries a suffix the emulator cannot create (CreateSecret picks it); the integration tests' protection_guard module covers the re-judging",
    ),
    (
        "elasticfilesystem:DescribeBackupPolicy@protection-guard",
        "the fixtures' file system id cannot be created in the emulator (CreateFileSystem picks ids)",
    ),
];

fn unreached(function: Function, operation: &str) -> bool {
    UNREACHED
        .iter()
        .any(|(op, _)| *op == operation || *op == format!("{operation}@{}", function.name()))
}

/// The dispatcher in an organization of two accounts and two regions: one member's canary
/// arrives from one region only (a page for the other, and one for the central account's
/// other region), then the readiness audit is dispatched (the targets queued, the roll-up of
/// the last round, with one stored report, written).
async fn dispatcher_events(world: &mut World) -> Vec<Value> {
    use phoenix_shared::config::TargetAccounts;
    use phoenix_tests::organization::{
        READER_ROLE, canary_event, create_organization, create_queue,
    };
    let member = create_organization(&world.sdk, &["faults-member"])
        .await
        .remove(0);
    let queue = create_queue(&world.sdk, &format!("audit-{}", world.name)).await;
    let reports = format!("phoenix-reports-{}", world.account);
    create_bucket(&world.sdk, &reports, &[], true).await;
    let report = json!({"account": member, "region": "eu-west-1", "score": 40,
        "evaluatedAt": "2026-11-30T09:00:00Z", "items": []});
    put_object(
        &world.sdk,
        &reports,
        &format!(
            "readiness/{}/accounts/{member}/eu-west-1/latest.json",
            world.name
        ),
        &report.to_string(),
    )
    .await;
    let org = &mut world.config.organization;
    org.accounts = TargetAccounts::Organization;
    org.regions = vec!["eu-west-1".to_owned(), "us-east-1".to_owned()];
    org.reader_role = Some(READER_ROLE.to_owned());
    org.sweep_queues = vec![("readiness-audit".to_owned(), queue)];
    world.config.report_bucket = Some(reports);
    vec![
        canary_event(&member, "us-east-1", "2026-11-30T09:00:00Z"),
        json!({"sweep": "readiness-audit"}),
    ]
}

/// A monthly restore test of a file system, a database, a table and a bucket: the file
/// system comes back empty (a page), the others whole.
async fn restore_test_events(world: &World, account: &str) -> Vec<Value> {
    use phoenix_tests::account::{
        create_efs, create_rds, create_table, create_vault, finish_restore, restore_event,
        restore_testing_plan, run_restore_tests, sized_backup,
    };
    let sdk = &world.sdk;
    create_vault(sdk, "drills", None).await;
    let (efs, _) = create_efs(sdk, "faults-restore-zulip", &[]).await;
    let db = create_rds(sdk, "faults-restore-db", &[]).await;
    let table = create_table(sdk, "faults-restore-sessions", true, true).await;
    let bucket = format!("faults-restore-{account}");
    create_bucket(sdk, &bucket, &[], true).await;
    for resource in [&efs, &db, &table, &format!("arn:aws:s3:::{bucket}")] {
        sized_backup(sdk, "drills", resource, 4096, 3.0).await;
    }
    restore_testing_plan(sdk, "faults_monthly", &["EFS", "RDS", "DynamoDB", "S3"]).await;
    let mut events = Vec::new();
    for job in run_restore_tests(account, "faults_monthly") {
        let seed = if restore_event(sdk, account, &job).await["detail"]["resourceType"] == "EFS" {
            json!({"RestoredSizeBytes": 0})
        } else {
            json!({})
        };
        finish_restore(&job, "COMPLETED", 5.0, seed);
        events.push(restore_event(sdk, account, &job).await);
    }
    events
}

/// An unversioned data bucket losing an object, a Terraform state file whose new version
/// drops the file system the old one had, and the schedule that ends quiet bursts.
async fn s3_deletion_events(world: &World, account: &str) -> Vec<Value> {
    let uploads = format!("uploads-{account}");
    let states = format!("tfstate-{account}");
    create_bucket(&world.sdk, &uploads, &[("phoenix:data", "true")], false).await;
    create_state_bucket(&world.sdk, &states).await;
    let mut deletion = fixture("s3-deletion-guard", "classic-delete-unversioned.json");
    deletion["Records"][0]["s3"]["bucket"]["name"] = json!(uploads);
    deletion["Records"][0]["s3"]["bucket"]["arn"] = json!(format!("arn:aws:s3:::{uploads}"));
    let key = "env:/dev/app/terraform.tfstate";
    let mut version = None;
    for (serial, resources) in [(7, vec![efs_resource()]), (8, vec![])] {
        let body = json!({"version": 4, "serial": serial, "lineage": "fault-matrix",
                          "resources": resources, "outputs": {}});
        version = put_object(&world.sdk, &states, key, &body.to_string()).await;
    }
    let mut written = fixture(
        "s3-deletion-guard",
        "eventbridge-object-created-tfstate.json",
    );
    // The state is in this account: EventBridge names the account the write was made in.
    written["account"] = json!(account);
    written["detail"]["bucket"]["name"] = json!(states);
    written["detail"]["object"]["key"] = json!(key);
    written["detail"]["object"]["version-id"] = json!(version.expect("versioned bucket"));
    // The schedule that lists the bursts gone quiet (none here: it only reads).
    let schedule = phoenix_tests::account::scheduled_event(&Timestamp::now().to_string());
    vec![deletion, written, schedule]
}

fn efs_resource() -> Value {
    json!({"mode": "managed", "type": "aws_efs_file_system", "name": "data",
           "instances": [{"attributes": {"id": "fs-0fa017", "encrypted": true,
           "arn": "arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0fa017"}}]})
}

/// How much later Lambda retries a failed asynchronous invocation (its first retry comes
/// after about a minute; the ledger's claim lease is shorter).
const RETRY_DELAY_SECONDS: i64 = 61;

/// Delivers event `i` once, `later` seconds from now; the handler's result (as text) and
/// how long it took.
async fn deliver(
    s: &Scenario,
    i: usize,
    invocation: &str,
    later: i64,
) -> (Result<(), String>, Duration) {
    deliver_event(s, &s.sdk, &s.events[i], invocation, later).await
}

async fn deliver_event(
    s: &Scenario,
    sdk: &SdkConfig,
    event: &Value,
    invocation: &str,
    later: i64,
) -> (Result<(), String>, Duration) {
    let guard = phoenix_shared::Guard::new(s.world.config.clone(), sdk)
        .with_metric_sink(s.function.metric_sink());
    let now = Timestamp::now().plus_seconds(later);
    let started = Instant::now();
    let result = match s.function {
        Function::BackupEvents => backup_events::handle(&guard, event, invocation, now)
            .await
            .map(drop),
        Function::ProtectionGuard => {
            let clients = protection_guard::confirm::Clients::current(sdk);
            protection_guard::handle(&guard, &clients, event, invocation, now)
                .await
                .map(drop)
        }
        Function::S3DeletionGuard => {
            let clients = s3_deletion_guard::Clients::new(sdk, &s.world.config);
            let at = s3_deletion_guard::Invocation {
                id: invocation,
                account: &s.world.account,
                now,
            };
            s3_deletion_guard::handle(&guard, &clients, event, at)
                .await
                .map(drop)
        }
        Function::BackupFreshness => {
            let clients = phoenix_account::freshness::collect::Clients::current(sdk);
            backup_freshness::handle(&guard, &clients, event, invocation, now)
                .await
                .map(drop)
        }
        Function::ReadinessAudit => {
            let clients = phoenix_account::audit::read::Clients::current(sdk);
            readiness_audit::handle(&guard, &clients, event, invocation, now)
                .await
                .map(drop)
        }
        Function::SweepDispatcher => {
            let clients = sweep_dispatcher::Clients::current(sdk);
            sweep_dispatcher::handle(&guard, &clients, event, &s.world.account, invocation, now)
                .await
                .map(drop)
        }
        Function::RestoreValidator => {
            let clients = restore_validator::Clients::current(sdk);
            restore_validator::handle(&guard, &clients, event, invocation, now)
                .await
                .map(drop)
        }
    };
    (result.map_err(|e| e.to_string()), started.elapsed())
}

/// A page, with what is particular to the scenario's account and world taken out.
type Page = (String, String, String);

fn page(s: &Scenario, alert: &ReceivedAlert) -> Page {
    let general = |text: &str| {
        let mut text = text
            .replace(&s.world.account, "<account>")
            .replace(&s.world.name, "<world>");
        for (id, alias) in &s.aliases {
            text = text.replace(id, alias);
        }
        text
    };
    (
        alert.event_action().to_owned(),
        alert.check().to_owned(),
        general(
            alert.body["finding"]["resource_arn"]
                .as_str()
                .unwrap_or_default(),
        ),
    )
}

fn is_unknown(check: &str) -> bool {
    check.ends_with("-unknown") || check.ends_with("-unreadable")
}

/// What a run of a scenario amounted to.
#[derive(Debug)]
struct Run {
    /// Pages sent while the fault was on.
    during: Vec<Page>,
    /// Pages sent by the deliveries after it was lifted.
    after: Vec<Page>,
    /// Dedup keys triggered, with how often.
    triggered: BTreeMap<String, usize>,
    /// The dedup keys each (check, resource) was triggered under.
    keys: BTreeMap<(String, String), BTreeSet<String>>,
    /// Whether any invocation failed under the fault.
    failed: bool,
    failures: Vec<String>,
    slowest: Duration,
    /// Whether the operation was called while the fault was on.
    faulted_calls: u64,
}

fn calls(account: &str) -> BTreeMap<String, u64> {
    Emulator::shared().calls_in(account)
}

/// The emulator's name for an IAM-style `service:Operation`: the service's signing name
/// (CloudWatch signs as `monitoring`, the tagging API as `tagging`).
fn signing_name(service: &str) -> &str {
    match service {
        "cloudwatch" => "monitoring",
        "tag" => "tagging",
        other => other,
    }
}

fn stat_name(operation: &str) -> String {
    let (service, name) = operation.split_once(':').expect("service:Operation");
    format!("{}.{name}", signing_name(service))
}

/// Runs the scenario with `fault` on `operation` (or none), then as Lambda would go on:
/// a failed delivery is retried, and a sweep runs again on its next schedule.
async fn run(s: &Scenario, fault: Option<(&str, Fault)>) -> Run {
    let before = calls(&s.world.account);
    let fault_id = fault.map(|(operation, kind)| {
        let answer = Emulator::shared().control(
            "POST",
            "/_phoenix/faults",
            &kind.spec(operation, &s.world.account),
        );
        answer["Id"].as_str().unwrap().to_owned()
    });
    let mut failed = Vec::new();
    let mut failures = Vec::new();
    let mut slowest = Duration::ZERO;
    for i in 0..s.events.len() {
        let (result, took) = deliver(s, i, &format!("first-{i}"), 0).await;
        slowest = slowest.max(took);
        if let Err(e) = result {
            failed.push(i);
            failures.push(e);
        }
    }
    let faulted_calls = fault.map_or(0, |(operation, _)| {
        let name = stat_name(operation);
        calls(&s.world.account).get(&name).copied().unwrap_or(0)
            - before.get(&name).copied().unwrap_or(0)
    });
    let during_alerts = s.world.alerts().await;
    if let Some(id) = fault_id {
        Emulator::shared().control("DELETE", &format!("/_phoenix/faults/{id}"), &json!({}));
    }
    // A failed event is delivered again (Lambda's retry); a sweep that ran is run again on
    // its next schedule, an hour on.
    let again: Vec<(usize, i64)> = if s.function.is_sweep() {
        (0..s.events.len())
            .map(|i| (i, if failed.contains(&i) { 0 } else { 3600 }))
            .collect()
    } else {
        failed.iter().map(|i| (*i, 0)).collect()
    };
    for (i, hours_on) in again {
        let mut retry = s.events[i].clone();
        if hours_on > 0 {
            let at = Timestamp::parse(retry["time"].as_str().unwrap()).unwrap();
            retry["time"] = json!(at.plus_seconds(hours_on).to_string());
        }
        let (result, _) = deliver_event(
            s,
            &s.healed,
            &retry,
            &format!("retry-{i}"),
            RETRY_DELAY_SECONDS + hours_on,
        )
        .await;
        if let Err(e) = result {
            panic!(
                "{}: event {i} still fails once {fault:?} is lifted: {e}",
                s.function.name()
            );
        }
    }
    let after_alerts = s.world.alerts().await;
    let mut triggered = BTreeMap::new();
    let mut keys: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for alert in during_alerts.iter().chain(&after_alerts) {
        if alert.event_action() == "trigger" {
            *triggered
                .entry(alert.dedup_key().to_owned())
                .or_insert(0usize) += 1;
            let (_, check, resource) = page(s, alert);
            keys.entry((check, resource))
                .or_default()
                .insert(alert.dedup_key().to_owned());
        }
    }
    Run {
        during: during_alerts.iter().map(|a| page(s, a)).collect(),
        after: after_alerts.iter().map(|a| page(s, a)).collect(),
        triggered,
        keys,
        failed: !failed.is_empty(),
        failures,
        slowest,
        faulted_calls,
    }
}

fn triggers(pages: &[Page]) -> BTreeSet<(String, String)> {
    pages
        .iter()
        .filter(|(action, _, _)| action == "trigger")
        .map(|(_, check, resource)| (check.clone(), resource.clone()))
        .collect()
}

/// The guarantees for one (operation, fault) against the fault-free run; the problems
/// found, if any.
fn judge(
    operation: &str,
    fault: Fault,
    baseline: &BTreeSet<(String, String)>,
    run: &Run,
) -> Vec<String> {
    let mut problems = Vec::new();
    let label = format!("{operation} {fault:?}");
    if std::env::var_os("PHOENIX_FAULTS_DEBUG").is_some() {
        eprintln!(
            "{label}: failures {:?}\n during {:?}\n after {:?}",
            run.failures, run.during, run.after
        );
    }
    if run.faulted_calls == 0 {
        problems.push(format!(
            "{label}: the operation was not called under the fault in {REACH_ATTEMPTS} runs \
             (failures {:?}, pages {:?})",
            run.failures, run.during
        ));
    }
    if run.slowest > HANG_BOUND {
        problems.push(format!("{label}: an invocation took {:?}", run.slowest));
    }
    // A publish that SNS carried out after the client gave up on it is sent again by the
    // SDK's retry and by Lambda's: at-least-once. Each copy has the same dedup key, so
    // PagerDuty folds them into one incident; any other repeat is a double page.
    let ambiguous = operation == "sns:Publish" && fault == Fault::Slow;
    for (key, n) in &run.triggered {
        if *n > 1 && !ambiguous {
            problems.push(format!("{label}: {key} paged {n} times"));
        }
    }

    for (finding, keys) in &run.keys {
        // A finding about an occurrence (`<resource>@<when>`: a score change, a burst) is a
        // new incident each time; any other finding has one key.
        let per_occurrence = keys.iter().any(|k| k.contains('@'));
        if keys.len() > 1 && !per_occurrence {
            problems.push(format!(
                "{label}: {finding:?} paged under {} dedup keys: {keys:?}",
                keys.len()
            ));
        }
    }
    let all: Vec<Page> = run.during.iter().chain(&run.after).cloned().collect();
    let sent = triggers(&all);
    for lost in baseline.difference(&sent) {
        problems.push(format!("{label}: page lost: {lost:?}"));
    }
    let during = triggers(&run.during);
    let missing: Vec<_> = baseline.difference(&during).collect();
    let unknown = during.iter().any(|(check, _)| is_unknown(check));
    if !missing.is_empty() && !run.failed && !unknown {
        problems.push(format!(
            "{label}: passed without {missing:?}, neither failing nor paging a check as unknown"
        ));
    }
    // An unknown paged under the fault is resolved once the check runs again.
    let resolved: BTreeSet<_> = run
        .after
        .iter()
        .filter(|(action, _, _)| action == "resolve")
        .map(|(_, check, resource)| (check.clone(), resource.clone()))
        .collect();
    for (check, resource) in &during {
        let unknown_left = is_unknown(check)
            && !baseline.contains(&(check.clone(), resource.clone()))
            && !resolved.contains(&(check.clone(), resource.clone()));
        if unknown_left && !baseline.iter().any(|(c, _)| is_unknown(c)) {
            problems.push(format!(
                "{label}: {check} on {resource} is still open after the fault was lifted"
            ));
        }
    }
    problems
}

/// The faults the `index`th operation of `function` gets. Every fault for the functions
/// whose scenario is quick; for the others (a scenario reads a whole account, or sends a
/// dozen events) the faults take turns across the operations, so that the whole suite stays
/// within CI's time, and `PHOENIX_FAULTS_FULL=1` (`make faults`) runs every pair.
fn faults_for(function: Function, index: usize) -> Vec<Fault> {
    let quick = matches!(
        function,
        Function::BackupEvents
            | Function::S3DeletionGuard
            | Function::RestoreValidator
            | Function::SweepDispatcher
    );
    if quick || std::env::var_os("PHOENIX_FAULTS_FULL").is_some() {
        FAULTS.to_vec()
    } else {
        vec![FAULTS[index % FAULTS.len()]]
    }
}

/// Every (operation, fault) of `function`, a few scenarios at a time.
async fn matrix(function: Function) {
    let baseline_scenario = prepare(function).await;
    let baseline_run = run(&baseline_scenario, None).await;
    assert!(
        !baseline_run.failed,
        "{}: the fault-free run fails: {:?}",
        function.name(),
        baseline_run.failures
    );
    let baseline = triggers(&baseline_run.during);
    assert!(
        !baseline.is_empty(),
        "{}: the scenario pages nothing",
        function.name()
    );
    assert!(
        triggers(&baseline_run.after).is_empty(),
        "{}: delivering again pages again: {:?}",
        function.name(),
        baseline_run.after
    );
    // A function that prints its metrics (EMF) has no PutMetricData call to fault, and its
    // role no cloudwatch:PutMetricData.
    assert_eq!(
        matches!(function.metric_sink(), MetricSink::Emf),
        !function
            .operations()
            .contains(&"cloudwatch:PutMetricData".to_owned()),
        "{}: its EDGE's emf_metrics and its aws-calls.txt disagree",
        function.name()
    );
    // `PHOENIX_FAULTS_ONLY=kms:DescribeKey,tag:GetResources` narrows a run to those operations.
    let only = std::env::var("PHOENIX_FAULTS_ONLY").unwrap_or_default();
    let operations: Vec<String> = function
        .operations()
        .into_iter()
        .filter(|op| !unreached(function, op))
        .collect();
    let faulted: Vec<&String> = operations
        .iter()
        .filter(|op| only.is_empty() || only.split(',').any(|o| o.trim() == op.as_str()))
        .collect();
    let called = calls(&baseline_scenario.world.account);
    let uncovered: Vec<_> = operations
        .iter()
        .filter(|op| !called.contains_key(&stat_name(op)))
        .collect();
    assert!(
        uncovered.is_empty(),
        "{}: the scenario never calls {uncovered:?}; called: {called:?}",
        function.name()
    );

    let cases: Vec<(String, Fault)> = faulted
        .into_iter()
        .enumerate()
        .flat_map(|(i, op)| {
            faults_for(function, i)
                .into_iter()
                .map(move |f| (op.clone(), f))
        })
        .collect();
    let started = Instant::now();
    let results: Vec<(String, Fault, Run, usize)> = futures_util::stream::iter(cases)
        .map(|(operation, fault)| async move {
            // A case whose operation is never reached tests nothing: an earlier call
            // failed (under a loaded machine, a call can outlast the scaled-down
            // timeouts), so the sweep judged "unknown" before getting there. It runs again
            // in a fresh account; an operation the code truly no longer reaches stays
            // unreached and fails the judgement below.
            let mut runs = 0;
            loop {
                runs += 1;
                let scenario = prepare(function).await;
                let run = run(&scenario, Some((&operation, fault))).await;
                if run.faulted_calls > 0 || runs == REACH_ATTEMPTS {
                    break (operation, fault, run, runs);
                }
            }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    let mut problems = Vec::new();
    let mut slowest = Duration::ZERO;
    let mut again = Vec::new();
    for (operation, fault, run, runs) in &results {
        slowest = slowest.max(run.slowest);
        problems.extend(judge(operation, *fault, &baseline, run));
        if *runs > 1 {
            again.push(format!("{operation} {fault:?} ({runs} runs)"));
        }
    }
    eprintln!(
        "{}: {} (operation, fault) pairs over {} operations in {:.1?}; slowest invocation under a fault {:.1?}; run again because an earlier call failed first: {again:?}",
        function.name(),
        results.len(),
        operations.len(),
        started.elapsed(),
        slowest
    );
    assert!(
        problems.is_empty(),
        "{}:\n{}",
        function.name(),
        problems.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweep_dispatcher_keeps_its_promises_under_every_fault() {
    matrix(Function::SweepDispatcher).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_events_keeps_its_promises_under_every_fault() {
    matrix(Function::BackupEvents).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protection_guard_keeps_its_promises_under_every_fault() {
    matrix(Function::ProtectionGuard).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_deletion_guard_keeps_its_promises_under_every_fault() {
    matrix(Function::S3DeletionGuard).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_freshness_keeps_its_promises_under_every_fault() {
    matrix(Function::BackupFreshness).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_audit_keeps_its_promises_under_every_fault() {
    matrix(Function::ReadinessAudit).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_validator_keeps_its_promises_under_every_fault() {
    matrix(Function::RestoreValidator).await;
}
