//! The receipt path: commit before acknowledging, duplicates, conflicts, a full or failing
//! store (never a 2xx), the builders, and the admin API.

use std::sync::Arc;
use std::time::Duration;

use hookguard::inbox::{
    AfterFailure, Counts, DeliveryDetail, DeliverySummary, FenceToken, Finish, Inbox,
    InboxConfigError, InboxError, InboxId, InboxStore, InsertOutcome, Leased, ListQuery,
    MIN_RETENTION, Page, Pruned, Receipt, Received, ReplayOutcome, State, StoreError, StoreFuture,
    Timestamp,
};

use crate::contract::receipt;
use crate::{TempFile, clock, fixture, inbox_on, open};

/// Conformance flaw "ack before commit": a receipt acknowledged as committed is on disk,
/// body and all, even if the process stops right after (no worker ever ran).
#[tokio::test]
async fn an_acknowledged_receipt_survives_the_process() {
    let f = fixture("ack");
    let body = br#"{"type":"invoice.paid","amount":1200}"#;
    let received = f.inbox.receive(receipt("billing", "msg_a", body)).await;
    let Ok(Received::Committed(id)) = received else {
        panic!("{received:?}")
    };
    drop(f.inbox);
    let inbox = inbox_on(&f.file, &f.clock);
    let detail = inbox.show_with_payload(id).await.unwrap();
    assert_eq!(detail.summary().state(), State::Pending);
    assert_eq!(&detail.payload().unwrap().body()[..], body);
}

/// Conformance flaw "check-then-insert race": 100 concurrent copies, one record.
#[tokio::test]
async fn racing_copies_commit_once() {
    let f = fixture("race");
    let mut copies = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let inbox = f.inbox.clone();
        let r = receipt("orders", "msg_race", b"{\"n\":1}");
        copies.spawn(async move { inbox.receive(r).await });
    }
    let (mut committed, mut duplicates) = (0, 0);
    while let Some(answer) = copies.join_next().await {
        match answer.unwrap() {
            Ok(Received::Committed(_)) => committed += 1,
            Ok(Received::Duplicate(_)) => duplicates += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((committed, duplicates), (1, 99));
}

#[tokio::test]
async fn same_id_other_body_is_a_conflict_and_writes_nothing() {
    let f = fixture("conflict");
    let first = f
        .inbox
        .receive(receipt("orders", "msg_c", b"{\"v\":1}"))
        .await
        .unwrap();
    let again = f
        .inbox
        .receive(receipt("orders", "msg_c", b"{\"v\":1}"))
        .await
        .unwrap();
    assert_eq!(again, Received::Duplicate(first.id()));
    let other = f
        .inbox
        .receive(receipt("orders", "msg_c", b"{\"v\":2}"))
        .await;
    assert!(
        matches!(other, Err(InboxError::Conflict { existing }) if existing == first.id()),
        "{other:?}"
    );
    assert_eq!(other.unwrap_err().retry_after(), None);
    assert_eq!(f.inbox.counts().await.unwrap().total(), 1);
}

#[tokio::test]
async fn a_full_inbox_answers_full_with_retry_after() {
    let file = TempFile::new("full-inbox");
    let clock = clock();
    let inbox = Inbox::builder_shared(open(&file, &clock, 2000))
        .build()
        .unwrap();
    let first = inbox
        .receive(receipt("orders", "msg_1", &[b'x'; 900]))
        .await;
    assert!(matches!(first, Ok(Received::Committed(_))), "{first:?}");
    let full = inbox
        .receive(receipt("orders", "msg_2", &[b'x'; 900]))
        .await
        .unwrap_err();
    assert!(matches!(full, InboxError::Full), "{full:?}");
    assert_eq!(full.retry_after(), Some(Duration::from_secs(5)));
}

/// A store that fails or never answers: receipts fail (503 with `Retry-After`), never
/// `Committed`.
#[derive(Clone, Copy)]
enum Fault {
    Fail,
    Hang,
}

struct FaultyStore(Fault);

impl FaultyStore {
    fn answer<T: Send + 'static>(&self) -> StoreFuture<'static, T> {
        match self.0 {
            Fault::Fail => {
                Box::pin(async { Err(StoreError::backend(std::io::Error::other("disk on fire"))) })
            }
            Fault::Hang => Box::pin(std::future::pending()),
        }
    }
}

impl InboxStore for FaultyStore {
    fn insert(&self, _: Vec<Receipt>, _: Timestamp) -> StoreFuture<'_, Vec<InsertOutcome>> {
        self.answer()
    }
    fn lease<'a>(
        &'a self,
        _: &'a str,
        _: usize,
        _: Duration,
        _: Timestamp,
    ) -> StoreFuture<'a, Vec<Leased>> {
        self.answer()
    }
    fn complete(&self, _: InboxId, _: FenceToken, _: Finish) -> StoreFuture<'_, bool> {
        self.answer()
    }
    fn fail(&self, _: InboxId, _: FenceToken, _: Finish, _: AfterFailure) -> StoreFuture<'_, bool> {
        self.answer()
    }
    fn release(&self, _: InboxId, _: FenceToken, _: Timestamp) -> StoreFuture<'_, bool> {
        self.answer()
    }
    fn take_back_expired(&self, _: Timestamp) -> StoreFuture<'_, usize> {
        self.answer()
    }
    fn set_paused<'a>(&'a self, _: &'a str, _: bool, _: Timestamp) -> StoreFuture<'a, usize> {
        self.answer()
    }
    fn paused_routes(&self) -> StoreFuture<'_, Vec<String>> {
        self.answer()
    }
    fn replay(&self, _: Vec<InboxId>, _: Timestamp) -> StoreFuture<'_, Vec<ReplayOutcome>> {
        self.answer()
    }
    fn get(&self, _: InboxId, _: bool) -> StoreFuture<'_, Option<DeliveryDetail>> {
        self.answer()
    }
    fn find<'a>(&'a self, _: &'a str) -> StoreFuture<'a, Vec<DeliverySummary>> {
        self.answer()
    }
    fn list(&self, _: ListQuery) -> StoreFuture<'_, Page> {
        self.answer()
    }
    fn counts(&self) -> StoreFuture<'_, Counts> {
        self.answer()
    }
    fn prune(&self, _: Timestamp, _: usize) -> StoreFuture<'_, Pruned> {
        self.answer()
    }
    fn compact(&self) -> StoreFuture<'_, bool> {
        self.answer()
    }
}

