//! [`Signer`]: the mirror of the verifier, for senders and for tests.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request};

use crate::crypto;
use crate::error::{ConfigError, SignError};
use crate::providers;
use crate::providers::Provider;
use crate::scheme::{
    Algorithm, Encoding, MessageInput, Part, Scheme, TimestampSource, body_json, object_fields,
    render_signature,
};
use crate::secret::{Secret, SecretKind};
use crate::verified::DeliveryId;
use crate::verify::parse_origin;

/// One delivery to sign.
///
/// ```
/// let d = hookguard::Delivery::new(br#"{"type":"ping"}"#.to_vec())
///     .id("msg_1")
///     .timestamp(1_700_000_000);
/// # let _ = d;
/// ```
#[derive(Clone)]
pub struct Delivery {
    body: Bytes,
    id: Option<String>,
    timestamp: Option<i64>,
    url: Option<String>,
    method: Method,
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("id", &self.id)
            .field("timestamp", &self.timestamp)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl Delivery {
    /// A POST of `body`, timestamped now, with no id.
    pub fn new(body: impl Into<Bytes>) -> Self {
        Self {
            body: body.into(),
            id: None,
            timestamp: None,
            url: None,
            method: Method::POST,
        }
    }

    /// The delivery id, for schemes that sign one (required by them).
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// The timestamp in Unix seconds. Defaults to now.
    pub fn timestamp(mut self, unix_seconds: i64) -> Self {
        self.timestamp = Some(unix_seconds);
        self
    }

    /// The full URL the delivery is sent to (required by schemes that sign the URL, and by
    /// [`Signer::request`]).
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// The HTTP method. Defaults to POST.
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }
}

/// Signs deliveries for one scheme with one secret: the headers a provider would send.
///
/// ```
/// use hookguard::{Delivery, Provider, Signer, Verifier};
/// let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// let signer = Signer::new(Provider::StandardWebhooks, secret).unwrap();
/// let delivery = Delivery::new(&br#"{"test": 2432232314}"#[..])
///     .id("msg_p5jXN8AQM9LWM0D4loKWxJek")
///     .timestamp(1614265330);
/// let headers = signer.sign(&delivery).unwrap();
/// assert_eq!(
///     headers["webhook-signature"],
///     "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
/// );
/// ```
#[derive(Clone)]
pub struct Signer {
    scheme: Scheme,
    secret: Secret,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("scheme", &self.scheme.name())
            .finish_non_exhaustive()
    }
}

/// Builds a [`Signer`]: a scheme, and one secret (its text form or a parsed [`Secret`]).
/// Every problem is reported by [`build`](Self::build).
pub struct SignerBuilder {
    scheme: Scheme,
    secret: Option<Result<Secret, ConfigError>>,
}

impl fmt::Debug for SignerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignerBuilder")
            .field("scheme", &self.scheme.name())
            .finish_non_exhaustive()
    }
}

impl SignerBuilder {
    /// The signing secret in the provider's text form (for public-key schemes, the private
    /// key: `whsk_<base64>` or 64 hex characters of the seed).
    pub fn secret(mut self, text: &str) -> Self {
        self.secret = Some(self.scheme.parse_signing_secret(text));
        self
    }

    /// An already-parsed signing secret.
    pub fn key(mut self, secret: Secret) -> Self {
        self.secret = Some(Ok(secret));
        self
    }

    /// Checks that the secret fits the scheme and builds the signer.
    pub fn build(self) -> Result<Signer, ConfigError> {
        let secret = self.secret.ok_or(ConfigError::NoSecrets)??;
        check_fits(&self.scheme, &secret)?;
        Ok(Signer {
            scheme: self.scheme,
            secret,
        })
    }
}

