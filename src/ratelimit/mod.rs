//! Rate limiting before the body is read: keyed GCRA per client, plus a much tighter budget
//! charged only when verification fails, so a forger is throttled long before a provider.
//!
//! Limiter memory stays bounded: states that have fully refilled are dropped on every
//! maintenance tick (`retain_recent`), which runs by itself as requests arrive.

mod cidr;
mod client;

use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use dashmap::DashMap;
use governor::clock::Clock as _;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter as Gcra};

pub use cidr::{InvalidIpNet, IpNet};
pub use client::{ClientKey, ClientKeys, KeyFn};

use crate::clock::{Clock, SystemClock, millis};

/// A rate: a refill period per request and a burst.
///
/// ```
/// use hookguard::ratelimit::RateLimit;
/// let provider_traffic = RateLimit::per_second(50).unwrap().burst(500);
/// let failures = RateLimit::per_minute(6).unwrap().burst(10);
/// # let _ = (provider_traffic, failures);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    period: Duration,
    burst: NonZeroU32,
}

impl RateLimit {
    /// `n` requests per second, burst `n`. `None` for 0.
    pub fn per_second(n: u32) -> Option<Self> {
        Self::every(Duration::from_secs(1), n)
    }

    /// `n` requests per minute, burst `n`. `None` for 0.
    pub fn per_minute(n: u32) -> Option<Self> {
        Self::every(Duration::from_secs(60), n)
    }

    fn every(window: Duration, n: u32) -> Option<Self> {
        let burst = NonZeroU32::new(n)?;
        Some(Self {
            period: window / n,
            burst,
        })
    }

    /// Allows bursts of up to `burst` requests (at least 1).
    pub fn burst(mut self, burst: u32) -> Self {
        self.burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        self
    }

    /// How many requests a full bucket allows at once.
    pub fn quota(&self) -> u32 {
        self.burst.get()
    }

    /// How long an empty bucket takes to refill completely.
    pub fn window(&self) -> Duration {
        self.period * self.burst.get()
    }

    fn governor_quota(&self) -> Quota {
        Quota::with_period(self.period.max(Duration::from_nanos(1)))
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
            .allow_burst(self.burst)
    }
}

/// Governor's clock over ours, so tests drive the limiter with a manual clock.
#[derive(Clone, Debug)]
struct GovClock(Arc<dyn Clock>);

impl governor::clock::Clock for GovClock {
    type Instant = Duration;
    fn now(&self) -> Duration {
        self.0.elapsed()
    }
}

type Keyed = Gcra<ClientKey, DashMapStateStore<ClientKey>, GovClock, NoOpMiddleware<Duration>>;

/// Default per-client budget: generous, because a provider sends from few addresses and
/// GitHub never retries a 429.
pub fn default_limit() -> RateLimit {
    RateLimit {
        period: Duration::from_millis(20),
        burst: NonZeroU32::new(500).unwrap_or(NonZeroU32::MIN),
    }
}

/// Default budget of verification failures per client: 10 at once, then one per 6 s.
pub fn default_failure_limit() -> RateLimit {
    RateLimit {
        period: Duration::from_secs(6),
        burst: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
    }
}

/// The two budgets and their bookkeeping.
pub struct RateLimiter {
    all: Keyed,
    all_limit: RateLimit,
    failures: Keyed,
    failure_limit: RateLimit,
    /// Clients that spent their failure budget, until when (on `clock`).
    penalty: DashMap<ClientKey, Duration>,
    /// The latest end of any penalty (whole milliseconds on `clock`, rounded up): past it
    /// the box is empty and admission skips the lookup, whose shard lock every worker
    /// thread would otherwise write on every request.
    penalties_until_ms: AtomicU64,
    clock: Arc<dyn Clock>,
    next_tick_ms: AtomicU64,
    tick_every: Duration,
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("limit", &self.all_limit)
            .field("failure_limit", &self.failure_limit)
            .field("tracked_keys", &self.len())
            .finish()
    }
}

/// A client over its budget (or in the penalty box of verification failures): answered 429
/// with `Retry-After`, `RateLimit` and `RateLimit-Policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("rate limited")]
#[non_exhaustive]
pub struct Limited {
    /// How long the client should wait (whole seconds, at least 1).
    pub retry_after: Duration,
    /// Requests a full budget allows.
    pub quota: u32,
    /// Time for an empty budget to refill.
    pub window: Duration,
}

impl RateLimiter {
    /// A limiter with a per-client budget and a verification-failure budget.
    pub fn new(limit: RateLimit, failure_limit: RateLimit) -> Self {
        Self::with_clock(limit, failure_limit, SystemClock::default())
    }

    /// The same, on a given clock (tests use [`ManualClock`](crate::clock::ManualClock)).
    pub fn with_clock(limit: RateLimit, failure_limit: RateLimit, clock: impl Clock) -> Self {
        let clock: Arc<dyn Clock> = Arc::new(clock);
        let gov = GovClock(clock.clone());
        Self {
            all: Gcra::dashmap_with_clock(limit.governor_quota(), gov.clone()),
            all_limit: limit,
            failures: Gcra::dashmap_with_clock(failure_limit.governor_quota(), gov),
            failure_limit,
            penalty: DashMap::new(),
            penalties_until_ms: AtomicU64::new(0),
            clock,
            next_tick_ms: AtomicU64::new(0),
            tick_every: Duration::from_secs(60),
        }
    }

