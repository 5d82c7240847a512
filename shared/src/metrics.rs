//! Metrics: collected during an invocation, written once at its end.
//!
//! Every datum carries the `Environment` dimension plus its own. Counts with the same name
//! and dimensions are summed before sending. Where they go is the function's
//! [`MetricSink`]: the event-driven functions print them as CloudWatch's Embedded Metric
//! Format (EMF) on stdout, which CloudWatch Logs turns into the same metrics from the
//! function's log group (no call, no CloudWatch client, no `cloudwatch:PutMetricData`);
//! the scheduled sweeps make one `PutMetricData` request per run, so that what they read
//! back (heartbeats, canaries) is there at once. Metrics never block or lose an alert: when
//! CloudWatch cannot be reached, the batch is written as EMF with a `MetricsPublishFailed`
//! count.

use crate::error::MetricsError;
use crate::time::Timestamp;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
use futures_util::future::BoxFuture;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::sync::Arc;

/// CloudWatch's limit on metric data items per request.
const MAX_ITEMS_PER_REQUEST: usize = 1000;
/// CloudWatch's limit on dimensions per metric.
const MAX_DIMENSIONS: usize = 30;
/// CloudWatch's limit on a dimension value's length.
const MAX_DIMENSION_VALUE: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Seconds,
    Percent,
    None,
}

impl Unit {
    fn standard(self) -> StandardUnit {
        match self {
            Self::Count => StandardUnit::Count,
            Self::Seconds => StandardUnit::Seconds,
            Self::Percent => StandardUnit::Percent,
            Self::None => StandardUnit::None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Seconds => "Seconds",
            Self::Percent => "Percent",
            Self::None => "None",
        }
    }
}

/// One value of one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub name: String,
    /// Dimensions other than `Environment`, which is added when publishing.
    pub dimensions: Vec<(String, String)>,
    pub value: f64,
    pub unit: Unit,
}

/// The metrics of one invocation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricBatch {
    items: Vec<Metric>,
}

impl MetricBatch {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one value. Non-finite values (which CloudWatch refuses) are dropped.
    pub fn add(&mut self, name: &str, dimensions: &[(&str, &str)], value: f64, unit: Unit) {
        if !value.is_finite() {
            tracing::warn!(metric = name, "dropping a non-finite metric value");
            return;
        }
        let dimensions = dimensions
            .iter()
            .filter(|(k, v)| !k.is_empty() && !v.is_empty())
            .take(MAX_DIMENSIONS - 1)
            .map(|(k, v)| {
                (
                    (*k).to_owned(),
                    v.chars().take(MAX_DIMENSION_VALUE).collect(),
                )
            })
            .collect();
        self.items.push(Metric {
            name: name.to_owned(),
            dimensions,
            value,
            unit,
        });
    }

    /// Adds `n` to a count.
    pub fn count(&mut self, name: &str, dimensions: &[(&str, &str)], n: u32) {
        self.add(name, dimensions, f64::from(n), Unit::Count);
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn items(&self) -> &[Metric] {
        &self.items
    }

    /// Counts of the same name, dimensions and unit summed; other values kept apart.
    pub fn merged(&self) -> Vec<Metric> {
        let mut out: Vec<Metric> = Vec::with_capacity(self.items.len());
        // Index of each count in `out`, so a sweep's thousands of values merge in linear time.
        let mut counts: HashMap<CountKey<'_>, usize> = HashMap::new();
        for item in &self.items {
            if item.unit != Unit::Count {
                out.push(item.clone());
                continue;
            }
            match counts.entry((item.name.as_str(), item.dimensions.as_slice())) {
                Entry::Occupied(at) => out[*at.get()].value += item.value,
                Entry::Vacant(slot) => {
                    slot.insert(out.len());
                    out.push(item.clone());
                }
            }
        }
        out
    }
}

/// A count's identity when merging: name and dimensions.
type CountKey<'a> = (&'a str, &'a [(String, String)]);

/// What a harness that stands in for CloudWatch Logs does with a batch's EMF lines.
pub type EmfReader = Arc<dyn Fn(Vec<String>) -> BoxFuture<'static, ()> + Send + Sync>;

/// Where a function's metrics go.
#[derive(Clone, Default)]
pub enum MetricSink {
    /// One `PutMetricData` request per batch (EMF on stdout when CloudWatch fails).
    #[default]
    Api,
    /// EMF lines on stdout, turned into metrics by CloudWatch Logs.
    Emf,
    /// EMF lines handed to a reader standing in for CloudWatch Logs (tests, the demo).
    EmfTo(EmfReader),
}

impl fmt::Debug for MetricSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Api => "Api",
            Self::Emf => "Emf",
            Self::EmfTo(_) => "EmfTo(..)",
        })
    }
}

/// Writes batches to CloudWatch.
#[derive(Debug, Clone)]
pub struct MetricPublisher {
    client: crate::aws::Lazy<aws_sdk_cloudwatch::Client>,
    namespace: String,
    environment: String,
    sink: MetricSink,
}

impl MetricPublisher {
    pub fn new(
        client: impl Into<crate::aws::Lazy<aws_sdk_cloudwatch::Client>>,
        namespace: impl Into<String>,
        environment: impl Into<String>,
    ) -> Self {
        Self {
            client: client.into(),
            namespace: namespace.into(),
            environment: environment.into(),
            sink: MetricSink::Api,
        }
    }

    /// The same publisher writing to `sink`.
    #[must_use]
    pub fn with_sink(mut self, sink: MetricSink) -> Self {
        self.sink = sink;
        self
    }

