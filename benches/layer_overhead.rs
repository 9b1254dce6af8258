//! The guard's own cost per request, in process (no sockets): an axum router with a handler
//! that takes the 1 KiB body as `Bytes` and answers 204, called through `tower::Service`
//! directly, bare and behind `WebhookLayer` (Standard Webhooks, `MemoryStore`, rate limit on
//! but never refusing), interleaved in one run. Every guarded request carries a unique,
//! pre-signed id, as in `http_load`.
//!
//! `cargo bench --bench layer_overhead --features axum` prints, per round and for the median
//! round, the CPU time per request of each (the thread's own CPU time from Linux `schedstat`,
//! so waiting behind other processes is not counted) and the difference: the guard's cost.
//! `LAYER_MODE=bare` or `LAYER_MODE=guarded` runs one side only (e.g. under a profiler).
//! It also counts heap allocations per request (a counting global allocator, per thread).
//!
//! `LAYER_FRAMEWORK=actix` (built with `--features axum,actix-web`) does the same for
//! actix-web: an `App` with a `web::Bytes` handler, bare and behind `WebhookGuard`, called
//! through `actix_web::test::init_service` on one thread (`LAYER_THREADS` does not apply).
//!
//! Environment: `LAYER_REQUESTS` (200 000) per side, round and thread, `LAYER_ROUNDS` (3),
//! `LAYER_THREADS` (1): with more, each thread drives its own clone of the same router (one
//! pipeline, one store, one limiter shared, as on a multi-threaded server) at the same time,
//! and the figure is the mean CPU time per request over the threads: what sharing costs
//! (cache lines written by every thread) shows up as overhead that one thread does not have.

use std::net::SocketAddr;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::routing::post;
use bytes::Bytes;
use hookguard::pipeline::Pipeline;
use hookguard::ratelimit::RateLimit;
use hookguard::{Delivery, Provider, Signer, Verifier};
use http::{Request, StatusCode};
use tower_service::Service;

/// Counts this thread's allocations, to report allocations per request.
struct CountingAlloc;

thread_local! {
    static ALLOCS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

// SAFETY: forwards every call to the system allocator unchanged; the count is a side effect.
unsafe impl std::alloc::GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, passed on as is.
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: as above.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: as above.
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

fn allocs() -> u64 {
    ALLOCS.with(std::cell::Cell::get)
}

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

async fn handler(body: Bytes) -> StatusCode {
    std::hint::black_box(body.len());
    StatusCode::NO_CONTENT
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Headers of `n` deliveries of `body`, signed now, with ids unique per `round`.
fn signed(signer: &Signer, body: &Bytes, n: usize, round: usize) -> Vec<http::HeaderMap> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    (0..n)
        .map(|i| {
            let id = format!("msg_{round}_{i:09}");
            signer
                .sign(&Delivery::new(body.clone()).id(id.as_str()).timestamp(now))
                .unwrap()
        })
        .collect()
}

const PEER: &str = "127.0.0.1:40000";

fn requests(signer: &Signer, body: &Bytes, n: usize, round: usize) -> Vec<Request<Body>> {
    let peer: SocketAddr = PEER.parse().unwrap();
    signed(signer, body, n, round)
        .into_iter()
        .map(|headers| {
            let mut req = Request::post("/webhook")
                .header("content-type", "application/json")
                .header("content-length", body.len())
                .body(Body::from(body.clone()))
                .unwrap();
            req.headers_mut().extend(headers);
            req.extensions_mut().insert(ConnectInfo(peer));
            req
        })
        .collect()
}

/// This thread's time on a CPU (Linux `schedstat`), so that time spent waiting for a CPU
/// behind other processes is not counted; wall time elsewhere.
fn cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// CPU time and allocations of this thread from its start.
struct Meter {
    wall: Instant,
    cpu: Option<u64>,
    allocs: u64,
}

impl Meter {
    fn start() -> Self {
        Self {
            wall: Instant::now(),
            cpu: cpu_ns(),
            allocs: allocs(),
        }
    }

    /// CPU ns and allocations per request, over `n` requests.
    fn per_request(&self, n: usize) -> (f64, f64) {
        let ns = match (self.cpu, cpu_ns()) {
            (Some(a), Some(b)) => b - a,
            _ => self.wall.elapsed().as_nanos() as u64,
        };
        let a = allocs() - self.allocs;
        (ns as f64 / n as f64, a as f64 / n as f64)
    }
}

/// CPU ns and allocations per request.
async fn drive(mut app: Router, reqs: Vec<Request<Body>>) -> (f64, f64) {
    let n = reqs.len();
    let meter = Meter::start();
    for req in reqs {
        std::future::poll_fn(|cx| Service::<Request<Body>>::poll_ready(&mut app, cx))
            .await
            .unwrap();
        let res = app.call(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
    }
    meter.per_request(n)
}

/// Runs `drive` on `threads` threads at once, each with its own clone of `app` and its own
/// requests; the mean of their CPU time per request.
fn drive_parallel(app: &Router, reqs: Vec<Vec<Request<Body>>>) -> (f64, f64) {
    let threads = reqs.len();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(threads));
    let handles: Vec<_> = reqs
        .into_iter()
        .map(|reqs| {
            let app = app.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .build()
                    .unwrap();
                barrier.wait();
                rt.block_on(drive(app, reqs))
            })
        })
        .collect();
    let (ns, a) = handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .fold((0.0, 0.0), |(x, y), (ns, a)| (x + ns, y + a));
    (ns / threads as f64, a / threads as f64)
}

