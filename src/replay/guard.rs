//! [`ReplayGuard`]: runs a handler under a claim; completes on success, releases on failure.

use std::fmt;
use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use super::{BodyDigest, Claim, ClaimError, ClaimToken, ReplayKey, ReplayStore, StoreError};
use crate::danger::Dangerous;
use crate::error::ConfigError;

/// Whether a handler's result means "the work is done" (the claim is completed) or not (the
/// claim is released so the provider's retry runs the handler again).
pub trait HandlerOutcome {
    /// `true` when the delivery was processed and must not run again.
    fn succeeded(&self) -> bool;
}

impl<T, E> HandlerOutcome for Result<T, E> {
    fn succeeded(&self) -> bool {
        self.is_ok()
    }
}

impl<B> HandlerOutcome for http::Response<B> {
    fn succeeded(&self) -> bool {
        self.status().is_success()
    }
}

impl HandlerOutcome for http::StatusCode {
    fn succeeded(&self) -> bool {
        self.is_success()
    }
}

impl HandlerOutcome for bool {
    fn succeeded(&self) -> bool {
        *self
    }
}

/// What happened to a delivery under the guard.
#[derive(Debug)]
#[non_exhaustive]
pub enum Guarded<R> {
    /// The handler ran and returned this; the claim was completed if it
    /// [succeeded](HandlerOutcome::succeeded), released otherwise.
    Ran(R),
    /// The delivery was handled before; the handler did not run. Answer 2xx so the provider
    /// stops retrying.
    Duplicate,
    /// The handler panicked; the claim was released. Answer 5xx so the provider retries.
    Panicked,
    /// The handler did not finish within the handler timeout; the claim was released.
    /// Answer 5xx so the provider retries.
    TimedOut,
}

/// Default lease of a claim: longer than the default handler timeout, so a live handler never
/// loses its claim, and short enough that a crashed owner blocks retries only briefly.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);
/// Default retention of a done id: 3 days, at least the retry horizon of Stripe, Svix and
/// Standard Webhooks senders.
pub const DEFAULT_RETAIN: Duration = Duration::from_secs(3 * 24 * 3600);
/// Default handler timeout.
pub const DEFAULT_HANDLER_TIMEOUT: Duration = Duration::from_secs(30);
/// Default timeout of one store call.
pub const DEFAULT_STORE_TIMEOUT: Duration = Duration::from_secs(2);
/// The most `Retry-After` a 409 for a delivery in flight asks for.
pub const IN_FLIGHT_RETRY_AFTER: Duration = Duration::from_secs(5);
/// Default cool-down after a delivery's first failed attempt; it doubles with each failure.
pub const DEFAULT_FAILURE_BACKOFF: Duration = Duration::from_secs(1);
/// Default ceiling of the cool-down after failures.
pub const DEFAULT_MAX_FAILURE_BACKOFF: Duration = Duration::from_secs(60);
/// `Retry-After` sent after a handler timed out: the claim was released, so the retry can run
/// it at once; a few seconds let whatever made it slow recover.
pub const TIMED_OUT_RETRY_AFTER: Duration = Duration::from_secs(5);
/// `Retry-After` sent when the store is unavailable.
pub const UNAVAILABLE_RETRY_AFTER: Duration = Duration::from_secs(5);

