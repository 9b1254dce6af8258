//! The core's errors, one per moment: [`ConfigError`] when something is built, [`Rejection`]
//! when a delivery is verified, [`SignError`] when one is signed.

use http::{HeaderName, StatusCode};

/// Why a delivery was refused.
///
/// Each variant has a stable, machine-readable [`code`](Rejection::code) and an HTTP
/// [`status`](Rejection::status). Neither the `Display` text nor any field ever contains a
/// secret, a signature or the body: they name at most a header or a field, which are chosen by
/// the scheme, not by the caller.
///
/// These are the verifier's refusals (400/401). The request pipeline refuses for its own
/// reasons too (rate limits, body limits, the replay store): `pipeline::Refusal` wraps this
/// type beside them.
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
            | Rejection::MalformedPayload => StatusCode::BAD_REQUEST,
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
    /// `PipelineBuilder::inbox` with a route name outside `[A-Za-z0-9_.:-]{1,64}`.
    #[error("inbox route name must be [A-Za-z0-9_.:-], 1 to 64 bytes")]
    InvalidInboxRoute,
    /// An inbox route in observe-only mode: only a verified delivery can be committed.
    #[error("an inbox route cannot be observe-only")]
    ObserveOnlyWithInbox,
}

/// Why the [`Signer`](crate::Signer) could not sign a delivery. Never contains secret material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The delivery lacks what the scheme signs (an id, a URL), or a value is invalid.
    #[error("cannot sign: {0}")]
    InvalidDelivery(&'static str),
    /// The delivery's URL is not an absolute http(s) URL.
    #[error("cannot sign: the URL is not an absolute http(s) URL")]
    InvalidUrl,
    /// The key cannot sign for this scheme.
    #[error("cannot sign: {0}")]
    Key(&'static str),
}
