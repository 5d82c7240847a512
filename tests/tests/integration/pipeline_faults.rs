//! Fault paths no emulator produces, with `aws-smithy-mocks`: the guarantees of the
//! pipeline when SNS, DynamoDB or CloudWatch misbehave.

use aws_sdk_cloudwatch::operation::put_metric_data::PutMetricDataOutput;
use aws_sdk_dynamodb::operation::update_item::{
    UpdateItemError, UpdateItemInput, UpdateItemOutput,
};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
use aws_sdk_sns::error::ErrorMetadata;
use aws_sdk_sns::operation::publish::{PublishError, PublishOutput};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use phoenix_shared::alert::Notification;
use phoenix_shared::guard::Report;
use phoenix_shared::ledger::Quiet;
use phoenix_shared::{Config, Finding, Guard, MetricBatch, Observation, Severity, Timestamp};
use serde_json::Map;

const NOW: Timestamp = Timestamp::from_epoch_seconds(1_795_316_700);

fn config() -> Config {
    Config::from_lookup(|key| match key {
        "PHOENIX_ALERT_TOPIC_ARN" => Some("arn:aws:sns:eu-west-1:123456789012:alerts".to_owned()),
        "PHOENIX_FINDINGS_TABLE" => Some("findings".to_owned()),
        "PHOENIX_ENVIRONMENT" => Some("dev".to_owned()),
        _ => None,
    })
    .expect("config")
}

fn failed_backup() -> Observation {
    Observation::open(Finding {
        check: "backup-job-failed".to_owned(),
        account: "123456789012".to_owned(),
        region: "eu-west-1".to_owned(),
        resource_arn: "arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-1"
            .to_owned(),
        resource_type: "EFS".to_owned(),
        severity: Severity::Critical,
        summary: "EFS backup of fs-1 FAILED: denied".to_owned(),
        impact: "data lost on rebuild".to_owned(),
        remedy: "fix it".to_owned(),
        details: Map::new(),
        observed_at: NOW,
        occurrence: None,
        progress: None,
    })
}

fn update_expression(req: &UpdateItemInput) -> &str {
    req.update_expression().unwrap_or_default()
}

fn is_claim(req: &UpdateItemInput) -> bool {
    update_expression(req).contains("claim_id = :claim")
}

fn is_commit(req: &UpdateItemInput) -> bool {
    update_expression(req).starts_with("SET notified_action")
}

fn is_release(req: &UpdateItemInput) -> bool {
    update_expression(req) == "REMOVE claim_id, claim_until"
}

fn is_touch(req: &UpdateItemInput) -> bool {
    update_expression(req).starts_with("SET last_seen")
}

fn claim_granted() -> Rule {
    mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(is_claim)
        .then_output(|| UpdateItemOutput::builder().build())
}

fn ok_rule(matcher: fn(&UpdateItemInput) -> bool) -> Rule {
    mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(matcher)
        .then_output(|| UpdateItemOutput::builder().build())
}

/// The refusal a claim gets while another invocation ("req-A") holds a live claim.
fn claim_held_elsewhere() -> UpdateItemError {
    UpdateItemError::ConditionalCheckFailedException(
        ConditionalCheckFailedException::builder()
            .item("claim_id", AttributeValue::S("req-A#0".to_owned()))
            .item(
                "claim_until",
                AttributeValue::N((NOW.epoch_seconds() + 30).to_string()),
            )
            .build(),
    )
}

fn metrics_ok() -> Rule {
    mock!(aws_sdk_cloudwatch::Client::put_metric_data)
        .then_output(|| PutMetricDataOutput::builder().build())
}

fn guard(dynamodb: &[&Rule], sns: &[&Rule], cloudwatch: &[&Rule]) -> Guard {
    Guard::from_clients(
        config(),
        mock_client!(
            aws_sdk_dynamodb,
            RuleMode::MatchAny,
            dynamodb.iter().copied()
        ),
        mock_client!(aws_sdk_sns, RuleMode::MatchAny, sns.iter().copied()),
        mock_client!(
            aws_sdk_cloudwatch,
            RuleMode::MatchAny,
            cloudwatch.iter().copied()
        ),
    )
}

