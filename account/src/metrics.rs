//! Phoenix Guard's own metrics read back from CloudWatch: when each of a set of metrics last
//! had a non-zero datapoint (a function's `Heartbeat`, a member's `MemberCanary`).

use phoenix_shared::Timestamp;

/// GetMetricData takes at most this many queries per call.
const QUERIES_PER_CALL: usize = 500;

/// One metric of `namespace`: its name and dimensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metric {
    pub name: String,
    pub dimensions: Vec<(String, String)>,
}

/// The newest time each metric had a non-zero `Sum` over `period` seconds between `start`
/// and `end` (`None`: none), in the order of `metrics`; `Err` says why CloudWatch did not
/// answer.
pub async fn newest(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    namespace: &str,
    metrics: &[Metric],
    period: i32,
    start: Timestamp,
    end: Timestamp,
) -> Result<Vec<Option<Timestamp>>, String> {
    use aws_sdk_cloudwatch::primitives::DateTime;
    use aws_sdk_cloudwatch::types::{self, Dimension, MetricDataQuery, MetricStat};
    let mut out = Vec::with_capacity(metrics.len());
    for chunk in metrics.chunks(QUERIES_PER_CALL) {
        let queries: Vec<MetricDataQuery> = chunk
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let metric = types::Metric::builder()
                    .namespace(namespace)
                    .metric_name(&m.name)
                    .set_dimensions(Some(
                        m.dimensions
                            .iter()
                            .map(|(k, v)| Dimension::builder().name(k).value(v).build())
                            .collect(),
                    ))
                    .build();
                MetricDataQuery::builder()
                    .id(format!("m{i}"))
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
                .start_time(DateTime::from_secs(start.epoch_seconds()))
                .end_time(DateTime::from_secs(end.epoch_seconds()))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| format!("GetMetricData: {}", phoenix_shared::aws::reason(&e)))?;
            for result in answer.metric_data_results() {
                let Some(i) = result
                    .id()
                    .and_then(|id| id.strip_prefix('m'))
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
