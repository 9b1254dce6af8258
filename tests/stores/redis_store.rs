//! `RedisStore` against a real `redis-server` (started per test on a free loopback port):
//! the store contract, racing replicas, failure repair, an ambiguous claim, a Redis crash
//! and restart, durability across a crash, and forged traffic that must never reach Redis.
#![cfg(feature = "redis")]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hookguard::clock::ManualClock;
use hookguard::replay::{
    BodyDigest, Claim, ClaimError, ClaimToken, Guarded, RedisStore, ReplayGuard, ReplayKey,
    ReplayStore,
};
use hookguard::{Delivery, Provider, Rejection, Signer, Verified, Verifier};
use http::{HeaderMap, HeaderValue, Method, Uri};
use tokio::sync::Barrier;

use crate::redis_support::proxy::{Proxy, ProxyMode};
use crate::redis_support::{Persistence, RedisServer, Reply};
use crate::{redis_support, replay_contract};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER_SECRET: &str = "whsec_dGhpcyBpcyBub3QgdGhlIHNlbmRlcidzIGtleQ==";
const TS: i64 = 1_700_000_000;
const TENANT: &str = "acme";
const PANIC_MARKER: &str = "deliberate handler panic (redis_store test)";

/// The body digest every claim here is made with (one body per key).
fn digest() -> BodyDigest {
    BodyDigest::of(b"{}")
}

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(TS as u64)
}

fn signer() -> Signer {
    Signer::new(Provider::StandardWebhooks, SECRET).unwrap()
}

fn verifier() -> Verifier {
    Verifier::builder(Provider::StandardWebhooks)
        .secret(SECRET)
        .build()
        .unwrap()
}

