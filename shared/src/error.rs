//! Errors of the shared pipeline. Functions map them to Lambda diagnostics at their edge
//! ([`HandlerError::error_type`]).

use crate::event::Rejection;
use thiserror::Error;

#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum AlertError {
    #[error("alert {dedup_key} could not be published: {reason}")]
    Publish { dedup_key: String, reason: String },
}

#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("findings ledger {step} failed for {dedup_key}: {reason}")]
pub struct LedgerError {
    pub dedup_key: String,
    pub step: &'static str,
    pub reason: String,
}

#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("{items} metric values could not be published: {reason}")]
pub struct MetricsError {
    pub items: usize,
    pub reason: String,
}

/// Some findings could not be notified; the invocation must fail so that it is retried.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("{count} finding(s) not notified, retry needed; first: {first}")]
pub struct DeliveryError {
    pub count: usize,
    pub first: String,
}

/// Why an invocation failed.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum HandlerError {
    /// The event cannot be used at all; retrying will not help. It goes to the function's
    /// failure destination for a human to look at.
    #[error("event rejected: {0}")]
    Rejected(Rejection),
    /// An alert was not delivered (or another invocation is still delivering it); a retry
    /// will deliver it without paging twice.
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
    /// Something the event must be judged against could not be read or recorded (the
    /// findings table, the bucket's tags); a retry redoes the work and counts nothing twice.
    #[error("retry needed: {0}")]
    Unavailable(String),
    /// The work did not finish within the invocation's deadline (see [`crate::deadline`]);
    /// it was stopped before Lambda's timeout so that the failure says why, and a retry
    /// redoes it.
    #[error("out of time: {0}")]
    OutOfTime(String),
}

impl HandlerError {
    /// The `errorType` reported to Lambda.
    pub const fn error_type(&self) -> &'static str {
        match self {
            Self::Rejected(_) => "PhoenixGuard.EventRejected",
            Self::Delivery(_) => "PhoenixGuard.AlertNotDelivered",
            Self::Unavailable(_) => "PhoenixGuard.RetryNeeded",
            Self::OutOfTime(_) => "PhoenixGuard.OutOfTime",
        }
    }
}

/// What Lambda reports for a failed invocation: handlers return [`HandlerError`] and the
/// runtime turns it into this, with [`HandlerError::error_type`] as the `errorType`.
impl From<HandlerError> for lambda_runtime::Diagnostic {
    fn from(err: HandlerError) -> Self {
        Self {
            error_type: err.error_type().to_owned(),
            error_message: err.to_string(),
        }
    }
}