/// Whether `secret` can sign for `scheme`: a shared secret for HMAC and token schemes, the
/// private key of a public-key scheme.
fn check_fits(scheme: &Scheme, secret: &Secret) -> Result<(), ConfigError> {
    let fits = match (&secret.kind, scheme.algorithm) {
        (SecretKind::Ed25519Seed(_), Algorithm::Ed25519) => cfg!(feature = "ed25519"),
        (SecretKind::EcdsaP256Private(_), Algorithm::EcdsaP256) => cfg!(feature = "ecdsa"),
        (SecretKind::Bytes(_), alg) => !matches!(alg, Algorithm::Ed25519 | Algorithm::EcdsaP256),
        _ => false,
    };
    if let (SecretKind::Bytes(token), Algorithm::Token) = (&secret.kind, scheme.algorithm) {
        crate::crypto::check_token(token)?;
    }
    if fits {
        return Ok(());
    }
    if scheme.algorithm == Algorithm::Ed25519 && !cfg!(feature = "ed25519") {
        return Err(ConfigError::FeatureDisabled("ed25519"));
    }
    if scheme.algorithm == Algorithm::EcdsaP256 && !cfg!(feature = "ecdsa") {
        return Err(ConfigError::FeatureDisabled("ecdsa"));
    }
    Err(ConfigError::WrongSecretKind(
        "signing needs the shared secret, or the private key of a public-key scheme",
    ))
}

/// A signed delivery: the headers to send, and the body to send with them.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Signed {
    /// The scheme's id, timestamp and signature headers (none when the signature travels in
    /// the body).
    pub headers: HeaderMap,
    /// The body: the delivery's, unchanged, or with the signature object added for schemes
    /// that carry it in the body.
    pub body: Bytes,
}

impl Signer {
    /// A signer for a preset, with the secret in the provider's text form (a shortcut for
    /// [`builder`](Self::builder)`(provider).secret(text).build()`).
    pub fn new(provider: Provider, secret: &str) -> Result<Self, ConfigError> {
        Self::builder(provider).secret(secret).build()
    }

    /// Starts a signer for a provider preset or any scheme.
    ///
    /// ```
    /// use hookguard::{Provider, Secret, Signer};
    /// let signer = Signer::builder(Provider::Github)
    ///     .key(Secret::from_text("It's a Secret to Everybody")?)
    ///     .build()?;
    /// # let _ = signer;
    /// # Ok::<(), hookguard::ConfigError>(())
    /// ```
    pub fn builder(scheme: impl Into<Scheme>) -> SignerBuilder {
        SignerBuilder {
            scheme: scheme.into(),
            secret: None,
        }
    }

    /// The headers to send with `delivery`, whose body is sent unchanged.
    ///
    /// A scheme whose signature travels inside the body (Mailgun, see
    /// [`Scheme::signature_in_body`]) has no such headers: for it this returns
    /// [`SignError::InvalidDelivery`]; use [`sign_with_body`](Self::sign_with_body) or
    /// [`request`](Self::request).
    pub fn sign(&self, delivery: &Delivery) -> Result<HeaderMap, SignError> {
        if self.scheme.signature_in_body() {
            return Err(SignError::InvalidDelivery(
                "this scheme signs inside the body: use sign_with_body or request",
            ));
        }
        self.sign_with_body(delivery).map(|signed| signed.headers)
    }

