//! What every `InboxStore` must do, written once and run against each backend (redb today;
//! a Redis backend runs the same functions). Each function takes a fresh, empty store and
//! the manual wall clock that store's callers use: no test sleeps.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hookguard::inbox::{
    AfterFailure, AttemptOutcome, DeadReason, Finish, InboxId, InboxStore, InsertOutcome,
    ListQuery, ManualWallClock, Receipt, ReplayOutcome, State, Timestamp, Trigger, WallClock,
};
use hookguard::{Delivery, Provider, Signer, Verifier};

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const LEASE: Duration = Duration::from_secs(30);

/// A verified Standard Webhooks receipt of `body` under `id` for `route`, keeping its
/// `webhook-*` headers.
pub fn receipt(route: &str, id: &str, body: &[u8]) -> Receipt {
    receipt_for(route, "", id, body)
}

/// A verified Standard Webhooks delivery of `body` under `id`: the verification, the
/// body and the signed headers.
pub fn verified(id: &str, body: &[u8]) -> (hookguard::Verified, Bytes, http::HeaderMap) {
    let body = Bytes::copy_from_slice(body);
    let signer = Signer::new(Provider::StandardWebhooks, SECRET).unwrap();
    let headers = signer.sign(&Delivery::new(body.clone()).id(id)).unwrap();
    let verifier = Verifier::builder(Provider::StandardWebhooks)
        .secret(SECRET)
        .build()
        .unwrap();
    let uri = "/hook".parse().unwrap();
    let verified = verifier
        .verify(&http::Method::POST, &uri, &headers, &body)
        .unwrap();
    (verified, body, headers)
}

/// As [`receipt`], for `tenant`.
pub fn receipt_for(route: &str, tenant: &str, id: &str, body: &[u8]) -> Receipt {
    let (verified, body, headers) = verified(id, body);
    let kept = headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("webhook-"))
        .map(|(n, v)| (n.clone(), v.clone()));
    Receipt::new(route, tenant, &verified, body)
        .unwrap()
        .headers(kept)
        .client_key("203.0.113.9")
}

/// A verified GitHub receipt (its delivery id is the body's digest).
pub fn github_receipt(route: &str, body: &[u8]) -> Receipt {
    let body = Bytes::copy_from_slice(body);
    let headers = Signer::new(Provider::Github, "gh-secret")
        .unwrap()
        .sign(&Delivery::new(body.clone()))
        .unwrap();
    let verifier = Verifier::builder(Provider::Github)
        .secret("gh-secret")
        .build()
        .unwrap();
    let verified = verifier
        .verify(
            &http::Method::POST,
            &"/gh".parse().unwrap(),
            &headers,
            &body,
        )
        .unwrap();
    Receipt::new(route, "", &verified, body).unwrap()
}

async fn insert_one(store: &Arc<dyn InboxStore>, r: Receipt, now: Timestamp) -> InsertOutcome {
    let outcomes = store.insert(vec![r], now).await.unwrap();
    assert_eq!(outcomes.len(), 1);
    outcomes[0]
}

async fn new_id(store: &Arc<dyn InboxStore>, r: Receipt, now: Timestamp) -> InboxId {
    match insert_one(store, r, now).await {
        InsertOutcome::New(id) => id,
        other => panic!("expected a new record, got {other:?}"),
    }
}

fn ok(at: Timestamp) -> Finish {
    Finish::succeeded(at, Duration::from_millis(3))
}

fn failed(at: Timestamp, text: &str) -> Finish {
    Finish::failed(
        at,
        Duration::from_millis(3),
        AttemptOutcome::Failed,
        Some(text),
    )
}

/// Same key + same digest → duplicate; same key + other digest → conflict; another tenant
/// or provider → new; a batch is deduplicated within itself.
pub async fn insert_dedupe_and_conflict(store: Arc<dyn InboxStore>, clock: ManualWallClock) {
    let now = clock.now();
    let first = new_id(&store, receipt("orders", "msg_1", b"{\"n\":1}"), now).await;
    let again = insert_one(&store, receipt("orders", "msg_1", b"{\"n\":1}"), now).await;
    assert_eq!(again, InsertOutcome::Duplicate(first));
    let other_body = insert_one(&store, receipt("orders", "msg_1", b"{\"n\":2}"), now).await;
    assert_eq!(other_body, InsertOutcome::Conflict(first));
    let other_tenant = new_id(&store, receipt_for("orders", "acme", "msg_1", b"{}"), now).await;
    assert_ne!(other_tenant, first);
    let batch = vec![
        receipt("orders", "msg_2", b"a"),
        receipt("orders", "msg_2", b"a"),
        receipt("orders", "msg_2", b"b"),
        receipt("orders", "msg_3", b"c"),
    ];
    let outcomes = store.insert(batch, now).await.unwrap();
    let InsertOutcome::New(two) = outcomes[0] else {
        panic!("{outcomes:?}")
    };
    assert_eq!(outcomes[1], InsertOutcome::Duplicate(two));
    assert_eq!(outcomes[2], InsertOutcome::Conflict(two));
    assert!(matches!(outcomes[3], InsertOutcome::New(id) if id > two));
    let counts = store.counts().await.unwrap();
    assert_eq!((counts.get(State::Pending), counts.total()), (4, 4));
    let found = store.find("msg_1").await.unwrap();
    assert_eq!(found.len(), 2);
    assert!(store.find("msg_").await.unwrap().is_empty());
}