fn body(id: &str) -> Vec<u8> {
    format!(r#"{{"id":"{id}","type":"invoice.paid"}}"#).into_bytes()
}

fn sign_with(signer: &Signer, id: &str, body: &[u8]) -> HeaderMap {
    signer
        .sign(&Delivery::new(body.to_vec()).id(id).timestamp(TS))
        .unwrap()
}

/// A signed delivery `(headers, body)` as the provider would send it.
fn delivery(signer: &Signer, id: &str) -> (HeaderMap, Vec<u8>) {
    let body = body(id);
    (sign_with(signer, id, &body), body)
}

fn verify(verifier: &Verifier, headers: &HeaderMap, body: &[u8]) -> Result<Verified, Rejection> {
    verifier.verify_at(
        &Method::POST,
        &Uri::from_static("/hooks"),
        headers,
        body,
        now(),
    )
}

/// The claim key of a delivery that verified.
fn key(id: &str) -> ReplayKey {
    let (headers, body) = delivery(&signer(), id);
    ReplayKey::new(TENANT, &verify(&verifier(), &headers, &body).unwrap()).unwrap()
}

async fn store(url: &str, timeout: Duration) -> RedisStore {
    RedisStore::builder(url)
        .key_prefix("hg-test:")
        .response_timeout(timeout)
        .connection_timeout(timeout)
        .build()
        .await
        .unwrap()
}

fn guard(
    store: RedisStore,
    lease: Duration,
    handler_timeout: Duration,
    store_timeout: Duration,
) -> ReplayGuard {
    ReplayGuard::builder(store)
        .lease(lease)
        .retain(Duration::from_secs(600))
        .handler_timeout(handler_timeout)
        .store_timeout(store_timeout)
        .build()
        .unwrap()
}

fn get(server: &RedisServer, redis_key: &str) -> Option<String> {
    match server.cmd(&["GET", redis_key]).unwrap() {
        Reply::Bulk(value) => value.map(|v| String::from_utf8(v).unwrap()),
        other => panic!("GET answered {other:?}"),
    }
}

fn pttl(server: &RedisServer, redis_key: &str) -> i64 {
    match server.cmd(&["PTTL", redis_key]).unwrap() {
        Reply::Int(ms) => ms,
        other => panic!("PTTL answered {other:?}"),
    }
}

/// Silences the deliberate panics of the failure-repair test (and only those).
fn quiet_deliberate_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
            if message != Some(PANIC_MARKER) {
                default(info);
            }
        }));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn contract_claim_complete_release_and_lease_expiry() {
    let server = RedisServer::start();
    let store = store(&server.url(), Duration::from_secs(2)).await;
    assert!(store.is_connected());
    let lease = Duration::from_secs(10);
    let retain = Duration::from_secs(100);
    let stranger = ClaimToken::generate();

    // claim → Claimed; again → InFlight with the lease's remainder.
    let k = key("msg_1");
    let redis_key = store.redis_key(&k);
    assert_eq!(redis_key, "hg-test:acme/standard-webhooks/msg_1");
    let Claim::Claimed { token, .. } = store.claim(&k, &digest(), lease).await.unwrap() else {
        panic!("first claim")
    };
    let digest_hex = digest().to_hex();
    assert_eq!(
        get(&server, &redis_key),
        Some(format!("p|{}|0|{digest_hex}", token.to_hex()))
    );
    let Claim::InFlight { remaining } = store.claim(&k, &digest(), lease).await.unwrap() else {
        panic!("second claim must be in flight")
    };
    assert!(
        remaining <= lease && remaining > lease - Duration::from_secs(2),
        "{remaining:?}"
    );

    // A stranger can neither complete nor release it.
    assert!(!store.complete(&k, &stranger, retain).await.unwrap());
    assert!(matches!(
        store.claim(&k, &digest(), lease).await.unwrap(),
        Claim::InFlight { .. }
    ));
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

    // The owner completes: done, kept for `retain`.
    assert!(store.complete(&k, &token, retain).await.unwrap());
    assert_eq!(
        store.claim(&k, &digest(), lease).await.unwrap(),
        Claim::Done
    );
    assert_eq!(get(&server, &redis_key), Some(format!("d||0|{digest_hex}")));
    let ttl = pttl(&server, &redis_key);
    assert!(ttl > 90_000 && ttl <= 100_000, "{ttl}");
    // Done is final: neither the owner nor anyone else can release or complete it again.
    assert!(
        !store
            .release(&k, &token, Duration::ZERO, Duration::from_secs(100))
            .await
            .unwrap()
    );
    assert!(!store.complete(&k, &token, retain).await.unwrap());
    assert_eq!(
        store.claim(&k, &digest(), lease).await.unwrap(),
        Claim::Done
    );

    // Release by the owner (no cool-down): failed once, the next claim wins.
    let k2 = key("msg_2");
    let Claim::Claimed { token: token2, .. } = store.claim(&k2, &digest(), lease).await.unwrap()
    else {
        panic!("claim msg_2")
    };
    assert!(
        !store
            .release(&k2, &stranger, Duration::ZERO, Duration::from_secs(100))
            .await
            .unwrap()
    );
    assert!(
        store
            .release(&k2, &token2, Duration::ZERO, Duration::from_secs(100))
            .await
            .unwrap()
    );
    let failed = get(&server, &store.redis_key(&k2)).unwrap();
    assert!(
        failed.starts_with("f|") && failed.ends_with(&format!("|1|{digest_hex}")),
        "{failed}"
    );
    assert!(
        !store
            .release(&k2, &token2, Duration::ZERO, Duration::from_secs(100))
            .await
            .unwrap(),
        "released twice"
    );
    let Claim::Claimed { token: token3, .. } = store.claim(&k2, &digest(), lease).await.unwrap()
    else {
        panic!("claim after release")
    };
    assert_ne!(token2, token3);

    // Lease expiry: the claim frees itself; the stale owner can no longer finish it.
    let k3 = key("msg_3");
    let short = Duration::from_millis(300);
    let Claim::Claimed { token: stale, .. } = store.claim(&k3, &digest(), short).await.unwrap()
    else {
        panic!("claim msg_3")
    };
    tokio::time::sleep(Duration::from_millis(450)).await;
    let Claim::Claimed { token: fresh, .. } = store.claim(&k3, &digest(), lease).await.unwrap()
    else {
        panic!("claim after the lease ran out")
    };
    assert!(!store.complete(&k3, &stale, retain).await.unwrap());
    assert!(
        !store
            .release(&k3, &stale, Duration::ZERO, Duration::from_secs(100))
            .await
            .unwrap()
    );
    assert!(store.complete(&k3, &fresh, retain).await.unwrap());

    // Only the prefixed keys were written.
    assert_eq!(server.dbsize(), 3);
    match server.cmd(&["KEYS", "*"]).unwrap() {
        Reply::Array(Some(keys)) => assert!(keys.iter().all(
            |k| matches!(k, Reply::Bulk(Some(k)) if k.starts_with(b"hg-test:acme/standard-webhooks/msg_"))
        )),
        other => panic!("KEYS answered {other:?}"),
    }
}

