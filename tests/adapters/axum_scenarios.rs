//! The scenario table over real loopback HTTP against an axum app behind `WebhookLayer`.
#![cfg(feature = "axum")]

use crate::apps::start_axum;
use crate::capture_logs;
use crate::scenarios::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_table_over_loopback() {
    let logs = capture_logs();
    let app = start_axum().await;
    let outcomes = run_table(&app, "axum").await;
    println!("{} rows passed", outcomes.len());
    let text = logs.text();
    assert!(text.contains("webhook decision"), "decisions are logged");
    // The capture is the whole binary's (see main.rs): among the lines of the tests that ran
    // meanwhile, this table's own decisions (its delivery ids are `msg_axum_<row>`).
    assert!(
        text.lines()
            .any(|l| l.contains("webhook decision") && l.contains("msg_axum_ok")),
        "this table's decisions are logged"
    );
    for canary in [CANARY_BODY, SECRET, &SECRET[6..], TENANT_SECRET] {
        assert!(!text.contains(canary), "log leaked {canary}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_addresses_in_one_prefix_share_a_bucket() {
    let app = start_axum().await;
    ipv6_prefix_shares_a_bucket(&app).await;
}