/// Runs handlers under claims in a [`ReplayStore`], so each delivery reaches its handler once.
///
/// - claim → handler → `complete` (keep the id for `retain`) when the handler succeeded;
/// - handler failed, panicked or timed out → `release`, so the provider's retry runs it again
///   once a cool-down has passed: 1 s after the first failure, doubling with each failure up
///   to 60 s (see [`failure_backoff`](ReplayGuardBuilder::failure_backoff)). Copies inside
///   the cool-down get [`ClaimError::CoolingDown`] (409 + `Retry-After`), so a
///   captured failing delivery cannot be replayed to run the handler at will; providers retry
///   far slower than that;
/// - already done with the same body → [`Guarded::Duplicate`] without running the handler;
///   the same id with another body → [`ClaimError::Conflict`] (409, a warning);
/// - someone else holds the claim → [`ClaimError::InFlight`] (409 + `Retry-After`);
/// - the store fails or times out → [`ClaimError::Unavailable`] (503 + `Retry-After`): the
///   handler does not run without a claim (unless the dangerous fail-open option is set).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use hookguard::replay::{BodyDigest, Guarded, MemoryStore, ReplayGuard, ReplayKey};
/// # use hookguard::{Delivery, Provider, Signer, Verifier};
/// # let headers = Signer::new(Provider::Github, "k").unwrap().sign(&Delivery::new(&b"{}"[..])).unwrap();
/// # let verifier = Verifier::builder(Provider::Github).secret("k").build().unwrap();
/// # let verified = verifier.verify(&http::Method::POST, &"/".parse().unwrap(), &headers, b"{}").unwrap();
/// let guard = ReplayGuard::builder(MemoryStore::default()).build().unwrap();
/// let key = ReplayKey::new("", &verified).unwrap();
/// let digest = BodyDigest::of(b"{}");
/// let first = guard.run(&key, &digest, || async { Ok::<_, ()>("processed") }).await.unwrap();
/// assert!(matches!(first, Guarded::Ran(Ok("processed"))));
/// let again = guard.run(&key, &digest, || async { Ok::<_, ()>("processed") }).await.unwrap();
/// assert!(matches!(again, Guarded::Duplicate));
/// # }
/// ```
#[derive(Clone)]
pub struct ReplayGuard {
    store: Arc<dyn ReplayStore>,
    lease: Duration,
    retain: Duration,
    handler_timeout: Duration,
    store_timeout: Duration,
    /// Cool-down after the first failure, and its ceiling; `None`: no cool-down.
    failure_backoff: Option<(Duration, Duration)>,
    fail_open: bool,
}

impl fmt::Debug for ReplayGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplayGuard")
            .field("lease", &self.lease)
            .field("retain", &self.retain)
            .field("handler_timeout", &self.handler_timeout)
            .field("store_timeout", &self.store_timeout)
            .field("failure_backoff", &self.failure_backoff)
            .field("fail_open", &self.fail_open)
            .finish_non_exhaustive()
    }
}

/// Builds a [`ReplayGuard`].
pub struct ReplayGuardBuilder {
    guard: ReplayGuard,
}

impl fmt::Debug for ReplayGuardBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.guard.fmt(f)
    }
}

impl Dangerous<ReplayGuardBuilder> {
    /// No cool-down after failures: a failed delivery may be claimed again at once, so every
    /// copy of a captured failing delivery runs the handler again.
    pub fn disable_failure_backoff(self) -> ReplayGuardBuilder {
        let mut builder = self.0;
        builder.guard.failure_backoff = None;
        builder
    }

    /// When the store fails at claim time, run the handler anyway, without replay
    /// protection, logging a warning every time. Off by default: the default is 503, which
    /// makes the provider retry later.
    pub fn fail_open(self) -> ReplayGuardBuilder {
        let mut builder = self.0;
        builder.guard.fail_open = true;
        builder
    }
}

