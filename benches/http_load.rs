//! HTTP load over real loopback HTTP/1.1 (keep-alive), one process, one run:
//!
//! - `bare`: an axum handler that takes the body as `Bytes` and answers 204;
//! - `guarded`: the same handler behind `WebhookLayer` (Standard Webhooks verification,
//!   replay protection in a `MemoryStore`, rate limit on at 1 000 000/s so it never refuses);
//! - `axum-sw`: the same handler with `axum_standardwebhooks::StandardWebhook<Bytes>`
//!   (verification only: no replay protection, no rate limit);
//! - `actix-bare` (feature `actix-web`): an actix-web handler that takes the body as
//!   `web::Bytes` and answers 204, served by `HttpServer` with 1 worker on a thread of its own
//!   (`actix_web::rt::System`);
//! - `actix-guarded` (feature `actix-web`): the same handler behind `WebhookGuard`, with the
//!   same pipeline configuration as `guarded`;
//! - `actix-hmac-floor` (feature `actix-web`): `actix-bare`'s
//!   handler with the hand-written check of `hmac-floor` below.
//!
//! Optional breakdown targets (`HTTP_LOAD_TARGETS`): `guarded-no-ratelimit` (rate limiter
//! off), `guarded-noop-store` (a replay store that grants every claim and stores nothing),
//! `guarded-json` (extracts `Webhook<serde_json::Value>` instead of `Bytes`), and
//! `hmac-floor`: the bare handler, which first checks the Standard Webhooks signature by hand
//! (one `Hmac<Sha256>` keyed once and cloned per request, over `{id}.{timestamp}.{body}`,
//! the `v1,` value base64-decoded and compared with `verify_slice`) and nothing else: no
//! timestamp window, no replay store, no rate limit, no log line. It is the cost any guard
//! that verifies this delivery must pay, so `hmac-floor / bare` bounds every verifying
//! guard's throughput ratio in this benchmark.
//!
//! Every request of a run carries a unique, pre-signed `webhook-id` (signed before the
//! timing starts, with the current timestamp), so the replay store inserts one entry per
//! request. Each run has a fresh store, so the pool is reused by the following runs (reset
//! to its start) and signed again when older than 120 s or too small. The
//! server runs on its own tokio runtime, the client (hyper `client::conn::http1`, one
//! connection per task, one request in flight per connection) on another. Only 127.0.0.1.
//!
//! Besides req/s and latency it reports, from `/proc/<pid>/task/<tid>/schedstat` (Linux),
//! the CPU time the server's runtime threads spent per answered request, and how much of the
//! window they were runnable but waiting for a CPU (other processes on the machine): on a
//! shared machine CPU µs/request is the steadier measure of cost.
//!
//! For the actix targets the server CPU is the sum over the actix worker thread, the
//! acceptor thread and the thread running the `System` (the latter two are listed apart as
//! "aux"; the axum runtime accepts on its worker thread).
//!
//! Environment (defaults take about 80 s on 2 cores with `axum` only, about 140 s with
//! `actix-web` too):
//! - `HTTP_LOAD_SECS` (5): measured seconds per run, after `HTTP_LOAD_WARMUP_SECS` (1);
//! - `HTTP_LOAD_CONNS` (32): concurrent keep-alive connections;
//! - `HTTP_LOAD_REPS` (3): runs per target, interleaved (a, b, c, a, b, c, …);
//! - `HTTP_LOAD_TARGETS` (`bare,hmac-floor,guarded,axum-sw`, plus
//!   `actix-bare,actix-hmac-floor,actix-guarded` with the `actix-web` feature):
//!   comma-separated target list;
//! - `HTTP_LOAD_SERVER_THREADS` (1): tokio worker threads of the axum server, and actix
//!   workers; `HTTP_LOAD_CLIENT_THREADS` (1): tokio worker threads of the client;
//! - `HTTP_LOAD_RATE` (0): when > 0, an open-loop run at this many requests per second in
//!   total instead of as fast as the server answers: request `i` is due at `start + i / rate`,
//!   sent on the next free connection, and its latency counts from when it was due if it
//!   went out late because every connection was busy (a server that falls behind is charged
//!   for the queue: no coordinated omission), else from when it was sent (tokio's timer
//!   wakes on whole milliseconds; the client's oversleep is not the server's). This
//!   compares latency at the same offered load, below both servers' capacity; a run whose
//!   answered rate falls short of the offered one by more than 2 % is reported as saturated;
//! - `HTTP_LOAD_MAX_RPS` (150000): sizes the pre-signed pool (or 2× the best rate seen, if
//!   higher); running out is reported as an error.
//!
//! `cargo bench --bench http_load --features axum` or
//! `cargo bench --bench http_load --features axum,actix-web` (exits 1 if any answer was not
//! 204).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::FromRef;
use axum::routing::post;
use axum::serve::ListenerExt as _;
use bytes::Bytes;
use hookguard::axum::Webhook;
use hookguard::pipeline::{Pipeline, PipelineBuilder};
use hookguard::ratelimit::RateLimit;
use hookguard::replay::{
    BodyDigest, Claim, ClaimToken, MemoryStore, ReplayGuard, ReplayKey, ReplayStore, StoreFuture,
};
use hookguard::tower::WebhookLayer;
use hookguard::{Delivery, Provider, Signer, Verifier};
use http::{HeaderValue, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const BODY_LEN: usize = 1024;

// ---------------------------------------------------------------- configuration

struct Config {
    secs: f64,
    warmup: f64,
    conns: usize,
    reps: usize,
    targets: Vec<Target>,
    server_threads: usize,
    client_threads: usize,
    max_rps: f64,
    rate: f64,
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} does not parse")),
        Err(_) => default,
    }
}

