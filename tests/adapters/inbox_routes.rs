//! Inbox routes (`PipelineBuilder::inbox`) on both adapters over loopback: a verified
//! delivery is committed before the 2xx, duplicates and conflicts are answered from the inbox,
//! forged traffic writes nothing, a failing store never gets a 2xx, and the handler behind
//! the layer or middleware never runs (the inbox's worker does).
#![cfg(all(feature = "axum", feature = "actix-web", feature = "inbox"))]

use std::path::PathBuf;
use std::time::Duration;

use hookguard::inbox::{
    AfterFailure, Counts, DeliveryDetail, DeliverySummary, FenceToken, Finish, Inbox, InboxId,
    InboxStore, InsertOutcome, Leased, ListQuery, Page, Pruned, Receipt, ReplayOutcome, State,
    StoreError, StoreFuture, Timestamp,
};
use hookguard::pipeline::{Outcome, Pipeline};

use crate::apps;
use crate::scenarios::*;

/// A store file in the temp dir, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str) -> Self {
        let file = format!("hookguard-inbox-route-{}-{name}.redb", std::process::id());
        let path = std::env::temp_dir().join(file);
        let _ = std::fs::remove_file(&path);
        Self(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn inbox_pipeline(inbox: Inbox) -> Pipeline {
    Pipeline::builder(verifier())
        .dangerous()
        .disable_rate_limit()
        .inbox(inbox, "webhook")
        .build()
        .unwrap()
}

/// One request's answer as compared across adapters.
#[derive(Debug, PartialEq, Eq)]
struct Row {
    name: &'static str,
    status: u16,
    code: Option<String>,
    retry_after: Option<String>,
    body: String,
}

fn row(name: &'static str, resp: &Resp) -> Row {
    Row {
        name,
        status: resp.status,
        code: resp.code(),
        retry_after: resp.header("retry-after").map(str::to_owned),
        body: String::from_utf8_lossy(&resp.body).into_owned(),
    }
}

/// The rows of one adapter on an inbox route; checks what the inbox holds after each.
async fn run_rows(app: &TestApp, inbox: &Inbox, salt: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    let id = format!("msg_inbox_{salt}");
    let body = r#"{"type":"invoice.paid","amount":1200}"#;

    // Valid: committed before the answer, with what it needs to be verified again.
    let resp = send(app.addr, &Req::new("127.0.0.1").signed(&id, body)).await;
    rows.push(row("valid", &resp));
    let found = inbox.find(&id).await.unwrap();
    assert_eq!(found.len(), 1, "{salt}: {found:?}");
    assert_eq!(found[0].state(), State::Pending);
    assert_eq!(found[0].meta().route(), "webhook");
    assert_eq!(found[0].meta().provider(), "standard-webhooks");
    assert_eq!(found[0].meta().client_key(), Some("127.0.0.1"));
    let detail = inbox.show_with_payload(found[0].id()).await.unwrap();
    let payload = detail.payload().unwrap();
    assert_eq!(&payload.body()[..], body.as_bytes());
    let kept: Vec<&str> = payload.headers().iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        kept,
        [
            "webhook-signature",
            "webhook-timestamp",
            "webhook-id",
            "content-type"
        ],
        "{salt}"
    );

    // The provider's retry: acknowledged, nothing new written.
    let resp = send(app.addr, &Req::new("127.0.0.1").signed(&id, body)).await;
    rows.push(row("duplicate", &resp));

    // Same id, another body: refused, nothing written.
    let resp = send(
        app.addr,
        &Req::new("127.0.0.1").signed(&id, r#"{"amount":1}"#),
    )
    .await;
    rows.push(row("conflict", &resp));
    assert_eq!(inbox.find(&id).await.unwrap().len(), 1);

    // Forged: refused, never written.
    let forged = format!("msg_forged_{salt}");
    let req = Req::new("127.0.0.1").signed_with(TENANT_SECRET, &forged, unix_now(), body);
    let resp = send(app.addr, &req).await;
    rows.push(row("forged", &resp));
    assert!(inbox.find(&forged).await.unwrap().is_empty(), "{salt}");

    // Stale timestamp: refused, never written.
    let stale = format!("msg_stale_{salt}");
    let req = Req::new("127.0.0.1").signed_with(SECRET, &stale, unix_now() - 3600, body);
    let resp = send(app.addr, &req).await;
    rows.push(row("stale", &resp));
    assert!(inbox.find(&stale).await.unwrap().is_empty(), "{salt}");

    assert_eq!(
        app.log.runs(),
        0,
        "{salt}: the handler ran on an inbox route"
    );
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inbox_route_commits_before_2xx_identically_on_axum_and_actix() {
    let (file_axum, file_actix) = (TempFile::new("axum"), TempFile::new("actix"));
    let (inbox_axum, inbox_actix) = (
        Inbox::open(&file_axum.0).unwrap(),
        Inbox::open(&file_actix.0).unwrap(),
    );
    let pipeline_axum = inbox_pipeline(inbox_axum.clone());
    let axum = apps::start_axum_with(pipeline_axum.clone()).await;
    let actix = apps::start_actix_with(inbox_pipeline(inbox_actix.clone()));
    let on_axum = run_rows(&axum, &inbox_axum, "axum").await;
    let on_actix = run_rows(&actix, &inbox_actix, "actix").await;
    assert_eq!(on_axum, on_actix);

    let got: Vec<_> = on_axum
        .iter()
        .map(|r| (r.name, r.status, r.code.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("valid", 202, None),
            ("duplicate", 200, Some("duplicate_delivery")),
            ("conflict", 409, Some("delivery_conflict")),
            ("forged", 401, Some("signature_mismatch")),
            ("stale", 401, Some("timestamp_out_of_window")),
        ]
    );
    assert_eq!(on_axum[0].body, r#"{"status":"accepted"}"#);
    // One record per inbox: the duplicate and the conflict wrote nothing.
    for inbox in [&inbox_axum, &inbox_actix] {
        assert_eq!(inbox.counts().await.unwrap().total(), 1);
        let page = inbox.list(ListQuery::new().route("webhook")).await.unwrap();
        assert_eq!(page.items().len(), 1);
    }
    // One decision each, under its own name.
    let counts = pipeline_axum.outcome_counts();
    let committed = counts.iter().find(|c| c.outcome == Outcome::Committed);
    assert_eq!(committed.map(|c| c.count), Some(1), "{counts:?}");
    assert_eq!(Outcome::Committed.as_str(), "committed");
}

/// A store that fails every call.
struct FailingStore;

fn fail<T: Send + 'static>() -> StoreFuture<'static, T> {
    Box::pin(async { Err(StoreError::backend(std::io::Error::other("disk on fire"))) })
}

impl InboxStore for FailingStore {
    fn insert(&self, _: Vec<Receipt>, _: Timestamp) -> StoreFuture<'_, Vec<InsertOutcome>> {
        fail()
    }
    fn lease<'a>(
        &'a self,
        _: &'a str,
        _: usize,
        _: Duration,
        _: Timestamp,
    ) -> StoreFuture<'a, Vec<Leased>> {
        fail()
    }
    fn complete(&self, _: InboxId, _: FenceToken, _: Finish) -> StoreFuture<'_, bool> {
        fail()
    }
    fn fail(&self, _: InboxId, _: FenceToken, _: Finish, _: AfterFailure) -> StoreFuture<'_, bool> {
        fail()
    }
    fn release(&self, _: InboxId, _: FenceToken, _: Timestamp) -> StoreFuture<'_, bool> {
        fail()
    }
    fn take_back_expired(&self, _: Timestamp) -> StoreFuture<'_, usize> {
        fail()
    }
    fn set_paused<'a>(&'a self, _: &'a str, _: bool, _: Timestamp) -> StoreFuture<'a, usize> {
        fail()
    }
    fn paused_routes(&self) -> StoreFuture<'_, Vec<String>> {
        fail()
    }
    fn replay(&self, _: Vec<InboxId>, _: Timestamp) -> StoreFuture<'_, Vec<ReplayOutcome>> {
        fail()
    }
    fn get(&self, _: InboxId, _: bool) -> StoreFuture<'_, Option<DeliveryDetail>> {
        fail()
    }
    fn find<'a>(&'a self, _: &'a str) -> StoreFuture<'a, Vec<DeliverySummary>> {
        fail()
    }
    fn list(&self, _: ListQuery) -> StoreFuture<'_, Page> {
        fail()
    }
    fn counts(&self) -> StoreFuture<'_, Counts> {
        fail()
    }
    fn prune(&self, _: Timestamp, _: usize) -> StoreFuture<'_, Pruned> {
        fail()
    }
    fn compact(&self) -> StoreFuture<'_, bool> {
        fail()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_inbox_store_gets_503_never_2xx_on_axum_and_actix() {
    let inbox = Inbox::builder(FailingStore).build().unwrap();
    let axum = apps::start_axum_with(inbox_pipeline(inbox.clone())).await;
    let actix = apps::start_actix_with(inbox_pipeline(inbox));
    let mut rows = Vec::new();
    for (app, salt) in [(&axum, "axum"), (&actix, "actix")] {
        let id = format!("msg_store_down_{salt}");
        let resp = send(app.addr, &Req::new("127.0.0.1").signed(&id, r#"{"n":1}"#)).await;
        assert_eq!(app.log.runs(), 0, "{salt}: the handler ran");
        rows.push(row("store_down", &resp));
        // The error's text never reaches the answer.
        assert!(!rows.last().unwrap().body.contains("fire"));
    }
    assert_eq!(rows[0], rows[1]);
    assert_eq!(
        (
            rows[0].status,
            rows[0].code.as_deref(),
            rows[0].retry_after.as_deref()
        ),
        (503, Some("unavailable"), Some("5"))
    );
}

#[test]
fn an_inbox_route_is_checked_when_built() {
    let file = TempFile::new("build");
    let inbox = Inbox::open(&file.0).unwrap();
    let bad = Pipeline::builder(verifier())
        .inbox(inbox.clone(), "a/b")
        .build();
    assert_eq!(bad.err(), Some(hookguard::ConfigError::InvalidInboxRoute));
    let empty = Pipeline::builder(verifier())
        .inbox(inbox.clone(), "")
        .build();
    assert_eq!(empty.err(), Some(hookguard::ConfigError::InvalidInboxRoute));
    let observe = Pipeline::builder(verifier())
        .dangerous()
        .observe_only()
        .inbox(inbox, "webhook")
        .build();
    assert_eq!(
        observe.err(),
        Some(hookguard::ConfigError::ObserveOnlyWithInbox)
    );
}
