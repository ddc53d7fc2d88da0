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
    },
    /// Only the user can fix it (401, 403, 400).
    Fatal,
}

impl SourceError {
    pub fn retry(message: impl Into<String>) -> SourceError {
        SourceError {
            fault: Fault::Retry {
                retry_after: None,
                rate_limited: false,
            },
            message: message.into(),
        }
    }

    pub fn rate_limited(retry_after: Option<Duration>) -> SourceError {
        SourceError {
            fault: Fault::Retry {
                retry_after,
                rate_limited: true,
            },
            message: "rate limited (429)".into(),
        }
    }

    pub fn fatal(message: impl Into<String>) -> SourceError {
        SourceError {
            fault: Fault::Fatal,
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
