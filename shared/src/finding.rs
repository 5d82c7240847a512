//! Findings: what a check concluded about one resource.

use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::fmt;

/// PagerDuty's limit on `dedup_key`, which Phoenix Guard's keys are also held to.
pub const MAX_DEDUP_KEY_LEN: usize = 255;

/// Ordered from least to most urgent; the names are PagerDuty's severities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
    Critical,
}

impl Severity {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
            Self::Critical => "critical",
        }
    }

    /// A number that grows with urgency, stored in the ledger to detect escalation.
    pub const fn rank(self) -> i64 {
        match self {
            Self::Info => 0,
            Self::Warning => 1,
            Self::Error => 2,
            Self::Critical => 3,
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "info" => Some(Self::Info),
            "warning" => Some(Self::Warning),
            "error" => Some(Self::Error),
            "critical" => Some(Self::Critical),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One check's conclusion about one resource. The same check on the same resource always
/// has the same [`Finding::dedup_key`], so every later observation updates one record, one
/// PagerDuty incident and one CloudWatch-alarm-shaped alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// A stable check id, e.g. `backup-job-failed`.
    pub check: String,
    pub account: String,
    pub region: String,
    pub resource_arn: String,
    /// AWS Backup's resource type names where they exist (`EFS`, `RDS`, `Aurora`, …).
    pub resource_type: String,
    pub severity: Severity,
    /// One line: what happened to which resource.
    pub summary: String,
    /// Why it matters for a rebuild.
    pub impact: String,
    /// What to do about it.
    pub remedy: String,
    /// Facts from the event (job id, status message, vault, …). Never secrets.
    pub details: Map<String, Value>,
    /// When the condition was observed (the event's time), used to order observations.
    pub observed_at: Timestamp,
    /// For a finding about a burst of events rather than a lasting condition (permanent
    /// deletions in a bucket): which burst. It is part of the dedup key, so each burst is
    /// one incident; such a finding is never reminded, and an invocation that finds another
    /// one notifying it has nothing left to deliver.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occurrence: Option<String>,
    /// For a finding about one occurrence: how far it has grown, as a step that only rises
    /// (a burst of 10+ deletions is 1, 100+ is 2, …; [`PROGRESS_ENDED`] once it is over).
    /// Each higher step is told once, as an update on the same dedup key, which PagerDuty
    /// folds into the open incident: nobody is paged twice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<u32>,
}

/// The last [`Finding::progress`] step of an occurrence: it is over, with its final size.
pub const PROGRESS_ENDED: u32 = 1_000;

impl Finding {
    /// `phoenix:<account>:<region>:<check>:<resource>`, at most 255 characters: a longer key
    /// keeps its start and replaces the tail with a hash of the whole key.
    pub fn dedup_key(&self) -> String {
        match &self.occurrence {
            None => dedup_key(&self.account, &self.region, &self.check, &self.resource_arn),
            Some(occurrence) => dedup_key(
                &self.account,
                &self.region,
                &self.check,
                &format!("{}@{occurrence}", self.resource_arn),
            ),
        }
    }
}

/// See [`Finding::dedup_key`].
pub fn dedup_key(account: &str, region: &str, check: &str, resource: &str) -> String {
    let full = format!("phoenix:{account}:{region}:{check}:{resource}");
    if full.len() <= MAX_DEDUP_KEY_LEN {
        return full;
    }
    let digest = Sha256::digest(full.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    // "~" + 32 hex characters.
    let keep = MAX_DEDUP_KEY_LEN - 1 - hex.len();
    let mut cut = keep;
    while !full.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}~{hex}", &full[..cut])
}

/// Whether a finding should be open or resolved after an observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Desired {
    Open,
    Resolved,
}

/// What a function saw: a finding that holds (open) or no longer holds (resolved).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Observation {
    pub desired: Desired,
    pub finding: Finding,
}

impl Observation {
    pub fn open(finding: Finding) -> Self {
        Self {
            desired: Desired::Open,
            finding,
        }
    }

    pub fn resolved(finding: Finding) -> Self {
        Self {
            desired: Desired::Resolved,
            finding,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keys_are_readable_and_long_keys_are_hashed_stably() {
        let key = dedup_key(
            "111122223333",
            "eu-west-1",
            "backup-job-failed",
            "arn:aws:x",
        );
        assert_eq!(
            key,
            "phoenix:111122223333:eu-west-1:backup-job-failed:arn:aws:x"
        );

        let long_resource = format!("arn:aws:s3:::bucket/{}", "é".repeat(200));
        let a = dedup_key("1", "r", "c", &long_resource);
        let b = dedup_key("1", "r", "c", &long_resource);
        let other = dedup_key("1", "r", "c", &format!("{long_resource}x"));
        assert_eq!(a, b);
        assert_ne!(a, other);
        assert!(a.len() <= MAX_DEDUP_KEY_LEN, "{}", a.len());
        assert!(a.starts_with("phoenix:1:r:c:arn:aws:s3:::bucket/"));
    }

    #[test]
    fn severity_order_follows_urgency() {
        assert!(Severity::Critical > Severity::Error);
        assert!(Severity::Warning.rank() < Severity::Error.rank());
        assert_eq!(Severity::parse("CRITICAL"), Some(Severity::Critical));
    }
}
