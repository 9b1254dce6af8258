//! Durable receipts per second and acknowledgement latency of the inbox's group commit, at
//! 1, 16 and 64 concurrent senders with 1 KiB bodies, side by side with:
//!
//! - (a) `fsync`: the physical floor, a bare loop of 1 KiB append + fsync on the same disk;
//! - (b) `redb/txn`: redb with one write transaction (one fsync) per receipt, dedupe read
//!   included, the senders as threads;
//! - (c) `sqlite`: SQLite in WAL mode with `synchronous=FULL`, one row per transaction
//!   (`BEGIN IMMEDIATE; INSERT … ON CONFLICT DO NOTHING; COMMIT`), the senders as threads,
//!   each with its own connection. Driven through `python3` and its standard `sqlite3`
//!   module, so that SQLite's C source is not compiled into every `cargo test` (dev
//!   dependencies are built for tests too); the Python loop times the same thing.
//! - `inbox`: `Inbox::receive` of verified receipts (signed and verified before the clock
//!   starts), the senders as Tokio tasks.
//!
//! ```text
//! cargo bench --features inbox --bench inbox_commit
//! INBOX_BENCH_DIR=/path/on/the/disk INBOX_BENCH_SCALE=0.5 cargo bench ... # fewer receipts
//! ```
//!
//! Prints a markdown table of the figures and one of the ratios the issue sets targets for.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hookguard::inbox::{Inbox, Receipt, Received};
use hookguard::{Delivery, Provider, Signer, Verifier};

const BODY: usize = 1024;
const LEVELS: [usize; 3] = [1, 16, 64];

