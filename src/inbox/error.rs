//! The inbox's errors: [`InboxError`] (receipts and admin calls), [`StoreError`] (a store
//! could not answer), [`InboxConfigError`] (a builder refused its settings).
//!
//! None of them carries a body, a header value or a secret.

use std::sync::Arc;
use std::time::Duration;

use super::record::InboxId;

/// `Retry-After` to send with a 503 when the inbox cannot take a delivery.
pub const UNAVAILABLE_RETRY_AFTER: Duration = Duration::from_secs(5);

/// A name that is not one of the vocabulary's (a state, an outcome, an id in text form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown name")]
pub struct UnknownName;

/// A store could not answer.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store was closed (its owner is shutting down).
    #[error("inbox store is closed")]
    Closed,
    /// The store's queue of pending writes is full: it is behind, try again shortly.
    #[error("inbox store is busy")]
    Busy,
    /// The store file is open elsewhere (one process, one handle per file).
    #[error("inbox store file is in use")]
    InUse,
    /// A stored record does not decode (the file was altered or written by an incompatible
    /// version).
    #[error("inbox store holds an unreadable {0}")]
    Corrupt(&'static str),
    /// The storage engine failed (I/O error, disk full, …).
    #[error("inbox store failed")]
    Backend(#[source] Arc<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// Wraps an engine error.
    pub fn backend(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Backend(Arc::new(error))
    }
}

/// A receipt or an admin call failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum InboxError {
    /// The same (tenant, provider, delivery id) is in the inbox with another body digest:
    /// answer 409 `delivery_conflict`. Nothing was written.
    #[error("delivery id reused with a different body")]
    Conflict {
        /// The delivery already recorded under that id.
        existing: InboxId,
    },
    /// The inbox is at its byte capacity: answer 503 with `Retry-After`. Nothing was written.
    #[error("inbox is full")]
    Full,
    /// The store did not answer in time: answer 503 with `Retry-After`. The write may still
    /// land; the provider's retry is then a duplicate.
    #[error("inbox store timed out")]
    Timeout,
    /// The store failed: answer 503 with `Retry-After`.
    #[error("inbox store unavailable")]
    Unavailable(#[source] StoreError),
    /// No delivery with that id.
    #[error("no such delivery")]
    NotFound,
    /// A route name outside `[A-Za-z0-9_.:-]{1,64}`.
    #[error("invalid route name")]
    InvalidRoute,
}

impl InboxError {
    /// The `Retry-After` a 503 for this error should carry: `Some` for [`Full`](Self::Full),
    /// [`Timeout`](Self::Timeout) and [`Unavailable`](Self::Unavailable).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Full | Self::Timeout | Self::Unavailable(_) => Some(UNAVAILABLE_RETRY_AFTER),
            _ => None,
        }
    }
}

impl From<StoreError> for InboxError {
    fn from(error: StoreError) -> Self {
        Self::Unavailable(error)
    }
}

/// A builder refused its settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InboxConfigError {
    /// The retention of finished deliveries is below 3 days, the retry horizon of the
    /// providers that retry longest: a provider's late retry would be taken as new.
    #[error("retention must be at least 3 days")]
    RetentionTooShort,
    /// A timeout or interval is zero.
    #[error("timeouts and intervals must be non-zero")]
    ZeroDuration,
    /// The lease must outlast the handler timeout by at least 5 s, or a live handler could
    /// lose its lease.
    #[error("lease must exceed the handler timeout by at least 5 s")]
    LeaseTooShort,
    /// The retry schedule is invalid (the reason is given).
    #[error("invalid retry schedule: {0}")]
    InvalidSchedule(&'static str),
    /// A worker needs at least one route.
    #[error("no route has a handler")]
    NoRoutes,
    /// A route name outside `[A-Za-z0-9_.:-]{1,64}`, or registered twice.
    #[error("invalid or duplicate route name")]
    InvalidRoute,
    /// A setting names a route that has no handler.
    #[error("setting for a route without a handler")]
    UnknownRoute,
    /// A concurrency of 0.
    #[error("concurrency must be at least 1")]
    ZeroConcurrency,
}
