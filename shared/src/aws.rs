//! AWS SDK configuration shared by every function and the CLI.

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use std::sync::OnceLock;
use std::time::Duration;

/// An SDK client built the first time it is used, or given ready-made (tests pass clients
/// with mocked or emulator endpoints). Building a client costs its HTTPS connector's set-up,
/// so a cold start pays only for the clients its first event reaches.
#[derive(Debug, Clone)]
pub enum Lazy<C> {
    Ready(C),
    Later {
        sdk: Box<SdkConfig>,
        build: fn(&SdkConfig) -> C,
        client: OnceLock<C>,
    },
}

impl<C> Lazy<C> {
    /// A client to build from `sdk` with `build` (`aws_sdk_sns::Client::new`) on first use.
    pub fn later(sdk: &SdkConfig, build: fn(&SdkConfig) -> C) -> Self {
        Self::Later {
            sdk: Box::new(sdk.clone()),
            build,
            client: OnceLock::new(),
        }
    }

    pub fn get(&self) -> &C {
        match self {
            Self::Ready(client) => client,
            Self::Later { sdk, build, client } => client.get_or_init(|| build(sdk)),
        }
    }

    /// Whether the client exists yet.
    pub fn is_built(&self) -> bool {
        match self {
            Self::Ready(_) => true,
            Self::Later { client, .. } => client.get().is_some(),
        }
    }
}

impl<C> From<C> for Lazy<C> {
    fn from(client: C) -> Self {
        Self::Ready(client)
    }
}

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
        .timeout_config(sweep_timeouts())
        .retry_config(RetryConfig::adaptive().with_max_attempts(8))
}

/// The sweeps' bounds: a call may wait out throttling for up to a minute.
pub fn sweep_timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(10))
        .operation_timeout(Duration::from_secs(60))
        .build()
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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_config::Region;

    #[test]
    fn a_later_client_is_built_when_first_used_and_once() {
        let sdk = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-west-1"))
            .build();
        let sns = Lazy::later(&sdk, aws_sdk_sns::Client::new);
        assert!(!sns.is_built(), "nothing is built before the first use");
        let first: *const aws_sdk_sns::Client = sns.get();
        assert!(sns.is_built());
        assert!(std::ptr::eq(first, sns.get()), "the same client every time");
        assert_eq!(
            sns.get()
                .config()
                .region()
                .map(ToString::to_string)
                .as_deref(),
            Some("eu-west-1")
        );
        let ready: Lazy<aws_sdk_sns::Client> = aws_sdk_sns::Client::new(&sdk).into();
        assert!(ready.is_built());
    }
}
