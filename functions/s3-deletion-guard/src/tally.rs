//! Counting permanent deletions per bucket, exactly, across concurrent invocations.
//!
//! Two kinds of items live in the findings table beside the ledger's own (they carry no
//! `finding_state`, so the ledger's listings skip them):
//!
//! * `seen:<bucket>/<key>#<version or sequencer>`: written once per deletion with a condition,
//!   so a retried or duplicated event is not counted twice; expires after two days. It says
//!   whether the deletion has reached the tally (`counted`): an invocation that recorded it
//!   and then failed before counting it leaves it uncounted, and Lambda's retry (a minute
//!   later, after [`RECOUNT_AFTER_SECONDS`]) counts it then, so no deletion goes unpaged.
//! * `tally:<account>:<region>:<bucket>`: the current burst (`episode`, when it started), its
//!   running `deleted` count, `last_seen`, and a few sample keys. A deletion joins the burst
//!   while the bucket has been quiet for less than the configured quiet period; otherwise it
//!   starts a new one. Each burst is one incident (its id is part of the finding's dedup key).
//!
//! Every step is one conditional write; DynamoDB applies each atomically, so thousands of
//! concurrent invocations add up to the exact number of distinct deletions. The one
//! exception leans towards paging: when an invocation counts a deletion and then cannot
//! mark it counted, its retry counts it again.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use phoenix_shared::Timestamp;
use phoenix_shared::aws::reason;
use std::collections::HashMap;

/// How many sample keys a burst keeps.
pub const SAMPLE_KEYS: usize = 5;
/// The longest sample key kept, in characters.
const SAMPLE_KEY_CHARS: usize = 200;
/// How long a `seen:` marker is kept: longer than any redelivery (EventBridge retries for 24 h).
const SEEN_RETENTION_SECONDS: i64 = 2 * 86_400;

/// The state of a bucket's current burst after recording some deletions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Burst {
    /// When the burst started, as `YYYYMMDDTHHMMSSZ`: part of the incident's dedup key.
    pub episode: String,
    /// Distinct permanent deletions in the burst so far.
    pub deleted: i64,
    pub samples: Vec<String>,
    /// Whether these deletions started the burst.
    pub started: bool,
    /// When its newest deletion was counted (epoch seconds).
    pub last_seen: i64,
    /// The tally's scope, `<account>:<region>:<bucket>`.
    pub scope: String,
}

/// A bucket's deletions as [`Tally::add`] leaves them: the burst they joined and, when they
/// started a new one, the burst that went quiet before (its final size still to be told).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Added {
    pub burst: Option<Burst>,
    pub ended: Option<Burst>,
}

/// How long a recorded but uncounted deletion is left to the invocation that recorded it
/// before another delivery of the same event counts it (that invocation failed or timed
/// out). Shorter than Lambda's first retry of a failed asynchronous invocation (a minute),
/// longer than two copies of one event racing each other.
pub const RECOUNT_AFTER_SECONDS: i64 = 50;

/// What a deletion's `seen:` marker says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sighting {
    /// Not seen before: count it.
    First,
    /// Recorded by an invocation that did not count it and has had its time: count it.
    Uncounted,
    /// Counted before, or being counted by another invocation right now.
    Redelivered,
}

impl Sighting {
    pub fn to_count(self) -> bool {
        matches!(self, Self::First | Self::Uncounted)
    }
}

/// A DynamoDB call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyError(pub String);

type Item = HashMap<String, AttributeValue>;

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn is_conditional<E: aws_sdk_dynamodb::error::ProvideErrorMetadata, R>(
    err: &SdkError<E, R>,
) -> bool {
    err.as_service_error()
        .and_then(aws_sdk_dynamodb::error::ProvideErrorMetadata::code)
        == Some("ConditionalCheckFailedException")
}

