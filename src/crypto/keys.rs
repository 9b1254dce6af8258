//! Prepared keys and key matching: every configured key against every offered signature.

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::PreparedHmacSha256;
use crate::error::ConfigError;
use crate::scheme::{Algorithm, MessageInput, ParsedSignatures, Scheme};
use crate::secret::{KeyId, Secret, SecretKind};

/// A key in the form its algorithm verifies with, made once when the verifier is built.
pub(crate) enum PreparedKey {
    Hmac(Zeroizing<Vec<u8>>),
    /// HMAC-SHA256 with its key schedule done at build time.
    HmacSha256(PreparedHmacSha256),
    /// SHA-256 of the token, so tokens of any length compare in constant time.
    Token(Zeroizing<[u8; 32]>),
    #[cfg(feature = "ed25519")]
    Ed25519(ed25519_dalek::VerifyingKey),
    #[cfg(feature = "ecdsa")]
    EcdsaP256(p256::ecdsa::VerifyingKey),
}

/// The key `secret` in the form `alg` verifies with, or why it does not fit.
pub(crate) fn prepare(alg: Algorithm, secret: Secret) -> Result<PreparedKey, ConfigError> {
    match (alg, secret.kind) {
        (Algorithm::Token, SecretKind::Bytes(bytes)) => {
            check_token(&bytes)?;
            Ok(PreparedKey::Token(Zeroizing::new(super::sha256(&bytes))))
        }
        (Algorithm::Ed25519, SecretKind::Ed25519Public(bytes)) => ed25519_key(&bytes),
        (Algorithm::Ed25519, _) => Err(ConfigError::WrongSecretKind(
            "this scheme verifies with an Ed25519 public key",
        )),
        (Algorithm::EcdsaP256, SecretKind::EcdsaP256Public(der)) => ecdsa_key(&der),
        (Algorithm::EcdsaP256, _) => Err(ConfigError::WrongSecretKind(
            "this scheme verifies with an ECDSA P-256 public key",
        )),
        (Algorithm::HmacSha256, SecretKind::Bytes(bytes)) => PreparedHmacSha256::new(&bytes)
            .map(PreparedKey::HmacSha256)
            .ok_or(ConfigError::InvalidSecret("HMAC key")),
        (_, SecretKind::Bytes(bytes)) => Ok(PreparedKey::Hmac(bytes)),
        (_, _) => Err(ConfigError::WrongSecretKind(
            "this scheme needs a shared secret, not a public-key scheme's key",
        )),
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

/// Which key matched, accumulated over several calls of [`Matcher::offer`] (one per URL
/// variant) without an early exit.
pub(crate) struct Matcher<'k> {
    keys: &'k [(KeyId, PreparedKey)],
    scheme: &'k Scheme,
    found: subtle::Choice,
    which: u32,
}

impl<'k> Matcher<'k> {
    #[inline]
    pub(crate) fn new(keys: &'k [(KeyId, PreparedKey)], scheme: &'k Scheme) -> Self {
        Self {
            keys,
            scheme,
            found: subtle::Choice::from(0),
            which: 0,
        }
    }

    /// The index of the matching key, if any did.
    #[inline]
    pub(crate) fn matched(&self) -> Option<usize> {
        bool::from(self.found).then_some(self.which as usize)
    }

    /// Tries every key against every offered signature over the message `input`, with no
    /// early exit: the work and its timing do not depend on which key (if any) matches.
    #[inline]
    pub(crate) fn offer(&mut self, parsed: &ParsedSignatures<'_>, input: &MessageInput<'_>) {
        let scheme = self.scheme;
        let alg = scheme.algorithm;
        let expected_len = alg.signature_len();
        #[cfg(any(feature = "ed25519", feature = "ecdsa"))]
        let mut message = Vec::new();
        #[cfg(any(feature = "ed25519", feature = "ecdsa"))]
        if matches!(alg, Algorithm::Ed25519 | Algorithm::EcdsaP256) {
            crate::scheme::feed(&scheme.message, input, |b| message.extend_from_slice(b));
        }
        let (found, which) = (&mut self.found, &mut self.which);
        for (index, (_, key)) in self.keys.iter().enumerate() {
            let index = index as u32;
            match key {
                PreparedKey::Hmac(bytes) => {
                    let tag = super::mac(alg, bytes, &scheme.message, input);
                    for sig in parsed.decoded() {
                        let hit = super::ct_match(tag.as_bytes(), sig.bytes(), expected_len);
                        super::record(found, which, hit, index);
                    }
                }
                PreparedKey::HmacSha256(prepared) => {
                    let tag = super::mac_prepared(prepared, &scheme.message, input);
                    for sig in parsed.decoded() {
                        let hit = super::ct_match(tag.as_bytes(), sig.bytes(), expected_len);
                        super::record(found, which, hit, index);
                    }
                }
                PreparedKey::Token(digest) => {
                    for raw in parsed.raw() {
                        let offered = super::sha256(raw.as_bytes());
                        let hit = digest.ct_eq(&offered);
                        super::record(found, which, hit, index);
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
                        super::record(found, which, subtle::Choice::from(u8::from(ok)), index);
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
                        super::record(found, which, subtle::Choice::from(u8::from(ok)), index);
                    }
                }
            }
        }
    }
}
