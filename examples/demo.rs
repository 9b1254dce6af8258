//! The hookguard demo: a guarded axum receiver, and a provider that attacks it.
//!
//! `cargo run --example demo --features axum,inbox`
//!
//! Starts an axum app on an ephemeral 127.0.0.1 port with `POST /webhook` behind
//! [`WebhookLayer`] (Standard Webhooks, in-memory replay store, tight demo limits), then plays
//! the provider: it signs deliveries with [`Signer`] and sends them over real loopback HTTP
//! (valid, tampered, stale, replayed, concurrent, flooding, oversized, slow, failing, replayed
//! inside the cool-down, reused with another body, then retried). It prints one row per request and exits non-zero if any row is not
//! what the guard must answer, so it doubles as a smoke test.
//!
//! The requests all come from 127.0.0.1, which the receiver trusts as its reverse proxy; each
//! simulated client is told apart by its `X-Forwarded-For` address (203.0.113.0/24, a
//! documentation range), so the flood only exhausts its own client's budget.
//!
//! Then the durable inbox (feature `inbox`, a temporary file, no setup): the same
//! verification, but each delivery is committed to disk before the provider hears 202, and a
//! worker runs the handler with retries: a handler that is down for two attempts is retried
//! with backoff until done; one that keeps failing goes dead, and is done after the fix and
//! the operator's replay; a delivery acknowledged while the worker is stopped is still run
//! after the receiver restarts on the same file.
//!
//! Set `RUST_LOG` (to anything) to also see the guard's decision log on stderr.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use hookguard::axum::Webhook;
use hookguard::inbox::{
    AttemptOutcome, DeadLetter, DeliveryDetail, HandlerError, Inbox, InboxDelivery, RetrySchedule,
    State as InboxState, Timestamp, WorkerHandle,
};
use hookguard::pipeline::Pipeline;
use hookguard::ratelimit::RateLimit;
use hookguard::replay::{MemoryStore, ReplayGuard};
use hookguard::tower::WebhookLayer;
use hookguard::{Delivery, Provider, Signer, Verifier};
use http::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The demo's shared secret (the Standard Webhooks reference secret; never use it for real).
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// Where every request comes from; trusted as the reverse proxy in front of the receiver.
const PROXY: &str = "127.0.0.1";
const RATE_PER_SEC: u32 = 5;
const BURST: u32 = 10;
const BODY_LIMIT: usize = 64 * 1024;
const BODY_TIMEOUT: Duration = Duration::from_secs(1);
const HANDLER_TIMEOUT: Duration = Duration::from_secs(3);
/// Every network call of the provider side gives up after this.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// The whole demo gives up after this.
const WATCHDOG: Duration = Duration::from_secs(40);
/// Set by the handler on every response it produces, so each row knows whether it ran.
const RAN_HEADER: &str = "x-demo-handler";

// ---------------------------------------------------------------------------------------
// The receiver.

#[derive(Clone, Default)]
struct AppState {
    /// How many times the handler ran, per delivery id.
    attempts: Arc<Mutex<HashMap<String, u32>>>,
}

impl AppState {
    fn total_runs(&self) -> u32 {
        self.attempts.lock().unwrap().values().sum()
    }
}

/// The application's handler: it sees only verified, deduplicated deliveries.
///
/// Demo switches in the payload: `"work_ms"` makes it slow; `"fail_first_attempt": true`
/// simulates a transient outage (500 on the first attempt of that delivery id).
async fn handler(
    State(state): State<AppState>,
    event: Webhook<Value>,
) -> (StatusCode, [(&'static str, &'static str); 1]) {
    let id = event.verified().delivery_id().as_str().to_owned();
    let attempt = {
        let mut attempts = state.attempts.lock().unwrap();
        let n = attempts.entry(id).or_default();
        *n += 1;
        *n
    };
    if let Some(ms) = event.get("work_ms").and_then(Value::as_u64) {
        tokio::time::sleep(Duration::from_millis(ms.min(2_000))).await;
    }
    let flaky = event.get("fail_first_attempt") == Some(&Value::Bool(true));
    let status = if flaky && attempt == 1 {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    };
    (status, [(RAN_HEADER, "ran")])
}