    /// How often maintenance runs (dropping refilled states). Defaults to 60 s.
    pub fn tick_every(mut self, every: Duration) -> Self {
        self.tick_every = every;
        self
    }

    /// Charges one request to `key`; 429 when it is over its budget or in the penalty box of
    /// verification failures.
    pub fn admit(&self, key: &ClientKey) -> Result<(), Limited> {
        let now = self.clock.elapsed();
        self.maybe_tick(now);
        if millis(now) < self.penalties_until_ms.load(Ordering::Acquire)
            && let Some(until) = self.penalty.get(key).map(|u| *u)
            && until > now
        {
            return Err(self.limited(until - now, self.failure_limit));
        }
        self.all.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.all.clock().now());
            self.limited(wait, self.all_limit)
        })
    }

    /// Charges a verification failure to `key`. A failure that finds the budget spent puts
    /// the key in the penalty box: it is refused at admission until the budget allows one
    /// more failure. With a burst of `b`, a forger gets `b + 1` answers, then 429s.
    pub fn record_failure(&self, key: &ClientKey) {
        if let Err(not_until) = self.failures.check_key(key) {
            let now = self.clock.elapsed();
            let wait = not_until.wait_time_from(now);
            let until = now + wait;
            self.penalty.insert(key.clone(), until);
            let ceil_ms = u64::try_from(until.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX);
            self.penalties_until_ms.fetch_max(ceil_ms, Ordering::AcqRel);
        }
    }

    fn limited(&self, wait: Duration, limit: RateLimit) -> Limited {
        Limited {
            retry_after: crate::time::retry_after_secs(wait),
            quota: limit.quota(),
            window: crate::time::retry_after_secs(limit.window()),
        }
    }

    fn maybe_tick(&self, now: Duration) {
        let now = millis(now);
        let next = self.next_tick_ms.load(Ordering::Relaxed);
        if now < next {
            return;
        }
        let every = u64::try_from(self.tick_every.as_millis()).unwrap_or(u64::MAX);
        // One caller wins the tick; the others go on.
        if self
            .next_tick_ms
            .compare_exchange(
                next,
                now.saturating_add(every),
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .is_ok()
        {
            self.retain_recent();
        }
    }

    /// Drops every state that is indistinguishable from a fresh one (fully refilled) and every
    /// expired penalty; shrinks the tables.
    pub fn retain_recent(&self) {
        self.all.retain_recent();
        self.all.shrink_to_fit();
        self.failures.retain_recent();
        self.failures.shrink_to_fit();
        let now = self.clock.elapsed();
        self.penalty.retain(|_, until| *until > now);
        self.penalty.shrink_to_fit();
    }

    /// Keys tracked now, over both budgets and the penalty box.
    pub fn len(&self) -> usize {
        self.all.len() + self.failures.len() + self.penalty.len()
    }

    /// Whether nothing is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn key(n: u32) -> ClientKey {
        ClientKey::Ip(std::net::IpAddr::V4(n.into()))
    }

    #[test]
    fn burst_then_refill_with_retry_after() {
        let clock = ManualClock::default();
        let rl = RateLimiter::with_clock(
            RateLimit::per_second(2).unwrap().burst(3),
            default_failure_limit(),
            clock.clone(),
        );
        for _ in 0..3 {
            assert!(rl.admit(&key(1)).is_ok());
        }
        let Err(Limited {
            retry_after, quota, ..
        }) = rl.admit(&key(1))
        else {
            panic!("over the burst")
        };
        assert_eq!(retry_after, Duration::from_secs(1));
        assert_eq!(quota, 3);
        assert!(
            rl.admit(&key(2)).is_ok(),
            "another client has its own bucket"
        );
        clock.advance(Duration::from_millis(500));
        assert!(rl.admit(&key(1)).is_ok());
    }

    #[test]
    fn failures_lead_to_the_penalty_box() {
        let clock = ManualClock::default();
        let rl = RateLimiter::with_clock(
            default_limit(),
            RateLimit::per_minute(1).unwrap().burst(2),
            clock.clone(),
        );
        for _ in 0..3 {
            assert!(rl.admit(&key(7)).is_ok());
            rl.record_failure(&key(7));
        }
        let r = rl.admit(&key(7));
        assert!(r.is_err(), "{r:?}");
        assert!(rl.admit(&key(8)).is_ok());
        clock.advance(Duration::from_secs(61));
        assert!(rl.admit(&key(7)).is_ok());
    }

    #[test]
    fn memory_is_reclaimed_on_the_tick() {
        let clock = ManualClock::default();
        let rl = RateLimiter::with_clock(default_limit(), default_failure_limit(), clock.clone());
        for n in 0..100_000 {
            rl.admit(&key(n)).unwrap();
        }
        assert!(rl.len() >= 100_000);
        clock.advance(default_limit().window() + Duration::from_secs(61));
        rl.admit(&key(u32::MAX)).unwrap(); // the first request after the interval ticks
        assert!(rl.len() < 1_000, "{}", rl.len());
    }
}
