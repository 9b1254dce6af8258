//! Test support: a real `redis-server` on a free loopback port, and a fault-injecting TCP
//! proxy in front of it.
//!
//! Include it with `#[path = "support/redis.rs"] mod redis_support;`. Only 127.0.0.1 is
//! ever bound or dialled.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a started server may take to answer `PING`.
const START_DEADLINE: Duration = Duration::from_secs(10);

/// Finds the `redis-server` binary, or panics with how to install it. Never a silent skip:
/// tests that need Redis fail loudly without it, in CI above all.
pub fn redis_server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("REDIS_SERVER") {
        return PathBuf::from(path);
    }
    let found = std::env::var_os("PATH")
        .map(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("redis-server"))
                .find(|candidate| candidate.is_file())
        })
        .unwrap_or(None)
        .or_else(|| {
            let default = PathBuf::from("/usr/bin/redis-server");
            default.is_file().then_some(default)
        });
    match found {
        Some(path) => path,
        None if std::env::var("CI").is_ok_and(|v| v == "true") => panic!(
            "redis-server not found, and CI must not skip the Redis tests: \
             scripts/test installs it (apt-get install -y redis-server)"
        ),
        None => panic!(
            "redis-server not found: apt-get install -y redis-server (scripts/test does it as root)"
        ),
    }
}

/// A free loopback port (bound, then released: a small race that `start` retries).
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

fn unique_dir() -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!(
        "hookguard-redis-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("create the redis temp dir");
    dir
}

/// Persistence of a test server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// `--save "" --appendonly no`: a restart forgets everything.
    None,
    /// `--appendonly yes --appendfsync always`: a restart keeps every acknowledged write.
    AofAlways,
}

/// A `redis-server` child process on `127.0.0.1:port`, in its own temp dir; killed (and the
/// dir removed) on drop.
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    persistence: Persistence,
}

impl RedisServer {
    /// Starts a server without persistence.
    pub fn start() -> Self {
        Self::start_with(Persistence::None)
    }

    /// Starts a server with the given persistence.
    pub fn start_with(persistence: Persistence) -> Self {
        let binary = redis_server_binary();
        let dir = unique_dir();
        for _ in 0..5 {
            let port = free_port();
            if let Some(child) = spawn(&binary, port, &dir, persistence) {
                return Self {
                    child: Some(child),
                    port,
                    dir,
                    persistence,
                };
            }
        }
        panic!("redis-server did not start; its log: {}", read_log(&dir));
    }

