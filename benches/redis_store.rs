//! `RedisStore` throughput and latency against a real `redis-server`, next to
//! `redis-benchmark -t set` on the same server.
//!
//! One operation is what the guard does for a delivery that succeeds: `claim` (one Lua
//! script: `SET NX PX`) then `complete` (one compare-owner Lua script), two round trips,
//! each under the store's timeout. 64 tasks share one `RedisStore` (one multiplexed
//! connection). `redis-benchmark` runs plain `SET` with 64 clients (64 connections), one
//! round trip each.
//!
//! Run with `cargo bench --features redis --bench redis_store`; `HOOKGUARD_BENCH_OPS`
//! sets the number of operations (default 100 000). Needs `redis-server` and
//! `redis-benchmark` (`apt-get install -y redis-server`). Only 127.0.0.1 is used.

#![cfg(feature = "redis")]

#[path = "../tests/support/redis.rs"]
mod redis_support;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hookguard::DeliveryId;
use hookguard::replay::{BodyDigest, Claim, RedisStore, ReplayKey, ReplayStore};
use redis_support::RedisServer;

const TASKS: usize = 64;

/// The body digest every claim here is made with (one body per key).
fn digest() -> BodyDigest {
    BodyDigest::of(b"{}")
}

fn key(n: usize) -> ReplayKey {
    let id = DeliveryId::new(&format!("msg_{n}")).expect("valid id");
    hookguard::danger::trusted_replay_key("bench", "standard-webhooks", &id).expect("valid key")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

/// `SET: 123456.79 requests per second, p50=0.263 msec` → (rps, p50 text), with `clients`
/// connections.
fn redis_benchmark(port: u16, ops: usize, clients: usize) -> Option<(f64, String)> {
    let output = Command::new("redis-benchmark")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args([
            "-t",
            "set",
            "-q",
            "-n",
            &ops.to_string(),
            "-c",
            &clients.to_string(),
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    // -q prints progress with carriage returns; the last segment holds the result.
    let line = text
        .split(['\r', '\n'])
        .rfind(|l| l.contains("requests per second"))?;
    let rps = line
        .split_whitespace()
        .find_map(|w| w.parse::<f64>().ok())?;
    let p50 = line
        .split("p50=")
        .nth(1)
        .map(|rest| rest.trim().trim_end_matches("msec").trim().to_owned())
        .unwrap_or_else(|| "?".to_owned());
    Some((rps, p50))
}

async fn run(store: RedisStore, ops: usize) -> (Duration, Vec<Duration>) {
    let lease = Duration::from_secs(60);
    let retain = Duration::from_secs(600);
    let store = Arc::new(store);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for task in 0..TASKS {
        let store = store.clone();
        tasks.spawn(async move {
            let mut latencies = Vec::with_capacity(ops / TASKS + 1);
            for n in (task..ops).step_by(TASKS) {
                let key = key(n);
                let t = Instant::now();
                let Claim::Claimed { token, .. } =
                    store.claim(&key, &digest(), lease).await.expect("claim")
                else {
                    panic!("msg_{n} was not claimed: keys must be fresh");
                };
                assert!(
                    store
                        .complete(&key, &token, retain)
                        .await
                        .expect("complete")
                );
                latencies.push(t.elapsed());
            }
            latencies
        });
    }
    let mut all = Vec::with_capacity(ops);
    while let Some(latencies) = tasks.join_next().await {
        all.extend(latencies.expect("bench task"));
    }
    (started.elapsed(), all)
}

fn main() {
    let ops: usize = std::env::var("HOOKGUARD_BENCH_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
        .max(TASKS);
    let server = RedisServer::start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");

    let (elapsed, mut latencies) = runtime.block_on(async {
        let store = RedisStore::builder(server.url())
            .response_timeout(Duration::from_secs(5))
            .build()
            .await
            .expect("store");
        // Warm-up: loads the scripts and the connection, on keys the run does not use.
        let warm = (ops..ops + 1000).map(key).collect::<Vec<_>>();
        for k in &warm {
            if let Claim::Claimed { token, .. } = store
                .claim(k, &digest(), Duration::from_secs(60))
                .await
                .expect("warm-up")
            {
                store
                    .complete(k, &token, Duration::from_secs(60))
                    .await
                    .expect("warm-up");
            }
        }
        // One task alone: the latency a single delivery sees (two round trips), without
        // the queueing of 64 tasks sharing one connection.
        let mut alone = Vec::with_capacity(5000);
        for n in 0..5000 {
            let k = key(ops + 1000 + n);
            let start = std::time::Instant::now();
            if let Claim::Claimed { token, .. } = store
                .claim(&k, &digest(), Duration::from_secs(60))
                .await
                .expect("claim")
            {
                store
                    .complete(&k, &token, Duration::from_secs(60))
                    .await
                    .expect("complete");
            }
            alone.push(start.elapsed());
        }
        alone.sort_unstable();
        println!(
            "one task alone, 5000 claim+complete: p50 {} ms, p99 {} ms",
            ms(percentile(&alone, 0.50)),
            ms(percentile(&alone, 0.99))
        );
        run(store, ops).await
    });
    latencies.sort_unstable();
    assert_eq!(latencies.len(), ops);
    assert_eq!(server.dbsize(), (ops + 6000) as i64, "one key per delivery");
    let store_rps = ops as f64 / elapsed.as_secs_f64();

    server.flushall();
    let baseline = redis_benchmark(server.port(), ops, TASKS);

    println!(
        "redis-server on 127.0.0.1:{}, {ops} operations, {TASKS} concurrent\n",
        server.port()
    );
    println!("| what | ops/s | Redis commands/s | p50 ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| RedisStore claim+complete (1 connection, {TASKS} tasks) | {:.0} | {:.0} | {} | {} |",
        store_rps,
        store_rps * 2.0,
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.99)),
    );
    if let Some((rps, p50)) = redis_benchmark(server.port(), 20_000, 1) {
        println!("\nredis-benchmark -t set -c 1: {rps:.0} SET/s, p50 {p50} ms (one round trip)");
    }
    match baseline {
        Some((rps, p50)) => println!(
            "| redis-benchmark -t set -c {TASKS} ({TASKS} connections) | {rps:.0} | {rps:.0} | {p50} | - |"
        ),
        None => println!("| redis-benchmark -t set | not run (redis-benchmark missing?) | | | |"),
    }
}
