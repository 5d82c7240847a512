//! CloudWatch Logs' part in the Embedded Metric Format, for the harness: a log line that
//! follows the EMF specification becomes metrics, which are written to the emulator with
//! `PutMetricData` (moto has no CloudWatch Logs metric extraction). A line that does not
//! follow the specification stays a log line, as it would in CloudWatch Logs.
//!
//! The specification's rules applied: the root is a JSON object with `_aws.Timestamp`
//! (milliseconds) and `_aws.CloudWatchMetrics`, a list of directives, each with a
//! `Namespace`, `Dimensions` (sets of names, each name a string member of the root) and
//! `Metrics` (`Name`, optional `Unit`); a metric's value is the root member of its name, a
//! number or a list of numbers. Every dimension set of a directive yields each metric once.

use aws_config::SdkConfig;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
use phoenix_shared::metrics::EmfReader;
use serde_json::Value;
use std::sync::Arc;

/// The metrics one log line holds, by namespace (none for a line that is not EMF).
pub fn extract(line: &str) -> Vec<(String, MetricDatum)> {
    let Ok(Value::Object(root)) = serde_json::from_str::<Value>(line.trim()) else {
        return Vec::new();
    };
    let Some(aws) = root.get("_aws") else {
        return Vec::new();
    };
    let Some(millis) = aws.get("Timestamp").and_then(Value::as_i64) else {
        return Vec::new();
    };
    let timestamp = DateTime::from_millis(millis);
    let mut out = Vec::new();
    for directive in aws
        .get("CloudWatchMetrics")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(namespace) = directive.get("Namespace").and_then(Value::as_str) else {
            continue;
        };
        let sets: Vec<Vec<&str>> = directive
            .get("Dimensions")
            .and_then(Value::as_array)
            .map(|sets| {
                sets.iter()
                    .filter_map(Value::as_array)
                    .map(|set| set.iter().filter_map(Value::as_str).collect())
                    .collect()
            })
            .unwrap_or_else(|| vec![Vec::new()]);
        for metric in directive
            .get("Metrics")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(name) = metric.get("Name").and_then(Value::as_str) else {
                continue;
            };
            let values: Vec<f64> = match root.get(name) {
                Some(Value::Number(n)) => n.as_f64().into_iter().collect(),
                Some(Value::Array(list)) => list.iter().filter_map(Value::as_f64).collect(),
                _ => continue,
            };
            let unit = metric
                .get("Unit")
                .and_then(Value::as_str)
                .map(StandardUnit::from);
            for set in &sets {
                let dimensions: Option<Vec<Dimension>> = set
                    .iter()
                    .map(|d| {
                        root.get(*d)
                            .and_then(Value::as_str)
                            .map(|v| Dimension::builder().name(*d).value(v).build())
                    })
                    .collect();
                // A dimension whose value is missing or not a string: not a metric.
                let Some(dimensions) = dimensions else {
                    continue;
                };
                for value in &values {
                    out.push((
                        namespace.to_owned(),
                        MetricDatum::builder()
                            .metric_name(name)
                            .set_dimensions(Some(dimensions.clone()))
                            .value(*value)
                            .set_unit(unit.clone())
                            .timestamp(timestamp)
                            .build(),
                    ));
                }
            }
        }
    }
    out
}

/// Writes the metrics of `lines` to CloudWatch (the emulator's).
pub async fn put(sdk: &SdkConfig, lines: &[String]) {
    let cloudwatch = aws_sdk_cloudwatch::Client::new(sdk);
    for (namespace, datum) in lines.iter().flat_map(|l| extract(l)) {
        cloudwatch
            .put_metric_data()
            .namespace(namespace)
            .metric_data(datum)
            .send()
            .await
            .expect("put an EMF line's metric");
    }
}

/// A stand-in for CloudWatch Logs: each batch of EMF lines becomes metrics before the
/// function's flush returns (CloudWatch Logs takes a moment; tests read at once).
pub fn reader(sdk: &SdkConfig) -> EmfReader {
    let sdk = sdk.clone();
    Arc::new(move |lines: Vec<String>| {
        let sdk = sdk.clone();
        Box::pin(async move { put(&sdk, &lines).await })
    })
}