fn guarded_app(state: AppState) -> Result<Router, hookguard::ConfigError> {
    let verifier = Verifier::builder(Provider::StandardWebhooks)
        .secret(SECRET)
        .build()?; // tolerance: the default 300 s, on both sides
    let replay = ReplayGuard::builder(MemoryStore::default())
        .handler_timeout(HANDLER_TIMEOUT)
        .lease(Duration::from_secs(10))
        .build()?;
    let limit = RateLimit::per_second(RATE_PER_SEC)
        .expect("non-zero rate")
        .burst(BURST);
    let layer: WebhookLayer = Pipeline::builder(verifier)
        .replay(replay)
        .rate_limit(limit)
        .trusted_proxies([PROXY])
        .body_limit(BODY_LIMIT)
        .body_timeout(BODY_TIMEOUT)
        .layer()?;
    Ok(Router::new()
        .route("/webhook", post(handler).layer(layer))
        .with_state(state))
}

// ---------------------------------------------------------------------------------------
// The provider side: a raw HTTP/1.1 client, so it controls chunking and stalls.

#[derive(Clone)]
enum Framing {
    /// `Content-Length` and the whole body.
    Whole,
    /// `Transfer-Encoding: chunked`, in pieces of this size.
    Chunked(usize),
    /// `Content-Length` of the whole body, but only this many bytes are sent.
    StallAfter(usize),
}

#[derive(Clone)]
struct Req {
    /// The client address, as the trusted proxy reports it in `X-Forwarded-For`.
    client: &'static str,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    framing: Framing,
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `code` of a problem+json (or duplicate) body.
    fn code(&self) -> Option<String> {
        let v: Value = serde_json::from_slice(&self.body).ok()?;
        v.get("code")?.as_str().map(str::to_owned)
    }

    fn handler_ran(&self) -> bool {
        self.header(RAN_HEADER).is_some()
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Signs `body` the way a Standard Webhooks provider does.
fn signed(signer: &Signer, client: &'static str, id: &str, ts: i64, body: &str) -> Req {
    let delivery = Delivery::new(body.as_bytes().to_vec()).id(id).timestamp(ts);
    let headers = signer.sign(&delivery).expect("demo delivery signs");
    let mut req = Req {
        client,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.as_bytes().to_vec(),
        framing: Framing::Whole,
    };
    for (name, value) in &headers {
        let value = value.to_str().expect("ASCII header").to_owned();
        req.headers.push((name.to_string(), value));
    }
    req
}

async fn send(addr: SocketAddr, req: &Req) -> Result<Resp, String> {
    tokio::time::timeout(CALL_TIMEOUT, send_inner(addr, req))
        .await
        .map_err(|_| format!("no answer within {} s", CALL_TIMEOUT.as_secs()))?
}

async fn send_inner(addr: SocketAddr, req: &Req) -> Result<Resp, String> {
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let mut head = format!(
        "POST /webhook HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\nx-forwarded-for: {}\r\n",
        req.client
    );
    for (k, v) in &req.headers {
        head += &format!("{k}: {v}\r\n");
    }
    match req.framing {
        Framing::Chunked(_) => head += "transfer-encoding: chunked\r\n\r\n",
        _ => head += &format!("content-length: {}\r\n\r\n", req.body.len()),
    }
    // Write errors are ignored: the server may answer and close before the body is sent
    // (413, 408); its answer is what counts.
    let _ = stream.write_all(head.as_bytes()).await;
    match req.framing {
        Framing::Whole => {
            let _ = stream.write_all(&req.body).await;
        }
        Framing::StallAfter(n) => {
            let _ = stream.write_all(&req.body[..n]).await;
        }
        Framing::Chunked(size) => {
            for piece in req.body.chunks(size) {
                let frame = [format!("{:x}\r\n", piece.len()).as_bytes(), piece, b"\r\n"].concat();
                if stream.write_all(&frame).await.is_err() {
                    break;
                }
            }
            let _ = stream.write_all(b"0\r\n\r\n").await;
        }
    }
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break, // closed (or reset after the answer)
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Result<Resp, String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("incomplete response ({} bytes)", raw.len()))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or("bad status line")?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Ok(Resp {
        status,
        headers,
        body,
    })
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(pos) = raw.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&raw[..pos])
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 || raw.len() < pos + 2 + size {
            break;
        }
        out.extend_from_slice(&raw[pos + 2..pos + 2 + size]);
        raw = raw.get(pos + 4 + size..).unwrap_or_default();
    }
    out
}

