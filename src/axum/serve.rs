//! [`serve`]: an axum app on hyper with the bounds `axum::serve` leaves out.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower_service::Service as _;

/// Default time a client has to send a request's head, and the longest a kept-alive
/// connection may sit idle between requests: 5 s, as actix-web's default.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// Default bound on open connections (per process).
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Default bound on open connections from one client (one IPv4 address, one IPv6 /64).
pub const DEFAULT_MAX_CONNECTIONS_PER_CLIENT: usize = 64;
/// Default time in-flight requests get to finish after the shutdown signal.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `router` on `listener` over HTTP/1.1, with the safety `axum::serve` lacks:
///
/// - a client must send each request's head within the [header
///   timeout](Serve::header_timeout) (default 5 s), and a kept-alive connection idle that
///   long is closed: a slow-header ("slowloris") or silent socket cannot stay open;
/// - at most [`max_connections`](Serve::max_connections) open connections (default 1024):
///   beyond it, new connections wait in the kernel's backlog instead of exhausting file
///   descriptors; keep it below the process's descriptor limit (`ulimit -n`);
/// - at most [`max_connections_per_client`](Serve::max_connections_per_client) from one
///   client (default 64): further connections from it are closed at once, so one client's
///   idle sockets cannot crowd the others out. Behind a proxy every connection comes from the
///   proxy: set this above its connection pool;
/// - the peer address is in each request's extensions as `ConnectInfo<SocketAddr>`, which
///   the webhook layer's rate limiter keys on.
///
/// The body's own deadline and cap are the [pipeline's](crate::pipeline::Pipeline).
///
/// ```no_run
/// use axum::{Router, routing::post};
/// use hookguard::{Provider, Verifier, pipeline::Pipeline};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = Verifier::builder(Provider::StandardWebhooks)
///     .secret(&std::env::var("WEBHOOK_SECRET")?)
///     .build()?;
/// let app = Router::new()
///     .route("/webhook", post(|| async { http::StatusCode::NO_CONTENT }))
///     .layer(Pipeline::builder(verifier).layer()?);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// hookguard::axum::serve(listener, app)
///     .with_graceful_shutdown(async { let _ = tokio::signal::ctrl_c().await; })
///     .await?;
/// # Ok(()) }
/// ```
pub fn serve(listener: TcpListener, router: Router) -> Serve {
    Serve {
        listener,
        router,
        header_timeout: DEFAULT_HEADER_TIMEOUT,
        max_connections: DEFAULT_MAX_CONNECTIONS,
        per_client: DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
        drain_timeout: DEFAULT_DRAIN_TIMEOUT,
        shutdown: None,
    }
}

/// A server being configured; `.await` it to run (see [`serve`]).
#[must_use = "a server does nothing until it is awaited"]
pub struct Serve {
    listener: TcpListener,
    router: Router,
    header_timeout: Duration,
    max_connections: usize,
    per_client: usize,
    drain_timeout: Duration,
    shutdown: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl fmt::Debug for Serve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Serve")
            .field("header_timeout", &self.header_timeout)
            .field("max_connections", &self.max_connections)
            .field("max_connections_per_client", &self.per_client)
            .field("drain_timeout", &self.drain_timeout)
            .finish_non_exhaustive()
    }
}

