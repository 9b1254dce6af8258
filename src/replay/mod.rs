//! Replay protection and exactly-once handling.
//!
//! A valid signature is not enough: a signed delivery can be replayed inside the timestamp
//! window, providers retry deliveries they think failed, and two replicas can receive the same
//! delivery at once. A [`ReplayStore`] records, per delivery id, whether a delivery is being
//! handled (a *claim* with an owner token and a lease) or was handled (*done*, kept for the
//! retention period). The [`ReplayGuard`] runs your handler under a claim, so that each
//! delivery reaches it once, and releases the claim when the handler fails, so the provider's
//! next retry runs it again, after a cool-down that grows with each failure (so that a
//! captured failing delivery cannot be replayed to run the handler at will). Every record
//! holds the [`BodyDigest`] of the delivery: the same id with another body is a conflict.
//!
//! Two stores ship: [`MemoryStore`] (one process) and `RedisStore` (feature `redis`, shared
//! by replicas).

mod claim;
mod digest;
mod guard;
mod key;
mod memory;
#[cfg(feature = "redis")]
mod redis;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

#[cfg(feature = "redis")]
pub use self::redis::{RedisStore, RedisStoreBuilder};
pub use claim::{Claim, ClaimError, ClaimToken};
pub use digest::BodyDigest;
pub use guard::{
    Admitted, ClaimHandle, DEFAULT_FAILURE_BACKOFF, DEFAULT_MAX_FAILURE_BACKOFF, Guarded,
    HandlerOutcome, ReplayGuard, ReplayGuardBuilder, TIMED_OUT_RETRY_AFTER,
};
pub use key::{KeyError, ReplayKey};
pub use memory::{BYTES_PER_ENTRY, MemoryStore, MemoryStoreBuilder};

/// The future a [`ReplayStore`] method returns: boxed, so stores are object-safe and one store
/// can be shared by many routes as `Arc<dyn ReplayStore>`.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// A store could not answer. Never carries a key's content beyond what is safe to log.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store is full of unexpired entries and refuses new claims rather than evict live
    /// ones.
    #[error("replay store is full")]
    Full,
    /// The store did not answer in time.
    #[error("replay store timed out")]
    Timeout,
    /// The store is unreachable or answered with an error: the cause is the `source()`.
    #[error("replay store unavailable: {0}")]
    Backend(#[source] Arc<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// A backend failure caused by `cause` (its text must be safe to log: never a key's
    /// content, a password or a server's free text that may quote arguments).
    ///
    /// ```
    /// use hookguard::replay::StoreError;
    /// let e = StoreError::backend("connection refused");
    /// assert_eq!(e.to_string(), "replay store unavailable: connection refused");
    /// assert!(std::error::Error::source(&e).is_some());
    /// ```
    pub fn backend(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Backend(Arc::from(cause.into()))
    }
}

/// Two errors are equal when they are the same kind; backend failures when their causes read
/// the same.
impl PartialEq for StoreError {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Full, Self::Full) | (Self::Timeout, Self::Timeout) => true,
            (Self::Backend(a), Self::Backend(b)) => a.to_string() == b.to_string(),
            _ => false,
        }
    }
}

impl Eq for StoreError {}

/// Where claims live. Implementations expose atomic primitives only; the policy (when to
/// claim, complete or release) lives in [`ReplayGuard`].
///
/// Contract (each a single atomic step; every record carries the body digest it was claimed
/// with and a count of failed attempts):
/// - `claim` moves an absent (or expired) key to *pending* with a fresh token for `lease`
///   (failures 0). A recorded key with another digest is a *conflict*, whatever its state.
///   Otherwise a *pending* key is *in flight*, a *done* key is *done*, and a *failed* key is
///   *cooling down* until its cool-down ends, after which it is claimed again keeping its
///   failure count.
/// - `complete` moves *pending with this token* to *done*, kept for `retain`; with another
///   token (the lease ran out and someone else claimed) it changes nothing.
/// - `release` moves *pending with this token* to *failed*: failures + 1, no claim before
///   `cooldown` has passed, the record kept for `keep`; otherwise it changes nothing.
pub trait ReplayStore: Send + Sync + 'static {
    /// Tries to claim `key`, whose body has `digest`, for `lease`.
    fn claim<'a>(
        &'a self,
        key: &'a ReplayKey,
        digest: &'a BodyDigest,
        lease: Duration,
    ) -> StoreFuture<'a, Claim>;
    /// Marks a claimed key done and keeps it for `retain`. `Ok(false)`: the claim was no
    /// longer this token's (its lease ran out), nothing changed.
    fn complete<'a>(
        &'a self,
        key: &'a ReplayKey,
        token: &'a ClaimToken,
        retain: Duration,
    ) -> StoreFuture<'a, bool>;
    /// Gives up a failed claim: the next attempt may run once `cooldown` has passed; the
    /// failure is remembered for `keep`. `Ok(false)`: the claim was no longer this token's,
    /// nothing changed.
    fn release<'a>(
        &'a self,
        key: &'a ReplayKey,
        token: &'a ClaimToken,
        cooldown: Duration,
        keep: Duration,
    ) -> StoreFuture<'a, bool>;
}

impl<S: ReplayStore + ?Sized> ReplayStore for std::sync::Arc<S> {
    fn claim<'a>(
        &'a self,
        key: &'a ReplayKey,
        digest: &'a BodyDigest,
        lease: Duration,
    ) -> StoreFuture<'a, Claim> {
        (**self).claim(key, digest, lease)
    }
    fn complete<'a>(
        &'a self,
        key: &'a ReplayKey,
        token: &'a ClaimToken,
        retain: Duration,
    ) -> StoreFuture<'a, bool> {
        (**self).complete(key, token, retain)
    }
    fn release<'a>(
        &'a self,
        key: &'a ReplayKey,
        token: &'a ClaimToken,
        cooldown: Duration,
        keep: Duration,
    ) -> StoreFuture<'a, bool> {
        (**self).release(key, token, cooldown, keep)
    }
}