/// The actix-web side: one round, bare then guarded; CPU ns and allocations per request.
#[cfg(feature = "actix-web")]
mod actix {
    use super::*;
    use actix_web::test::TestRequest;
    use actix_web::{App, HttpResponse, web};
    use hookguard::actix::WebhookGuard;

    async fn handler(body: web::Bytes) -> HttpResponse {
        std::hint::black_box(body.len());
        HttpResponse::NoContent().finish()
    }

    fn requests(signer: &Signer, body: &Bytes, n: usize, round: usize) -> Vec<TestRequest> {
        let peer: SocketAddr = PEER.parse().unwrap();
        signed(signer, body, n, round)
            .into_iter()
            .map(|headers| {
                let mut req = TestRequest::post()
                    .uri("/webhook")
                    .peer_addr(peer)
                    .insert_header(("content-type", "application/json"))
                    .set_payload(body.clone());
                for (name, value) in &headers {
                    req = req.insert_header((name.as_str(), value.as_bytes()));
                }
                req
            })
            .collect()
    }

    async fn drive<S, R, B>(app: &S, reqs: Vec<R>) -> (f64, f64)
    where
        S: actix_web::dev::Service<
                R,
                Response = actix_web::dev::ServiceResponse<B>,
                Error = actix_web::Error,
            >,
    {
        let n = reqs.len();
        let meter = Meter::start();
        for req in reqs {
            let res = app.call(req).await.unwrap();
            assert_eq!(res.status().as_u16(), 204);
        }
        meter.per_request(n)
    }