    /// Sends the batch. Errors are returned for the caller to log and count; use
    /// [`MetricPublisher::publish_or_log`] where nothing else should happen.
    pub async fn publish(&self, batch: &MetricBatch, at: Timestamp) -> Result<(), MetricsError> {
        let merged = batch.merged();
        let timestamp = DateTime::from_secs(at.epoch_seconds());
        for chunk in merged.chunks(MAX_ITEMS_PER_REQUEST) {
            let data: Vec<MetricDatum> = chunk
                .iter()
                .map(|m| {
                    let mut dims = vec![
                        Dimension::builder()
                            .name("Environment")
                            .value(&self.environment)
                            .build(),
                    ];
                    dims.extend(
                        m.dimensions
                            .iter()
                            .map(|(k, v)| Dimension::builder().name(k).value(v).build()),
                    );
                    MetricDatum::builder()
                        .metric_name(&m.name)
                        .set_dimensions(Some(dims))
                        .value(m.value)
                        .unit(m.unit.standard())
                        .timestamp(timestamp)
                        .build()
                })
                .collect();
            self.client
                .get()
                .put_metric_data()
                .namespace(&self.namespace)
                .set_metric_data(Some(data))
                .send()
                .await
                .map_err(|e| MetricsError {
                    items: merged.len(),
                    reason: aws_sdk_cloudwatch::error::DisplayErrorContext(&e).to_string(),
                })?;
        }
        Ok(())
    }

    /// Writes the batch to the sink. Through the API, a failure is logged and the batch,
    /// plus a `MetricsPublishFailed` count, written as Embedded Metric Format lines on stdout
    /// (`false`).
    pub async fn publish_or_log(&self, batch: &MetricBatch, at: Timestamp) -> bool {
        if batch.is_empty() {
            return true;
        }
        match &self.sink {
            MetricSink::Api => {}
            MetricSink::Emf => {
                self.print_emf(batch, at);
                return true;
            }
            MetricSink::EmfTo(reader) => {
                reader(self.emf_lines(batch, at)).await;
                return true;
            }
        }
        match self.publish(batch, at).await {
            Ok(()) => true,
            Err(err) => {
                tracing::error!(error = %err, "metrics could not be published; writing them as EMF log lines");
                let mut fallback = batch.clone();
                fallback.count("MetricsPublishFailed", &[], 1);
                self.print_emf(&fallback, at);
                false
            }
        }
    }

    /// Writes the batch as EMF lines on stdout, where CloudWatch Logs reads them from the
    /// function's log group.
    pub fn print_emf(&self, batch: &MetricBatch, at: Timestamp) {
        for line in self.emf_lines(batch, at) {
            println!("{line}");
        }
    }

    /// One EMF document per metric (dimension sets differ between metrics).
    pub fn emf_lines(&self, batch: &MetricBatch, at: Timestamp) -> Vec<String> {
        batch
            .merged()
            .iter()
            .map(|m| {
                let mut doc = Map::new();
                let mut dimension_names = vec![Value::String("Environment".to_owned())];
                doc.insert(
                    "Environment".to_owned(),
                    Value::String(self.environment.clone()),
                );
                for (k, v) in &m.dimensions {
                    dimension_names.push(Value::String(k.clone()));
                    doc.insert(k.clone(), Value::String(v.clone()));
                }
                doc.insert(m.name.clone(), json!(m.value));
                doc.insert(
                    "_aws".to_owned(),
                    json!({
                        "Timestamp": at.epoch_seconds().saturating_mul(1000),
                        "CloudWatchMetrics": [{
                            "Namespace": self.namespace,
                            "Dimensions": [dimension_names],
                            "Metrics": [{"Name": m.name, "Unit": m.unit.name()}],
                        }],
                    }),
                );
                Value::Object(doc).to_string()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_merge_but_durations_stay_apart() {
        let mut b = MetricBatch::new();
        b.count(
            "BackupJobs",
            &[("State", "FAILED"), ("ResourceType", "EFS")],
            1,
        );
        b.count(
            "BackupJobs",
            &[("State", "FAILED"), ("ResourceType", "EFS")],
            2,
        );
        b.count(
            "BackupJobs",
            &[("State", "COMPLETED"), ("ResourceType", "EFS")],
            1,
        );
        b.add(
            "RestoreJobDurationSeconds",
            &[("ResourceType", "EFS")],
            60.0,
            Unit::Seconds,
        );
        b.add(
            "RestoreJobDurationSeconds",
            &[("ResourceType", "EFS")],
            90.0,
            Unit::Seconds,
        );
        b.add("Broken", &[], f64::NAN, Unit::Count);
        let merged = b.merged();
        assert_eq!(merged.len(), 4);
        assert_eq!(merged[0].value, 3.0);
        assert_eq!(merged[2].value, 60.0);
        assert_eq!(merged[3].value, 90.0);
    }

    #[test]
    fn emf_lines_name_namespace_dimensions_and_value() {
        let client = aws_sdk_cloudwatch::Client::from_conf(
            aws_sdk_cloudwatch::Config::builder()
                .behavior_version(aws_sdk_cloudwatch::config::BehaviorVersion::latest())
                .build(),
        );
        let publisher = MetricPublisher::new(client, "PhoenixGuard", "dev");
        let mut b = MetricBatch::new();
        b.count("EventsRejected", &[("Function", "backup-events")], 1);
        let lines = publisher.emf_lines(&b, Timestamp::from_epoch_seconds(10));
        let doc: Value = serde_json::from_str(&lines[0]).expect("json");
        assert_eq!(doc["EventsRejected"], 1.0);
        assert_eq!(doc["Environment"], "dev");
        assert_eq!(doc["_aws"]["Timestamp"], 10_000);
        assert_eq!(
            doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0][1],
            "Function"
        );
    }
}
