//! The findings ledger: one DynamoDB item per dedup key, deciding which observations notify.
//!
//! Table contract (Terraform and the tests create it the same way): string partition key
//! `dedup_key`, TTL attribute `expires_at` (epoch seconds), set on resolved findings and on
//! notified findings about one occurrence (a burst, a state version, a score change), which
//! no later observation resolves.
//!
//! Notifying is three steps, so that no alert is lost and none is sent twice:
//! 1. **claim**: one conditional `UpdateItem` records the observation and, only if it calls for
//!    a notification (the finding opens, reopens, escalates, is due a reminder, or resolves)
//!    and no other invocation holds a live claim, stores a claim id with a short lease;
//! 2. the caller publishes the alert;
//! 3. **commit** (the alert went out: remember what was sent, drop the claim) or **release**
//!    (publishing failed: drop the claim so the retried invocation can claim again).
//!
//! Two copies of one event race for the claim; exactly one wins. The loser, seeing a live
//! claim, reports [`Decision::InFlight`] so its invocation fails and is retried: if the
//! winner dies before committing, the retry (after the lease) sends the alert instead.
//! Observations older than the newest one applied are stale and change nothing, so a late
//! duplicate of yesterday's failure cannot reopen a finding that today's backup resolved.

use crate::alert::Notification;
use crate::error::LedgerError;
use crate::finding::{Desired, Finding, Observation, Severity};
use crate::time::Timestamp;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// How long a claim is held before another invocation may take it over. Longer than one
/// publish with its retries and timeouts; shorter than Lambda's first asynchronous retry.
pub const CLAIM_LEASE_SECONDS: i64 = 50;
/// How long a resolved finding's record is kept before DynamoDB's TTL removes it.
pub const RESOLVED_RETENTION_SECONDS: i64 = 30 * 86_400;
/// How long the record of a notified occurrence (a burst of deletions, a state version, a
/// score change) is kept: long past any retry or redelivery of its events, so it still
/// deduplicates them, but it does not stay open in the ledger for ever. The incident itself
/// stays open where people resolve it (PagerDuty).
pub const OCCURRENCE_RETENTION_SECONDS: i64 = 30 * 86_400;

const TRIGGERED: &str = "trigger";
const RESOLVED: &str = "resolve";

type Item = HashMap<String, AttributeValue>;

/// The parts of a ledger item that decisions depend on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// What was last sent: `trigger` or `resolve`.
    pub notified_action: Option<String>,
    pub notified_rank: Option<i64>,
    pub last_notified_at: Option<i64>,
    pub observed_at: Option<i64>,
    pub claim_id: Option<String>,
    pub claim_until: Option<i64>,
    pub first_seen: Option<i64>,
    pub occurrence_count: i64,
    pub severity: Option<Severity>,
    pub finding_state: Option<String>,
    /// The highest progress step of an occurrence told so far.
    pub notified_progress: Option<i64>,
}

impl Record {
    fn from_item(item: &Item) -> Self {
        let s = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
        let n = |k: &str| {
            item.get(k)
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse::<i64>().ok())
        };
        Self {
            notified_action: s("notified_action"),
            notified_rank: n("notified_rank"),
            last_notified_at: n("last_notified_at"),
            observed_at: n("observed_at"),
            claim_id: s("claim_id"),
            claim_until: n("claim_until"),
            first_seen: n("first_seen"),
            occurrence_count: n("occurrence_count").unwrap_or(0),
            severity: s("severity_name").as_deref().and_then(Severity::parse),
            finding_state: s("finding_state"),
            notified_progress: n("notified_progress"),
        }
    }

    fn is_stale(&self, observed_at: Timestamp) -> bool {
        self.observed_at
            .is_some_and(|t| t > observed_at.epoch_seconds())
    }

    fn has_live_claim(&self, now: Timestamp) -> bool {
        self.claim_id.is_some() && self.claim_until.unwrap_or(0) >= now.epoch_seconds()
    }

    fn is_open(&self) -> bool {
        self.finding_state.as_deref() == Some("open")
    }

    fn is_triggered(&self) -> bool {
        self.notified_action.as_deref() == Some(TRIGGERED)
    }
}