impl Serve {
    /// Time to receive a request's head, and the longest idle time between two requests on
    /// one connection. At least 1 ms. Defaults to 5 s.
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.header_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The most open connections at once (at least 1). Defaults to 1024.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.clamp(1, Semaphore::MAX_PERMITS);
        self
    }

    /// The most open connections from one client (at least 1). Defaults to 64.
    pub fn max_connections_per_client(mut self, n: usize) -> Self {
        self.per_client = n.max(1);
        self
    }

    /// Time in-flight requests get after the shutdown signal before their connections are
    /// dropped. Defaults to 30 s.
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain_timeout = timeout;
        self
    }

    /// Stops accepting when `signal` resolves, then lets in-flight requests finish (within
    /// the drain timeout) so that their claims are completed or released.
    pub fn with_graceful_shutdown(
        mut self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> Self {
        self.shutdown = Some(Box::pin(signal));
        self
    }

    /// The local address the server listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    async fn run(self) -> io::Result<()> {
        let permits = Arc::new(Semaphore::new(self.max_connections));
        let clients = Clients::default();
        let graceful = GracefulShutdown::new();
        let mut shutdown = self
            .shutdown
            .unwrap_or_else(|| Box::pin(std::future::pending()));
        loop {
            let accepted = tokio::select! {
                () = &mut shutdown => break,
                accepted = accept(&self.listener, &permits) => accepted,
            };
            let (permit, stream, peer) = accepted;
            let Some(slot) = clients.take(peer.ip(), self.per_client) else {
                tracing::debug!(target: "hookguard", client = %peer.ip(), "too many connections from one client: closed");
                continue;
            };
            let _ = stream.set_nodelay(true);
            let router = self.router.clone();
            let service = hyper::service::service_fn(move |mut req: http::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                router.clone().call(req)
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(self.header_timeout)
                .serve_connection(TokioIo::new(stream), service);
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                if let Err(error) = connection.await {
                    // A client's timeout or broken request, not a server fault.
                    tracing::debug!(target: "hookguard", %error, "connection closed");
                }
                drop((permit, slot));
            });
        }
        drop(self.listener);
        if tokio::time::timeout(self.drain_timeout, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!(target: "hookguard", "drain timeout: dropping connections still open");
        }
        Ok(())
    }
}

impl IntoFuture for Serve {
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// Waits for a free connection slot, then for a connection. Accept errors (a reset before
/// accept, out of descriptors) are logged and retried after a pause, as `axum::serve` does.
async fn accept(
    listener: &TcpListener,
    permits: &Arc<Semaphore>,
) -> (tokio::sync::OwnedSemaphorePermit, TcpStream, SocketAddr) {
    let permit = loop {
        // The semaphore is never closed; the loop only satisfies the type.
        if let Ok(permit) = Arc::clone(permits).acquire_owned().await {
            break permit;
        }
    };
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => return (permit, stream, peer),
            Err(error) => {
                tracing::warn!(target: "hookguard", %error, "accept failed: retrying in 50 ms");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Open connections per client.
#[derive(Clone, Default)]
struct Clients(Arc<Mutex<HashMap<IpAddr, usize>>>);

/// One open connection of `client`; dropping it frees the place.
struct ClientSlot {
    clients: Clients,
    client: IpAddr,
}

impl Clients {
    fn lock(&self) -> MutexGuard<'_, HashMap<IpAddr, usize>> {
        // Every update is one arithmetic step: a poisoned map is still consistent.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn take(&self, ip: IpAddr, cap: usize) -> Option<ClientSlot> {
        let client = client_of(ip);
        let mut open = self.lock();
        let count = open.entry(client).or_default();
        if *count >= cap {
            return None;
        }
        *count += 1;
        Some(ClientSlot {
            clients: self.clone(),
            client,
        })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        if let Entry::Occupied(mut count) = self.clients.lock().entry(self.client) {
            *count.get_mut() -= 1;
            if *count.get() == 0 {
                count.remove();
            }
        }
    }
}

/// One client: an IPv4 address, or an IPv6 /64 (what one host is usually given).
fn client_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_an_ipv4_address_or_an_ipv6_64() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(client_of(ip("10.1.2.3")), ip("10.1.2.3"));
        assert_eq!(client_of(ip("::ffff:10.1.2.3")), ip("10.1.2.3"));
        assert_eq!(client_of(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_ne!(client_of(ip("2001:db8:1:3::1")), ip("2001:db8:1:2::"));
    }

    #[test]
    fn per_client_places_are_bounded_and_freed_on_drop() {
        let clients = Clients::default();
        let a = "127.0.0.1".parse().unwrap();
        let b = "127.0.0.2".parse().unwrap();
        let held: Vec<_> = (0..3).map(|_| clients.take(a, 3).unwrap()).collect();
        assert!(clients.take(a, 3).is_none(), "a fourth from one client");
        let other = clients.take(b, 3).expect("another client is unaffected");
        drop(held);
        let again = clients.take(a, 3);
        assert!(again.is_some());
        drop(other);
        assert_eq!(clients.lock().len(), 1, "a freed client is removed");
        drop(again);
        assert!(clients.lock().is_empty());
    }
}