    /// Starts a server without persistence on a given loopback port (e.g. one a store was
    /// already pointed at while nothing listened there).
    pub fn start_on_port(port: u16) -> Self {
        let binary = redis_server_binary();
        let dir = unique_dir();
        let child = spawn(&binary, port, &dir, Persistence::None).unwrap_or_else(|| {
            panic!(
                "redis-server did not start on port {port}: {}",
                read_log(&dir)
            )
        });
        Self {
            child: Some(child),
            port,
            dir,
            persistence: Persistence::None,
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The loopback address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// Kills it with SIGKILL (no shutdown, no final save) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether the process is running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Kills it if it runs, then starts it again on the same port and dir (with AOF it
    /// reloads what it had), waiting until it answers `PING`.
    pub fn restart(&mut self) {
        self.kill();
        let binary = redis_server_binary();
        // The old listener is gone with the process; a few tries cover a slow release.
        for _ in 0..20 {
            if let Some(child) = spawn(&binary, self.port, &self.dir, self.persistence) {
                self.child = Some(child);
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "redis-server did not restart on port {}; its log: {}",
            self.port,
            read_log(&self.dir)
        );
    }

    /// Sends one command over a fresh connection and returns the reply (see [`Reply`]).
    pub fn cmd(&self, args: &[&str]) -> std::io::Result<Reply> {
        command(self.port, args)
    }

    /// `DBSIZE`.
    pub fn dbsize(&self) -> i64 {
        match self.cmd(&["DBSIZE"]).expect("DBSIZE") {
            Reply::Int(n) => n,
            other => panic!("DBSIZE answered {other:?}"),
        }
    }

    /// `FLUSHALL`.
    pub fn flushall(&self) {
        self.cmd(&["FLUSHALL"]).expect("FLUSHALL");
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn read_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("redis.log")).unwrap_or_default()
}

/// Spawns the server and waits (bounded) until it answers `PING`; `None` if it exited or
/// never answered (e.g. the port was taken).
fn spawn(binary: &Path, port: u16, dir: &Path, persistence: Persistence) -> Option<Child> {
    let port_text = port.to_string();
    let mut command = Command::new(binary);
    command
        .args([
            "--port",
            &port_text,
            "--bind",
            "127.0.0.1",
            "--protected-mode",
            "yes",
        ])
        .args(["--save", ""])
        .args([
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
            "--logfile",
            "redis.log",
        ])
        .arg("--dir")
        .arg(dir);
    match persistence {
        Persistence::None => command.args(["--appendonly", "no"]),
        Persistence::AofAlways => command.args(["--appendonly", "yes", "--appendfsync", "always"]),
    };
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn redis-server");
    let deadline = Instant::now() + START_DEADLINE;
    while Instant::now() < deadline {
        if !matches!(child.try_wait(), Ok(None)) {
            return None;
        }
        if matches!(command_timeout(port, &["PING"], Duration::from_millis(200)), Ok(Reply::Status(s)) if s == "PONG")
        {
            return Some(child);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// One RESP reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

/// Sends one command to `127.0.0.1:port` and reads its reply (2 s timeouts).
pub fn command(port: u16, args: &[&str]) -> std::io::Result<Reply> {
    command_timeout(port, args, Duration::from_secs(2))
}

fn command_timeout(port: u16, args: &[&str], timeout: Duration) -> std::io::Result<Reply> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut request = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        request.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        request.extend_from_slice(arg.as_bytes());
        request.extend_from_slice(b"\r\n");
    }
    stream.write_all(&request)?;
    read_reply(&mut BufReader::new(stream))
}

fn read_reply(reader: &mut impl BufRead) -> std::io::Result<Reply> {
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "bad RESP reply");
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    let line = line.trim_end_matches("\r\n");
    let (kind, rest) = line.split_at_checked(1).ok_or_else(bad)?;
    let number = || rest.parse::<i64>().map_err(|_| bad());
    Ok(match kind {
        "+" => Reply::Status(rest.to_owned()),
        "-" => Reply::Error(rest.to_owned()),
        ":" => Reply::Int(number()?),
        "$" => match usize::try_from(number()?) {
            Err(_) => Reply::Bulk(None),
            Ok(len) => {
                let mut data = vec![0; len + 2];
                reader.read_exact(&mut data)?;
                data.truncate(len);
                Reply::Bulk(Some(data))
            }
        },
        "*" => match usize::try_from(number()?) {
            Err(_) => Reply::Array(None),
            Ok(len) => Reply::Array(Some(
                (0..len)
                    .map(|_| read_reply(reader))
                    .collect::<Result<_, _>>()?,
            )),
        },
        _ => return Err(bad()),
    })
}

/// The fault-injecting proxy (needs a tokio runtime with `net`).
pub mod proxy {
    use std::net::{Ipv4Addr, SocketAddr};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::sync::watch;

    /// What the proxy does with traffic.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ProxyMode {
        /// Both directions forwarded.
        Forward,
        /// Requests forwarded (Redis applies them), replies discarded: an ambiguous outcome.
        DropReplies,
        /// Connections stay open, nothing goes through either way.
        Blackhole,
        /// New connections closed at once, open ones closed.
        Refuse,
    }

    /// A TCP proxy on `127.0.0.1:port` in front of `127.0.0.1:upstream`, with fault modes.
    ///
    /// A connection that lost bytes (dropped replies, blackholed requests) is closed when
    /// the mode changes back to `Forward`, as a real connection that lost data would have
    /// failed: a byte stream that silently skipped replies would pair later replies with
    /// the wrong requests.
    #[derive(Debug)]
    pub struct Proxy {
        port: u16,
        mode: watch::Sender<ProxyMode>,
        task: tokio::task::JoinHandle<()>,
        forwarded_requests: Arc<AtomicU64>,
        /// Connections accepted before this many were accepted are stalled.
        stalled_below: Arc<AtomicU64>,
        accepted: Arc<AtomicU64>,
    }

    impl Proxy {
        /// Starts forwarding to `127.0.0.1:upstream`. Needs a tokio runtime.
        pub async fn start(upstream: u16) -> Self {
            let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .await
                .expect("bind the proxy on 127.0.0.1:0");
            let port = listener.local_addr().expect("proxy address").port();
            let (mode, _) = watch::channel(ProxyMode::Forward);
            let modes = mode.clone();
            let forwarded_requests = Arc::new(AtomicU64::new(0));
            let stalled_below = Arc::new(AtomicU64::new(0));
            let accepted = Arc::new(AtomicU64::new(0));
            let (counter, stall, number) = (
                forwarded_requests.clone(),
                stalled_below.clone(),
                accepted.clone(),
            );
            let task = tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    let rx = modes.subscribe();
                    let connection = Connection {
                        number: number.fetch_add(1, Ordering::SeqCst),
                        stalled_below: stall.clone(),
                        forwarded: counter.clone(),
                    };
                    tokio::spawn(pipe(client, upstream, rx, connection));
                }
            });
            Self {
                port,
                mode,
                task,
                forwarded_requests,
                stalled_below,
                accepted,
            }
        }

