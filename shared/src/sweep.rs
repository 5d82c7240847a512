//! One sweep of one target, as the dispatcher sends it through SQS and a sweep function
//! receives it: `{"sweep": "backup-freshness", "account": "…", "region": "…", "time": "…"}`.
//!
//! A batch is worked through with bounded concurrency, and only the targets that failed are
//! reported back (`batchItemFailures`): SQS makes those visible again and the rest are done.
//! A target that keeps failing reaches the queue's dead-letter queue, whose alarm pages.

use crate::event::{text, timestamp};
use crate::{Finding, Guard, HandlerError, MetricBatch, Observation, Timestamp};
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use futures_util::{StreamExt, stream};
use serde_json::{Value, json};
use std::future::Future;

/// How many targets of one batch are swept at once (a batch holds at most 10).
pub const TARGETS_AT_ONCE: usize = 4;

/// What one message asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub sweep: String,
    pub account: String,
    pub region: String,
    /// The schedule's time, which the verdicts are judged at (a retry reaches the same ones).
    pub time: Option<Timestamp>,
}

impl Request {
    pub fn to_json(&self) -> Value {
        json!({
            "sweep": self.sweep,
            "account": self.account,
            "region": self.region,
            "time": self.time.map(|t| t.to_string()),
        })
    }

    /// The id a target's alerts are claimed under: the invocation's, and the target's, so
    /// that the targets of one batch never share a claim.
    pub fn claim(&self, invocation: &str) -> String {
        format!("{invocation}:{}:{}", self.account, self.region)
    }

    /// A message body, leniently: the account and region are required.
    pub fn parse(body: &str) -> Result<Self, String> {
        let value: Value =
            serde_json::from_str(body).map_err(|e| format!("the body is not JSON ({e})"))?;
        let field = |names: &[&str]| text(&value, names).filter(|v| !v.trim().is_empty());
        let account = field(&["account", "Account", "accountId"])
            .ok_or("the body names no account")?
            .trim()
            .to_owned();
        let region = field(&["region", "Region"])
            .ok_or("the body names no region")?
            .trim()
            .to_owned();
        Ok(Self {
            sweep: field(&["sweep", "Sweep"]).unwrap_or_default(),
            account,
            region,
            time: timestamp(&value, &["time", "scheduledTime"]),
        })
    }
}

/// Whether an invocation's payload is an SQS batch (rather than a schedule's event).
pub fn is_batch(payload: &Value) -> bool {
    payload
        .get("Records")
        .and_then(Value::as_array)
        .and_then(|records| records.first())
        .and_then(|r| r.get("eventSource"))
        .and_then(Value::as_str)
        == Some("aws:sqs")
}

/// [`each`] as a function's invocation: its metrics flushed, the response as its result.
pub async fn batch<F, Fut>(
    function: &str,
    guard: &Guard,
    payload: Value,
    now: Timestamp,
    sweep: F,
) -> Result<Value, HandlerError>
where
    F: Fn(Request) -> Fut,
    Fut: Future<Output = Result<(), HandlerError>>,
{
    let mut metrics = MetricBatch::default();
    let response = each(function, payload, &mut metrics, sweep).await;
    guard.flush_metrics(&metrics, now).await;
    serde_json::to_value(response?).map_err(|e| HandlerError::Unavailable(e.to_string()))
}

/// Pages that a target could not be read (`finding`, a `check-unknown` about it): logged,
/// counted in `TargetsUnreachable`, delivered once.
pub async fn unreachable(
    function: &str,
    guard: &Guard,
    finding: Finding,
    claim: &str,
    now: Timestamp,
) -> Result<(), HandlerError> {
    tracing::error!(function, account = %finding.account, region = %finding.region, reason = %finding.summary, "target unreachable: reported unknown");
    let mut metrics = MetricBatch::default();
    metrics.count("TargetsUnreachable", &[("Function", function)], 1);
    let report = guard
        .deliver(&[Observation::open(finding)], claim, now, &mut metrics)
        .await;
    guard.flush_metrics(&metrics, now).await;
    report.into_result().map(|_| ()).map_err(HandlerError::from)
}

