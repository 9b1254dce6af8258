//! A guarded webhook receiver configured from the environment: axum + `WebhookLayer`.
//!
//! ```text
//! cargo run --example axum_receiver --features axum          # in-memory replay store
//! cargo run --example axum_receiver --features axum,redis    # HOOKGUARD_REDIS_URL allowed
//! cargo run --example axum_receiver --features axum,inbox    # HOOKGUARD_INBOX allowed
//! ```
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `HOOKGUARD_LISTEN` | address to listen on | `127.0.0.1:3000` |
//! | `HOOKGUARD_PROVIDER` | a name from `hookguard providers` | `standard-webhooks` |
//! | `HOOKGUARD_SECRET` | secret(s), comma-separated for rotation; set but empty → exit 2 | unset: a public demo secret, on a loopback listener only (else exit 2) |
//! | `HOOKGUARD_PUBLIC_URL` | public origin, for providers that sign the URL (Twilio, Square) | none |
//! | `HOOKGUARD_TOLERANCE` | timestamp window, seconds each way (1 to 86400) | 300 |
//! | `HOOKGUARD_RATE_PER_SEC` | per-client requests per second | 50 |
//! | `HOOKGUARD_BURST` | per-client burst | 500 (or the rate, if only the rate is set) |
//! | `HOOKGUARD_MAX_BODY` | body cap in bytes | 1048576 |
//! | `HOOKGUARD_REDIS_URL` | Redis replay store (feature `redis`) | in-memory store |
//! | `HOOKGUARD_INBOX` | durable inbox store file (feature `inbox`): deliveries are committed to it before the 2xx (202), and a worker runs the handler with retries | unset: synchronous mode, the handler runs in the request |
//! | `HOOKGUARD_RETRY_SCHEDULE` | the inbox worker's retry delays, comma-separated (`200ms,1s,5s`; units `ms`, `s`, `m`, `h`, `d`; the count is the number of retries); only with `HOOKGUARD_INBOX` | 5 s, 30 s, 2 min, … 12 h (13 attempts) |
//! | `HOOKGUARD_TRUSTED_PROXIES` | comma-separated proxies (`10.0.0.0/8,::1`) whose `X-Forwarded-For` names the client | none: the peer is the client |
//! | `RUST_LOG` | log filter (`warn`, `hookguard=debug,info`, …) | `info` |
//!
//! An empty variable counts as unset (except `HOOKGUARD_SECRET`). An invalid configuration
//! prints why on stderr and exits with code 2. Decisions are logged on stderr (never secrets
//! or bodies). The server is [`hookguard::axum::serve`]: a request head must arrive within
//! 5 s (an idle kept-alive connection is closed after 5 s too), at most 1024 connections are
//! open, at most 64 from one client.
//!
//! `POST /webhook`: every time the handler runs it prints one line on stdout, `handled <id>`
//! (answering 204), or `failed <id>` (answering 500, so the provider retries) when the JSON
//! body's top-level `"fail"` is `true`, or for the first N attempts when it has
//! `"fail_times": N`. With `HOOKGUARD_INBOX` the request is answered 202 once the delivery
//! is on disk, and the inbox's worker runs the handler (same lines; a failure is retried on
//! `HOOKGUARD_RETRY_SCHEDULE`, and the attempt number counts the inbox's attempts). Try it (curl 7.55+ reads headers from a file):
//!
//! ```text
//! cargo run --example axum_receiver --features axum &
//! printf '{"type":"ping"}' > body.json
//! cargo run -q -p hookguard-cli -- sign --provider standard-webhooks \
//!     --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw --id msg_1 --body-file body.json > headers.txt
//! curl -i http://127.0.0.1:3000/webhook -H @headers.txt -H 'content-type: application/json' \
//!     --data-binary @body.json     # 204, and the receiver prints `handled msg_1`
//! ```

#[path = "receiver/mod.rs"]
mod receiver;

use std::process::ExitCode;

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;
use hookguard::Verified;
use http::StatusCode;
use receiver::Invalid;

/// Runs once per verified, first-time delivery.
async fn handle(verified: Verified, body: Bytes) -> StatusCode {
    StatusCode::from_u16(receiver::handle(&verified, &body)).unwrap_or(StatusCode::NO_CONTENT)
}

/// Resolves on Ctrl-C: the server then drains, so in-flight deliveries finish and complete
/// their claims.
async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

async fn run() -> Result<(), Invalid> {
    let (pipeline, listen, background) = receiver::pipeline().await?;
    let app = Router::new().route(
        "/webhook",
        post(handle).layer(hookguard::tower::WebhookLayer::new(pipeline)),
    );
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Invalid(format!("HOOKGUARD_LISTEN={}: {e}", listen)))?;
    let addr = listener.local_addr()?;
    tracing::info!("listening on http://{addr}/webhook");
    eprintln!("listening on http://{addr}/webhook (Ctrl-C to stop)");
    // Header and idle timeouts, connection bounds; the peer address reaches the rate limiter.
    hookguard::axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .unwrap_or_else(|e| {
            // Not a configuration problem: exit 1, not 2.
            eprintln!("axum_receiver: server error: {e}");
            std::process::exit(1);
        });
    background.stop().await;
    tracing::info!("stopped");
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = match receiver::init_logging() {
        Ok(()) => run().await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Invalid(message)) => {
            eprintln!("axum_receiver: {message}");
            ExitCode::from(2)
        }
    }
}
