//! [`BodyDigest`]: what tells a provider's retry from a different payload under a reused id.

use std::fmt;

use sha2::{Digest as _, Sha256};

/// SHA-256 of a delivery's exact body bytes, recorded with its claim and its done mark.
///
/// A provider's retry carries the same bytes, so the same digest: it is a duplicate (200)
/// once handled. The same delivery id with another digest is a conflict (409
/// `delivery_conflict`), never silently dropped as a duplicate.
///
/// ```
/// use hookguard::replay::BodyDigest;
/// let a = BodyDigest::of(b"{\"type\":\"ping\"}");
/// assert_eq!(a, BodyDigest::of(b"{\"type\":\"ping\"}"));
/// assert_ne!(a, BodyDigest::of(b"{\"type\":\"pong\"}"));
/// assert_eq!(a.to_hex().len(), 64);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BodyDigest([u8; 32]);

impl BodyDigest {
    /// The digest of `body`.
    pub fn of(body: &[u8]) -> Self {
        Self(Sha256::digest(body).into())
    }

    /// The 32 digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The digest as 64 lower-case hex digits (what `RedisStore` records).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The first 8 bytes as a number: what `MemoryStore` keeps per entry. Enough to tell a
    /// retry from another payload: a colliding body would also need the provider's signature.
    pub(crate) fn prefix(&self) -> u64 {
        let mut head = [0u8; 8];
        head.copy_from_slice(&self.0[..8]);
        u64::from_le_bytes(head)
    }
}

impl fmt::Debug for BodyDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A digest reveals nothing of the body, but a prefix is all a log needs.
        write!(f, "BodyDigest(sha256:{}…)", &self.to_hex()[..12])
    }
}
