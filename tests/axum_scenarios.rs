//! The scenario table over real loopback HTTP against an axum app behind `WebhookLayer`.
#![cfg(feature = "axum")]

#[path = "support/scenarios.rs"]
mod scenarios;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use hookguard::Verified;
use hookguard::axum::Webhook;
use hookguard::tower::WebhookLayer;
use http::StatusCode;
use scenarios::*;

async fn handler(
    State(log): State<HandlerLog>,
    verified: Verified,
    Webhook(payload): Webhook<serde_json::Value>,
) -> StatusCode {
    log.record(verified.delivery_id().as_str());
    tokio::time::sleep(handler_sleep(&payload)).await;
    StatusCode::from_u16(handler_status(&payload)).unwrap()
}

pub async fn start_axum() -> TestApp {
    let log = HandlerLog::default();
    let app = Router::new()
        .route(
            "/webhook",
            post(handler).layer(WebhookLayer::new(pipeline())),
        )
        .route(
            "/t/{tenant}/webhook",
            post(handler).layer(WebhookLayer::new(tenant_pipeline())),
        )
        .with_state(log.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    TestApp { addr, log }
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

/// Server tasks run on worker threads, so the capture must be the global subscriber.
fn capture_logs() -> Captured {
    static LOGS: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        logs
    })
    .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_table_over_loopback() {
    let logs = capture_logs();
    let app = start_axum().await;
    let outcomes = run_table(&app, "axum").await;
    println!("{} rows passed", outcomes.len());
    let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(text.contains("webhook decision"), "decisions are logged");
    for canary in [CANARY_BODY, SECRET, &SECRET[6..], TENANT_SECRET] {
        assert!(!text.contains(canary), "log leaked {canary}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_addresses_in_one_prefix_share_a_bucket() {
    let app = start_axum().await;
    ipv6_prefix_shares_a_bucket(&app).await;
}
