//! Observe-only rollout mode: failures are logged and counted but reach the handler, with the
//! rejection available to it; verified deliveries keep full replay protection.
#![cfg(all(feature = "axum", feature = "actix-web"))]

use std::net::SocketAddr;

use hookguard::Verified;
use hookguard::pipeline::{ObservedRejection, Pipeline};
use hookguard::ratelimit::RateLimit;

use crate::scenarios::*;

fn observe() -> Pipeline {
    Pipeline::builder(verifier())
        .rate_limit(RateLimit::per_second(100_000).unwrap())
        .dangerous()
        .observe_only()
        .build()
        .unwrap()
}

async fn axum_app(pipeline: Pipeline) -> SocketAddr {
    use axum::Router;
    use axum::routing::post;
    async fn handler(
        v: Option<Verified>,
        o: Option<ObservedRejection>,
    ) -> ([(&'static str, String); 1], http::StatusCode) {
        let seen = match (v, o) {
            (Some(v), None) => format!("verified {}", v.delivery_id()),
            (None, Some(o)) => format!("observed {}", o.0.code()),
            other => panic!("exactly one of the two: {other:?}"),
        };
        ([("x-seen", seen)], http::StatusCode::NO_CONTENT)
    }
    let app = Router::new().route(
        "/webhook",
        post(handler).layer(hookguard::tower::WebhookLayer::new(pipeline)),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    addr
}

fn actix_app(pipeline: Pipeline) -> SocketAddr {
    use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, HttpServer, web};
    async fn handler(req: HttpRequest) -> HttpResponse {
        let ext = req.extensions();
        let seen = match (ext.get::<Verified>(), ext.get::<ObservedRejection>()) {
            (Some(v), None) => format!("verified {}", v.delivery_id()),
            (None, Some(o)) => format!("observed {}", o.0.code()),
            other => panic!("exactly one of the two: {other:?}"),
        };
        HttpResponse::NoContent()
            .insert_header(("x-seen", seen))
            .finish()
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                App::new().service(
                    web::resource("/webhook")
                        .wrap(hookguard::actix::WebhookGuard::new(pipeline.clone()))
                        .route(web::post().to(handler)),
                )
            })
            .workers(1)
            .disable_signals()
            .bind("127.0.0.1:0")
            .unwrap();
            tx.send(server.addrs()[0]).unwrap();
            server.run().await.unwrap();
        });
    });
    rx.recv().unwrap()
}

async fn check(addr: SocketAddr, pipeline: &Pipeline, salt: &str) {
    let body = r#"{"type":"x"}"#;
    let ok = Req::new("127.0.0.90").signed(&format!("msg_{salt}_ok"), body);
    let r = send(addr, &ok).await;
    assert_eq!(
        (r.status, r.header("x-seen")),
        (204, Some(format!("verified msg_{salt}_ok").as_str()))
    );
    // Replay protection still holds for verified deliveries.
    assert_eq!(send(addr, &ok).await.status, 200);
    let tampered = Req::new("127.0.0.90")
        .signed(&format!("msg_{salt}_t"), body)
        .body(br#"{"type":"y"}"#);
    let r = send(addr, &tampered).await;
    assert_eq!(
        (r.status, r.header("x-seen")),
        (204, Some("observed signature_mismatch"))
    );
    let unsigned = Req::new("127.0.0.90").body(body.as_bytes());
    let r = send(addr, &unsigned).await;
    assert_eq!(
        (r.status, r.header("x-seen")),
        (204, Some("observed missing_signature"))
    );
    // Body limits are not relaxed.
    let big =
        Req::new("127.0.0.90").signed(&format!("msg_{salt}_big"), &"x".repeat(2 * 1024 * 1024));
    assert_eq!(send(addr, &big).await.status, 413);
    assert_eq!(
        codes(pipeline.would_reject_counts()),
        vec![("missing_signature", 1), ("signature_mismatch", 1)]
    );
}

/// Counts as (code, count) pairs.
fn codes(counts: Vec<hookguard::pipeline::OutcomeCount>) -> Vec<(&'static str, u64)> {
    counts
        .iter()
        .map(|c| (c.outcome.as_str(), c.count))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_reach_the_handler_and_are_counted_on_both_adapters() {
    let p = observe();
    check(axum_app(p.clone()).await, &p, "axum").await;
    let p = observe();
    check(actix_app(p.clone()), &p, "actix").await;
}

#[tokio::test]
async fn the_default_is_enforcing() {
    let p = Pipeline::builder(verifier()).build().unwrap();
    let addr = axum_app(p.clone()).await;
    let tampered = Req::new("127.0.0.91").signed("msg_enf", "{}").body(b"{ }");
    assert_eq!(send(addr, &tampered).await.status, 401);
    assert!(p.would_reject_counts().is_empty());
    assert!(codes(p.outcome_counts()).contains(&("signature_mismatch", 1)));
}
