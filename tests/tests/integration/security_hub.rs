//! Security Hub: each notification the alert topic carries, handed to `security-hub` as the
//! topic's Lambda subscription delivers it, and the finding read back from Security Hub in
//! the account it belongs to.

use aws_sdk_securityhub::types::{RecordState, WorkflowStatus};
use phoenix_shared::Timestamp;
use phoenix_shared::error::HandlerError;
use phoenix_tests::organization::{
    FINDINGS_ROLE, create_findings_role, create_organization, sdk_in,
};
use phoenix_tests::{ReceivedAlert, World, enable_security_hub, security_hub_findings as findings};
use security_hub::Hubs;
use serde_json::{Value, json};

/// The SNS event Lambda receives for one alert.
fn sns_event(world: &World, alert: &ReceivedAlert) -> Value {
    phoenix_tests::sns_delivery(&world.topic_arn, &alert.body)
}

/// security-hub's answer to one SNS event, run in the world's account.
async fn deliver(
    world: &World,
    hubs: &Hubs,
    event: &Value,
) -> Result<security_hub::Outcome, HandlerError> {
    security_hub::handle(
        &world.guard(),
        hubs,
        event,
        &world.account,
        Timestamp::now(),
    )
    .await
}

/// A failed EFS backup in `world`, then (when `resolved`) its completed retry: the pages.
async fn failed_backup(world: &World, resolved: bool) -> Vec<ReceivedAlert> {
    let failed = phoenix_tests::backup_fixture("backup-job-failed-efs.json");
    let mut completed = phoenix_tests::backup_fixture("backup-job-completed-efs.json");
    completed["detail"]["resourceArn"] = failed["detail"]["resourceArn"].clone();
    completed["time"] = json!("2026-11-23T10:00:00Z");
    let mut events = vec![(failed, "failed")];
    if resolved {
        events.push((completed, "completed"));
    }
    for (mut event, id) in events {
        event["account"] = json!(world.account);
        backup_events::handle(&world.guard(), &event, id, Timestamp::now())
            .await
            .expect("delivered");
    }
    world.alerts().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_becomes_a_security_hub_finding_that_its_resolve_archives_and_a_reopening_reactivates()
 {
    let world = World::in_account("sechub", "330000000001").await;
    enable_security_hub(&world.sdk).await;
    let hubs = Hubs::new(&world.sdk, None);
    let pages = failed_backup(&world, true).await;
    assert_eq!(
        pages.iter().map(|p| p.event_action()).collect::<Vec<_>>(),
        ["trigger", "resolve"]
    );
    let (trigger, resolve) = (&pages[0], &pages[1]);

    let imported = deliver(&world, &hubs, &sns_event(&world, trigger))
        .await
        .expect("imported");
    assert_eq!(imported.imported, [trigger.dedup_key()]);
    let held = findings(&world.sdk).await;
    assert_eq!(held.len(), 1, "{held:#?}");
    let f = &held[0];
    assert_eq!(f.id(), Some(trigger.dedup_key()));
    assert_eq!(
        f.product_arn(),
        Some(
            format!(
                "arn:aws:securityhub:eu-west-1:{0}:product/{0}/default",
                world.account
            )
            .as_str()
        )
    );
    assert_eq!(f.aws_account_id(), Some(world.account.as_str()));
    assert_eq!(f.generator_id(), Some("phoenix-guard/backup-job-failed"));
    assert_eq!(
        f.severity().and_then(|s| s.label()).map(|l| l.as_str()),
        Some("CRITICAL")
    );
    let resource = &f.resources()[0];
    assert_eq!(resource.r#type(), Some("AwsEfsFileSystem"));
    assert_eq!(
        Some(resource.id().unwrap_or_default()),
        trigger.body["finding"]["resource_arn"].as_str()
    );
    // The remedy's command is longer than a recommendation may be: cut there, whole in the
    // product fields.
    let remedy = trigger.body["finding"]["remedy"]
        .as_str()
        .unwrap_or_default();
    let recommendation = f
        .remediation()
        .and_then(|r| r.recommendation())
        .and_then(|r| r.text())
        .unwrap_or_default();
    assert!(remedy.chars().count() > 512, "{remedy}");
    assert_eq!(recommendation.chars().count(), 512);
    assert!(
        remedy.starts_with(recommendation.trim_end_matches('~')),
        "{recommendation}"
    );
    assert_eq!(
        f.product_fields()
            .and_then(|p| p.get("phoenix-guard/remedy"))
            .map(String::as_str),
        Some(remedy)
    );
    assert_eq!(
        f.product_fields()
            .and_then(|p| p.get("phoenix-guard/dedup_key"))
            .map(String::as_str),
        Some(trigger.dedup_key())
    );
    assert_eq!(f.record_state(), Some(&RecordState::Active));
    assert_eq!(
        f.workflow().and_then(|w| w.status()),
        Some(&WorkflowStatus::New)
    );

    // The resolve archives it and resolves its workflow.
    let resolved = deliver(&world, &hubs, &sns_event(&world, resolve))
        .await
        .expect("resolved");
    assert_eq!(resolved.resolved, [trigger.dedup_key()]);
    let held = findings(&world.sdk).await;
    assert_eq!(held.len(), 1, "one finding, updated: {held:#?}");
    assert_eq!(held[0].record_state(), Some(&RecordState::Archived));
    assert_eq!(
        held[0].workflow().and_then(|w| w.status()),
        Some(&WorkflowStatus::Resolved)
    );

    // A late retry of the trigger does not undo the resolve.
    let late = deliver(&world, &hubs, &sns_event(&world, trigger))
        .await
        .expect("skipped");
    assert_eq!(late.stale, [trigger.dedup_key()]);
    assert_eq!(
        findings(&world.sdk).await[0].record_state(),
        Some(&RecordState::Archived)
    );

    // The backup fails again: the finding is active again and back to NEW.
    let failed = phoenix_tests::backup_fixture("backup-job-failed-efs.json");
    let mut again = failed.clone();
    again["account"] = json!(world.account);
    again["time"] = json!("2026-11-24T10:00:00Z");
    backup_events::handle(&world.guard(), &again, "failed-again", Timestamp::now())
        .await
        .expect("delivered");
    let reopened = world.alerts().await;
    let retrigger = reopened
        .iter()
        .rev()
        .find(|p| p.event_action() == "trigger")
        .expect("a new trigger");
    deliver(&world, &hubs, &sns_event(&world, retrigger))
        .await
        .expect("imported");
    let held = findings(&world.sdk).await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].record_state(), Some(&RecordState::Active));
    assert_eq!(
        held[0].workflow().and_then(|w| w.status()),
        Some(&WorkflowStatus::New)
    );
    assert_eq!(
        world
            .metric_sum("SecurityHubFindingsImported", &[("State", "active")])
            .await,
        Some(2.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_hub_switched_off_fails_the_invocation_counts_it_and_the_retry_imports() {
    let world = World::in_account("sechub-off", "330000000002").await;
    let hubs = Hubs::new(&world.sdk, None);
    let pages = failed_backup(&world, false).await;
    let event = sns_event(&world, &pages[0]);
    let err = deliver(&world, &hubs, &event)
        .await
        .expect_err("Security Hub is not enabled");
    assert_eq!(err.error_type(), "PhoenixGuard.RetryNeeded");
    assert!(
        err.to_string()
            .contains("not subscribed to AWS Security Hub"),
        "{err}"
    );
    assert_eq!(
        world
            .metric_sum(
                "SecurityHubImportFailures",
                &[("Account", world.account.as_str())]
            )
            .await,
        Some(1.0)
    );
    // The page itself went out regardless; Lambda's retry imports once the hub is on.
    assert_eq!(pages.len(), 1);
    enable_security_hub(&world.sdk).await;
    deliver(&world, &hubs, &event)
        .await
        .expect("the retry imports");
    assert_eq!(findings(&world.sdk).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_publishers_messages_are_ignored_and_an_unreadable_alert_is_rejected() {
    let world = World::in_account("sechub-foreign", "330000000003").await;
    enable_security_hub(&world.sdk).await;
    let hubs = Hubs::new(&world.sdk, None);
    let foreign = json!({"Records": [{"Sns": {"Message": "{\"AlarmName\":\"disk\"}"}}]});
    let outcome = deliver(&world, &hubs, &foreign).await.expect("ignored");
    assert_eq!(outcome.ignored, 1);
    let broken = json!({"Records": [{"Sns": {"Message": json!({
        "dedup_key": "phoenix:330000000003:eu-west-1:backup-job-failed:fs-1",
        "finding": {"check": "backup-job-failed", "region": "eu-west-1"},
    }).to_string()}}]});
    let err = deliver(&world, &hubs, &broken).await.expect_err("rejected");
    assert_eq!(err.error_type(), "PhoenixGuard.EventRejected");
    assert!(err.to_string().contains("finding.notified_at"), "{err}");
    let not_sns = deliver(&world, &hubs, &json!({"detail-type": "x"}))
        .await
        .expect_err("rejected");
    assert_eq!(not_sns.error_type(), "PhoenixGuard.EventRejected");
    assert!(findings(&world.sdk).await.is_empty());
    assert_eq!(
        world
            .metric_sum("EventsRejected", &[("Function", "security-hub")])
            .await,
        Some(2.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_finding_is_imported_in_the_member_through_its_findings_role_or_counted_against_it()
 {
    let world = World::in_account("sechub-org", "330000000004").await;
    let members = create_organization(&world.sdk, &["prod", "staging"]).await;
    let (prod, staging) = (&members[0], &members[1]);
    let prod_sdk = sdk_in(prod).await;
    create_findings_role(&prod_sdk, &world.account).await;
    enable_security_hub(&prod_sdk).await;
    let staging_sdk = sdk_in(staging).await;
    enable_security_hub(&staging_sdk).await;
    enable_security_hub(&world.sdk).await;
    let hubs = Hubs::new(&world.sdk, Some(FINDINGS_ROLE.to_owned()));

    let pages = failed_backup(&world, false).await;
    let as_member = |member: &str| {
        let mut alert = pages[0].clone();
        let key = alert.dedup_key().replace(&world.account, member);
        alert.body["dedup_key"] = json!(key);
        alert.body["finding"]["account"] = json!(member);
        alert
    };
    let prod_alert = as_member(prod);
    let outcome = deliver(&world, &hubs, &sns_event(&world, &prod_alert))
        .await
        .expect("imported in prod");
    assert_eq!(outcome.imported, [prod_alert.dedup_key()]);
    let in_prod = findings(&prod_sdk).await;
    assert_eq!(in_prod.len(), 1);
    assert_eq!(in_prod[0].aws_account_id(), Some(prod.as_str()));
    assert!(
        findings(&world.sdk).await.is_empty(),
        "not in the central account"
    );

    // staging has no findings role: nothing is imported, and it is counted against staging.
    let err = deliver(&world, &hubs, &sns_event(&world, &as_member(staging)))
        .await
        .expect_err("staging is unreachable");
    assert_eq!(err.error_type(), "PhoenixGuard.RetryNeeded");
    assert!(findings(&staging_sdk).await.is_empty());
    assert_eq!(
        world
            .metric_sum(
                "SecurityHubImportFailures",
                &[("Account", staging.as_str())]
            )
            .await,
        Some(1.0)
    );

    // Without a findings role configured, another account's finding cannot be imported.
    let alone = Hubs::new(&world.sdk, None);
    let err = deliver(&world, &alone, &sns_event(&world, &prod_alert))
        .await
        .expect_err("no role");
    assert!(err.to_string().contains("PHOENIX_FINDINGS_ROLE"), "{err}");
}

/// The paths of every node of a JSON value (`["finding","details","state"]`), as a set: its
/// shape, whatever order its keys were written in.
fn shape(value: &Value) -> std::collections::BTreeSet<String> {
    let mut paths = Vec::new();
    crate::mutation::paths(value, &mut Vec::new(), &mut paths);
    paths
        .iter()
        .map(|p| Value::from(p.clone()).to_string())
        .collect()
}

/// The cold-start bench hands `security-hub` a stored page (its fixture). It must stay the
/// page the pipeline sends today, or the bench would time a rejection: the same fields and
/// message attributes as a failed EFS backup's page now, and imported as one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stored_page_the_bench_uses_is_the_page_the_pipeline_sends_today() {
    let world = World::in_account("sechub-fixture", "330000000006").await;
    enable_security_hub(&world.sdk).await;
    let pages = failed_backup(&world, false).await;
    assert_eq!(pages.len(), 1, "{pages:#?}");
    let page = &pages[0];

    let stored = phoenix_tests::fixture("security-hub", "sns-alert-backup-job-failed-efs.json");
    let sns = &stored["Records"][0]["Sns"];
    let message: Value =
        serde_json::from_str(sns["Message"].as_str().expect("Message")).expect("a JSON page");
    assert_eq!(
        shape(&message),
        shape(&page.body),
        "the stored page's fields differ from today's page: regenerate the fixture"
    );
    let attributes: std::collections::BTreeSet<&str> = sns["MessageAttributes"]
        .as_object()
        .expect("MessageAttributes")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        attributes,
        page.attributes.keys().map(String::as_str).collect(),
        "the stored page's message attributes differ from today's"
    );

    // Imported as a page of this world's account (the stored one is 123456789012's).
    let text = serde_json::to_string(&stored)
        .expect("json")
        .replace("123456789012", &world.account);
    let event: Value = serde_json::from_str(&text).expect("json");
    let key = message["dedup_key"]
        .as_str()
        .expect("dedup_key")
        .replace("123456789012", &world.account);
    let outcome = deliver(&world, &Hubs::new(&world.sdk, None), &event)
        .await
        .expect("imported");
    assert_eq!(json!(outcome.imported), json!([key]));
    let held = findings(&world.sdk).await;
    assert_eq!(held.len(), 1, "{held:#?}");
    assert_eq!(
        held[0].title(),
        Some("backup-job-failed: fs-0c5e2a7d1b9f4e8a1")
    );
}