// ---------------------------------------------------------------------------------------
// The table.

struct Row {
    sent: String,
    status: u16,
    ran: bool,
    note: String,
    /// Why this row is not what the guard must answer.
    problem: Option<String>,
}

/// What a row must get: one of `statuses`, the handler run or not, and this code.
struct Expect {
    statuses: &'static [u16],
    ran: bool,
    code: Option<&'static str>,
}

const fn expect(statuses: &'static [u16], ran: bool, code: Option<&'static str>) -> Expect {
    Expect {
        statuses,
        ran,
        code,
    }
}

fn row(sent: impl Into<String>, resp: &Resp, want: Expect, note: Option<String>) -> Row {
    let code = resp.code();
    let ran = resp.handler_ran();
    let problem = if !want.statuses.contains(&resp.status) {
        Some(format!(
            "status {}, expected {:?}",
            resp.status, want.statuses
        ))
    } else if ran != want.ran {
        Some(format!("handler ran: {ran}, expected {}", want.ran))
    } else if want.code.is_some() && code.as_deref() != want.code {
        Some(format!("code {code:?}, expected {:?}", want.code))
    } else {
        None
    };
    let note = match (note, code) {
        (Some(n), _) => n,
        (None, Some(code)) => match resp.header("retry-after") {
            Some(wait) => format!("{code}, Retry-After: {wait}"),
            None => code,
        },
        (None, None) => "-".into(),
    };
    Row {
        sent: sent.into(),
        status: resp.status,
        ran,
        note,
        problem,
    }
}

fn failed_row(sent: impl Into<String>, error: String) -> Row {
    Row {
        sent: sent.into(),
        status: 0,
        ran: false,
        note: error.clone(),
        problem: Some(error),
    }
}

/// Sends one request and turns the answer into a row.
async fn step(addr: SocketAddr, sent: &str, req: &Req, want: Expect) -> Row {
    match send(addr, req).await {
        Ok(resp) => row(sent, &resp, want, None),
        Err(e) => failed_row(sent, e),
    }
}