/// Why an observation sends nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quiet {
    /// Open and already notified; not yet due a reminder.
    AlreadyOpen,
    /// Nothing to resolve: no record, or already resolved, or never notified.
    NotOpen,
    /// Older than an observation already applied.
    Stale,
}

/// What the ledger decided about one observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The caller holds the claim and must publish, then [`Ledger::commit`] or
    /// [`Ledger::release`].
    Notify {
        notification: Notification,
        claim_id: String,
        /// The severity to announce (for a resolve, the one the finding was opened with).
        severity: Severity,
        first_seen: Option<Timestamp>,
        occurrences: i64,
    },
    Quiet(Quiet),
    /// Another invocation holds a live claim on this finding and is notifying right now.
    InFlight,
}

/// Why a claim was refused, from the item as it was (pure, so it can be tested alone).
fn refusal(
    old: Option<&Record>,
    observed_at: Timestamp,
    now: Timestamp,
    desired: Desired,
) -> Decision {
    match old {
        None => Decision::Quiet(Quiet::NotOpen),
        Some(r) if r.is_stale(observed_at) => Decision::Quiet(Quiet::Stale),
        Some(r) if r.has_live_claim(now) => Decision::InFlight,
        Some(_) if desired == Desired::Open => Decision::Quiet(Quiet::AlreadyOpen),
        Some(_) => Decision::Quiet(Quiet::NotOpen),
    }
}

/// Which notification a granted open-claim sends, from the item before the claim.
fn open_notification(old: Option<&Record>, rank: i64, progress: i64) -> Notification {
    match old {
        Some(r) if r.is_triggered() => {
            if r.notified_rank.unwrap_or(i64::MAX) < rank {
                Notification::Escalation
            } else if r.notified_progress.unwrap_or(0) < progress {
                Notification::Update
            } else {
                Notification::Reminder
            }
        }
        _ => Notification::Trigger,
    }
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// An open finding, as [`Ledger::open_findings`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenFinding {
    pub dedup_key: String,
    pub check: String,
    pub resource_arn: String,
    pub resource_type: String,
    pub severity: Option<Severity>,
}

/// The ledger over one DynamoDB table.
#[derive(Debug, Clone)]
pub struct Ledger {
    client: crate::aws::Lazy<aws_sdk_dynamodb::Client>,
    table: String,
}

impl Ledger {
    pub fn new(
        client: impl Into<crate::aws::Lazy<aws_sdk_dynamodb::Client>>,
        table: impl Into<String>,
    ) -> Self {
        Self {
            client: client.into(),
            table: table.into(),
        }
    }

    /// Records an observation and decides whether it notifies. `claim_id` must be unique to
    /// this attempt (the Lambda request id and a counter); `remind_after_seconds` 0 never
    /// reminds.
    pub async fn observe(
        &self,
        observation: &Observation,
        environment: &str,
        now: Timestamp,
        remind_after_seconds: i64,
        claim_id: &str,
    ) -> Result<Decision, LedgerError> {
        match observation.desired {
            Desired::Open => {
                self.observe_open(
                    observation,
                    environment,
                    now,
                    remind_after_seconds,
                    claim_id,
                )
                .await
            }
            Desired::Resolved => self.observe_resolved(observation, now, claim_id).await,
        }
    }

