//! AWS SDK configuration shared by every function and the CLI.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use std::time::Duration;

/// Connect within 3 s, each attempt within 5 s, the whole call (with retries) within 15 s:
/// no AWS call can hold an invocation until the Lambda timeout, and a slow dependency turns
/// into an error the pipeline can act on. Standard retries, 3 attempts.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(5))
        .operation_timeout(Duration::from_secs(15))
        .build()
}

/// Loads region, credentials and endpoint (`AWS_ENDPOINT_URL` included) from the
/// environment, with Phoenix Guard's timeouts and retries.
pub async fn load() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts())
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .load()
        .await
}

/// For scheduled sweeps that make thousands of calls (`backup-freshness`, the readiness
/// audit): adaptive retries, up to 8 attempts, so that API throttling slows the sweep down
/// (the client paces itself) instead of failing it; each attempt within 10 s, each call
/// within 60 s. The pipeline's own clients keep [`load`]'s tighter bounds.
pub async fn load_for_sweeps() -> SdkConfig {
    sweep_loader().load().await
}

/// The loader behind [`load_for_sweeps`], for a caller that sets its own region or
/// endpoint (the `phoenix` command line).
pub fn sweep_loader() -> aws_config::ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(Duration::from_secs(10))
                .operation_timeout(Duration::from_secs(60))
                .build(),
        )
        .retry_config(RetryConfig::adaptive().with_max_attempts(8))
}

/// A short reason for a failed AWS call, for findings and logs: the AWS error code and
/// message, or the transport error (timeout, connection refused) when AWS did not answer.
/// Works for every SDK's errors (they share the Smithy error types).
pub fn reason<E, R>(err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match (err.code(), err.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => DisplayErrorContext(err).to_string(),
    }
}

/// AWS's error codes for "slow down" (the SDK retries them as throttling too).
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
];

/// Whether a failed call may well succeed if made again a little later: AWS did not answer
/// (timeout, dropped or refused connection, unreadable answer), answered with a 5xx, or
/// throttled. These still failing after the SDK's own retries fail the invocation, so that
/// Lambda delivers the event again; an answer that will not change on a retry (denied, not
/// found, invalid) is a finding instead.
pub fn is_transient<E>(err: &SdkError<E, HttpResponse>) -> bool
where
    E: ProvideErrorMetadata,
{
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(e) => {
            let status = e.raw().status().as_u16();
            status >= 500
                || status == 429
                || e.err()
                    .code()
                    .is_some_and(|code| THROTTLING_CODES.contains(&code))
        }
        _ => false,
    }
}

/// An S3 client. Against an endpoint override (the local emulator, a VPC endpoint by URL)
/// buckets are addressed by path; AWS itself gets virtual-hosted addressing.
pub fn s3_client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(sdk.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}
