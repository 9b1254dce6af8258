//! [`ClaimToken`] and [`Claim`]: who owns a delivery, and what a claim attempt found.

use std::fmt;
use std::time::Duration;

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

/// Why the guard did not let a delivery's handler run (each a 409 or a 503 with
/// `Retry-After`; a duplicate is not an error but [`Guarded::Duplicate`](super::Guarded)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimError {
    /// The same delivery is being handled right now. 409 `delivery_in_flight`.
    #[error("delivery in flight")]
    InFlight {
        /// How long the caller should wait.
        retry_after: Duration,
    },
    /// The same delivery failed moments ago and may not run again before its cool-down ends
    /// (it grows with each failure): bounds how often a captured failing delivery can run the
    /// handler. 409 `delivery_cooling_down`.
    #[error("delivery cooling down after a failure")]
    CoolingDown {
        /// How long the caller should wait.
        retry_after: Duration,
    },
    /// A delivery with this id was received before with a different body: refused, never
    /// dropped as a duplicate. 409 `delivery_conflict`.
    #[error("delivery id reused with a different body")]
    Conflict,
    /// The store did not answer (or the guard cannot key the delivery). 503 `unavailable`.
    #[error("replay store unavailable")]
    Unavailable {
        /// How long the caller should wait.
        retry_after: Duration,
    },
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
