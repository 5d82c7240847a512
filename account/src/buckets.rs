//! Buckets: one reader per bucket setting, one model of each, and the one place that decides
//! whether a failed read may work if tried again.

pub use crate::failure::Failure;

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

/// `GetBucketVersioning` on one bucket.
pub async fn versioning(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<Versioning, Failure> {
    match s3.get_bucket_versioning().bucket(bucket).send().await {
        Ok(out) => Ok(match out.status() {
            Some(aws_sdk_s3::types::BucketVersioningStatus::Enabled) => Versioning::Enabled,
            Some(aws_sdk_s3::types::BucketVersioningStatus::Suspended) => Versioning::Suspended,
            _ => Versioning::Never,
        }),
        Err(err) => Err(Failure::of("GetBucketVersioning", &err)),
    }
}
