//! What the poller needs from the API: one attempt per call, faults classified. Retrying is the
//! poller's job, not the source's.

use std::future::Future;
use std::time::Duration;

use uuid::Uuid;

use crate::entry::Batch;

/// A failed call, as the poller needs to see it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SourceError {
    pub fault: Fault,
    /// What went wrong, for the user (never holds the token).
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Trying again later can work (429, 5xx, timeout, network, broken body).
    Retry {
        retry_after: Option<Duration>,
        rate_limited: bool,
        /// No answer came back at all (a network fault, a timeout): the API is out of reach.
        offline: bool,
    },
    /// Only the user can fix it (401, 403, 400); what it is decides what the user is told.
    Fatal(Refusal),
}

/// The kinds of answer only the user can fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 401.
    TokenRejected,
    /// 403.
    PermissionMissing,
    /// Anything else that retrying cannot change (400, an unexpected status).
    Other,
}

impl SourceError {
    pub fn retry(message: impl Into<String>) -> SourceError {
        SourceError {
            fault: Fault::Retry {
                retry_after: None,
                rate_limited: false,
                offline: false,
            },
            message: message.into(),
        }
    }

    /// No answer at all: the network failed or the request timed out.
    pub fn offline(message: impl Into<String>) -> SourceError {
        SourceError {
            fault: Fault::Retry {
                retry_after: None,
                rate_limited: false,
                offline: true,
            },
            message: message.into(),
        }
    }

    pub fn rate_limited(retry_after: Option<Duration>) -> SourceError {
        SourceError {
            fault: Fault::Retry {
                retry_after,
                rate_limited: true,
                offline: false,
            },
            message: "rate limited (429)".into(),
        }
    }

    /// A fault retrying cannot fix, of no particular kind.
    pub fn fatal(message: impl Into<String>) -> SourceError {
        SourceError::refused(Refusal::Other, message)
    }

    pub fn refused(refusal: Refusal, message: impl Into<String>) -> SourceError {
        SourceError {
            fault: Fault::Fatal(refusal),
            message: message.into(),
        }
    }
}

/// The audit endpoints. Seed calls answer an empty batch when the API finds nothing (404).
pub trait AuditSource: Send + Sync + 'static {
    fn page(
        &self,
        from: Uuid,
        take: u16,
        log_type: Option<&str>,
    ) -> impl Future<Output = Result<Batch, SourceError>> + Send;

    fn latest(
        &self,
        log_type: Option<&str>,
    ) -> impl Future<Output = Result<Batch, SourceError>> + Send;

    fn earliest(
        &self,
        log_type: Option<&str>,
    ) -> impl Future<Output = Result<Batch, SourceError>> + Send;

    fn search(
        &self,
        epoch_secs: i64,
        log_type: Option<&str>,
    ) -> impl Future<Output = Result<Batch, SourceError>> + Send;
}