#[tokio::test]
async fn sns_throttled_then_failing_fails_the_invocation_and_marks_nothing_sent() {
    let claim = claim_granted();
    let commit = ok_rule(is_commit);
    let release = ok_rule(is_release);
    let publish = mock!(aws_sdk_sns::Client::publish)
        .sequence()
        .error(|| {
            PublishError::generic(
                ErrorMetadata::builder()
                    .code("Throttling")
                    .message("Rate exceeded")
                    .build(),
            )
        })
        .times(2)
        .http_status(500, None)
        .repeatedly()
        .build();
    let guard = guard(&[&claim, &commit, &release], &[&publish], &[]);
    let mut metrics = MetricBatch::new();

    let report = guard
        .deliver(&[failed_backup()], "req-1", NOW, &mut metrics)
        .await;

    assert!(
        publish.num_calls() >= 3,
        "publish was retried: {} calls",
        publish.num_calls()
    );
    assert_eq!(commit.num_calls(), 0, "nothing may be recorded as sent");
    assert_eq!(
        release.num_calls(),
        1,
        "the claim is released for the retry"
    );
    assert!(report.sent.is_empty());
    let err = report
        .into_result()
        .expect_err("the invocation must fail so Lambda retries");
    assert_eq!(err.count, 1);
    assert!(err.first.contains(":backup-job-failed:"), "{}", err.first);
    assert!(
        metrics
            .items()
            .iter()
            .any(|m| m.name == "AlertPublishFailures"),
        "the failure is counted"
    );
}

#[tokio::test]
async fn a_conflicting_claim_pages_exactly_once() {
    // Invocation A wins the claim, publishes and commits. Invocation B, a concurrent copy of
    // the same event, finds A's commit (already notified) and only records the repeat.
    let claims = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(is_claim)
        .sequence()
        .output(|| UpdateItemOutput::builder().build())
        .error(|| {
            UpdateItemError::ConditionalCheckFailedException(
                ConditionalCheckFailedException::builder()
                    .message("The conditional request failed")
                    .item("notified_action", AttributeValue::S("trigger".to_owned()))
                    .item("notified_rank", AttributeValue::N("3".to_owned()))
                    .item(
                        "last_notified_at",
                        AttributeValue::N(NOW.epoch_seconds().to_string()),
                    )
                    .item(
                        "observed_at",
                        AttributeValue::N(NOW.epoch_seconds().to_string()),
                    )
                    .build(),
            )
        })
        .build();
    let commit = ok_rule(is_commit);
    let touch = ok_rule(is_touch);
    let publish = mock!(aws_sdk_sns::Client::publish)
        .then_output(|| PublishOutput::builder().message_id("m-1").build());
    let guard = guard(&[&claims, &commit, &touch], &[&publish], &[]);

    let mut metrics = MetricBatch::new();
    let first = guard
        .deliver(&[failed_backup()], "req-A", NOW, &mut metrics)
        .await;
    let second = guard
        .deliver(&[failed_backup()], "req-B", NOW, &mut metrics)
        .await;

    assert_eq!(publish.num_calls(), 1, "exactly one page");
    assert_eq!(first.sent.len(), 1);
    assert_eq!(first.sent[0].notification, Notification::Trigger);
    assert_eq!(second.sent.len(), 0);
    assert_eq!(second.quiet.len(), 1);
    assert_eq!(second.quiet[0].1, Quiet::AlreadyOpen);
    assert_eq!(touch.num_calls(), 1, "the repeat is recorded");
    assert!(second.into_result().is_ok(), "a duplicate is not an error");
}

/// Delivers one observation while another invocation holds a live claim on it; answers the
/// report and how many alerts were published.
async fn deliver_while_claimed_elsewhere(observation: Observation) -> (Report, usize) {
    let claims = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(is_claim)
        .then_error(claim_held_elsewhere);
    let publish =
        mock!(aws_sdk_sns::Client::publish).then_output(|| PublishOutput::builder().build());
    let guard = guard(&[&claims], &[&publish], &[]);
    let report = guard
        .deliver(&[observation], "req-B", NOW, &mut MetricBatch::new())
        .await;
    assert_eq!(claims.num_calls(), 1);
    (report, publish.num_calls())
}

#[tokio::test]
async fn a_live_claim_held_elsewhere_fails_the_duplicate_so_a_retry_can_confirm() {
    let (report, published) = deliver_while_claimed_elsewhere(failed_backup()).await;
    assert_eq!(published, 0, "the holder of the claim pages, not us");
    assert_eq!(report.owed.len(), 1);
    assert!(
        report.into_result().is_err(),
        "owed until the holder commits"
    );
}

