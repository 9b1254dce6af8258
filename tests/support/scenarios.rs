//! The adapter scenario table: one list of requests with the status, headers and
//! handler-ran decision each must get, run over real loopback HTTP against any adapter.
//!
//! Every adapter's test server follows the same contract (see [`TestApp`]): `POST /webhook`
//! guarded by [`pipeline`]; `POST /t/{tenant}/webhook` guarded by [`tenant_pipeline`]; the
//! handler records the delivery id, sleeps for `"sleep_ms"`, and answers 500 when the JSON
//! body's `"fail"` is true, else 204. It decodes the payload with the adapter's `Webhook<T>`
//! extractor, so a verified body that is not JSON gets 400.
#![allow(dead_code)]

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hookguard::clock::ManualClock;
use hookguard::pipeline::{Pipeline, ResolveError, Tenant};
use hookguard::ratelimit::RateLimit;
use hookguard::replay::{MemoryStore, ReplayGuard};
use hookguard::{Delivery, Provider, Signer, Verifier};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const TENANT_SECRET: &str = "whsec_dGVuYW50LWFjbWUtc2VjcmV0LWtleS0xMjM0";
pub const BODY_LIMIT: usize = 64 * 1024;
pub const BODY_TIMEOUT: Duration = Duration::from_millis(800);
/// The only address trusted as a proxy by the test servers.
pub const PROXY: &str = "127.0.0.9";
pub const CANARY_BODY: &str = "CANARYbody9b1e";

/// What the handler saw: one delivery id per run.
#[derive(Clone, Default)]
pub struct HandlerLog(pub Arc<Mutex<Vec<String>>>);

impl HandlerLog {
    pub fn runs(&self) -> usize {
        self.0.lock().unwrap().len()
    }
    /// Records a run of `id`; which run of `id` it is (1 for the first).
    pub fn record(&self, id: &str) -> usize {
        let mut log = self.0.lock().unwrap();
        log.push(id.to_owned());
        log.iter().filter(|seen| *seen == id).count()
    }
}

/// What a test handler does on one run of a delivery (shared by every adapter's app).
pub struct Behaviour {
    /// 500 when the payload's `"fail"` is true, else 204.
    pub status: u16,
    /// `"panic": true`: the guard must catch it and release.
    pub panics: bool,
    /// `"sleep_ms"` before answering.
    pub sleep: Duration,
}

/// The test handler's behaviour on `run` (1-based) of a delivery: `"fail"`, `"panic"` and
/// `"sleep_ms"` apply on every run, or only on the first `"times"` runs when that is set —
/// a provider's retry carries the same body, so only that makes a retry succeed.
pub fn behaviour(payload: &serde_json::Value, run: usize) -> Behaviour {
    let active = payload
        .get("times")
        .and_then(serde_json::Value::as_u64)
        .is_none_or(|times| run as u64 <= times);
    let flag =
        |name: &str| active && payload.get(name).and_then(serde_json::Value::as_bool) == Some(true);
    let sleep_ms = payload
        .get("sleep_ms")
        .and_then(serde_json::Value::as_u64)
        .filter(|_| active)
        .unwrap_or(0);
    Behaviour {
        status: if flag("fail") { 500 } else { 204 },
        panics: flag("panic"),
        sleep: Duration::from_millis(sleep_ms),
    }
}

/// The clock of the scenario pipelines' replay stores: rows move it past a failure's cool-down
/// instead of sleeping through it. One per thread, so each test (libtest runs each on its own
/// thread, and the apps build their pipelines on it) moves only its own apps' clocks.
pub fn replay_clock() -> ManualClock {
    thread_local! {
        static CLOCK: ManualClock = ManualClock::default();
    }
    CLOCK.with(ManualClock::clone)
}

/// A memory store on [`replay_clock`].
pub fn clocked_store() -> MemoryStore {
    MemoryStore::builder().clock(replay_clock()).build()
}

pub fn verifier() -> Verifier {
    Verifier::builder(Provider::StandardWebhooks)
        .secret(SECRET)
        .build()
        .unwrap()
}

