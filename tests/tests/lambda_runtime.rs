//! End to end: the real `backup-events` and `backup-freshness` binaries served by
//! `cargo lambda watch` (Lambda's runtime API), events sent with `cargo lambda invoke`,
//! effects read from the emulator.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // test code

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lambda_binary_pages_once_and_resolves_through_the_runtime_api() {
    let emulator = Emulator::shared();
    let world = World::new("e2e").await;
    let watch = LambdaWatch::start(&world.lambda_env(&emulator.endpoint));

    let first = watch.invoke_fixture("backup-job-failed-efs.json");
    assert!(
        first.status.success(),
        "{}\nwatch log:\n{}",
        text(&first),
        watch.log()
    );
    let response: Value = serde_json::from_slice(&first.stdout).expect("JSON response");
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
    let file = std::env::temp_dir().join(format!("phoenix-scheduled-{}.json", std::process::id()));
    std::fs::write(&file, event.to_string()).expect("event file");

    let first = watch.invoke("backup-freshness", &file);
    assert!(
        first.status.success(),
        "{}\nwatch log:\n{}",
        text(&first),
        watch.log()
    );
    let response: Value = serde_json::from_slice(&first.stdout).expect("JSON response");
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
    let retry = watch.invoke("backup-freshness", &file);
    assert!(retry.status.success(), "{}", text(&retry));
    let again = world.alerts().await;
    assert!(
        !again.iter().any(|a| a.dedup_key() == page.dedup_key()),
        "{again:#?}"
    );
    assert_eq!(world.metric_sum("Heartbeat", &[]).await, Some(2.0));
}

#[test]
fn a_missing_required_variable_stops_the_cold_start_with_one_line_naming_it() {
    let binary = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join("target"))
        .join("debug/backup-events");
    assert!(
        binary.exists(),
        "build the binaries first (make test does): {}",
        binary.display()
    );
    let output = Command::new(&binary)
        .env_clear()
        .env("PHOENIX_FINDINGS_TABLE", "findings")
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("PHOENIX_ALERT_TOPIC_ARN is not set"),
        "{stderr}"
    );
}
