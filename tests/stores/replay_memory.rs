//! MemoryStore contract and the ReplayGuard's exactly-once semantics, with real concurrency.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hookguard::clock::ManualClock;
use hookguard::replay::{
    BodyDigest, Claim, ClaimError, ClaimToken, Guarded, MemoryStore, ReplayGuard, ReplayKey,
    ReplayStore, StoreError, StoreFuture,
};
use hookguard::{Delivery, DeliveryId, Provider, Signer, Verified, Verifier};
use http::{HeaderMap, Method, Uri};

use crate::replay_contract;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const TS: i64 = 1_700_000_000;

/// The body digest every claim here is made with (one body per key).
fn digest() -> BodyDigest {
    BodyDigest::of(b"{}")
}

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(TS as u64)
}

fn verifier() -> Verifier {
    Verifier::builder(Provider::StandardWebhooks)
        .secret(SECRET)
        .build()
        .unwrap()
}

fn signed(id: &str) -> (HeaderMap, Vec<u8>) {
    let body = format!(r#"{{"id":"{id}"}}"#).into_bytes();
    let h = Signer::new(Provider::StandardWebhooks, SECRET)
        .unwrap()
        .sign(&Delivery::new(body.clone()).id(id).timestamp(TS))
        .unwrap();
    (h, body)
}

fn verified(id: &str) -> Verified {
    let (h, b) = signed(id);
    verifier()
        .verify_at(&Method::POST, &Uri::from_static("/"), &h, &b, now())
        .unwrap()
}

fn key(id: &str) -> ReplayKey {
    ReplayKey::new("t", &verified(id)).unwrap()
}

fn raw_key(n: usize) -> ReplayKey {
    hookguard::danger::trusted_replay_key("t", "p", &DeliveryId::new(&format!("id{n}")).unwrap())
        .unwrap()
}

#[tokio::test]
async fn claim_complete_release_contract() {
    let clock = ManualClock::default();
    let store = MemoryStore::builder().clock(clock.clone()).build();
    let k = key("msg_contract");
    let lease = Duration::from_secs(10);
    let Claim::Claimed { token, .. } = store.claim(&k, &digest(), lease).await.unwrap() else {
        panic!("first claim")
    };
    let Claim::InFlight { remaining } = store.claim(&k, &digest(), lease).await.unwrap() else {
        panic!("in flight")
    };
    assert!(remaining <= lease && remaining > Duration::ZERO);
    let stranger = ClaimToken::generate();
    assert!(
        !store
            .complete(&k, &stranger, Duration::from_secs(100))
            .await
            .unwrap()
    );
    assert!(
        !store
            .release(&k, &stranger, Duration::ZERO, Duration::from_secs(100))
            .await
            .unwrap()
    );
    assert!(matches!(
        store.claim(&k, &digest(), lease).await.unwrap(),
        Claim::InFlight { .. }
    ));
    assert!(
        store
            .release(&k, &token, Duration::ZERO, Duration::from_secs(100))
            .await
            .unwrap()
    );
    let Claim::Claimed { token, .. } = store.claim(&k, &digest(), lease).await.unwrap() else {
        panic!("after release")
    };
    assert!(
        store
            .complete(&k, &token, Duration::from_secs(100))
            .await
            .unwrap()
    );
    assert_eq!(
        store.claim(&k, &digest(), lease).await.unwrap(),
        Claim::Done
    );
    // A done id cannot be released or completed again by its old owner.
    assert!(
        !store
            .release(&k, &token, Duration::ZERO, Duration::from_secs(100))
            .await
            .unwrap()
    );
    clock.advance(Duration::from_secs(99));
    assert_eq!(
        store.claim(&k, &digest(), lease).await.unwrap(),
        Claim::Done
    );
    clock.advance(Duration::from_secs(2));
    assert!(
        matches!(
            store.claim(&k, &digest(), lease).await.unwrap(),
            Claim::Claimed { .. }
        ),
        "retention over"
    );
}

#[tokio::test]
async fn an_expired_lease_can_be_taken_over_and_the_stale_owner_cannot_finish() {
    let clock = ManualClock::default();
    let store = MemoryStore::builder().clock(clock.clone()).build();
    let k = key("msg_lease");
    let Claim::Claimed { token: old, .. } = store
        .claim(&k, &digest(), Duration::from_secs(5))
        .await
        .unwrap()
    else {
        panic!()
    };
    clock.advance(Duration::from_secs(5));
    let Claim::Claimed { token: new, .. } = store
        .claim(&k, &digest(), Duration::from_secs(5))
        .await
        .unwrap()
    else {
        panic!("lease over")
    };
    assert!(
        !store
            .complete(&k, &old, Duration::from_secs(60))
            .await
            .unwrap()
    );
    assert!(
        !store
            .release(&k, &old, Duration::ZERO, Duration::from_secs(100))
            .await
            .unwrap()
    );
    assert!(
        store
            .complete(&k, &new, Duration::from_secs(60))
            .await
            .unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hundred_racing_duplicates_run_the_handler_once_200_times() {
    let guard = ReplayGuard::builder(MemoryStore::default())
        .build()
        .unwrap();
    let mut outcomes = [0usize; 3]; // ran, duplicate, in flight
    for trial in 0..200 {
        let k = Arc::new(key(&format!("msg_race_{trial}")));
        let runs = Arc::new(AtomicUsize::new(0));
        let barrier = Arc::new(tokio::sync::Barrier::new(100));
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let (guard, k, runs, barrier) =
                    (guard.clone(), k.clone(), runs.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    guard
                        .run(&k, &digest(), || async {
                            runs.fetch_add(1, Ordering::SeqCst);
                            tokio::task::yield_now().await;
                            Ok::<_, ()>(())
                        })
                        .await
                })
            })
            .collect();
        for t in tasks {
            match t.await.unwrap() {
                Ok(Guarded::Ran(_)) => outcomes[0] += 1,
                Ok(Guarded::Duplicate) => outcomes[1] += 1,
                Err(ClaimError::InFlight { retry_after }) => {
                    assert!(retry_after >= Duration::from_secs(1));
                    outcomes[2] += 1
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1, "trial {trial}");
    }
    assert_eq!(outcomes[0], 200);
    assert_eq!(outcomes[1] + outcomes[2], 200 * 99);
    println!(
        "ran {}, duplicate {}, in flight {}",
        outcomes[0], outcomes[1], outcomes[2]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_attempt_is_retried_and_runs_exactly_once_more_200_trials() {
    let clock = ManualClock::default();
    let store = MemoryStore::builder().clock(clock.clone()).build();
    let guard = ReplayGuard::builder(store)
        .handler_timeout(Duration::from_millis(50))
        .lease(Duration::from_secs(5))
        .build()
        .unwrap();
    let (mut lost, mut twice) = (0, 0);
    for trial in 0..200 {
        let k = key(&format!("msg_repair_{trial}"));
        let succeeded = Arc::new(AtomicUsize::new(0));
        let first = guard
            .run(&k, &digest(), || async {
                match trial % 3 {
                    0 => Err("handler error"),
                    1 => panic!("handler panic (expected by the test)"),
                    _ => {
                        tokio::time::sleep(Duration::from_secs(10)).await;
                        Ok(())
                    }
                }
            })
            .await
            .unwrap();
        let expected_first = match trial % 3 {
            0 => matches!(first, Guarded::Ran(Err(_))),
            1 => matches!(first, Guarded::Panicked),
            _ => matches!(first, Guarded::TimedOut),
        };
        assert!(expected_first, "trial {trial}: {first:?}");
        // The provider retries the same delivery (same id) after the cool-down of a first
        // failure — twice, to catch double runs.
        clock.advance(hookguard::replay::DEFAULT_FAILURE_BACKOFF);
        for _ in 0..2 {
            let s = succeeded.clone();
            let _ = guard
                .run(&k, &digest(), || async move {
                    s.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, ()>(())
                })
                .await
                .unwrap();
        }
        match succeeded.load(Ordering::SeqCst) {
            0 => lost += 1,
            1 => {}
            _ => twice += 1,
        }
    }
    assert_eq!((lost, twice), (0, 0), "lost {lost}, run twice {twice}");
}

#[tokio::test]
async fn a_full_store_refuses_new_claims_and_evicts_nothing_live() {
    let clock = ManualClock::default();
    let store = MemoryStore::builder()
        .max_entries(1024)
        .clock(clock.clone())
        .build();
    let lease = Duration::from_secs(60);
    let mut claimed = Vec::new();
    let mut full = 0;
    for n in 0..2048 {
        let k = raw_key(n);
        match store.claim(&k, &digest(), lease).await {
            Ok(Claim::Claimed { .. }) => claimed.push(k),
            Err(StoreError::Full) => full += 1,
            other => panic!("{other:?}"),
        }
    }
    assert!(
        claimed.len() <= 1024 && claimed.len() >= 900,
        "{}",
        claimed.len()
    );
    assert!(full >= 1024, "{full}");
    for k in &claimed {
        assert!(
            matches!(
                store.claim(k, &digest(), lease).await.unwrap(),
                Claim::InFlight { .. }
            ),
            "evicted {k}"
        );
    }
    // Through the guard, a full store is a 503 with Retry-After, and the handler does not run.
    let guard = ReplayGuard::builder(store.clone()).build().unwrap();
    let mut ran = false;
    let r = guard
        .run(&raw_key(99_999), &digest(), || async {
            ran = true;
            Ok::<_, ()>(())
        })
        .await;
    assert!(matches!(r, Err(ClaimError::Unavailable { .. })), "{r:?}");
    assert!(!ran);
    // Once the leases end, space is reclaimed without a background thread.
    clock.advance(lease);
    assert!(matches!(
        store
            .claim(&raw_key(99_999), &digest(), lease)
            .await
            .unwrap(),
        Claim::Claimed { .. }
    ));
}

#[tokio::test]
async fn forged_deliveries_never_reach_the_store() {
    let store = MemoryStore::default();
    let guard = ReplayGuard::builder(store.clone()).build().unwrap();
    let v = verifier();
    let runs = AtomicUsize::new(0);
    let forged_secret = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let forger = Signer::new(Provider::StandardWebhooks, forged_secret).unwrap();
    for n in 0..10_000 {
        let id = format!("msg_future_{}", n % 100);
        let body = format!(r#"{{"id":"{id}"}}"#).into_bytes();
        let h = forger
            .sign(&Delivery::new(body.clone()).id(&id).timestamp(TS))
            .unwrap();
        // The pipeline: only a Verified value yields a ReplayKey.
        if let Ok(verified) = v.verify_at(&Method::POST, &Uri::from_static("/"), &h, &body, now()) {
            let k = ReplayKey::new("t", &verified).unwrap();
            let _ = guard
                .run(&k, &digest(), || async {
                    runs.fetch_add(1, Ordering::SeqCst);
                    true
                })
                .await;
        }
    }
    assert_eq!(store.len(), 0, "forged traffic wrote to the store");
    for n in 0..100 {
        let k = key(&format!("msg_future_{n}"));
        let r = guard
            .run(&k, &digest(), || async {
                runs.fetch_add(1, Ordering::SeqCst);
                true
            })
            .await
            .unwrap();
        assert!(matches!(r, Guarded::Ran(true)));
    }
    assert_eq!(runs.load(Ordering::SeqCst), 100);
    assert_eq!(store.len(), 100);
}

/// A store that always fails, to pin the fail-closed default and the fail-open option.
struct BrokenStore;

impl ReplayStore for BrokenStore {
    fn claim<'a>(
        &'a self,
        _: &'a ReplayKey,
        _: &'a BodyDigest,
        _: Duration,
    ) -> StoreFuture<'a, Claim> {
        Box::pin(async { Err(StoreError::backend("connection refused")) })
    }
    fn complete<'a>(
        &'a self,
        _: &'a ReplayKey,
        _: &'a ClaimToken,
        _: Duration,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async { Err(StoreError::backend("connection refused")) })
    }
    fn release<'a>(
        &'a self,
        _: &'a ReplayKey,
        _: &'a ClaimToken,
        _: Duration,
        _: Duration,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async { Err(StoreError::backend("connection refused")) })
    }
}