fn burst_from(item: Option<&Item>, started: bool) -> Burst {
    let get_s = |k: &str| {
        item.and_then(|i| i.get(k))
            .and_then(|v| v.as_s().ok())
            .cloned()
    };
    Burst {
        last_seen: item
            .and_then(|i| i.get("last_seen"))
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        scope: get_s("dedup_key")
            .and_then(|k| k.strip_prefix("tally:").map(str::to_owned))
            .unwrap_or_default(),
        episode: get_s("episode").unwrap_or_default(),
        deleted: item
            .and_then(|i| i.get("deleted"))
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        samples: item
            .and_then(|i| i.get("samples"))
            .and_then(|v| v.as_l().ok())
            .map(|l| {
                l.iter()
                    .filter_map(|v| v.as_s().ok().cloned())
                    .take(SAMPLE_KEYS)
                    .collect()
            })
            .unwrap_or_default(),
        started,
    }
}

/// The result of a write into one burst only (`episode = :episode`): refused means a new
/// burst has started since, which leaves nothing of the old one to change.
fn same_burst_only<R>(
    result: Result<R, SdkError<aws_sdk_dynamodb::operation::update_item::UpdateItemError>>,
    what: impl FnOnce() -> String,
) -> Result<(), TallyError> {
    match result {
        Ok(_) => Ok(()),
        Err(err) if is_conditional(&err) => Ok(()),
        Err(err) => Err(TallyError(format!("{} failed: {}", what(), reason(&err)))),
    }
}

/// Whether a tally item's burst has had its end told.
fn is_ended(item: &Item) -> bool {
    let get = |k: &str| item.get(k).and_then(|v| v.as_s().ok());
    get("ended").is_some() && get("ended") == get("episode")
}

/// `YYYYMMDDTHHMMSSZ`.
pub fn episode_id(at: Timestamp) -> String {
    at.compact()
}

/// The start of a burst from its id.
pub fn episode_start(episode: &str) -> Option<Timestamp> {
    let b = episode.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| episode.get(r).and_then(|t| t.parse::<u32>().ok());
    Timestamp::from_civil(
        i64::from(num(0..4)?),
        num(4..6)?,
        num(6..8)?,
        num(9..11)?,
        num(11..13)?,
        num(13..15)?,
    )
}

/// A redelivery's verdict from the marker an earlier delivery left. A marker written before
/// markers said whether they were counted (no `counted`) was counted.
fn judge_sighting(old: Option<&Item>, now: Timestamp) -> Sighting {
    let counted = old
        .and_then(|i| i.get("counted"))
        .and_then(|v| v.as_bool().ok())
        .copied()
        .unwrap_or(true);
    let sighted_at = old
        .and_then(|i| i.get("sighted_at"))
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(i64::MIN);
    if !counted && sighted_at <= now.epoch_seconds() - RECOUNT_AFTER_SECONDS {
        Sighting::Uncounted
    } else {
        Sighting::Redelivered
    }
}

fn sample(key: &str) -> String {
    key.chars().take(SAMPLE_KEY_CHARS).collect()
}