fn guard(store: MemoryStore) -> ReplayGuard {
    ReplayGuard::builder(store)
        .handler_timeout(Duration::from_secs(5))
        .lease(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// The single-tenant pipeline every adapter's `/webhook` route runs.
pub fn pipeline() -> Pipeline {
    Pipeline::builder(verifier())
        .replay(guard(clocked_store()))
        .rate_limit(RateLimit::per_second(5).unwrap().burst(10))
        .failure_rate_limit(RateLimit::per_minute(1).unwrap().burst(3))
        .trusted_proxies([PROXY])
        .body_limit(BODY_LIMIT)
        .body_timeout(BODY_TIMEOUT)
        .build()
        .unwrap()
}

/// The pipeline of `/race`: rate limits out of the way, a short handler timeout, so races and
/// failure repair are what is measured.
pub fn race_pipeline() -> Pipeline {
    Pipeline::builder(verifier())
        .replay(
            ReplayGuard::builder(clocked_store())
                .handler_timeout(Duration::from_millis(300))
                .lease(Duration::from_secs(10))
                .build()
                .unwrap(),
        )
        .rate_limit(RateLimit::per_second(1_000_000).unwrap())
        .failure_rate_limit(RateLimit::per_second(1_000_000).unwrap())
        .body_limit(BODY_LIMIT)
        .body_timeout(BODY_TIMEOUT)
        .build()
        .unwrap()
}

/// The per-tenant pipeline of `/t/{tenant}/webhook`: only tenant `acme` exists.
pub fn tenant_pipeline() -> Pipeline {
    let resolver = |parts: &http::request::Parts| -> Result<Option<Tenant>, ResolveError> {
        let mut segments = parts.uri.path().split('/').skip(1);
        match (segments.next(), segments.next()) {
            (Some("t"), Some("acme")) => Ok(Some(Tenant {
                name: "acme".into(),
                verifier: Verifier::builder(Provider::StandardWebhooks)
                    .secret(TENANT_SECRET)
                    .build()
                    .unwrap(),
            })),
            (Some("t"), Some("broken")) => Err(ResolveError::new("tenant database down")),
            _ => Ok(None),
        }
    };
    Pipeline::with_resolver(Provider::StandardWebhooks.scheme(), resolver)
        .replay(guard(MemoryStore::default()))
        .trusted_proxies([PROXY])
        .body_limit(BODY_LIMIT)
        .body_timeout(BODY_TIMEOUT)
        .build()
        .unwrap()
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A request signed by `provider`'s signer (handshake tests use other providers).
pub fn signed_for(
    from: &str,
    provider: Provider,
    secret: &str,
    body: &str,
    extra: &[(&str, &str)],
) -> Req {
    let h = Signer::new(provider, secret)
        .unwrap()
        .sign(
            &Delivery::new(body.as_bytes().to_vec())
                .id("msg_handshake")
                .timestamp(unix_now()),
        )
        .unwrap();
    let mut req = Req::new(from).body(body.as_bytes());
    for (k, v) in &h {
        req = req.header(k.as_str(), v.to_str().unwrap());
    }
    for (k, v) in extra {
        req = req.header(k, v);
    }
    req.header("content-type", "application/json")
}

/// A raw HTTP/1.1 request, so tests control every byte (duplicate headers, chunking, stalls).
#[derive(Clone, Debug)]
pub struct Req {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send the body chunked, in pieces of this size.
    pub chunked: Option<usize>,
    /// Send only this many body bytes, then stall until the server answers.
    pub stall_after: Option<usize>,
    /// Override `Content-Length` (to declare more than is sent).
    pub content_length: Option<u64>,
    /// Local address to connect from (127.0.0.0/8 are all loopback).
    pub from: IpAddr,
    pub method: &'static str,
}

impl Req {
    pub fn new(from: &str) -> Self {
        Req {
            path: "/webhook".into(),
            headers: Vec::new(),
            body: Vec::new(),
            chunked: None,
            stall_after: None,
            content_length: None,
            from: from.parse().unwrap(),
            method: "POST",
        }
    }

    /// A Standard Webhooks delivery signed with `secret` at `ts`.
    pub fn signed_with(mut self, secret: &str, id: &str, ts: i64, body: &str) -> Self {
        let h = Signer::new(Provider::StandardWebhooks, secret)
            .unwrap()
            .sign(&Delivery::new(body.as_bytes().to_vec()).id(id).timestamp(ts))
            .unwrap();
        for (k, v) in &h {
            self.headers
                .push((k.to_string(), v.to_str().unwrap().to_owned()));
        }
        self.headers
            .push(("content-type".into(), "application/json".into()));
        self.body = body.as_bytes().to_vec();
        self
    }

    pub fn signed(self, id: &str, body: &str) -> Self {
        self.signed_with(SECRET, id, unix_now(), body)
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn set_header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn without(mut self, name: &str) -> Self {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self
    }

    pub fn body(mut self, body: &[u8]) -> Self {
        self.body = body.to_vec();
        self
    }

    pub fn path(mut self, path: &str) -> Self {
        self.path = path.into();
        self
    }

    pub fn get(mut self) -> Self {
        self.method = "GET";
        self
    }

    fn bytes_head(&self) -> Vec<u8> {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n",
            self.method, self.path
        );
        for (k, v) in &self.headers {
            head += &format!("{k}: {v}\r\n");
        }
        if self.chunked.is_some() {
            head += "transfer-encoding: chunked\r\n";
        } else {
            let len = self.content_length.unwrap_or(self.body.len() as u64);
            head += &format!("content-length: {len}\r\n");
        }
        head += "\r\n";
        head.into_bytes()
    }
}

/// What came back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn code(&self) -> Option<String> {
        let v: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        v.get("code")?.as_str().map(str::to_owned)
    }
}

async fn connect(from: IpAddr, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    socket.connect(to).await.unwrap()
}

/// Sends `req` and reads the whole response (the server closes: `connection: close`).
pub async fn send(addr: SocketAddr, req: &Req) -> Resp {
    tokio::time::timeout(Duration::from_secs(10), send_inner(addr, req))
        .await
        .expect("no answer within 10 s")
}

async fn send_inner(addr: SocketAddr, req: &Req) -> Resp {
    let mut stream = connect(req.from, addr).await;
    let _ = stream.write_all(&req.bytes_head()).await;
    match (req.chunked, req.stall_after) {
        (Some(size), stall) => {
            let limit = stall.unwrap_or(req.body.len());
            for piece in req.body[..limit].chunks(size) {
                let frame = [format!("{:x}\r\n", piece.len()).as_bytes(), piece, b"\r\n"].concat();
                if stream.write_all(&frame).await.is_err() {
                    break; // the server answered and closed early: read its answer
                }
            }
            if stall.is_none() {
                let _ = stream.write_all(b"0\r\n\r\n").await;
            }
        }
        (None, Some(n)) => {
            let _ = stream.write_all(&req.body[..n]).await;
        }
        (None, None) => {
            let _ = stream.write_all(&req.body).await;
        }
    }
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    parse_response(&raw)
}

pub fn parse_response(raw: &[u8]) -> Resp {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| {
            panic!(
                "no complete response head: {:?}",
                String::from_utf8_lossy(raw)
            )
        });
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Resp {
        status,
        headers,
        body,
    }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(pos) = raw.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(std::str::from_utf8(&raw[..pos]).unwrap_or("0").trim(), 16)
                .unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&raw[pos + 2..pos + 2 + size]);
        raw = &raw[pos + 2 + size + 2..];
    }
    out
}