/// A store that never answers.
struct HangingStore;

impl ReplayStore for HangingStore {
    fn claim<'a>(
        &'a self,
        _: &'a ReplayKey,
        _: &'a BodyDigest,
        _: Duration,
    ) -> StoreFuture<'a, Claim> {
        Box::pin(std::future::pending())
    }
    fn complete<'a>(
        &'a self,
        _: &'a ReplayKey,
        _: &'a ClaimToken,
        _: Duration,
    ) -> StoreFuture<'a, bool> {
        Box::pin(std::future::pending())
    }
    fn release<'a>(
        &'a self,
        _: &'a ReplayKey,
        _: &'a ClaimToken,
        _: Duration,
        _: Duration,
    ) -> StoreFuture<'a, bool> {
        Box::pin(std::future::pending())
    }
}

#[tokio::test]
async fn store_failure_is_503_with_retry_after_and_the_handler_does_not_run() {
    let k = key("msg_broken");
    for guard in [
        ReplayGuard::builder(BrokenStore).build().unwrap(),
        ReplayGuard::builder(HangingStore)
            .store_timeout(Duration::from_millis(50))
            .build()
            .unwrap(),
    ] {
        let mut ran = false;
        let r = guard
            .run(&k, &digest(), || async {
                ran = true;
                true
            })
            .await;
        match r {
            Err(e @ ClaimError::Unavailable { .. }) => {
                let refusal = hookguard::pipeline::Refusal::from(e);
                assert_eq!(refusal.status(), http::StatusCode::SERVICE_UNAVAILABLE);
                assert!(refusal.retry_after().unwrap() >= Duration::from_secs(1));
            }
            other => panic!("{other:?}"),
        }
        assert!(!ran);
    }
    let open = ReplayGuard::builder(BrokenStore)
        .dangerous()
        .fail_open()
        .build()
        .unwrap();
    let r = open.run(&k, &digest(), || async { true }).await.unwrap();
    assert!(matches!(r, Guarded::Ran(true)));
}