/// Plays the provider; returns the rows and how many flood deliveries were accepted.
async fn scenarios(addr: SocketAddr) -> (Vec<Row>, u32) {
    let signer = Signer::new(Provider::StandardWebhooks, SECRET).expect("demo secret");
    let body = r#"{"type":"invoice.paid","invoice":"in_1042","amount":4200}"#;
    let now = unix_now();
    let mut rows = Vec::new();

    // 1. A valid delivery (replayed in 4).
    let valid = signed(&signer, "203.0.113.1", "msg_demo_valid", now, body);
    rows.push(step(addr, "valid delivery", &valid, expect(&[204], true, None)).await);

    // 2. Tampered: signed, then the amount changed in transit.
    let mut tampered = signed(&signer, "203.0.113.2", "msg_demo_tampered", now, body);
    tampered.body = body.replace("4200", "9900").into_bytes();
    let want = expect(&[401], false, Some("signature_mismatch"));
    rows.push(step(addr, "tampered body (amount changed)", &tampered, want).await);

    // 3. Stale: a capture from 10 minutes ago (the window is 5 minutes each way).
    let stale = signed(&signer, "203.0.113.3", "msg_demo_stale", now - 600, body);
    let want = expect(&[401], false, Some("timestamp_out_of_window"));
    rows.push(step(addr, "stale delivery (signed 10 min ago)", &stale, want).await);

    // 4. The valid delivery's exact bytes again, from another address (an attacker who
    //    captured it inside the 5-minute window).
    let mut replay = valid.clone();
    replay.client = "203.0.113.66";
    let want = expect(&[200], false, Some("duplicate_delivery"));
    rows.push(step(addr, "replay of the valid delivery", &replay, want).await);

    // 5. The same new delivery from two tasks at once: one claim wins, the other copy is
    //    refused while it is in flight (409), or is a duplicate if it arrives after (200).
    let slow = r#"{"type":"invoice.paid","invoice":"in_1043","work_ms":500}"#;
    let twin = signed(&signer, "203.0.113.4", "msg_demo_twin", now, slow);
    let tasks = [twin.clone(), twin].map(|req| tokio::spawn(async move { send(addr, &req).await }));
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap_or_else(|e| Err(format!("task: {e}"))));
    }
    match answers.as_slice() {
        [Ok(a), Ok(b)] => {
            let (won, lost) = if a.handler_ran() { (a, b) } else { (b, a) };
            let want = expect(&[204], true, None);
            rows.push(row("same new delivery, 2 tasks: copy 1", won, want, None));
            let want = expect(&[409, 200], false, None);
            let mut r = row("same new delivery, 2 tasks: copy 2", lost, want, None);
            if r.problem.is_none()
                && !matches!(
                    lost.code().as_deref(),
                    Some("delivery_in_flight" | "duplicate_delivery")
                )
            {
                r.problem = Some(format!("code {:?}", lost.code()));
            }
            rows.push(r);
        }
        _ => {
            for (n, answer) in answers.into_iter().enumerate() {
                let sent = format!("same new delivery, 2 tasks: copy {}", n + 1);
                rows.push(match answer {
                    Ok(_) => failed_row(sent, "the other copy failed".into()),
                    Err(e) => failed_row(sent, e),
                });
            }
        }
    }

    // 6. A flood from one client: valid deliveries as fast as possible until the first 429.
    let mut accepted = 0u32;
    let mut limited = None;
    for n in 0..40 {
        let id = format!("msg_demo_flood_{n}");
        let req = signed(&signer, "203.0.113.5", &id, unix_now(), body);
        match send(addr, &req).await {
            Ok(resp) if resp.status == 429 => {
                limited = Some(resp);
                break;
            }
            Ok(resp) if resp.status == 204 => accepted += 1,
            Ok(resp) => {
                limited = Some(resp);
                break;
            }
            Err(e) => {
                rows.push(failed_row("flood from one client (back to back)", e));
                break;
            }
        }
    }
    if let Some(resp) = limited {
        let sent = "flood from one client (back to back)";
        let mut r = row(
            sent,
            &resp,
            expect(&[429], false, Some("rate_limited")),
            None,
        );
        r.note = format!(
            "rate_limited, Retry-After: {} ({accepted} passed before)",
            resp.header("retry-after").unwrap_or("MISSING")
        );
        if r.problem.is_none() && accepted < BURST {
            r.problem = Some(format!("only {accepted} accepted, burst is {BURST}"));
        }
        if r.problem.is_none() && resp.header("retry-after").is_none() {
            r.problem = Some("no Retry-After".into());
        }
        rows.push(r);
    } else if rows.last().is_none_or(|r| r.problem.is_none()) {
        rows.push(failed_row(
            "flood from one client (back to back)",
            "never limited".into(),
        ));
    }

    // 7. An oversized chunked body: no Content-Length to refuse up front, so the cap is
    //    enforced while streaming.
    let big = format!(r#"{{"type":"export","pad":"{}"}}"#, "a".repeat(80 * 1024));
    let mut oversized = signed(&signer, "203.0.113.6", "msg_demo_big", now, &big);
    oversized.framing = Framing::Chunked(8 * 1024);
    let want = expect(&[413], false, Some("payload_too_large"));
    rows.push(step(addr, "80 KiB chunked body (cap 64 KiB)", &oversized, want).await);

    // 8. A slow body: 5 bytes, then nothing (slowloris).
    let mut slowloris = signed(&signer, "203.0.113.7", "msg_demo_slow", now, body);
    slowloris.framing = Framing::StallAfter(5);
    let want = expect(&[408], false, Some("body_timeout"));
    rows.push(step(addr, "slow body (5 bytes, then stalls)", &slowloris, want).await);

    // 9. The handler fails once. The id then cools down (1 s after a first failure, doubling
    //    with each further one): a captured copy replayed at once cannot run the handler
    //    again, and the same id with another body is a conflict, never a silent duplicate.
    //    The provider's retry (same body, re-signed with a fresh timestamp) after the
    //    `Retry-After` runs it.
    let flaky = r#"{"type":"invoice.paid","invoice":"in_1044","fail_first_attempt":true}"#;
    let id = "msg_demo_flaky";
    let first = signed(&signer, "203.0.113.8", id, unix_now(), flaky);
    let want = expect(&[500], true, None);
    let note = Some("handler failed; claim released, 1 s cool-down".to_owned());
    match send(addr, &first).await {
        Ok(resp) => rows.push(row("handler fails on attempt 1", &resp, want, note)),
        Err(e) => rows.push(failed_row("handler fails on attempt 1", e)),
    }
    let want = expect(&[409], false, Some("delivery_cooling_down"));
    rows.push(step(addr, "captured copy replayed at once", &first, want).await);
    let other = r#"{"type":"invoice.paid","invoice":"in_1044","amount":1}"#;
    let conflict = signed(&signer, "203.0.113.8", id, unix_now(), other);
    let want = expect(&[409], false, Some("delivery_conflict"));
    rows.push(step(addr, "same id, other body", &conflict, want).await);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let retry = signed(&signer, "203.0.113.8", id, unix_now(), flaky);
    let want = expect(&[204], true, None);
    rows.push(step(addr, "retry after 1.1 s (re-signed)", &retry, want).await);
    (rows, accepted)
}