impl ReplayGuardBuilder {
    /// How long a claim lasts before another attempt may take it over. Defaults to 60 s.
    /// Must exceed the handler timeout plus twice the store timeout.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.guard.lease = lease;
        self
    }

    /// How long a done id is kept. Defaults to 3 days; choose at least your provider's retry
    /// horizon (and at least twice the timestamp tolerance).
    pub fn retain(mut self, retain: Duration) -> Self {
        self.guard.retain = retain;
        self
    }

    /// How long the handler may run before it counts as failed. Defaults to 30 s.
    pub fn handler_timeout(mut self, timeout: Duration) -> Self {
        self.guard.handler_timeout = timeout;
        self
    }

    /// How long one store call may take before the store counts as unavailable. Defaults to
    /// 2 s.
    pub fn store_timeout(mut self, timeout: Duration) -> Self {
        self.guard.store_timeout = timeout;
        self
    }

    /// The cool-down after a failed attempt: `first` after the first failure, doubling with
    /// each further failure up to `max`. Defaults to 1 s and 60 s. Inside it, copies of the
    /// delivery are answered 409 `delivery_cooling_down` with `Retry-After`, so a captured
    /// failing delivery runs the handler at most once per cool-down. Both must be at least
    /// 1 ms and `first <= max` (see `dangerous().disable_failure_backoff()`).
    pub fn failure_backoff(mut self, first: Duration, max: Duration) -> Self {
        self.guard.failure_backoff = Some((first, max));
        self
    }

    /// The options that weaken a guarantee (see [`crate::danger`]).
    pub fn dangerous(self) -> Dangerous<Self> {
        Dangerous(self)
    }

    /// Checks the configuration.
    pub fn build(self) -> Result<ReplayGuard, ConfigError> {
        let g = &self.guard;
        let zero = Duration::ZERO;
        // The lease must outlast the handler and the completion after it (one retry, each
        // call bounded by the store timeout), or a retry could take over a finished delivery.
        if g.lease <= g.handler_timeout + g.store_timeout * 2
            || g.retain < g.lease
            || g.handler_timeout == zero
            || g.store_timeout == zero
            || matches!(g.failure_backoff, Some((first, max)) if first < Duration::from_millis(1) || first > max)
        {
            return Err(ConfigError::InvalidReplayTiming);
        }
        Ok(self.guard)
    }
}

/// A claim held on a delivery: [`complete`](Self::complete) it when the work is done,
/// [`release`](Self::release) it when it failed. Dropping it unfinished (a panic unwinding, the
/// request cancelled because the client went away) releases it in the background, so the
/// provider's retry need not wait for the lease to end.
#[must_use = "complete or release the claim"]
pub struct ClaimHandle {
    guard: ReplayGuard,
    key: ReplayKey,
    token: Option<ClaimToken>,
    /// Failed attempts before this one.
    failures: u32,
}

impl fmt::Debug for ClaimHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClaimHandle")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl ClaimHandle {
    /// The claimed key.
    pub fn key(&self) -> &ReplayKey {
        &self.key
    }

    /// Marks the delivery done and keeps its id for the retention period.
    pub async fn complete(mut self) {
        if let Some(token) = self.token.take() {
            self.guard.complete(&self.key, &token).await;
        }
    }

    /// Gives the claim up so the provider's retry runs the handler again, once the
    /// cool-down for this many failures has passed.
    pub async fn release(mut self) {
        if let Some(token) = self.token.take() {
            self.guard.release(&self.key, &token, self.failures).await;
        }
    }
}

impl Drop for ClaimHandle {
    fn drop(&mut self) {
        let Some(token) = self.token.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return; // no runtime to release from: the lease will free it
        };
        let store = self.guard.store.clone();
        let key = self.key.clone();
        let cooldown = self.guard.cooldown(self.failures);
        let keep = self.guard.retain;
        runtime.spawn(async move {
            let _ = store.release(&key, &token, cooldown, keep).await;
        });
    }
}

/// The answer to [`ReplayGuard::claim`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Admitted {
    /// The caller owns the delivery now.
    Claimed(ClaimHandle),
    /// The delivery was handled before: answer 2xx without running the handler.
    Duplicate,
    /// The store failed and the guard is set to fail open: run without protection.
    Unprotected,
}

impl ReplayGuard {
    /// Starts a builder over a store.
    pub fn builder(store: impl ReplayStore) -> ReplayGuardBuilder {
        Self::builder_shared(Arc::new(store))
    }

