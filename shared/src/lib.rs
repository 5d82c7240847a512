//! Phoenix Guard's shared library: what every function does the same way.
//!
//! - [`config`]: the environment-variable contract, read once at cold start;
//! - [`event`] and [`time`]: lenient readers for irregular AWS events;
//! - [`finding`]: findings and their stable dedup keys; [`arn`]: one canonical ARN per resource;
//! - [`ledger`]: the DynamoDB ledger that decides which observations notify;
//! - [`alert`]: rendering and publishing SNS alerts;
//! - [`metrics`]: batched CloudWatch metrics with a log fallback;
//! - [`guard`]: the pipeline that ties them together for a function;
//! - [`deadline`]: the invocation's time budget, kept inside Lambda's timeout.

pub mod alert;
pub mod arn;
pub mod aws;
pub mod checks;
pub mod config;
pub mod console;
pub mod deadline;
pub mod error;
pub mod event;
pub mod finding;
pub mod guard;
pub mod ledger;
pub mod metrics;
pub mod pattern;
pub mod runtime;
pub mod sweep;
pub mod tags;
pub mod time;

pub use config::Config;
pub use error::HandlerError;
pub use finding::{Desired, Finding, Observation, Severity};
pub use guard::Guard;
pub use metrics::MetricBatch;
pub use time::Timestamp;

/// Writes what a function's `--print-event-pattern` describes to standard output, as
/// indented JSON. A closed pipe is an error to return, not a panic.
pub fn print_json(value: &serde_json::Value) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{value:#}")?;
    out.flush()
}
