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

/// The seeds' last risk: a region outage. An EFS backed up only in its own region pages
/// `copy-missing`; a copy rule to another region with a failed copy turns it into
/// `copy-stale` with the copy job's message; a completed copy resolves it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_with_no_copy_in_another_region_pages_until_a_copy_completes_there() {
    use phoenix_shared::config::CopyRequirement;
    use phoenix_tests::account::{add_copy_rule, copy_job, create_vault};
    let mut r = region("copies", "ap-southeast-2").await;
    r.world.config.require_copy = CopyRequirement::Region;
    let (efs, _) = create_efs(
        &r.sdk,
        "copies-zulip",
        &[("Name", "copies-zulip"), ("phoenix:copy-metric", "true")],
    )
    .await;
    let plan = create_plan(&r.sdk, "copies-daily", "cron(0 3 * * ? *)", 60).await;
    select(&r.sdk, &plan, "copies-efs", &[&efs]).await;
    backup_job(&r.sdk, "copies-daily", &efs, "COMPLETED", 2.0, None).await;

    r.run().await;
    let alerts = r.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0].check(), "copy-missing");
    assert_eq!(alerts[0].severity(), "critical");
    assert_eq!(alerts[0].dedup_key(), r.key("copy-missing", &efs));
    assert!(
        summary(&alerts[0]).contains("would be lost in a region outage or with its account: no copy in another region (ap-southeast-2, account 123456789012): no rule of its backup plans copies its recovery points anywhere"),
        "{}",
        summary(&alerts[0])
    );

    // A copy to a vault in the same region is no protection against the region's outage.
    let local = "arn:aws:backup:ap-southeast-2:123456789012:backup-vault:copies-daily-vault";
    add_copy_rule(&r.sdk, &plan, local).await;
    r.run().await;
    assert!(r.alerts().await.is_empty(), "still missing: no new page");

    // A rule copying to another region, whose first copy failed: stale, with the reason.
    let dr_sdk = in_region(&r.sdk, "ap-southeast-1");
    create_vault(&dr_sdk, "copies-dr", None).await;
    let dr = "arn:aws:backup:ap-southeast-1:123456789012:backup-vault:copies-dr";
    add_copy_rule(&r.sdk, &plan, dr).await;
    copy_job(
        &r.sdk,
        "copies-daily-vault",
        &efs,
        dr,
        "FAILED",
        1.0,
        Some("Insufficient privileges to perform this action on the destination vault"),
    )
    .await;
    r.run().await;
    let alerts = r.alerts().await;
    let actions: Vec<(&str, &str)> = alerts
        .iter()
        .map(|a| (a.check(), a.event_action()))
        .collect();
    assert_eq!(
        actions,
        [("copy-missing", "resolve"), ("copy-stale", "trigger")]
    );
    assert!(
        summary(&alerts[1]).contains("is FAILED: Insufficient privileges"),
        "{}",
        summary(&alerts[1])
    );

    // The copy completes: resolved, and the copy's age is published for this resource.
    copy_job(
        &r.sdk,
        "copies-daily-vault",
        &efs,
        dr,
        "COMPLETED",
        0.5,
        None,
    )
    .await;
    r.run().await;
    let alerts = r.alerts().await;
    let actions: Vec<(&str, &str)> = alerts
        .iter()
        .map(|a| (a.check(), a.event_action()))
        .collect();
    assert_eq!(actions, [("copy-stale", "resolve")]);
    assert!(
        r.world
            .metric_stat(
                "HoursSinceLastCopy",
                &[
                    ("ResourceType", "EFS"),
                    ("ResourceId", efs.rsplit('/').next().unwrap())
                ],
                "Maximum"
            )
            .await
            .is_some_and(|h| h > 0.4 && h < 0.6),
        "HoursSinceLastCopy of the tagged file system"
    );
    // The copy exists in the other region, as AWS Backup would show it there.
    let there = aws_sdk_backup::Client::new(&dr_sdk)
        .list_recovery_points_by_backup_vault()
        .backup_vault_name("copies-dr")
        .send()
        .await
        .expect("destination points");
    assert_eq!(there.recovery_points().len(), 1);
}

/// With copies outside the account required, a copy to a plain vault of the same account
/// pages `copy-missing`; one to a logically air-gapped vault (AWS holds it, locked, and
/// another account restores from it) does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logically_air_gapped_vault_in_the_account_counts_as_outside_it() {
    use phoenix_shared::config::CopyRequirement;
    use phoenix_tests::account::{add_copy_rule, copy_job, create_air_gapped_vault, create_vault};
    let mut r = region("air-gap", "sa-east-1").await;
    r.world.config.require_copy = CopyRequirement::Account;
    let (efs, _) = create_efs(&r.sdk, "air-gap-zulip", &[]).await;
    let plan = create_plan(&r.sdk, "air-gap-daily", "cron(0 3 * * ? *)", 60).await;
    select(&r.sdk, &plan, "air-gap-efs", &[&efs]).await;
    backup_job(&r.sdk, "air-gap-daily", &efs, "COMPLETED", 2.0, None).await;
    let plain = create_vault(&r.sdk, "air-gap-plain", None).await;
    add_copy_rule(&r.sdk, &plan, &plain).await;
    copy_job(
        &r.sdk,
        "air-gap-daily-vault",
        &efs,
        &plain,
        "COMPLETED",
        1.0,
        None,
    )
    .await;
    r.run().await;
    let alerts = r.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0].dedup_key(), r.key("copy-missing", &efs));
    assert!(
        summary(&alerts[0]).contains("no copy in another account"),
        "{}",
        summary(&alerts[0])
    );

    let bunker = create_air_gapped_vault(&r.sdk, "air-gap-bunker").await;
    add_copy_rule(&r.sdk, &plan, &bunker).await;
    copy_job(
        &r.sdk,
        "air-gap-daily-vault",
        &efs,
        &bunker,
        "COMPLETED",
        0.5,
        None,
    )
    .await;
    r.run().await;
    let actions: Vec<(String, String)> = r
        .alerts()
        .await
        .iter()
        .map(|a| (a.check().to_owned(), a.event_action().to_owned()))
        .collect();
    assert_eq!(actions, [("copy-missing".to_owned(), "resolve".to_owned())]);
}
