//! [`Verifier`]: checks a delivery's signature, timestamp and id against a scheme and keys.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, Method, Uri};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::crypto;
use crate::error::{ConfigError, Rejection};
use crate::providers::Provider;
use crate::scheme::{
    Algorithm, MessageInput, Part, Scheme, TimestampSource, Unit, body_signature, one_header,
    parse_body_signature, parse_signatures, timestamp,
};
use crate::secret::{KeyId, Keyring, Secret, SecretKind};
use crate::providers;

/// The default timestamp tolerance, in both directions.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);
/// The largest tolerance accepted without the `dangerous_` method.
pub const MAX_TOLERANCE: Duration = Duration::from_secs(86_400);
/// The longest delivery id accepted.
pub const MAX_ID_LEN: usize = 256;

/// What a successful verification proved.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verified {
    provider: Arc<str>,
    key_id: KeyId,
    timestamp: Option<i64>,
    delivery_id: DeliveryId,
}

impl Verified {
    /// The provider (scheme) name, e.g. `stripe`.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// Which configured key matched (safe to log).
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// The signed timestamp, in Unix seconds, for schemes that sign one.
    pub fn timestamp(&self) -> Option<i64> {
        self.timestamp
    }

    /// The id to deduplicate on. It always comes from signed material: the signed id header
    /// where the scheme has one (`webhook-id`), the signed token of a body-carried signature
    /// (Mailgun), else `sha256:` + the hex SHA-256 of the body.
    pub fn delivery_id(&self) -> &DeliveryId {
        &self.delivery_id
    }
}

/// A delivery id taken from signed material: 1 to 256 characters of `[A-Za-z0-9_:-]`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DeliveryId(Arc<str>);