    /// The headers and the body to send for `delivery`: for every scheme.
    ///
    /// For header schemes the body is `delivery`'s, unchanged. For a scheme whose signature
    /// travels in the body (Mailgun), the delivery's body must be a JSON object without the
    /// signature object (e.g. `{"event-data": {…}}`); the returned body is that object with
    /// the signature object added as its first member, e.g.
    /// `{"signature":{"timestamp":"…","token":"…","signature":"…"},"event-data":{…}}`. The
    /// delivery's [`id`](Delivery::id) is the token (the nonce, and the delivery id), and is
    /// required.
    ///
    /// ```
    /// use hookguard::{Delivery, Provider, Signer, Verifier};
    /// use http::{Method, Uri};
    /// use std::time::{Duration, UNIX_EPOCH};
    ///
    /// let signer = Signer::new(Provider::Mailgun, "key-3ax6xnjp29jd6fds4gc373sgvjxteol0")?;
    /// let delivery = Delivery::new(&br#"{"event-data":{"event":"delivered"}}"#[..])
    ///     .id("5egbgr1vjgqxtrnp65xfznchgdccwh5d6i09vijqi3whgowmn6")
    ///     .timestamp(1403645220);
    /// let signed = signer.sign_with_body(&delivery)?;
    /// let (headers, body) = (signed.headers, signed.body);
    /// assert!(headers.is_empty());
    /// assert_eq!(
    ///     body,
    ///     &br#"{"signature":{"timestamp":"1403645220","token":"5egbgr1vjgqxtrnp65xfznchgdccwh5d6i09vijqi3whgowmn6","signature":"9cfc5c41582e51246e73c88d34db3af0a3a2692a76fbab81492842f000256d33"},"event-data":{"event":"delivered"}}"#[..]
    /// );
    ///
    /// let verifier = Verifier::builder(Provider::Mailgun)
    ///     .secret("key-3ax6xnjp29jd6fds4gc373sgvjxteol0")
    ///     .build()?;
    /// let now = UNIX_EPOCH + Duration::from_secs(1403645230);
    /// let ok = verifier.verify_at(&Method::POST, &Uri::from_static("/mg"), &headers, &body, now)?;
    /// assert_eq!(ok.delivery_id().as_str(), "5egbgr1vjgqxtrnp65xfznchgdccwh5d6i09vijqi3whgowmn6");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sign_with_body(&self, delivery: &Delivery) -> Result<Signed, SignError> {
        let scheme = &self.scheme;
        let timestamp = self.signed_timestamp(delivery)?;
        let id = self.signed_id(delivery)?;
        let url = self.signed_url(delivery)?;
        let params = self.signed_params(url, delivery)?;
        let input = MessageInput {
            method: delivery.method.as_str(),
            url,
            id,
            timestamp: &timestamp,
            body: &delivery.body,
            params: &params,
        };
        let signature = self.signature(&input)?;
        if let Some(fields) = object_fields(&scheme.layout) {
            let members = [
                (fields.timestamp, timestamp.as_str()),
                (fields.id, id),
                (fields.signature, signature.as_str()),
            ];
            let body = body_json::insert_signature_object(&delivery.body, fields, members).ok_or(
                SignError::InvalidDelivery(
                    "the body must be one JSON object without the signature object",
                ),
            )?;
            return Ok(Signed {
                headers: HeaderMap::new(),
                body,
            });
        }
        let value = render_signature(&scheme.layout, &timestamp, &signature);
        let headers = self.headers(id, &timestamp, &value)?;
        Ok(Signed {
            headers,
            body: delivery.body.clone(),
        })
    }

    /// The timestamp text the scheme signs (the delivery's, or now), or `""`.
    fn signed_timestamp(&self, delivery: &Delivery) -> Result<String, SignError> {
        let unit = match &self.scheme.timestamp {
            Some(TimestampSource::Header(_, unit) | TimestampSource::SignatureParam(unit)) => *unit,
            _ => return Ok(String::new()),
        };
        let seconds = delivery.timestamp.unwrap_or_else(now_seconds);
        crate::scheme::timestamp::format(seconds, unit)
            .ok_or(SignError::InvalidDelivery("timestamp out of range"))
    }

    /// The delivery id the scheme signs, checked as the verifier will, or `""`.
    fn signed_id<'d>(&self, delivery: &'d Delivery) -> Result<&'d str, SignError> {
        if !self.scheme.has_signed_id() {
            return Ok("");
        }
        let id = delivery.id.as_deref().ok_or(SignError::InvalidDelivery(
            "this scheme signs a delivery id",
        ))?;
        DeliveryId::new(id).ok_or(SignError::InvalidDelivery(
            "id must be 1-256 of [A-Za-z0-9_:-]",
        ))?;
        Ok(id)
    }

    /// The URL the scheme signs (an absolute http(s) URL), or `""`.
    fn signed_url<'d>(&self, delivery: &'d Delivery) -> Result<&'d str, SignError> {
        if !self.signs_url() {
            return Ok("");
        }
        let url = delivery
            .url
            .as_deref()
            .ok_or(SignError::InvalidDelivery("this scheme signs the URL"))?;
        parse_origin_prefix(url)?;
        Ok(url)
    }

    /// The sorted form parameters the scheme signs (Twilio's rules), or none.
    fn signed_params(
        &self,
        url: &str,
        delivery: &Delivery,
    ) -> Result<Vec<(String, String)>, SignError> {
        if !self.signs_form_body(url) {
            return Ok(Vec::new());
        }
        crate::scheme::form::sorted_params(&delivery.body)
            .map_err(|_| SignError::InvalidDelivery("form body is not valid UTF-8"))
    }

    fn signs_url(&self) -> bool {
        let message = &self.scheme.message;
        message.contains(&Part::Url) || message.contains(&Part::TwilioParams)
    }

    /// Whether the body is signed as form parameters: the scheme signs them, and the URL does
    /// not carry the body's hash instead (Twilio's `bodySHA256`).
    fn signs_form_body(&self, url: &str) -> bool {
        self.scheme.message.contains(&Part::TwilioParams)
            && providers::twilio::body_sha256_param(url).is_none()
    }

    /// The id, timestamp and signature headers the scheme sends.
    fn headers(&self, id: &str, timestamp: &str, signature: &str) -> Result<HeaderMap, SignError> {
        let scheme = &self.scheme;
        let value = |v: &str| {
            HeaderValue::from_str(v).map_err(|_| SignError::InvalidDelivery("not a header value"))
        };
        let mut headers = HeaderMap::new();
        if let Some(name) = &scheme.id_header {
            headers.insert(name.clone(), value(id)?);
        }
        if let Some(TimestampSource::Header(name, _)) = &scheme.timestamp {
            headers.insert(name.clone(), value(timestamp)?);
        }
        if let Some(name) = &scheme.signature_header {
            headers.insert(name.clone(), value(signature)?);
        }
        Ok(headers)
    }

    /// A complete signed request: `delivery`'s method and URL, the body and headers of
    /// [`sign_with_body`](Self::sign_with_body), and `content-type: application/json` unless
    /// the scheme signs form parameters.
    pub fn request(&self, delivery: &Delivery) -> Result<Request<Bytes>, SignError> {
        let url = delivery
            .url
            .as_deref()
            .ok_or(SignError::InvalidDelivery("a request needs a URL"))?;
        let Signed { headers, body } = self.sign_with_body(delivery)?;
        let content_type = if self.signs_form_body(url) {
            "application/x-www-form-urlencoded"
        } else {
            "application/json"
        };
        let mut request = Request::builder()
            .method(delivery.method.clone())
            .uri(url)
            .header(http::header::CONTENT_TYPE, content_type)
            .body(body)
            .map_err(|_| SignError::InvalidDelivery("invalid URL"))?;
        request.headers_mut().extend(headers);
        Ok(request)
    }

    fn signature(&self, input: &MessageInput<'_>) -> Result<String, SignError> {
        let scheme = &self.scheme;
        let bytes: Vec<u8> = match (&self.secret.kind, scheme.algorithm) {
            (SecretKind::Bytes(secret), Algorithm::Token) => secret.to_vec(),
            (SecretKind::Bytes(key), alg) => crypto::mac(alg, key, &scheme.message, input)
                .as_bytes()
                .to_vec(),
            #[cfg(feature = "ed25519")]
            (SecretKind::Ed25519Seed(seed), Algorithm::Ed25519) => {
                use ed25519_dalek::Signer as _;
                let mut message = Vec::new();
                crate::scheme::feed(&scheme.message, input, |b| message.extend_from_slice(b));
                let key = ed25519_dalek::SigningKey::from_bytes(seed);
                key.sign(&message).to_bytes().to_vec()
            }
            #[cfg(feature = "ecdsa")]
            (SecretKind::EcdsaP256Private(scalar), Algorithm::EcdsaP256) => {
                use p256::ecdsa::signature::Signer as _;
                let mut message = Vec::new();
                crate::scheme::feed(&scheme.message, input, |b| message.extend_from_slice(b));
                let key = p256::ecdsa::SigningKey::from_bytes(&(**scalar).into())
                    .map_err(|_| SignError::Key("P-256 private key out of range"))?;
                let signature: p256::ecdsa::Signature = key.sign(&message);
                signature.to_der().as_bytes().to_vec()
            }
            _ => {
                return Err(SignError::Key("secret does not fit the scheme"));
            }
        };
        Ok(match scheme.encoding {
            Encoding::Hex => hex::encode(bytes),
            Encoding::Base64 => STANDARD.encode(bytes),
            Encoding::Raw => String::from_utf8(bytes)
                .map_err(|_| SignError::InvalidDelivery("token must be UTF-8"))?,
        })
    }
}

fn parse_origin_prefix(url: &str) -> Result<(), SignError> {
    let uri: http::Uri = url.parse().map_err(|_| SignError::InvalidUrl)?;
    let origin = format!(
        "{}://{}",
        uri.scheme_str().ok_or(SignError::InvalidUrl)?,
        uri.authority().ok_or(SignError::InvalidUrl)?
    );
    parse_origin(&origin)
        .map(|_| ())
        .map_err(|_| SignError::InvalidUrl)
}

fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