    /// Starts a builder over a shared store.
    pub fn builder_shared(store: Arc<dyn ReplayStore>) -> ReplayGuardBuilder {
        ReplayGuardBuilder {
            guard: ReplayGuard {
                store,
                lease: DEFAULT_LEASE,
                retain: DEFAULT_RETAIN,
                handler_timeout: DEFAULT_HANDLER_TIMEOUT,
                store_timeout: DEFAULT_STORE_TIMEOUT,
                failure_backoff: Some((DEFAULT_FAILURE_BACKOFF, DEFAULT_MAX_FAILURE_BACKOFF)),
                fail_open: false,
            },
        }
    }

    /// The store behind the guard.
    pub fn store(&self) -> &Arc<dyn ReplayStore> {
        &self.store
    }

    async fn bounded<T>(
        &self,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        match crate::time::deadline::timeout(self.store_timeout, call).await {
            Ok(result) => result,
            Err(_) => Err(StoreError::Timeout),
        }
    }

    /// The cool-down after a failure, given the failures before it: `first · 2^failures`,
    /// at most `max`.
    fn cooldown(&self, failures: u32) -> Duration {
        let Some((first, max)) = self.failure_backoff else {
            return Duration::ZERO;
        };
        first
            .checked_mul(1u32 << failures.min(31))
            .map_or(max, |d| d.min(max))
    }

    /// Runs `handler` for the delivery `key`, whose body has `digest`, at most once (see the
    /// type docs).
    pub async fn run<F, Fut>(
        &self,
        key: &ReplayKey,
        digest: &BodyDigest,
        handler: F,
    ) -> Result<Guarded<Fut::Output>, ClaimError>
    where
        F: FnOnce() -> Fut,
        Fut: Future,
        Fut::Output: HandlerOutcome,
    {
        let handle = match self.claim(key, digest).await? {
            Admitted::Claimed(handle) => handle,
            Admitted::Duplicate => return Ok(Guarded::Duplicate),
            Admitted::Unprotected => {
                return Ok(match self.execute(handler).await {
                    Some(Ok(out)) => Guarded::Ran(out),
                    Some(Err(())) => Guarded::Panicked,
                    None => Guarded::TimedOut,
                });
            }
        };
        // Dropping `handle` (this future cancelled mid-handler) releases the claim.
        let result = self.execute(handler).await;
        match result {
            Some(Ok(out)) if out.succeeded() => {
                handle.complete().await;
                Ok(Guarded::Ran(out))
            }
            Some(Ok(out)) => {
                handle.release().await;
                Ok(Guarded::Ran(out))
            }
            Some(Err(())) => {
                tracing::error!(key = %key, "handler panicked: claim released for the retry");
                handle.release().await;
                Ok(Guarded::Panicked)
            }
            None => {
                tracing::warn!(key = %key, "handler timed out: claim released for the retry");
                handle.release().await;
                Ok(Guarded::TimedOut)
            }
        }
    }