#[tokio::test]
async fn a_failing_or_hanging_store_never_acknowledges() {
    for fault in [Fault::Fail, Fault::Hang] {
        let inbox = Inbox::builder(FaultyStore(fault))
            .receive_timeout(Duration::from_millis(50))
            .build()
            .unwrap();
        let error = inbox
            .receive(receipt("orders", "msg_f", b"{}"))
            .await
            .unwrap_err();
        match fault {
            Fault::Fail => assert!(matches!(error, InboxError::Unavailable(_)), "{error:?}"),
            Fault::Hang => assert!(matches!(error, InboxError::Timeout), "{error:?}"),
        }
        assert_eq!(error.retry_after(), Some(Duration::from_secs(5)));
        // The engine's error is the source, and its text is not in the message.
        assert!(!error.to_string().contains("fire"));
    }
}

#[test]
fn builders_refuse_unsafe_settings() {
    let file = TempFile::new("builders");
    let clock = clock();
    let store = open(&file, &clock, 1 << 20);
    let short = MIN_RETENTION - Duration::from_secs(1);
    let refused = Inbox::builder_shared(store.clone())
        .retention(short)
        .build();
    assert_eq!(refused.unwrap_err(), InboxConfigError::RetentionTooShort);
    let inbox = Inbox::builder_shared(store)
        .retention(MIN_RETENTION)
        .build()
        .unwrap();
    let ok = |_| async { Ok(()) };
    let cases: Vec<(InboxConfigError, hookguard::inbox::WorkerBuilder)> = vec![
        (InboxConfigError::NoRoutes, inbox.worker()),
        (
            InboxConfigError::InvalidRoute,
            inbox.worker().route("a/b", ok),
        ),
        (
            InboxConfigError::InvalidRoute,
            inbox.worker().route("a", ok).route("a", ok),
        ),
        (
            InboxConfigError::UnknownRoute,
            inbox.worker().route("a", ok).concurrency("b", 2),
        ),
        (
            InboxConfigError::ZeroConcurrency,
            inbox.worker().route("a", ok).concurrency("a", 0),
        ),
        (
            InboxConfigError::LeaseTooShort,
            inbox
                .worker()
                .route("a", ok)
                .handler_timeout(Duration::from_secs(60)),
        ),
        (
            InboxConfigError::ZeroDuration,
            inbox.worker().route("a", ok).poll_interval(Duration::ZERO),
        ),
    ];
    for (expected, builder) in cases {
        assert_eq!(builder.build().unwrap_err(), expected);
    }
    assert!(inbox.worker().route("a", ok).build().is_ok());
}

#[tokio::test]
async fn admin_lists_finds_pauses_and_counts() {
    let f = fixture("admin");
    for n in 0..3 {
        let r = receipt("orders", &format!("msg_{n}"), b"{}");
        f.inbox.receive(r).await.unwrap();
    }
    assert_eq!(f.inbox.pause("orders").await.unwrap(), 3);
    assert_eq!(f.inbox.paused_routes().await.unwrap(), ["orders"]);
    assert!(matches!(
        f.inbox.pause("no/such").await,
        Err(InboxError::InvalidRoute)
    ));
    let held = f
        .inbox
        .list(ListQuery::new().state(State::Held))
        .await
        .unwrap();
    assert_eq!(held.items().len(), 3);
    let found = f.inbox.find("msg_1").await.unwrap();
    assert_eq!(found.len(), 1);
    let shown = f.inbox.show(found[0].id()).await.unwrap();
    assert!(shown.payload().is_none() && shown.attempts().is_empty());
    assert!(matches!(
        f.inbox.show(InboxId::new(9_999)).await,
        Err(InboxError::NotFound)
    ));
    assert_eq!(f.inbox.resume("orders").await.unwrap(), 3);
    assert_eq!(f.inbox.counts().await.unwrap().get(State::Pending), 3);
    let not_finished = f.inbox.replay(found[0].id()).await.unwrap();
    assert_eq!(not_finished, ReplayOutcome::NotFinished(State::Pending));
}

#[test]
fn receipts_refuse_bad_names_and_never_print_the_body() {
    let (verified, body, _) = crate::contract::verified("msg_n", b"{\"secret\":1}");
    for (route, tenant) in [
        ("", ""),
        ("a/b", ""),
        ("orders", "a b"),
        ("x", &*"t".repeat(65)),
    ] {
        let refused = Receipt::new(route, tenant, &verified, body.clone());
        assert!(refused.is_err(), "{route:?} {tenant:?}");
    }
    let good = Receipt::new("orders", "acme", &verified, body).unwrap();
    assert_eq!(
        (good.route(), good.delivery_id().as_str()),
        ("orders", "msg_n")
    );
    let debug = format!("{good:?}");
    assert!(
        debug.contains("body_len: 12") && !debug.contains("secret"),
        "{debug}"
    );
    let _ = Arc::new(());
}
