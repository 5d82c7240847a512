//! The findings pipeline a function hands its observations to.
//!
//! For each observation: the ledger decides (claim), the alert is rendered and published,
//! the ledger remembers it (commit) or forgets the claim (release). Every observation is
//! attempted even when an earlier one failed; the invocation fails afterwards if any alert
//! was not delivered, so Lambda retries it and the ledger makes the retry send only what is
//! still missing.

use crate::alert::{AlertContext, AlertPublisher, Notification, render, render_chat};
use crate::aws::Lazy;
use crate::config::Config;
use crate::error::{DeliveryError, HandlerError, LedgerError};
use crate::finding::Observation;
use crate::ledger::{Decision, Ledger, OpenFinding, Quiet};
use crate::metrics::{MetricBatch, MetricPublisher, MetricSink};
use crate::time::Timestamp;
use aws_config::SdkConfig;
use std::time::SystemTime;

/// One notification sent during an invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub dedup_key: String,
    pub notification: Notification,
    pub message_id: String,
}

/// What happened to an invocation's observations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub sent: Vec<Sent>,
    /// Observations that needed no message, by dedup key.
    pub quiet: Vec<(String, Quiet)>,
    /// Observations whose notification is owed: a failed publish, an unreachable ledger, or
    /// another invocation holding the claim. Non-empty means the invocation must fail.
    pub owed: Vec<String>,
}

impl Report {
    /// What was sent, as `<notification> <dedup key>`, for an invocation's response.
    pub fn notified(&self) -> Vec<String> {
        self.sent
            .iter()
            .map(|s| format!("{} {}", s.notification.as_str(), s.dedup_key))
            .collect()
    }

    /// `Err` when a notification is still owed, so the caller fails the invocation.
    pub fn into_result(self) -> Result<Self, DeliveryError> {
        match self.owed.first() {
            None => Ok(self),
            Some(first) => Err(DeliveryError {
                count: self.owed.len(),
                first: first.clone(),
            }),
        }
    }
}

/// Configuration and clients, built once per cold start.
#[derive(Debug, Clone)]
pub struct Guard {
    pub config: Config,
    ledger: Ledger,
    alerts: AlertPublisher,
    /// The chat topic's publisher, when there is one.
    chat: Option<AlertPublisher>,
    metrics: MetricPublisher,
}

impl Guard {
    /// The pipeline over clients built the first time each is used: an ignored event
    /// builds only CloudWatch's (its metrics), a quiet one no SNS client.
    pub fn new(config: Config, sdk: &SdkConfig) -> Self {
        Self::from_clients(
            config,
            Lazy::later(sdk, aws_sdk_dynamodb::Client::new),
            Lazy::later(sdk, aws_sdk_sns::Client::new),
            Lazy::later(sdk, aws_sdk_cloudwatch::Client::new),
        )
    }

    /// Builds the pipeline over given clients (tests pass mocked or emulator clients).
    pub fn from_clients(
        config: Config,
        dynamodb: impl Into<Lazy<aws_sdk_dynamodb::Client>>,
        sns: impl Into<Lazy<aws_sdk_sns::Client>>,
        cloudwatch: impl Into<Lazy<aws_sdk_cloudwatch::Client>>,
    ) -> Self {
        let sns = sns.into();
        let chat = config
            .delivery
            .as_ref()
            .and_then(|d| d.chat_topic_arn.clone())
            .map(|topic| AlertPublisher::new(sns.clone(), topic));
        Self {
            ledger: Ledger::new(dynamodb, config.findings_table().to_owned()),
            chat,
            alerts: AlertPublisher::new(
                sns,
                config
                    .delivery
                    .as_ref()
                    .map(|d| d.alert_topic_arn.clone())
                    .unwrap_or_default(),
            ),
            metrics: MetricPublisher::new(
                cloudwatch,
                config.metric_namespace.clone(),
                config.environment.clone(),
            ),
            config,
        }
    }

    /// The same pipeline writing its metrics to `sink` (see [`crate::metrics`]).
    #[must_use]
    pub fn with_metric_sink(mut self, sink: MetricSink) -> Self {
        self.metrics = self.metrics.with_sink(sink);
        self
    }

