//! `backup-freshness` against the emulator, over real HTTP: the account is built through
//! the AWS APIs (EFS, RDS, DynamoDB, AWS Backup plans, selections and jobs), the function
//! evaluates the whole region, and the assertions read what a user sees: the alert on the
//! topic, its dedup key and severity, and the metrics read back from CloudWatch.
//!
//! The function evaluates every resource of a region, so each test has a region of its
//! own (alerts, ledger and metrics stay in the world's region).

use phoenix_account::freshness::collect::Clients;
use phoenix_shared::Timestamp;
use phoenix_tests::account::{
    backup_job, create_efs, create_plan, create_rds, deny, in_region, scheduled_event, select,
};
use phoenix_tests::{ReceivedAlert, World};
use serde_json::Value;

struct Region {
    world: World,
    sdk: aws_config::SdkConfig,
    clients: Clients,
    region: &'static str,
}

async fn region(label: &str, region: &'static str) -> Region {
    let mut world = World::new(label).await;
    world.config.aws_region = Some(region.to_owned());
    let sdk = in_region(&world.sdk, region);
    let clients = Clients::current(&sdk);
    Region {
        world,
        sdk,
        clients,
        region,
    }
}

impl Region {
    fn key(&self, check: &str, resource: &str) -> String {
        format!("phoenix:123456789012:{}:{check}:{resource}", self.region)
    }

    /// One scheduled run, evaluated now.
    async fn run(&self) -> Value {
        static RUN: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let now = Timestamp::now();
        backup_freshness::handle(
            &self.world.guard(),
            &self.clients,
            &scheduled_event(&now.to_string()),
            &format!("freshness-{n}"),
            now,
        )
        .await
        .expect("the run delivers its alerts")
    }

    async fn alerts(&self) -> Vec<ReceivedAlert> {
        let mut alerts = self.world.alerts().await;
        alerts.sort_by(|a, b| a.dedup_key().cmp(b.dedup_key()));
        alerts
    }
}