/// Sweeps each target of a batch with `sweep`, [`TARGETS_AT_ONCE`] at a time, and reports
/// the messages to try again: those whose sweep failed, and those that cannot be used (also
/// logged and counted as rejected: retried, they reach the dead-letter queue, whose alarm
/// pages). `Err` only for a payload that is no SQS batch at all.
pub async fn each<F, Fut>(
    function: &str,
    payload: Value,
    metrics: &mut MetricBatch,
    sweep: F,
) -> Result<SqsBatchResponse, HandlerError>
where
    F: Fn(Request) -> Fut,
    Fut: Future<Output = Result<(), HandlerError>>,
{
    let batch: SqsEvent = serde_json::from_value(payload.clone()).map_err(|e| {
        crate::runtime::reject(
            function,
            &payload,
            crate::event::Rejection(format!("not an SQS batch ({e})")),
            metrics,
        )
    })?;
    let mut failed: Vec<String> = Vec::new();
    let mut requests = Vec::new();
    for record in batch.records {
        let id = record.message_id.clone().unwrap_or_default();
        match record
            .body
            .as_deref()
            .ok_or_else(|| "the message has no body".to_owned())
            .and_then(Request::parse)
        {
            Ok(request) => requests.push((id, request)),
            Err(why) => {
                let raw = json!({"messageId": id, "body": record.body});
                crate::runtime::reject_record(function, &raw, &why, metrics);
                failed.push(id);
            }
        }
    }
    let sweep = &sweep;
    let outcomes: Vec<(String, Request, Result<(), HandlerError>)> = stream::iter(requests)
        .map(|(id, request)| async move {
            let outcome = sweep(request.clone()).await;
            (id, request, outcome)
        })
        .buffer_unordered(TARGETS_AT_ONCE)
        .collect()
        .await;
    for (id, request, outcome) in outcomes {
        if let Err(err) = outcome {
            tracing::error!(
                function,
                account = %request.account,
                region = %request.region,
                error = %err,
                error_type = err.error_type(),
                "target not swept; SQS delivers it again"
            );
            metrics.count("TargetsFailed", &[("Function", function)], 1);
            failed.push(id);
        }
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failed
        .into_iter()
        .map(|id| {
            let mut failure = aws_lambda_events::sqs::BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_read_leniently_and_needs_an_account_and_a_region() {
        let r = Request::parse(
            r#"{"sweep":"backup-freshness","Account":" 222222222222 ","region":"us-east-1","time":"2026-11-30T10:00:00Z"}"#,
        );
        assert_eq!(r.as_ref().map(|r| r.account.as_str()), Ok("222222222222"));
        assert_eq!(
            r.map(|r| r.time.map(|t| t.to_string())),
            Ok(Some("2026-11-30T10:00:00Z".to_owned()))
        );
        assert!(Request::parse(r#"{"region":"us-east-1"}"#).is_err());
        assert!(Request::parse("not json").is_err());
    }

    #[test]
    fn only_an_sqs_batch_is_a_batch() {
        assert!(is_batch(
            &json!({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]})
        ));
        assert!(!is_batch(&json!({"Records": [{"eventSource": "aws:s3"}]})));
        assert!(!is_batch(&json!({"detail-type": "Scheduled Event"})));
    }

    #[tokio::test]
    async fn only_the_failed_and_the_unusable_messages_are_delivered_again() {
        let payload = json!({"Records": [
            {"messageId": "ok", "eventSource": "aws:sqs", "body": r#"{"account":"111111111111","region":"eu-west-1"}"#},
            {"messageId": "fails", "eventSource": "aws:sqs", "body": r#"{"account":"222222222222","region":"eu-west-1"}"#},
            {"messageId": "garbled", "eventSource": "aws:sqs", "body": "{"},
        ]});
        let mut metrics = MetricBatch::default();
        let response = each("backup-freshness", payload, &mut metrics, |r| async move {
            if r.account == "222222222222" {
                Err(HandlerError::Unavailable("throttled".to_owned()))
            } else {
                Ok(())
            }
        })
        .await;
        let mut failed: Vec<String> = response
            .map(|r| {
                r.batch_item_failures
                    .into_iter()
                    .map(|f| f.item_identifier)
                    .collect()
            })
            .unwrap_or_default();
        failed.sort();
        assert_eq!(failed, ["fails", "garbled"]);
    }
}