#[tokio::test]
async fn a_burst_being_paged_elsewhere_leaves_nothing_owed() {
    let mut burst = failed_backup();
    burst.finding.check = "data-permanently-deleted".to_owned();
    burst.finding.occurrence = Some("20261123T195139Z".to_owned());
    let (report, published) = deliver_while_claimed_elsewhere(burst).await;
    assert_eq!(published, 0, "the holder of the claim pages");
    assert!(report.owed.is_empty(), "{report:?}");
    assert!(
        report.into_result().is_ok(),
        "one more deletion of the burst is not a failure"
    );
}

#[tokio::test]
async fn a_bursts_claim_never_asks_for_a_reminder() {
    let claims = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(|req| {
            is_claim(req)
                && req
                    .expression_attribute_values()
                    .and_then(|v| v.get(":remind_before"))
                    .and_then(|v| v.as_n().ok())
                    == Some(&i64::MIN.to_string())
        })
        .then_output(|| {
            aws_sdk_dynamodb::operation::update_item::UpdateItemOutput::builder().build()
        });
    let commits = ok_rule(is_commit);
    let publish = mock!(aws_sdk_sns::Client::publish)
        .then_output(|| PublishOutput::builder().message_id("m-1").build());
    let guard = guard(&[&claims, &commits], &[&publish], &[]);
    let mut burst = failed_backup();
    burst.finding.occurrence = Some("20261123T195139Z".to_owned());

    let report = guard
        .deliver(&[burst], "req-C", NOW, &mut MetricBatch::new())
        .await;

    assert_eq!(
        claims.num_calls(),
        1,
        "the claim carried no reminder cut-off"
    );
    assert_eq!(report.sent.len(), 1);
}

#[tokio::test]
async fn cloudwatch_down_still_sends_the_alert() {
    let claim = claim_granted();
    let commit = ok_rule(is_commit);
    let publish = mock!(aws_sdk_sns::Client::publish)
        .then_output(|| PublishOutput::builder().message_id("m-2").build());
    let put = mock!(aws_sdk_cloudwatch::Client::put_metric_data)
        .sequence()
        .http_status(503, None)
        .repeatedly()
        .build();
    let guard = guard(&[&claim, &commit], &[&publish], &[&put]);
    let mut metrics = MetricBatch::new();

    let report = guard
        .deliver(&[failed_backup()], "req-1", NOW, &mut metrics)
        .await;
    let flushed = guard.flush_metrics(&metrics, NOW).await;

    assert_eq!(publish.num_calls(), 1);
    assert_eq!(commit.num_calls(), 1);
    assert!(put.num_calls() >= 1);
    assert!(!flushed, "the metrics failure is reported to the caller");
    assert!(
        report.into_result().is_ok(),
        "a metrics outage never fails the invocation"
    );
}

#[tokio::test]
async fn ledger_unreachable_fails_the_invocation_without_paging() {
    let claim = mock!(aws_sdk_dynamodb::Client::update_item)
        .sequence()
        .http_status(500, None)
        .repeatedly()
        .build();
    let publish =
        mock!(aws_sdk_sns::Client::publish).then_output(|| PublishOutput::builder().build());
    let put = metrics_ok();
    let guard = guard(&[&claim], &[&publish], &[&put]);
    let mut metrics = MetricBatch::new();

    let mut second = failed_backup();
    second.finding.resource_arn.push_str("-second");
    let report = guard
        .deliver(&[failed_backup(), second], "req-1", NOW, &mut metrics)
        .await;

    assert_eq!(
        publish.num_calls(),
        0,
        "without the ledger a page could repeat on every retry"
    );
    let claims = claim.num_calls();
    assert_eq!(report.owed.len(), 2, "both are owed to the retry");
    assert!(report.into_result().is_err());
    assert!(metrics.items().iter().any(|m| m.name == "LedgerErrors"));
    // The second observation does not wait out the same outage again.
    let mut again = MetricBatch::new();
    guard
        .deliver(&[failed_backup()], "req-2", NOW, &mut again)
        .await;
    assert_eq!(
        claims,
        claim.num_calls() - claims,
        "two observations cost the ledger the calls of one"
    );
}

