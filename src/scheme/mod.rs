//! The model of a signature scheme, as data.
//!
//! Most providers differ only in which header carries the signature and in what shape, which
//! parts of the request are signed and in what order, the hash, and the encoding. A [`Scheme`]
//! states exactly that; the verifier and the signer interpret it. Every preset in
//! [`providers`](crate::providers) is a `Scheme` value.

pub(crate) mod body_json;
mod file;
pub(crate) mod form;
mod handshake;
mod layout;
mod message;
pub(crate) mod timestamp;

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use http::HeaderName;

pub use file::SchemeFileError;
pub use handshake::Handshake;
pub(crate) use layout::{
    ParsedSignatures, body_signature, object_fields, one_header, parse_body_signature,
    parse_signatures, render_signature,
};
pub(crate) use message::{MessageInput, feed};

/// A signature scheme: what is signed, with what, and where the signature travels.
///
/// Obtain one from [`Provider::scheme`](crate::Provider::scheme), or load one from a file with
/// [`Scheme::from_toml`] / [`Scheme::from_json`] / [`Scheme::from_file`] (the file format is
/// described there). Two schemes are equal when they verify and sign identically.
#[derive(Clone, PartialEq, Eq)]
pub struct Scheme {
    pub(crate) name: Arc<str>,
    pub(crate) algorithm: Algorithm,
    pub(crate) secret_format: SecretFormat,
    /// `None` exactly when the signature travels in the body ([`Layout::BodyJson`]).
    pub(crate) signature_header: Option<HeaderName>,
    pub(crate) layout: Layout,
    pub(crate) encoding: Encoding,
    pub(crate) timestamp: Option<TimestampSource>,
    pub(crate) id_header: Option<HeaderName>,
    pub(crate) message: Vec<Part>,
    pub(crate) handshake: Option<Handshake>,
}

impl Scheme {
    /// The scheme's name (the provider's kebab-case name for presets).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The header that carries the signature (or, for plain-token schemes, the token).
    /// `None` for schemes whose signature travels inside the JSON body (Mailgun; see
    /// [`signature_in_body`](Self::signature_in_body)).
    ///
    /// ```
    /// use hookguard::Provider;
    /// assert_eq!(Provider::Github.scheme().signature_header().unwrap(), "x-hub-signature-256");
    /// assert!(Provider::Mailgun.scheme().signature_header().is_none());
    /// ```
    pub fn signature_header(&self) -> Option<&HeaderName> {
        self.signature_header.as_ref()
    }

    /// Whether the signature, its timestamp and the delivery id travel in an object of the
    /// JSON body instead of headers (Mailgun). Such a scheme does **not** authenticate the
    /// rest of the body: only the signed fields (timestamp and token) are proven. Sign its
    /// deliveries with [`Signer::sign_with_body`](crate::Signer::sign_with_body).
    pub fn signature_in_body(&self) -> bool {
        matches!(self.layout, Layout::BodyJson { .. })
    }

    /// The provider's endpoint handshake, answered by the pipeline, if it has one.
    pub fn handshake(&self) -> Option<Handshake> {
        self.handshake
    }

    /// Whether the scheme signs the request URL (then the verifier needs the public URL).
    pub fn signs_url(&self) -> bool {
        self.message.iter().any(|p| matches!(p, Part::Url))
    }

    /// Whether a timestamp is part of the signed material.
    pub fn has_timestamp(&self) -> bool {
        self.timestamp.is_some()
    }

    /// Whether the delivery id comes from signed material other than the body: a signed id
    /// header, or the signed token of a body-carried signature (else it is a digest of the
    /// body).
    pub fn has_signed_id(&self) -> bool {
        self.id_header.is_some() || self.signature_in_body()
    }

    /// Whether the scheme verifies with a public key (Ed25519, ECDSA P-256).
    pub fn is_public_key(&self) -> bool {
        matches!(self.algorithm, Algorithm::Ed25519 | Algorithm::EcdsaP256)
    }

    /// Parses a secret in the text form this scheme's provider issues it (for verifying).
    pub fn parse_secret(&self, text: &str) -> Result<crate::Secret, crate::ConfigError> {
        match self.secret_format {
            SecretFormat::Utf8 => crate::Secret::from_text(text),
            SecretFormat::StandardWebhooks => crate::Secret::standard_webhooks(text),
            SecretFormat::Ed25519 => crate::Secret::ed25519_public_key(text),
            SecretFormat::BasicAuth => crate::Secret::basic_auth(text),
            SecretFormat::EcdsaP256 => crate::Secret::ecdsa_p256_public_key(text),
        }
    }