#[test]
fn inconsistent_timings_are_refused() {
    let b = || ReplayGuard::builder(MemoryStore::default());
    assert!(
        b().lease(Duration::from_secs(10))
            .handler_timeout(Duration::from_secs(10))
            .build()
            .is_err()
    );
    assert!(b().retain(Duration::from_secs(1)).build().is_err());
    assert!(b().store_timeout(Duration::ZERO).build().is_err());
    assert!(b().build().is_ok());
}

#[tokio::test]
async fn tenants_and_providers_do_not_share_ids() {
    let guard = ReplayGuard::builder(MemoryStore::default())
        .build()
        .unwrap();
    let v = verified("msg_shared");
    for tenant in ["a", "b"] {
        let k = ReplayKey::new(tenant, &v).unwrap();
        assert!(matches!(
            guard.run(&k, &digest(), || async { true }).await.unwrap(),
            Guarded::Ran(true)
        ));
    }
    let id = DeliveryId::new("msg_shared").unwrap();
    let other_provider = hookguard::danger::trusted_replay_key("a", "svix", &id).unwrap();
    assert!(matches!(
        guard
            .run(&other_provider, &digest(), || async { true })
            .await
            .unwrap(),
        Guarded::Ran(true)
    ));
    assert!(ReplayKey::new("bad/tenant", &v).is_err());
    assert!(ReplayKey::new(&"x".repeat(65), &v).is_err());
}

fn clocked_store() -> (Arc<dyn ReplayStore>, ManualClock) {
    let clock = ManualClock::default();
    let store = MemoryStore::builder().clock(clock.clone()).build();
    (Arc::new(store), clock)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_copies_run_the_handler_once_per_cool_down() {
    let (store, clock) = clocked_store();
    replay_contract::failing_copies_run_the_handler_once_per_cool_down(
        store,
        clock,
        key("msg_cooldown"),
    )
    .await;
}

#[tokio::test]
async fn another_body_under_the_same_id_is_a_conflict_in_every_state() {
    let (store, _) = clocked_store();
    replay_contract::another_body_under_the_same_id_is_a_conflict_in_every_state(
        store,
        key("msg_conflict_1"),
        key("msg_conflict_2"),
    )
    .await;
}

#[tokio::test]
async fn the_failure_count_survives_the_next_claim() {
    let (store, clock) = clocked_store();
    replay_contract::the_failure_count_survives_the_next_claim(store, clock, key("msg_failures"))
        .await;
}