    async fn observe_open(
        &self,
        observation: &Observation,
        environment: &str,
        now: Timestamp,
        remind_after_seconds: i64,
        claim_id: &str,
    ) -> Result<Decision, LedgerError> {
        let f = &observation.finding;
        let key = f.dedup_key();
        // Reminders chase what pages (error, critical). An info or warning finding is a record
        // told once: "already restored when checked", "someone tried and was denied"; so is a
        // burst of events (its incident stays open until a human closes it).
        let remind_before = if remind_after_seconds > 0
            && f.severity >= Severity::Error
            && f.occurrence.is_none()
        {
            now.epoch_seconds() - remind_after_seconds
        } else {
            i64::MIN
        };
        let progress = i64::from(f.progress.unwrap_or(0));
        let details = serde_json::to_string(&f.details).unwrap_or_else(|_| "{}".to_owned());
        let result = self
            .client.get()
            .update_item()
            .table_name(&self.table)
            .key("dedup_key", s(&key))
            .condition_expression(
                "attribute_not_exists(dedup_key) OR (\
                   (attribute_not_exists(observed_at) OR observed_at <= :obs) \
                   AND (attribute_not_exists(claim_id) OR claim_until < :now) \
                   AND (attribute_not_exists(notified_action) OR notified_action <> :triggered \
                        OR notified_rank < :rank OR last_notified_at <= :remind_before \
                        OR (attribute_not_exists(notified_progress) AND :progress > :zero) \
                        OR notified_progress < :progress))",
            )
            .update_expression(
                "SET finding_state = :open, finding_check = :check, resource_arn = :arn, \
                 resource_type = :rtype, severity_name = :sev, summary_text = :summary, \
                 impact_text = :impact, remedy_text = :remedy, details_json = :details, \
                 environment_name = :env, account_id = :account, region_name = :region, \
                 observed_at = :obs, last_seen = :obs, first_seen = if_not_exists(first_seen, :obs), \
                 processed_at = :now, \
                 occurrence_count = if_not_exists(occurrence_count, :zero) + :one, \
                 claim_id = :claim, claim_until = :until \
                 REMOVE expires_at",
            )
            .expression_attribute_values(":obs", n(f.observed_at.epoch_seconds()))
            .expression_attribute_values(":now", n(now.epoch_seconds()))
            .expression_attribute_values(":triggered", s(TRIGGERED))
            .expression_attribute_values(":rank", n(f.severity.rank()))
            .expression_attribute_values(":progress", n(progress))
            .expression_attribute_values(":remind_before", n(remind_before))
            .expression_attribute_values(":open", s("open"))
            .expression_attribute_values(":check", s(&f.check))
            .expression_attribute_values(":arn", s(&f.resource_arn))
            .expression_attribute_values(":rtype", s(non_empty(&f.resource_type)))
            .expression_attribute_values(":sev", s(f.severity.as_str()))
            .expression_attribute_values(":summary", s(non_empty(&f.summary)))
            .expression_attribute_values(":impact", s(non_empty(&f.impact)))
            .expression_attribute_values(":remedy", s(non_empty(&f.remedy)))
            .expression_attribute_values(":details", s(details))
            .expression_attribute_values(":env", s(non_empty(environment)))
            .expression_attribute_values(":account", s(non_empty(&f.account)))
            .expression_attribute_values(":region", s(non_empty(&f.region)))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":claim", s(claim_id))
            .expression_attribute_values(":until", n(now.epoch_seconds() + CLAIM_LEASE_SECONDS))
            .return_values(ReturnValue::AllOld)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => {
                let old = output.attributes().map(Record::from_item);
                let first_seen = old
                    .as_ref()
                    .and_then(|r| r.first_seen)
                    .map_or(f.observed_at, |t| {
                        Timestamp::from_epoch_seconds(t.min(f.observed_at.epoch_seconds()))
                    });
                Ok(Decision::Notify {
                    notification: open_notification(old.as_ref(), f.severity.rank(), progress),
                    claim_id: claim_id.to_owned(),
                    severity: f.severity,
                    first_seen: Some(first_seen),
                    occurrences: old.map_or(0, |r| r.occurrence_count) + 1,
                })
            }
            Err(err) => {
                let old = match conditional_failure_item(&err) {
                    Some(item) => item.map(|i| Record::from_item(&i)),
                    None => return Err(dynamo_error(&key, "claim", &err)),
                };
                let decision = refusal(old.as_ref(), f.observed_at, now, Desired::Open);
                if decision == Decision::Quiet(Quiet::AlreadyOpen)
                    && !self.touch_open(observation, &key, now).await?
                {
                    return Ok(Decision::Quiet(Quiet::Stale));
                }
                if decision == Decision::Quiet(Quiet::Stale)
                    && old.as_ref().is_some_and(|r| {
                        r.is_open()
                            && r.first_seen
                                .is_some_and(|t| t > f.observed_at.epoch_seconds())
                    })
                {
                    self.backdate_first_seen(&key, f.observed_at).await?;
                }
                Ok(decision)
            }
        }
    }

    /// Records a repeat observation of an open finding. `false` when it turned out stale.
    async fn touch_open(
        &self,
        observation: &Observation,
        key: &str,
        now: Timestamp,
    ) -> Result<bool, LedgerError> {
        let f = &observation.finding;
        let details = serde_json::to_string(&f.details).unwrap_or_else(|_| "{}".to_owned());
        let result = self
            .client.get()
            .update_item()
            .table_name(&self.table)
            .key("dedup_key", s(key))
            .condition_expression(
                "attribute_exists(dedup_key) AND (attribute_not_exists(observed_at) OR observed_at <= :obs)",
            )
            .update_expression(
                "SET last_seen = :obs, processed_at = :now, observed_at = :obs, summary_text = :summary, \
                 details_json = :details, occurrence_count = if_not_exists(occurrence_count, :zero) + :one",
            )
            .expression_attribute_values(":obs", n(f.observed_at.epoch_seconds()))
            .expression_attribute_values(":now", n(now.epoch_seconds()))
            .expression_attribute_values(":summary", s(non_empty(&f.summary)))
            .expression_attribute_values(":details", s(details))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if conditional_failure_item(&err).is_some() => Ok(false),
            Err(err) => Err(dynamo_error(key, "update", &err)),
        }
    }

    async fn observe_resolved(
        &self,
        observation: &Observation,
        now: Timestamp,
        claim_id: &str,
    ) -> Result<Decision, LedgerError> {
        let f = &observation.finding;
        let key = f.dedup_key();
        let result = self
            .client.get()
            .update_item()
            .table_name(&self.table)
            .key("dedup_key", s(&key))
            .condition_expression(
                "attribute_exists(dedup_key) AND notified_action = :triggered \
                 AND (attribute_not_exists(observed_at) OR observed_at <= :obs) \
                 AND (attribute_not_exists(claim_id) OR claim_until < :now)",
            )
            .update_expression(
                "SET finding_state = :resolved, observed_at = :obs, last_seen = :obs, processed_at = :now, \
                 resolve_summary = :summary, claim_id = :claim, claim_until = :until",
            )
            .expression_attribute_values(":triggered", s(TRIGGERED))
            .expression_attribute_values(":obs", n(f.observed_at.epoch_seconds()))
            .expression_attribute_values(":now", n(now.epoch_seconds()))
            .expression_attribute_values(":resolved", s("resolved"))
            .expression_attribute_values(":summary", s(non_empty(&f.summary)))
            .expression_attribute_values(":claim", s(claim_id))
            .expression_attribute_values(":until", n(now.epoch_seconds() + CLAIM_LEASE_SECONDS))
            .return_values(ReturnValue::AllOld)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => {
                let old = output
                    .attributes()
                    .map(Record::from_item)
                    .unwrap_or_default();
                Ok(Decision::Notify {
                    notification: Notification::Resolve,
                    claim_id: claim_id.to_owned(),
                    severity: old.severity.unwrap_or(f.severity),
                    first_seen: old.first_seen.map(Timestamp::from_epoch_seconds),
                    occurrences: old.occurrence_count,
                })
            }
            Err(err) => {
                let old = match conditional_failure_item(&err) {
                    Some(item) => item.map(|i| Record::from_item(&i)),
                    None => return Err(dynamo_error(&key, "claim", &err)),
                };
                let decision = refusal(old.as_ref(), f.observed_at, now, Desired::Resolved);
                if decision == Decision::Quiet(Quiet::NotOpen) {
                    // Remembered even with nothing to resolve (no record yet): an older
                    // failure delivered after this success is then stale, not a new page.
                    self.mark_resolved_quietly(observation, &key, now).await?;
                }
                Ok(decision)
            }
        }
    }

    /// A finding with nothing to resolve (never notified, already resolved, or never seen)
    /// clears without a message, and the observation is remembered: its time is the newest
    /// the ledger knows for the finding, so an older opening observation delivered later is
    /// stale. The record expires ([`RESOLVED_RETENTION_SECONDS`]), so the table does not grow.
    async fn mark_resolved_quietly(
        &self,
        observation: &Observation,
        key: &str,
        now: Timestamp,
    ) -> Result<(), LedgerError> {
        let f = &observation.finding;
        let result = self
            .client.get()
            .update_item()
            .table_name(&self.table)
            .key("dedup_key", s(key))
            .condition_expression(
                "attribute_not_exists(dedup_key) OR (\
                   (attribute_not_exists(observed_at) OR observed_at <= :obs) \
                   AND (attribute_not_exists(claim_id) OR claim_until < :now) \
                   AND (attribute_not_exists(notified_action) OR notified_action <> :triggered))",
            )
            .update_expression(
                "SET finding_state = :resolved, finding_check = :check, resource_arn = :arn, \
                 account_id = :account, region_name = :region, observed_at = :obs, last_seen = :obs, \
                 processed_at = :now, expires_at = :expires \
                 REMOVE first_seen, occurrence_count",
            )
            .expression_attribute_values(":obs", n(f.observed_at.epoch_seconds()))
            .expression_attribute_values(":now", n(now.epoch_seconds()))
            .expression_attribute_values(":triggered", s(TRIGGERED))
            .expression_attribute_values(":resolved", s("resolved"))
            .expression_attribute_values(":check", s(&f.check))
            .expression_attribute_values(":arn", s(non_empty(&f.resource_arn)))
            .expression_attribute_values(":account", s(non_empty(&f.account)))
            .expression_attribute_values(":region", s(non_empty(&f.region)))
            .expression_attribute_values(":expires", n(now.epoch_seconds() + RESOLVED_RETENTION_SECONDS))
            .send()
            .await;
        refused_is_fine(key, "update", result)
    }

    /// An open finding observed earlier than anything the ledger has seen of it (a late
    /// delivery): `first_seen` is the earliest observation, so it moves back.
    async fn backdate_first_seen(
        &self,
        key: &str,
        observed_at: Timestamp,
    ) -> Result<(), LedgerError> {
        let result = self
            .client
            .get()
            .update_item()
            .table_name(&self.table)
            .key("dedup_key", s(key))
            .condition_expression("finding_state = :open AND first_seen > :obs")
            .update_expression("SET first_seen = :obs")
            .expression_attribute_values(":open", s("open"))
            .expression_attribute_values(":obs", n(observed_at.epoch_seconds()))
            .send()
            .await;
        refused_is_fine(key, "update", result)
    }

    /// The details an open finding was last observed with (`None` when it is not open), for
    /// a function that judges a new observation against what the incident has seen so far
    /// (a key regenerated twice while its finding is open has lost the original key).
    pub async fn open_details(&self, key: &str) -> Result<Option<Map<String, Value>>, LedgerError> {
        let item = self
            .client
            .get()
            .get_item()
            .table_name(&self.table)
            .key("dedup_key", s(key))
            .consistent_read(true)
            .projection_expression("finding_state, details_json")
            .send()
            .await
            .map_err(|err| LedgerError {
                dedup_key: key.to_owned(),
                step: "read",
                reason: aws_sdk_dynamodb::error::DisplayErrorContext(&err).to_string(),
            })?
            .item;
        let Some(item) = item else {
            return Ok(None);
        };
        if !Record::from_item(&item).is_open() {
            return Ok(None);
        }
        let details = item
            .get("details_json")
            .and_then(|v| v.as_s().ok())
            .and_then(|text| serde_json::from_str::<Map<String, Value>>(text).ok())
            .unwrap_or_default();
        Ok(Some(details))
    }

    /// The open findings of the given checks in one account and region: what a scheduled
    /// check must resolve when it finds the condition gone. One paginated `Scan` (the
    /// ledger holds open findings and recently resolved ones, so it stays small).
    pub async fn open_findings(
        &self,
        account: &str,
        region: &str,
        checks: &[&str],
    ) -> Result<Vec<OpenFinding>, LedgerError> {
        let scan_error = |reason: String| LedgerError {
            dedup_key: format!("phoenix:{account}:{region}:*"),
            step: "scan",
            reason,
        };
        let placeholders: Vec<String> = (0..checks.len()).map(|i| format!(":c{i}")).collect();
        let filter = format!(
            "finding_state = :open AND account_id = :account AND region_name = :region \
             AND finding_check IN ({})",
            placeholders.join(", ")
        );
        let mut found = Vec::new();
        if checks.is_empty() {
            return Ok(found);
        }
        let mut start: Option<Item> = None;
        loop {
            let mut request = self
                .client
                .get()
                .scan()
                .table_name(&self.table)
                .filter_expression(&filter)
                .projection_expression(
                    "dedup_key, finding_check, resource_arn, resource_type, severity_name",
                )
                .expression_attribute_values(":open", s("open"))
                .expression_attribute_values(":account", s(non_empty(account)))
                .expression_attribute_values(":region", s(non_empty(region)))
                .set_exclusive_start_key(start.take());
            for (placeholder, check) in placeholders.iter().zip(checks) {
                request = request.expression_attribute_values(placeholder, s(*check));
            }
            let page = request.send().await.map_err(|err| {
                scan_error(aws_sdk_dynamodb::error::DisplayErrorContext(&err).to_string())
            })?;
            for item in page.items() {
                let text = |k: &str| {
                    item.get(k)
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                        .unwrap_or_default()
                };
                found.push(OpenFinding {
                    dedup_key: text("dedup_key"),
                    check: text("finding_check"),
                    resource_arn: text("resource_arn"),
                    resource_type: text("resource_type"),
                    severity: Severity::parse(&text("severity_name")),
                });
            }
            match page.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => break,
            }
        }
        Ok(found)
    }

    /// Remembers that the claimed notification was sent, and drops the claim. A finding
    /// about one occurrence is given its expiry ([`OCCURRENCE_RETENTION_SECONDS`]) and the
    /// progress step told.
    pub async fn commit(
        &self,
        key: &str,
        claim_id: &str,
        notification: Notification,
        severity: Severity,
        finding: &Finding,
        now: Timestamp,
    ) -> Result<(), LedgerError> {
        let (occurrence, progress) = (finding.occurrence.is_some(), finding.progress);
        let mut request = self
            .client
            .get()
            .update_item()
            .table_name(&self.table)
            .key("dedup_key", s(key))
            .condition_expression("claim_id = :claim")
            .expression_attribute_values(":claim", s(claim_id))
            .expression_attribute_values(":now", n(now.epoch_seconds()))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1));
        request = if notification == Notification::Resolve {
            request
                .update_expression(
                    "SET notified_action = :action, last_notified_at = :now, expires_at = :expires, \
                     notification_count = if_not_exists(notification_count, :zero) + :one \
                     REMOVE claim_id, claim_until, first_seen, occurrence_count",
                )
                .expression_attribute_values(":action", s(RESOLVED))
                .expression_attribute_values(
                    ":expires",
                    n(now.epoch_seconds() + RESOLVED_RETENTION_SECONDS),
                )
        } else if occurrence {
            request
                .update_expression(
                    "SET notified_action = :action, notified_rank = :rank, last_notified_at = :now, \
                     expires_at = :expires, notified_progress = :progress, \
                     notification_count = if_not_exists(notification_count, :zero) + :one \
                     REMOVE claim_id, claim_until",
                )
                .expression_attribute_values(":action", s(TRIGGERED))
                .expression_attribute_values(":rank", n(severity.rank()))
                .expression_attribute_values(":progress", n(i64::from(progress.unwrap_or(0))))
                .expression_attribute_values(
                    ":expires",
                    n(now.epoch_seconds() + OCCURRENCE_RETENTION_SECONDS),
                )
        } else {
            request
                .update_expression(
                    "SET notified_action = :action, notified_rank = :rank, last_notified_at = :now, \
                     notification_count = if_not_exists(notification_count, :zero) + :one \
                     REMOVE claim_id, claim_until",
                )
                .expression_attribute_values(":action", s(TRIGGERED))
                .expression_attribute_values(":rank", n(severity.rank()))
        };
        request
            .send()
            .await
            .map(|_| ())
            .map_err(|err| dynamo_error(key, "commit", &err))
    }

    /// Drops a claim whose notification could not be sent, so a retry can claim it again.
    pub async fn release(&self, key: &str, claim_id: &str) -> Result<(), LedgerError> {
        let result = self
            .client
            .get()
            .update_item()
            .table_name(&self.table)
            .key("dedup_key", s(key))
            .condition_expression("claim_id = :claim")
            .update_expression("REMOVE claim_id, claim_until")
            .expression_attribute_values(":claim", s(claim_id))
            .send()
            .await;
        refused_is_fine(key, "release", result)
    }
}

