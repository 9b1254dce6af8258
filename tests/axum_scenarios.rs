//! The scenario table over real loopback HTTP against an axum app behind `WebhookLayer`.
#![cfg(feature = "axum")]

#[path = "support/scenarios.rs"]
mod scenarios;

#[path = "support/apps.rs"]
mod apps;

use std::sync::{Arc, Mutex};

use apps::start_axum;
use scenarios::*;

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
