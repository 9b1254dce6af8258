//! Secrets and key rings. Secret bytes are zeroized on drop and never printed.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use zeroize::Zeroizing;

use crate::error::ConfigError;

/// A signing secret or key, zeroized on drop.
///
/// `Debug` prints `Secret([REDACTED])`; there is no `Display`. Constructors refuse empty input,
/// and text constructors refuse leading or trailing whitespace, so a stray newline from an
/// environment file fails at start-up instead of at the first delivery.
///
/// ```
/// use hookguard::Secret;
/// // Standard Webhooks / Svix: `whsec_` + base64 of the key bytes.
/// let sw = Secret::standard_webhooks("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
/// // Stripe: the whole `whsec_…` string is the key.
/// let stripe = Secret::from_text("whsec_test_secret").unwrap();
/// assert_eq!(format!("{sw:?}"), "Secret([REDACTED])");
/// assert!(Secret::from_text(" padded\n").is_err());
/// # let _ = stripe;
/// ```
#[derive(Clone)]
pub struct Secret {
    pub(crate) kind: SecretKind,
}

#[derive(Clone)]
pub(crate) enum SecretKind {
    /// Key bytes for HMAC schemes, or the token for plain-token schemes.
    Bytes(Zeroizing<Vec<u8>>),
    /// An Ed25519 public key (not secret, but kept in the same type for one keyring API).
    Ed25519Public([u8; 32]),
    /// An Ed25519 private key seed, for signing.
    #[cfg_attr(not(feature = "ed25519"), allow(dead_code))]
    Ed25519Seed(Zeroizing<[u8; 32]>),
    /// An ECDSA P-256 public key as DER SubjectPublicKeyInfo (checked when a verifier is built).
    EcdsaP256Public(Vec<u8>),
    /// An ECDSA P-256 private scalar, for signing.
    #[cfg_attr(not(feature = "ecdsa"), allow(dead_code))]
    EcdsaP256Private(Zeroizing<[u8; 32]>),
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

fn check_text(text: &str) -> Result<&str, ConfigError> {
    if text.is_empty() {
        return Err(ConfigError::EmptySecret);
    }
    if text.trim() != text {
        return Err(ConfigError::SecretWhitespace);
    }
    Ok(text)
}

fn decode_base64(text: &str, what: &'static str) -> Result<Zeroizing<Vec<u8>>, ConfigError> {
    let decoded = if text.ends_with('=') {
        STANDARD.decode(text)
    } else {
        STANDARD_NO_PAD.decode(text)
    };
    decoded
        .map(Zeroizing::new)
        .map_err(|_| ConfigError::InvalidSecret(what))
}

fn bytes_32(bytes: &[u8], what: &'static str) -> Result<[u8; 32], ConfigError> {
    bytes
        .try_into()
        .map_err(|_| ConfigError::InvalidSecret(what))
}

impl Secret {
    /// Raw key bytes. Refuses an empty key.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Result<Self, ConfigError> {
        let bytes = Zeroizing::new(bytes.into());
        if bytes.is_empty() {
            return Err(ConfigError::EmptySecret);
        }
        Ok(Self {
            kind: SecretKind::Bytes(bytes),
        })
    }

    /// A text secret used as its UTF-8 bytes, as most providers do (GitHub, Slack, Shopify,
    /// Stripe — where the whole `whsec_…` string is the key —, Twilio, …).
    pub fn from_text(text: &str) -> Result<Self, ConfigError> {
        Self::from_bytes(check_text(text)?.as_bytes())
    }

    /// A Standard Webhooks / Svix secret: an optional `whsec_` prefix, then the base64 of the
    /// key bytes (padded or not).
    pub fn standard_webhooks(text: &str) -> Result<Self, ConfigError> {
        let text = check_text(text)?;
        let b64 = text.strip_prefix("whsec_").unwrap_or(text);
        Self::from_decoded(decode_base64(b64, "whsec_ base64")?)
    }

    /// HTTP Basic credentials given as `user:pass` (Postmark): the token compared is the
    /// standard padded base64 of that text. The user part must be non-empty and free of `:`,
    /// the password non-empty.
    pub fn basic_auth(text: &str) -> Result<Self, ConfigError> {
        let text = check_text(text)?;
        match text.split_once(':') {
            Some((user, pass)) if !user.is_empty() && !pass.is_empty() => {
                Self::from_bytes(STANDARD.encode(text))
            }
            _ => Err(ConfigError::InvalidSecret("user:pass credentials")),
        }
    }

    /// Key bytes given as hex.
    pub fn from_hex(text: &str) -> Result<Self, ConfigError> {
        let bytes =
            hex::decode(check_text(text)?).map_err(|_| ConfigError::InvalidSecret("hex"))?;
        Self::from_decoded(Zeroizing::new(bytes))
    }

    /// Key bytes given as standard base64 (padded or not).
    pub fn from_base64(text: &str) -> Result<Self, ConfigError> {
        Self::from_decoded(decode_base64(check_text(text)?, "base64")?)
    }

    fn from_decoded(bytes: Zeroizing<Vec<u8>>) -> Result<Self, ConfigError> {
        if bytes.is_empty() {
            return Err(ConfigError::EmptySecret);
        }
        Ok(Self {
            kind: SecretKind::Bytes(bytes),
        })
    }