    /// Parses a signing secret in the text form this scheme's provider issues it (for the
    /// [`Signer`](crate::Signer)): like [`parse_secret`](Self::parse_secret), but a private key
    /// for public-key schemes.
    pub fn parse_signing_secret(&self, text: &str) -> Result<crate::Secret, crate::ConfigError> {
        match self.secret_format {
            SecretFormat::Ed25519 => crate::Secret::ed25519_private_key(text),
            SecretFormat::EcdsaP256 => crate::Secret::ecdsa_p256_private_key(text),
            _ => self.parse_secret(text),
        }
    }
}

impl fmt::Debug for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scheme")
            .field("name", &self.name)
            .field("algorithm", &self.algorithm)
            .field("signature_header", &self.signature_header)
            .finish_non_exhaustive()
    }
}

/// How the MAC or signature is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Algorithm {
    HmacSha1,
    HmacSha256,
    #[allow(dead_code, reason = "no preset yet; custom schemes use it")]
    HmacSha512,
    #[cfg_attr(not(feature = "ed25519"), allow(dead_code))]
    Ed25519,
    /// ECDSA over P-256 with SHA-256; the signature is DER (SendGrid).
    #[cfg_attr(not(feature = "ecdsa"), allow(dead_code))]
    EcdsaP256,
    /// The header carries the shared secret itself (GitLab): nothing is signed.
    Token,
}

impl Algorithm {
    /// Length in bytes of a valid decoded signature.
    pub(crate) fn signature_len(self) -> usize {
        match self {
            Algorithm::HmacSha1 => 20,
            Algorithm::HmacSha256 => 32,
            Algorithm::HmacSha512 | Algorithm::Ed25519 => 64,
            // DER: the longest encoding; shorter ones are valid too (checked by the parser).
            Algorithm::EcdsaP256 => MAX_SIGNATURE_LEN,
            Algorithm::Token => 0,
        }
    }
}

/// The longest decoded signature of any scheme (a DER ECDSA P-256 signature).
pub(crate) const MAX_SIGNATURE_LEN: usize = 72;

/// How a secret is given as text by the provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SecretFormat {
    /// The text's UTF-8 bytes.
    Utf8,
    /// `whsec_` + base64.
    StandardWebhooks,
    /// Ed25519 key: `whpk_`/`whsk_` + base64, or hex.
    Ed25519,
    /// HTTP Basic credentials `user:pass`; the token is their standard base64.
    BasicAuth,
    /// ECDSA P-256: public key as base64 DER SubjectPublicKeyInfo; private key as 64 hex
    /// characters of the scalar (for signing).
    EcdsaP256,
}

/// How the signature is encoded in the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// Lower-case hex only.
    Hex,
    /// Standard alphabet, padded, canonical.
    Base64,
    /// Not encoded (plain tokens).
    Raw,
}

/// The shape of the signature header's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// The whole value is one signature, after a fixed prefix (`sha256=`, `v0=`, or none).
    Single { prefix: Cow<'static, str> },
    /// No header: the signature, the timestamp and the delivery id are string fields of one
    /// object at the top level of the JSON body (Mailgun:
    /// `"signature": {"timestamp": …, "token": …, "signature": …}`). The body itself cannot be
    /// signed (it holds the signature), so the signed message is made of the timestamp and
    /// the id only; the id (the token, a nonce) is always the delivery id.
    BodyJson {
        object: Cow<'static, str>,
        signature_field: Cow<'static, str>,
        timestamp_field: Cow<'static, str>,
        id_field: Cow<'static, str>,
    },
    /// A list of `key<kv_sep>value` items separated by `item_sep`: `v1,sig v1,sig` (Standard
    /// Webhooks), `t=…,v1=…` (Stripe), `ts=…;h1=…` (Paddle). Items whose key is neither the
    /// signature key nor the timestamp key are ignored (other scheme versions).
    List {
        item_sep: u8,
        kv_sep: u8,
        signature_key: Cow<'static, str>,
        timestamp_key: Option<Cow<'static, str>>,
    },
}

/// Where the timestamp comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TimestampSource {
    /// Its own header.
    Header(HeaderName, Unit),
    /// The list-style signature header's timestamp item (`t=` for Stripe), or the timestamp
    /// field of a body-carried signature object (Mailgun).
    SignatureParam(Unit),
    /// A top-level integer field of the JSON body, read only after the signature verified.
    BodyJsonField(Cow<'static, str>, Unit),
}

/// The unit and text form of a timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    /// Canonical decimal Unix seconds.
    Seconds,
    /// Canonical decimal Unix milliseconds.
    Milliseconds,
    /// RFC 3339 in UTC only, `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` (Twitch, Zendesk); held as Unix
    /// nanoseconds.
    Rfc3339,
}

impl Unit {
    pub(crate) fn per_second(self) -> i128 {
        match self {
            Unit::Seconds => 1,
            Unit::Milliseconds => 1000,
            Unit::Rfc3339 => 1_000_000_000,
        }
    }
}

