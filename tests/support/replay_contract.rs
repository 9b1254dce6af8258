//! What every `ReplayStore` must do about failed attempts and reused ids, run against each
//! store (memory, Redis) with an injected clock for the cool-downs: no test sleeps through one.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hookguard::clock::ManualClock;
use hookguard::replay::{
    BodyDigest, Claim, ClaimError, DEFAULT_FAILURE_BACKOFF, Guarded, ReplayGuard, ReplayKey,
    ReplayStore,
};

const COPIES: usize = 20;

/// 20 concurrent copies of a delivery whose handler fails, three rounds: each round runs the
/// handler once; inside the cool-down (1 s, 2 s, 4 s) every copy is a 409 with the
/// cool-down's `Retry-After`; once it has passed the next copy runs it again, and a success
/// makes the rest duplicates.
pub async fn failing_copies_run_the_handler_once_per_cool_down(
    store: Arc<dyn ReplayStore>,
    clock: ManualClock,
    key: ReplayKey,
) {
    let guard = ReplayGuard::builder_shared(store)
        .lease(Duration::from_secs(10))
        .handler_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let digest = BodyDigest::of(br#"{"fail":true}"#);
    let runs = Arc::new(AtomicUsize::new(0));
    for round in 0..3u32 {
        let mut copies = tokio::task::JoinSet::new();
        for _ in 0..COPIES {
            let (guard, key, runs) = (guard.clone(), key.clone(), runs.clone());
            copies.spawn(async move {
                guard
                    .run(&key, &digest, || async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        // Long enough that the copies overlap the attempt.
                        tokio::time::sleep(Duration::from_millis(30)).await;
                        Err::<(), _>("downstream is down")
                    })
                    .await
            });
        }
        let (mut failed, mut refused) = (0, 0);
        while let Some(result) = copies.join_next().await {
            match result.unwrap() {
                Ok(Guarded::Ran(Err(_))) => failed += 1,
                Err(ClaimError::InFlight { .. } | ClaimError::CoolingDown { .. }) => refused += 1,
                other => panic!("round {round}: {other:?}"),
            }
        }
        assert_eq!((failed, refused), (1, COPIES - 1), "round {round}");
        assert_eq!(runs.load(Ordering::SeqCst), round as usize + 1);
        let cooldown = DEFAULT_FAILURE_BACKOFF * 2u32.pow(round);
        let copy = guard.run(&key, &digest, || async { Ok::<_, ()>(()) }).await;
        assert_eq!(
            copy.err(),
            Some(ClaimError::CoolingDown {
                retry_after: cooldown
            }),
            "round {round}: a copy right after the failure"
        );
        clock.advance(cooldown - Duration::from_millis(1));
        let late = guard.run(&key, &digest, || async { Ok::<_, ()>(()) }).await;
        assert!(
            matches!(late, Err(ClaimError::CoolingDown { retry_after }) if retry_after == Duration::from_secs(1)),
            "round {round}: 1 ms before the end: {late:?}"
        );
        clock.advance(Duration::from_millis(1));
    }
    let fixed = guard
        .run(&key, &digest, || async {
            runs.fetch_add(1, Ordering::SeqCst);
            Ok::<_, ()>(())
        })
        .await;
    assert!(matches!(fixed, Ok(Guarded::Ran(Ok(())))), "{fixed:?}");
    let again = guard.run(&key, &digest, || async { Ok::<_, ()>(()) }).await;
    assert!(matches!(again, Ok(Guarded::Duplicate)), "{again:?}");
    assert_eq!(runs.load(Ordering::SeqCst), 4);
}

/// The same id with another body is a conflict whether the first is pending, failed or done;
/// the same body is in flight, cooling down or a duplicate as before.
pub async fn another_body_under_the_same_id_is_a_conflict_in_every_state(
    store: Arc<dyn ReplayStore>,
    first: ReplayKey,
    second: ReplayKey,
) {
    let lease = Duration::from_secs(10);
    let retain = Duration::from_secs(100);
    let body = BodyDigest::of(br#"{"amount":100}"#);
    let other = BodyDigest::of(br#"{"amount":999}"#);

    let Claim::Claimed { token, failures } = store.claim(&first, &body, lease).await.unwrap()
    else {
        panic!("first claim")
    };
    assert_eq!(failures, 0);
    assert_eq!(
        store.claim(&first, &other, lease).await.unwrap(),
        Claim::Conflict
    );
    assert!(matches!(
        store.claim(&first, &body, lease).await.unwrap(),
        Claim::InFlight { .. }
    ));
    assert!(store.complete(&first, &token, retain).await.unwrap());
    assert_eq!(
        store.claim(&first, &other, lease).await.unwrap(),
        Claim::Conflict
    );
    assert_eq!(
        store.claim(&first, &body, lease).await.unwrap(),
        Claim::Done
    );

    let Claim::Claimed { token, .. } = store.claim(&second, &body, lease).await.unwrap() else {
        panic!("claim of the second key")
    };
    let cooldown = Duration::from_secs(30);
    assert!(
        store
            .release(&second, &token, cooldown, retain)
            .await
            .unwrap()
    );
    assert_eq!(
        store.claim(&second, &other, lease).await.unwrap(),
        Claim::Conflict
    );
    let Claim::CoolingDown { remaining } = store.claim(&second, &body, lease).await.unwrap() else {
        panic!("cooling down")
    };
    assert!(remaining <= cooldown && remaining > Duration::from_secs(25));

    // Through the guard: 409 delivery_conflict, and the handler never runs.
    let guard = ReplayGuard::builder_shared(store).build().unwrap();
    let ran = AtomicUsize::new(0);
    let conflict = guard
        .run(&first, &other, || async {
            ran.fetch_add(1, Ordering::SeqCst);
            Ok::<_, ()>(())
        })
        .await;
    assert_eq!(conflict.err(), Some(ClaimError::Conflict));
    assert_eq!(
        hookguard::pipeline::Refusal::from(ClaimError::Conflict).status(),
        http::StatusCode::CONFLICT
    );
    let duplicate = guard.run(&first, &body, || async { Ok::<_, ()>(()) }).await;
    assert!(matches!(duplicate, Ok(Guarded::Duplicate)));
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

/// A released claim keeps its failure count through the cool-down and the next claim.
pub async fn the_failure_count_survives_the_next_claim(
    store: Arc<dyn ReplayStore>,
    clock: ManualClock,
    key: ReplayKey,
) {
    let lease = Duration::from_secs(10);
    let keep = Duration::from_secs(100);
    let digest = BodyDigest::of(b"{}");
    for expected in 0..3 {
        let Claim::Claimed { token, failures } = store.claim(&key, &digest, lease).await.unwrap()
        else {
            panic!("claim {expected}")
        };
        assert_eq!(failures, expected);
        let cooldown = Duration::from_secs(2);
        assert!(store.release(&key, &token, cooldown, keep).await.unwrap());
        assert!(
            !store.release(&key, &token, cooldown, keep).await.unwrap(),
            "released twice"
        );
        clock.advance(cooldown);
    }
}
