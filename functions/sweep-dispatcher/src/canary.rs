//! The members' canaries, as CloudWatch counted them: the newest arrival per target.

use phoenix_account::Target;
use phoenix_shared::Timestamp;

/// Counted once per canary that reaches the central bus (Account, Region).
pub const METRIC: &str = "MemberCanary";

/// GetMetricData takes at most this many queries per call.
const QUERIES_PER_CALL: usize = 500;

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
    use aws_sdk_cloudwatch::primitives::DateTime;
    use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
    let period = 60;
    let dimension = |name: &str, value: &str| Dimension::builder().name(name).value(value).build();
    let mut out = Vec::with_capacity(targets.len());
    for chunk in targets.chunks(QUERIES_PER_CALL) {
        let queries: Vec<MetricDataQuery> = chunk
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let metric = Metric::builder()
                    .namespace(namespace)
                    .metric_name(METRIC)
                    .dimensions(dimension("Environment", environment))
                    .dimensions(dimension(
                        "Account",
                        t.account.as_deref().unwrap_or_default(),
                    ))
                    .dimensions(dimension("Region", t.region.as_deref().unwrap_or_default()))
                    .build();
                MetricDataQuery::builder()
                    .id(format!("c{i}"))
                    .metric_stat(
                        MetricStat::builder()
                            .metric(metric)
                            .period(period)
                            .stat("Sum")
                            .build(),
                    )
                    .build()
            })
            .collect();
        let mut newest: Vec<Option<Timestamp>> = vec![None; chunk.len()];
        let mut token: Option<String> = None;
        loop {
            let answer = cloudwatch
                .get_metric_data()
                .set_metric_data_queries(Some(queries.clone()))
                .start_time(DateTime::from_secs(
                    at.plus_seconds(-window_seconds).epoch_seconds(),
                ))
                .end_time(DateTime::from_secs(
                    at.plus_seconds(i64::from(period)).epoch_seconds(),
                ))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| format!("GetMetricData: {}", phoenix_shared::aws::reason(&e)))?;
            for result in answer.metric_data_results() {
                let Some(i) = result
                    .id()
                    .and_then(|id| id.strip_prefix('c'))
                    .and_then(|n| n.parse::<usize>().ok())
                    .filter(|i| *i < chunk.len())
                else {
                    continue;
                };
                let seen = result
                    .timestamps()
                    .iter()
                    .zip(result.values())
                    .filter(|(_, v)| **v > 0.0)
                    .map(|(t, _)| Timestamp::from_epoch_seconds(t.secs()))
                    .max();
                newest[i] = newest[i].max(seen);
            }
            match answer.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => break,
            }
        }
        out.extend(newest);
    }
    Ok(out)
}
