//! Redis down → 503 + Retry-After through both adapters, no handler run without a claim, and
//! recovery without restarting the process; the outage's deliveries then run exactly once.
#![cfg(all(feature = "redis", feature = "axum", feature = "actix-web"))]

use std::time::{Duration, Instant};

use hookguard::pipeline::Pipeline;
use hookguard::ratelimit::RateLimit;
use hookguard::replay::{RedisStore, ReplayGuard};

use crate::scenarios::*;
use crate::{apps, redis_support};

async fn pipeline_on(url: &str, prefix: &str) -> Pipeline {
    let store = RedisStore::builder(url)
        .key_prefix(prefix)
        .response_timeout(Duration::from_millis(300))
        .connection_timeout(Duration::from_millis(300))
        .build()
        .await
        .unwrap();
    Pipeline::builder(verifier())
        .replay(
            ReplayGuard::builder(store)
                .store_timeout(Duration::from_millis(500))
                .build()
                .unwrap(),
        )
        .rate_limit(RateLimit::per_second(100_000).unwrap())
        .failure_rate_limit(RateLimit::per_second(100_000).unwrap())
        .build()
        .unwrap()
}

async fn outage(app: &TestApp, redis: &mut redis_support::RedisServer, salt: &str) {
    let body = r#"{"type":"x"}"#;
    let ok = send(
        app.addr,
        &Req::new("127.0.0.80").signed(&format!("msg_{salt}_before"), body),
    )
    .await;
    assert_eq!(ok.status, 204, "{salt}: before the outage");

    redis.kill();
    let mut outage_ids = Vec::new();
    for n in 0..10 {
        let id = format!("msg_{salt}_outage_{n}");
        let before = app.log.runs();
        let r = send(app.addr, &Req::new("127.0.0.80").signed(&id, body)).await;
        assert_eq!(
            (r.status, r.code().as_deref()),
            (503, Some("unavailable")),
            "{salt}: during the outage"
        );
        let wait: u64 = r
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .unwrap();
        assert!(wait >= 1);
        assert_eq!(
            app.log.runs(),
            before,
            "{salt}: no handler run without a claim"
        );
        outage_ids.push(id);
    }

    redis.restart();
    let back = Instant::now();
    loop {
        let r = send(
            app.addr,
            &Req::new("127.0.0.80").signed(
                &format!("msg_{salt}_probe_{}", back.elapsed().as_millis()),
                body,
            ),
        )
        .await;
        if r.status == 204 {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "{salt}: not recovered within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "{salt}: recovered {} ms after redis restarted",
        back.elapsed().as_millis()
    );

    // The provider retries every delivery refused during the outage (new timestamp each time):
    // each runs once, and a second retry is a duplicate.
    let now = unix_now();
    for id in &outage_ids {
        let before = app.log.runs();
        let retry = Req::new("127.0.0.80").signed_with(SECRET, id, now + 1, body);
        assert_eq!(send(app.addr, &retry).await.status, 204);
        let again = Req::new("127.0.0.80").signed_with(SECRET, id, now + 2, body);
        assert_eq!(send(app.addr, &again).await.status, 200);
        assert_eq!(app.log.runs() - before, 1, "{salt}: {id} ran exactly once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_is_503_and_recovers_on_both_adapters() {
    let mut redis = redis_support::RedisServer::start();
    let axum = apps::start_axum_with(pipeline_on(&redis.url(), "axum:").await).await;
    outage(&axum, &mut redis, "axum").await;
    let actix = apps::start_actix_with(pipeline_on(&redis.url(), "actix:").await);
    outage(&actix, &mut redis, "actix").await;
}
