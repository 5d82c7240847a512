//! The members' canaries, as CloudWatch counted them: the newest arrival per target.

use phoenix_account::Target;
use phoenix_account::metrics::{self, Metric};
use phoenix_shared::Timestamp;

/// Counted once per canary that reaches the central bus (Account, Region).
pub const METRIC: &str = "MemberCanary";

/// The newest canary of each target within `window_seconds` before `at` (`None`: none
/// arrived), in the order of `targets`; `Err` when CloudWatch did not answer.
pub async fn newest(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    namespace: &str,
    environment: &str,
    targets: &[&Target],
    at: Timestamp,
    window_seconds: i64,
) -> Result<Vec<Option<Timestamp>>, String> {
    let period = 60;
    let canaries: Vec<Metric> = targets
        .iter()
        .map(|t| Metric {
            name: METRIC.to_owned(),
            dimensions: vec![
                ("Environment".to_owned(), environment.to_owned()),
                ("Account".to_owned(), t.account.clone().unwrap_or_default()),
                ("Region".to_owned(), t.region.clone().unwrap_or_default()),
            ],
        })
        .collect();
    metrics::newest(
        cloudwatch,
        namespace,
        &canaries,
        period,
        at.plus_seconds(-window_seconds),
        at.plus_seconds(i64::from(period)),
    )
    .await
}