    /// Claims `key` (body `digest`) without running anything: for adapters whose handler
    /// runs outside the guard (e.g. a standalone extractor). Duplicate →
    /// [`Admitted::Duplicate`]; in flight → [`ClaimError::InFlight`]; cooling down
    /// after a failure → [`ClaimError::CoolingDown`]; another body under the same id →
    /// [`ClaimError::Conflict`]; store failure → [`ClaimError::Unavailable`] (or
    /// [`Admitted::Unprotected`] when failing open).
    pub async fn claim(
        &self,
        key: &ReplayKey,
        digest: &BodyDigest,
    ) -> Result<Admitted, ClaimError> {
        match self
            .bounded(self.store.claim(key, digest, self.lease))
            .await
        {
            Ok(Claim::Claimed { token, failures }) => Ok(Admitted::Claimed(ClaimHandle {
                guard: self.clone(),
                key: key.clone(),
                token: Some(token),
                failures,
            })),
            Ok(Claim::CoolingDown { remaining }) => {
                tracing::debug!(key = %key, "delivery cooling down after a failure");
                Err(ClaimError::CoolingDown {
                    retry_after: crate::time::retry_after_secs(remaining),
                })
            }
            Ok(Claim::Conflict) => {
                tracing::warn!(key = %key, "delivery id reused with a different body: refused with 409");
                Err(ClaimError::Conflict)
            }
            Ok(Claim::Done) => {
                tracing::debug!(key = %key, "duplicate of a finished delivery");
                Ok(Admitted::Duplicate)
            }
            Ok(Claim::InFlight { remaining }) => {
                tracing::debug!(key = %key, "delivery in flight");
                // Ask back soon rather than at the lease's end: the first attempt usually
                // finishes long before its lease would run out.
                Err(ClaimError::InFlight {
                    retry_after: crate::time::retry_after_secs(
                        remaining.min(IN_FLIGHT_RETRY_AFTER),
                    ),
                })
            }
            Err(error) if self.fail_open => {
                tracing::warn!(key = %key, %error, "replay store failed: running the handler WITHOUT replay protection (dangerous().fail_open())");
                Ok(Admitted::Unprotected)
            }
            Err(error) => {
                tracing::warn!(key = %key, %error, "replay store failed at claim: refusing with 503");
                Err(ClaimError::Unavailable {
                    retry_after: UNAVAILABLE_RETRY_AFTER,
                })
            }
        }
    }