    /// Notifies what the observations call for. `invocation` must be unique per attempt
    /// (the Lambda request id); counts go into `metrics`.
    pub async fn deliver(
        &self,
        observations: &[Observation],
        invocation: &str,
        now: Timestamp,
        metrics: &mut MetricBatch,
    ) -> Report {
        let mut report = Report::default();
        // Once the ledger or the topic has failed (after the SDK's own retries), the rest is
        // owed to Lambda's retry without trying: each attempt would only wait out the same
        // outage, and the invocation fails either way.
        let mut down: Option<&str> = None;
        for (index, observation) in observations.iter().enumerate() {
            let key = observation.finding.dedup_key();
            if let Some(what) = down {
                tracing::warn!(dedup_key = %key, "{what} failed earlier in this invocation; owed to the retry");
                report.owed.push(key);
                continue;
            }
            let claim_id = format!("{invocation}#{index}");
            let decision = self
                .ledger
                .observe(
                    observation,
                    &self.config.environment,
                    now,
                    self.config.remind_after_seconds,
                    &claim_id,
                )
                .await;
            match decision {
                Err(err) => {
                    tracing::error!(dedup_key = %key, error = %err, "findings ledger unavailable; the invocation will be retried");
                    metrics.count("LedgerErrors", &[], 1);
                    report.owed.push(key);
                    down = Some("the findings ledger");
                }
                Ok(Decision::Quiet(reason)) => {
                    tracing::info!(dedup_key = %key, ?reason, "no notification needed");
                    if reason == Quiet::Stale {
                        metrics.count("StaleObservations", &[], 1);
                    }
                    report.quiet.push((key, reason));
                }
                Ok(Decision::InFlight) if observation.finding.occurrence.is_some() => {
                    // One more event of a burst that another invocation is paging right now:
                    // the ledger counted it; if that invocation fails, its own retry pages.
                    tracing::info!(dedup_key = %key, "joined a burst another invocation is notifying");
                    report.quiet.push((key, Quiet::AlreadyOpen));
                }
                Ok(Decision::InFlight) => {
                    tracing::warn!(dedup_key = %key, "another invocation is notifying this finding; failing so a retry confirms it");
                    metrics.count("AlertsDeferred", &[], 1);
                    report.owed.push(key);
                }
                Ok(Decision::Notify {
                    notification,
                    claim_id,
                    severity,
                    first_seen,
                    occurrences,
                }) => {
                    let context = AlertContext {
                        finding: &observation.finding,
                        notification,
                        severity,
                        environment: &self.config.environment,
                        namespace: &self.config.metric_namespace,
                        first_seen,
                        occurrences,
                        sent_at: now,
                        runbook_url: self
                            .config
                            .delivery
                            .as_ref()
                            .and_then(|d| d.runbook_url.as_deref()),
                    };
                    let alert = render(&context);
                    match self.alerts.publish(&alert).await {
                        Ok(message_id) => {
                            tracing::info!(dedup_key = %key, notification = notification.as_str(), %message_id, "alert published");
                            // The page is out; the chat copy follows it. A chat topic that
                            // fails loses only that copy (a retry would find the page sent
                            // and stay quiet), so it is counted, and the count's alarm pages.
                            if let Some(chat) = &self.chat
                                && let Err(err) =
                                    chat.publish_plain(&key, &render_chat(&context)).await
                            {
                                tracing::error!(dedup_key = %key, error = %err, "chat notification not published");
                                metrics.count("ChatPublishFailures", &[], 1);
                            }
                            metrics.count(
                                "AlertsPublished",
                                &[("Notification", notification.as_str())],
                                1,
                            );
                            if let Err(err) = self
                                .ledger
                                .commit(
                                    &key,
                                    &claim_id,
                                    notification,
                                    severity,
                                    &observation.finding,
                                    now,
                                )
                                .await
                            {
                                // The alert is out; failing the invocation would not unsend it.
                                // The claim lapses after its lease.
                                tracing::error!(dedup_key = %key, error = %err, "alert sent but not recorded in the ledger");
                                metrics.count("LedgerErrors", &[], 1);
                            }
                            report.sent.push(Sent {
                                dedup_key: key,
                                notification,
                                message_id,
                            });
                        }
                        Err(err) => {
                            tracing::error!(dedup_key = %key, error = %err, "alert not published; the invocation will be retried");
                            metrics.count("AlertPublishFailures", &[], 1);
                            if let Err(release_err) = self.ledger.release(&key, &claim_id).await {
                                tracing::error!(dedup_key = %key, error = %release_err, "claim not released; a retry can take it after the lease");
                                metrics.count("LedgerErrors", &[], 1);
                            }
                            report.owed.push(key);
                            down = Some("publishing to the alert topic");
                        }
                    }
                }
            }
        }
        report
    }

    /// The details of an open finding (see [`Ledger::open_details`]).
    pub async fn open_details(
        &self,
        dedup_key: &str,
    ) -> Result<Option<serde_json::Map<String, serde_json::Value>>, LedgerError> {
        self.ledger.open_details(dedup_key).await
    }

    /// The open findings of `checks` in one account and region (see
    /// [`Ledger::open_findings`]).
    pub async fn open_findings(
        &self,
        account: &str,
        region: &str,
        checks: &[&str],
    ) -> Result<Vec<OpenFinding>, LedgerError> {
        self.ledger.open_findings(account, region, checks).await
    }

    /// Runs an invocation's `work` for `function` within Lambda's `deadline` (see
    /// [`crate::deadline`]). When the budget runs out the work is dropped where it stands
    /// (whatever it owed is owed to the retry: an unsent alert keeps its claim until the
    /// lease ends, an uncounted deletion is recounted), the shortfall is logged and counted as
    /// `InvocationsOutOfTime` in an EMF line (CloudWatch may be what is slow), and the
    /// invocation fails as [`HandlerError::OutOfTime`].
    pub async fn within_deadline<T>(
        &self,
        function: &str,
        deadline: SystemTime,
        work: impl Future<Output = Result<T, HandlerError>>,
    ) -> Result<T, HandlerError> {
        let Some(budget) = crate::deadline::budget(deadline, SystemTime::now()) else {
            return work.await;
        };
        match tokio::time::timeout(budget, work).await {
            Ok(result) => result,
            Err(_) => {
                let budget_ms = u64::try_from(budget.as_millis()).unwrap_or(u64::MAX);
                tracing::error!(
                    function,
                    budget_ms,
                    margin_s = crate::deadline::MARGIN.as_secs(),
                    "invocation stopped before the Lambda timeout; a retry will redo it"
                );
                let mut batch = MetricBatch::new();
                batch.count("InvocationsOutOfTime", &[("Function", function)], 1);
                self.metrics.print_emf(&batch, Timestamp::now());
                Err(HandlerError::OutOfTime(format!(
                    "{function} did not finish within {budget_ms} ms, {} s before the Lambda timeout",
                    crate::deadline::MARGIN.as_secs()
                )))
            }
        }
    }

    /// Writes the invocation's metrics; never fails (see [`MetricPublisher::publish_or_log`]).
    pub async fn flush_metrics(&self, metrics: &MetricBatch, now: Timestamp) -> bool {
        self.metrics.publish_or_log(metrics, now).await
    }
}
