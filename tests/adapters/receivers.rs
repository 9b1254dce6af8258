//! The example receivers as users run them: real processes configured only from the
//! environment, real HTTP over loopback. Every process started here is ended here, by PID.
#![cfg(all(feature = "axum", feature = "actix-web"))]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

use crate::scenarios::{self, Req, send, unix_now};

const RECEIVERS: [&str; 2] = ["axum_receiver", "actix_receiver"];
/// The receivers' public demo secret (the scenario table signs with the same one).
const DEMO_SECRET: &str = scenarios::SECRET;

/// The example binary `name`, built by `cargo test` beside this test's own binary.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path = profile_dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is missing: `cargo test --all-features` builds it",
        path.display()
    );
    path
}

/// A command for receiver `name` with exactly `env` (nothing inherited but `PATH`).
fn command(name: &str, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(example(name));
    command.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    command.envs(env.iter().copied());
    command
}

/// Lines a pipe has printed so far, read by a thread of their own.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<String>>>);

impl Lines {
    fn follow(pipe: impl std::io::Read + Send + 'static) -> Self {
        let lines = Lines::default();
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                sink.0.lock().unwrap().push(line);
            }
        });
        lines
    }

    fn text(&self) -> String {
        self.0.lock().unwrap().join("\n")
    }

    fn contains(&self, needle: &str) -> bool {
        self.0.lock().unwrap().iter().any(|l| l.contains(needle))
    }
}

/// A running receiver; dropping it kills it (SIGKILL to its PID) and reaps it.
struct Receiver {
    child: Child,
    addr: SocketAddr,
    stdout: Lines,
    stderr: Lines,
}