    /// Runs the handler with the timeout; `Some(Err(()))` if it panicked, `None` on timeout.
    async fn execute<F, Fut>(&self, handler: F) -> Option<Result<Fut::Output, ()>>
    where
        F: FnOnce() -> Fut,
        Fut: Future,
    {
        let Ok(future) = catch_unwind(AssertUnwindSafe(handler)) else {
            return Some(Err(()));
        };
        let mut future = std::pin::pin!(future);
        let caught =
            poll_fn(
                |cx| match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
                    Ok(Poll::Ready(out)) => Poll::Ready(Ok(out)),
                    Ok(Poll::Pending) => Poll::Pending,
                    Err(_) => Poll::Ready(Err(())),
                },
            );
        crate::time::deadline::timeout(self.handler_timeout, caught)
            .await
            .ok()
    }

    /// Marks done; one retry, since a lost completion lets a replay inside the lease's end
    /// run the handler again. The handler's success stands either way: the work is done.
    async fn complete(&self, key: &ReplayKey, token: &ClaimToken) {
        for attempt in 0..2 {
            match self
                .bounded(self.store.complete(key, token, self.retain))
                .await
            {
                Ok(true) => return,
                Ok(false) => {
                    tracing::warn!(key = %key, "lease ran out before the handler finished: another attempt may have run it");
                    return;
                }
                Err(error) if attempt == 0 => {
                    tracing::warn!(key = %key, %error, "completing the claim failed: retrying once");
                }
                Err(error) => {
                    tracing::error!(key = %key, %error, "completing the claim failed: the id is unmarked until the lease ends");
                }
            }
        }
    }

    async fn release(&self, key: &ReplayKey, token: &ClaimToken, failures: u32) {
        let cooldown = self.cooldown(failures);
        let released = self.store.release(key, token, cooldown, self.retain);
        if let Err(error) = self.bounded(released).await {
            tracing::warn!(key = %key, %error, "releasing the claim failed: the retry waits for the lease to end");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;
    use crate::DeliveryId;
    use crate::replay::{MemoryStore, StoreFuture};

    fn key(id: &str) -> ReplayKey {
        ReplayKey::from_trusted_parts("t", "p", &DeliveryId::new(id).unwrap()).unwrap()
    }

    fn timing(
        lease: u64,
        retain: u64,
        handler: u64,
        store: u64,
    ) -> Result<ReplayGuard, ConfigError> {
        ReplayGuard::builder(MemoryStore::default())
            .lease(Duration::from_secs(lease))
            .retain(Duration::from_secs(retain))
            .handler_timeout(Duration::from_secs(handler))
            .store_timeout(Duration::from_secs(store))
            .build()
    }

    #[test]
    fn outcomes_count_only_2xx_true_and_ok_as_success() {
        let response = |code: u16| http::Response::builder().status(code).body(()).unwrap();
        assert!(response(200).succeeded() && response(204).succeeded());
        assert!(!response(500).succeeded() && !response(409).succeeded());
        assert!(http::StatusCode::ACCEPTED.succeeded());
        assert!(!http::StatusCode::SERVICE_UNAVAILABLE.succeeded());
        assert!(true.succeeded() && !false.succeeded());
        assert!(Ok::<(), ()>(()).succeeded() && !Err::<(), ()>(()).succeeded());
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        assert_eq!(DEFAULT_RETAIN, Duration::from_secs(259_200), "3 days");
        let guard = ReplayGuard::builder(MemoryStore::default())
            .build()
            .unwrap();
        let shown = format!("{guard:?}");
        for field in [
            "lease: 60s",
            "retain: 259200s",
            "handler_timeout: 30s",
            "store_timeout: 2s",
            "fail_open: false",
        ] {
            assert!(shown.contains(field), "{shown}");
        }
        let builder = ReplayGuard::builder(MemoryStore::default())
            .dangerous()
            .fail_open();
        assert!(format!("{builder:?}").contains("fail_open: true"));
    }

    #[test]
    fn the_lease_must_outlast_the_handler_and_two_store_calls() {
        // handler 10 s + 2 × store 2 s = 14 s.
        assert_eq!(
            timing(14, 100, 10, 2).err(),
            Some(ConfigError::InvalidReplayTiming)
        );
        assert_eq!(
            timing(13, 100, 10, 2).err(),
            Some(ConfigError::InvalidReplayTiming)
        );
        assert!(timing(15, 100, 10, 2).is_ok());
        // Retention may equal the lease, not undercut it.
        assert!(timing(15, 15, 10, 2).is_ok());
        assert_eq!(
            timing(15, 14, 10, 2).err(),
            Some(ConfigError::InvalidReplayTiming)
        );
        assert_eq!(
            timing(15, 100, 0, 2).err(),
            Some(ConfigError::InvalidReplayTiming)
        );
        assert_eq!(
            timing(15, 100, 10, 0).err(),
            Some(ConfigError::InvalidReplayTiming)
        );
    }

    fn digest() -> BodyDigest {
        BodyDigest::of(b"{}")
    }

    #[tokio::test]
    async fn a_claim_dropped_unfinished_is_released_for_the_retry_after_the_cool_down() {
        let clock = crate::clock::ManualClock::default();
        let store = MemoryStore::builder().clock(clock.clone()).build();
        let guard = ReplayGuard::builder(store).build().unwrap();
        let k = key("dropped");
        let Admitted::Claimed(handle) = guard.claim(&k, &digest()).await.unwrap() else {
            panic!("first claim")
        };
        assert!(format!("{handle:?}").contains("t/p/dropped"));
        assert!(matches!(
            guard.claim(&k, &digest()).await,
            Err(ClaimError::InFlight { .. })
        ));
        drop(handle);
        // The release runs on a spawned task; let it.
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        assert_eq!(
            guard.claim(&k, &digest()).await.err(),
            Some(ClaimError::CoolingDown {
                retry_after: Duration::from_secs(1)
            })
        );
        clock.advance(DEFAULT_FAILURE_BACKOFF);
        assert!(matches!(
            guard.claim(&k, &digest()).await,
            Ok(Admitted::Claimed(_))
        ));
    }

    #[test]
    fn the_cool_down_doubles_per_failure_up_to_its_ceiling() {
        let guard = ReplayGuard::builder(MemoryStore::default())
            .build()
            .unwrap();
        let secs: Vec<u64> = (0..9).map(|n| guard.cooldown(n).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(guard.cooldown(u32::MAX), DEFAULT_MAX_FAILURE_BACKOFF);
        let custom = ReplayGuard::builder(MemoryStore::default())
            .failure_backoff(Duration::from_millis(200), Duration::from_secs(1))
            .build()
            .unwrap();
        let ms: Vec<u128> = (0..5).map(|n| custom.cooldown(n).as_millis()).collect();
        assert_eq!(ms, [200, 400, 800, 1000, 1000]);
        let off = ReplayGuard::builder(MemoryStore::default())
            .dangerous()
            .disable_failure_backoff()
            .build()
            .unwrap();
        assert_eq!(off.cooldown(3), Duration::ZERO);
        for (first, max) in [(0, 1000), (2000, 1000)] {
            let refused = ReplayGuard::builder(MemoryStore::default())
                .failure_backoff(Duration::from_millis(first), Duration::from_millis(max))
                .build();
            assert_eq!(refused.err(), Some(ConfigError::InvalidReplayTiming));
        }
    }

    /// Fails the first `failures` completions, then succeeds; counts the calls.
    struct FlakyComplete {
        inner: MemoryStore,
        failures: usize,
        calls: AtomicUsize,
    }

    impl ReplayStore for FlakyComplete {
        fn claim<'a>(
            &'a self,
            key: &'a ReplayKey,
            digest: &'a BodyDigest,
            lease: Duration,
        ) -> StoreFuture<'a, Claim> {
            self.inner.claim(key, digest, lease)
        }
        fn complete<'a>(
            &'a self,
            key: &'a ReplayKey,
            token: &'a ClaimToken,
            retain: Duration,
        ) -> StoreFuture<'a, bool> {
            if self.calls.fetch_add(1, Ordering::SeqCst) < self.failures {
                return Box::pin(async { Err(StoreError::Timeout) });
            }
            self.inner.complete(key, token, retain)
        }
        fn release<'a>(
            &'a self,
            key: &'a ReplayKey,
            token: &'a ClaimToken,
            cooldown: Duration,
            keep: Duration,
        ) -> StoreFuture<'a, bool> {
            self.inner.release(key, token, cooldown, keep)
        }
    }

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Runs one delivery through a guard whose store fails the first `failures` completions;
    /// returns the completion calls, whether the id ended up done, and the log.
    fn complete_with(failures: usize) -> (usize, bool, String) {
        let log = Captured::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let store = Arc::new(FlakyComplete {
            inner: MemoryStore::default(),
            failures,
            calls: AtomicUsize::new(0),
        });
        let guard = ReplayGuard::builder_shared(store.clone()).build().unwrap();
        let k = key("flaky");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let done = tracing::subscriber::with_default(subscriber, || {
            rt.block_on(async {
                let ran = guard.run(&k, &digest(), || async { true }).await.unwrap();
                assert!(matches!(ran, Guarded::Ran(true)));
                matches!(guard.claim(&k, &digest()).await, Ok(Admitted::Duplicate))
            })
        });
        let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
        (store.calls.load(Ordering::SeqCst), done, text)
    }

    #[test]
    fn a_failed_completion_is_retried_once_and_each_attempt_is_logged_for_what_it_is() {
        let (calls, done, log) = complete_with(0);
        assert_eq!((calls, done), (1, true));
        assert!(!log.contains("completing the claim failed"), "{log}");

        let (calls, done, log) = complete_with(1);
        assert_eq!((calls, done), (2, true));
        assert!(
            log.contains("WARN") && log.contains("retrying once"),
            "{log}"
        );
        assert!(!log.contains("unmarked"), "{log}");

        let (calls, done, log) = complete_with(2);
        assert_eq!((calls, done), (2, false));
        assert_eq!(log.matches("retrying once").count(), 1, "{log}");
        assert!(
            log.contains("ERROR") && log.contains("unmarked until the lease ends"),
            "{log}"
        );
    }
}