impl Config {
    fn from_env() -> Self {
        let default_targets = if cfg!(feature = "actix-web") {
            "bare,hmac-floor,guarded,axum-sw,actix-bare,actix-hmac-floor,actix-guarded"
        } else {
            "bare,hmac-floor,guarded,axum-sw"
        };
        let targets = env("HTTP_LOAD_TARGETS", default_targets.to_owned())
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| Target::parse(s.trim()))
            .collect();
        Self {
            secs: env("HTTP_LOAD_SECS", 5.0),
            warmup: env("HTTP_LOAD_WARMUP_SECS", 1.0),
            conns: env("HTTP_LOAD_CONNS", 32usize).max(1),
            reps: env("HTTP_LOAD_REPS", 3usize).max(1),
            targets,
            server_threads: env("HTTP_LOAD_SERVER_THREADS", 1usize).max(1),
            client_threads: env("HTTP_LOAD_CLIENT_THREADS", 1usize).max(1),
            max_rps: env("HTTP_LOAD_MAX_RPS", 150_000.0),
            rate: env("HTTP_LOAD_RATE", 0.0),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Target {
    Bare,
    Guarded,
    AxumSw,
    GuardedNoRateLimit,
    GuardedNoopStore,
    GuardedJson,
    HmacFloor,
    ActixBare,
    ActixHmacFloor,
    ActixGuarded,
}

impl Target {
    fn parse(s: &str) -> Self {
        match s {
            "bare" => Self::Bare,
            "guarded" => Self::Guarded,
            "axum-sw" => Self::AxumSw,
            "guarded-no-ratelimit" => Self::GuardedNoRateLimit,
            "guarded-noop-store" => Self::GuardedNoopStore,
            "guarded-json" => Self::GuardedJson,
            "hmac-floor" => Self::HmacFloor,
            "actix-bare" | "actix-guarded" | "actix-hmac-floor" if !cfg!(feature = "actix-web") => {
                panic!("target {s:?} needs `--features axum,actix-web`")
            }
            "actix-bare" => Self::ActixBare,
            "actix-guarded" => Self::ActixGuarded,
            "actix-hmac-floor" => Self::ActixHmacFloor,
            other => panic!(
                "unknown target {other:?}: bare, guarded, axum-sw, guarded-no-ratelimit, guarded-noop-store, guarded-json, hmac-floor, actix-bare, actix-guarded, actix-hmac-floor"
            ),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Bare => "bare",
            Self::Guarded => "guarded",
            Self::AxumSw => "axum-sw",
            Self::GuardedNoRateLimit => "guarded-no-ratelimit",
            Self::GuardedNoopStore => "guarded-noop-store",
            Self::GuardedJson => "guarded-json",
            Self::HmacFloor => "hmac-floor",
            Self::ActixBare => "actix-bare",
            Self::ActixGuarded => "actix-guarded",
            Self::ActixHmacFloor => "actix-hmac-floor",
        }
    }
}

// ---------------------------------------------------------------- server

async fn handler(body: Bytes) -> StatusCode {
    std::hint::black_box(body.len());
    StatusCode::NO_CONTENT
}

async fn json_handler(payload: Webhook<serde_json::Value>) -> StatusCode {
    std::hint::black_box(&*payload);
    StatusCode::NO_CONTENT
}

/// The Standard Webhooks check and nothing else (see `hmac-floor` above), over the header
/// values `header` finds.
fn hand_check<'a>(header: impl Fn(&str) -> Option<&'a [u8]>, body: &[u8]) -> bool {
    use base64::Engine as _;
    use hmac::Mac as _;
    static KEY: std::sync::OnceLock<hmac::Hmac<sha2::Sha256>> = std::sync::OnceLock::new();
    let key = KEY.get_or_init(|| {
        let secret = base64::engine::general_purpose::STANDARD
            .decode(SECRET.trim_start_matches("whsec_"))
            .unwrap();
        hmac::Hmac::new_from_slice(&secret).unwrap()
    });
    let text = |name: &str| header(name).unwrap_or(b"");
    let mut mac = key.clone();
    mac.update(text("webhook-id"));
    mac.update(b".");
    mac.update(text("webhook-timestamp"));
    mac.update(b".");
    mac.update(body);
    let tag = text("webhook-signature")
        .strip_prefix(b"v1,")
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok());
    matches!(tag, Some(tag) if mac.verify_slice(&tag).is_ok())
}