/// 100 concurrent inserts of one delivery: one record, 99 duplicates of it.
pub async fn racing_duplicates_make_one_record(store: Arc<dyn InboxStore>, clock: ManualWallClock) {
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let (store, now) = (store.clone(), clock.now());
        let r = receipt("orders", "msg_race", b"{\"race\":true}");
        racers.spawn(async move { store.insert(vec![r], now).await.unwrap()[0] });
    }
    let (mut new, mut dup, mut ids) = (0, 0, std::collections::HashSet::new());
    while let Some(outcome) = racers.join_next().await {
        match outcome.unwrap() {
            InsertOutcome::New(id) => {
                new += 1;
                ids.insert(id);
            }
            InsertOutcome::Duplicate(id) => {
                dup += 1;
                ids.insert(id);
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((new, dup, ids.len()), (1, 99, 1));
    assert_eq!(store.counts().await.unwrap().total(), 1);
}

/// A lease gives a token; once it expires and is taken back, the next lease's token is
/// larger and the stale one can neither complete nor fail; the done mark is written once.
pub async fn stale_tokens_change_nothing(store: Arc<dyn InboxStore>, clock: ManualWallClock) {
    let id = new_id(&store, receipt("orders", "msg_fence", b"{}"), clock.now()).await;
    let first = store.lease("orders", 10, LEASE, clock.now()).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!((first[0].id(), first[0].attempt()), (id, 1));
    assert!(
        store
            .lease("orders", 10, LEASE, clock.now())
            .await
            .unwrap()
            .is_empty()
    );
    clock.advance(LEASE - Duration::from_millis(1));
    assert_eq!(store.take_back_expired(clock.now()).await.unwrap(), 0);
    clock.advance(Duration::from_millis(1));
    assert_eq!(store.take_back_expired(clock.now()).await.unwrap(), 1);
    let second = store.lease("orders", 10, LEASE, clock.now()).await.unwrap();
    assert_eq!(second[0].attempt(), 2);
    let (stale, fresh) = (first[0].token(), second[0].token());
    assert!(fresh > stale);
    let now = clock.now();
    assert!(!store.complete(id, stale, ok(now)).await.unwrap());
    let retry = AfterFailure::RetryAt(now);
    assert!(
        !store
            .fail(id, stale, failed(now, "x"), retry)
            .await
            .unwrap()
    );
    assert!(!store.release(id, stale, now).await.unwrap());
    assert!(store.complete(id, fresh, ok(now)).await.unwrap());
    assert!(!store.complete(id, fresh, ok(now)).await.unwrap());
    let detail = store.get(id, false).await.unwrap().unwrap();
    assert_eq!(detail.summary().state(), State::Done);
    let outcomes: Vec<_> = detail.attempts().iter().map(|a| a.outcome()).collect();
    assert_eq!(
        outcomes,
        [AttemptOutcome::Interrupted, AttemptOutcome::Succeeded]
    );
    assert_eq!(detail.attempts()[1].trigger(), Trigger::Retry);
    assert!(detail.payload().is_none());
}

/// Failed deliveries are leased again only once due, earliest due first, per route, up to
/// the limit.
pub async fn retries_come_due_in_order(store: Arc<dyn InboxStore>, clock: ManualWallClock) {
    let t0 = clock.now();
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(new_id(&store, receipt("orders", &format!("msg_o{n}"), b"{}"), t0).await);
    }
    let other = new_id(&store, receipt("refunds", "msg_r", b"{}"), t0).await;
    let leased = store.lease("orders", 10, LEASE, t0).await.unwrap();
    assert_eq!(leased.iter().map(|l| l.id()).collect::<Vec<_>>(), ids);
    let waits = [30, 10, 20];
    for (l, secs) in leased.iter().zip(waits) {
        let at = t0.saturating_add(Duration::from_secs(secs));
        let done = store
            .fail(
                l.id(),
                l.token(),
                failed(t0, "503"),
                AfterFailure::RetryAt(at),
            )
            .await
            .unwrap();
        assert!(done);
    }
    let detail = store.get(ids[0], false).await.unwrap().unwrap();
    assert_eq!(detail.summary().state(), State::Pending);
    assert_eq!(
        detail.summary().due_at(),
        Some(t0.saturating_add(Duration::from_secs(30)))
    );
    assert_eq!(detail.summary().last_error(), Some("503"));
    let at = |s| t0.saturating_add(Duration::from_secs(s));
    assert!(
        store
            .lease("orders", 10, LEASE, at(9))
            .await
            .unwrap()
            .is_empty()
    );
    let due = store.lease("orders", 1, LEASE, at(25)).await.unwrap();
    assert_eq!(due.iter().map(|l| l.id()).collect::<Vec<_>>(), [ids[1]]);
    let due = store.lease("orders", 10, LEASE, at(25)).await.unwrap();
    assert_eq!(due.iter().map(|l| l.id()).collect::<Vec<_>>(), [ids[2]]);
    let due = store.lease("orders", 10, LEASE, at(30)).await.unwrap();
    assert_eq!(due.iter().map(|l| l.id()).collect::<Vec<_>>(), [ids[0]]);
    assert_eq!(due[0].attempt(), 2);
    let refunds = store.lease("refunds", 10, LEASE, at(30)).await.unwrap();
    assert_eq!(refunds.iter().map(|l| l.id()).collect::<Vec<_>>(), [other]);
    assert!(
        store
            .lease("orders", 0, LEASE, at(99))
            .await
            .unwrap()
            .is_empty()
    );
}

/// Pausing holds pending and new deliveries (and retries); resuming makes them pending,
/// each at its due time; failure to dead records the reason.
pub async fn pause_holds_and_resume_releases(store: Arc<dyn InboxStore>, clock: ManualWallClock) {
    let t0 = clock.now();
    let a = new_id(&store, receipt("orders", "msg_h1", b"{}"), t0).await;
    let b = new_id(&store, receipt("orders", "msg_h2", b"{}"), t0).await;
    let leased = store.lease("orders", 1, LEASE, t0).await.unwrap();
    assert_eq!(leased[0].id(), a);
    assert_eq!(store.set_paused("orders", true, t0).await.unwrap(), 1);
    assert_eq!(store.paused_routes().await.unwrap(), ["orders"]);
    let c = new_id(&store, receipt("orders", "msg_h3", b"{}"), t0).await;
    assert_eq!(state_of(&store, b).await, State::Held);
    assert_eq!(state_of(&store, c).await, State::Held);
    let later = t0.saturating_add(Duration::from_secs(60));
    let retry = AfterFailure::RetryAt(later);
    let l = &leased[0];
    assert!(
        store
            .fail(a, l.token(), failed(t0, "down"), retry)
            .await
            .unwrap()
    );
    assert_eq!(state_of(&store, a).await, State::Held);
    assert!(
        store
            .lease("orders", 10, LEASE, later)
            .await
            .unwrap()
            .is_empty()
    );
    let counts = store.counts().await.unwrap();
    assert_eq!(
        (counts.get(State::Held), counts.get(State::Pending)),
        (3, 0)
    );
    assert_eq!(store.set_paused("orders", false, t0).await.unwrap(), 3);
    assert!(store.paused_routes().await.unwrap().is_empty());
    let now = store.lease("orders", 10, LEASE, t0).await.unwrap();
    assert_eq!(now.iter().map(|l| l.id()).collect::<Vec<_>>(), [b, c]);
    let then = store.lease("orders", 10, LEASE, later).await.unwrap();
    assert_eq!(then.iter().map(|l| l.id()).collect::<Vec<_>>(), [a]);
    let dead = AfterFailure::Dead(DeadReason::Permanent);
    let l = &then[0];
    assert!(
        store
            .fail(a, l.token(), failed(later, "bad"), dead)
            .await
            .unwrap()
    );
    let detail = store.get(a, false).await.unwrap().unwrap();
    assert_eq!(detail.summary().state(), State::Dead);
    assert_eq!(detail.summary().dead_reason(), Some(DeadReason::Permanent));
    assert_eq!(detail.summary().finished_at(), Some(later));
}

async fn state_of(store: &Arc<dyn InboxStore>, id: InboxId) -> State {
    store
        .get(id, false)
        .await
        .unwrap()
        .unwrap()
        .summary()
        .state()
}

/// Replay moves done or dead back to pending, keeps the attempts, numbers on, and counts
/// the attempts of the new cycle from the replay.
pub async fn replay_keeps_history(store: Arc<dyn InboxStore>, clock: ManualWallClock) {
    let t0 = clock.now();
    let id = new_id(&store, receipt("orders", "msg_replay", b"{}"), t0).await;
    for n in 1..=2 {
        let l = store.lease("orders", 1, LEASE, clock.now()).await.unwrap();
        assert_eq!(l[0].attempt(), n);
        let next = if n == 2 {
            AfterFailure::Dead(DeadReason::ScheduleSpent)
        } else {
            AfterFailure::RetryAt(clock.now())
        };
        let f = failed(clock.now(), "boom");
        assert!(store.fail(id, l[0].token(), f, next).await.unwrap());
    }
    assert_eq!(
        store.replay(vec![InboxId::new(999_999)], t0).await.unwrap(),
        [ReplayOutcome::NotFound]
    );
    clock.advance(Duration::from_secs(3600));
    let replayed = store.replay(vec![id, id], clock.now()).await.unwrap();
    assert_eq!(
        replayed,
        [
            ReplayOutcome::Replayed,
            ReplayOutcome::NotFinished(State::Pending)
        ]
    );
    let l = store.lease("orders", 1, LEASE, clock.now()).await.unwrap();
    assert_eq!(l[0].attempt(), 3);
    assert_eq!(l[0].summary().attempts_in_cycle(), 1);
    assert_eq!(l[0].summary().cycle_started_at(), clock.now());
    assert!(
        store
            .complete(id, l[0].token(), ok(clock.now()))
            .await
            .unwrap()
    );
    let detail = store.get(id, false).await.unwrap().unwrap();
    let s = detail.summary();
    assert_eq!((s.state(), s.replays(), s.attempts()), (State::Done, 1, 3));
    assert_eq!(s.dead_reason(), None);
    let a = detail.attempts();
    assert_eq!(a.iter().map(|a| a.number()).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(a[2].trigger(), Trigger::Replay);
    assert_eq!(a[0].error(), Some("boom"));
}

/// Pruning removes done and dead records finished before the cutoff (with their ids:
/// the same delivery is new again), keeps the rest, frees their bytes; compaction runs.
pub async fn prune_then_compact(store: Arc<dyn InboxStore>, clock: ManualWallClock) {
    let t0 = clock.now();
    let done = new_id(&store, receipt("orders", "msg_p1", b"{\"p\":1}"), t0).await;
    let dead = new_id(&store, receipt("orders", "msg_p2", b"{\"p\":2}"), t0).await;
    let kept = new_id(&store, receipt("orders", "msg_p3", b"{\"p\":3}"), t0).await;
    let before = store.counts().await.unwrap().bytes();
    let leased = store.lease("orders", 2, LEASE, t0).await.unwrap();
    assert!(
        store
            .complete(done, leased[0].token(), ok(t0))
            .await
            .unwrap()
    );
    let gone = AfterFailure::Dead(DeadReason::Permanent);
    let f = failed(t0, "x");
    assert!(store.fail(dead, leased[1].token(), f, gone).await.unwrap());
    assert_eq!(store.prune(t0, 100).await.unwrap().records(), 0);
    let cutoff = t0.saturating_add(Duration::from_millis(1));
    let first = store.prune(cutoff, 1).await.unwrap();
    assert_eq!((first.records(), first.more()), (1, true));
    let second = store.prune(cutoff, 100).await.unwrap();
    assert_eq!((second.records(), second.more()), (1, false));
    assert!(store.get(done, false).await.unwrap().is_none());
    assert!(store.get(dead, false).await.unwrap().is_none());
    assert_eq!(state_of(&store, kept).await, State::Pending);
    let counts = store.counts().await.unwrap();
    assert_eq!(counts.total(), 1);
    assert_eq!(before - counts.bytes(), first.bytes() + second.bytes());
    store.compact().await.unwrap();
    assert!(store.find("msg_p1").await.unwrap().is_empty());
    let back = new_id(&store, receipt("orders", "msg_p1", b"{\"p\":1}"), t0).await;
    assert!(back > kept);
}

/// A store at its byte capacity refuses new receipts as full, still answers duplicates,
/// and takes new ones again once pruning freed space.
pub async fn full_store_refuses_new_receipts(
    store: Arc<dyn InboxStore>,
    clock: ManualWallClock,
    max_bytes: u64,
) {
    let t0 = clock.now();
    let body = vec![b'x'; 1024];
    let mut ids = Vec::new();
    for n in 0.. {
        match insert_one(&store, receipt("orders", &format!("msg_f{n}"), &body), t0).await {
            InsertOutcome::New(id) => ids.push(id),
            InsertOutcome::Full => break,
            other => panic!("{other:?}"),
        }
        assert!(n < 10_000, "never full");
    }
    assert!(!ids.is_empty());
    assert!(store.counts().await.unwrap().bytes() <= max_bytes);
    let dup = insert_one(&store, receipt("orders", "msg_f0", &body), t0).await;
    assert_eq!(dup, InsertOutcome::Duplicate(ids[0]));
    let l = store.lease("orders", 1, LEASE, t0).await.unwrap();
    assert!(
        store
            .complete(l[0].id(), l[0].token(), ok(t0))
            .await
            .unwrap()
    );
    let later = t0.saturating_add(Duration::from_secs(1));
    assert_eq!(store.prune(later, 10).await.unwrap().records(), 1);
    new_id(&store, receipt("orders", "msg_after_prune", &body), t0).await;
}

/// Listing: newest first, filters by state, route, provider, tenant and time, cursor pages
/// that together hold each match once.
pub async fn list_filters_and_pages(store: Arc<dyn InboxStore>, clock: ManualWallClock) {
    let mut expected = Vec::new();
    for n in 0..25u32 {
        let route = if n % 2 == 0 { "even" } else { "odd" };
        let r = receipt(
            route,
            &format!("msg_l{n}"),
            format!("{{\"n\":{n}}}").as_bytes(),
        );
        let id = new_id(&store, r, clock.now()).await;
        if route == "even" {
            expected.push(id);
        }
        clock.advance(Duration::from_secs(1));
    }
    let gh = new_id(&store, github_receipt("even", b"{\"gh\":1}"), clock.now()).await;
    expected.reverse();
    let mut seen = Vec::new();
    let mut query = ListQuery::new()
        .route("even")
        .provider("standard-webhooks")
        .limit(4);
    loop {
        let page = store.list(query.clone()).await.unwrap();
        assert!(page.items().len() <= 4);
        seen.extend(page.items().iter().map(|d| d.id()));
        match page.next() {
            Some(cursor) => query = query.after(cursor),
            None => break,
        }
    }
    assert_eq!(seen, expected);
    let github = store
        .list(ListQuery::new().provider("github"))
        .await
        .unwrap();
    assert_eq!(
        github.items().iter().map(|d| d.id()).collect::<Vec<_>>(),
        [gh]
    );
    assert!(
        github.items()[0]
            .meta()
            .delivery_id()
            .as_str()
            .starts_with("sha256:")
    );
    let start = github.items()[0].meta().received_at();
    let window = ListQuery::new().received_between(
        start.saturating_sub(Duration::from_secs(3)),
        start.saturating_sub(Duration::from_secs(1)),
    );
    let page = store.list(window).await.unwrap();
    assert_eq!(page.items().len(), 2);
    let by_state = store
        .list(
            ListQuery::new()
                .state(State::Pending)
                .tenant("")
                .limit(1000),
        )
        .await
        .unwrap();
    assert_eq!((by_state.items().len(), by_state.next()), (26, None));
    let none = store
        .list(ListQuery::new().state(State::Dead))
        .await
        .unwrap();
    assert!(none.items().is_empty() && none.next().is_none());
}

/// What a store keeps is byte-exact after it is closed and opened again: body, headers and
/// metadata. `reopen` drops nothing itself: the caller has dropped the first store.
pub async fn payload_is_byte_exact_after_reopen(
    store: Arc<dyn InboxStore>,
    clock: ManualWallClock,
    reopen: impl FnOnce(Arc<dyn InboxStore>) -> Arc<dyn InboxStore>,
) {
    let body: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    let r = receipt("orders", "msg_bytes", &body);
    let headers = r.kept_headers().to_vec();
    assert_eq!(headers.len(), 3);
    let digest = *r.digest().as_bytes();
    let id = new_id(&store, r, clock.now()).await;
    let store = reopen(store);
    let detail = store.get(id, true).await.unwrap().unwrap();
    let payload = detail.payload().unwrap();
    assert_eq!(&payload.body()[..], &body[..]);
    assert_eq!(payload.headers(), &headers[..]);
    let meta = detail.summary().meta();
    assert_eq!(meta.delivery_id().as_str(), "msg_bytes");
    assert_eq!(meta.digest(), &digest);
    assert_eq!(meta.client_key(), Some("203.0.113.9"));
    assert_eq!(meta.provider(), "standard-webhooks");
    assert!(meta.signed_at().is_some() && meta.key_id().is_some());
    assert_eq!(detail.summary().body_len(), 5000);
}
