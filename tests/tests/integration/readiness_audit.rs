//! `readiness-audit` against the emulator, over real HTTP, on the users' own environment
//! (`phoenix_tests::story`): the seeds' dev account scores low with their blocker list as
//! its failing checks, the Phase 1 fixes bring it to 100 and resolve every page, a retry
//! pages nothing twice, and a check that cannot run is unknown, never a pass.
//!
//! The audit reads a whole account (every bucket), so each test has an account of its own.

use aws_sdk_dynamodb::types::AttributeValue;
use phoenix_account::audit::read::Clients;
use phoenix_shared::Timestamp;
use phoenix_tests::account::{s3_client, scheduled_event};
use phoenix_tests::story::{self, Cochlearis};
use phoenix_tests::{Emulator, ReceivedAlert, World};
use serde_json::{Value, json};
use std::collections::BTreeSet;

struct Audited {
    world: World,
    reports: String,
    clients: Clients,
    env: Cochlearis,
}

async fn seeded(label: &str, account: &str) -> Audited {
    let mut world = World::in_account(label, account).await;
    let reports = format!("phoenix-reports-{account}");
    world.config.report_bucket = Some(reports.clone());
    phoenix_tests::account::create_bucket(&world.sdk, &reports, &[], true).await;
    let env = story::seed(&world.sdk, &format!("-{account}")).await;
    let clients = Clients::current(&world.sdk);
    Audited {
        world,
        reports,
        clients,
        env,
    }
}

impl Audited {
    fn event(&self, at: Timestamp) -> Value {
        let mut event = scheduled_event(&at.to_string());
        event["account"] = json!(self.world.account);
        event
    }

    async fn freshness(&self, at: Timestamp) {
        let clients = phoenix_account::freshness::collect::Clients::current(&self.world.sdk);
        backup_freshness::handle(
            &self.world.guard(),
            &clients,
            &self.event(at),
            &format!("fresh-{at}"),
            at,
        )
        .await
        .expect("freshness delivers");
    }

    async fn audit(&self, at: Timestamp, invocation: &str) -> Value {
        readiness_audit::handle(
            &self.world.guard(),
            &self.clients,
            &self.event(at),
            invocation,
            at,
        )
        .await
        .expect("the audit delivers and stores its report")
    }

    fn key(&self, check: &str, resource: &str) -> String {
        format!(
            "phoenix:{}:eu-west-1:{check}:{resource}",
            self.world.account
        )
    }

    async fn report(&self, name: &str) -> String {
        let out = s3_client(&self.world.sdk)
            .get_object()
            .bucket(&self.reports)
            .key(readiness_audit::report_key(&self.world.name, name))
            .send()
            .await
            .expect("stored report");
        String::from_utf8(out.body.collect().await.expect("body").to_vec()).expect("utf-8")
    }
}

/// Makes calls fail in the emulator until [`lift`]; returns the fault's id.
fn inject(fault: Value) -> String {
    let answer = Emulator::shared().control("POST", "/_phoenix/faults", &fault);
    answer["Id"].as_str().expect("fault id").to_owned()
}

fn lift(fault: &str) {
    Emulator::shared().control("DELETE", &format!("/_phoenix/faults/{fault}"), &json!({}));
}

