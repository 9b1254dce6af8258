//! Per-tenant secrets: choose the verifier from the request, and refuse unknown tenants
//! exactly as a bad signature is refused (the decoy).

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use http::request::Parts;

use super::{Keys, Pipeline, Refusal};
use crate::error::{ConfigError, Rejection};
use crate::scheme::Scheme;
use crate::verified::Verified;
use crate::verify::Verifier;

/// `Retry-After` when the resolver fails: a tenant database usually recovers in seconds.
const RESOLVER_RETRY_AFTER: Duration = Duration::from_secs(5);

/// A tenant: its name (namespacing its delivery ids) and the verifier holding its keys.
#[derive(Clone, Debug)]
pub struct Tenant {
    /// `[A-Za-z0-9_.:-]{0,64}`; it namespaces replay keys, so tenants never share ids.
    pub name: String,
    /// The tenant's verifier (its provider scheme and keys).
    pub verifier: Verifier,
}

/// The resolver could not answer (database down, …). Answered 503 so the provider retries;
/// the cause is its `source()` (logged, never sent).
#[derive(Debug, thiserror::Error)]
#[error("secret resolver failed: {0}")]
pub struct ResolveError(#[source] Box<dyn std::error::Error + Send + Sync>);

impl ResolveError {
    /// A failure caused by `cause` (an error, or a message).
    ///
    /// ```
    /// let e = hookguard::pipeline::ResolveError::new("tenant database down");
    /// assert_eq!(e.to_string(), "secret resolver failed: tenant database down");
    /// ```
    pub fn new(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self(cause.into())
    }
}

/// The future a [`SecretResolver`] returns.
pub type ResolveFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<Tenant>, ResolveError>> + Send + 'a>>;

/// Chooses the tenant (and so the keys) for a request, from its path, headers or host.
///
/// `Ok(None)` means "no such tenant": the request is then verified against a random key and
/// refused exactly like a bad signature, with the same status, body and timing, so tenant
/// names cannot be probed. `Err` means the lookup failed: 503, so the provider retries.
///
/// Closures `Fn(&http::request::Parts) -> Result<Option<Tenant>, ResolveError>` are resolvers.
pub trait SecretResolver: Send + Sync + 'static {
    /// Looks up the tenant for this request head.
    fn resolve<'a>(&'a self, parts: &'a http::request::Parts) -> ResolveFuture<'a>;
}

impl<F> SecretResolver for F
where
    F: Fn(&http::request::Parts) -> Result<Option<Tenant>, ResolveError> + Send + Sync + 'static,
{
    fn resolve<'a>(&'a self, parts: &'a http::request::Parts) -> ResolveFuture<'a> {
        let result = self(parts);
        Box::pin(async move { result })
    }
}

pub(crate) struct Resolver(pub(crate) Box<dyn SecretResolver>);

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretResolver")
    }
}

fn random_bytes() -> [u8; 32] {
    use std::hash::BuildHasher;
    let mut out = [0u8; 32];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        let word = std::collections::hash_map::RandomState::new().hash_one(i);
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    out
}

/// A verifier for `scheme` with a random key nobody holds: unknown tenants are checked
/// against it so their refusal is the same as a bad signature's, in code and in time.
pub(super) fn decoy(scheme: Scheme) -> Result<Verifier, ConfigError> {
    let secret = if scheme.is_public_key() {
        decoy_public_key()?
    } else {
        crate::Secret::from_bytes(random_bytes().to_vec())?
    };
    Verifier::builder(scheme)
        .key("decoy", secret)
        .public_origin("https://decoy.invalid")
        .build()
}

#[cfg(feature = "ed25519")]
fn decoy_public_key() -> Result<crate::Secret, ConfigError> {
    let key = ed25519_dalek::SigningKey::from_bytes(&random_bytes());
    crate::Secret::ed25519_public_key(&hex::encode(key.verifying_key().to_bytes()))
}

#[cfg(not(feature = "ed25519"))]
fn decoy_public_key() -> Result<crate::Secret, ConfigError> {
    Err(ConfigError::FeatureDisabled("ed25519"))
}

/// The tenant and verifier a request is checked with.
pub(super) struct Resolved<'a> {
    pub(super) tenant: Cow<'a, str>,
    pub(super) verifier: Cow<'a, Verifier>,
    /// `false`: an unknown tenant, checked against the decoy (never accepted).
    pub(super) known: bool,
}

impl Pipeline {
    /// The tenant and verifier for a request: the static one, the resolver's, or — for an
    /// unknown tenant — the decoy.
    #[inline]
    pub(super) async fn resolve(&self, parts: &Parts) -> Result<Resolved<'_>, Refusal> {
        // Borrowed where it can be: a clone per request would bump the verifier's shared
        // reference count, a cache line every worker thread writes.
        match &self.inner.keys {
            Keys::Static { tenant, verifier } => Ok(Resolved {
                tenant: Cow::Borrowed(tenant.as_str()),
                verifier: Cow::Borrowed(verifier),
                known: true,
            }),
            Keys::Resolver { resolver, decoy } => {
                let resolved = resolver.0.resolve(parts).await.map_err(|e| {
                    tracing::warn!(target: "hookguard", error = %e, "secret resolver failed: 503");
                    Refusal::Unavailable {
                        retry_after: RESOLVER_RETRY_AFTER,
                    }
                })?;
                Ok(match resolved {
                    Some(tenant) => Resolved {
                        tenant: Cow::Owned(tenant.name),
                        verifier: Cow::Owned(tenant.verifier),
                        known: true,
                    },
                    None => Resolved {
                        tenant: Cow::Borrowed(""),
                        verifier: Cow::Borrowed(decoy),
                        known: false,
                    },
                })
            }
        }
    }

    /// Picks the verifier and verifies. An unknown tenant is verified against the decoy —
    /// same work, same answer as a bad signature — and never succeeds.
    #[inline]
    pub(super) async fn verify(
        &self,
        parts: &Parts,
        body: &[u8],
    ) -> Result<(Resolved<'_>, Verified), Refusal> {
        let resolved = self.resolve(parts).await?;
        let verified = resolved.verifier.verify_parts(parts, body)?;
        if !resolved.known {
            return Err(Rejection::SignatureMismatch.into());
        }
        Ok((resolved, verified))
    }
}
