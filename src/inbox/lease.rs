//! Leases: a worker's time-bounded right to run one delivery, named by a fencing token.

use std::fmt;

use super::record::{DeliverySummary, InboxId, Payload};
use super::state::DeadReason;
use super::time::Timestamp;

/// The fencing token of a lease. Each lease a store grants gets a larger token than any
/// before it, so a worker whose lease expired (and was granted again to someone else)
/// holds a stale token, and the store refuses its done mark or failure.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FenceToken(pub(crate) u64);

impl FenceToken {
    /// The token's number.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Debug for FenceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FenceToken({})", self.0)
    }
}

/// A delivery leased to a worker: what the handler needs, and the token to finish it with.
#[derive(Debug, Clone)]
pub struct Leased {
    pub(crate) summary: DeliverySummary,
    pub(crate) token: FenceToken,
    pub(crate) payload: Payload,
}

impl Leased {
    /// The delivery's id.
    pub fn id(&self) -> InboxId {
        self.summary.id
    }
    /// Its state after the lease (processing), attempts counted with this one.
    pub fn summary(&self) -> &DeliverySummary {
        &self.summary
    }
    /// The fencing token for `complete`, `fail` and `release`.
    pub fn token(&self) -> FenceToken {
        self.token
    }
    /// This attempt's number (every attempt counted, replays included).
    pub fn attempt(&self) -> u32 {
        self.summary.attempts
    }
    /// When the lease ends.
    pub fn lease_until(&self) -> Timestamp {
        self.summary
            .lease
            .map(|(_, until)| until)
            .unwrap_or_default()
    }
    /// Headers and body.
    pub fn payload(&self) -> &Payload {
        &self.payload
    }
}

/// What follows a failed attempt, as the worker's policy decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AfterFailure {
    /// Pending again, due at this time (held instead while its route is paused).
    RetryAt(Timestamp),
    /// Dead, for this reason.
    Dead(DeadReason),
}