/// One row's outcome, compared across adapters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub row: &'static str,
    pub status: u16,
    /// The headers the table pins: content-type, retry-after, ratelimit, ratelimit-policy.
    pub headers: Vec<(String, String)>,
    pub code: Option<String>,
    pub ran: usize,
}

fn pinned(resp: &Resp) -> Vec<(String, String)> {
    let mut out: Vec<_> = resp
        .headers
        .iter()
        .filter(|(k, _)| {
            matches!(
                k.as_str(),
                "content-type" | "retry-after" | "ratelimit" | "ratelimit-policy"
            )
        })
        .cloned()
        .collect();
    out.sort();
    out
}

/// A running test app of some adapter.
pub struct TestApp {
    pub addr: SocketAddr,
    pub log: HandlerLog,
}

struct Row {
    name: &'static str,
    status: u16,
    code: Option<&'static str>,
    ran: usize,
}

fn expect(out: &mut Vec<Outcome>, row: Row, resp: &Resp, ran: usize) {
    let outcome = Outcome {
        row: row.name,
        status: resp.status,
        headers: pinned(resp),
        code: resp.code(),
        ran,
    };
    assert_eq!(
        (resp.status, resp.code().as_deref(), ran),
        (row.status, row.code, row.ran),
        "row `{}`: got {:?} body {:?}",
        row.name,
        outcome,
        String::from_utf8_lossy(&resp.body)
    );
    out.push(outcome);
}