/// `ROUNDS` rounds of `RACERS` identical verified deliveries released together by a barrier,
/// spread over `guards`: exactly one handler run per round.
async fn race(guards: Vec<ReplayGuard>, tag: &str) {
    const RACERS: usize = 100;
    const ROUNDS: usize = 200;
    let verifier = Arc::new(verifier());
    let signer = signer();
    let guards = Arc::new(guards);
    for round in 0..ROUNDS {
        let id = format!("msg_{tag}_{round}");
        let (headers, body) = delivery(&signer, &id);
        let (headers, body) = (Arc::new(headers), Arc::new(body));
        let barrier = Arc::new(Barrier::new(RACERS));
        let runs = Arc::new(AtomicUsize::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for racer in 0..RACERS {
            let (verifier, guards, headers, body, barrier, runs) = (
                verifier.clone(),
                guards.clone(),
                headers.clone(),
                body.clone(),
                barrier.clone(),
                runs.clone(),
            );
            tasks.spawn(async move {
                barrier.wait().await;
                let verified = verify(&verifier, &headers, &body).unwrap();
                let key = ReplayKey::new(TENANT, &verified).unwrap();
                let guard = &guards[racer % guards.len()];
                guard
                    .run(&key, &digest(), || async {
                        runs.fetch_add(1, Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        Ok::<_, ()>(())
                    })
                    .await
            });
        }
        let (mut ran, mut in_flight, mut duplicate) = (0, 0, 0);
        while let Some(outcome) = tasks.join_next().await {
            match outcome.unwrap() {
                Ok(Guarded::Ran(Ok(()))) => ran += 1,
                Ok(Guarded::Duplicate) => duplicate += 1,
                Err(ClaimError::InFlight { retry_after }) => {
                    assert!(retry_after >= Duration::from_secs(1));
                    in_flight += 1;
                }
                other => panic!("round {round}: unexpected {other:?}"),
            }
        }
        assert_eq!(
            runs.load(Ordering::SeqCst),
            1,
            "round {round}: handler runs"
        );
        assert_eq!(ran, 1, "round {round}");
        assert_eq!(ran + in_flight + duplicate, RACERS);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn race_100_identical_deliveries_one_store_runs_once_200_times() {
    let server = RedisServer::start();
    let store = store(&server.url(), Duration::from_secs(2)).await;
    let secs = Duration::from_secs;
    race(vec![guard(store, secs(30), secs(10), secs(2))], "one").await;
    assert_eq!(server.dbsize(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn race_100_identical_deliveries_two_replicas_run_once_200_times() {
    let server = RedisServer::start();
    let secs = Duration::from_secs;
    // Two stores = two connections, as two replicas of a service would have.
    let store_a = store(&server.url(), secs(2)).await;
    let store_b = store(&server.url(), secs(2)).await;
    let replica_a = guard(store_a.clone(), secs(30), secs(10), secs(2));
    let replica_b = guard(store_b.clone(), secs(30), secs(10), secs(2));
    race(vec![replica_a, replica_b], "two").await;
    assert_eq!(server.dbsize(), 200);
    match server.cmd(&["CLIENT", "LIST"]).unwrap() {
        Reply::Bulk(Some(list)) => {
            // The two stores' connections, plus the one asking.
            let list = String::from_utf8(list).unwrap();
            assert_eq!(list.lines().count(), 3, "{list}");
        }
        other => panic!("CLIENT LIST answered {other:?}"),
    }
    drop((store_a, store_b));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failed_first_attempts_are_repaired_by_the_retry_200_trials() {
    const TRIALS: usize = 200;
    quiet_deliberate_panics();
    let server = RedisServer::start();
    // Cool-downs run on this clock (leases stay on Redis' own): each trial moves it past the
    // cool-down of its first failure, as a provider's retry arrives after it.
    let clock = ManualClock::default();
    let store = RedisStore::builder(server.url())
        .key_prefix("hg-test:")
        .response_timeout(Duration::from_secs(2))
        .clock(clock.clone())
        .build()
        .await
        .unwrap();
    let guard = guard(
        store,
        Duration::from_secs(5),
        Duration::from_millis(200),
        Duration::from_secs(2),
    );
    // Effects: a handler attempt that got through its work.
    let effects: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let mut trials = tokio::task::JoinSet::new();
    for trial in 0..TRIALS {
        let (guard, effects, clock) = (guard.clone(), effects.clone(), clock.clone());
        trials.spawn(async move {
            let id = format!("msg_repair_{trial}");
            let key = key(&id);
            let effect = |effects: Arc<Mutex<HashMap<String, usize>>>, id: String| {
                *effects.lock().unwrap().entry(id).or_default() += 1;
            };
            // Attempt 1 fails, in rotation: an error, a panic, a timeout.
            let first = guard
                .run(&key, &digest(), || {
                    let (effects, id) = (effects.clone(), id.clone());
                    async move {
                        match trial % 3 {
                            0 => Err("downstream said no"),
                            1 => panic!("{}", PANIC_MARKER),
                            _ => {
                                tokio::time::sleep(Duration::from_secs(2)).await;
                                effect(effects, id);
                                Ok(())
                            }
                        }
                    }
                })
                .await;
            match (trial % 3, &first) {
                (0, Ok(Guarded::Ran(Err(_))))
                | (1, Ok(Guarded::Panicked))
                | (2, Ok(Guarded::TimedOut)) => {}
                _ => panic!("trial {trial}: first attempt gave {first:?}"),
            }
            // The provider's retry, same id, after the cool-down: runs and succeeds.
            clock.advance(hookguard::replay::DEFAULT_FAILURE_BACKOFF);
            let retry = guard
                .run(&key, &digest(), || {
                    let (effects, id) = (effects.clone(), id.clone());
                    async move {
                        effect(effects, id);
                        Ok::<_, &str>(())
                    }
                })
                .await;
            assert!(
                matches!(retry, Ok(Guarded::Ran(Ok(())))),
                "trial {trial}: retry gave {retry:?}"
            );
            // A third attempt is a duplicate.
            let third = guard
                .run(&key, &digest(), || async { Ok::<_, &str>(()) })
                .await;
            assert!(
                matches!(third, Ok(Guarded::Duplicate)),
                "trial {trial}: third gave {third:?}"
            );
        });
    }
    while let Some(trial) = trials.join_next().await {
        trial.unwrap();
    }
    let effects = effects.lock().unwrap();
    let lost = (0..TRIALS)
        .filter(|t| !effects.contains_key(&format!("msg_repair_{t}")))
        .count();
    let twice = effects.values().filter(|&&n| n > 1).count();
    assert_eq!((lost, twice), (0, 0), "lost, run twice");
    assert_eq!(effects.len(), TRIALS);
    assert_eq!(server.dbsize(), TRIALS as i64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ambiguous_claim_reply_lost_heals_when_the_lease_ends() {
    let server = RedisServer::start();
    let proxy = Proxy::start(server.port()).await;
    let timeout = Duration::from_millis(250);
    let lease = Duration::from_millis(1000);
    let handler_timeout = Duration::from_millis(200);
    // Replica A reaches Redis through the faulty proxy, replica B directly.
    let store_a = store(&proxy.url(), timeout).await;
    let guard_a = guard(store_a.clone(), lease, handler_timeout, timeout);
    let guard_b = guard(
        store(&server.url(), timeout).await,
        lease,
        handler_timeout,
        timeout,
    );
    let runs = Arc::new(AtomicUsize::new(0));
    let handler = || {
        let runs = runs.clone();
        async move {
            runs.fetch_add(1, Ordering::SeqCst);
            Ok::<_, ()>(())
        }
    };
    let k = key("msg_ambiguous");
    let redis_key = store_a.redis_key(&k);
    // Warm up: the scripts are loaded (otherwise the lost reply would be a NOSCRIPT, and
    // nothing applied).
    let warm_up = guard_a
        .run(&key("msg_warm_up"), &digest(), || async { Ok::<_, ()>(()) })
        .await;
    assert!(matches!(warm_up, Ok(Guarded::Ran(Ok(())))), "{warm_up:?}");

    // The claim reaches Redis and is applied; its reply is lost.
    proxy.set_mode(ProxyMode::DropReplies);
    let started = Instant::now();
    let first = guard_a.run(&k, &digest(), handler).await;
    assert!(
        matches!(first, Err(ClaimError::Unavailable { retry_after }) if retry_after >= Duration::from_secs(1)),
        "{first:?}"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 0, "no handler without a claim");
    let owner = get(&server, &redis_key).expect("the claim was applied");
    assert!(
        owner.starts_with("p|") && owner.len() == 2 + 32 + 3 + 64,
        "a claim (p|token|0|digest), not done: {owner}"
    );

    // A retry during the lease: in flight.
    let retry = guard_b.run(&k, &digest(), handler).await;
    assert!(
        matches!(retry, Err(ClaimError::InFlight { retry_after }) if retry_after >= Duration::from_secs(1)),
        "{retry:?}"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 0);

    // After the lease: the retry runs it, once.
    let remaining = lease.saturating_sub(started.elapsed());
    tokio::time::sleep(remaining + Duration::from_millis(50)).await;
    let mut outcome = guard_b.run(&k, &digest(), handler).await;
    for _ in 0..20 {
        if !matches!(outcome, Err(ClaimError::InFlight { .. })) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        outcome = guard_b.run(&k, &digest(), handler).await;
    }
    assert!(matches!(outcome, Ok(Guarded::Ran(Ok(())))), "{outcome:?}");
    assert_eq!(runs.load(Ordering::SeqCst), 1);

    // Replica A, once its path is healthy, reconnects and sees a duplicate.
    proxy.set_mode(ProxyMode::Forward);
    let deadline = Instant::now() + Duration::from_secs(5);
    let last = loop {
        let outcome = guard_a.run(&k, &digest(), handler).await;
        if !matches!(outcome, Err(ClaimError::Unavailable { .. })) || Instant::now() > deadline {
            break outcome;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(matches!(last, Ok(Guarded::Duplicate)), "{last:?}");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn blackholed_redis_fails_closed_within_the_timeout() {
    let server = RedisServer::start();
    let proxy = Proxy::start(server.port()).await;
    let timeout = Duration::from_millis(200);
    let store = store(&proxy.url(), timeout).await;
    let guard = guard(
        store.clone(),
        Duration::from_secs(2),
        Duration::from_secs(1),
        Duration::from_millis(400),
    );
    let runs = AtomicUsize::new(0);
    proxy.set_mode(ProxyMode::Blackhole);
    for n in 0..5 {
        let started = Instant::now();
        let outcome = guard
            .run(&key(&format!("msg_blackhole_{n}")), &digest(), || async {
                runs.fetch_add(1, Ordering::SeqCst);
                Ok::<_, ()>(())
            })
            .await;
        assert!(
            matches!(outcome, Err(ClaimError::Unavailable { .. })),
            "{outcome:?}"
        );
        assert!(
            started.elapsed() < Duration::from_millis(800),
            "{:?}",
            started.elapsed()
        );
    }
    assert_eq!(runs.load(Ordering::SeqCst), 0);
    assert_eq!(
        server.dbsize(),
        0,
        "blackholed requests never reached Redis"
    );
    proxy.set_mode(ProxyMode::Refuse);
    assert!(store.ping().await.is_err());
    proxy.set_mode(ProxyMode::Forward);
    let deadline = Instant::now() + Duration::from_secs(5);
    while store.ping().await.is_err() {
        assert!(Instant::now() < deadline, "no recovery after the blackhole");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stalled_connection_is_replaced_after_timeouts_in_a_row() {
    let server = RedisServer::start();
    let proxy = Proxy::start(server.port()).await;
    let timeout = Duration::from_millis(200);
    let store = store(&proxy.url(), timeout).await;
    let guard = guard(
        store.clone(),
        Duration::from_secs(2),
        Duration::from_secs(1),
        Duration::from_millis(400),
    );
    store.ping().await.unwrap();
    assert_eq!(proxy.accepted(), 1);
    // The peer vanishes without a reset: the open connection swallows everything and stays
    // open, while the address now leads to a live Redis (as after a failover).
    proxy.stall_open_connections();
    for _ in 0..3 {
        assert_eq!(
            store.ping().await,
            Err(hookguard::replay::StoreError::Timeout)
        );
    }
    let replaced = Instant::now();
    let runs = AtomicUsize::new(0);
    let k = key("msg_after_stall");
    let outcome = loop {
        let outcome = guard
            .run(&k, &digest(), || async {
                runs.fetch_add(1, Ordering::SeqCst);
                Ok::<_, ()>(())
            })
            .await;
        if !matches!(outcome, Err(ClaimError::Unavailable { .. }))
            || replaced.elapsed() > Duration::from_secs(5)
        {
            break outcome;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(matches!(outcome, Ok(Guarded::Ran(Ok(())))), "{outcome:?}");
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(proxy.accepted(), 2, "one new connection");
    eprintln!("stalled connection replaced in {:?}", replaced.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn build_succeeds_while_redis_is_down_and_connects_when_it_comes_up() {
    let port = redis_support::free_port();
    let timeout = Duration::from_millis(200);
    let started = Instant::now();
    let store = store(&format!("redis://127.0.0.1:{port}"), timeout).await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "build waited {:?}",
        started.elapsed()
    );
    assert!(!store.is_connected());
    let guard = guard(
        store.clone(),
        Duration::from_secs(2),
        Duration::from_secs(1),
        Duration::from_millis(400),
    );
    let runs = AtomicUsize::new(0);
    let handler = || async {
        runs.fetch_add(1, Ordering::SeqCst);
        Ok::<_, ()>(())
    };
    let k = key("msg_late_redis");
    let early = guard.run(&k, &digest(), handler).await;
    assert!(
        matches!(early, Err(ClaimError::Unavailable { .. })),
        "{early:?}"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 0);

    let server = tokio::task::block_in_place(|| RedisServer::start_on_port(port));
    let up = Instant::now();
    let outcome = loop {
        let outcome = guard.run(&k, &digest(), handler).await;
        if !matches!(outcome, Err(ClaimError::Unavailable { .. }))
            || up.elapsed() > Duration::from_secs(5)
        {
            break outcome;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        matches!(outcome, Ok(Guarded::Ran(Ok(())))),
        "{outcome:?} after {:?}",
        up.elapsed()
    );
    assert!(store.is_connected());
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(server.dbsize(), 1);
}

#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Ran,
    Duplicate,
    InFlight,
    Unavailable(Duration),
    Other(String),
}

fn outcome(result: Result<Guarded<Result<(), ()>>, ClaimError>) -> Outcome {
    match result {
        Ok(Guarded::Ran(Ok(()))) => Outcome::Ran,
        Ok(Guarded::Duplicate) => Outcome::Duplicate,
        Err(ClaimError::InFlight { .. }) => Outcome::InFlight,
        Err(ClaimError::Unavailable { retry_after }) => Outcome::Unavailable(retry_after),
        other => Outcome::Other(format!("{other:?}")),
    }
}

struct Attempt {
    id: String,
    started: Instant,
    ended: Instant,
    outcome: Outcome,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_crash_fails_closed_and_the_same_store_recovers_after_restart() {
    const SENDERS: usize = 4;
    const MAX_PER_SENDER: usize = 20_000;
    let mut server = RedisServer::start();
    let timeout = Duration::from_millis(300);
    let store = store(&server.url(), timeout).await;
    let guard = guard(
        store.clone(),
        Duration::from_secs(2),
        Duration::from_millis(900),
        Duration::from_millis(500),
    );
    let runs: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let attempts: Arc<Mutex<Vec<Attempt>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let handler = |runs: &Arc<Mutex<HashMap<String, usize>>>, id: &str| {
        let (runs, id) = (runs.clone(), id.to_owned());
        move || async move {
            *runs.lock().unwrap().entry(id).or_default() += 1;
            Ok::<_, ()>(())
        }
    };

    let mut senders = tokio::task::JoinSet::new();
    for sender in 0..SENDERS {
        let (guard, runs, attempts, stop) =
            (guard.clone(), runs.clone(), attempts.clone(), stop.clone());
        senders.spawn(async move {
            for n in 0..MAX_PER_SENDER {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let id = format!("msg_fault_{sender}_{n}");
                let key = key(&id);
                let started = Instant::now();
                let result = guard.run(&key, &digest(), handler(&runs, &id)).await;
                let ended = Instant::now();
                attempts.lock().unwrap().push(Attempt {
                    id,
                    started,
                    ended,
                    outcome: outcome(result),
                });
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
    }

    tokio::time::sleep(Duration::from_millis(300)).await;
    let killed = Instant::now();
    server.kill();
    let outage = Duration::from_millis(1500);
    tokio::time::sleep(outage).await;
    let restarting = Instant::now();
    tokio::task::block_in_place(|| server.restart());
    let restarted = Instant::now();
    // Keep sending until the first success after the restart, at most 5 s.
    let first_success = loop {
        let found = attempts
            .lock()
            .unwrap()
            .iter()
            .filter(|a| a.started >= restarted && a.outcome == Outcome::Ran)
            .map(|a| a.ended)
            .min();
        if let Some(at) = found {
            break at;
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(5),
            "no success within 5 s of the restart"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let recovery = first_success - restarted;
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::SeqCst);
    while let Some(sender) = senders.join_next().await {
        sender.unwrap();
    }

    let attempts = std::mem::take(&mut *attempts.lock().unwrap());
    let ran = attempts
        .iter()
        .filter(|a| a.outcome == Outcome::Ran)
        .count();
    let handler_runs: usize = runs.lock().unwrap().values().sum();
    assert_eq!(handler_runs, ran, "a handler ran without a claim");
    for a in &attempts {
        match &a.outcome {
            Outcome::Ran => {}
            Outcome::Unavailable(retry_after) => assert!(*retry_after >= Duration::from_secs(1)),
            other => panic!("{}: unexpected {other:?}", a.id),
        }
    }
    // Every attempt entirely inside the outage failed closed.
    let during: Vec<&Attempt> = attempts
        .iter()
        .filter(|a| a.started >= killed && a.ended <= restarting)
        .collect();
    assert!(
        during.len() >= SENDERS,
        "too few attempts during the outage: {}",
        during.len()
    );
    for a in &during {
        assert!(
            matches!(a.outcome, Outcome::Unavailable(_)),
            "{} during the outage: {:?}",
            a.id,
            a.outcome
        );
    }
    let before = attempts
        .iter()
        .filter(|a| a.ended < killed && a.outcome == Outcome::Ran)
        .count();
    assert!(before > 0, "nothing succeeded before the crash");

    // The provider retries every delivery that was refused: each runs exactly once.
    let refused: Vec<String> = attempts
        .iter()
        .filter(|a| matches!(a.outcome, Outcome::Unavailable(_)))
        .map(|a| a.id.clone())
        .collect();
    for id in &refused {
        assert_eq!(
            runs.lock().unwrap().get(id),
            None,
            "{id} ran although refused"
        );
        let key = key(id);
        let mut result = outcome(guard.run(&key, &digest(), handler(&runs, id)).await);
        // A claim applied by Redis whose reply came too late blocks its id for one lease.
        for _ in 0..50 {
            if result != Outcome::InFlight {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            result = outcome(guard.run(&key, &digest(), handler(&runs, id)).await);
        }
        assert_eq!(result, Outcome::Ran, "{id}");
        assert_eq!(
            outcome(guard.run(&key, &digest(), handler(&runs, id)).await),
            Outcome::Duplicate,
            "{id}"
        );
        assert_eq!(runs.lock().unwrap().get(id), Some(&1), "{id}");
    }
    eprintln!(
        "redis crash: {} attempts ({} during a {:?} outage, {} refused in all), recovered {:?} after the restart",
        attempts.len(),
        during.len(),
        outage,
        refused.len(),
        recovery
    );
}

/// What survives a crash (SIGKILL) depends on persistence, as the module docs say.
async fn done_marks_after_crash(persistence: Persistence) -> usize {
    let mut server = RedisServer::start_with(persistence);
    let store = store(&server.url(), Duration::from_secs(2)).await;
    let guard = guard(
        store,
        Duration::from_secs(10),
        Duration::from_secs(5),
        Duration::from_secs(2),
    );
    let keys: Vec<ReplayKey> = (0..50).map(|n| key(&format!("msg_durable_{n}"))).collect();
    for k in &keys {
        let first = guard.run(k, &digest(), || async { Ok::<_, ()>(()) }).await;
        assert!(matches!(first, Ok(Guarded::Ran(Ok(())))));
    }
    tokio::task::block_in_place(|| server.restart());
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut runs_again = 0;
    for k in &keys {
        let replay = loop {
            let replay = guard.run(k, &digest(), || async { Ok::<_, ()>(()) }).await;
            if !matches!(replay, Err(ClaimError::Unavailable { .. })) || Instant::now() > deadline {
                break replay;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        match replay {
            Ok(Guarded::Duplicate) => {}
            Ok(Guarded::Ran(Ok(()))) => runs_again += 1,
            other => panic!("replay after the crash: {other:?}"),
        }
    }
    runs_again
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn aof_always_keeps_done_marks_across_a_crash_no_persistence_does_not() {
    assert_eq!(done_marks_after_crash(Persistence::AofAlways).await, 0);
    assert_eq!(done_marks_after_crash(Persistence::None).await, 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forged_deliveries_never_reach_redis_and_cannot_block_future_ids() {
    const IDS: usize = 10_000;
    let server = RedisServer::start();
    let store = store(&server.url(), Duration::from_secs(2)).await;
    let guard = guard(
        store,
        Duration::from_secs(30),
        Duration::from_secs(10),
        Duration::from_secs(2),
    );
    let verifier = Arc::new(verifier());
    let signer = signer();
    let forger = Signer::new(Provider::StandardWebhooks, OTHER_SECRET).unwrap();
    let runs = Arc::new(AtomicUsize::new(0));

    // 10 000 forgeries carrying the ids of future legitimate deliveries, through the same
    // pipeline the legitimate ones take: verify, and only then claim and run.
    let mut rejected = 0;
    for n in 0..IDS {
        let id = format!("msg_{n}");
        let body = body(&id);
        let headers = match n % 4 {
            // Signed with a key the receiver does not have.
            0 => sign_with(&forger, &id, &body),
            // A genuine signature of another body.
            1 => sign_with(&signer, &id, b"{\"amount\":1}"),
            // The genuine signature of another id, with this id swapped in.
            2 => {
                let mut h = sign_with(&signer, "msg_attacker", &body);
                h.insert("webhook-id", HeaderValue::from_str(&id).unwrap());
                h
            }
            // A malformed, truncated signature.
            _ => {
                let mut h = sign_with(&signer, &id, &body);
                let sig = h["webhook-signature"].to_str().unwrap().to_owned();
                h.insert(
                    "webhook-signature",
                    HeaderValue::from_str(&sig[..sig.len() / 2]).unwrap(),
                );
                h
            }
        };
        match verify(&verifier, &headers, &body) {
            Ok(verified) => {
                let key = ReplayKey::new(TENANT, &verified).unwrap();
                let _ = guard
                    .run(&key, &digest(), || async {
                        runs.fetch_add(1, Ordering::SeqCst);
                        Ok::<_, ()>(())
                    })
                    .await;
            }
            Err(_) => rejected += 1,
        }
    }
    assert_eq!(rejected, IDS, "every forgery is rejected");
    assert_eq!(runs.load(Ordering::SeqCst), 0);
    assert_eq!(server.dbsize(), 0, "forged traffic wrote to Redis");

    // The legitimate deliveries with those ids: accepted, each run once.
    const WORKERS: usize = 64;
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..WORKERS {
        let (guard, verifier, runs) = (guard.clone(), verifier.clone(), runs.clone());
        let signer = self::signer();
        workers.spawn(async move {
            for n in (worker..IDS).step_by(WORKERS) {
                let (headers, body) = delivery(&signer, &format!("msg_{n}"));
                let verified = verify(&verifier, &headers, &body).unwrap();
                let key = ReplayKey::new(TENANT, &verified).unwrap();
                let outcome = guard
                    .run(&key, &digest(), || async {
                        runs.fetch_add(1, Ordering::SeqCst);
                        Ok::<_, ()>(())
                    })
                    .await;
                assert!(
                    matches!(outcome, Ok(Guarded::Ran(Ok(())))),
                    "msg_{n}: {outcome:?}"
                );
            }
        });
    }
    while let Some(worker) = workers.join_next().await {
        worker.unwrap();
    }
    assert_eq!(runs.load(Ordering::SeqCst), IDS);
    assert_eq!(server.dbsize(), IDS as i64);
}

/// A store on a fresh Redis whose cool-downs run on a manual clock.
async fn clocked_store(server: &RedisServer) -> (Arc<dyn ReplayStore>, ManualClock) {
    let clock = ManualClock::default();
    let store = RedisStore::builder(server.url())
        .key_prefix("hg-test:")
        .clock(clock.clone())
        .build()
        .await
        .unwrap();
    (Arc::new(store), clock)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_copies_run_the_handler_once_per_cool_down() {
    let server = RedisServer::start();
    let (store, clock) = clocked_store(&server).await;
    replay_contract::failing_copies_run_the_handler_once_per_cool_down(
        store,
        clock,
        key("msg_cooldown"),
    )
    .await;
}

#[tokio::test]
async fn another_body_under_the_same_id_is_a_conflict_in_every_state() {
    let server = RedisServer::start();
    let (store, _) = clocked_store(&server).await;
    replay_contract::another_body_under_the_same_id_is_a_conflict_in_every_state(
        store,
        key("msg_conflict_1"),
        key("msg_conflict_2"),
    )
    .await;
}

#[tokio::test]
async fn the_failure_count_survives_the_next_claim() {
    let server = RedisServer::start();
    let (store, clock) = clocked_store(&server).await;
    replay_contract::the_failure_count_survives_the_next_claim(store, clock, key("msg_failures"))
        .await;
}

/// Without an injected clock the cool-down runs on Redis' own `TIME` (what replicas share).
#[tokio::test]
async fn the_cool_down_runs_on_redis_time_by_default() {
    let server = RedisServer::start();
    let store = store(&server.url(), Duration::from_secs(2)).await;
    let k = key("msg_redis_time");
    let lease = Duration::from_secs(10);
    let Claim::Claimed { token, .. } = store.claim(&k, &digest(), lease).await.unwrap() else {
        panic!("claim")
    };
    let cooldown = Duration::from_secs(40);
    assert!(
        store
            .release(&k, &token, cooldown, Duration::from_secs(100))
            .await
            .unwrap()
    );
    let Claim::CoolingDown { remaining } = store.claim(&k, &digest(), lease).await.unwrap() else {
        panic!("cooling down")
    };
    assert!(
        remaining <= cooldown && remaining > Duration::from_secs(35),
        "{remaining:?}"
    );
    let record = get(&server, &store.redis_key(&k)).unwrap();
    let until: u64 = record.split('|').nth(1).unwrap().parse().unwrap();
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert!(
        until > now_ms + 35_000 && until <= now_ms + 41_000,
        "cool-down end {until} against the wall clock {now_ms}"
    );
}