fn completed_backup() -> Observation {
    let mut observation = failed_backup();
    observation.desired = phoenix_shared::Desired::Resolved;
    observation.finding.summary = "EFS backup of fs-1 completed".to_owned();
    observation
}

fn is_resolve_claim(req: &UpdateItemInput) -> bool {
    update_expression(req).contains("resolve_summary")
}

#[tokio::test]
async fn a_resolve_racing_an_in_flight_trigger_is_owed_not_dropped() {
    // The failure's page is being sent by another invocation right now: the completion must
    // not be lost, so this invocation fails and its retry sends the resolve.
    let claim = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(is_resolve_claim)
        .then_error(claim_held_elsewhere);
    let publish =
        mock!(aws_sdk_sns::Client::publish).then_output(|| PublishOutput::builder().build());
    let guard = guard(&[&claim], &[&publish], &[]);
    let mut metrics = MetricBatch::new();

    let report = guard
        .deliver(&[completed_backup()], "req-B", NOW, &mut metrics)
        .await;

    assert_eq!(publish.num_calls(), 0);
    assert_eq!(report.owed.len(), 1, "the resolve is owed to a retry");
    assert!(report.into_result().is_err());
}

#[tokio::test]
async fn a_resolve_with_nothing_open_sends_nothing_and_remembers_when_it_was_seen() {
    // A clean completion of a resource that never failed: no message, but the ledger keeps
    // its time (with an expiry), so the older failure EventBridge delivers after it is stale.
    let claim = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(is_resolve_claim)
        .then_error(|| {
            UpdateItemError::ConditionalCheckFailedException(
                ConditionalCheckFailedException::builder().build(),
            )
        });
    let remembered = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(|req| {
            let set = update_expression(req);
            set.contains("finding_state = :resolved")
                && set.contains("observed_at = :obs")
                && set.contains("expires_at = :expires")
                && req
                    .condition_expression()
                    .is_some_and(|c| c.starts_with("attribute_not_exists(dedup_key) OR"))
        })
        .then_output(|| UpdateItemOutput::builder().build());
    let publish =
        mock!(aws_sdk_sns::Client::publish).then_output(|| PublishOutput::builder().build());
    let guard = guard(&[&claim, &remembered], &[&publish], &[]);
    let mut metrics = MetricBatch::new();

    let report = guard
        .deliver(&[completed_backup()], "req-1", NOW, &mut metrics)
        .await;

    assert_eq!(publish.num_calls(), 0);
    assert_eq!(claim.num_calls(), 1);
    assert_eq!(
        remembered.num_calls(),
        1,
        "one small conditional write with a TTL"
    );
    assert_eq!(
        report.quiet,
        vec![(completed_backup().finding.dedup_key(), Quiet::NotOpen)]
    );
    assert!(report.into_result().is_ok());
}

#[tokio::test]
async fn work_that_would_outlast_the_lambda_timeout_fails_as_out_of_time_before_it() {
    use std::time::{Duration, Instant, SystemTime};
    let guard = guard(&[], &[], &[]);
    // Three seconds left: the budget is half of that, 1.5 s.
    let deadline = SystemTime::now() + Duration::from_secs(3);
    let started = Instant::now();
    let result: Result<(), phoenix_shared::HandlerError> = guard
        .within_deadline("backup-events", deadline, async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok(())
        })
        .await;
    let err = result.expect_err("stopped by the deadline");
    assert_eq!(err.error_type(), "PhoenixGuard.OutOfTime");
    assert!(
        err.to_string().contains("backup-events did not finish"),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(2_500),
        "stopped after {:?}, too close to the deadline",
        started.elapsed()
    );

    // Work that finishes in time is returned as it is, success or failure.
    let deadline = SystemTime::now() + Duration::from_secs(60);
    let done = guard
        .within_deadline("backup-events", deadline, async {
            Ok::<_, phoenix_shared::HandlerError>(7)
        })
        .await;
    assert_eq!(done, Ok(7));
    let failed = guard
        .within_deadline("backup-events", deadline, async {
            Err::<(), _>(phoenix_shared::HandlerError::Unavailable(
                "table".to_owned(),
            ))
        })
        .await;
    assert_eq!(
        failed.map_err(|e| e.error_type()),
        Err("PhoenixGuard.RetryNeeded")
    );
}
