//! The replay issue's race and failure-repair scenarios through both adapters, over real
//! loopback HTTP.
#![cfg(all(feature = "actix-web", feature = "axum"))]

#[path = "support/apps.rs"]
mod apps;
#[path = "support/scenarios.rs"]
mod scenarios;

use std::sync::Arc;

use scenarios::*;

/// 100 identical copies released together by a barrier, 200 times: one handler run each.
async fn race(app: &TestApp, salt: &str, trials: usize) {
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for trial in 0..trials {
        let req = Req::new("127.0.0.60")
            .path("/race")
            .signed(&format!("msg_{salt}_race_{trial}"), r#"{"type":"x"}"#);
        let before = app.log.runs();
        let barrier = Arc::new(tokio::sync::Barrier::new(100));
        let tasks: Vec<_> = (0..100)
            .map(|n| {
                let (addr, barrier) = (app.addr, barrier.clone());
                let mut req = req.clone();
                req.from = format!("127.0.{}.{}", 70 + n / 200, 1 + n % 200)
                    .parse()
                    .unwrap();
                tokio::spawn(async move {
                    barrier.wait().await;
                    send(addr, &req).await.status
                })
            })
            .collect();
        for t in tasks {
            *statuses.entry(t.await.unwrap()).or_default() += 1;
        }
        assert_eq!(
            app.log.runs() - before,
            1,
            "{salt} trial {trial}: handler runs"
        );
    }
    println!("{salt}: {trials} races, statuses {statuses:?}");
    assert_eq!(statuses.get(&204), Some(&trials));
    assert_eq!(
        statuses
            .keys()
            .copied()
            .collect::<Vec<_>>()
            .iter()
            .filter(|s| ![200, 204, 409].contains(s))
            .count(),
        0
    );
}

/// Keeps the expected handler panics out of the output; any other panic is still printed.
fn quiet_expected_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !info.to_string().contains("test handler panics") {
            default(info);
        }
    }));
}

/// The handler fails (500, panic, timeout) on attempt 1; the provider's retry (same id, new
/// timestamp and signature) runs it; a further retry is a duplicate. 0 lost, 0 run twice.
async fn repair(app: &TestApp, salt: &str, trials: usize) {
    let now = unix_now();
    for trial in 0..trials {
        let id = format!("msg_{salt}_repair_{trial}");
        let failing = match trial % 3 {
            0 => r#"{"fail":true}"#,
            1 => r#"{"panic":true}"#,
            _ => r#"{"sleep_ms":2000}"#,
        };
        let first = send(
            app.addr,
            &Req::new("127.0.0.61").path("/race").signed(&id, failing),
        )
        .await;
        let expected = match trial % 3 {
            0 | 1 => 500,
            _ => 503,
        };
        assert_eq!(first.status, expected, "{salt} trial {trial} first attempt");
        let before = app.log.runs();
        let retry = Req::new("127.0.0.61").path("/race").signed_with(
            SECRET,
            &id,
            now + 1,
            r#"{"type":"x"}"#,
        );
        assert_eq!(
            send(app.addr, &retry).await.status,
            204,
            "{salt} trial {trial}: retry runs"
        );
        let again = Req::new("127.0.0.61").path("/race").signed_with(
            SECRET,
            &id,
            now + 2,
            r#"{"type":"x"}"#,
        );
        assert_eq!(
            send(app.addr, &again).await.status,
            200,
            "{salt} trial {trial}: then duplicate"
        );
        assert_eq!(
            app.log.runs() - before,
            1,
            "{salt} trial {trial}: exactly one successful run"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn races_run_the_handler_once_on_both_adapters() {
    let trials = std::env::var("RACE_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    race(&apps::start_axum().await, "axum", trials).await;
    race(&apps::start_actix(), "actix", trials).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_attempts_are_repaired_by_the_retry_on_both_adapters() {
    quiet_expected_panics();
    let trials = std::env::var("REPAIR_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    repair(&apps::start_axum().await, "axum", trials).await;
    repair(&apps::start_actix(), "actix", trials).await;
}
