//! A bucket's Object Lock default retention, read once for the guard (its own module: a
//! function that reads only versioning is not granted this read).

use crate::failure::Failure;

/// The default retention new objects get: its mode and how long, in days (years counted as
/// 365 days); `None` days when Object Lock is on without a default rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    pub mode: Option<String>,
    pub days: Option<i64>,
}

/// `GetObjectLockConfiguration`: the default retention, or `None` when the bucket has no
/// Object Lock configuration.
pub async fn default_retention(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<Option<Retention>, Failure> {
    match s3
        .get_object_lock_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(out) => {
            let retention = out
                .object_lock_configuration()
                .and_then(|c| c.rule())
                .and_then(|r| r.default_retention());
            Ok(Some(Retention {
                mode: retention
                    .and_then(|d| d.mode())
                    .map(|m| m.as_str().to_owned()),
                days: retention.and_then(|d| {
                    d.days()
                        .map(i64::from)
                        .or_else(|| d.years().map(|y| i64::from(y) * 365))
                }),
            }))
        }
        Err(err) => {
            let failure = Failure::of("GetObjectLockConfiguration", &err);
            if failure.code == "ObjectLockConfigurationNotFoundError" {
                Ok(None)
            } else {
                Err(failure)
            }
        }
    }
}