/// (event_action, check, resource) of each alert, sorted.
fn pages(alerts: &[ReceivedAlert]) -> BTreeSet<(String, String, String)> {
    alerts
        .iter()
        .map(|a| {
            (
                a.event_action().to_owned(),
                a.check().to_owned(),
                a.body["finding"]["resource_arn"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect()
}

/// The seeds' blocker list as the audit pages it (each with `action`), and the summary.
fn blockers(
    a: &Audited,
    action: fn(&str, &str) -> (String, String, String),
) -> BTreeSet<(String, String, String)> {
    let zulip = format!("arn:aws:s3:::{}", a.env.zulip_uploads);
    let bookstack = format!("arn:aws:s3:::{}", a.env.bookstack_uploads);
    // A destroy of the stack today: the file system, the database (no final snapshot) and
    // the generated master key are lost.
    let master_key = format!(
        "s3://{}/{}#module.zitadel.random_password.master_key",
        a.env.state_bucket,
        story::STATE_KEY
    );
    let mut out: BTreeSet<_> = [
        ("destroy-would-lose-data", a.env.efs_arn.as_str()),
        ("destroy-would-lose-data", &a.env.rds_arn),
        ("destroy-would-lose-data", &master_key),
        ("bucket-unversioned", zulip.as_str()),
        ("bucket-unversioned", &bookstack),
        ("bucket-version-retention-missing", &zulip),
        ("bucket-version-retention-missing", &bookstack),
        ("rds-deletion-protection-off", &a.env.rds_arn),
        ("backup-vault-unlocked", &a.env.vault_arn),
        ("restore-drill-missing", "restore-drill:EFS"),
    ]
    .into_iter()
    .map(|(check, resource)| action(check, resource))
    .collect();
    out.insert(changed(
        "readiness-score-changed",
        &format!("environment:{}", a.world.name),
    ));
    out
}

/// A record PagerDuty keeps as a change event (an info finding's announcement).
fn changed(check: &str, resource: &str) -> (String, String, String) {
    ("change".to_owned(), check.to_owned(), resource.to_owned())
}

fn triggered(check: &str, resource: &str) -> (String, String, String) {
    ("trigger".to_owned(), check.to_owned(), resource.to_owned())
}

fn resolved(check: &str, resource: &str) -> (String, String, String) {
    ("resolve".to_owned(), check.to_owned(), resource.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seeds_environment_scores_low_and_phase_one_brings_it_to_100() {
    let a = seeded("readiness", "210000000001").await;

    let t0 = Timestamp::now();
    a.freshness(t0).await;
    let first = a.world.alerts().await;
    assert_eq!(
        pages(&first),
        BTreeSet::from([triggered("resource-unprotected", &a.env.efs_arn)])
    );

    let result = a.audit(t0, "audit-1").await;
    assert_eq!(result["score"], 38, "{result:#}");
    let alerts = a.world.alerts().await;
    let score_key = a.key(
        "readiness-score-changed",
        &format!("environment:{}@{}", a.world.name, t0.compact()),
    );
    let summary = alerts
        .iter()
        .find(|x| x.dedup_key() == score_key)
        .expect("the score summary");
    assert_eq!(summary.severity(), "info");
    // A one-off notice leaves the ledger after 30 days; a lasting condition stays until it
    // resolves.
    let expires = |item: Option<std::collections::HashMap<String, AttributeValue>>| {
        item.expect("ledger item")
            .get("expires_at")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse::<i64>().ok())
    };
    let summary_expiry = expires(a.world.ledger_item(&score_key).await).expect("an expiry");
    assert!(
        (summary_expiry - t0.epoch_seconds() - 30 * 86_400).abs() < 600,
        "{summary_expiry}"
    );
    let lasting = a.key(
        "bucket-unversioned",
        &format!("arn:aws:s3:::{}", a.env.zulip_uploads),
    );
    assert_eq!(expires(a.world.ledger_item(&lasting).await), None);
    assert!(
        summary.body["payload"]["summary"]
            .as_str()
            .unwrap()
            .contains("is 38 (first audit)")
    );
    // The seeds' blockers, each paged once; the EFS was paged by backup-freshness already.
    assert_eq!(pages(&alerts), blockers(&a, triggered), "{alerts:#?}");
    let unversioned = alerts
        .iter()
        .find(|x| x.check() == "bucket-unversioned")
        .unwrap();
    assert_eq!(unversioned.severity(), "critical");
    assert!(
        unversioned.body["finding"]["remedy"]
            .as_str()
            .unwrap()
            .contains("put-bucket-versioning"),
        "the page carries the fix: {unversioned:#?}"
    );
    assert_eq!(
        a.world
            .metric_stat("PhoenixReadiness", &[], "Maximum")
            .await,
        Some(38.0)
    );
    assert_eq!(
        a.world.metric_sum("DataStoresLostOnDestroy", &[]).await,
        Some(2.0),
        "the file system and the database; the key is not a data store"
    );
    assert_eq!(
        a.world
            .metric_sum("ReadinessChecksFailing", &[("Check", "bucket-unversioned")])
            .await,
        Some(2.0)
    );
    let stored: Value = serde_json::from_str(&a.report("latest.json").await).unwrap();
    assert_eq!(stored["score"], 38);
    let markdown = a.report("latest.md").await;
    assert!(
        markdown.starts_with("# Phoenix readiness: 38 / 100"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| Survives terraform destroy | 10 | 3 / 6 |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| `module.zitadel.module.database.aws_db_instance.main` | RDS | lost: "),
        "every store of the stack with its verdict: {markdown}"
    );
    assert!(
        markdown.contains("cochlearis-dev-zulip-uploads"),
        "{markdown}"
    );

    // The page worth opening: the score, the areas, each failure with its fix, what a
    // destroy would lose; opened in a real browser where the machine has one.
    let html = a.report("latest.html").await;
    assert!(html.contains("class=\"score bad\">38 / 100"), "{html}");
    assert!(html.contains("put-bucket-versioning"), "{html}");
    assert!(html.contains("module.zitadel.module.database.aws_db_instance.main"));
    let page = std::env::temp_dir().join(format!("phoenix-report-{}.html", a.world.name));
    std::fs::write(&page, &html).unwrap();
    let shot = page.with_extension("png");
    match phoenix_tests::browser::open(&page, &shot) {
        Some(dom) => {
            assert!(
                dom.contains("<span id=\"score\" class=\"score bad\">38 / 100</span>"),
                "{dom}"
            );
            assert!(
                dom.contains(&a.env.zulip_uploads),
                "the failing bucket is on the page"
            );
            let png = std::fs::read(&shot).expect("a screenshot");
            assert_eq!(phoenix_tests::browser::png_size(&png), Some((1280, 1800)));
        }
        None => eprintln!("the HTML report's browser check did not run: no chromium here"),
    }

    // Lambda retries the same scheduled event: nothing is paged twice.
    a.audit(t0, "audit-1-retry").await;
    assert_eq!(a.world.alerts().await.len(), 0, "a retry pages nothing");

    let fixes = story::phase_one(&a.world.sdk, &a.env).await;
    assert_eq!(fixes.len(), 7);
    let t1 = t0.plus_seconds(3600);
    a.freshness(t1).await;
    assert_eq!(
        pages(&a.world.alerts().await),
        BTreeSet::from([resolved("resource-unprotected", &a.env.efs_arn)])
    );
    let result = a.audit(t1, "audit-2").await;
    assert_eq!(result["score"], 100, "{result:#}");
    assert_eq!(result["failing"], 0);
    let alerts = a.world.alerts().await;
    assert_eq!(pages(&alerts), blockers(&a, resolved), "{alerts:#?}");
    let rose = alerts
        .iter()
        .find(|x| x.check() == "readiness-score-changed")
        .unwrap();
    assert!(
        rose.body["payload"]["summary"]
            .as_str()
            .unwrap()
            .contains("rose from 38 to 100")
    );
    assert_eq!(
        a.world
            .metric_stat("DataStoresLostOnDestroy", &[], "Minimum")
            .await,
        Some(0.0),
        "after Phase 1 and the gate's fixes a destroy loses nothing"
    );
    let stored: Value = serde_json::from_str(&a.report("latest.json").await).unwrap();
    assert_eq!(stored["score"], 100);
    // The history: the retried first audit once, then the second; the page draws both.
    let history: Value = serde_json::from_str(&a.report("history.json").await).unwrap();
    assert_eq!(
        history["scores"],
        json!([{"at": t0.to_string(), "score": 38}, {"at": t1.to_string(), "score": 100}])
    );
    let html = a.report("latest.html").await;
    assert!(html.contains("class=\"score good\">100 / 100"));
    assert!(html.contains("<polyline"), "{html}");
    let history = s3_client(&a.world.sdk)
        .list_objects_v2()
        .bucket(&a.reports)
        .prefix(readiness_audit::report_key(&a.world.name, "history/"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        history.key_count(),
        Some(2),
        "one history entry per evaluation time"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_that_cannot_run_is_unknown_and_never_a_pass() {
    let a = seeded("readiness-unknown", "210000000002").await;
    story::phase_one(&a.world.sdk, &a.env).await;
    let t0 = Timestamp::now();
    a.freshness(t0).await;
    a.world.alerts().await;
    let result = a.audit(t0, "ok").await;
    assert_eq!(result["score"], 100, "{result:#}");
    a.world.alerts().await;

    // The audit's role may not read one bucket's versioning.
    let bucket = a.env.zulip_uploads.clone();
    let fault = inject(json!({"Service": "s3", "Operation": "GetBucketVersioning",
        "ResourceArn": bucket, "Status": 403, "Code": "AccessDenied", "Message": "Access Denied"}));
    let t1 = t0.plus_seconds(3600);
    let result = a.audit(t1, "denied").await;
    assert_eq!(result["unknown"], 1, "{result:#}");
    assert_eq!(result["score"], 95, "unknown counts as failed: {result:#}");
    let alerts = a.world.alerts().await;
    let unknown = alerts
        .iter()
        .find(|x| x.check() == "readiness-check-unknown")
        .unwrap_or_else(|| panic!("{alerts:#?}"));
    assert_eq!(
        unknown.dedup_key(),
        a.key("readiness-check-unknown", &format!("arn:aws:s3:::{bucket}"))
    );
    assert!(
        unknown.body["payload"]["summary"]
            .as_str()
            .unwrap()
            .contains("AccessDenied")
    );

    lift(&fault);
    let t2 = t1.plus_seconds(3600);
    let result = a.audit(t2, "again").await;
    assert_eq!(result["score"], 100);
    let alerts = a.world.alerts().await;
    assert!(
        alerts
            .iter()
            .any(|x| x.check() == "readiness-check-unknown" && x.event_action() == "resolve"),
        "{alerts:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_cannot_be_published_fails_the_run_and_its_retry_sends_it_once() {
    let a = seeded("readiness-publish", "210000000005").await;
    let t0 = Timestamp::now();
    // SNS refuses every publish to this world's topic.
    let topic = a.world.topic_arn.rsplit(':').next().unwrap().to_owned();
    let fault = inject(
        json!({"Service": "sns", "Operation": "Publish", "ResourceArn": topic,
        "Status": 500, "Code": "InternalError", "Message": "SNS is having a bad day"}),
    );
    let failed =
        readiness_audit::handle(&a.world.guard(), &a.clients, &a.event(t0), "first", t0).await;
    let err = failed.expect_err("an undelivered page fails the invocation");
    assert_eq!(err.error_type(), "PhoenixGuard.AlertNotDelivered", "{err}");
    assert_eq!(a.world.alerts().await.len(), 0);
    let stored = s3_client(&a.world.sdk)
        .get_object()
        .bucket(&a.reports)
        .key(readiness_audit::report_key(&a.world.name, "latest.json"))
        .send()
        .await;
    assert!(
        stored.is_err(),
        "no report is stored before every alert went out"
    );

    // Lambda retries the same event once SNS is back: every page once, the summary too.
    lift(&fault);
    let result = a.audit(t0, "retry").await;
    let alerts = a.world.alerts().await;
    assert_eq!(
        alerts.len(),
        result["alertsSent"].as_u64().unwrap() as usize
    );
    let keys: BTreeSet<&str> = alerts.iter().map(ReceivedAlert::dedup_key).collect();
    assert_eq!(keys.len(), alerts.len(), "no key twice: {alerts:#?}");
    assert!(
        alerts
            .iter()
            .any(|x| x.check() == "readiness-score-changed"),
        "{alerts:#?}"
    );
    assert!(
        alerts.iter().any(|x| x.check() == "resource-unprotected"),
        "{alerts:#?}"
    );
    a.audit(t0, "retry-again").await;
    assert_eq!(
        a.world.alerts().await.len(),
        0,
        "a further retry sends nothing"
    );
}

/// The seeds' risk matrix, last row: with copies outside the region required (the
/// default), Phase 1 still leaves the Zulip EFS to a region outage. The audit pages it
/// once (critical) and keeps the score below 100; the copy rule and its first copy resolve
/// it and the score reaches 100.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_region_outage_is_a_risk_until_the_file_system_is_copied_to_another_region() {
    use phoenix_shared::config::CopyRequirement;
    let mut a = seeded("readiness-copies", "210000000021").await;
    a.world.config.require_copy = CopyRequirement::Region;
    story::phase_one(&a.world.sdk, &a.env).await;
    let t0 = Timestamp::now();
    // The hourly freshness run pages it first.
    a.freshness(t0).await;
    let copy_page = a.key("copy-missing", &a.env.efs_arn);
    let alerts = a.world.alerts().await;
    let paged: Vec<(&str, &str)> = alerts
        .iter()
        .filter(|x| x.check() == "copy-missing")
        .map(|x| (x.dedup_key(), x.severity()))
        .collect();
    assert_eq!(paged, [(copy_page.as_str(), "critical")]);
    // The audit, judging the same, scores it and does not page it again.
    let result = a.audit(t0.plus_seconds(60), "copies-1").await;
    assert_eq!(
        result["failing"],
        1,
        "{result:#}\n{}",
        a.report("latest.md").await
    );
    assert_eq!(
        result["score"], 90,
        "the copies area (10) is the only one failing"
    );
    assert!(
        a.world
            .alerts()
            .await
            .iter()
            .all(|x| x.check() != "copy-missing"),
        "one page per incident"
    );
    let markdown = a.report("latest.md").await;
    assert!(
        markdown.contains("| Copies outside the region or account | 10 | 0 / 1 |"),
        "{markdown}"
    );
    // What a destroy would lose says so too: recoverable, but only inside eu-west-1.
    let outage = format!(
        "but every copy is in eu-west-1, account {}: lost in a region outage",
        a.world.account
    );
    assert!(markdown.contains(&outage), "{markdown}");

    let done = story::cross_region_copy(&a.world.sdk, &a.env).await;
    assert!(done.contains("eu-central-1"), "{done}");
    let result = a.audit(t0.plus_seconds(3600), "copies-2").await;
    assert_eq!(result["score"], 100, "{result:#}");
    assert!(!a.report("latest.md").await.contains("region outage"));
    let resolved: Vec<String> = a
        .world
        .alerts()
        .await
        .iter()
        .filter(|x| x.event_action() == "resolve")
        .map(|x| x.dedup_key().to_owned())
        .collect();
    assert!(resolved.contains(&copy_page), "{resolved:?}");
}