    /// An Ed25519 public key, for verifying: `whpk_` + base64 (Standard Webhooks v1a) or 64
    /// hex characters (Discord).
    pub fn ed25519_public_key(text: &str) -> Result<Self, ConfigError> {
        let text = check_text(text)?;
        let bytes = match text.strip_prefix("whpk_") {
            Some(b64) => decode_base64(b64, "whpk_ base64")?,
            None => Zeroizing::new(
                hex::decode(text).map_err(|_| ConfigError::InvalidSecret("Ed25519 key hex"))?,
            ),
        };
        Ok(Self {
            kind: SecretKind::Ed25519Public(bytes_32(&bytes, "32-byte Ed25519 public key")?),
        })
    }

    /// An ECDSA P-256 public key, for verifying (SendGrid): the standard base64 of its DER
    /// SubjectPublicKeyInfo, as the provider shows it. The key itself is checked when the
    /// verifier is built (feature `ecdsa`).
    pub fn ecdsa_p256_public_key(text: &str) -> Result<Self, ConfigError> {
        let der = STANDARD
            .decode(check_text(text)?)
            .map_err(|_| ConfigError::InvalidSecret("base64 DER P-256 public key"))?;
        if der.is_empty() {
            return Err(ConfigError::EmptySecret);
        }
        Ok(Self {
            kind: SecretKind::EcdsaP256Public(der),
        })
    }

    /// An ECDSA P-256 private key, for signing: 64 hex characters of the scalar.
    pub fn ecdsa_p256_private_key(text: &str) -> Result<Self, ConfigError> {
        let bytes = Zeroizing::new(
            hex::decode(check_text(text)?)
                .map_err(|_| ConfigError::InvalidSecret("P-256 private key hex"))?,
        );
        Ok(Self {
            kind: SecretKind::EcdsaP256Private(Zeroizing::new(bytes_32(
                &bytes,
                "32-byte P-256 private key",
            )?)),
        })
    }

    /// An Ed25519 private key (its 32-byte seed), for signing: `whsk_` + base64 (Standard
    /// Webhooks v1a) or 64 hex characters.
    pub fn ed25519_private_key(text: &str) -> Result<Self, ConfigError> {
        let text = check_text(text)?;
        let bytes = match text.strip_prefix("whsk_") {
            Some(b64) => decode_base64(b64, "whsk_ base64")?,
            None => Zeroizing::new(
                hex::decode(text).map_err(|_| ConfigError::InvalidSecret("Ed25519 key hex"))?,
            ),
        };
        Ok(Self {
            kind: SecretKind::Ed25519Seed(Zeroizing::new(bytes_32(
                &bytes,
                "32-byte Ed25519 seed",
            )?)),
        })
    }
}

/// A name for a key that is safe to log: `[A-Za-z0-9_.:-]`, 1 to 64 characters.
///
/// It tells you which key of a rotation matched, never anything about the key itself.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct KeyId(Arc<str>);

impl KeyId {
    /// Checks the charset and length.
    ///
    /// ```
    /// assert!(hookguard::KeyId::new("2024-11").is_ok());
    /// assert!(hookguard::KeyId::new("has space").is_err());
    /// ```
    pub fn new(id: &str) -> Result<Self, ConfigError> {
        if crate::text::is_word(id, b"_.:-", 1..=64) {
            Ok(Self(id.into()))
        } else {
            Err(ConfigError::InvalidKeyId)
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Several secrets at once, each with a [`KeyId`]: for rotation, where old and new secrets
/// are valid together for a while. Every key is tried on every delivery.
///
/// ```
/// use hookguard::{Keyring, Secret};
/// let ring = Keyring::new()
///     .with("old", Secret::from_text("It's a Secret to Everybody").unwrap()).unwrap()
///     .with("new", Secret::from_text("a fresher secret").unwrap()).unwrap();
/// assert_eq!(ring.len(), 2);
/// ```
#[derive(Clone, Default)]
pub struct Keyring {
    pub(crate) keys: Vec<(KeyId, Secret)>,
}

/// The most keys one keyring holds: every key costs one MAC per delivery.
pub const MAX_KEYS: usize = 16;

impl Keyring {
    /// An empty keyring.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a key under `id`. Fails on an invalid or repeated id, or past [`MAX_KEYS`].
    pub fn with(mut self, id: &str, secret: Secret) -> Result<Self, ConfigError> {
        self.insert(KeyId::new(id)?, secret)?;
        Ok(self)
    }

    /// Adds a key under `id`.
    pub fn insert(&mut self, id: KeyId, secret: Secret) -> Result<(), ConfigError> {
        if self.keys.iter().any(|(k, _)| *k == id) {
            return Err(ConfigError::DuplicateKeyId);
        }
        if self.keys.len() >= MAX_KEYS {
            return Err(ConfigError::TooManySecrets(MAX_KEYS));
        }
        self.keys.push((id, secret));
        Ok(())
    }

    /// How many keys it holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether it holds no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key ids, in insertion order.
    pub fn ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.iter().map(|(id, _)| id)
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field(
                "ids",
                &self.keys.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            )
            .finish()
    }
}
