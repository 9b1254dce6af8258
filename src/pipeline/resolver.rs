//! Per-tenant secrets: choose the verifier from the request.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::verify::Verifier;

/// A tenant: its name (namespacing its delivery ids) and the verifier holding its keys.
#[derive(Clone, Debug)]
pub struct Tenant {
    /// `[A-Za-z0-9_.:-]{0,64}`; it namespaces replay keys, so tenants never share ids.
    pub name: String,
    /// The tenant's verifier (its provider scheme and keys).
    pub verifier: Verifier,
}

/// The resolver could not answer (database down, …). Answered 503 so the provider retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("secret resolver failed: {0}")]
pub struct ResolveError(pub String);

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
