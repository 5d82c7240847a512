//! CloudTrail trails: whether one is logging, in one model.

use crate::failure::Failure;

/// `GetTrailStatus` on a trail name or ARN: whether it is logging, or `None` when no such
/// trail exists.
pub async fn logging(
    cloudtrail: &aws_sdk_cloudtrail::Client,
    trail: &str,
) -> Result<Option<bool>, Failure> {
    match cloudtrail.get_trail_status().name(trail).send().await {
        Ok(out) => Ok(Some(out.is_logging().unwrap_or(false))),
        Err(err) => {
            let failure = Failure::of("GetTrailStatus", &err);
            // TrailNotFoundException, or the older TrailNotFound.
            if failure.code.starts_with("TrailNotFound") {
                Ok(None)
            } else {
                Err(failure)
            }
        }
    }
}
