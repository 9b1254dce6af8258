//! Why a delivery was refused, and why a verifier could not be built.

use std::time::Duration;

use http::{HeaderName, StatusCode};

/// Why a delivery was refused.
///
/// Each variant has a stable, machine-readable [`code`](Rejection::code) and an HTTP
/// [`status`](Rejection::status). Neither the `Display` text nor any field ever contains a
/// secret, a signature or the body: they name at most a header or a field, which are chosen by
/// the scheme, not by the caller.
///
/// The verifier produces the 400/401 variants; the 408/409/413/415/429/503 variants are
/// produced by the request pipeline (body limits, rate limiting, replay store).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The signature header is absent, or holds no signature of the scheme's own version
    /// (`v1`, `sha256=`, …). Other versions (`v0`, `sha1=`) are never a fallback. For a
    /// scheme whose signature travels in the JSON body (Mailgun), the body has no signature
    /// object, or the object no signature field. 401.
    #[error("no signature of the expected scheme")]
    MissingSignature,
    /// A header the scheme needs (timestamp, delivery id, token) is absent. 401.
    #[error("missing required header `{0}`")]
    MissingHeader(HeaderName),
    /// A header the scheme reads appears more than once. 400.
    #[error("header `{0}` appears more than once")]
    DuplicateHeader(HeaderName),
    /// A header is not visible ASCII, a timestamp is not canonical decimal, a signature is
    /// not in the scheme's encoding, an id has characters outside `[A-Za-z0-9_:-]`, or a
    /// list-style header is not well formed. 400.
    #[error("malformed header `{0}`")]
    MalformedHeader(HeaderName),
    /// The signature header carries more entries than the verifier accepts. 400.
    #[error("too many signatures in one header")]
    TooManySignatures,
    /// Signatures are well formed, but none matches any configured key. 401.
    #[error("signature does not match")]
    SignatureMismatch,
    /// The signature is valid but the timestamp is outside the tolerance window. 401.
    #[error("timestamp outside the tolerance window")]
    TimestampOutOfWindow,
    /// The signature is valid but a field the scheme reads from the body is missing or
    /// malformed (e.g. Linear's `webhookTimestamp`), or a form body cannot be decoded. For a
    /// scheme whose signature travels in the JSON body (Mailgun), checked before the
    /// signature: the body is not one JSON object, a key repeats at its top level or in the
    /// signature object, a field of that object is absent or not a string, the timestamp is
    /// not canonical decimal, the signature is not lower-case hex, or the token is not
    /// `[A-Za-z0-9_:-]{1,256}`. 400.
    #[error("malformed payload")]
    MalformedPayload,
    /// The body is larger than the configured cap. 413.
    #[error("payload too large")]
    PayloadTooLarge,
    /// The body was not received within the read deadline. 408.
    #[error("body not received in time")]
    BodyTimeout,
    /// The body has a `Content-Encoding` the provider profile does not allow. 415.
    #[error("unsupported content encoding")]
    UnsupportedEncoding,
    /// The caller exceeded its rate. 429 with `Retry-After`, `RateLimit` and
    /// `RateLimit-Policy`.
    #[error("rate limited")]
    RateLimited {
        /// How long the caller should wait (whole seconds, at least 1).
        retry_after: Duration,
        /// Requests a full budget allows.
        quota: u32,
        /// Time for an empty budget to refill.
        window: Duration,
    },
    /// The request body could not be read (the connection failed mid-body). 400.
    #[error("body could not be read")]
    BodyReadFailed,
    /// The route takes deliveries (POST) and this request is neither one nor the provider's
    /// GET handshake. 405.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// No client key could be determined (no peer address: a server set-up problem). 500.
    #[error("client key unavailable")]
    ClientKeyUnavailable,
    /// The same delivery is being handled right now. 409 with `Retry-After`.
    #[error("delivery in flight")]
    DeliveryInFlight {
        /// How long the caller should wait.
        retry_after: Duration,
    },
    /// The same delivery failed moments ago and may not run again before its cool-down ends
    /// (it grows with each failure). 409 with `Retry-After`. Bounds how often a captured
    /// failing delivery can be replayed to run the handler.
    #[error("delivery cooling down after a failure")]
    DeliveryCoolingDown {
        /// How long the caller should wait.
        retry_after: Duration,
    },
    /// A delivery with this id was received before with a different body. 409; the new
    /// payload is refused (and logged as a warning), never dropped as a duplicate.
    #[error("delivery id reused with a different body")]
    DeliveryConflict,
    /// The replay store (or the secret resolver) could not answer. 503 with `Retry-After`.
    #[error("service unavailable")]
    Unavailable {
        /// How long the caller should wait.
        retry_after: Duration,
    },
}

