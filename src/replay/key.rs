//! [`ReplayKey`]: a namespaced, bounded, charset-checked store key.

use std::fmt;

use crate::verified::Verified;

/// The most bytes a tenant name may have.
const MAX_TENANT: usize = 64;

/// The key a delivery is claimed under: `tenant/provider/delivery-id`.
///
/// Built from a [`Verified`] value, so only deliveries whose signature verified can ever
/// reach the store: forged traffic cannot fill it or block a future legitimate id.
///
/// ```
/// # use hookguard::{Delivery, Provider, Signer, Verifier};
/// # use hookguard::replay::ReplayKey;
/// # let headers = Signer::new(Provider::Github, "k").unwrap().sign(&Delivery::new(&b"{}"[..])).unwrap();
/// # let verifier = Verifier::builder(Provider::Github).secret("k").build().unwrap();
/// let verified = verifier.verify(&http::Method::POST, &"/".parse().unwrap(), &headers, b"{}").unwrap();
/// let key = ReplayKey::new("acme", &verified).unwrap();
/// assert!(key.as_str().starts_with("acme/github/sha256:"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ReplayKey(String);

fn valid_part(part: &str) -> bool {
    crate::text::is_word(part, b"_.:-", 0..=MAX_TENANT)
}

/// A tenant (or provider) name outside `[A-Za-z0-9_.:-]{0,64}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid tenant name")]
pub struct KeyError;

impl ReplayKey {
    /// The key for a verified delivery of `tenant` (use `""` for a single-tenant app).
    pub fn new(tenant: &str, verified: &Verified) -> Result<Self, KeyError> {
        if !valid_part(tenant) || !valid_part(verified.provider()) {
            return Err(KeyError);
        }
        // Every part is charset-checked and has no '/', so the joined key is unambiguous.
        Ok(Self::join(
            tenant,
            verified.provider(),
            verified.delivery_id().as_str(),
        ))
    }

    /// A key from parts the caller vouches for (see `danger::trusted_replay_key`).
    pub(crate) fn from_trusted_parts(
        tenant: &str,
        provider: &str,
        id: &crate::DeliveryId,
    ) -> Result<Self, KeyError> {
        if !valid_part(tenant) || !valid_part(provider) || provider.is_empty() {
            return Err(KeyError);
        }
        Ok(Self::join(tenant, provider, id.as_str()))
    }

    /// `tenant/provider/id` in one allocation (no formatting machinery: this runs on every
    /// delivery).
    fn join(tenant: &str, provider: &str, id: &str) -> Self {
        let mut key = String::with_capacity(tenant.len() + provider.len() + id.len() + 2);
        for (i, part) in [tenant, provider, id].into_iter().enumerate() {
            if i > 0 {
                key.push('/');
            }
            key.push_str(part);
        }
        Self(key)
    }

    /// The key as text: safe to log (it holds no secret and no body).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ReplayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for ReplayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
