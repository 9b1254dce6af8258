//! [`Refusal`]: why the pipeline answered a request itself, with a status per variant; and
//! [`Outcome`]: the name of every decision, as counted and logged.

use std::fmt;
use std::time::Duration;

use http::StatusCode;

use crate::error::Rejection;
use crate::ratelimit::Limited;
use crate::replay::ClaimError;

/// Why the pipeline refused a request. The core's refusals are wrapped
/// ([`Verification`](Self::Verification), [`RateLimited`](Self::RateLimited),
/// [`Claim`](Self::Claim)); the others are the pipeline's own. Each has a stable
/// [`code`](Self::code) and an HTTP [`status`](Self::status), and none ever carries a secret,
/// a signature or the body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// Verification failed. 400 or 401.
    #[error(transparent)]
    Verification(#[from] Rejection),
    /// The client is over its budget, or in the penalty box of verification failures. 429
    /// with `Retry-After`, `RateLimit` and `RateLimit-Policy`.
    #[error(transparent)]
    RateLimited(#[from] Limited),
    /// The replay guard did not let the handler run: in flight, cooling down after a
    /// failure, another body under the same id (409), or the store unavailable (503).
    #[error(transparent)]
    Claim(#[from] ClaimError),
    /// The body is larger than the configured cap. 413.
    #[error("payload too large")]
    PayloadTooLarge,
    /// The body was not received within the read deadline. 408.
    #[error("body not received in time")]
    BodyTimeout,
    /// The body has a `Content-Encoding` other than identity. 415.
    #[error("unsupported content encoding")]
    UnsupportedEncoding,
    /// The body could not be read (the connection failed mid-body). 400.
    #[error("body could not be read")]
    BodyReadFailed,
    /// Neither a delivery (POST) nor the provider's GET handshake. 405.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// No client key could be determined (no peer address: a server set-up problem). 500.
    #[error("client key unavailable")]
    ClientKeyUnavailable,
    /// The secret resolver could not answer, or a tenant cannot be keyed. 503 with
    /// `Retry-After`.
    #[error("service unavailable")]
    Unavailable {
        /// How long the caller should wait.
        retry_after: Duration,
    },
}

impl Refusal {
    /// The decision it is counted and logged as.
    pub fn outcome(&self) -> Outcome {
        match self {
            Refusal::Verification(r) => Outcome::from(r),
            Refusal::RateLimited(_) => Outcome::RateLimited,
            Refusal::Claim(ClaimError::InFlight { .. }) => Outcome::DeliveryInFlight,
            Refusal::Claim(ClaimError::CoolingDown { .. }) => Outcome::DeliveryCoolingDown,
            Refusal::Claim(ClaimError::Conflict) => Outcome::DeliveryConflict,
            Refusal::Claim(ClaimError::Unavailable { .. }) | Refusal::Unavailable { .. } => {
                Outcome::Unavailable
            }
            Refusal::PayloadTooLarge => Outcome::PayloadTooLarge,
            Refusal::BodyTimeout => Outcome::BodyTimeout,
            Refusal::UnsupportedEncoding => Outcome::UnsupportedEncoding,
            Refusal::BodyReadFailed => Outcome::BodyReadFailed,
            Refusal::MethodNotAllowed => Outcome::MethodNotAllowed,
            Refusal::ClientKeyUnavailable => Outcome::ClientKeyUnavailable,
        }
    }

    /// The stable snake_case code, for logs, metrics and problem+json bodies.
    ///
    /// ```
    /// use hookguard::{Rejection, pipeline::Refusal};
    /// assert_eq!(Refusal::from(Rejection::SignatureMismatch).code(), "signature_mismatch");
    /// assert_eq!(Refusal::PayloadTooLarge.code(), "payload_too_large");
    /// ```
    pub fn code(&self) -> &'static str {
        self.outcome().as_str()
    }

    /// The HTTP status it is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::Verification(r) => r.status(),
            Refusal::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Refusal::Claim(ClaimError::Unavailable { .. }) | Refusal::Unavailable { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Refusal::Claim(_) => StatusCode::CONFLICT,
            Refusal::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Refusal::UnsupportedEncoding => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Refusal::BodyReadFailed => StatusCode::BAD_REQUEST,
            Refusal::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Refusal::ClientKeyUnavailable => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `Retry-After` delay it carries, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Refusal::RateLimited(limited) => Some(limited.retry_after),
            Refusal::Claim(
                ClaimError::InFlight { retry_after }
                | ClaimError::CoolingDown { retry_after }
                | ClaimError::Unavailable { retry_after },
            )
            | Refusal::Unavailable { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
}

macro_rules! outcomes {
    ($($(#[$doc:meta])* $variant:ident => $code:literal,)+) => {
        /// Every decision the pipeline makes about a request, by its stable code: what
        /// [`Pipeline::outcome_counts`](super::Pipeline::outcome_counts) counts and each
        /// decision's log event names.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Outcome {
            $($(#[$doc])* $variant,)+
        }

        impl Outcome {
            /// Every outcome, in declaration order.
            pub const ALL: &'static [Outcome] = &[$(Outcome::$variant,)+];

            /// The stable snake_case code.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Outcome::$variant => $code,)+
                }
            }
        }
    };
}

outcomes! {
    /// The handler ran and succeeded (2xx): the delivery is done.
    Handled => "handled",
    /// The handler ran and failed: the claim was released.
    HandlerFailed => "handler_failed",
    /// A delivery handled before: 200 without the handler.
    Duplicate => "duplicate",
    /// A standalone extractor claimed the delivery; its handler runs outside the pipeline.
    Claimed => "claimed",
    /// An inbox route committed the delivery to its inbox (on disk) and acknowledged it; the
    /// inbox's worker runs the handler.
    Committed => "committed",
    /// The store failed and the guard fails open: the handler ran without protection.
    Unprotected => "unprotected",
    /// A provider handshake, answered by the pipeline.
    Handshake => "handshake",
    /// The handler panicked (500): the claim was released.
    HandlerPanicked => "handler_panicked",
    /// The handler timed out (503): the claim was released.
    HandlerTimeout => "handler_timeout",
    /// Observe-only mode passed an unverified request to the handler.
    ObservedUnverified => "observed_unverified",
    /// [`Rejection::MissingSignature`].
    MissingSignature => "missing_signature",
    /// [`Rejection::MissingHeader`].
    MissingHeader => "missing_header",
    /// [`Rejection::DuplicateHeader`].
    DuplicateHeader => "duplicate_header",
    /// [`Rejection::MalformedHeader`].
    MalformedHeader => "malformed_header",
    /// [`Rejection::TooManySignatures`].
    TooManySignatures => "too_many_signatures",
    /// [`Rejection::SignatureMismatch`].
    SignatureMismatch => "signature_mismatch",
    /// [`Rejection::TimestampOutOfWindow`].
    TimestampOutOfWindow => "timestamp_out_of_window",
    /// [`Rejection::MalformedPayload`].
    MalformedPayload => "malformed_payload",
    /// [`Refusal::RateLimited`].
    RateLimited => "rate_limited",
    /// [`ClaimError::InFlight`].
    DeliveryInFlight => "delivery_in_flight",
    /// [`ClaimError::CoolingDown`].
    DeliveryCoolingDown => "delivery_cooling_down",
    /// [`ClaimError::Conflict`].
    DeliveryConflict => "delivery_conflict",
    /// [`ClaimError::Unavailable`] or [`Refusal::Unavailable`].
    Unavailable => "unavailable",
    /// [`Refusal::PayloadTooLarge`].
    PayloadTooLarge => "payload_too_large",
    /// [`Refusal::BodyTimeout`].
    BodyTimeout => "body_timeout",
    /// [`Refusal::UnsupportedEncoding`].
    UnsupportedEncoding => "unsupported_encoding",
    /// [`Refusal::BodyReadFailed`].
    BodyReadFailed => "body_read_failed",
    /// [`Refusal::MethodNotAllowed`].
    MethodNotAllowed => "method_not_allowed",
    /// [`Refusal::ClientKeyUnavailable`].
    ClientKeyUnavailable => "client_key_unavailable",
}

impl From<&Rejection> for Outcome {
    fn from(r: &Rejection) -> Self {
        match r {
            Rejection::MissingSignature => Outcome::MissingSignature,
            Rejection::MissingHeader(_) => Outcome::MissingHeader,
            Rejection::DuplicateHeader(_) => Outcome::DuplicateHeader,
            Rejection::MalformedHeader(_) => Outcome::MalformedHeader,
            Rejection::TooManySignatures => Outcome::TooManySignatures,
            Rejection::SignatureMismatch => Outcome::SignatureMismatch,
            Rejection::TimestampOutOfWindow => Outcome::TimestampOutOfWindow,
            Rejection::MalformedPayload => Outcome::MalformedPayload,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many decisions had one outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OutcomeCount {
    /// The outcome.
    pub outcome: Outcome,
    /// How many times.
    pub count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderName;

    #[test]
    fn a_verification_outcome_has_the_rejection_s_own_code_and_status() {
        let name = HeaderName::from_static("x");
        let all = [
            Rejection::MissingSignature,
            Rejection::MissingHeader(name.clone()),
            Rejection::DuplicateHeader(name.clone()),
            Rejection::MalformedHeader(name),
            Rejection::TooManySignatures,
            Rejection::SignatureMismatch,
            Rejection::TimestampOutOfWindow,
            Rejection::MalformedPayload,
        ];
        for r in all {
            let refusal = Refusal::from(r.clone());
            assert_eq!(refusal.code(), r.code());
            assert_eq!(refusal.status(), r.status());
            assert_eq!(refusal.retry_after(), None);
        }
    }

    #[test]
    fn codes_are_unique_and_statuses_stable() {
        let mut codes: Vec<_> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Outcome::ALL.len());
        let secs = Duration::from_secs(3);
        let cases = [
            (Refusal::PayloadTooLarge, 413, "payload_too_large", None),
            (Refusal::BodyTimeout, 408, "body_timeout", None),
            (
                Refusal::UnsupportedEncoding,
                415,
                "unsupported_encoding",
                None,
            ),
            (Refusal::BodyReadFailed, 400, "body_read_failed", None),
            (Refusal::MethodNotAllowed, 405, "method_not_allowed", None),
            (
                Refusal::ClientKeyUnavailable,
                500,
                "client_key_unavailable",
                None,
            ),
            (
                Refusal::Unavailable { retry_after: secs },
                503,
                "unavailable",
                Some(secs),
            ),
            (
                ClaimError::InFlight { retry_after: secs }.into(),
                409,
                "delivery_in_flight",
                Some(secs),
            ),
            (
                ClaimError::CoolingDown { retry_after: secs }.into(),
                409,
                "delivery_cooling_down",
                Some(secs),
            ),
            (ClaimError::Conflict.into(), 409, "delivery_conflict", None),
            (
                ClaimError::Unavailable { retry_after: secs }.into(),
                503,
                "unavailable",
                Some(secs),
            ),
            (
                Limited {
                    retry_after: secs,
                    quota: 1,
                    window: secs,
                }
                .into(),
                429,
                "rate_limited",
                Some(secs),
            ),
        ];
        for (refusal, status, code, wait) in cases {
            assert_eq!(refusal.status().as_u16(), status, "{refusal:?}");
            assert_eq!(refusal.code(), code);
            assert_eq!(refusal.retry_after(), wait);
        }
    }
}