// ---------------------------------------------------------------------------------------
// Part 2: the durable inbox. The same verification, then the delivery is committed to a
// file before the provider hears 2xx, and a worker runs the handler with retries.

/// The inbox part's retry schedule: short, for the demo (the default starts at 5 s).
const INBOX_SCHEDULE: &str = "100ms,200ms,400ms";
/// How long the inbox part waits for one delivery to reach a state.
const INBOX_WAIT: Duration = Duration::from_secs(10);

/// The inbox worker's handler. `"fail_times": N` fails the first N attempts (its database
/// is down); `"needs_fix": true` fails until the operator's fix is deployed.
fn inbox_handler(
    fixed: Arc<AtomicBool>,
) -> impl Fn(InboxDelivery) -> std::future::Ready<Result<(), HandlerError>> + Send + Sync + 'static
{
    move |delivery: InboxDelivery| {
        let body: Value = delivery.json().unwrap_or(Value::Null);
        let fail_times = body.get("fail_times").and_then(Value::as_u64).unwrap_or(0);
        let needs_fix = body.get("needs_fix") == Some(&Value::Bool(true));
        std::future::ready(if u64::from(delivery.attempt()) <= fail_times {
            Err(HandlerError::retryable("database unavailable"))
        } else if needs_fix && !fixed.load(Ordering::SeqCst) {
            Err(HandlerError::retryable("unknown invoice currency"))
        } else {
            Ok(())
        })
    }
}

/// A receiver with an inbox on `path`: the app on a fresh port, its server task, and the
/// signal that stops it.
struct InboxReceiver {
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
    stop: tokio::sync::oneshot::Sender<()>,
}

async fn inbox_receiver(inbox: &Inbox) -> Result<InboxReceiver, String> {
    let verifier = Verifier::builder(Provider::StandardWebhooks)
        .secret(SECRET)
        .build()
        .map_err(|e| e.to_string())?;
    let layer: WebhookLayer = Pipeline::builder(verifier)
        .trusted_proxies([PROXY])
        .inbox(inbox.clone(), "billing")
        .layer()
        .map_err(|e| e.to_string())?;
    // Never called: on an inbox route the worker runs the handlers.
    let app = Router::new().route(
        "/webhook",
        post(|| async { StatusCode::NO_CONTENT }).layer(layer),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let serve = hookguard::axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = stopped.await;
        });
        if let Err(e) = serve.await {
            eprintln!("demo: inbox server stopped: {e}");
        }
    });
    Ok(InboxReceiver { addr, server, stop })
}

