//! Counting permanent deletions per bucket, exactly, across concurrent invocations.
//!
//! Two kinds of items live in the findings table beside the ledger's own (they carry no
//! `finding_state`, so the ledger's listings skip them):
//!
//! * `seen:<bucket>/<key>#<version or sequencer>`: written once per deletion with a condition,
//!   so a retried or duplicated event is not counted twice; expires after two days.
//! * `tally:<account>:<region>:<bucket>`: the current burst (`episode`, when it started), its
//!   running `deleted` count, `last_seen`, and a few sample keys. A deletion joins the burst
//!   while the bucket has been quiet for less than the configured quiet period; otherwise it
//!   starts a new one. Each burst is one incident (its id is part of the finding's dedup key).
//!
//! Every step is one conditional `UpdateItem`; DynamoDB applies each atomically, so thousands
//! of concurrent invocations add up to the exact number of distinct deletions.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
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

    /// Marks a deletion as counted. `false` when it was counted before (a redelivery).
    pub async fn first_sighting(&self, identity: &str, now: Timestamp) -> Result<bool, TallyError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("dedup_key", s(format!("seen:{identity}")))
            .item(
                "expires_at",
                n(now.epoch_seconds() + SEEN_RETENTION_SECONDS),
            )
            .condition_expression("attribute_not_exists(dedup_key)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if is_conditional(&err) => Ok(false),
            Err(err) => Err(TallyError(format!(
                "recording deletion {identity} failed: {}",
                reason(&err)
            ))),
        }
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
    ) -> Result<Option<Burst>, TallyError> {
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
                    return Ok(Some(burst));
                }
                Err(err) if is_conditional(&err) && keys.is_empty() => return Ok(None),
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
                .return_values(ReturnValue::AllNew)
                .send()
                .await;
            match started {
                Ok(out) => return Ok(Some(burst_from(out.attributes(), true))),
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
        match result {
            Ok(_) => Ok(()),
            Err(err) if is_conditional(&err) => Ok(()),
            Err(err) => Err(TallyError(format!(
                "keeping sample keys failed: {}",
                reason(&err)
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn episode_ids_read_back_as_their_start() {
        let at = Timestamp::from_epoch_seconds(1_795_316_645);
        let id = episode_id(at);
        assert_eq!(id.len(), 16);
        assert_eq!(episode_start(&id), Some(at));
        assert_eq!(episode_start("2026-11-23"), None);
    }
}
