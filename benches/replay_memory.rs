//! MemoryStore throughput (claim + complete, 2 threads) side by side with a bare DashMap
//! insert-if-absent, and resident memory with 1 000 000 retained ids.
//!
//! `cargo bench --bench replay_memory`

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dashmap::DashMap;
use hookguard::DeliveryId;
use hookguard::replay::{BodyDigest, Claim, MemoryStore, ReplayKey, ReplayStore};

const THREADS: usize = 2;
const OPS_PER_THREAD: usize = 500_000;
const ROUNDS: usize = 5;

/// The body digest every claim here is made with (one body per key).
fn digest() -> BodyDigest {
    BodyDigest::of(b"{}")
}

fn keys(thread: usize, round: usize) -> Vec<ReplayKey> {
    (0..OPS_PER_THREAD)
        .map(|n| {
            let id = DeliveryId::new(&format!("msg_{round}_{thread}_{n:08}")).unwrap();
            hookguard::danger::trusted_replay_key("tenant", "standard-webhooks", &id).unwrap()
        })
        .collect()
}

/// Polls a store future that is ready at once (MemoryStore never awaits).
fn ready<T>(f: impl std::future::Future<Output = T>) -> T {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => unreachable!("MemoryStore futures are ready at once"),
    }
}

fn run_threads(work: impl Fn(usize) -> Duration + Sync) -> f64 {
    let elapsed = std::thread::scope(|s| {
        let work = &work;
        let handles: Vec<_> = (0..THREADS).map(|t| s.spawn(move || work(t))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .max()
            .unwrap()
    });
    (THREADS * OPS_PER_THREAD) as f64 / elapsed.as_secs_f64()
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let lease = Duration::from_secs(60);
    let retain = Duration::from_secs(3 * 24 * 3600);
    // RSS first, in a fresh process: freed memory from the rounds below would be reused.
    let before = rss_kib();
    let store = MemoryStore::builder().max_entries(1_100_000).build();
    for n in 0..1_000_000usize {
        let id = DeliveryId::new(&format!("msg_{n:012}")).unwrap();
        let k = hookguard::danger::trusted_replay_key("tenant", "standard-webhooks", &id).unwrap();
        let Claim::Claimed { token, .. } = ready(store.claim(&k, &digest(), lease)).unwrap() else {
            panic!()
        };
        ready(store.complete(&k, &token, retain)).unwrap();
    }
    let after = rss_kib();
    assert_eq!(store.len(), 1_000_000);
    println!(
        "RSS growth with 1 000 000 retained ids: {:.1} MiB ({} bytes/id)",
        (after - before) as f64 / 1024.0,
        (after - before) * 1024 / 1_000_000
    );
    drop(store);
    println!();

    let mut ours = Vec::new();
    let mut bare = Vec::new();
    for round in 0..ROUNDS {
        let key_sets: Vec<Vec<ReplayKey>> = (0..THREADS).map(|t| keys(t, round)).collect();
        let text_sets: Vec<Vec<String>> = key_sets
            .iter()
            .map(|ks| ks.iter().map(|k| k.as_str().to_owned()).collect())
            .collect();

        let store = MemoryStore::builder()
            .max_entries(THREADS * OPS_PER_THREAD * 2)
            .build();
        ours.push(run_threads(|t| {
            let start = Instant::now();
            for k in &key_sets[t] {
                let Claim::Claimed { token, .. } = ready(store.claim(k, &digest(), lease)).unwrap()
                else {
                    panic!("fresh key not claimed")
                };
                assert!(ready(store.complete(k, &token, retain)).unwrap());
            }
            start.elapsed()
        }));

        let map: Arc<DashMap<String, u64>> = Arc::new(DashMap::new());
        bare.push(run_threads(|t| {
            let start = Instant::now();
            for k in &text_sets[t] {
                // insert-if-absent: the floor for any claim.
                let inserted = map.entry(k.clone()).or_insert(1);
                black_box(*inserted);
            }
            start.elapsed()
        }));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (o, b) = (median(&mut ours), median(&mut bare));
    println!("| what | ops/s (median of {ROUNDS}, {THREADS} threads) |");
    println!("|---|---|");
    println!("| MemoryStore claim+complete | {o:.0} |");
    println!("| DashMap<String,_> insert-if-absent | {b:.0} |");
    println!("| ratio MemoryStore / DashMap | {:.2} |", o / b);
}
