//! What a bucket is (data, Terraform state, neither) and whether it is versioned, read through
//! S3 in the bucket's own account and kept briefly per warm container: a burst of thousands
//! of deletions in one bucket costs two reads a minute, not two per object. Bucket names are
//! global, so one cache serves every account.

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use phoenix_shared::aws::reason;
use phoenix_shared::{Config, tags};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a warm container trusts what it read about a bucket.
pub const CACHE_TTL: Duration = Duration::from_secs(60);

pub use phoenix_account::buckets::Versioning;

/// A bucket's versioning as a finding tells it, the failed read's reason included.
pub fn describe(versioning: &Result<Versioning, String>) -> String {
    match versioning {
        Ok(v) => v.as_str().to_owned(),
        Err(why) => format!("unknown ({why})"),
    }
}

/// What one bucket is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketFacts {
    pub data: bool,
    pub state: bool,
    /// How the roles were learned: `configuration`, `tag`, or both.
    pub because: String,
    /// `Err` says why it is unknown (a refused read, or not read at all).
    pub versioning: Result<Versioning, String>,
}

/// The bucket could not be classified: its tags could not be read and configuration does
/// not name it. The invocation fails, so Lambda retries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable(pub String);

fn code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> &str {
    err.code().unwrap_or_default()
}

/// What the buckets were read through: S3 in the bucket's account, or why that account
/// could not be reached (its reader role refused).
pub type Reader<'a> = Result<&'a aws_sdk_s3::Client, &'a str>;

/// The facts read about buckets, kept per container.
#[derive(Debug, Default)]
pub struct Buckets {
    cache: Mutex<HashMap<String, (Instant, BucketFacts)>>,
}

impl Buckets {
    pub fn new() -> Self {
        Self::default()
    }

    /// The bucket's facts and whether they were read just now (not from the cache). An
    /// account that cannot be reached leaves only what configuration says: a bucket it
    /// names is judged with its versioning unknown, any other is neither.
    pub async fn facts(
        &self,
        s3: Reader<'_>,
        bucket: &str,
        config: &Config,
    ) -> Result<(BucketFacts, bool), Unreadable> {
        if let Ok(cache) = self.cache.lock()
            && let Some((at, facts)) = cache.get(bucket)
            && at.elapsed() < CACHE_TTL
        {
            return Ok((facts.clone(), false));
        }
        match s3 {
            Ok(s3) => Ok((Self::read(s3, bucket, config).await?, true)),
            Err(why) => Ok((Self::configured(bucket, config, why), true)),
        }
    }

    fn configured(bucket: &str, config: &Config, why: &str) -> BucketFacts {
        let data = config.is_configured_data_bucket(bucket);
        let state = config.is_configured_state_bucket(bucket);
        BucketFacts {
            data,
            state,
            because: if data || state {
                "configuration".to_owned()
            } else {
                String::new()
            },
            versioning: Err(format!("not read: {why}")),
        }
    }

    /// Keeps facts read just now, once what they called for was delivered: were they kept
    /// before, a retry after a failed page would take them from the cache and not observe
    /// them again.
    pub fn keep(&self, bucket: &str, facts: BucketFacts) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(bucket.to_owned(), (Instant::now(), facts));
        }
    }

    async fn read(
        s3: &aws_sdk_s3::Client,
        bucket: &str,
        config: &Config,
    ) -> Result<BucketFacts, Unreadable> {
        let configured_data = config.is_configured_data_bucket(bucket);
        let configured_state = config.is_configured_state_bucket(bucket);
        let tags = match s3.get_bucket_tagging().bucket(bucket).send().await {
            Ok(out) => out
                .tag_set()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().trim().to_ascii_lowercase()))
                .collect(),
            Err(err) if code(&err) == "NoSuchTagSet" => HashMap::new(),
            Err(err) if configured_data || configured_state => {
                tracing::warn!(bucket, error = %reason(&err), "bucket tags unreadable; configuration names the bucket");
                HashMap::new()
            }
            Err(err) if code(&err) == "NoSuchBucket" => {
                // Gone already (a destroy deletes objects, then the bucket): nothing more to
                // learn, and protection-guard pages the bucket's deletion.
                HashMap::new()
            }
            Err(err) => {
                return Err(Unreadable(format!(
                    "GetBucketTagging on {bucket} failed: {}",
                    reason(&err)
                )));
            }
        };
        let tagged = |key: &str| tags::is_true(tags.get(key).map(String::as_str));
        let (tag_data, tag_state) = (tagged(tags::DATA), tagged(tags::TERRAFORM_STATE));
        let data = configured_data || tag_data;
        let state = configured_state || tag_state;
        let mut because = Vec::new();
        if configured_data || configured_state {
            because.push("configuration");
        }
        if tag_data || tag_state {
            because.push("tag");
        }
        let versioning = if data || state {
            match phoenix_account::buckets::versioning(s3, bucket).await {
                Ok(v) => Ok(v),
                Err(f) if f.transient => {
                    return Err(Unreadable(format!(
                        "{} on {bucket} failed: {}",
                        f.operation, f.reason
                    )));
                }
                Err(f) => Err(format!("{} failed: {}", f.operation, f.reason)),
            }
        } else {
            Err("not read: neither a data nor a state bucket".to_owned())
        };
        Ok(BucketFacts {
            data,
            state,
            because: because.join(" and "),
            versioning,
        })
    }
}
