//! Handlers and their errors: [`HandlerError`] says whether a failure is worth a retry.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use super::delivery::InboxDelivery;

/// The future a registered handler returns, boxed.
pub(crate) type HandlerFuture = Pin<Box<dyn Future<Output = Result<(), HandlerError>> + Send>>;
/// A registered handler, type-erased.
pub(crate) type BoxedHandler = Arc<dyn Fn(InboxDelivery) -> HandlerFuture + Send + Sync>;

/// Boxes `handler` so that handlers of different types share one route table.
pub(crate) fn boxed<F, Fut>(handler: F) -> BoxedHandler
where
    F: Fn(InboxDelivery) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
{
    Arc::new(move |delivery| Box::pin(handler(delivery)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Retryable { retry_after: Option<Duration> },
    Permanent,
}

/// A handler's failure: retryable (run again on the schedule, or after `retry_after`) or
/// permanent (dead at once).
///
/// Its **message** is recorded in the activity log (truncated to
/// [`MAX_ERROR_LEN`](super::super::MAX_ERROR_LEN) bytes, with any run of 16 or more bytes
/// copied from the body redacted): write something an operator may read, never a secret.
/// Its **source** (from [`with_source`](Self::with_source), or from `?` on any error) is
/// never recorded nor logged, because library errors often quote URLs, queries or tokens;
/// `?` records only the error's type name.
///
/// ```
/// use std::time::Duration;
/// use hookguard::inbox::HandlerError;
/// let busy = HandlerError::retryable("billing API answered 503").retry_after(Duration::from_secs(30));
/// assert!(!busy.is_permanent());
/// let bad = HandlerError::permanent("unknown event type");
/// assert!(bad.is_permanent());
/// let from_io: HandlerError = std::io::Error::other("token=s3cr3t").into();
/// assert_eq!(from_io.message(), "handler error (std::io::error::Error)");
/// ```
pub struct HandlerError {
    kind: Kind,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl HandlerError {
    /// A failure worth retrying on the schedule.
    pub fn retryable(message: impl Into<String>) -> Self {
        Self {
            kind: Kind::Retryable { retry_after: None },
            message: message.into(),
            source: None,
        }
    }

    /// A failure no retry can fix: the delivery goes dead at once.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            kind: Kind::Permanent,
            message: message.into(),
            source: None,
        }
    }

    /// Retry after `after` instead of the schedule's next delay (the attempt still counts
    /// against the schedule and the maximum age). Makes the error retryable.
    pub fn retry_after(mut self, after: Duration) -> Self {
        self.kind = Kind::Retryable {
            retry_after: Some(after),
        };
        self
    }

    /// Keeps `source` for your own inspection; it is never recorded or logged.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// Whether the delivery goes dead at once.
    pub fn is_permanent(&self) -> bool {
        self.kind == Kind::Permanent
    }

    /// The handler's own wait before the next attempt, if it gave one.
    pub fn get_retry_after(&self) -> Option<Duration> {
        match self.kind {
            Kind::Retryable { retry_after } => retry_after,
            Kind::Permanent => None,
        }
    }

    /// The text recorded in the activity log.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The source error, if any.
    pub fn source(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.source.as_deref()
    }
}

/// `?` on any error: retryable, recorded as the error's type name only.
impl<E: std::error::Error + Send + Sync + 'static> From<E> for HandlerError {
    fn from(error: E) -> Self {
        Self::retryable(format!("handler error ({})", std::any::type_name::<E>()))
            .with_source(error)
    }
}

impl fmt::Debug for HandlerError {
    /// The kind and the message; the source only as present or not.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandlerError")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("source", &self.source.as_ref().map(|_| "<not shown>"))
            .finish()
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