/// Throughput and latency of one run.
#[derive(Clone, Copy)]
struct Figures {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

impl Figures {
    fn from_latencies(mut latencies: Vec<Duration>, elapsed: Duration) -> Self {
        latencies.sort();
        let at = |q: usize| latencies[(latencies.len() * q / 100).min(latencies.len() - 1)];
        Self {
            per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
            p50: at(50),
            p99: at(99),
        }
    }
}

fn scale() -> f64 {
    std::env::var("INBOX_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0)
}

/// Receipts per run at `senders`.
fn count(senders: usize) -> usize {
    let base = match senders {
        1 => 1000,
        16 => 4000,
        _ => 8000,
    };
    ((base as f64 * scale()) as usize).max(senders * 4)
}

fn dir() -> PathBuf {
    std::env::var_os("INBOX_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
}

fn fresh(name: &str) -> PathBuf {
    let path = dir().join(format!("hookguard-bench-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// (a) One thread: append 1 KiB, fsync, repeat.
fn bare_fsync(n: usize) -> Figures {
    let path = fresh("fsync.log");
    let mut file = std::fs::File::options()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap();
    let block = vec![b'x'; BODY];
    let mut latencies = Vec::with_capacity(n);
    let start = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        file.write_all(&block).unwrap();
        file.sync_all().unwrap();
        latencies.push(t.elapsed());
    }
    let figures = Figures::from_latencies(latencies, start.elapsed());
    let _ = std::fs::remove_file(&path);
    figures
}

/// (b) redb, one write transaction per receipt: dedupe read, insert, commit (fsync).
fn redb_per_txn(senders: usize, n: usize) -> Figures {
    const TABLE: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("naive");
    let path = fresh("naive.redb");
    let db = Arc::new(redb::Database::create(&path).unwrap());
    let body = vec![b'x'; BODY];
    let start = Instant::now();
    let threads: Vec<_> = (0..senders)
        .map(|k| {
            let (db, body) = (db.clone(), body.clone());
            std::thread::spawn(move || {
                let mut latencies = Vec::new();
                for i in (k..n).step_by(senders) {
                    let t = Instant::now();
                    let tx = db.begin_write().unwrap();
                    {
                        use redb::ReadableTable as _;
                        let mut table = tx.open_table(TABLE).unwrap();
                        let id = format!("msg_{i}");
                        if table.get(id.as_str()).unwrap().is_none() {
                            table.insert(id.as_str(), body.as_slice()).unwrap();
                        }
                    }
                    tx.commit().unwrap();
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let latencies = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let figures = Figures::from_latencies(latencies, start.elapsed());
    drop(db);
    let _ = std::fs::remove_file(&path);
    figures
}

/// (c) SQLite, WAL, `synchronous=FULL`, one row per transaction, through Python's stdlib.
const SQLITE: &str = r#"
import json, os, sqlite3, sys, threading, time
path, senders, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
for suffix in ("", "-wal", "-shm"):
    try:
        os.remove(path + suffix)
    except FileNotFoundError:
        pass
setup = sqlite3.connect(path, isolation_level=None)
setup.execute("PRAGMA journal_mode=WAL")
setup.execute("CREATE TABLE inbox (id TEXT PRIMARY KEY, digest BLOB, body BLOB, state INTEGER)")
body, digest = b"x" * size, b"d" * 32
latencies, lock = [], threading.Lock()
def sender(k):
    c = sqlite3.connect(path, isolation_level=None, timeout=120, check_same_thread=False)
    c.execute("PRAGMA synchronous=FULL")
    mine = []
    for i in range(k, count, senders):
        t = time.perf_counter()
        c.execute("BEGIN IMMEDIATE")
        c.execute("INSERT INTO inbox VALUES (?, ?, ?, 1) ON CONFLICT(id) DO NOTHING",
                  ("msg_%d" % i, digest, body))
        c.execute("COMMIT")
        mine.append(time.perf_counter() - t)
    with lock:
        latencies.extend(mine)
threads = [threading.Thread(target=sender, args=(k,)) for k in range(senders)]
start = time.perf_counter()
for t in threads: t.start()
for t in threads: t.join()
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "latencies": latencies}))
for suffix in ("", "-wal", "-shm"):
    os.remove(path + suffix)
"#;

fn sqlite(senders: usize, n: usize) -> Option<Figures> {
    let path = fresh("sqlite.db");
    let output = Command::new("python3")
        .args(["-c", SQLITE])
        .arg(&path)
        .args([senders.to_string(), n.to_string(), BODY.to_string()])
        .output()
        .ok()?;
    if !output.status.success() {
        eprintln!(
            "sqlite run failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        return None;
    }
    let parsed: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    let latencies = parsed["latencies"]
        .as_array()?
        .iter()
        .filter_map(|v| v.as_f64())
        .map(Duration::from_secs_f64)
        .collect();
    let elapsed = Duration::from_secs_f64(parsed["seconds"].as_f64()?);
    Some(Figures::from_latencies(latencies, elapsed))
}

/// `n` verified Standard Webhooks receipts with distinct ids and 1 KiB bodies.
fn receipts(n: usize) -> Vec<Receipt> {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let signer = Signer::new(Provider::StandardWebhooks, secret).unwrap();
    let verifier = Verifier::builder(Provider::StandardWebhooks)
        .secret(secret)
        .build()
        .unwrap();
    let uri = "/hook".parse().unwrap();
    (0..n)
        .map(|i| {
            let mut body = format!("{{\"n\":{i},\"pad\":\"");
            body.push_str(&"x".repeat(BODY - body.len() - 2));
            body.push_str("\"}");
            let body = Bytes::from(body);
            let headers = signer
                .sign(&Delivery::new(body.clone()).id(format!("msg_{i}")))
                .unwrap();
            let verified = verifier
                .verify(&http::Method::POST, &uri, &headers, &body)
                .unwrap();
            let kept = headers.iter().map(|(n, v)| (n.clone(), v.clone()));
            Receipt::new("bench", "", &verified, body)
                .unwrap()
                .headers(kept)
        })
        .collect()
}

/// The inbox: `senders` tasks, each receiving its share, one after another.
fn inbox(senders: usize, batch: Vec<Receipt>) -> Figures {
    let path = fresh("inbox.redb");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let figures = runtime.block_on(async {
        let inbox = Inbox::open(&path).unwrap();
        let mut shares: Vec<Vec<Receipt>> = vec![Vec::new(); senders];
        for (i, r) in batch.into_iter().enumerate() {
            shares[i % senders].push(r);
        }
        let start = Instant::now();
        let tasks: Vec<_> = shares
            .into_iter()
            .map(|share| {
                let inbox = inbox.clone();
                tokio::spawn(async move {
                    let mut latencies = Vec::with_capacity(share.len());
                    for r in share {
                        let t = Instant::now();
                        let answer = inbox.receive(r).await;
                        assert!(matches!(answer, Ok(Received::Committed(_))), "{answer:?}");
                        latencies.push(t.elapsed());
                    }
                    latencies
                })
            })
            .collect();
        let mut latencies = Vec::new();
        for task in tasks {
            latencies.extend(task.await.unwrap());
        }
        Figures::from_latencies(latencies, start.elapsed())
    });
    let _ = std::fs::remove_file(&path);
    figures
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn row(senders: usize, system: &str, f: &Figures) {
    println!(
        "| {senders} | {system} | {:.0} | {} | {} |",
        f.per_second,
        ms(f.p50),
        ms(f.p99)
    );
}

struct Level {
    senders: usize,
    inbox: Figures,
    redb: Figures,
    sqlite: Option<Figures>,
}

fn main() {
    eprintln!("inbox_commit: files in {}", dir().display());
    let floor = bare_fsync(count(1));
    println!("\n| senders | system | receipts/s | ack p50 | ack p99 |\n|---|---|---|---|---|");
    row(1, "(a) fsync 1 KiB append", &floor);
    let mut levels = Vec::new();
    for senders in LEVELS {
        let n = count(senders);
        let batch = receipts(n);
        let level = Level {
            senders,
            inbox: inbox(senders, batch),
            redb: redb_per_txn(senders, n),
            sqlite: sqlite(senders, n),
        };
        row(senders, "inbox (group commit)", &level.inbox);
        row(senders, "(b) redb, txn per receipt", &level.redb);
        match &level.sqlite {
            Some(f) => row(senders, "(c) sqlite WAL FULL (python3)", f),
            None => println!("| {senders} | (c) sqlite | (python3 unavailable) | | |"),
        }
        levels.push(level);
    }
    ratios(&floor, &levels);
}

fn ratios(floor: &Figures, levels: &[Level]) {
    println!(
        "\n| senders | inbox ÷ (b) receipts/s | inbox ÷ (c) receipts/s | inbox ÷ (a) receipts/s | inbox ack p99 ÷ (a) fsync p50 | inbox ack p99 ÷ (a) fsync p99 |\n|---|---|---|---|---|---|"
    );
    for l in levels {
        let vs_c = l.sqlite.map_or("n/a".to_owned(), |c| {
            format!("{:.1}×", l.inbox.per_second / c.per_second)
        });
        println!(
            "| {} | {:.1}× | {vs_c} | {:.2}× | {:.1}× | {:.1}× |",
            l.senders,
            l.inbox.per_second / l.redb.per_second,
            l.inbox.per_second / floor.per_second,
            l.inbox.p99.as_secs_f64() / floor.p50.as_secs_f64(),
            l.inbox.p99.as_secs_f64() / floor.p99.as_secs_f64(),
        );
    }
    println!(
        "\nTargets (issue 19): at 64 senders inbox ≥ 10× (b) and ≥ 10× (c), ack p99 ≤ 3× one fsync; at 1 sender within 1.5× of the bare fsync (inbox ÷ (a) ≥ 0.67)."
    );
}
