//! [`Receipt`]: a verified delivery on its way into the inbox, and what its commit answers.

use std::fmt;

use bytes::Bytes;
use http::{HeaderName, HeaderValue};

use super::record::InboxId;
use crate::replay::BodyDigest;
use crate::{DeliveryId, KeyId, Verified};

/// The most bytes a route, tenant or provider name may have.
pub const MAX_NAME_LEN: usize = 64;
/// The most bytes of a client key that are kept.
const MAX_CLIENT_KEY: usize = 128;

/// `[A-Za-z0-9_.:-]{0,64}`: the names of routes, tenants and providers.
pub(crate) fn valid_name(name: &str) -> bool {
    name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

/// A route, tenant or provider name outside `[A-Za-z0-9_.:-]{0,64}` (a route name must
/// also not be empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid {0} name")]
pub struct InvalidName(pub(crate) &'static str);

/// A verified delivery to commit: the exact body, the headers needed to verify it again, and
/// its verified metadata.
///
/// Built from a [`Verified`] value, so only deliveries whose signature verified can be
/// committed: forged traffic never writes to the inbox.
///
/// ```
/// # use hookguard::{Delivery, Provider, Signer, Verifier};
/// use bytes::Bytes;
/// use hookguard::inbox::Receipt;
/// # let signer = Signer::new(Provider::StandardWebhooks, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
/// # let verifier = Verifier::builder(Provider::StandardWebhooks).secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").build().unwrap();
/// let body = Bytes::from_static(br#"{"type":"invoice.paid"}"#);
/// # let headers = signer.sign(&Delivery::new(body.clone()).id("msg_1")).unwrap();
/// let verified = verifier.verify(&http::Method::POST, &"/hook".parse().unwrap(), &headers, &body)?;
/// let receipt = Receipt::new("billing", "", &verified, body)?
///     .headers(headers.iter().map(|(n, v)| (n.clone(), v.clone())))
///     .client_key("203.0.113.9");
/// assert_eq!(receipt.delivery_id().as_str(), "msg_1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Receipt {
    pub(crate) route: String,
    pub(crate) tenant: String,
    pub(crate) provider: String,
    pub(crate) delivery_id: DeliveryId,
    pub(crate) key_id: Option<KeyId>,
    pub(crate) signed_at: Option<i64>,
    pub(crate) client_key: Option<String>,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Bytes,
    pub(crate) digest: BodyDigest,
}

impl Receipt {
    /// A receipt of `body`, verified as `verified`, for `route` and `tenant` (`""` for a
    /// single-tenant app). Names are `[A-Za-z0-9_.:-]`, at most 64 bytes; the route is not
    /// empty.
    pub fn new(
        route: &str,
        tenant: &str,
        verified: &Verified,
        body: Bytes,
    ) -> Result<Self, InvalidName> {
        let digest = BodyDigest::of(&body);
        Self::with_digest(route, tenant, verified, body, digest)
    }

    /// [`new`](Self::new) with the body's digest already computed (the pipeline's, which every
    /// verified delivery has): a SHA-256 over the body once per request, not twice.
    pub(crate) fn with_digest(
        route: &str,
        tenant: &str,
        verified: &Verified,
        body: Bytes,
        digest: BodyDigest,
    ) -> Result<Self, InvalidName> {
        if route.is_empty() || !valid_name(route) {
            return Err(InvalidName("route"));
        }
        if !valid_name(tenant) {
            return Err(InvalidName("tenant"));
        }
        if verified.provider().is_empty() || !valid_name(verified.provider()) {
            return Err(InvalidName("provider"));
        }
        Ok(Self {
            route: route.to_owned(),
            tenant: tenant.to_owned(),
            provider: verified.provider().to_owned(),
            delivery_id: verified.delivery_id().clone(),
            key_id: Some(verified.key_id().clone()),
            signed_at: verified.timestamp(),
            client_key: None,
            headers: Vec::new(),
            digest,
            body,
        })
    }

    /// Adds headers to keep (those the scheme needs to verify the delivery again), in order.
    pub fn headers(mut self, headers: impl IntoIterator<Item = (HeaderName, HeaderValue)>) -> Self {
        self.headers.extend(headers);
        self
    }

    /// Adds one header to keep.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Records the client key (peer address) it came from; at most 128 bytes are kept.
    pub fn client_key(mut self, key: &str) -> Self {
        let mut end = key.len().min(MAX_CLIENT_KEY);
        while !key.is_char_boundary(end) {
            end -= 1;
        }
        self.client_key = Some(key[..end].to_owned());
        self
    }

    /// The route.
    pub fn route(&self) -> &str {
        &self.route
    }

    /// The provider's delivery id.
    pub fn delivery_id(&self) -> &DeliveryId {
        &self.delivery_id
    }

    /// SHA-256 of the body.
    pub fn digest(&self) -> &BodyDigest {
        &self.digest
    }

    /// The body's length in bytes.
    pub fn body_len(&self) -> usize {
        self.body.len()
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The headers it keeps, in order.
    pub fn kept_headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.headers
    }
}

impl fmt::Debug for Receipt {
    /// Metadata and sizes only: never the body or header values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receipt")
            .field("route", &self.route)
            .field("tenant", &self.tenant)
            .field("provider", &self.provider)
            .field("delivery_id", &self.delivery_id)
            .field("headers", &self.headers.len())
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// What committing a receipt answered. Both mean "acknowledge with 2xx": the delivery is on
/// disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Received {
    /// A new delivery, committed (fsync'd) as pending, or held while its route is paused.
    Committed(InboxId),
    /// The same delivery (same tenant, provider, id and body digest) is already in the
    /// inbox; nothing new was written.
    Duplicate(InboxId),
}

impl Received {
    /// The delivery's inbox id.
    pub fn id(self) -> InboxId {
        match self {
            Self::Committed(id) | Self::Duplicate(id) => id,
        }
    }
}

/// What a store answered for one receipt of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InsertOutcome {
    /// A new record.
    New(InboxId),
    /// Same key, same digest: the existing record.
    Duplicate(InboxId),
    /// Same key, another digest: the existing record; nothing written.
    Conflict(InboxId),
    /// The store is at its byte capacity; nothing written.
    Full,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(valid_name("orders") && valid_name("") && valid_name("a.b:c-d_e"));
        assert!(!valid_name("a/b") && !valid_name("a b") && !valid_name(&"x".repeat(65)));
    }
}
