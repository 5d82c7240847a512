//! The Lambda edge every function shares: `--print-event-pattern`, the cold start
//! (logging, configuration, SDK, the pipeline and the function's clients, once), per
//! invocation the deadline and the response, and how every function logs and counts an event
//! it rejects or ignores. A function's `main.rs` names itself and its
//! handler; nothing else.

use crate::event::Rejection;
use crate::metrics::MetricSink;
use crate::{Config, Guard, HandlerError, MetricBatch, Timestamp};
use aws_config::SdkConfig;
use lambda_runtime::{LambdaEvent, service_fn};
use serde::Serialize;
use serde_json::Value;
use std::future::Future;

/// What the edge needs to know about a function.
#[derive(Debug, Clone, Copy)]
pub struct Function<C> {
    /// Its name, as in logs, metrics and configuration errors.
    pub name: &'static str,
    /// What `--print-event-pattern` prints (the routes the Terraform module builds), for the
    /// functions that EventBridge rules feed.
    pub describe: Option<fn() -> Value>,
    /// A sweep makes thousands of calls: its clients pace themselves under throttling
    /// ([`crate::aws::load_for_sweeps`]); the pipeline keeps its tight timeouts either way.
    pub sweep: bool,
    /// Its metrics as Embedded Metric Format lines on stdout rather than `PutMetricData`
    /// (see [`crate::metrics`]): the event-driven functions, which run per event and read
    /// no metric back.
    pub emf_metrics: bool,
    /// The function's own clients, from the SDK configuration; `Err` is a configuration
    /// error (one line, exit 2, as for the settings every function reads).
    pub clients: fn(&SdkConfig, &Config) -> Result<C, String>,
}

impl<C> Function<C> {
    /// Where its metrics go, as [`Function::emf_metrics`] says.
    #[must_use]
    pub fn metric_sink(&self) -> MetricSink {
        if self.emf_metrics {
            MetricSink::Emf
        } else {
            MetricSink::Api
        }
    }
}

/// One invocation, as the handler sees it.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub payload: Value,
    /// Unique per attempt (the Lambda request id).
    pub id: String,
    /// The function's own account, from its ARN (`arn:aws:lambda:<region>:<account>:…`), else
    /// `PHOENIX_ACCOUNT_ID`, else empty: what findings take when an event names none.
    pub account: String,
    pub now: Timestamp,
}

/// The account part of a function ARN, if it has one.
pub fn account_of_function(function_arn: &str) -> Option<String> {
    function_arn
        .split(':')
        .nth(4)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
}

/// How much of an unusable event an error log keeps.
const LOGGED_EVENT_CHARS: usize = 2048;

/// The first 2 KB of an event, for error logs.
pub fn truncated(event: &Value) -> String {
    event.to_string().chars().take(LOGGED_EVENT_CHARS).collect()
}

/// An event no part of which can be used: logged with its first 2 KB, counted in
/// `EventsRejected`, and returned as the error that sends it to the failure destination.
pub fn reject(
    function: &str,
    event: &Value,
    rejection: Rejection,
    metrics: &mut MetricBatch,
) -> HandlerError {
    tracing::error!(
        function,
        reason = %rejection,
        event = %truncated(event),
        "event rejected: it cannot be used; it goes to the failure destination"
    );
    metrics.count("EventsRejected", &[("Function", function)], 1);
    HandlerError::Rejected(rejection)
}

/// One record of a batch that cannot be used while the others can: logged and counted in
/// `EventsRejected` like a rejected event; the invocation goes on with the rest.
pub fn reject_record(function: &str, event: &Value, why: &str, metrics: &mut MetricBatch) {
    tracing::error!(function, reason = %why, event = %truncated(event), "record rejected: it cannot be used");
    metrics.count("EventsRejected", &[("Function", function)], 1);
}

/// An event of no concern to the function (`about` says which): logged at info and counted
/// in `EventsIgnored`.
pub fn ignore(function: &str, about: &str, why: &str, metrics: &mut MetricBatch) {
    tracing::info!(function, about, "event ignored: {why}");
    metrics.count("EventsIgnored", &[("Function", function)], 1);
}

/// Runs the function: prints its event pattern and exits when asked, else builds everything
/// once and serves invocations until the runtime stops. Each invocation runs within
/// Lambda's deadline less a margin ([`Guard::within_deadline`]).
pub async fn serve<C, H, Fut, R>(
    function: Function<C>,
    handler: H,
) -> Result<(), lambda_runtime::Error>
where
    C: Sync + 'static,
    H: Fn(&'static Guard, &'static C, Invocation) -> Fut,
    Fut: Future<Output = Result<R, HandlerError>>,
    R: Serialize,
{
    if std::env::args().nth(1).as_deref() == Some("--print-event-pattern") {
        let Some(describe) = function.describe else {
            eprintln!(
                "{}: has no event pattern (a schedule invokes it)",
                function.name
            );
            std::process::exit(2)
        };
        return Ok(crate::print_json(&describe())?);
    }
    lambda_runtime::tracing::init_default_subscriber();
    let mut config = Config::from_env_or_exit(function.name);
    let sdk = crate::aws::load().await;
    if config.aws_region.is_none() {
        config.aws_region = sdk.region().map(ToString::to_string);
    }
    let clients_sdk = if function.sweep {
        crate::aws::load_for_sweeps().await
    } else {
        sdk.clone()
    };
    let clients = (function.clients)(&clients_sdk, &config).unwrap_or_else(|err| {
        eprintln!("{}: configuration error: {err}", function.name);
        std::process::exit(2)
    });
    if config.aws_region.is_none() {
        eprintln!(
            "{}: configuration error: no AWS region (AWS_REGION, which Lambda sets)",
            function.name
        );
        std::process::exit(2)
    }
    // Built once and kept for the life of the process, like the process itself.
    let guard: &'static Guard = Box::leak(Box::new(
        Guard::new(config, &sdk).with_metric_sink(function.metric_sink()),
    ));
    let clients: &'static C = Box::leak(Box::new(clients));
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline = event.context.deadline();
        let account = account_of_function(&event.context.invoked_function_arn)
            .or_else(|| guard.config.account_id.clone())
            .unwrap_or_default();
        let invocation = Invocation {
            payload: event.payload,
            id: event.context.request_id,
            account,
            now: Timestamp::now(),
        };
        // Boxed: a deep handler future nested in the deadline's timeout can overflow the
        // compiler's layout query limit.
        let work = Box::pin(handler(guard, clients, invocation));
        guard.within_deadline(function.name, deadline, work).await
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_comes_from_the_function_arn() {
        assert_eq!(
            account_of_function("arn:aws:lambda:eu-west-1:123456789012:function:phoenix-guard-s3")
                .as_deref(),
            Some("123456789012")
        );
        assert_eq!(
            account_of_function("arn:aws:lambda:eu-west-1::function:x"),
            None
        );
        assert_eq!(account_of_function(""), None);
    }
}
