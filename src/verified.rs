//! [`Verified`] and [`DeliveryId`]: what a successful verification proved.

use std::fmt;
use std::sync::Arc;

use crate::secret::KeyId;

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
    #[inline]
    pub(crate) fn new(
        provider: Arc<str>,
        key_id: KeyId,
        timestamp: Option<i64>,
        delivery_id: DeliveryId,
    ) -> Self {
        Self {
            provider,
            key_id,
            timestamp,
            delivery_id,
        }
    }

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
pub struct DeliveryId(pub(crate) Arc<str>);

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

    /// The id of a delivery whose scheme signs none: `sha256:` + the hex digest of the body.
    #[inline]
    pub(crate) fn of_body(body: &[u8]) -> Self {
        Self(format!("sha256:{}", hex::encode(crate::crypto::sha256(body))).into())
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
pub(crate) fn valid_id(id: &str) -> bool {
    crate::text::is_word(id, b"_:-", 1..=MAX_ID_LEN)
}
