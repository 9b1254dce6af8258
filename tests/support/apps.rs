//! The scenario-table test app, once per adapter: same routes, same handler behaviour.
#![allow(dead_code)]

use std::net::SocketAddr;

use super::scenarios::*;

#[cfg(feature = "axum")]
pub async fn start_axum() -> TestApp {
    use axum::Router;
    use axum::extract::State;
    use axum::routing::post;
    use hookguard::Verified;
    use hookguard::axum::Webhook;
    use hookguard::tower::WebhookLayer;
    use http::StatusCode;

    async fn handler(
        State(log): State<HandlerLog>,
        verified: Verified,
        Webhook(payload): Webhook<serde_json::Value>,
    ) -> StatusCode {
        log.record(verified.delivery_id().as_str());
        assert!(!handler_panics(&payload), "test handler panics on request");
        tokio::time::sleep(handler_sleep(&payload)).await;
        StatusCode::from_u16(handler_status(&payload)).unwrap()
    }

    let log = HandlerLog::default();
    let app = Router::new()
        .route(
            "/webhook",
            post(handler).layer(WebhookLayer::new(pipeline())),
        )
        .route(
            "/t/{tenant}/webhook",
            post(handler).layer(WebhookLayer::new(tenant_pipeline())),
        )
        .route(
            "/race",
            post(handler).layer(WebhookLayer::new(race_pipeline())),
        )
        .with_state(log.clone());
    TestApp {
        addr: serve_axum(app).await,
        log,
    }
}

/// Serves an axum app on a free loopback port, with the peer address as connect info.
#[cfg(feature = "axum")]
async fn serve_axum(app: axum::Router) -> SocketAddr {
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

/// The actix app, served on its own thread and actix system.
#[cfg(feature = "actix-web")]
pub fn start_actix() -> TestApp {
    use actix_web::{App, HttpResponse, HttpServer, web};
    use hookguard::actix::{Webhook, WebhookGuard};

    async fn handler(
        log: web::Data<HandlerLog>,
        event: Webhook<serde_json::Value>,
    ) -> HttpResponse {
        log.record(event.verified().delivery_id().as_str());
        assert!(!handler_panics(&event), "test handler panics on request");
        tokio::time::sleep(handler_sleep(&event)).await;
        HttpResponse::build(actix_web::http::StatusCode::from_u16(handler_status(&event)).unwrap())
            .finish()
    }

    /// Extractor-only: no middleware, the pipeline in app_data; the handler reports back.
    async fn standalone(
        log: web::Data<HandlerLog>,
        event: Webhook<serde_json::Value>,
    ) -> HttpResponse {
        log.record(event.verified().delivery_id().as_str());
        let status = handler_status(&event);
        event.finish(status < 300).await;
        HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
    }

    let log = HandlerLog::default();
    let (pipeline, tenants, alone, race) =
        (pipeline(), tenant_pipeline(), pipeline(), race_pipeline());
    let (tx, rx) = std::sync::mpsc::channel();
    let app_log = log.clone();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(web::Data::new(app_log.clone()))
                    .service(
                        web::resource("/webhook")
                            .wrap(WebhookGuard::new(pipeline.clone()))
                            .route(web::post().to(handler)),
                    )
                    .service(
                        web::resource("/t/{tenant}/webhook")
                            .wrap(WebhookGuard::new(tenants.clone()))
                            .route(web::post().to(handler)),
                    )
                    .service(
                        web::resource("/race")
                            .wrap(WebhookGuard::new(race.clone()))
                            .route(web::post().to(handler)),
                    )
                    .service(
                        web::resource("/standalone")
                            .app_data(alone.clone())
                            .route(web::post().to(standalone)),
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
    let addr = rx.recv().unwrap();
    TestApp { addr, log }
}

/// A one-route axum app (`POST /webhook`) around any pipeline.
#[cfg(feature = "axum")]
pub async fn start_axum_with(pipeline: hookguard::pipeline::Pipeline) -> TestApp {
    use axum::Router;
    use axum::extract::State;
    use axum::routing::any;
    use hookguard::Verified;
    use hookguard::tower::WebhookLayer;

    async fn handler(State(log): State<HandlerLog>, verified: Verified) -> http::StatusCode {
        log.record(verified.delivery_id().as_str());
        http::StatusCode::NO_CONTENT
    }
    let log = HandlerLog::default();
    let app = Router::new()
        .route("/webhook", any(handler).layer(WebhookLayer::new(pipeline)))
        .with_state(log.clone());
    TestApp {
        addr: serve_axum(app).await,
        log,
    }
}

/// A one-route actix app (`POST /webhook`) around any pipeline.
#[cfg(feature = "actix-web")]
pub fn start_actix_with(pipeline: hookguard::pipeline::Pipeline) -> TestApp {
    use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, HttpServer, web};
    use hookguard::actix::WebhookGuard;

    async fn handler(log: web::Data<HandlerLog>, req: HttpRequest) -> HttpResponse {
        let id = req
            .extensions()
            .get::<hookguard::Verified>()
            .map(|v| v.delivery_id().to_string());
        log.record(&id.unwrap_or_default());
        HttpResponse::NoContent().finish()
    }
    let log = HandlerLog::default();
    let (tx, rx) = std::sync::mpsc::channel();
    let app_log = log.clone();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(web::Data::new(app_log.clone()))
                    .service(
                        web::resource("/webhook")
                            .wrap(WebhookGuard::new(pipeline.clone()))
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
    let addr = rx.recv().unwrap();
    TestApp { addr, log }
}