impl Receiver {
    /// Starts `name` on a free loopback port with `env`; waits for its "listening on" line.
    fn start(name: &str, env: &[(&str, &str)]) -> Receiver {
        let mut env = env.to_vec();
        env.push(("HOOKGUARD_LISTEN", "127.0.0.1:0"));
        let mut child = command(name, &env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = Lines::follow(child.stdout.take().unwrap());
        let stderr = Lines::follow(child.stderr.take().unwrap());
        let started = Instant::now();
        let addr = loop {
            let listening = stderr.0.lock().unwrap().iter().find_map(|line| {
                let rest = line.split("listening on http://").nth(1)?;
                rest.split('/').next()?.parse::<SocketAddr>().ok()
            });
            if let Some(addr) = listening {
                break addr;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("{name} exited with {status}: {}", stderr.text());
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{name} did not start: {}",
                stderr.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        Receiver {
            child,
            addr,
            stdout,
            stderr,
        }
    }

    /// Waits (bounded) until stdout has `line`.
    async fn printed(&self, line: &str) -> bool {
        for _ in 0..200 {
            if self.stdout.0.lock().unwrap().iter().any(|l| l == line) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `name` with `env` to its exit (bounded); its exit code and stderr.
fn exit_of(name: &str, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut child = command(name, env)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = Lines::follow(child.stderr.take().unwrap());
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            // Let the reader thread take the last lines.
            std::thread::sleep(Duration::from_millis(50));
            return (status.code(), stderr.text());
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{name} kept running: {}", stderr.text());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_secret_that_would_fall_back_to_the_demo_key_is_a_start_up_error() {
    for name in RECEIVERS {
        for blank in ["", "   ", "\t"] {
            let (code, stderr) = exit_of(name, &[("HOOKGUARD_SECRET", blank)]);
            assert_eq!(
                code,
                Some(2),
                "{name} with HOOKGUARD_SECRET={blank:?}: {stderr}"
            );
            assert!(stderr.contains("set but empty"), "{name}: {stderr}");
            assert!(!stderr.contains("DEMO MODE") && !stderr.contains("listening"));
        }
        // Unset, on an address other machines reach: refused before anything is bound.
        for listen in ["0.0.0.0:0", "[::]:0"] {
            let (code, stderr) = exit_of(name, &[("HOOKGUARD_LISTEN", listen)]);
            assert_eq!(code, Some(2), "{name} on {listen}: {stderr}");
            assert!(stderr.contains("not set"), "{name}: {stderr}");
            assert!(!stderr.contains("listening"), "{name}: {stderr}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unset_on_loopback_the_demo_secret_is_used_and_announced() {
    for name in RECEIVERS {
        let receiver = Receiver::start(name, &[]);
        let banner = receiver.stderr.text();
        assert!(
            banner.contains("DEMO MODE") && banner.contains("loopback"),
            "{name}: {banner}"
        );
        let id = format!("msg_demo_{name}");
        let resp = send(receiver.addr, &Req::new("127.0.0.1").signed(&id, "{}")).await;
        assert_eq!(resp.status, 204, "{name}");
        assert!(receiver.printed(&format!("handled {id}")).await, "{name}");
    }
}

/// A Standard Webhooks delivery of exactly `size` bytes of JSON.
fn sized(from: &str, id: &str, size: usize) -> Req {
    let pad = size - r#"{"pad":""}"#.len();
    Req::new(from).signed(id, &format!(r#"{{"pad":"{}"}}"#, "a".repeat(pad)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hookguard_max_body_is_the_one_limit_on_both_receivers() {
    const CAP: usize = 4 * 1024 * 1024;
    let cap = CAP.to_string();
    for name in RECEIVERS {
        let env = [
            ("HOOKGUARD_SECRET", DEMO_SECRET),
            ("HOOKGUARD_MAX_BODY", cap.as_str()),
        ];
        let receiver = Receiver::start(name, &env);
        for (n, size) in [256 * 1024 + 1, 1024 * 1024, 3 * 1024 * 1024, CAP]
            .into_iter()
            .enumerate()
        {
            let id = format!("msg_size_{n}");
            let resp = send(receiver.addr, &sized("127.0.0.1", &id, size)).await;
            assert_eq!(resp.status, 204, "{name}, {size} bytes");
            assert!(receiver.printed(&format!("handled {id}")).await, "{name}");
        }
        let over = send(receiver.addr, &sized("127.0.0.1", "msg_over", CAP + 1)).await;
        assert_eq!(over.status, 413, "{name}, cap + 1");
        assert!(!receiver.stdout.contains("msg_over"));
    }
}

/// Connects from `from` (any 127.0.0.0/8 address) to `to`.
async fn connect(from: &str, to: SocketAddr) -> std::io::Result<tokio::net::TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from.parse().unwrap(), 0))?;
    socket.connect(to).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_idle_connections_from_one_client_do_not_stop_deliveries() {
    let receiver = Receiver::start("axum_receiver", &[("HOOKGUARD_SECRET", DEMO_SECRET)]);
    let mut idle = Vec::new();
    for _ in 0..1000 {
        if let Ok(stream) = connect("127.0.0.50", receiver.addr).await {
            idle.push(stream);
        }
    }
    assert_eq!(idle.len(), 1000, "the kernel took every connection");
    let id = "msg_beside_idle";
    let delivery = Req::new("127.0.0.51").signed(id, "{}");
    let resp = tokio::time::timeout(Duration::from_secs(1), send(receiver.addr, &delivery))
        .await
        .expect("served within a second beside 1 000 idle connections");
    assert_eq!(resp.status, 204);
    assert!(receiver.printed(&format!("handled {id}")).await);
    // The server kept at most its per-client bound (64) of them open.
    let mut closed = tokio::task::JoinSet::new();
    for mut stream in idle {
        closed.spawn(async move {
            let mut byte = [0u8; 1];
            matches!(
                tokio::time::timeout(Duration::from_secs(2), stream.read(&mut byte)).await,
                Ok(Ok(0) | Err(_))
            )
        });
    }
    let mut open = 0;
    while let Some(was_closed) = closed.join_next().await {
        open += usize::from(!was_closed.unwrap());
    }
    assert!(
        open <= 64,
        "{open} idle connections from one client kept open"
    );
}

/// Sends a request head one byte a second; returns when the server ends the connection (with
/// what it answered), or `None` if it had not after 15 s.
async fn trickle(addr: SocketAddr, from: &str) -> Option<(Duration, Vec<u8>)> {
    let mut stream = connect(from, addr).await.unwrap();
    let started = Instant::now();
    let head = b"POST /webhook HTTP/1.1\r\nhost: localhost\r\nx-slow: aaaaaaaaaaaaaaaaaaaaaaaa";
    let mut answer = Vec::new();
    for byte in head.iter().take(15) {
        if stream.write_all(&[*byte]).await.is_err() {
            break;
        }
        let mut buf = [0u8; 512];
        match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some((started.elapsed(), answer)),
            Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
            Err(_) => {} // still open: the next byte
        }
    }
    let mut rest = Vec::new();
    match tokio::time::timeout(Duration::from_secs(1), stream.read_to_end(&mut rest)).await {
        Ok(_) => {
            answer.extend_from_slice(&rest);
            Some((started.elapsed(), answer))
        }
        Err(_) => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_trickled_a_byte_a_second_is_cut_off_on_both_receivers() {
    let env = [("HOOKGUARD_SECRET", DEMO_SECRET)];
    let axum = Receiver::start("axum_receiver", &env);
    let actix = Receiver::start("actix_receiver", &env);
    let (on_axum, on_actix) = tokio::join!(
        trickle(axum.addr, "127.0.0.52"),
        trickle(actix.addr, "127.0.0.53")
    );
    for (name, outcome) in [("axum", on_axum), ("actix", on_actix)] {
        let (after, answer) = outcome.unwrap_or_else(|| panic!("{name}: still open after 15 s"));
        // Both cut it off at their 5 s header timeout (a second of slack for scheduling).
        assert!(
            after >= Duration::from_secs(4) && after < Duration::from_secs(7),
            "{name}: closed after {after:?}"
        );
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
            "{name}: {answer}"
        );
    }
}

/// Through a proxy at 127.0.0.9: 11 forgeries (one past the failure budget) in the forger's
/// name, then a real delivery in the provider's; the real delivery's status.
async fn forger_then_provider(receiver: &Receiver, salt: &str) -> u16 {
    let via_proxy = |client: &str, req: Req| req.header("x-forwarded-for", client);
    for n in 0..11 {
        let forged = Req::new("127.0.0.9").signed_with(
            "whsec_Zm9yZ2VyLWtleS1ub2JvZHktaG9sZHMtaXQ=",
            &format!("msg_forged_{salt}_{n}"),
            unix_now(),
            "{}",
        );
        let resp = send(receiver.addr, &via_proxy("203.0.113.66", forged)).await;
        assert!(matches!(resp.status, 401 | 429), "{}", resp.status);
    }
    let real = Req::new("127.0.0.9").signed(&format!("msg_real_{salt}"), "{}");
    send(receiver.addr, &via_proxy("198.51.100.7", real))
        .await
        .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_proxies_keep_a_forger_from_locking_the_provider_out() {
    for name in RECEIVERS {
        let untrusting = Receiver::start(name, &[("HOOKGUARD_SECRET", DEMO_SECRET)]);
        assert_eq!(
            forger_then_provider(&untrusting, "plain").await,
            429,
            "{name}: without the setting the proxy is one client, locked out"
        );
        let trusting = Receiver::start(
            name,
            &[
                ("HOOKGUARD_SECRET", DEMO_SECRET),
                ("HOOKGUARD_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.9"),
            ],
        );
        assert_eq!(
            forger_then_provider(&trusting, "proxied").await,
            204,
            "{name}"
        );
        assert!(trusting.printed("handled msg_real_proxied").await, "{name}");
    }
    let (code, stderr) = exit_of(
        "axum_receiver",
        &[
            ("HOOKGUARD_SECRET", DEMO_SECRET),
            ("HOOKGUARD_TRUSTED_PROXIES", "10.0.0.0/33"),
        ],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("HOOKGUARD_TRUSTED_PROXIES"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_log_sets_the_verbosity_and_a_malformed_request_is_a_warning() {
    for name in RECEIVERS {
        let quiet = Receiver::start(
            name,
            &[("HOOKGUARD_SECRET", DEMO_SECRET), ("RUST_LOG", "warn")],
        );
        let resp = send(quiet.addr, &Req::new("127.0.0.1").signed("msg_quiet", "{}")).await;
        assert_eq!(resp.status, 204);
        assert!(quiet.printed("handled msg_quiet").await);
        assert!(
            !quiet.stderr.contains("webhook decision"),
            "{name}: INFO decisions printed at RUST_LOG=warn"
        );
        let chatty = Receiver::start(name, &[("HOOKGUARD_SECRET", DEMO_SECRET)]);
        let resp = send(
            chatty.addr,
            &Req::new("127.0.0.1").signed("msg_chatty", "{}"),
        )
        .await;
        assert_eq!(resp.status, 204);
        let mut garbage = connect("127.0.0.1", chatty.addr).await.unwrap();
        garbage.write_all(b"GARBAGE\r\n\r\n").await.unwrap();
        let mut answer = Vec::new();
        let _ =
            tokio::time::timeout(Duration::from_secs(5), garbage.read_to_end(&mut answer)).await;
        assert!(
            String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 400"),
            "{name}"
        );
        for _ in 0..100 {
            if chatty.stderr.contains("webhook decision") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let log = chatty.stderr.text();
        assert!(log.contains("webhook decision"), "{name}: {log}");
        assert!(
            !log.contains(" ERROR "),
            "{name}: a client's mistake at ERROR: {log}"
        );
    }
}

/// A store file in the temp dir for an inbox-mode receiver, removed on drop.
#[cfg(feature = "inbox")]
struct InboxFile(PathBuf);

#[cfg(feature = "inbox")]
impl InboxFile {
    fn new(name: &str) -> Self {
        let file = format!("hookguard-receiver-{}-{name}.redb", std::process::id());
        let path = std::env::temp_dir().join(file);
        let _ = std::fs::remove_file(&path);
        Self(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

#[cfg(feature = "inbox")]
impl Drop for InboxFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `HOOKGUARD_INBOX`: 202 once on disk, then the worker runs the handler with the same
/// contract (`failed`/`handled` lines), `"fail_times": 1` failing the first attempt only and
/// retried on `HOOKGUARD_RETRY_SCHEDULE`; a provider's retry is a 200 duplicate; the
/// deliveries survive a restart on the same file.
#[cfg(feature = "inbox")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbox_mode_acknowledges_on_disk_and_the_worker_retries_on_both_receivers() {
    for name in RECEIVERS {
        let file = InboxFile::new(name);
        let env = [
            ("HOOKGUARD_SECRET", DEMO_SECRET),
            ("HOOKGUARD_INBOX", file.path()),
            ("HOOKGUARD_RETRY_SCHEDULE", "50ms,100ms"),
        ];
        let receiver = Receiver::start(name, &env);
        let (flaky, fine) = (format!("msg_flaky_{name}"), format!("msg_fine_{name}"));
        let resp = send(
            receiver.addr,
            &Req::new("127.0.0.1").signed(&flaky, r#"{"fail_times":1}"#),
        )
        .await;
        assert_eq!(resp.status, 202, "{name}: {}", receiver.stderr.text());
        let req = Req::new("127.0.0.1").signed(&fine, r#"{"n":1}"#);
        assert_eq!(send(receiver.addr, &req).await.status, 202, "{name}");
        let again = send(receiver.addr, &req).await;
        assert_eq!(
            (again.status, again.code().as_deref()),
            (200, Some("duplicate_delivery")),
            "{name}"
        );
        assert!(receiver.printed(&format!("handled {fine}")).await, "{name}");
        assert!(receiver.printed(&format!("failed {flaky}")).await, "{name}");
        assert!(
            receiver.printed(&format!("handled {flaky}")).await,
            "{name}"
        );
        let runs = |receiver: &Receiver, id: &str| {
            let lines = receiver.stdout.0.lock().unwrap();
            lines
                .iter()
                .filter(|l| l.ends_with(&format!(" {id}")))
                .count()
        };
        assert_eq!(
            (runs(&receiver, &flaky), runs(&receiver, &fine)),
            (2, 1),
            "{name}"
        );
        drop(receiver);

        // Restarted on the same file: what was done stays done (a retry is a duplicate),
        // and a `fail: true` delivery keeps failing until its schedule is spent.
        let receiver = Receiver::start(name, &env);
        assert_eq!(send(receiver.addr, &req).await.status, 200, "{name}");
        let doomed = format!("msg_doomed_{name}");
        let req = Req::new("127.0.0.1").signed(&doomed, r#"{"fail":true}"#);
        assert_eq!(send(receiver.addr, &req).await.status, 202, "{name}");
        for _ in 0..300 {
            if runs(&receiver, &doomed) >= 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // The first attempt and the two retries of the schedule, each `failed`.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let lines = receiver.stdout.0.lock().unwrap().clone();
        let doomed_runs: Vec<_> = lines.iter().filter(|l| l.ends_with(&doomed)).collect();
        assert_eq!(doomed_runs.len(), 3, "{name}: {doomed_runs:?}");
        assert!(doomed_runs.iter().all(|l| l.starts_with("failed ")));
        assert!(
            !lines.iter().any(|l| l.contains(&fine)),
            "{name}: ran again"
        );
    }
}

/// Synchronous mode keeps its contract, with `"fail_times"` counted per delivery id in the
/// process; inbox settings are checked at start-up.
#[cfg(feature = "inbox")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_times_in_synchronous_mode_and_inbox_settings_checked_at_start_up() {
    for name in RECEIVERS {
        let receiver = Receiver::start(name, &[("HOOKGUARD_SECRET", DEMO_SECRET)]);
        let id = format!("msg_sync_flaky_{name}");
        let resp = send(
            receiver.addr,
            &Req::new("127.0.0.1").signed(&id, r#"{"fail_times":1}"#),
        )
        .await;
        assert_eq!(resp.status, 500, "{name}");
        assert!(receiver.printed(&format!("failed {id}")).await, "{name}");
        drop(receiver);

        let (code, stderr) = exit_of(name, &[("HOOKGUARD_RETRY_SCHEDULE", "1s")]);
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains("without HOOKGUARD_INBOX"),
            "{name}: {stderr}"
        );
        let file = InboxFile::new(&format!("bad-schedule-{name}"));
        let env = [
            ("HOOKGUARD_SECRET", DEMO_SECRET),
            ("HOOKGUARD_INBOX", file.path()),
            ("HOOKGUARD_RETRY_SCHEDULE", "1s,soon"),
        ];
        let (code, stderr) = exit_of(name, &env);
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains("HOOKGUARD_RETRY_SCHEDULE"),
            "{name}: {stderr}"
        );
        assert!(!stderr.contains("listening on"), "{name}: {stderr}");
    }
}

/// Sends `req` to `addr`; the status, or `None` when no answer came (refused while the
/// receiver restarts, reset because it was killed mid-request, or no answer in 5 s).
#[cfg(feature = "inbox")]
async fn try_send(addr: SocketAddr, req: &Req) -> Option<u16> {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
        let mut head = format!(
            "POST {} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n",
            req.path
        );
        for (name, value) in &req.headers {
            head += &format!("{name}: {value}\r\n");
        }
        head += &format!("content-length: {}\r\n\r\n", req.body.len());
        stream.write_all(head.as_bytes()).await.ok()?;
        stream.write_all(&req.body).await.ok()?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.ok()?;
        // `HTTP/1.1 202 Accepted`
        std::str::from_utf8(raw.get(9..12)?).ok()?.parse().ok()
    };
    tokio::time::timeout(Duration::from_secs(5), exchange)
        .await
        .ok()
        .flatten()
}

/// Stops a receiver the graceful way (SIGINT to its PID: the server drains, the worker
/// finishes its running handlers and writes their marks); bounded.
#[cfg(feature = "inbox")]
async fn stop_gracefully(receiver: &mut Receiver) {
    let pid = receiver.child.id().to_string();
    let sent = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .is_ok_and(|s| s.success());
    assert!(sent, "could not send SIGINT to {pid}");
    let mut exited = None;
    for _ in 0..500 {
        exited = receiver.child.try_wait().unwrap();
        if exited.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        exited.is_some_and(|s| s.success()),
        "the receiver did not stop on SIGINT: {exited:?} {}",
        receiver.stderr.text()
    );
    std::thread::sleep(Duration::from_millis(50)); // the pipe readers take the last lines
}

/// What the store file says about the acknowledged deliveries (no process holds it).
#[cfg(feature = "inbox")]
struct StoreCheck {
    /// Attempts cut off by a kill, over all deliveries.
    interrupted: usize,
    /// Dead, without a successful attempt, after interrupted attempts.
    dead_after_kills: Vec<String>,
    /// Anything else than done with exactly one successful attempt.
    not_done: Vec<(
        String,
        hookguard::inbox::State,
        Vec<hookguard::inbox::AttemptOutcome>,
    )>,
}

#[cfg(feature = "inbox")]
async fn store_check(file: &InboxFile, ids: &[String]) -> StoreCheck {
    use hookguard::inbox::{AttemptOutcome, Inbox, State};
    let inbox = Inbox::open(&file.0).unwrap();
    let mut check = StoreCheck {
        interrupted: 0,
        dead_after_kills: Vec::new(),
        not_done: Vec::new(),
    };
    for id in ids {
        let found = inbox.find(id).await.unwrap();
        assert_eq!(found.len(), 1, "{id}: one record per delivery");
        let detail = inbox.show(found[0].id()).await.unwrap();
        let outcomes: Vec<_> = detail.attempts().iter().map(|a| a.outcome()).collect();
        let count = |want: AttemptOutcome| outcomes.iter().filter(|o| **o == want).count();
        check.interrupted += count(AttemptOutcome::Interrupted);
        let state = detail.summary().state();
        match (state, count(AttemptOutcome::Succeeded)) {
            (State::Done, 1) => {}
            (State::Dead, 0) if count(AttemptOutcome::Interrupted) > 0 => {
                check.dead_after_kills.push(id.clone());
            }
            _ => check.not_done.push((id.clone(), state, outcomes)),
        }
    }
    check
}

/// kill -9 under load: a real `axum_receiver` in inbox mode, fed by concurrent senders that
/// retry like providers, is killed with SIGKILL at pseudo-random points (22 times) and
/// restarted on the same store file each time. After a last restart: every delivery that got
/// a 2xx was handled (0 lost); the handler ran more than once for an id only for attempts
/// the kills interrupted (at most the worker's concurrency per kill); each delivery is done
/// with exactly one successful attempt.
#[cfg(feature = "inbox")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_no_acknowledged_delivery() {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use hookguard::inbox::Inbox;

    const DELIVERIES: usize = 400;
    const SENDERS: usize = 4;
    const KILLS: usize = 22;
    /// The worker's concurrency for the route (the library's default).
    const CONCURRENCY: usize = hookguard::inbox::DEFAULT_CONCURRENCY;
    const NAME: &str = "axum_receiver";

    let file = InboxFile::new("kill9");
    let env = [
        ("HOOKGUARD_SECRET", DEMO_SECRET),
        ("HOOKGUARD_INBOX", file.path()),
        ("HOOKGUARD_RETRY_SCHEDULE", "50ms,100ms"),
        ("HOOKGUARD_RATE_PER_SEC", "100000"),
        ("HOOKGUARD_BURST", "100000"),
        ("RUST_LOG", "warn"),
    ];
    let start = || tokio::task::block_in_place(|| Receiver::start(NAME, &env));
    let mut current = start();
    let mut outputs = vec![current.stdout.clone()];
    let addr = Arc::new(Mutex::new(current.addr));

    // The senders: each delivery is signed once and sent until it gets a 2xx (bounded).
    let next = Arc::new(AtomicUsize::new(0));
    let acked = Arc::new(Mutex::new(Vec::<(String, u16)>::new()));
    let no_answer = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(Mutex::new(HashMap::<u16, usize>::new()));
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..SENDERS {
        let (next, acked, addr) = (next.clone(), acked.clone(), addr.clone());
        let (no_answer, refused) = (no_answer.clone(), refused.clone());
        senders.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= DELIVERIES {
                    return;
                }
                let id = format!("msg_k9_{i:04}");
                let body = if i % 5 == 0 {
                    format!(r#"{{"n":{i},"fail_times":1}}"#)
                } else {
                    format!(r#"{{"n":{i}}}"#)
                };
                let req = Req::new("127.0.0.1").signed(&id, &body);
                for _ in 0..1000 {
                    let to = *addr.lock().unwrap();
                    match try_send(to, &req).await {
                        Some(status) if (200..300).contains(&status) => {
                            acked.lock().unwrap().push((id.clone(), status));
                            break;
                        }
                        Some(status) => *refused.lock().unwrap().entry(status).or_default() += 1,
                        None => {
                            no_answer.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        });
    }

    // The killer: SIGKILL at pseudo-random points (xorshift, fixed seed), restart on the
    // same file, point the senders at the new port.
    let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..KILLS {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        tokio::time::sleep(Duration::from_millis(20 + rng % 180)).await;
        current.child.kill().unwrap(); // SIGKILL, to this PID only
        current.child.wait().unwrap();
        drop(current);
        current = start();
        outputs.push(current.stdout.clone());
        *addr.lock().unwrap() = current.addr;
    }
    while let Some(joined) = senders.join_next().await {
        joined.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert_eq!(
        acked.len(),
        DELIVERIES,
        "some deliveries never got a 2xx: {:?}",
        refused.lock().unwrap()
    );

    // Bounded wait: every acknowledged delivery gets its `handled` line.
    let handled_counts = |outputs: &[Lines]| {
        let mut counts = HashMap::<String, usize>::new();
        let mut failed = 0;
        for lines in outputs {
            for line in lines.0.lock().unwrap().iter() {
                if let Some(id) = line.strip_prefix("handled ") {
                    *counts.entry(id.to_owned()).or_default() += 1;
                } else if line.starts_with("failed ") {
                    failed += 1;
                }
            }
        }
        (counts, failed)
    };
    let unhandled = |outputs: &[Lines]| -> Vec<String> {
        let (counts, _) = handled_counts(outputs);
        acked
            .iter()
            .filter(|(id, _)| !counts.contains_key(id))
            .map(|(id, _)| id.clone())
            .collect()
    };
    // Until every acknowledged delivery is handled, or the worker went quiet (nothing
    // printed for 3 s: what is left is dead, see below).
    let (mut seen, mut quiet_since) = (0, Instant::now());
    for _ in 0..600 {
        let printed: usize = outputs.iter().map(|l| l.0.lock().unwrap().len()).sum();
        if printed != seen {
            (seen, quiet_since) = (printed, Instant::now());
        }
        if unhandled(&outputs).is_empty() || quiet_since.elapsed() > Duration::from_secs(3) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop_gracefully(&mut current).await;
    drop(current);
    let ids: Vec<String> = acked.iter().map(|(id, _)| id.clone()).collect();
    let first = store_check(&file, &ids).await;

    // Interrupted attempts count against the schedule (two retries here), as a delivery
    // that crashes the process every time must end: one whose attempts the kills cut off
    // can spend it and go dead — on disk, replayable, not lost. The operator's replay
    // runs it again; then every acknowledged delivery is done.
    if !first.dead_after_kills.is_empty() {
        let inbox = Inbox::open(&file.0).unwrap();
        for id in &first.dead_after_kills {
            let found = inbox.find(id).await.unwrap();
            inbox.replay(found[0].id()).await.unwrap();
        }
        drop(inbox);
        let mut last = start();
        outputs.push(last.stdout.clone());
        for _ in 0..300 {
            if unhandled(&outputs).is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        stop_gracefully(&mut last).await;
    }
    let after = store_check(&file, &ids).await;
    let lost = unhandled(&outputs);
    let (counts, failed_runs) = handled_counts(&outputs);
    let duplicates: usize = counts.values().map(|n| n - 1).sum();
    let committed = acked.iter().filter(|(_, s)| *s == 202).count();
    let interrupted = after.interrupted;

    println!(
        "kill -9: {KILLS} kills, {DELIVERIES} deliveries acknowledged ({committed} 202, {} 200 \
         duplicate), {} sends without an answer, refusals {:?}; handled {} ids, {} lost, {} \
         failed runs, {duplicates} duplicate handler runs, {interrupted} interrupted attempts \
         (bound {}), {} dead after interrupted attempts spent the schedule (replayed, then done) \
         {:?}",
        DELIVERIES - committed,
        no_answer.load(Ordering::Relaxed),
        refused.lock().unwrap(),
        counts.len(),
        lost.len(),
        failed_runs,
        KILLS * CONCURRENCY,
        first.dead_after_kills.len(),
        first.dead_after_kills,
    );
    assert!(
        first.not_done.is_empty(),
        "neither done with one success nor dead after kills: {:?}",
        first.not_done
    );
    assert!(
        after.not_done.is_empty() && after.dead_after_kills.is_empty(),
        "not done with exactly one success after the replay: {:?} {:?}",
        after.not_done,
        after.dead_after_kills
    );
    assert!(lost.is_empty(), "acknowledged but never handled: {lost:?}");
    // A second `handled` for an id needs a run the kill cut off before its done mark.
    assert!(
        duplicates <= interrupted,
        "{duplicates} duplicates > {interrupted} interrupted"
    );
    assert!(
        interrupted <= KILLS * CONCURRENCY,
        "{interrupted} interrupted attempts > {KILLS} kills × {CONCURRENCY}"
    );
}

/// The demo (README's first command) as users run it: every row as expected, the durable
/// inbox's story included; it exits non-zero otherwise.
#[cfg(feature = "inbox")]
#[test]
fn the_demo_answers_every_row_as_expected() {
    let mut child = command("demo", &[])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (stdout, stderr) = (
        Lines::follow(child.stdout.take().unwrap()),
        Lines::follow(child.stderr.take().unwrap()),
    );
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the demo kept running: {}", stdout.text());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::sleep(Duration::from_millis(50)); // the pipe readers take the last lines
    let out = stdout.text();
    assert!(status.success(), "{out}\n{}", stderr.text());
    assert!(out.contains("rows as expected"), "{out}");
    assert!(out.contains("durable inbox"), "{out}");
    assert!(!out.contains("UNEXPECTED"), "{out}");
}