/// One piece of the signed message, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(
    dead_code,
    reason = "`Method` has no preset yet; custom schemes use it"
)]
pub(crate) enum Part {
    /// The id header's value.
    Id,
    /// The timestamp, exactly as received.
    Timestamp,
    /// The body bytes.
    Body,
    /// The full public URL.
    Url,
    /// The HTTP method.
    Method,
    /// Fixed bytes (separators, version prefixes).
    Literal(Cow<'static, [u8]>),
    /// Twilio: form parameters sorted by name, each name then value, unless the URL carries
    /// `bodySHA256`, in which case nothing (and the body hash is checked instead).
    TwilioParams,
}

impl Part {
    pub(crate) const fn lit(bytes: &'static [u8]) -> Part {
        Part::Literal(Cow::Borrowed(bytes))
    }
}

impl Scheme {
    pub(crate) fn preset(
        name: &'static str,
        algorithm: Algorithm,
        signature_header: &'static str,
        layout: Layout,
        encoding: Encoding,
        message: Vec<Part>,
    ) -> Scheme {
        Scheme {
            name: name.into(),
            algorithm,
            secret_format: match algorithm {
                Algorithm::Ed25519 => SecretFormat::Ed25519,
                Algorithm::EcdsaP256 => SecretFormat::EcdsaP256,
                _ => SecretFormat::Utf8,
            },
            signature_header: Some(HeaderName::from_static(signature_header)),
            layout,
            encoding,
            timestamp: None,
            id_header: None,
            message,
            handshake: None,
        }
    }

    /// A preset whose signature travels in the JSON body (`layout` is [`Layout::BodyJson`]):
    /// no signature header; the timestamp is the object's timestamp field.
    pub(crate) fn preset_in_body(
        name: &'static str,
        algorithm: Algorithm,
        layout: Layout,
        encoding: Encoding,
        unit: Unit,
        message: Vec<Part>,
    ) -> Scheme {
        debug_assert!(matches!(layout, Layout::BodyJson { .. }));
        Scheme {
            name: name.into(),
            algorithm,
            secret_format: SecretFormat::Utf8,
            signature_header: None,
            layout,
            encoding,
            timestamp: Some(TimestampSource::SignatureParam(unit)),
            id_header: None,
            message,
            handshake: None,
        }
    }

    /// The headers a delivery must keep to be verified again later (the durable inbox keeps
    /// them with the body): the signature, timestamp and id headers the scheme reads, in
    /// that order.
    #[cfg(all(feature = "pipeline", feature = "inbox"))]
    pub(crate) fn verification_headers(&self) -> impl Iterator<Item = &HeaderName> {
        let timestamp = match &self.timestamp {
            Some(TimestampSource::Header(name, _)) => Some(name),
            _ => None,
        };
        self.signature_header
            .iter()
            .chain(timestamp)
            .chain(self.id_header.iter())
    }

    /// The rejection for a malformed signature: it names the signature header, or says the
    /// payload is malformed when the signature travels in the body.
    pub(crate) fn malformed_signature(&self) -> crate::error::Rejection {
        match &self.signature_header {
            Some(name) => crate::error::Rejection::MalformedHeader(name.clone()),
            None => crate::error::Rejection::MalformedPayload,
        }
    }

    pub(crate) fn with_timestamp(mut self, source: TimestampSource) -> Scheme {
        self.timestamp = Some(source);
        self
    }

    pub(crate) fn with_id_header(mut self, name: &'static str) -> Scheme {
        self.id_header = Some(HeaderName::from_static(name));
        self
    }

    pub(crate) fn with_handshake(mut self, handshake: Handshake) -> Scheme {
        self.handshake = Some(handshake);
        self
    }

    pub(crate) fn with_secret_format(mut self, format: SecretFormat) -> Scheme {
        self.secret_format = format;
        self
    }
}

pub(crate) fn single(prefix: &'static str) -> Layout {
    Layout::Single {
        prefix: Cow::Borrowed(prefix),
    }
}

pub(crate) fn body_json(
    object: &'static str,
    signature_field: &'static str,
    timestamp_field: &'static str,
    id_field: &'static str,
) -> Layout {
    Layout::BodyJson {
        object: Cow::Borrowed(object),
        signature_field: Cow::Borrowed(signature_field),
        timestamp_field: Cow::Borrowed(timestamp_field),
        id_field: Cow::Borrowed(id_field),
    }
}

pub(crate) fn list(
    item_sep: u8,
    kv_sep: u8,
    signature_key: &'static str,
    timestamp_key: Option<&'static str>,
) -> Layout {
    Layout::List {
        item_sep,
        kv_sep,
        signature_key: Cow::Borrowed(signature_key),
        timestamp_key: timestamp_key.map(Cow::Borrowed),
    }
}