async fn step(app: &TestApp, out: &mut Vec<Outcome>, row: Row, req: Req) -> Resp {
    let before = app.log.runs();
    let resp = send(app.addr, &req).await;
    // Give a handler that runs after the answer (none should) a moment to show up.
    let ran = app.log.runs() - before;
    expect(out, row, &resp, ran);
    resp
}

fn row(name: &'static str, status: u16, code: Option<&'static str>, ran: usize) -> Row {
    Row {
        name,
        status,
        code,
        ran,
    }
}

/// Runs the whole table against `app`; returns every row's outcome (for parity checks).
/// `salt` keeps delivery ids unique when several apps share nothing but the table.
pub async fn run_table(app: &TestApp, salt: &str) -> Vec<Outcome> {
    let mut out = Vec::new();
    let now = unix_now();
    let id = |n: &str| format!("msg_{salt}_{n}");
    let body = |extra: &str| format!(r#"{{"type":"invoice.paid","note":"{CANARY_BODY}"{extra}}}"#);

    // Acceptance, duplicates and the verified id.
    let ok = Req::new("127.0.0.10").signed(&id("ok"), &body(""));
    step(
        app,
        &mut out,
        row("valid delivery", 204, None, 1),
        ok.clone(),
    )
    .await;
    assert_eq!(
        app.log.0.lock().unwrap().last().unwrap(),
        &id("ok"),
        "handler sees the signed id"
    );
    let retry = Req::new("127.0.0.10").signed_with(SECRET, &id("ok"), now + 1, &body(""));
    let dup = step(
        app,
        &mut out,
        row(
            "provider retry of a handled delivery",
            200,
            Some("duplicate_delivery"),
            0,
        ),
        retry,
    )
    .await;
    assert!(
        dup.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    step(
        app,
        &mut out,
        row("exact replay", 200, Some("duplicate_delivery"), 0),
        ok,
    )
    .await;

    // Every verification rejection code.
    // Each refused row comes from its own address, so the failure budget (3) is not the cause.
    let next = std::sync::atomic::AtomicU32::new(1);
    let ip = || {
        format!(
            "127.0.1.{}",
            next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        )
    };
    let fresh = |n: &str| Req::new(&ip()).signed(&id(n), &body(""));
    step(
        app,
        &mut out,
        row("tampered body", 401, Some("signature_mismatch"), 0),
        fresh("tampered").body(body(r#","x":1"#).as_bytes()),
    )
    .await;
    step(
        app,
        &mut out,
        row("wrong secret", 401, Some("signature_mismatch"), 0),
        Req::new(&ip()).signed_with(
            "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            &id("wrong"),
            now,
            &body(""),
        ),
    )
    .await;
    step(
        app,
        &mut out,
        row("stale timestamp", 401, Some("timestamp_out_of_window"), 0),
        Req::new(&ip()).signed_with(SECRET, &id("stale"), now - 600, &body("")),
    )
    .await;
    step(
        app,
        &mut out,
        row("future timestamp", 401, Some("timestamp_out_of_window"), 0),
        Req::new(&ip()).signed_with(SECRET, &id("future"), now + 600, &body("")),
    )
    .await;
    step(
        app,
        &mut out,
        row("missing signature", 401, Some("missing_signature"), 0),
        fresh("nosig").without("webhook-signature"),
    )
    .await;
    step(
        app,
        &mut out,
        row("missing id", 401, Some("missing_header"), 0),
        fresh("noid").without("webhook-id"),
    )
    .await;
    let sig = fresh("x")
        .headers
        .iter()
        .find(|(k, _)| k == "webhook-signature")
        .unwrap()
        .1
        .clone();
    step(
        app,
        &mut out,
        row(
            "duplicate signature header",
            400,
            Some("duplicate_header"),
            0,
        ),
        fresh("dupsig").header("webhook-signature", &sig),
    )
    .await;
    step(
        app,
        &mut out,
        row("malformed timestamp", 400, Some("malformed_header"), 0),
        fresh("badts").set_header("webhook-timestamp", &format!("+{now}")),
    )
    .await;
    let many = std::iter::repeat_n(sig.as_str(), 9)
        .collect::<Vec<_>>()
        .join(" ");
    step(
        app,
        &mut out,
        row("nine signatures", 400, Some("too_many_signatures"), 0),
        fresh("many").set_header("webhook-signature", &many),
    )
    .await;
    step(
        app,
        &mut out,
        row("only a v1a entry", 401, Some("missing_signature"), 0),
        fresh("v1a").set_header("webhook-signature", "v1a,AAAA"),
    )
    .await;

    // Decoding after a valid signature.
    step(
        app,
        &mut out,
        row("verified but not JSON", 400, Some("invalid_payload"), 0),
        Req::new(&ip()).signed(&id("notjson"), "this is not json"),
    )
    .await;

    // Body limits and deadlines.
    step(
        app,
        &mut out,
        row(
            "gzip content-encoding",
            415,
            Some("unsupported_encoding"),
            0,
        ),
        Req::new(&ip())
            .signed(&id("gzip"), &body(""))
            .header("content-encoding", "gzip"),
    )
    .await;
    let mut declared = Req::new(&ip()).signed(&id("cl"), &body(""));
    declared.content_length = Some(50 * 1024 * 1024);
    declared.stall_after = Some(0);
    step(
        app,
        &mut out,
        row(
            "content-length over the cap",
            413,
            Some("payload_too_large"),
            0,
        ),
        declared,
    )
    .await;
    let big = format!(r#"{{"pad":"{}"}}"#, "a".repeat(BODY_LIMIT + 1));
    let mut chunked = Req::new(&ip()).signed(&id("chunked"), &big);
    chunked.chunked = Some(8 * 1024);
    step(
        app,
        &mut out,
        row(
            "chunked body over the cap",
            413,
            Some("payload_too_large"),
            0,
        ),
        chunked,
    )
    .await;
    let mut slow = Req::new(&ip()).signed(&id("slow"), &body(""));
    slow.stall_after = Some(5);
    step(
        app,
        &mut out,
        row("slow body", 408, Some("body_timeout"), 0),
        slow,
    )
    .await;
    let mut chunked_ok = Req::new(&ip()).signed(&id("chunkedok"), &body(""));
    chunked_ok.chunked = Some(7);
    step(
        app,
        &mut out,
        row("chunked body under the cap", 204, None, 1),
        chunked_ok,
    )
    .await;

    // Handler failure releases the claim; the provider's retry (same body, new timestamp and
    // signature) runs it once the cool-down of a first failure (1 s) has passed. Copies
    // inside the cool-down are 409 with `Retry-After`, and the same id with another body is a
    // conflict, never a silent duplicate.
    let failing = body(r#","fail":true,"times":1"#);
    step(
        app,
        &mut out,
        row("handler fails", 500, None, 1),
        Req::new("127.0.0.17").signed(&id("fail"), &failing),
    )
    .await;
    step(
        app,
        &mut out,
        row(
            "copy inside the cool-down",
            409,
            Some("delivery_cooling_down"),
            0,
        ),
        Req::new("127.0.0.17").signed_with(SECRET, &id("fail"), now + 1, &failing),
    )
    .await;
    step(
        app,
        &mut out,
        row("same id, other body", 409, Some("delivery_conflict"), 0),
        Req::new("127.0.0.17").signed_with(SECRET, &id("fail"), now + 1, &body("")),
    )
    .await;
    replay_clock().advance(hookguard::replay::DEFAULT_FAILURE_BACKOFF);
    step(
        app,
        &mut out,
        row("retry after a handler failure", 204, None, 1),
        Req::new("127.0.0.17").signed_with(SECRET, &id("fail"), now + 2, &failing),
    )
    .await;
    step(
        app,
        &mut out,
        row(
            "a handled delivery's id with another body",
            409,
            Some("delivery_conflict"),
            0,
        ),
        Req::new("127.0.0.17").signed_with(SECRET, &id("fail"), now + 3, &body("")),
    )
    .await;

    // In flight: a second copy while the first is being handled.
    let slow_handler = Req::new("127.0.0.18").signed(&id("inflight"), &body(r#","sleep_ms":1500"#));
    let before = app.log.runs();
    let first = tokio::spawn({
        let (addr, req) = (app.addr, slow_handler.clone());
        async move { send(addr, &req).await }
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    let second = send(app.addr, &slow_handler).await;
    let first = first.await.unwrap();
    let ran = app.log.runs() - before;
    expect(
        &mut out,
        row("first of two concurrent copies", 204, None, 1),
        &first,
        ran,
    );
    expect(
        &mut out,
        row(
            "second copy while in flight",
            409,
            Some("delivery_in_flight"),
            1,
        ),
        &second,
        ran,
    );
    let retry_after: u64 = second.header("retry-after").unwrap().parse().unwrap();
    assert!(retry_after >= 1);

    // Rate limiting: verified traffic under quota is never refused; a flood is.
    for n in 0..8 {
        step(
            app,
            &mut out,
            row("verified traffic under quota", 204, None, 1),
            Req::new("127.0.0.20").signed(&id(&format!("quota{n}")), &body("")),
        )
        .await;
    }
    let mut limited = None;
    for n in 0..20 {
        let resp = send(
            app.addr,
            &Req::new("127.0.0.21").signed(&id(&format!("flood{n}")), &body("")),
        )
        .await;
        if resp.status == 429 {
            limited = Some(resp);
            break;
        }
        assert_eq!(resp.status, 204);
    }
    let limited = limited.expect("a flood from one client is limited");
    expect(
        &mut out,
        row("flood from one client", 429, Some("rate_limited"), 0),
        &limited,
        0,
    );
    let wait: u64 = limited
        .header("retry-after")
        .unwrap()
        .parse()
        .expect("integer Retry-After");
    assert!(wait >= 1);
    assert!(limited.header("ratelimit").is_some() && limited.header("ratelimit-policy").is_some());

    // Forgers spend a much smaller budget (3 failures; the one that overdraws it puts the
    // client in the penalty box) and are then refused before the body is read.
    for n in 0..4 {
        step(
            app,
            &mut out,
            row(
                "forgery within the failure budget",
                401,
                Some("signature_mismatch"),
                0,
            ),
            Req::new("127.0.0.22").signed_with(
                "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                &id(&format!("forge{n}")),
                now,
                &body(""),
            ),
        )
        .await;
    }
    step(
        app,
        &mut out,
        row(
            "forger after the failure budget",
            429,
            Some("rate_limited"),
            0,
        ),
        Req::new("127.0.0.22").signed(&id("forge-then-valid"), &body("")),
    )
    .await;

    // X-Forwarded-For: ignored from an untrusted peer, honoured from the trusted proxy.
    let mut spoof_limited = false;
    for n in 0..15 {
        let r = Req::new("127.0.0.23")
            .signed(&id(&format!("spoof{n}")), &body(""))
            .header("x-forwarded-for", &format!("203.0.113.{n}"));
        if send(app.addr, &r).await.status == 429 {
            spoof_limited = true;
        }
    }
    assert!(
        spoof_limited,
        "rotating X-Forwarded-For from an untrusted peer must not escape the limit"
    );
    for n in 0..15 {
        let r = Req::new(PROXY)
            .signed(&id(&format!("proxied{n}")), &body(""))
            .header("x-forwarded-for", &format!("198.51.100.{n}"));
        let resp = send(app.addr, &r).await;
        assert_eq!(
            resp.status, 204,
            "distinct clients behind the trusted proxy"
        );
    }
    out.push(Outcome {
        row: "x-forwarded-for trust",
        status: 0,
        headers: vec![],
        code: None,
        ran: 0,
    });

    // Per-tenant secrets: an unknown tenant is answered exactly like a bad signature.
    step(
        app,
        &mut out,
        row("known tenant", 204, None, 1),
        Req::new("127.0.0.24")
            .signed_with(TENANT_SECRET, &id("tenant"), now, &body(""))
            .path("/t/acme/webhook"),
    )
    .await;
    let bad_sig = send(
        app.addr,
        &Req::new("127.0.0.24")
            .signed_with(SECRET, &id("t2"), now, &body(""))
            .path("/t/acme/webhook"),
    )
    .await;
    let unknown = send(
        app.addr,
        &Req::new("127.0.0.24")
            .signed_with(TENANT_SECRET, &id("t3"), now, &body(""))
            .path("/t/nobody/webhook"),
    )
    .await;
    assert_eq!(bad_sig.status, 401);
    assert_eq!(
        (unknown.status, pinned(&unknown), &unknown.body),
        (bad_sig.status, pinned(&bad_sig), &bad_sig.body),
        "unknown tenant must be byte-identical to a bad signature"
    );
    expect(
        &mut out,
        row("unknown tenant", 401, Some("signature_mismatch"), 0),
        &unknown,
        0,
    );
    step(
        app,
        &mut out,
        row("resolver failure", 503, Some("unavailable"), 0),
        Req::new("127.0.0.25")
            .signed_with(TENANT_SECRET, &id("t4"), now, &body(""))
            .path("/t/broken/webhook"),
    )
    .await;
    out
}

/// 10 000 IPv6 addresses inside one /64, through the trusted proxy, share one bucket.
pub async fn ipv6_prefix_shares_a_bucket(app: &TestApp) {
    let mut limited = 0;
    let mut stream = None::<()>;
    let _ = &mut stream;
    for n in 0..10_000u32 {
        let ip = format!("2001:db8:aa:bb:{:x}:{:x}::1", n >> 16, n & 0xffff);
        // Unsigned: the limiter runs before verification, so cheap requests suffice.
        let r = Req::new(PROXY).header("x-forwarded-for", &ip);
        let resp = send(app.addr, &r).await;
        if resp.status == 429 {
            limited += 1;
        }
        if limited > 0 && n > 100 {
            break;
        }
    }
    assert!(limited > 0, "addresses in one /64 must share one bucket");
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The cap of the extractor apps' `/big/…` routes; their `/default/…` routes keep the
/// pipeline's default cap ([`hookguard::pipeline::DEFAULT_BODY_LIMIT`], 1 MiB).
pub const BIG_CAP: usize = 4 * 1024 * 1024;

/// The body extractors every adapter's extractor app serves, one route each under `/default/`
/// and `/big/`: the framework's `bytes`, `string`, `json` and `form`, and hookguard's `webhook`.
pub const EXTRACTORS: [&str; 5] = ["bytes", "string", "json", "form", "webhook"];

/// The payload the `json`, `form` and `webhook` routes decode.
#[derive(serde::Deserialize)]
pub struct Pad {
    pub pad: String,
}

/// The pipeline of an extractor app's routes: `cap` (`None`: the default), rate limits out of
/// the way (the rows send from few addresses).
pub fn capped_pipeline(cap: Option<usize>) -> Pipeline {
    let builder = Pipeline::builder(verifier())
        .replay(guard(MemoryStore::default()))
        .rate_limit(RateLimit::per_second(1_000_000).unwrap())
        .failure_rate_limit(RateLimit::per_second(1_000_000).unwrap());
    match cap {
        Some(cap) => builder.body_limit(cap),
        None => builder,
    }
    .build()
    .unwrap()
}

/// An extractor handler's answer: 204 when it got the `x-expect-len` count of bytes (the whole
/// body for `bytes`/`string`, the decoded `pad` for the others), else 500; and the count it
/// got, for the `x-got` header.
pub fn extractor_answer(expected: Option<&[u8]>, got: usize) -> (u16, String) {
    let expected = expected
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.parse::<usize>().ok());
    let status = if expected == Some(got) { 204 } else { 500 };
    (status, got.to_string())
}

/// A body of exactly `total` bytes for `extractor`'s route (a form for `form`, JSON
/// otherwise), its content type, and what the handler must count.
fn padded(extractor: &str, total: usize) -> (String, &'static str, usize) {
    if extractor == "form" {
        let pad = total - "pad=".len();
        let body = format!("pad={}", "a".repeat(pad));
        (body, "application/x-www-form-urlencoded", pad)
    } else {
        let pad = total - r#"{"pad":""}"#.len();
        let body = format!(r#"{{"pad":"{}"}}"#, "a".repeat(pad));
        let counted = if matches!(extractor, "bytes" | "string") {
            total
        } else {
            pad
        };
        (body, "application/json", counted)
    }
}

/// A signed delivery of exactly `total` bytes to `/{cap}/{extractor}`.
pub fn sized_delivery(from: &str, id: &str, cap: &str, extractor: &str, total: usize) -> Req {
    let (body, content_type, counted) = padded(extractor, total);
    Req::new(from)
        .signed(id, &body)
        .set_header("content-type", content_type)
        .header("x-expect-len", &counted.to_string())
        .path(&format!("/{cap}/{extractor}"))
}

/// Verified bodies up to the pipeline's cap reach every body extractor; one byte over the cap
/// is 413 before verification. Bodies just over actix's default payload limit (256 KiB),
/// exactly at the default cap (1 MiB, over actix's default form limit), and 3 MiB under a
/// 4 MiB cap (over axum's and actix's JSON default of 2 MB).
pub async fn run_extractor_rows(app: &TestApp, salt: &str) -> Vec<Outcome> {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * KIB;
    let default_cap = hookguard::pipeline::DEFAULT_BODY_LIMIT;
    let sizes: [(&str, usize, &str, u16); 5] = [
        ("default", 256 * KIB + 1, "256 KiB + 1", 204),
        ("default", default_cap, "exactly the default cap", 204),
        ("default", default_cap + 1, "default cap + 1", 413),
        ("big", 3 * MIB, "3 MiB, cap 4 MiB", 204),
        ("big", BIG_CAP + 1, "cap 4 MiB + 1", 413),
    ];
    let mut out = Vec::new();
    for extractor in EXTRACTORS {
        for (n, &(cap, total, size, status)) in sizes.iter().enumerate() {
            let name: &'static str = Box::leak(format!("{extractor}: {size}").into_boxed_str());
            let mut req = sized_delivery(
                "127.0.0.50",
                &format!("msg_{salt}_{extractor}_{n}"),
                cap,
                extractor,
                total,
            );
            let refused = status == 413;
            if refused {
                // Declared, not sent: the answer must come before the body is read.
                req.stall_after = Some(0);
            }
            let code = refused.then_some("payload_too_large");
            let resp = step(
                app,
                &mut out,
                row(name, status, code, usize::from(!refused)),
                req,
            )
            .await;
            if !refused {
                let counted = padded(extractor, total).2.to_string();
                assert_eq!(
                    resp.header("x-got"),
                    Some(counted.as_str()),
                    "row `{name}`: the handler saw the whole payload"
                );
            }
        }
    }
    out
}
