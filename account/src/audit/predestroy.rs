//! The pre-destroy gate: what a `terraform destroy` would lose right now.
//!
//! On top of the audit, every data store needs a completed recovery point within the given
//! age, and every data bucket needs versioning Enabled. Anything else is listed as a loss,
//! with what exactly would go (for an unversioned bucket, how many objects and bytes).

use crate::audit::Audit;
use crate::audit::read::{Clients, Read, Versioning};
use crate::freshness::assess::Verdict;
use crate::schedule::format_duration;
use phoenix_shared::time::Timestamp;
use serde_json::{Value, json};

/// Pages of `ListObjectsV2` read to size an unversioned bucket (1,000 objects each).
pub const MAX_PAGES: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loss {
    pub resource: String,
    pub resource_type: String,
    pub name: String,
    /// What a destroy now would lose.
    pub what: String,
}

impl Loss {
    pub fn to_json(&self) -> Value {
        json!({
            "resource": self.resource,
            "resourceType": self.resource_type,
            "name": self.name,
            "wouldLose": self.what,
        })
    }
}

/// Objects in a bucket: (count, bytes, whether there are more than were counted).
pub type Contents = (u64, u64, bool);

/// Counts the objects of a bucket, up to [`MAX_PAGES`] pages.
pub async fn contents(clients: &Clients, bucket: &str) -> Read<Contents> {
    let mut count = 0u64;
    let mut bytes = 0u64;
    let mut pages = clients
        .s3()
        .list_objects_v2()
        .bucket(bucket)
        .into_paginator()
        .send();
    let mut read = 0;
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| format!("ListObjectsV2: {}", phoenix_shared::aws::reason(&e)))?;
        for object in page.contents() {
            count += 1;
            bytes += u64::try_from(object.size().unwrap_or(0)).unwrap_or(0);
        }
        read += 1;
        if read == MAX_PAGES {
            return Ok((count, bytes, page.is_truncated().unwrap_or(false)));
        }
    }
    Ok((count, bytes, false))
}

/// What a destroy now would lose, given `max_age` seconds as the oldest acceptable recovery
/// point. `sizes` gives the contents of unversioned data buckets (by name) when known.
/// Exempt data stores are not losses; they are returned as notes.
pub fn losses(
    audit: &Audit,
    max_age: i64,
    sizes: &dyn Fn(&str) -> Option<Read<Contents>>,
) -> (Vec<Loss>, Vec<String>) {
    let at: Timestamp = audit.facts.at;
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for (item, verdict) in &audit.judgement.verdicts {
        let arn = item.resource.arn.as_str();
        let loss = |what: String| Loss {
            resource: arn.to_owned(),
            resource_type: item.resource.resource_type.clone(),
            name: item.id.clone(),
            what,
        };
        let newest = verdict
            .last_point()
            .or_else(|| audit.facts.backups.last_backup.get(arn).copied())
            .or_else(|| {
                audit
                    .facts
                    .backups
                    .histories
                    .get(arn)
                    .and_then(|h| h.as_ref().ok())
                    .and_then(|h| h.newest_point.as_ref().map(|(t, _)| *t))
            });
        match (verdict, newest) {
            (Verdict::Exempt { reason }, _) => notes.push(format!(
                "{} {} is exempt from backup checks ({}); a destroy loses it unless it is kept some other way",
                item.resource.resource_type,
                item.id,
                reason.as_deref().unwrap_or("no reason given")
            )),
            (Verdict::Unknown { reason }, _) => out.push(loss(format!(
                "unknown: its recovery points could not be read ({reason})"
            ))),
            (_, None) => out.push(loss(
                "ALL of its data: it has no completed recovery point".to_owned(),
            )),
            (_, Some(t)) if at.seconds_since(t) > max_age => out.push(loss(format!(
                "everything written since {t}: its newest recovery point is {} old (allowed: {})",
                format_duration(at.seconds_since(t)),
                format_duration(max_age)
            ))),
            (_, Some(_)) => {}
        }
    }
    if let Ok(buckets) = &audit.facts.buckets {
        for bucket in buckets.iter().filter(|b| b.data) {
            let loss = |what: String| Loss {
                resource: phoenix_shared::arn::bucket(&bucket.name, &audit.facts.region),
                resource_type: "S3Bucket".to_owned(),
                name: bucket.name.clone(),
                what,
            };
            let objects = || match sizes(&bucket.name) {
                Some(Ok((count, bytes, more))) => format!(
                    "{}{count} object(s), {bytes} bytes",
                    if more { "more than " } else { "" }
                ),
                Some(Err(why)) => format!("its objects (they could not be counted: {why})"),
                None => "its objects".to_owned(),
            };
            match &bucket.versioning {
                Ok(Versioning::Enabled) => {}
                Ok(Versioning::Never) => out.push(loss(format!(
                    "{}: versioning was never enabled, so deleting the bucket's objects is permanent",
                    objects()
                ))),
                Ok(Versioning::Suspended) => out.push(loss(format!(
                    "{} written since versioning was suspended: deletes and overwrites are permanent",
                    objects()
                ))),
                Err(why) => out.push(loss(format!("unknown: versioning could not be read ({why})"))),
            }
        }
    } else if let Err(why) = &audit.facts.buckets {
        out.push(Loss {
            resource: "inventory:buckets".to_owned(),
            resource_type: String::new(),
            name: "S3 buckets".to_owned(),
            what: format!("unknown: the buckets could not be listed ({why})"),
        });
    }
    (out, notes)
}