async fn hmac_floor_handler(req: axum::extract::Request) -> StatusCode {
    // The request taken whole, so that the headers are read in place, not cloned.
    let (parts, body) = req.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 2 << 20).await else {
        return StatusCode::PAYLOAD_TOO_LARGE;
    };
    let headers = &parts.headers;
    if hand_check(|name| headers.get(name).map(HeaderValue::as_bytes), &body) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::UNAUTHORIZED
    }
}

async fn sw_handler(
    axum_standardwebhooks::StandardWebhook(body): axum_standardwebhooks::StandardWebhook<Bytes>,
) -> StatusCode {
    std::hint::black_box(body.len());
    StatusCode::NO_CONTENT
}

#[derive(Clone)]
struct SwState(axum_standardwebhooks::SharedWebhook);

impl FromRef<SwState> for axum_standardwebhooks::SharedWebhook {
    fn from_ref(state: &SwState) -> Self {
        state.0.clone()
    }
}

/// Grants every claim and remembers nothing: the replay guard's own work without a store.
struct NoopStore;

impl ReplayStore for NoopStore {
    fn claim<'a>(
        &'a self,
        _: &'a ReplayKey,
        _: &'a BodyDigest,
        _: Duration,
    ) -> StoreFuture<'a, Claim> {
        Box::pin(async {
            Ok(Claim::Claimed {
                token: ClaimToken::generate(),
                failures: 0,
            })
        })
    }
    fn complete<'a>(
        &'a self,
        _: &'a ReplayKey,
        _: &'a ClaimToken,
        _: Duration,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async { Ok(true) })
    }
    fn release<'a>(
        &'a self,
        _: &'a ReplayKey,
        _: &'a ClaimToken,
        _: Duration,
        _: Duration,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async { Ok(true) })
    }
}

/// A fresh pipeline (fresh rate limiter, fresh replay store) per run.
fn pipeline(target: Target) -> PipelineBuilder {
    let verifier = Verifier::builder(Provider::StandardWebhooks)
        .secret(SECRET)
        .build()
        .unwrap();
    let builder = Pipeline::builder(verifier)
        .rate_limit(RateLimit::per_second(1_000_000).unwrap().burst(1_000_000));
    match target {
        Target::GuardedNoRateLimit => builder.dangerous().disable_rate_limit(),
        Target::GuardedNoopStore => {
            builder.replay(ReplayGuard::builder(NoopStore).build().unwrap())
        }
        // The default store, spelled out.
        _ => builder.replay(
            ReplayGuard::builder(MemoryStore::default())
                .build()
                .unwrap(),
        ),
    }
}

fn layer(target: Target) -> WebhookLayer {
    pipeline(target).layer().unwrap()
}

fn app(target: Target) -> Router {
    match target {
        Target::Bare => Router::new().route("/webhook", post(handler)),
        Target::HmacFloor => Router::new().route("/webhook", post(hmac_floor_handler)),
        Target::AxumSw => Router::new()
            .route("/webhook", post(sw_handler))
            .with_state(SwState(axum_standardwebhooks::SharedWebhook::new(
                standardwebhooks::Webhook::new(SECRET).unwrap(),
            ))),
        Target::GuardedJson => {
            Router::new().route("/webhook", post(json_handler).layer(layer(target)))
        }
        Target::Guarded | Target::GuardedNoRateLimit | Target::GuardedNoopStore => {
            Router::new().route("/webhook", post(handler).layer(layer(target)))
        }
        Target::ActixBare | Target::ActixGuarded | Target::ActixHmacFloor => {
            unreachable!("not an axum target")
        }
    }
}

struct Server {
    addr: SocketAddr,
    /// `schedstat` files of the threads doing the HTTP work (runtime or actix workers).
    threads: Vec<String>,
    /// Other server threads (actix: acceptor and `System` thread), counted in the server CPU.
    aux_threads: Vec<String>,
    stop: Box<dyn FnOnce()>,
}

fn start_server(bench: &Bench, target: Target) -> Server {
    match target {
        #[cfg(feature = "actix-web")]
        Target::ActixBare | Target::ActixGuarded | Target::ActixHmacFloor => {
            actix_server::start(target, bench.cfg.server_threads)
        }
        _ => start_axum(&bench.server_rt, target),
    }
}