impl DeliveryId {
    /// Checks the charset and length; `None` if it fails.
    ///
    /// ```
    /// assert!(hookguard::DeliveryId::new("msg_p5jXN8AQM9LWM0D4loKWxJek").is_some());
    /// assert!(hookguard::DeliveryId::new("a.b").is_none());
    /// ```
    pub fn new(id: &str) -> Option<Self> {
        valid_id(id).then(|| Self(id.into()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DeliveryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for DeliveryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `.` is excluded: the id is joined to the timestamp with `.` in the signed string, so an id
/// holding one could shift bytes between id, timestamp and body.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'-'))
}

pub(crate) enum PreparedKey {
    Hmac(Zeroizing<Vec<u8>>),
    /// HMAC-SHA256 with its key schedule done at build time.
    HmacSha256(crypto::PreparedHmacSha256),
    /// SHA-256 of the token, so tokens of any length compare in constant time.
    Token(Zeroizing<[u8; 32]>),
    #[cfg(feature = "ed25519")]
    Ed25519(ed25519_dalek::VerifyingKey),
    #[cfg(feature = "ecdsa")]
    EcdsaP256(p256::ecdsa::VerifyingKey),
}

/// Checks deliveries for one scheme against a set of keys.
///
/// Build it once at start-up and share it (`Verifier` is `Send + Sync`, cheap to `Clone`).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use hookguard::{Provider, Verifier};
/// use http::{HeaderMap, Method, Uri};
///
/// let verifier = Verifier::builder(Provider::Github)
///     .secret("It's a Secret to Everybody")
///     .build()
///     .unwrap();
/// let mut headers = HeaderMap::new();
/// headers.insert(
///     "x-hub-signature-256",
///     "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17".parse().unwrap(),
/// );
/// let ok = verifier.verify(&Method::POST, &Uri::from_static("/hook"), &headers, b"Hello, World!");
/// assert!(ok.is_ok());
/// let bad = verifier.verify(&Method::POST, &Uri::from_static("/hook"), &headers, b"Hello, World?");
/// assert_eq!(bad.unwrap_err().code(), "signature_mismatch");
/// ```
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    scheme: Scheme,
    keys: Vec<(KeyId, PreparedKey)>,
    tolerance: Duration,
    public_origin: Option<String>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("scheme", &self.inner.scheme.name())
            .field(
                "keys",
                &self.inner.keys.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            )
            .field("tolerance", &self.inner.tolerance)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Verifier`]. Every problem is reported by [`build`](Self::build).
pub struct VerifierBuilder {
    scheme: Scheme,
    keys: Keyring,
    error: Option<ConfigError>,
    tolerance: Duration,
    tolerance_checked: bool,
    public_url: Option<String>,
}

impl fmt::Debug for VerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifierBuilder")
            .field("scheme", &self.scheme.name())
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// Starts a verifier for a provider preset.
    pub fn builder(provider: Provider) -> VerifierBuilder {
        Self::builder_for(provider.scheme())
    }

    /// Starts a verifier for any scheme.
    pub fn builder_for(scheme: Scheme) -> VerifierBuilder {
        VerifierBuilder {
            scheme,
            keys: Keyring::new(),
            error: None,
            tolerance: DEFAULT_TOLERANCE,
            tolerance_checked: true,
            public_url: None,
        }
    }

    /// The scheme this verifier checks.
    pub fn scheme(&self) -> &Scheme {
        &self.inner.scheme
    }

    /// Verifies a delivery against the system clock. `body` must be the exact bytes received.
    pub fn verify(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Verified, Rejection> {
        self.verify_at(method, uri, headers, body, SystemTime::now())
    }

    /// Verifies a delivery from its request head and body, against the system clock.
    pub fn verify_parts(
        &self,
        parts: &http::request::Parts,
        body: &[u8],
    ) -> Result<Verified, Rejection> {
        self.verify(&parts.method, &parts.uri, &parts.headers, body)
    }

    /// Verifies a delivery with an explicit clock, for tests and replays of recorded traffic.
    pub fn verify_at(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Verified, Rejection> {
        let inner = &*self.inner;
        let scheme = &inner.scheme;
        let body_object;
        let parsed = match &scheme.signature_header {
            Some(sig_header) => {
                let sig_value =
                    one_header(headers, sig_header)?.ok_or(Rejection::MissingSignature)?;
                parse_signatures(scheme, sig_value)?
            }
            None => {
                body_object = body_signature(&scheme.layout, body)?;
                parse_body_signature(scheme, &body_object)?
            }
        };

        let mut header_ts: Option<(i64, Unit)> = None;
        let mut ts_text = "";
        match &scheme.timestamp {
            Some(TimestampSource::Header(name, unit)) => {
                ts_text = one_header(headers, name)?
                    .ok_or_else(|| Rejection::MissingHeader(name.clone()))?;
                let ts = timestamp::parse(ts_text, *unit)
                    .ok_or_else(|| Rejection::MalformedHeader(name.clone()))?;
                header_ts = Some((ts, *unit));
            }
            Some(TimestampSource::SignatureParam(unit)) => {
                ts_text = parsed
                    .timestamp
                    .ok_or_else(|| scheme.malformed_signature())?;
                let ts =
                    timestamp::parse(ts_text, *unit).ok_or_else(|| scheme.malformed_signature())?;
                header_ts = Some((ts, *unit));
            }
            Some(TimestampSource::BodyJsonField(..)) | None => {}
        }

        let id = match &scheme.id_header {
            Some(name) => {
                let id = one_header(headers, name)?
                    .ok_or_else(|| Rejection::MissingHeader(name.clone()))?;
                if !valid_id(id) {
                    return Err(Rejection::MalformedHeader(name.clone()));
                }
                Some(id)
            }
            // A body-carried signature's id field (Mailgun's token): signed, a nonce, and the
            // only replay key (the body is not signed, so its digest would not do).
            None => match parsed.id {
                Some(id) if valid_id(id) => Some(id),
                Some(_) => return Err(scheme.malformed_signature()),
                None => None,
            },
        };

        let url = match &inner.public_origin {
            Some(origin) => Cow::Owned(format!(
                "{origin}{}",
                uri.path_and_query().map_or("/", |pq| pq.as_str())
            )),
            None => Cow::Borrowed(""),
        };
        let twilio = scheme
            .message
            .iter()
            .any(|p| matches!(p, Part::TwilioParams));
        let body_hash = if twilio {
            providers::twilio::body_sha256_param(&url)
        } else {
            None
        };
        let params = if twilio && body_hash.is_none() {
            crate::scheme::form::sorted_params(body)?
        } else {
            Vec::new()
        };
        let mut input = MessageInput {
            method: method.as_str(),
            url: &url,
            id: id.unwrap_or(""),
            timestamp: ts_text,
            body,
            params: &params,
        };
        let mut found = subtle::Choice::from(0);
        let mut which = 0u32;
        if twilio {
            for candidate in &providers::twilio::url_variants(&url) {
                input.url = candidate;
                self.match_keys(&parsed, &input, &mut found, &mut which);
            }
        } else {
            self.match_keys(&parsed, &input, &mut found, &mut which);
        }
        if !bool::from(found) {
            return Err(Rejection::SignatureMismatch);
        }
        if let Some(expected) = body_hash {
            let actual = hex::encode(crypto::sha256(body));
            let same = expected.len() == actual.len()
                && bool::from(expected.as_bytes().ct_eq(actual.as_bytes()));
            if !same {
                return Err(Rejection::SignatureMismatch);
            }
        }

        if let Some(TimestampSource::BodyJsonField(field, unit)) = &scheme.timestamp {
            let ts = crate::scheme::body_json::integer(body, field).ok_or(Rejection::MalformedPayload)?;
            header_ts = Some((ts, *unit));
        }
        if let Some((ts, unit)) = header_ts
            && !timestamp::within(ts, unit, now, inner.tolerance)
        {
            return Err(Rejection::TimestampOutOfWindow);
        }

        let delivery_id = match id {
            Some(id) => DeliveryId(id.into()),
            None => DeliveryId(format!("sha256:{}", hex::encode(crypto::sha256(body))).into()),
        };
        let key_id = inner.keys[which as usize].0.clone();
        Ok(Verified {
            provider: scheme.name.clone(),
            key_id,
            timestamp: header_ts.map(|(ts, unit)| ts.div_euclid(unit.per_second() as i64)),
            delivery_id,
        })
    }

    /// HMAC-SHA256 of `message` under the key `key_id` (for handshakes that prove the
    /// endpoint knows the secret: Zoom, X). `None` if that key is not an HMAC-SHA256 key.
    #[cfg_attr(not(feature = "pipeline"), allow(dead_code))]
    pub(crate) fn hmac_sha256(&self, key_id: &KeyId, message: &[u8]) -> Option<[u8; 32]> {
        use hmac::Mac;
        let (_, key) = self.inner.keys.iter().find(|(id, _)| id == key_id)?;
        match key {
            PreparedKey::HmacSha256(prepared) => {
                let mut mac = prepared.start();
                mac.update(message);
                Some(mac.finalize().into_bytes().into())
            }
            _ => None,
        }
    }

    /// The first key's id.
    #[cfg_attr(not(feature = "pipeline"), allow(dead_code))]
    pub(crate) fn first_key_id(&self) -> Option<&KeyId> {
        self.inner.keys.first().map(|(id, _)| id)
    }

    /// Tries every key against every offered signature, with no early exit.
    fn match_keys(
        &self,
        parsed: &crate::scheme::ParsedSignatures<'_>,
        input: &MessageInput<'_>,
        found: &mut subtle::Choice,
        which: &mut u32,
    ) {
        let scheme = &self.inner.scheme;
        let alg = scheme.algorithm;
        let expected_len = alg.signature_len();
        #[cfg(any(feature = "ed25519", feature = "ecdsa"))]
        let mut message = Vec::new();
        #[cfg(any(feature = "ed25519", feature = "ecdsa"))]
        if matches!(alg, Algorithm::Ed25519 | Algorithm::EcdsaP256) {
            crate::scheme::feed(&scheme.message, input, |b| message.extend_from_slice(b));
        }
        for (index, (_, key)) in self.inner.keys.iter().enumerate() {
            let index = index as u32;
            match key {
                PreparedKey::Hmac(bytes) => {
                    let tag = crypto::mac(alg, bytes, &scheme.message, input);
                    for sig in parsed.decoded() {
                        let hit = crypto::ct_match(tag.as_bytes(), sig.bytes(), expected_len);
                        crypto::record(found, which, hit, index);
                    }
                }
                PreparedKey::HmacSha256(prepared) => {
                    let tag = crypto::mac_prepared(prepared, &scheme.message, input);
                    for sig in parsed.decoded() {
                        let hit = crypto::ct_match(tag.as_bytes(), sig.bytes(), expected_len);
                        crypto::record(found, which, hit, index);
                    }
                }
                PreparedKey::Token(digest) => {
                    for raw in parsed.raw() {
                        let offered = crypto::sha256(raw.as_bytes());
                        let hit = digest.ct_eq(&offered);
                        crypto::record(found, which, hit, index);
                    }
                }
                #[cfg(feature = "ed25519")]
                PreparedKey::Ed25519(key) => {
                    for sig in parsed.decoded() {
                        let ok = sig
                            .bytes()
                            .and_then(|b| <[u8; 64]>::try_from(b).ok())
                            .map(|b| ed25519_dalek::Signature::from_bytes(&b))
                            .is_some_and(|s| key.verify_strict(&message, &s).is_ok());
                        crypto::record(found, which, subtle::Choice::from(u8::from(ok)), index);
                    }
                }
                #[cfg(feature = "ecdsa")]
                PreparedKey::EcdsaP256(key) => {
                    use p256::ecdsa::signature::Verifier as _;
                    for sig in parsed.decoded() {
                        // Strict DER (minimal lengths and integers), r and s in [1, n).
                        let ok = sig
                            .bytes()
                            .and_then(|b| p256::ecdsa::Signature::from_der(b).ok())
                            .is_some_and(|s| key.verify(&message, &s).is_ok());
                        crypto::record(found, which, subtle::Choice::from(u8::from(ok)), index);
                    }
                }
            }
        }
    }
}

impl VerifierBuilder {
    /// Adds a secret given in the provider's own text form (see [`Scheme::parse_secret`]),
    /// under the key id `key-N` (N counting from 0). Call it again to add rotation keys.
    pub fn secret(self, text: &str) -> Self {
        let parsed = self.scheme.parse_secret(text);
        self.push(parsed)
    }

    /// Adds several text secrets at once (rotation), as [`secret`](Self::secret) does.
    pub fn secrets<'a>(self, texts: impl IntoIterator<Item = &'a str>) -> Self {
        texts.into_iter().fold(self, Self::secret)
    }

    fn push(mut self, parsed: Result<Secret, ConfigError>) -> Self {
        let id = format!("key-{}", self.keys.len());
        let result = parsed.and_then(|secret| self.keys.insert(KeyId::new(&id)?, secret));
        if let Err(e) = result {
            self.error.get_or_insert(e);
        }
        self
    }

    /// Adds a key under a chosen id.
    pub fn key(mut self, id: &str, secret: Secret) -> Self {
        if let Err(e) = KeyId::new(id).and_then(|id| self.keys.insert(id, secret)) {
            self.error.get_or_insert(e);
        }
        self
    }

    /// Uses these keys (replacing any added so far).
    pub fn keyring(mut self, keys: Keyring) -> Self {
        self.keys = keys;
        self
    }

    /// How far the signed timestamp may be from now, in either direction. Defaults to 300 s.
    /// Must be between 1 s and 1 day; [`build`](Self::build) refuses other values.
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self.tolerance_checked = true;
        self
    }

    /// Sets any tolerance, including 0 (the timestamp must equal now to the unit) or more
    /// than a day, which widens the replay window accordingly. There is no way to switch the
    /// timestamp check off.
    pub fn dangerous_unchecked_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self.tolerance_checked = false;
        self
    }

    /// The public origin the provider sends to, e.g. `https://hooks.example.com`, for schemes
    /// that sign the URL (Twilio, Square): the signed URL is this origin plus the request's
    /// path and query. The request's own `Host` is never trusted for this. Required by those
    /// schemes; ignored by the others.
    pub fn public_url(mut self, origin: &str) -> Self {
        self.public_url = Some(origin.to_owned());
        self
    }

    /// Checks the configuration and builds the verifier.
    pub fn build(self) -> Result<Verifier, ConfigError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.keys.is_empty() {
            return Err(ConfigError::NoSecrets);
        }
        if self.tolerance_checked
            && (self.tolerance < Duration::from_secs(1) || self.tolerance > MAX_TOLERANCE)
        {
            return Err(ConfigError::InvalidTolerance);
        }
        let needs_url = self
            .scheme
            .message
            .iter()
            .any(|p| matches!(p, Part::Url | Part::TwilioParams));
        let public_origin = match (&self.public_url, needs_url) {
            (Some(url), true) => Some(parse_origin(url)?),
            (None, true) => return Err(ConfigError::MissingPublicUrl),
            (_, false) => None,
        };
        let alg = self.scheme.algorithm;
        let keys = self
            .keys
            .keys
            .into_iter()
            .map(|(id, secret)| Ok((id, prepare(alg, secret)?)))
            .collect::<Result<Vec<_>, ConfigError>>()?;
        Ok(Verifier {
            inner: Arc::new(Inner {
                scheme: self.scheme,
                keys,
                tolerance: self.tolerance,
                public_origin,
            }),
        })
    }
}

/// A plain token travels in a header, which the verifier reads as visible ASCII: any other
/// byte would make a verifier that can never accept.
pub(crate) fn check_token(bytes: &[u8]) -> Result<(), ConfigError> {
    if bytes.iter().all(|b| (0x20..0x7f).contains(b)) {
        Ok(())
    } else {
        Err(ConfigError::InvalidSecret("token of visible ASCII"))
    }
}

/// `scheme://authority` of an absolute http(s) URL with no path beyond `/` and no query.
pub(crate) fn parse_origin(url: &str) -> Result<String, ConfigError> {
    let uri: Uri = url.parse().map_err(|_| ConfigError::InvalidPublicUrl)?;
    let scheme = uri.scheme_str().ok_or(ConfigError::InvalidPublicUrl)?;
    let authority = uri.authority().ok_or(ConfigError::InvalidPublicUrl)?;
    let bare = matches!(uri.path(), "" | "/") && uri.query().is_none();
    if !matches!(scheme, "http" | "https") || !bare {
        return Err(ConfigError::InvalidPublicUrl);
    }
    Ok(format!("{scheme}://{authority}"))
}

fn prepare(alg: Algorithm, secret: Secret) -> Result<PreparedKey, ConfigError> {
    match (alg, secret.kind) {
        (Algorithm::Token, SecretKind::Bytes(bytes)) => {
            check_token(&bytes)?;
            Ok(PreparedKey::Token(Zeroizing::new(crypto::sha256(&bytes))))
        }
        (Algorithm::Ed25519, SecretKind::Ed25519Public(bytes)) => ed25519_key(&bytes),
        (Algorithm::Ed25519, _) => Err(ConfigError::WrongSecretKind(
            "this scheme verifies with an Ed25519 public key",
        )),
        (Algorithm::EcdsaP256, SecretKind::EcdsaP256Public(der)) => ecdsa_key(&der),
        (Algorithm::EcdsaP256, _) => Err(ConfigError::WrongSecretKind(
            "this scheme verifies with an ECDSA P-256 public key",
        )),
        (Algorithm::HmacSha256, SecretKind::Bytes(bytes)) => {
            crypto::PreparedHmacSha256::new(&bytes)
                .map(PreparedKey::HmacSha256)
                .ok_or(ConfigError::InvalidSecret("HMAC key"))
        }
        (_, SecretKind::Bytes(bytes)) => Ok(PreparedKey::Hmac(bytes)),
        (_, _) => Err(ConfigError::WrongSecretKind(
            "this scheme needs a shared secret, not a public-key scheme's key",
        )),
    }
}

#[cfg(feature = "ed25519")]
fn ed25519_key(bytes: &[u8; 32]) -> Result<PreparedKey, ConfigError> {
    ed25519_dalek::VerifyingKey::from_bytes(bytes)
        .map(PreparedKey::Ed25519)
        .map_err(|_| ConfigError::InvalidSecret("Ed25519 public key"))
}

#[cfg(feature = "ecdsa")]
fn ecdsa_key(der: &[u8]) -> Result<PreparedKey, ConfigError> {
    use p256::pkcs8::DecodePublicKey as _;
    p256::ecdsa::VerifyingKey::from_public_key_der(der)
        .map(PreparedKey::EcdsaP256)
        .map_err(|_| ConfigError::InvalidSecret("DER P-256 public key"))
}

// Not compiled in the builds cargo-mutants tests (default features): its mutants cannot fail.
#[cfg_attr(mutants, mutants::skip)]
#[cfg(not(feature = "ecdsa"))]
fn ecdsa_key(_: &[u8]) -> Result<PreparedKey, ConfigError> {
    Err(ConfigError::FeatureDisabled("ecdsa"))
}

#[cfg_attr(mutants, mutants::skip)]
#[cfg(not(feature = "ed25519"))]
fn ed25519_key(_: &[u8; 32]) -> Result<PreparedKey, ConfigError> {
    Err(ConfigError::FeatureDisabled("ed25519"))
}
