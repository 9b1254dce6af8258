//! Arbitrary bytes as an HTTP/1 request stream into hyper's server connection
//! (`hyper::server::conn::http1`, in-memory duplex stream, tokio current-thread runtime)
//! serving an axum `Router` whose routes sit behind hookguard's `WebhookLayer`.
//!
//! Input: the raw bytes the client sends (several pipelined requests are fine). The client
//! half-closes after sending and reads everything back.
//!
//! Routes (all POST; the layer sees a `PeerAddr` of 127.0.0.1 inserted by a wrapper):
//! - `/github`   GitHub preset (no timestamp, so signed seeds reach the handler), high limits
//! - `/standard-webhooks`  Standard Webhooks, rate limiting disabled
//! - `/stripe`   Stripe, trusted proxy 127.0.0.0/8 (so `X-Forwarded-For`/`Forwarded` parse)
//! - `/twilio`   Twilio (form parameters, signed URL), public URL https://hooks.example.com
//!
//! Checks: no panic, and no 5xx response from the service for any input hyper delivered to it
//! (hyper's own 4xx/5xx for unparseable streams are not the service's answers and are not
//! checked).
#![no_main]

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::Router;
use axum::routing::post;
use hookguard::Provider;
use hookguard::pipeline::Pipeline;
use hookguard::ratelimit::RateLimit;
use hookguard::tower::{PeerAddr, WebhookLayer};
use hookguard_fuzz::{keys, verifier_with};
use http::Request;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower_service::Service;

struct State {
    rt: tokio::runtime::Runtime,
    router: Router,
}

thread_local! {
    static STATE: State = init();
}

fn high() -> RateLimit {
    RateLimit::per_second(1_000_000)
        .expect("non-zero")
        .burst(1_000_000)
}

fn layer(
    p: Provider,
    f: impl FnOnce(hookguard::pipeline::PipelineBuilder) -> hookguard::pipeline::PipelineBuilder,
) -> WebhookLayer {
    let verifier = verifier_with(p, keys(p).expect("keys").2).expect("verifier");
    f(Pipeline::builder(verifier).body_limit(64 * 1024))
        .layer()
        .expect("pipeline")
}

async fn handler(body: bytes::Bytes) -> String {
    format!("ok {}", body.len())
}

fn init() -> State {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let router = {
        let _guard = rt.enter();
        Router::new()
            .route(
                "/github",
                post(handler).layer(layer(Provider::Github, |b| {
                    b.rate_limit(high()).failure_rate_limit(high())
                })),
            )
            .route(
                "/standard-webhooks",
                post(handler).layer(layer(Provider::StandardWebhooks, |b| {
                    b.dangerous().disable_rate_limit()
                })),
            )
            .route(
                "/stripe",
                post(handler).layer(layer(Provider::Stripe, |b| {
                    b.rate_limit(high())
                        .failure_rate_limit(high())
                        .trusted_proxies(["127.0.0.0/8", "::1"])
                })),
            )
            .route(
                "/twilio",
                post(handler).layer(layer(Provider::Twilio, |b| {
                    b.dangerous().disable_rate_limit().tenant("acme")
                })),
            )
    };
    State { rt, router }
}

fuzz_target!(|data: &[u8]| {
    STATE.with(|state| {
        let router = state.router.clone();
        state.rt.block_on(async move {
            let (client, server) = tokio::io::duplex(64 * 1024);
            let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
                req.extensions_mut()
                    .insert(PeerAddr(SocketAddr::from(([127, 0, 0, 1], 40_000))));
                let mut router = router.clone();
                async move {
                    let response = router.call(req).await?;
                    // The oracle: a request that reached the service never gets a 5xx.
                    if response.status().is_server_error() {
                        panic!("service answered {}", response.status());
                    }
                    Ok::<_, Infallible>(response)
                }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .half_close(true)
                .serve_connection(TokioIo::new(server), service);
            let (mut rd, mut wr) = tokio::io::split(client);
            let write = async move {
                let _ = wr.write_all(data).await;
                let _ = wr.shutdown().await;
            };
            let read = async move {
                let mut out = Vec::new();
                let _ = rd.read_to_end(&mut out).await;
                out
            };
            let (_conn, (), _out) = tokio::join!(conn, write, read);
        });
    });
});