fn start_axum(rt: &tokio::runtime::Runtime, target: Target) -> Server {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = app(target);
    let done = rt.spawn(async move {
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    let handle = rt.handle().clone();
    Server {
        addr,
        threads: SERVER_THREADS.lock().unwrap().clone(),
        aux_threads: Vec::new(),
        stop: Box::new(move || {
            let _ = stop.send(());
            handle.block_on(async {
                if tokio::time::timeout(Duration::from_secs(5), done)
                    .await
                    .is_err()
                {
                    eprintln!("  warning: server did not shut down within 5 s");
                }
            });
        }),
    }
}

/// actix-web's server: its own thread running an `actix_web::rt::System`, `workers` worker
/// threads (each a single-threaded runtime) and actix-server's acceptor thread.
#[cfg(feature = "actix-web")]
mod actix_server {
    use super::*;
    use actix_web::{App, HttpResponse, HttpServer, web};
    use hookguard::actix::WebhookGuard;

    async fn handler(body: web::Bytes) -> HttpResponse {
        std::hint::black_box(body.len());
        HttpResponse::NoContent().finish()
    }

    /// `actix-hmac-floor`: `handler` plus the hand-written check, as `hmac-floor` for axum.
    async fn hmac_floor_handler(req: actix_web::HttpRequest, body: web::Bytes) -> HttpResponse {
        let headers = req.headers();
        if hand_check(|name| headers.get(name).map(|v| v.as_bytes()), &body) {
            HttpResponse::NoContent().finish()
        } else {
            HttpResponse::Unauthorized().finish()
        }
    }

    fn this_thread() -> Option<String> {
        let link = std::fs::read_link("/proc/thread-self").ok()?;
        Some(format!("/proc/{}/schedstat", link.display()))
    }

    /// actix-server names it "actix-server acceptor" (`comm` keeps 15 bytes).
    fn acceptor_threads() -> Vec<String> {
        let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
            return Vec::new();
        };
        dir.filter_map(Result::ok)
            .filter(|e| {
                std::fs::read_to_string(e.path().join("comm"))
                    .is_ok_and(|c| c.trim_end() == "actix-server ac")
            })
            .map(|e| format!("{}/schedstat", e.path().display()))
            .collect()
    }

    pub(super) fn start(target: Target, workers: usize) -> Server {
        let pipeline = match target {
            Target::ActixGuarded => Some(pipeline(Target::Guarded).build().unwrap()),
            _ => None,
        };
        let worker_threads = Arc::new(Mutex::new(Vec::<String>::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let registry = worker_threads.clone();
        let system = std::thread::Builder::new()
            .name("actix-system".into())
            .spawn(move || {
                let me = this_thread();
                let me_in_factory = me.clone();
                actix_web::rt::System::new().block_on(async move {
                    let server = HttpServer::new(move || {
                        // Called on each worker thread as it starts.
                        if let Some(path) = this_thread() {
                            let mut list = registry.lock().unwrap();
                            if Some(&path) != me_in_factory.as_ref() && !list.contains(&path) {
                                list.push(path);
                            }
                        }
                        let pipeline = pipeline.clone();
                        App::new().configure(move |c| {
                            let resource = web::resource("/webhook");
                            match pipeline {
                                Some(p) => c.service(
                                    resource
                                        .wrap(WebhookGuard::new(p))
                                        .route(web::post().to(handler)),
                                ),
                                None if target == Target::ActixHmacFloor => {
                                    c.service(resource.route(web::post().to(hmac_floor_handler)))
                                }
                                None => c.service(resource.route(web::post().to(handler))),
                            };
                        })
                    })
                    .workers(workers)
                    .tcp_nodelay(true)
                    .shutdown_timeout(5)
                    .disable_signals()
                    .bind("127.0.0.1:0")
                    .unwrap();
                    let addr = server.addrs()[0];
                    let server = server.run();
                    tx.send((addr, server.handle(), me)).unwrap();
                    server.await.unwrap();
                });
            })
            .unwrap();
        let (addr, handle, me) = rx.recv().unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        let (threads, acceptor) = loop {
            let threads = worker_threads.lock().unwrap().clone();
            let acceptor = acceptor_threads();
            if (threads.len() >= workers && !acceptor.is_empty()) || Instant::now() > deadline {
                break (threads, acceptor);
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        if threads.len() < workers || acceptor.is_empty() {
            eprintln!(
                "  warning: found {} actix worker thread(s) and {} acceptor(s)",
                threads.len(),
                acceptor.len()
            );
        }
        Server {
            addr,
            threads,
            aux_threads: me.into_iter().chain(acceptor).collect(),
            stop: Box::new(move || {
                let t0 = Instant::now();
                // Sends the command now; the server future (and the thread) end once stopped.
                drop(handle.stop(true));
                system.join().unwrap();
                if t0.elapsed() > Duration::from_secs(5) {
                    eprintln!(
                        "  warning: actix server took {:?} to shut down",
                        t0.elapsed()
                    );
                }
            }),
        }
    }
}

// ---------------------------------------------------------------- thread CPU accounting

/// `/proc/<pid>/task/<tid>/schedstat` of each runtime's threads (Linux; empty elsewhere).
static SERVER_THREADS: Mutex<Vec<String>> = Mutex::new(Vec::new());
static CLIENT_THREADS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn register_thread(list: &'static Mutex<Vec<String>>) {
    if let Ok(link) = std::fs::read_link("/proc/thread-self") {
        list.lock()
            .unwrap()
            .push(format!("/proc/{}/schedstat", link.display()));
    }
}

/// (ns on a CPU, ns runnable but waiting for a CPU), summed over the threads.
fn schedstat(paths: &[String]) -> Option<(u64, u64)> {
    if paths.is_empty() {
        return None;
    }
    let mut sum = (0, 0);
    for p in paths {
        let text = std::fs::read_to_string(p).ok()?;
        let mut fields = text.split_whitespace().map(|f| f.parse::<u64>().ok());
        sum.0 += fields.next()??;
        sum.1 += fields.next()??;
    }
    Some(sum)
}

#[derive(Clone, Copy)]
struct Cpu {
    server_run: u64,
    server_wait: u64,
    /// Of `server_run`: the auxiliary server threads (actix acceptor and `System` thread).
    aux_run: u64,
    client_run: u64,
    client_wait: u64,
}

/// Samples the server's and the client runtime's thread CPU time at `from` and at `to`, on a
/// thread of its own.
fn sample_cpu(
    from: Instant,
    to: Instant,
    server: Vec<String>,
    aux: Vec<String>,
) -> std::thread::JoinHandle<Option<Cpu>> {
    std::thread::spawn(move || {
        let client = CLIENT_THREADS.lock().unwrap().clone();
        let aux_stat = |paths: &[String]| {
            if paths.is_empty() {
                Some((0, 0))
            } else {
                schedstat(paths)
            }
        };
        std::thread::sleep(from.saturating_duration_since(Instant::now()));
        let (s0, a0, c0) = (schedstat(&server)?, aux_stat(&aux)?, schedstat(&client)?);
        std::thread::sleep(to.saturating_duration_since(Instant::now()));
        let (s1, a1, c1) = (schedstat(&server)?, aux_stat(&aux)?, schedstat(&client)?);
        Some(Cpu {
            server_run: s1.0 - s0.0 + (a1.0 - a0.0),
            server_wait: s1.1 - s0.1 + (a1.1 - a0.1),
            aux_run: a1.0 - a0.0,
            client_run: c1.0 - c0.0,
            client_wait: c1.1 - c0.1,
        })
    })
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

// ---------------------------------------------------------------- pre-signed deliveries

/// One pre-signed delivery: its id and signature header values (body and timestamp are
/// shared by all).
struct Signed {
    id: HeaderValue,
    signature: HeaderValue,
}

/// Deliveries shared by all connections, each taken once.
struct Pool {
    body: Bytes,
    timestamp: HeaderValue,
    deliveries: Vec<Signed>,
    next: AtomicUsize,
}

impl Pool {
    fn take(&self) -> Option<&Signed> {
        self.deliveries
            .get(self.next.fetch_add(1, Ordering::Relaxed))
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn body_1k() -> Bytes {
    let head = br#"{"type":"invoice.paid","data":{"pad":""#;
    let tail = br#""}}"#;
    let mut body = Vec::with_capacity(BODY_LEN);
    body.extend_from_slice(head);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while body.len() < BODY_LEN - tail.len() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        body.push(b"abcdefghijklmnopqrstuvwxyz0123456789"[(x % 36) as usize]);
    }
    body.extend_from_slice(tail);
    assert_eq!(body.len(), BODY_LEN);
    serde_json::from_slice::<serde_json::Value>(&body).expect("body is JSON");
    Bytes::from(body)
}

fn presign(signer: &Signer, body: &Bytes, count: usize) -> Pool {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let deliveries = (0..count)
        .map(|_| {
            let n = NEXT_ID.fetch_add(1, Ordering::Relaxed);
            let id = format!("msg_load_{n:012}");
            let headers = signer
                .sign(&Delivery::new(body.clone()).id(id.as_str()).timestamp(now))
                .unwrap();
            Signed {
                id: HeaderValue::from_str(&id).unwrap(),
                signature: headers["webhook-signature"].clone(),
            }
        })
        .collect();
    Pool {
        body: body.clone(),
        timestamp: HeaderValue::from_str(&now.to_string()).unwrap(),
        deliveries,
        next: AtomicUsize::new(0),
    }
}

// ---------------------------------------------------------------- client

#[derive(Default)]
struct ConnResult {
    /// Latencies (ns) of 204s sent after the warm-up and answered before the end.
    latencies: Vec<u64>,
    /// Non-204 answers in the measured window: (status, first bytes of the body).
    errors: Vec<(u16, String)>,
    /// Non-204 answers during warm-up (counted as errors too).
    warmup_errors: usize,
    exhausted: bool,
    transport_error: Option<String>,
}

/// The open-loop schedule shared by a run's connections: request `i` is due at
/// `start + i × interval`.
struct Schedule {
    start: Instant,
    interval: Duration,
    next: AtomicU64,
}

impl Schedule {
    fn take(&self) -> Instant {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        self.start + self.interval.mul_f64(i as f64)
    }
}

async fn run_conn(
    addr: SocketAddr,
    pool: Arc<Pool>,
    measure_from: Instant,
    end: Instant,
    schedule: Option<Arc<Schedule>>,
) -> ConnResult {
    let mut out = ConnResult::default();
    let stream = match tokio::net::TcpStream::connect(addr).await {
        Ok(s) => s,
        Err(e) => {
            out.transport_error = Some(format!("connect: {e}"));
            return out;
        }
    };
    stream.set_nodelay(true).unwrap();
    let (mut sender, conn) = match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
    {
        Ok(pair) => pair,
        Err(e) => {
            out.transport_error = Some(format!("handshake: {e}"));
            return out;
        }
    };
    tokio::spawn(conn);
    let host = HeaderValue::from_str(&addr.to_string()).unwrap();
    let json = HeaderValue::from_static("application/json");
    loop {
        if Instant::now() >= end {
            break;
        }
        let Some(d) = pool.take() else {
            out.exhausted = true;
            break;
        };
        let mut req = Request::post("/webhook")
            .body(Full::new(pool.body.clone()))
            .unwrap();
        let h = req.headers_mut();
        h.insert(http::header::HOST, host.clone());
        h.insert(http::header::CONTENT_TYPE, json.clone());
        h.insert("webhook-id", d.id.clone());
        h.insert("webhook-timestamp", pool.timestamp.clone());
        h.insert("webhook-signature", d.signature.clone());
        if let Err(e) = sender.ready().await {
            out.transport_error = Some(format!("ready: {e}"));
            break;
        }
        let t0 = match &schedule {
            Some(schedule) => {
                let due = schedule.take();
                if due >= end {
                    break;
                }
                if due > Instant::now() {
                    // Not yet due: wait. tokio's timer ticks in whole milliseconds, so count
                    // from the actual send, not the client's oversleep.
                    tokio::time::sleep_until(due.into()).await;
                    Instant::now()
                } else {
                    // Overdue because every connection was busy: the queue is the server's.
                    due
                }
            }
            None => Instant::now(),
        };
        let resp = match sender.send_request(req).await {
            Ok(r) => r,
            Err(e) => {
                out.transport_error = Some(format!("send: {e}"));
                break;
            }
        };
        let status = resp.status();
        let resp_body = match resp.into_body().collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => {
                out.transport_error = Some(format!("body: {e}"));
                break;
            }
        };
        let t1 = Instant::now();
        let measured = t0 >= measure_from && t1 <= end;
        if status != StatusCode::NO_CONTENT {
            if measured {
                let text = String::from_utf8_lossy(&resp_body[..resp_body.len().min(200)]);
                out.errors.push((status.as_u16(), text.into_owned()));
            } else {
                out.warmup_errors += 1;
            }
        } else if measured {
            out.latencies.push((t1 - t0).as_nanos() as u64);
        }
    }
    out
}

struct RunResult {
    rps: f64,
    p50_us: f64,
    p99_us: f64,
    errors: usize,
    /// Server runtime threads' CPU time per answered request (µs), in the measured window.
    server_us: f64,
    /// Fraction of the window the server threads were runnable but had no CPU.
    server_wait: f64,
    /// Of `server_us`: the auxiliary threads (actix acceptor and `System` thread).
    aux_us: f64,
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

struct Bench {
    cfg: Config,
    server_rt: tokio::runtime::Runtime,
    client_rt: tokio::runtime::Runtime,
    signer: Signer,
    body: Bytes,
    pool: Mutex<Option<(Instant, Arc<Pool>)>>,
}

impl Bench {
    /// The pre-signed pool for a run, reset to its start. It is shared by all runs (each run
    /// has a fresh replay store, so ids only need to be unique within a run) and signed again
    /// when it is too small or older than `RESIGN_AFTER` (well inside the 300 s tolerance).
    fn pool(&self, needed: usize) -> (Arc<Pool>, String) {
        const RESIGN_AFTER: Duration = Duration::from_secs(120);
        let mut slot = self.pool.lock().unwrap();
        if let Some((signed_at, pool)) = slot.as_ref()
            && pool.deliveries.len() >= needed
            && signed_at.elapsed() < RESIGN_AFTER
        {
            pool.next.store(0, Ordering::Relaxed);
            let age = format!("signed {:.0} s ago", signed_at.elapsed().as_secs_f64());
            return (pool.clone(), age);
        }
        let count = needed.max(slot.as_ref().map_or(0, |(_, p)| p.deliveries.len()));
        *slot = None; // free the old pool first
        let t0 = Instant::now();
        let pool = Arc::new(presign(&self.signer, &self.body, count));
        let took = format!("signed now in {:.1} s", t0.elapsed().as_secs_f64());
        *slot = Some((Instant::now(), pool.clone()));
        (pool, took)
    }

    fn run_once(&self, target: Target, expected_rps: f64) -> RunResult {
        let cfg = &self.cfg;
        let expected_rps = if cfg.rate > 0.0 {
            cfg.rate * 1.05
        } else {
            expected_rps
        };
        let needed = (expected_rps * (cfg.warmup + cfg.secs)).ceil() as usize + 1000;
        let (pool, signing) = self.pool(needed);
        let count = pool.deliveries.len();

        let server = start_server(self, target);
        let threads = (server.threads.len(), server.aux_threads.len());
        let measure_from = Instant::now() + Duration::from_secs_f64(cfg.warmup);
        let end = measure_from + Duration::from_secs_f64(cfg.secs);
        let cpu = sample_cpu(
            measure_from,
            end,
            server.threads.clone(),
            server.aux_threads.clone(),
        );
        let schedule = (cfg.rate > 0.0).then(|| {
            Arc::new(Schedule {
                start: Instant::now(),
                interval: Duration::from_secs_f64(1.0 / cfg.rate),
                next: AtomicU64::new(0),
            })
        });
        let results: Vec<ConnResult> = self.client_rt.block_on(async {
            let tasks: Vec<_> = (0..cfg.conns)
                .map(|_| {
                    tokio::spawn(run_conn(
                        server.addr,
                        pool.clone(),
                        measure_from,
                        end,
                        schedule.clone(),
                    ))
                })
                .collect();
            let mut out = Vec::with_capacity(tasks.len());
            for t in tasks {
                out.push(t.await.unwrap());
            }
            out
        });
        (server.stop)();
        let cpu = cpu.join().unwrap();

        let mut latencies: Vec<u64> = Vec::new();
        let mut errors: Vec<(u16, String)> = Vec::new();
        let mut warmup_errors = 0;
        let mut exhausted = false;
        for r in results {
            latencies.extend_from_slice(&r.latencies);
            errors.extend(r.errors);
            warmup_errors += r.warmup_errors;
            exhausted |= r.exhausted;
            if let Some(e) = r.transport_error {
                errors.push((0, format!("transport: {e}")));
            }
        }
        if exhausted {
            errors.push((
                0,
                format!("ran out of the {count} pre-signed deliveries: raise HTTP_LOAD_MAX_RPS"),
            ));
        }
        if warmup_errors > 0 {
            eprintln!("  ERROR: {warmup_errors} non-204 answers during warm-up");
        }
        let mut by_status = std::collections::BTreeMap::<u16, (usize, String)>::new();
        for (status, text) in &errors {
            by_status.entry(*status).or_insert((0, text.clone())).0 += 1;
        }
        for (status, (n, text)) in by_status {
            eprintln!("  ERROR: {n} × status {status} (0 = client side): {text}");
        }

        latencies.sort_unstable();
        let ok = latencies.len() as f64;
        let window = |ns: u64, threads: usize| ns as f64 / (cfg.secs * 1e9 * threads as f64);
        let result = RunResult {
            rps: ok / cfg.secs,
            p50_us: percentile(&latencies, 50.0),
            p99_us: percentile(&latencies, 99.0),
            errors: errors.len() + warmup_errors,
            server_us: cpu.map_or(f64::NAN, |c| c.server_run as f64 / 1e3 / ok),
            server_wait: cpu.map_or(f64::NAN, |c| window(c.server_wait, cfg.server_threads)),
            aux_us: cpu.map_or(f64::NAN, |c| c.aux_run as f64 / 1e3 / ok),
        };
        if cfg.rate > 0.0 && result.rps < cfg.rate * 0.98 {
            eprintln!(
                "  warning: {} answered {:.0} req/s of the {:.0} offered: saturated, its latencies are queueing",
                target.name(),
                result.rps,
                cfg.rate
            );
        }
        let aux = if server_has_aux(target) {
            format!(
                " (aux {:.2}, {}+{} threads)",
                result.aux_us, threads.0, threads.1
            )
        } else {
            String::new()
        };
        println!(
            "  {:<20} {:>6.0} req/s  p50 {:>5.0} µs  p99 {:>5.0} µs  server {:>4.1}{} µs/req busy {:>3.0} % waited {:>3.0} %  client {:>4.1} µs/req waited {:>3.0} %  errors {}  load {}  (pool {} {})",
            target.name(),
            result.rps,
            result.p50_us,
            result.p99_us,
            result.server_us,
            aux,
            cpu.map_or(f64::NAN, |c| window(c.server_run, cfg.server_threads)
                * 100.0),
            result.server_wait * 100.0,
            cpu.map_or(f64::NAN, |c| c.client_run as f64 / 1e3 / ok),
            cpu.map_or(f64::NAN, |c| window(c.client_wait, cfg.client_threads)
                * 100.0),
            result.errors,
            loadavg(),
            count,
            signing
        );
        result
    }
}

fn server_has_aux(target: Target) -> bool {
    matches!(
        target,
        Target::ActixBare | Target::ActixGuarded | Target::ActixHmacFloor
    )
}

/// Medians of one target: (target, req/s, p50 µs, p99 µs, server CPU µs/req).
type Med = (Target, f64, f64, f64, f64);

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn main() {
    // `cargo bench` passes `--bench`; there are no other arguments.
    let cfg = Config::from_env();
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cfg.server_threads)
        .thread_name("server")
        .on_thread_start(|| register_thread(&SERVER_THREADS))
        .enable_all()
        .build()
        .unwrap();
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cfg.client_threads)
        .thread_name("client")
        .on_thread_start(|| register_thread(&CLIENT_THREADS))
        .enable_all()
        .build()
        .unwrap();
    if cfg.rate > 0.0 {
        println!(
            "http_load: open loop at {:.0} req/s offered (latency counted from when each request was due)",
            cfg.rate
        );
    }
    println!(
        "http_load: {} conns, {} s warm-up + {} s measured, {} reps, server {} worker thread(s), client {} worker thread(s), body {} B, {} cpus",
        cfg.conns,
        cfg.warmup,
        cfg.secs,
        cfg.reps,
        cfg.server_threads,
        cfg.client_threads,
        BODY_LEN,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    let bench = Bench {
        cfg,
        server_rt,
        client_rt,
        signer: Signer::new(Provider::StandardWebhooks, SECRET).unwrap(),
        body: body_1k(),
        pool: Mutex::new(None),
    };
    let cfg = &bench.cfg;

    let mut runs: Vec<Vec<RunResult>> = cfg.targets.iter().map(|_| Vec::new()).collect();
    for rep in 0..cfg.reps {
        println!("rep {}", rep + 1);
        for (i, &target) in cfg.targets.iter().enumerate() {
            // Pool size: HTTP_LOAD_MAX_RPS, or 2× the best rate of any run so far if higher.
            let expected = runs
                .iter()
                .flatten()
                .map(|r| r.rps * 2.0)
                .fold(cfg.max_rps, f64::max);
            let r = bench.run_once(target, expected);
            runs[i].push(r);
        }
    }

    println!();
    println!("medians over {} runs", cfg.reps);
    println!(
        "| target | req/s | p50 (µs) | p99 (µs) | server CPU µs/req | server waited | req/s per run | p99 per run (µs) | CPU µs/req per run | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut med = Vec::new();
    let mut total_errors = 0;
    for (i, &target) in cfg.targets.iter().enumerate() {
        let rs = &runs[i];
        let m = |f: fn(&RunResult) -> f64| median(rs.iter().map(f).collect());
        let (rps, p50, p99, cpu, wait) = (
            m(|r| r.rps),
            m(|r| r.p50_us),
            m(|r| r.p99_us),
            m(|r| r.server_us),
            m(|r| r.server_wait),
        );
        let errors: usize = rs.iter().map(|r| r.errors).sum();
        total_errors += errors;
        let list = |f: fn(&RunResult) -> f64, decimals: usize| {
            rs.iter()
                .map(|r| format!("{:.*}", decimals, f(r)))
                .collect::<Vec<_>>()
                .join(" / ")
        };
        println!(
            "| {} | {:.0} | {:.0} | {:.0} | {:.1} | {:.0} % | {} | {} | {} | {} |",
            target.name(),
            rps,
            p50,
            p99,
            cpu,
            wait * 100.0,
            list(|r| r.rps, 0),
            list(|r| r.p99_us, 0),
            list(|r| r.server_us, 1),
            errors
        );
        med.push((target, rps, p50, p99, cpu));
    }
    let find = |t: Target| med.iter().find(|m| m.0 == t).copied();
    println!();
    let ratio = |a: &Med, b: &Med| {
        println!(
            "{} / {}: throughput {:.3}×, p50 {:.3}×, p99 {:.3}×, server CPU/req {:.3}× ({:+.1} µs)",
            a.0.name(),
            b.0.name(),
            a.1 / b.1,
            a.2 / b.2,
            a.3 / b.3,
            a.4 / b.4,
            a.4 - b.4
        );
    };
    let actix = |t: Target| {
        matches!(
            t,
            Target::ActixBare | Target::ActixGuarded | Target::ActixHmacFloor
        )
    };
    if let Some(bare) = find(Target::Bare) {
        for m in med.iter().filter(|m| m.0 != Target::Bare && !actix(m.0)) {
            ratio(m, &bare);
        }
    }
    if let Some(bare) = find(Target::ActixBare) {
        for m in med.iter().filter(|m| m.0 == Target::ActixHmacFloor) {
            ratio(m, &bare);
        }
    }
    if let (Some(g), Some(sw)) = (find(Target::Guarded), find(Target::AxumSw)) {
        ratio(&g, &sw);
    }
    if let (Some(g), Some(floor)) = (find(Target::Guarded), find(Target::HmacFloor)) {
        ratio(&g, &floor);
    }
    let (ab, ag) = (find(Target::ActixBare), find(Target::ActixGuarded));
    if let (Some(ag), Some(ab)) = (ag, ab) {
        ratio(&ag, &ab);
    }
    if let (Some(ab), Some(b)) = (ab, find(Target::Bare)) {
        ratio(&ab, &b);
    }
    if let (Some(ag), Some(g)) = (ag, find(Target::Guarded)) {
        ratio(&ag, &g);
    }
    if let (Some(b), Some(g), Some(ab), Some(ag)) =
        (find(Target::Bare), find(Target::Guarded), ab, ag)
    {
        println!();
        println!("| | axum | actix-web |");
        println!("|---|---|---|");
        let row = |label: &str, f: &dyn Fn(&Med, &Med) -> String| {
            println!("| {label} | {} | {} |", f(&b, &g), f(&ab, &ag));
        };
        row("bare req/s", &|b, _| format!("{:.0}", b.1));
        row("guarded req/s", &|_, g| format!("{:.0}", g.1));
        row("guarded / bare throughput", &|b, g| {
            format!("{:.2}×", g.1 / b.1)
        });
        row("bare server CPU µs/req", &|b, _| format!("{:.1}", b.4));
        row("guarded server CPU µs/req", &|_, g| format!("{:.1}", g.4));
        row("guard overhead µs/req", &|b, g| {
            format!("{:+.1}", g.4 - b.4)
        });
        row("bare / guarded CPU (throughput ceiling)", &|b, g| {
            format!("{:.2}×", b.4 / g.4)
        });
        row("bare p50 / p99 µs", &|b, _| {
            format!("{:.0} / {:.0}", b.2, b.3)
        });
        row("guarded p50 / p99 µs", &|_, g| {
            format!("{:.0} / {:.0}", g.2, g.3)
        });
    }
    if total_errors > 0 {
        eprintln!("{total_errors} errors (non-204 answers or client failures): see above");
        std::process::exit(1);
    }
}
