//! A bucket's lifecycle configuration, read once for both the guard and the audit (its own
//! module: a function that reads only versioning is not granted this read).

use crate::failure::Failure;
use crate::policy::LifecycleRule;

/// `GetBucketLifecycleConfiguration` on one bucket: its rules as the policy evaluators read
/// them, or `None` when the bucket has no lifecycle configuration at all.
pub async fn rules(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<Option<Vec<LifecycleRule>>, Failure> {
    match s3
        .get_bucket_lifecycle_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(out) => Ok(Some(
            out.rules()
                .iter()
                .map(|rule| LifecycleRule {
                    enabled: rule.status() == &aws_sdk_s3::types::ExpirationStatus::Enabled,
                    // An expiration by date counts as expiring at once.
                    expiration_days: rule
                        .expiration()
                        .and_then(|e| e.days().map(i64::from).or_else(|| e.date().map(|_| 0))),
                    noncurrent_days: rule
                        .noncurrent_version_expiration()
                        .and_then(|n| n.noncurrent_days())
                        .map(i64::from),
                })
                .collect(),
        )),
        Err(err) => {
            let failure = Failure::of("GetBucketLifecycleConfiguration", &err);
            if failure.code == "NoSuchLifecycleConfiguration" {
                Ok(None)
            } else {
                Err(failure)
            }
        }
    }
}