/// Per-bucket deletion counting over the findings table.
#[derive(Debug, Clone)]
pub struct Tally {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl Tally {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Records a deletion as seen (not yet counted) and says whether to count it.
    pub async fn sight(&self, identity: &str, now: Timestamp) -> Result<Sighting, TallyError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("dedup_key", s(format!("seen:{identity}")))
            .item("sighted_at", n(now.epoch_seconds()))
            .item("counted", AttributeValue::Bool(false))
            .item(
                "expires_at",
                n(now.epoch_seconds() + SEEN_RETENTION_SECONDS),
            )
            .condition_expression("attribute_not_exists(dedup_key)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let old = match result {
            Ok(_) => return Ok(Sighting::First),
            Err(err) => match err.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(e)) => e.item().cloned(),
                _ => {
                    return Err(TallyError(format!(
                        "recording deletion {identity} failed: {}",
                        reason(&err)
                    )));
                }
            },
        };
        Ok(judge_sighting(old.as_ref(), now))
    }

    /// Notes that a deletion reached the tally, so that its redeliveries are not counted.
    pub async fn mark_counted(&self, identity: &str) -> Result<(), TallyError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("dedup_key", s(format!("seen:{identity}")))
            .update_expression("SET counted = :yes")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .send()
            .await
            .map(drop)
            .map_err(|err| {
                TallyError(format!(
                    "marking deletion {identity} counted failed: {}",
                    reason(&err)
                ))
            })
    }

    /// Adds `keys.len()` new deletions to the bucket's burst (starting one when the bucket
    /// has been quiet for `quiet_seconds`) and answers the burst as it now stands. With no
    /// keys (only redeliveries) it starts nothing: `None` when no burst is under way.
    pub async fn add(
        &self,
        scope: &str,
        keys: &[String],
        now: Timestamp,
        quiet_seconds: i64,
    ) -> Result<Added, TallyError> {
        let item_key = format!("tally:{scope}");
        let count = i64::try_from(keys.len()).unwrap_or(i64::MAX);
        let cutoff = now.epoch_seconds() - quiet_seconds;
        for _ in 0..4 {
            // Join the current burst.
            let joined = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("dedup_key", s(&item_key))
                .condition_expression("attribute_exists(episode) AND last_seen >= :cutoff")
                .update_expression("SET last_seen = :now ADD deleted :count")
                .expression_attribute_values(":cutoff", n(cutoff))
                .expression_attribute_values(":now", n(now.epoch_seconds()))
                .expression_attribute_values(":count", n(count))
                .return_values(ReturnValue::AllNew)
                .send()
                .await;
            match joined {
                Ok(out) => {
                    let mut burst = burst_from(out.attributes(), false);
                    if burst.samples.len() < SAMPLE_KEYS && !keys.is_empty() {
                        self.add_samples(&item_key, keys, &burst.episode).await?;
                        burst.samples.extend(keys.iter().map(|k| sample(k)));
                        burst.samples.truncate(SAMPLE_KEYS);
                    }
                    return Ok(Added {
                        burst: Some(burst),
                        ended: None,
                    });
                }
                Err(err) if is_conditional(&err) && keys.is_empty() => return Ok(Added::default()),
                Err(err) if is_conditional(&err) => {}
                Err(err) => {
                    return Err(TallyError(format!(
                        "counting deletions in {scope} failed: {}",
                        reason(&err)
                    )));
                }
            }
            // No burst, or the last one went quiet: start one. Two invocations may race here;
            // the loser's condition fails and it joins the winner's burst.
            let samples: Vec<AttributeValue> = keys
                .iter()
                .take(SAMPLE_KEYS)
                .map(|k| s(sample(k)))
                .collect();
            let started = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("dedup_key", s(&item_key))
                .condition_expression("attribute_not_exists(episode) OR last_seen < :cutoff")
                .update_expression(
                    "SET episode = :episode, deleted = :count, last_seen = :now, samples = :samples",
                )
                .expression_attribute_values(":cutoff", n(cutoff))
                .expression_attribute_values(":episode", s(episode_id(now)))
                .expression_attribute_values(":count", n(count))
                .expression_attribute_values(":now", n(now.epoch_seconds()))
                .expression_attribute_values(":samples", AttributeValue::L(samples))
                .return_values(ReturnValue::AllOld)
                .send()
                .await;
            match started {
                Ok(out) => {
                    let ended = out
                        .attributes()
                        .filter(|old| !is_ended(old))
                        .map(|old| burst_from(Some(old), false))
                        .filter(|old| !old.episode.is_empty());
                    let burst = Burst {
                        episode: episode_id(now),
                        deleted: count,
                        samples: keys.iter().take(SAMPLE_KEYS).map(|k| sample(k)).collect(),
                        started: true,
                        last_seen: now.epoch_seconds(),
                        scope: scope.to_owned(),
                    };
                    return Ok(Added {
                        burst: Some(burst),
                        ended,
                    });
                }
                Err(err) if is_conditional(&err) => {}
                Err(err) => {
                    return Err(TallyError(format!(
                        "starting a burst in {scope} failed: {}",
                        reason(&err)
                    )));
                }
            }
        }
        Err(TallyError(format!(
            "counting deletions in {scope} kept racing with other invocations"
        )))
    }

    /// The bursts that have gone quiet (no deletion for `quiet_seconds`) and whose end has
    /// not been told yet ([`Tally::mark_ended`]). One paginated `Scan` of the tally items.
    pub async fn quiet_bursts(
        &self,
        now: Timestamp,
        quiet_seconds: i64,
    ) -> Result<Vec<Burst>, TallyError> {
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression(
                    "begins_with(dedup_key, :tally) AND last_seen < :cutoff \
                     AND (attribute_not_exists(ended) OR ended <> episode)",
                )
                .expression_attribute_values(":tally", s("tally:"))
                .expression_attribute_values(":cutoff", n(now.epoch_seconds() - quiet_seconds))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|err| {
                    TallyError(format!("listing quiet bursts failed: {}", reason(&err)))
                })?;
            found.extend(
                page.items()
                    .iter()
                    .map(|item| burst_from(Some(item), false)),
            );
            match page.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => break,
            }
        }
        Ok(found)
    }

    /// Notes that a burst's end was told, so the next sweep does not list it again. Only
    /// that burst: a new one may have started meanwhile.
    pub async fn mark_ended(&self, burst: &Burst) -> Result<(), TallyError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("dedup_key", s(format!("tally:{}", burst.scope)))
            .condition_expression("episode = :episode")
            .update_expression("SET ended = :episode")
            .expression_attribute_values(":episode", s(&burst.episode))
            .send()
            .await;
        same_burst_only(result, || {
            format!("marking the burst in {} ended", burst.scope)
        })
    }

    async fn add_samples(
        &self,
        item_key: &str,
        keys: &[String],
        episode: &str,
    ) -> Result<(), TallyError> {
        let more: Vec<AttributeValue> = keys
            .iter()
            .take(SAMPLE_KEYS)
            .map(|k| s(sample(k)))
            .collect();
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("dedup_key", s(item_key))
            // Only into the same burst: a new one may have started meanwhile.
            .condition_expression("episode = :episode")
            .update_expression("SET samples = list_append(if_not_exists(samples, :empty), :more)")
            .expression_attribute_values(":episode", s(episode))
            .expression_attribute_values(":empty", AttributeValue::L(Vec::new()))
            .expression_attribute_values(":more", AttributeValue::L(more))
            .send()
            .await;
        same_burst_only(result, || "keeping sample keys".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker(counted: Option<bool>, sighted_at: i64) -> Item {
        let mut item = Item::new();
        item.insert("dedup_key".to_owned(), s("seen:b/k#1"));
        item.insert("sighted_at".to_owned(), n(sighted_at));
        if let Some(c) = counted {
            item.insert("counted".to_owned(), AttributeValue::Bool(c));
        }
        item
    }

    #[test]
    fn an_uncounted_deletion_is_counted_by_a_later_delivery_but_not_by_a_racing_copy() {
        let now = Timestamp::from_epoch_seconds(1_795_316_645);
        let t = now.epoch_seconds();
        let recorded_by_a_failed_invocation = marker(Some(false), t - 61);
        assert_eq!(
            judge_sighting(Some(&recorded_by_a_failed_invocation), now),
            Sighting::Uncounted
        );
        let being_counted_now = marker(Some(false), t - 2);
        assert_eq!(
            judge_sighting(Some(&being_counted_now), now),
            Sighting::Redelivered
        );
        assert_eq!(
            judge_sighting(Some(&marker(Some(true), t - 600)), now),
            Sighting::Redelivered
        );
        let older_marker_without_the_flag = marker(None, t - 600);
        assert_eq!(
            judge_sighting(Some(&older_marker_without_the_flag), now),
            Sighting::Redelivered
        );
        assert!(Sighting::Uncounted.to_count() && !Sighting::Redelivered.to_count());
    }

    #[test]
    fn episode_ids_read_back_as_their_start() {
        let at = Timestamp::from_epoch_seconds(1_795_316_645);
        let id = episode_id(at);
        assert_eq!(id.len(), 16);
        assert_eq!(episode_start(&id), Some(at));
        assert_eq!(episode_start("2026-11-23"), None);
    }
}