        /// `redis://127.0.0.1:PORT` of the proxy.
        pub fn url(&self) -> String {
            format!("redis://127.0.0.1:{}", self.port)
        }

        /// The proxy's port.
        pub fn port(&self) -> u16 {
            self.port
        }

        /// Switches the mode, for open and new connections alike.
        pub fn set_mode(&self, mode: ProxyMode) {
            self.mode.send_replace(mode);
        }

        /// From now on, every connection open now passes nothing either way and is never
        /// closed (a peer gone without a reset); new connections are not affected.
        pub fn stall_open_connections(&self) {
            self.stalled_below
                .store(self.accepted.load(Ordering::SeqCst), Ordering::SeqCst);
        }

        /// Connections accepted so far.
        pub fn accepted(&self) -> u64 {
            self.accepted.load(Ordering::SeqCst)
        }

        /// Reads (chunks of bytes) forwarded to Redis so far.
        pub fn forwarded_requests(&self) -> u64 {
            self.forwarded_requests.load(Ordering::Relaxed)
        }
    }

    impl Drop for Proxy {
        fn drop(&mut self) {
            self.set_mode(ProxyMode::Refuse);
            self.task.abort();
        }
    }

    struct Connection {
        number: u64,
        stalled_below: Arc<AtomicU64>,
        forwarded: Arc<AtomicU64>,
    }

    impl Connection {
        fn stalled(&self) -> bool {
            self.number < self.stalled_below.load(Ordering::SeqCst)
        }
    }

    async fn pipe(
        client: TcpStream,
        upstream: u16,
        mut mode: watch::Receiver<ProxyMode>,
        connection: Connection,
    ) {
        if *mode.borrow() == ProxyMode::Refuse {
            return;
        }
        let Ok(server) =
            TcpStream::connect(SocketAddr::from((Ipv4Addr::LOCALHOST, upstream))).await
        else {
            return;
        };
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        let (mut client_read, mut client_write) = client.into_split();
        let (mut server_read, mut server_write) = server.into_split();
        let mut from_client = vec![0u8; 16 * 1024];
        let mut from_server = vec![0u8; 16 * 1024];
        let mut lost_bytes = false;
        loop {
            tokio::select! {
                read = client_read.read(&mut from_client) => {
                    let n = match read { Ok(0) | Err(_) => return, Ok(n) => n };
                    if connection.stalled() { continue; }
                    match *mode.borrow() {
                        ProxyMode::Forward | ProxyMode::DropReplies => {}
                        ProxyMode::Blackhole => { lost_bytes = true; continue; }
                        ProxyMode::Refuse => return,
                    }
                    connection.forwarded.fetch_add(1, Ordering::Relaxed);
                    if server_write.write_all(&from_client[..n]).await.is_err() { return; }
                }
                read = server_read.read(&mut from_server) => {
                    let n = match read { Ok(0) | Err(_) => return, Ok(n) => n };
                    if connection.stalled() { continue; }
                    match *mode.borrow() {
                        ProxyMode::Forward => {}
                        ProxyMode::DropReplies | ProxyMode::Blackhole => { lost_bytes = true; continue; }
                        ProxyMode::Refuse => return,
                    }
                    if client_write.write_all(&from_server[..n]).await.is_err() { return; }
                }
                changed = mode.changed() => {
                    if changed.is_err() { return; }
                    let now = *mode.borrow_and_update();
                    if connection.stalled() { continue; }
                    if now == ProxyMode::Refuse || (now == ProxyMode::Forward && lost_bytes) {
                        return;
                    }
                }
            }
        }
    }
}