    pub(super) fn round(
        verifier: &Verifier,
        signer: &Signer,
        body: &Bytes,
        n: usize,
        round: usize,
    ) -> ((f64, f64), (f64, f64)) {
        // Built into actix's request type before the timing starts.
        let built = |reqs: Vec<TestRequest>| -> Vec<_> {
            reqs.into_iter().map(|r| r.to_request()).collect()
        };
        let (bare_reqs, reqs) = (
            built(requests(signer, body, n, round)),
            built(requests(signer, body, n, round)),
        );
        let pipeline = Pipeline::builder(verifier.clone())
            .rate_limit(RateLimit::per_second(1_000_000).unwrap().burst(1_000_000))
            .build()
            .unwrap();
        actix_web::rt::System::new().block_on(async move {
            let bare = actix_web::test::init_service(
                App::new().service(web::resource("/webhook").route(web::post().to(handler))),
            )
            .await;
            let guarded = actix_web::test::init_service(
                App::new().service(
                    web::resource("/webhook")
                        .wrap(WebhookGuard::new(pipeline))
                        .route(web::post().to(handler)),
                ),
            )
            .await;
            (drive(&bare, bare_reqs).await, drive(&guarded, reqs).await)
        })
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return; // `cargo test --benches` builds this; only `cargo bench` runs it
    }
    let actix = std::env::var("LAYER_FRAMEWORK").is_ok_and(|f| f == "actix");
    if actix && !cfg!(feature = "actix-web") {
        eprintln!("LAYER_FRAMEWORK=actix needs --features axum,actix-web");
        std::process::exit(2);
    }
    let mode = std::env::var("LAYER_MODE").unwrap_or_else(|_| "both".into());
    let n = env("LAYER_REQUESTS", 200_000);
    let rounds = env("LAYER_ROUNDS", 3);
    let threads = env("LAYER_THREADS", 1).max(1);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let signer = Signer::new(Provider::StandardWebhooks, SECRET).unwrap();
    let body = Bytes::from(vec![b'a'; 1024]);
    let verifier = Verifier::builder(Provider::StandardWebhooks)
        .secret(SECRET)
        .build()
        .unwrap();
    let mut results = Vec::new();
    for round in 0..rounds {
        // Ids unique over rounds and threads: `round * threads + t`.
        let batch = |t: usize| requests(&signer, &body, n, round * threads + t);
        let layer = Pipeline::builder(verifier.clone())
            .rate_limit(RateLimit::per_second(1_000_000).unwrap().burst(1_000_000))
            .layer()
            .unwrap();
        // `with_state(())` readies the routes once, as `axum::serve` does; without it axum
        // would rebuild the layered route on every call.
        let guarded = Router::new()
            .route("/webhook", post(handler).layer(layer))
            .with_state(());
        let bare = Router::new()
            .route("/webhook", post(handler))
            .with_state(());
        let (b, g) = if actix {
            #[cfg(feature = "actix-web")]
            {
                actix::round(&verifier, &signer, &body, n, round)
            }
            #[cfg(not(feature = "actix-web"))]
            unreachable!("checked above")
        } else if threads == 1 {
            let (reqs, bare_reqs) = (batch(0), batch(0));
            rt.block_on(async {
                let b = if mode == "both" || mode == "bare" {
                    drive(bare, bare_reqs).await
                } else {
                    (0.0, 0.0)
                };
                let g = if mode == "both" || mode == "guarded" {
                    drive(guarded, reqs).await
                } else {
                    (0.0, 0.0)
                };
                (b, g)
            })
        } else {
            let b = if mode == "both" || mode == "bare" {
                drive_parallel(&bare, (0..threads).map(batch).collect())
            } else {
                (0.0, 0.0)
            };
            let g = if mode == "both" || mode == "guarded" {
                drive_parallel(&guarded, (0..threads).map(batch).collect())
            } else {
                (0.0, 0.0)
            };
            (b, g)
        };
        let ((b, ba), (g, ga)) = (b, g);
        println!(
            "round {round}: bare {b:.0} ns/req, guarded {g:.0} ns/req, overhead {:.0} ns; allocations/req bare {ba:.1}, guarded {ga:.1}",
            g - b
        );
        results.push((b, g, ba, ga));
    }
    results.sort_by(|x, y| (x.1 - x.0).total_cmp(&(y.1 - y.0)));
    let (b, g, ba, ga) = results[results.len() / 2];
    println!(
        "median round: bare {b:.0} ns/req, guarded {g:.0} ns/req, overhead {:.0} ns/req; allocations/req bare {ba:.1}, guarded {ga:.1} (+{:.1})",
        g - b,
        ga - ba
    );
}
