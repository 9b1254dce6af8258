//! [`Verifier`]: checks a delivery's signature, timestamp and id against a scheme and keys.
//!
//! A verification is three steps, each in its own file: [`extract`] reads what the delivery
//! claims (signatures, timestamp, id) strictly from its headers; [`check`] rebuilds the signed
//! message, finds the key that signed it and checks the timestamp window. Key preparation and
//! constant-time matching live in `crate::crypto`.

mod check;
mod extract;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::{HeaderMap, Method, Uri};

use crate::crypto::{self, PreparedKey};
use crate::danger::Dangerous;
use crate::error::{ConfigError, Rejection};
use crate::scheme::{Part, Scheme};
use crate::secret::{KeyId, Keyring, Secret};
use crate::verified::{DeliveryId, Verified};

/// The default timestamp tolerance, in both directions.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);
/// The largest tolerance accepted without the `dangerous_` method.
pub const MAX_TOLERANCE: Duration = Duration::from_secs(86_400);

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
    /// Only for schemes that sign the URL.
    public_origin: Option<String>,
    /// The scheme signs a form body's sorted parameters (Twilio's rules apply).
    signs_form_params: bool,
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
    public_origin: Option<String>,
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
    /// Starts a verifier for a provider preset or any scheme (`Provider::Stripe`, or a
    /// [`Scheme`] loaded from a file).
    pub fn builder(scheme: impl Into<Scheme>) -> VerifierBuilder {
        VerifierBuilder {
            scheme: scheme.into(),
            keys: Keyring::new(),
            error: None,
            tolerance: DEFAULT_TOLERANCE,
            tolerance_checked: true,
            public_origin: None,
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
        let mut object = None;
        let claimed = extract::claims(&inner.scheme, headers, body, &mut object)?;
        let key = check::matching_key(inner, method, uri, body, &claimed)?;
        let timestamp = check::window(&inner.scheme, &claimed, body, now, inner.tolerance)?;
        let delivery_id = match claimed.id {
            Some(id) => DeliveryId(id.into()),
            None => DeliveryId::of_body(body),
        };
        Ok(Verified::new(
            inner.scheme.name.clone(),
            inner.keys[key].0.clone(),
            timestamp,
            delivery_id,
        ))
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
}

impl Dangerous<VerifierBuilder> {
    /// Sets any tolerance, including 0 (the timestamp must equal now to the unit) or more
    /// than a day, which widens the replay window accordingly. There is no way to switch the
    /// timestamp check off.
    pub fn unchecked_tolerance(self, tolerance: Duration) -> VerifierBuilder {
        let mut builder = self.0;
        builder.tolerance = tolerance;
        builder.tolerance_checked = false;
        builder
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

    /// The options that weaken a guarantee (see [`crate::danger`]).
    pub fn dangerous(self) -> Dangerous<Self> {
        Dangerous(self)
    }

    /// The public origin the provider sends to, e.g. `https://hooks.example.com`, for schemes
    /// that sign the URL (Twilio, Square): the signed URL is this origin plus the request's
    /// path and query. The request's own `Host` is never trusted for this. Required by those
    /// schemes; ignored by the others.
    pub fn public_origin(mut self, origin: &str) -> Self {
        self.public_origin = Some(origin.to_owned());
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
        let signs_form_params = self.scheme.message.contains(&Part::TwilioParams);
        let needs_url = signs_form_params || self.scheme.message.contains(&Part::Url);
        let public_origin = match (&self.public_origin, needs_url) {
            (Some(url), true) => Some(parse_origin(url)?),
            (None, true) => return Err(ConfigError::MissingPublicUrl),
            (_, false) => None,
        };
        let alg = self.scheme.algorithm;
        let keys = self
            .keys
            .keys
            .into_iter()
            .map(|(id, secret)| Ok((id, crypto::prepare(alg, secret)?)))
            .collect::<Result<Vec<_>, ConfigError>>()?;
        Ok(Verifier {
            inner: Arc::new(Inner {
                scheme: self.scheme,
                keys,
                tolerance: self.tolerance,
                public_origin,
                signs_form_params,
            }),
        })
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
