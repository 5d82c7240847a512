//! A read that did not answer, and the one place that decides whether trying again may help.

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use phoenix_shared::aws::{is_transient, reason};

/// Which call failed, AWS's error code (empty when AWS did not answer), the short reason,
/// and whether the same call may succeed a minute later (throttling, a timeout, a 5xx:
/// [`phoenix_shared::aws::is_transient`]) or will not (denied, no such resource).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub operation: &'static str,
    pub code: String,
    pub reason: String,
    pub transient: bool,
}

impl Failure {
    /// The failure of `operation`, from any SDK's error (they share Smithy's error types).
    pub fn of<E>(operation: &'static str, err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        Self {
            operation,
            code: err.code().unwrap_or_default().to_owned(),
            reason: reason(err),
            transient: is_transient(err),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.operation, self.reason)
    }
}
