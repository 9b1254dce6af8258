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

mod digest;
mod guard;
mod key;
mod memory;
#[cfg(feature = "redis")]
mod redis;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

#[cfg(feature = "redis")]
pub use self::redis::{RedisStore, RedisStoreBuilder};
pub use digest::BodyDigest;
pub use guard::{
    Admitted, ClaimHandle, DEFAULT_FAILURE_BACKOFF, DEFAULT_MAX_FAILURE_BACKOFF, Guarded,
    HandlerOutcome, ReplayGuard, ReplayGuardBuilder,
};
pub use key::{KeyError, ReplayKey};
pub use memory::{BYTES_PER_ENTRY, MemoryStore, MemoryStoreBuilder};

/// The future a [`ReplayStore`] method returns: boxed, so stores are object-safe and one store
/// can be shared by many routes as `Arc<dyn ReplayStore>`.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The owner of a claim. Only the holder of the token can complete or release it, so a claim
/// whose reply was lost, or whose lease ran out and was taken by a retry, cannot be completed
/// or released by a stale owner.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ClaimToken(pub(crate) u128);

impl ClaimToken {
    /// A fresh token, unique within the process and random across processes.
    pub fn generate() -> Self {
        use std::cell::Cell;
        use std::hash::BuildHasher;
        use std::sync::OnceLock;
        use std::sync::atomic::{AtomicU64, Ordering};
        /// Each thread takes this many numbers at once from the shared counter, so that
        /// worker threads do not all write its cache line on every claim.
        const BLOCK: u64 = 1 << 16;
        static SEED: OnceLock<u64> = OnceLock::new();
        static BLOCKS: AtomicU64 = AtomicU64::new(0);
        thread_local! {
            /// The next number and the end of this thread's block (next == end: none left).
            static NEXT: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
        }
        let seed = *SEED.get_or_init(|| {
            std::collections::hash_map::RandomState::new().hash_one(std::process::id())
        });
        let n = NEXT.with(|next| {
            let (mut n, mut end) = next.get();
            if n == end {
                n = BLOCKS.fetch_add(1, Ordering::Relaxed).wrapping_mul(BLOCK);
                end = n.wrapping_add(BLOCK);
            }
            next.set((n.wrapping_add(1), end));
            n
        });
        // Plus one: the low 64 bits are never 0, which `MemoryStore` uses for "done" (the
        // blocks would have to wrap 2^48 times first).
        Self((u128::from(seed) << 64) | u128::from(n.wrapping_add(1)))
    }

    /// The token as 32 hex digits (what `RedisStore` stores).
    pub fn to_hex(&self) -> String {
        format!("{:032x}", self.0)
    }
}

impl fmt::Debug for ClaimToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClaimToken({:032x})", self.0)
    }
}

/// The answer to a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// The caller now owns the delivery until the lease ends.
    Claimed {
        /// The claim's owner token, for `complete` and `release`.
        token: ClaimToken,
        /// Failed attempts released before this claim (0 for a first attempt): the guard
        /// sizes the next cool-down from it.
        failures: u32,
    },
    /// Someone else is handling it; their lease ends in `remaining`.
    InFlight {
        /// Time left on the other owner's lease.
        remaining: Duration,
    },
    /// It was handled already (with the same body).
    Done,
    /// An attempt failed moments ago; no new claim before `remaining` has passed.
    CoolingDown {
        /// Time left of the cool-down.
        remaining: Duration,
    },
    /// The id is recorded with a different body digest (whatever its state).
    Conflict,
}

/// A store could not answer. Never carries a key's content beyond what is safe to log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store is full of unexpired entries and refuses new claims rather than evict live
    /// ones.
    #[error("replay store is full")]
    Full,
    /// The store did not answer in time.
    #[error("replay store timed out")]
    Timeout,
    /// The store is unreachable or answered with an error.
    #[error("replay store unavailable: {0}")]
    Backend(String),
}

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

#[cfg(test)]
mod tests {
    use super::ClaimToken;
    use std::collections::HashSet;

    #[test]
    fn tokens_are_unique_across_threads_and_never_done() {
        // More tokens per thread than one block holds, so every thread takes several blocks.
        let per_thread = (1 << 16) + 1000;
        let handles: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(move || {
                    (0..per_thread)
                        .map(|_| ClaimToken::generate().0)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut seen = HashSet::new();
        for handle in handles {
            for token in handle.join().unwrap() {
                assert_ne!(token as u64, 0, "low half 0 means done in MemoryStore");
                assert!(seen.insert(token), "token {token:032x} issued twice");
            }
        }
        assert_eq!(seen.len(), 4 * per_thread);
    }
}