fn summary(alert: &ReceivedAlert) -> String {
    alert.body["payload"]["summary"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn efs_in_no_plan_pages_unprotected_and_a_selection_resolves_it() {
    let r = region("unprotected", "us-east-2").await;
    let (efs, id) = create_efs(&r.sdk, "zulip-data", &[("Name", "zulip-data")]).await;

    let result = r.run().await;
    assert_eq!(result["unprotected"], 1);
    let alerts = r.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let alert = &alerts[0];
    assert_eq!(alert.event_action(), "trigger");
    assert_eq!(alert.dedup_key(), r.key("resource-unprotected", &efs));
    assert_eq!(alert.severity(), "critical");
    assert!(
        summary(alert).contains(&format!("EFS {id} is not protected by AWS Backup")),
        "{}",
        summary(alert)
    );
    assert_eq!(
        r.world.metric_sum("ResourcesUnprotected", &[]).await,
        Some(1.0)
    );
    assert_eq!(
        r.world
            .metric_sum("Heartbeat", &[("Function", "backup-freshness")])
            .await,
        Some(1.0)
    );

    // The next hourly run changes nothing: no second page.
    r.run().await;
    assert!(r.alerts().await.is_empty());

    // The platform team adds the file system to a daily plan: the page resolves, and a
    // resource awaiting its first scheduled backup is not paged as missed.
    let plan = create_plan(&r.sdk, "zulip-daily", "cron(0 5 ? * * *)", 60).await;
    select(&r.sdk, &plan, "zulip-efs", &[&efs]).await;
    let result = r.run().await;
    assert_eq!(result["unprotected"], 0);
    assert_eq!(result["backupsMissed"], 0);
    let alerts = r.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0].event_action(), "resolve");
    assert_eq!(alerts[0].dedup_key(), r.key("resource-unprotected", &efs));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daily_backup_31_hours_old_pages_missed_with_the_reason_and_a_new_point_resolves_it() {
    let r = region("missed", "us-west-1").await;
    let (efs, id) = create_efs(&r.sdk, "zulip-missed", &[]).await;
    let plan = create_plan(&r.sdk, "nightly", "cron(0 3 ? * * *)", 60).await;
    select(&r.sdk, &plan, "zulip", &[&efs]).await;
    backup_job(&r.sdk, "nightly", &efs, "COMPLETED", 31.0, None).await;
    let expired = backup_job(
        &r.sdk,
        "nightly",
        &efs,
        "EXPIRED",
        7.0,
        Some("Backup job expired before it could start: the start window closed"),
    )
    .await;

    let result = r.run().await;
    assert_eq!(result["backupsMissed"], 1);
    let alerts = r.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let alert = &alerts[0];
    assert_eq!(alert.dedup_key(), r.key("backup-missed", &efs));
    assert_eq!(alert.severity(), "critical");
    let text = summary(alert);
    assert!(
        text.contains(&format!("EFS {id}: last recovery point 31h")),
        "{text}"
    );
    assert!(text.contains("RPO 26h"), "{text}");
    assert!(
        text.contains(&expired) && text.contains("EXPIRED"),
        "{text}"
    );
    assert!(text.contains("start window closed"), "{text}");
    let hours = r
        .world
        .metric_stat(
            "HoursSinceLastRecoveryPoint",
            &[("ResourceType", "EFS"), ("ResourceId", &id)],
            "Maximum",
        )
        .await
        .expect("age metric");
    assert!((30.9..31.2).contains(&hours), "{hours}");

    // A retried or repeated run does not page twice.
    r.run().await;
    assert!(r.alerts().await.is_empty());

    // Tonight's backup completes: resolved.
    backup_job(&r.sdk, "nightly", &efs, "COMPLETED", 0.5, None).await;
    let result = r.run().await;
    assert_eq!(result["backupsMissed"], 0);
    let alerts = r.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0].event_action(), "resolve");
    assert_eq!(alerts[0].dedup_key(), r.key("backup-missed", &efs));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_denied_on_one_resource_is_check_unknown_not_health() {
    let r = region("denied", "us-west-2").await;
    let (readable, _) = create_efs(&r.sdk, "readable", &[]).await;
    let (denied, _) = create_efs(&r.sdk, "denied", &[]).await;
    let plan = create_plan(&r.sdk, "daily", "cron(0 3 ? * * *)", 60).await;
    select(&r.sdk, &plan, "both", &[&readable, &denied]).await;
    backup_job(&r.sdk, "daily", &readable, "COMPLETED", 40.0, None).await;
    backup_job(&r.sdk, "daily", &denied, "COMPLETED", 40.0, None).await;
    deny("backup", "ListRecoveryPointsByResource", &denied);

    let result = r.run().await;
    assert_eq!(result["checksUnknown"], 1);
    assert_eq!(result["backupsMissed"], 1);
    let alerts = r.alerts().await;
    let by_key: Vec<(&str, &str)> = alerts
        .iter()
        .map(|a| (a.dedup_key(), a.severity()))
        .collect();
    let mut want = [
        (r.key("backup-missed", &readable), "critical"),
        (r.key("check-unknown", &denied), "error"),
    ];
    want.sort();
    assert_eq!(
        by_key,
        want.iter()
            .map(|(k, s)| (k.as_str(), *s))
            .collect::<Vec<_>>()
    );
    let unknown = alerts
        .iter()
        .find(|a| a.check() == "check-unknown")
        .expect("unknown alert");
    assert!(
        summary(unknown).contains("AccessDeniedException"),
        "{}",
        summary(unknown)
    );
    assert_eq!(r.world.metric_sum("ChecksUnknown", &[]).await, Some(1.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_and_region_settings_shape_the_verdicts() {
    let r = region("tags", "ca-central-1").await;
    // An RDS instance in no plan, with an RPO tag nobody can read.
    let db = create_rds(&r.sdk, "zitadel-db", &[("phoenix:rpo", "nightly")]).await;
    // A scratch file system exempted without saying why.
    let (scratch, _) = create_efs(&r.sdk, "scratch", &[("phoenix:backup", "exempt")]).await;
    // A file system in a plan, in a region opted out of EFS backups.
    let (opted_out, _) = create_efs(&r.sdk, "opted-out", &[]).await;
    let plan = create_plan(&r.sdk, "daily", "cron(0 3 ? * * *)", 60).await;
    select(&r.sdk, &plan, "efs", &[&opted_out]).await;
    aws_sdk_backup::Client::new(&r.sdk)
        .update_region_settings()
        .resource_type_opt_in_preference("EFS", false)
        .send()
        .await
        .expect("opt out of EFS");

    let result = r.run().await;
    assert_eq!(result["exempt"], 1);
    let alerts = r.alerts().await;
    let mut seen: Vec<(String, &str)> = alerts
        .iter()
        .map(|a| (a.dedup_key().to_owned(), a.severity()))
        .collect();
    seen.sort();
    let mut want = vec![
        (r.key("resource-unprotected", &db), "critical"),
        (r.key("backup-rpo-tag-invalid", &db), "warning"),
        (r.key("backup-exemption-unexplained", &scratch), "warning"),
        (r.key("resource-unprotected", &opted_out), "critical"),
    ];
    want.sort();
    assert_eq!(seen, want);
    let opted = alerts
        .iter()
        .find(|a| a.dedup_key() == r.key("resource-unprotected", &opted_out))
        .expect("opt-out alert");
    assert!(
        summary(opted).contains("opted out of EFS"),
        "{}",
        summary(opted)
    );
}