fn inbox_worker(
    inbox: &Inbox,
    fixed: &Arc<AtomicBool>,
    dead: &Arc<Mutex<Vec<String>>>,
) -> Result<WorkerHandle, String> {
    let schedule = RetrySchedule::parse(INBOX_SCHEDULE).map_err(|e| e.to_string())?;
    let dead = dead.clone();
    let worker = inbox
        .worker()
        .route("billing", inbox_handler(fixed.clone()))
        .schedule(schedule)
        .poll_interval(Duration::from_millis(50))
        .on_dead(move |letter: &DeadLetter| {
            // Where a real receiver pages someone.
            dead.lock()
                .unwrap()
                .push(letter.meta().delivery_id().to_string());
        })
        .build()
        .map_err(|e| e.to_string())?;
    Ok(worker.start())
}

/// Waits (bounded) until delivery `id` is in `state`; its attempts' outcomes then.
async fn inbox_until(inbox: &Inbox, id: &str, state: InboxState) -> Result<DeliveryDetail, String> {
    let started = Instant::now();
    loop {
        let found = inbox.find(id).await.map_err(|e| e.to_string())?;
        if let Some(summary) = found.first() {
            let detail = inbox.show(summary.id()).await.map_err(|e| e.to_string())?;
            if detail.summary().state() == state {
                return Ok(detail);
            }
            if started.elapsed() > INBOX_WAIT {
                return Err(format!(
                    "{id} is {:?} after {} s, expected {state:?}",
                    detail.summary().state(),
                    INBOX_WAIT.as_secs()
                ));
            }
        } else if started.elapsed() > INBOX_WAIT {
            return Err(format!("{id} is not in the inbox"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// "failed, failed (+0.1 s), done (+0.2 s)": each attempt's outcome and its delay after the
/// previous attempt ended.
fn attempts_note(detail: &DeliveryDetail) -> String {
    let mut previous_end = None;
    let mut parts = Vec::new();
    for attempt in detail.attempts() {
        let outcome = match attempt.outcome() {
            AttemptOutcome::Succeeded => "done",
            AttemptOutcome::Failed => "failed",
            _ => "other",
        };
        let delay = previous_end.map(|end: Timestamp| {
            let waited = attempt.started_at().duration_since(end);
            format!(" (+{:.1} s)", waited.as_secs_f64())
        });
        parts.push(format!("{outcome}{}", delay.unwrap_or_default()));
        previous_end = attempt.ended_at();
    }
    parts.join(", ")
}

/// Sends one delivery to an inbox route: the row of its answer (202 once on disk).
async fn inbox_send(addr: SocketAddr, sent: &str, req: &Req, note: String) -> Row {
    match send(addr, req).await {
        Ok(resp) => row(sent, &resp, expect(&[202], false, None), Some(note)),
        Err(e) => failed_row(sent, e),
    }
}

/// Plays the inbox story; its rows.
async fn inbox_story(path: &std::path::Path) -> Result<Vec<Row>, String> {
    let signer = Signer::new(Provider::StandardWebhooks, SECRET).expect("demo secret");
    let mut rows = Vec::new();
    let fixed = Arc::new(AtomicBool::new(false));
    let dead = Arc::new(Mutex::new(Vec::new()));
    let inbox = Inbox::open(path).map_err(|e| format!("inbox: {e}"))?;
    let receiver = inbox_receiver(&inbox).await?;
    let worker = inbox_worker(&inbox, &fixed, &dead)?;

    // 1. The handler's database is down for two attempts: the provider gets 202 anyway (the
    //    delivery is on disk), and the worker retries with backoff until it is done.
    let body = r#"{"type":"invoice.paid","invoice":"in_2001","fail_times":2}"#;
    let id = "msg_demo_inbox_outage";
    let req = signed(&signer, "203.0.113.20", id, unix_now(), body);
    let mut r = inbox_send(receiver.addr, "handler down: delivery", &req, String::new()).await;
    match inbox_until(&inbox, id, InboxState::Done).await {
        Ok(detail) => r.note = format!("on disk, then {}", attempts_note(&detail)),
        Err(e) => r.problem = Some(e),
    }
    rows.push(r);

    // 2. A delivery the handler cannot take until a fix is deployed: retried on the
    //    schedule, then dead (the on_dead callback pages someone); the operator fixes the
    //    handler and replays it: done, its attempts kept and numbered on.
    let body = r#"{"type":"invoice.paid","invoice":"in_2002","currency":"XTS","needs_fix":true}"#;
    let id = "msg_demo_inbox_poison";
    let req = signed(&signer, "203.0.113.21", id, unix_now(), body);
    let mut r = inbox_send(receiver.addr, "always fails: delivery", &req, String::new()).await;
    match inbox_until(&inbox, id, InboxState::Dead).await {
        Ok(detail) => {
            let paged = dead.lock().unwrap().iter().any(|d| d == id);
            r.note = format!(
                "on disk, {} attempts failed: dead, on_dead {}",
                detail.attempts().len(),
                if paged { "called" } else { "NOT called" }
            );
            if !paged {
                r.problem = Some("on_dead was not called".into());
            }
        }
        Err(e) => r.problem = Some(e),
    }
    rows.push(r);
    fixed.store(true, Ordering::SeqCst);
    let mut r = Row {
        sent: "  fix deployed, operator replays it".into(),
        status: 0,
        ran: false,
        note: String::new(),
        problem: None,
    };
    let replayed = match inbox.find(id).await {
        Ok(found) if !found.is_empty() => {
            inbox.replay(found[0].id()).await.map_err(|e| e.to_string())
        }
        Ok(_) => Err(format!("{id} is not in the inbox")),
        Err(e) => Err(e.to_string()),
    };
    match replayed.map(|_| ()) {
        Ok(()) => match inbox_until(&inbox, id, InboxState::Done).await {
            Ok(detail) => {
                let n = detail.attempts().len();
                r.note = format!("attempt {n} done");
            }
            Err(e) => r.problem = Some(e),
        },
        Err(e) => r.problem = Some(e),
    }
    rows.push(r);

    // 3. The worker stops (the process is going down) and a delivery arrives meanwhile: it is
    //    acknowledged, pending on disk. The receiver restarts on the same file: it runs.
    worker.stop().await;
    let body = r#"{"type":"invoice.paid","invoice":"in_2003"}"#;
    let id = "msg_demo_inbox_restart";
    let req = signed(&signer, "203.0.113.22", id, unix_now(), body);
    let mut r = inbox_send(
        receiver.addr,
        "worker stopped: delivery",
        &req,
        String::new(),
    )
    .await;
    match inbox_until(&inbox, id, InboxState::Pending).await {
        Ok(_) => r.note = "on disk, pending; then the receiver stops".into(),
        Err(e) => r.problem = Some(e),
    }
    rows.push(r);
    let _ = receiver.stop.send(());
    let _ = receiver.server.await;
    drop(inbox); // the file is closed: the process is gone
    let mut r = Row {
        sent: "  receiver restarted on the same file".into(),
        status: 0,
        ran: false,
        note: String::new(),
        problem: None,
    };
    let inbox = Inbox::open(path).map_err(|e| format!("inbox reopened: {e}"))?;
    let worker = inbox_worker(&inbox, &fixed, &dead)?;
    match inbox_until(&inbox, id, InboxState::Done).await {
        Ok(detail) => r.note = format!("the pending delivery ran: {}", attempts_note(&detail)),
        Err(e) => r.problem = Some(e),
    }
    rows.push(r);
    worker.stop().await;
    Ok(rows)
}

/// Prints `rows` as a table, numbered from `first + 1`.
fn print_table(rows: &[Row], first: usize) {
    let w = rows.iter().map(|r| r.sent.len()).max().unwrap_or(0).max(13);
    println!(" #  {:<w$}  status  handler  note", "what was sent");
    println!(" -  {:-<w$}  ------  -------  ----", "");
    for (n, r) in rows.iter().enumerate() {
        let status = if r.status == 0 {
            "-".to_owned()
        } else {
            r.status.to_string()
        };
        let ran = if r.ran { "yes" } else { "no" };
        let flag = if r.problem.is_some() {
            "  <-- UNEXPECTED"
        } else {
            ""
        };
        println!(
            "{:>2}  {:<w$}  {status:<6}  {ran:<7}  {}{flag}",
            first + n + 1,
            r.sent,
            r.note
        );
    }
    println!();
}

#[tokio::main]
async fn main() -> ExitCode {
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_max_level(tracing::Level::INFO)
            .init();
    }
    match tokio::time::timeout(WATCHDOG, run()).await {
        Ok(code) => code,
        Err(_) => {
            eprintln!("demo: gave up after {} s", WATCHDOG.as_secs());
            ExitCode::FAILURE
        }
    }
}

async fn run() -> ExitCode {
    let started = Instant::now();
    let state = AppState::default();
    let app = match guarded_app(state.clone()) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("demo: invalid configuration: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("demo: cannot listen on 127.0.0.1: {e}");
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().expect("bound address");
    tokio::spawn(async move {
        // The safe server set-up: header timeout, connection bounds, the peer address.
        if let Err(e) = hookguard::axum::serve(listener, app).await {
            eprintln!("demo: server stopped: {e}");
        }
    });

    println!("hookguard demo: guarded axum receiver at http://{addr}/webhook");
    println!(
        "  receiver: standard-webhooks, tolerance 300 s, in-memory replay store, handler timeout {} s,",
        HANDLER_TIMEOUT.as_secs()
    );
    println!(
        "            per client {RATE_PER_SEC}/s burst {BURST}, body <= {} KiB within {} s",
        BODY_LIMIT / 1024,
        BODY_TIMEOUT.as_secs(),
    );
    println!(
        "  provider: hookguard::Signer + HTTP/1.1 over loopback, clients told apart by X-Forwarded-For"
    );
    println!();

    let (rows, flood_accepted) = scenarios(addr).await;

    print_table(&rows, 0);

    // Part 2: the durable inbox, on a temporary file.
    let path =
        std::env::temp_dir().join(format!("hookguard-demo-inbox-{}.redb", std::process::id()));
    let _ = std::fs::remove_file(&path);
    println!("durable inbox (feature inbox) on {}:", path.display());
    println!(
        "  the same verification; each delivery committed (fsync'd) before the 202, then a worker"
    );
    println!("  runs the handler, retrying on {INBOX_SCHEDULE} (the default starts at 5 s)");
    println!();
    let inbox_rows = inbox_story(&path).await;
    let _ = std::fs::remove_file(&path);
    let inbox_rows = match inbox_rows {
        Ok(rows) => rows,
        Err(e) => vec![failed_row("durable inbox", e)],
    };
    print_table(&inbox_rows, rows.len());

    // The handler's own count must match the rows (plus the flood's accepted deliveries).
    let expected_runs = rows.iter().filter(|r| r.ran).count() as u32 + flood_accepted;
    let runs = state.total_runs();
    let mut failures: Vec<String> = rows
        .iter()
        .chain(&inbox_rows)
        .enumerate()
        .filter_map(|(n, r)| r.problem.as_ref().map(|p| format!("row {}: {p}", n + 1)))
        .collect();
    if runs != expected_runs {
        failures.push(format!(
            "the handler ran {runs} times, the rows account for {expected_runs}"
        ));
    }
    let elapsed = started.elapsed().as_secs_f64();
    if failures.is_empty() {
        println!(
            "all {} rows as expected; the handler ran {runs} times in the request ({flood_accepted} \
             of them for the flood), the inbox's worker ran the rest; {elapsed:.1} s",
            rows.len() + inbox_rows.len()
        );
        ExitCode::SUCCESS
    } else {
        for f in &failures {
            eprintln!("demo: UNEXPECTED {f}");
        }
        ExitCode::FAILURE
    }
}
