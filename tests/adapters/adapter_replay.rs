//! The replay issue's race and failure-repair scenarios through both adapters, over real
//! loopback HTTP.
#![cfg(all(feature = "actix-web", feature = "axum"))]

use std::sync::Arc;

use crate::scenarios::*;
use crate::{apps, quiet_expected_panics};

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

/// The handler fails (500, panic, timeout) on attempt 1; a copy inside the cool-down is 409;
/// the provider's retry after it (same id and body, new timestamp and signature) runs it; a
/// further retry is a duplicate. 0 lost, 0 run twice.
async fn repair(app: &TestApp, salt: &str, trials: usize) {
    let now = unix_now();
    for trial in 0..trials {
        let id = format!("msg_{salt}_repair_{trial}");
        let failing = match trial % 3 {
            0 => r#"{"fail":true,"times":1}"#,
            1 => r#"{"panic":true,"times":1}"#,
            _ => r#"{"sleep_ms":2000,"times":1}"#,
        };
        let attempt = |ts: i64| {
            Req::new("127.0.0.61")
                .path("/race")
                .signed_with(SECRET, &id, ts, failing)
        };
        let first = send(app.addr, &attempt(now)).await;
        let expected = match trial % 3 {
            0 | 1 => 500,
            _ => 503,
        };
        assert_eq!(first.status, expected, "{salt} trial {trial} first attempt");
        let before = app.log.runs();
        let copy = send(app.addr, &attempt(now + 1)).await;
        assert_eq!(
            (copy.status, copy.header("retry-after")),
            (409, Some("1")),
            "{salt} trial {trial}: a copy inside the cool-down"
        );
        replay_clock().advance(hookguard::replay::DEFAULT_FAILURE_BACKOFF);
        assert_eq!(
            send(app.addr, &attempt(now + 2)).await.status,
            204,
            "{salt} trial {trial}: retry runs"
        );
        assert_eq!(
            send(app.addr, &attempt(now + 3)).await.status,
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

/// 20 copies of a delivery whose handler always fails, sent together, three times with the
/// clock moved past each cool-down in between: the handler runs once per round, every other
/// copy is a 409 (in flight or cooling down). Without the cool-down every copy arriving after
/// a failure would run it again.
async fn failing_copies(app: &TestApp, salt: &str) {
    let id = format!("msg_{salt}_amplify");
    let before = app.log.runs();
    for round in 0..3u32 {
        let copies: Vec<_> = (0..20)
            .map(|n| {
                let mut req = Req::new("127.0.0.62")
                    .path("/race")
                    .signed(&id, r#"{"fail":true,"sleep_ms":50}"#);
                req.from = format!("127.0.62.{}", 1 + n).parse().unwrap();
                let addr = app.addr;
                tokio::spawn(async move { send(addr, &req).await })
            })
            .collect();
        let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
        for copy in copies {
            *statuses.entry(copy.await.unwrap().status).or_default() += 1;
        }
        assert_eq!(
            (statuses.get(&500), statuses.get(&409)),
            (Some(&1), Some(&19)),
            "{salt} round {round}: {statuses:?}"
        );
        assert_eq!(app.log.runs() - before, round as usize + 1, "{salt}");
        replay_clock().advance(hookguard::replay::DEFAULT_FAILURE_BACKOFF * 2u32.pow(round));
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_copies_run_the_handler_once_per_cool_down_on_both_adapters() {
    failing_copies(&apps::start_axum().await, "axum").await;
    failing_copies(&apps::start_actix(), "actix").await;
}