/// The result of a conditional write whose refusal is no error: another invocation's
/// newer write stands (or there was nothing of ours left to change).
fn refused_is_fine(
    key: &str,
    step: &'static str,
    result: Result<
        aws_sdk_dynamodb::operation::update_item::UpdateItemOutput,
        aws_sdk_dynamodb::error::SdkError<
            aws_sdk_dynamodb::operation::update_item::UpdateItemError,
        >,
    >,
) -> Result<(), LedgerError> {
    match result {
        Ok(_) => Ok(()),
        Err(err) if conditional_failure_item(&err).is_some() => Ok(()),
        Err(err) => Err(dynamo_error(key, step, &err)),
    }
}

fn non_empty(v: &str) -> &str {
    if v.is_empty() { "-" } else { v }
}

/// `Some(item as it was)` when the error is a refused condition, `None` for any other error.
fn conditional_failure_item(
    err: &aws_sdk_dynamodb::error::SdkError<
        aws_sdk_dynamodb::operation::update_item::UpdateItemError,
    >,
) -> Option<Option<Item>> {
    match err.as_service_error() {
        Some(aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(e)) => {
            Some(e.item().cloned())
        }
        _ => None,
    }
}

fn dynamo_error(
    key: &str,
    step: &'static str,
    err: &aws_sdk_dynamodb::error::SdkError<
        aws_sdk_dynamodb::operation::update_item::UpdateItemError,
    >,
) -> LedgerError {
    LedgerError {
        dedup_key: key.to_owned(),
        step,
        reason: aws_sdk_dynamodb::error::DisplayErrorContext(err).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp::from_epoch_seconds(1_000_000);

    fn triggered(rank: i64) -> Record {
        Record {
            notified_action: Some(TRIGGERED.to_owned()),
            notified_rank: Some(rank),
            observed_at: Some(999_000),
            ..Record::default()
        }
    }

    #[test]
    fn a_reopened_or_new_finding_triggers_and_a_more_severe_one_escalates() {
        assert_eq!(open_notification(None, 3, 0), Notification::Trigger);
        let resolved = Record {
            notified_action: Some(RESOLVED.to_owned()),
            ..Record::default()
        };
        assert_eq!(
            open_notification(Some(&resolved), 3, 0),
            Notification::Trigger
        );
        assert_eq!(
            open_notification(Some(&triggered(1)), 3, 0),
            Notification::Escalation
        );
        assert_eq!(
            open_notification(Some(&triggered(3)), 3, 0),
            Notification::Reminder
        );
        assert_eq!(
            open_notification(Some(&triggered(3)), 3, 2),
            Notification::Update,
            "a burst that grew past its last told step is told again"
        );
        let mut told = triggered(3);
        told.notified_progress = Some(2);
        assert_eq!(
            open_notification(Some(&told), 3, 2),
            Notification::Reminder,
            "a step already told is not told again"
        );
    }

    #[test]
    fn refusals_distinguish_stale_in_flight_and_already_open() {
        let stale_at = Timestamp::from_epoch_seconds(998_000);
        let obs = Timestamp::from_epoch_seconds(999_500);
        let open = triggered(3);
        assert_eq!(
            refusal(Some(&open), stale_at, NOW, Desired::Open),
            Decision::Quiet(Quiet::Stale)
        );
        assert_eq!(
            refusal(Some(&open), obs, NOW, Desired::Open),
            Decision::Quiet(Quiet::AlreadyOpen)
        );
        assert_eq!(
            refusal(None, obs, NOW, Desired::Resolved),
            Decision::Quiet(Quiet::NotOpen)
        );

        let mut claimed = open.clone();
        claimed.claim_id = Some("other".to_owned());
        claimed.claim_until = Some(NOW.epoch_seconds() + 10);
        assert_eq!(
            refusal(Some(&claimed), obs, NOW, Desired::Open),
            Decision::InFlight
        );
        assert_eq!(
            refusal(Some(&claimed), obs, NOW, Desired::Resolved),
            Decision::InFlight
        );

        claimed.claim_until = Some(NOW.epoch_seconds() - 1);
        assert_eq!(
            refusal(Some(&claimed), obs, NOW, Desired::Open),
            Decision::Quiet(Quiet::AlreadyOpen),
            "an expired claim is not in flight"
        );
    }
}
