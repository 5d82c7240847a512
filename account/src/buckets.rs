//! Buckets: one reader per bucket setting, one model of each, and the one place that decides
//! whether a failed read may work if tried again.

use aws_sdk_s3::error::ProvideErrorMetadata;
use phoenix_shared::aws::{is_transient, reason};

/// A bucket's versioning, as `GetBucketVersioning` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versioning {
    Enabled,
    Suspended,
    /// Never enabled: S3 answers with no status.
    Never,
}

impl Versioning {
    /// As an operator reads it in a finding.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "Enabled",
            Self::Suspended => "Suspended",
            Self::Never => "never enabled",
        }
    }
}

/// A read that did not answer: which call, AWS's error code, the short reason, and whether
/// the same call may succeed a minute later (throttling, a timeout, a 5xx:
/// [`phoenix_shared::aws::is_transient`]) or will not (denied, no such bucket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub operation: &'static str,
    pub code: String,
    pub reason: String,
    pub transient: bool,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.operation, self.reason)
    }
}

/// `GetBucketVersioning` on one bucket.
pub async fn versioning(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<Versioning, Failure> {
    match s3.get_bucket_versioning().bucket(bucket).send().await {
        Ok(out) => Ok(match out.status() {
            Some(aws_sdk_s3::types::BucketVersioningStatus::Enabled) => Versioning::Enabled,
            Some(aws_sdk_s3::types::BucketVersioningStatus::Suspended) => Versioning::Suspended,
            _ => Versioning::Never,
        }),
        Err(err) => Err(Failure {
            operation: "GetBucketVersioning",
            code: err.code().unwrap_or_default().to_owned(),
            reason: reason(&err),
            transient: is_transient(&err),
        }),
    }
}