impl Rejection {
    /// The stable snake_case code, for logs, metrics and problem+json bodies.
    ///
    /// ```
    /// assert_eq!(hookguard::Rejection::SignatureMismatch.code(), "signature_mismatch");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::MissingSignature => "missing_signature",
            Rejection::MissingHeader(_) => "missing_header",
            Rejection::DuplicateHeader(_) => "duplicate_header",
            Rejection::MalformedHeader(_) => "malformed_header",
            Rejection::TooManySignatures => "too_many_signatures",
            Rejection::SignatureMismatch => "signature_mismatch",
            Rejection::TimestampOutOfWindow => "timestamp_out_of_window",
            Rejection::MalformedPayload => "malformed_payload",
            Rejection::PayloadTooLarge => "payload_too_large",
            Rejection::BodyTimeout => "body_timeout",
            Rejection::UnsupportedEncoding => "unsupported_encoding",
            Rejection::RateLimited { .. } => "rate_limited",
            Rejection::BodyReadFailed => "body_read_failed",
            Rejection::MethodNotAllowed => "method_not_allowed",
            Rejection::ClientKeyUnavailable => "client_key_unavailable",
            Rejection::DeliveryInFlight { .. } => "delivery_in_flight",
            Rejection::DeliveryCoolingDown { .. } => "delivery_cooling_down",
            Rejection::DeliveryConflict => "delivery_conflict",
            Rejection::Unavailable { .. } => "unavailable",
        }
    }

    /// The HTTP status this rejection is answered with.
    ///
    /// ```
    /// use http::StatusCode;
    /// assert_eq!(hookguard::Rejection::SignatureMismatch.status(), StatusCode::UNAUTHORIZED);
    /// ```
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::MissingSignature
            | Rejection::MissingHeader(_)
            | Rejection::SignatureMismatch
            | Rejection::TimestampOutOfWindow => StatusCode::UNAUTHORIZED,
            Rejection::DuplicateHeader(_)
            | Rejection::MalformedHeader(_)
            | Rejection::TooManySignatures
            | Rejection::MalformedPayload
            | Rejection::BodyReadFailed => StatusCode::BAD_REQUEST,
            Rejection::ClientKeyUnavailable => StatusCode::INTERNAL_SERVER_ERROR,
            Rejection::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Rejection::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Rejection::UnsupportedEncoding => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Rejection::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Rejection::DeliveryInFlight { .. }
            | Rejection::DeliveryCoolingDown { .. }
            | Rejection::DeliveryConflict => StatusCode::CONFLICT,
            Rejection::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The `Retry-After` delay this rejection carries, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Rejection::RateLimited { retry_after, .. }
            | Rejection::DeliveryInFlight { retry_after }
            | Rejection::DeliveryCoolingDown { retry_after }
            | Rejection::Unavailable { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
}

/// Why a [`Verifier`](crate::Verifier), [`Signer`](crate::Signer) or [`Secret`](crate::Secret)
/// could not be built. Never contains secret material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A secret was empty.
    #[error("secret is empty")]
    EmptySecret,
    /// A secret had leading or trailing whitespace (usually a copy-paste or `\n` accident).
    #[error("secret has leading or trailing whitespace")]
    SecretWhitespace,
    /// A secret could not be decoded in the expected format.
    #[error("secret is not valid {0}")]
    InvalidSecret(&'static str),
    /// A secret of the wrong kind for the scheme (e.g. an HMAC secret for an Ed25519 scheme).
    #[error("secret kind does not fit the scheme: {0}")]
    WrongSecretKind(&'static str),
    /// No secret was configured.
    #[error("no secret configured")]
    NoSecrets,
    /// More secrets than a verifier accepts.
    #[error("too many secrets (at most {0})")]
    TooManySecrets(usize),
    /// A key id is empty, too long or has characters outside `[A-Za-z0-9_.:-]`.
    #[error("invalid key id")]
    InvalidKeyId,
    /// Two keys share one id.
    #[error("duplicate key id")]
    DuplicateKeyId,
    /// The tolerance is 0 or above one day (use the `dangerous_` method to force it).
    #[error("tolerance must be between 1 s and 1 day")]
    InvalidTolerance,
    /// The scheme signs the URL, and neither an absolute request URI nor a public URL is
    /// available to rebuild it.
    #[error("this scheme signs the URL: configure the public URL")]
    MissingPublicUrl,
    /// The public URL is not an absolute `http`/`https` URL without a path.
    #[error("public URL must be an absolute http(s) origin")]
    InvalidPublicUrl,
    /// The scheme needs a crate feature that is not enabled.
    #[error("this scheme needs the `{0}` feature")]
    FeatureDisabled(&'static str),
    /// Replay timings are inconsistent: the lease must exceed the handler timeout plus twice
    /// the store timeout, the retention must be at least the lease, and timeouts must be
    /// non-zero.
    #[error(
        "replay timings: need lease > handler timeout + 2 × store timeout, retain >= lease, timeouts > 0"
    )]
    InvalidReplayTiming,
    /// A trusted proxy is not an address or `address/prefix`.
    #[error("invalid trusted proxy network")]
    InvalidTrustedProxy,
    /// The body cap or the body deadline is zero.
    #[error("body limit and body timeout must be non-zero")]
    InvalidBodyLimits,
    /// `PipelineBuilder::tenant` on a pipeline whose tenants come from a resolver (each
    /// tenant's name is the resolver's).
    #[error("a resolver pipeline names its tenants: tenant() does not apply")]
    TenantWithResolver,
    /// A delivery given to the signer lacks what the scheme signs, or has an invalid value.
    #[error("cannot sign: {0}")]
    InvalidDelivery(&'static str),
}
