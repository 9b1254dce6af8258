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
        payload: Webhook<serde_json::Value>,
    ) -> StatusCode {
        let run = log.record(verified.delivery_id().as_str());
        let does = behaviour(&payload, run);
        assert!(!does.panics, "test handler panics on request");
        tokio::time::sleep(does.sleep).await;
        StatusCode::from_u16(does.status).unwrap()
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

/// Serves an axum app on a free loopback port with the server set-up users are told to use
/// (`hookguard::axum::serve`: header timeout, connection bounds, the peer as connect info).
#[cfg(feature = "axum")]
async fn serve_axum(app: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        hookguard::axum::serve(listener, app).await.unwrap();
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
        let run = log.record(event.verified().delivery_id().as_str());
        let does = behaviour(&event, run);
        assert!(!does.panics, "test handler panics on request");
        tokio::time::sleep(does.sleep).await;
        HttpResponse::build(actix_web::http::StatusCode::from_u16(does.status).unwrap()).finish()
    }

    /// Extractor-only: no middleware, the pipeline in app_data; the handler reports back.
    async fn standalone(
        log: web::Data<HandlerLog>,
        event: Webhook<serde_json::Value>,
    ) -> HttpResponse {
        let run = log.record(event.verified().delivery_id().as_str());
        let status = behaviour(&event, run).status;
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

/// The extractor app on axum: `POST /{default,big}/{bytes,string,json,form,webhook}`, each
/// route behind its own `WebhookLayer` (default cap, or [`BIG_CAP`]) and nothing else: no
/// `DefaultBodyLimit` of the user's. Each handler records the delivery id and answers with
/// [`extractor_answer`].
#[cfg(feature = "axum")]
pub async fn start_axum_extractors() -> TestApp {
    use axum::body::{Body, Bytes};
    use axum::extract::State;
    use axum::response::Response;
    use axum::routing::post;
    use axum::{Form, Json, Router};
    use hookguard::Verified;
    use hookguard::axum::Webhook;
    use hookguard::tower::WebhookLayer;
    use http::HeaderMap;

    fn answer(log: &HandlerLog, verified: &Verified, headers: &HeaderMap, got: usize) -> Response {
        log.record(verified.delivery_id().as_str());
        let expected = headers.get("x-expect-len").map(|v| v.as_bytes());
        let (status, got) = extractor_answer(expected, got);
        Response::builder()
            .status(status)
            .header("x-got", got)
            .body(Body::empty())
            .unwrap()
    }
    async fn bytes(
        State(log): State<HandlerLog>,
        v: Verified,
        h: HeaderMap,
        body: Bytes,
    ) -> Response {
        answer(&log, &v, &h, body.len())
    }
    async fn string(
        State(log): State<HandlerLog>,
        v: Verified,
        h: HeaderMap,
        body: String,
    ) -> Response {
        answer(&log, &v, &h, body.len())
    }
    async fn json(
        State(log): State<HandlerLog>,
        v: Verified,
        h: HeaderMap,
        Json(p): Json<Pad>,
    ) -> Response {
        answer(&log, &v, &h, p.pad.len())
    }
    async fn form(
        State(log): State<HandlerLog>,
        v: Verified,
        h: HeaderMap,
        Form(p): Form<Pad>,
    ) -> Response {
        answer(&log, &v, &h, p.pad.len())
    }
    async fn webhook(
        State(log): State<HandlerLog>,
        v: Verified,
        h: HeaderMap,
        p: Webhook<Pad>,
    ) -> Response {
        answer(&log, &v, &h, p.pad.len())
    }

    let log = HandlerLog::default();
    let mut app = Router::new();
    for (cap, pipeline) in [
        ("default", capped_pipeline(None)),
        ("big", capped_pipeline(Some(BIG_CAP))),
    ] {
        let layer = WebhookLayer::new(pipeline);
        app = app
            .route(&format!("/{cap}/bytes"), post(bytes).layer(layer.clone()))
            .route(&format!("/{cap}/string"), post(string).layer(layer.clone()))
            .route(&format!("/{cap}/json"), post(json).layer(layer.clone()))
            .route(&format!("/{cap}/form"), post(form).layer(layer.clone()))
            .route(&format!("/{cap}/webhook"), post(webhook).layer(layer));
    }
    // A user's `DefaultBodyLimit` around the guarded route is replaced by the cap.
    app = app.route(
        "/custom/json",
        post(json)
            .layer::<_, std::convert::Infallible>(WebhookLayer::new(capped_pipeline(None)))
            .layer(axum::extract::DefaultBodyLimit::max(1024)),
    );
    TestApp {
        addr: serve_axum(app.with_state(log.clone())).await,
        log,
    }
}

/// The extractor app on actix-web: the same routes and answers as
/// [`start_axum_extractors`], each resource wrapped in its own `WebhookGuard` and no extractor
/// configuration of the user's; plus `POST /big/standalone`, `Webhook<Pad>` without the
/// middleware (the 4 MiB pipeline in the resource's `app_data`); and `POST /custom/json`, whose
/// resource has the user's `JsonConfig`: a 1 KiB limit (replaced by the cap) and `text/plain`
/// accepted as JSON (kept).
#[cfg(feature = "actix-web")]
pub fn start_actix_extractors() -> TestApp {
    use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, HttpServer, web};
    use hookguard::actix::{Webhook, WebhookGuard};

    fn answer(log: &HandlerLog, req: &HttpRequest, got: usize) -> HttpResponse {
        let Some(verified) = req.extensions().get::<hookguard::Verified>().cloned() else {
            return HttpResponse::InternalServerError().finish();
        };
        log.record(verified.delivery_id().as_str());
        let expected = req.headers().get("x-expect-len").map(|v| v.as_bytes());
        let (status, got) = extractor_answer(expected, got);
        HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
            .insert_header(("x-got", got))
            .finish()
    }
    async fn bytes(log: web::Data<HandlerLog>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
        answer(&log, &req, body.len())
    }
    async fn string(log: web::Data<HandlerLog>, req: HttpRequest, body: String) -> HttpResponse {
        answer(&log, &req, body.len())
    }
    async fn json(
        log: web::Data<HandlerLog>,
        req: HttpRequest,
        body: web::Json<Pad>,
    ) -> HttpResponse {
        answer(&log, &req, body.pad.len())
    }
    async fn form(
        log: web::Data<HandlerLog>,
        req: HttpRequest,
        body: web::Form<Pad>,
    ) -> HttpResponse {
        answer(&log, &req, body.pad.len())
    }
    async fn webhook(
        log: web::Data<HandlerLog>,
        req: HttpRequest,
        event: Webhook<Pad>,
    ) -> HttpResponse {
        answer(&log, &req, event.pad.len())
    }
    async fn standalone(
        log: web::Data<HandlerLog>,
        req: HttpRequest,
        event: Webhook<Pad>,
    ) -> HttpResponse {
        let response = answer(&log, &req, event.pad.len());
        event.finish(response.status().is_success()).await;
        response
    }

    let log = HandlerLog::default();
    let (default, big, alone) = (
        capped_pipeline(None),
        capped_pipeline(Some(BIG_CAP)),
        capped_pipeline(Some(BIG_CAP)),
    );
    let (tx, rx) = std::sync::mpsc::channel();
    let app_log = log.clone();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                let mut app = App::new()
                    .app_data(web::Data::new(app_log.clone()))
                    .service(
                        web::resource("/big/standalone")
                            .app_data(alone.clone())
                            .route(web::post().to(standalone)),
                    );
                let custom = web::JsonConfig::default()
                    .limit(1024)
                    .content_type(|mime| mime.essence_str() == "text/plain");
                app = app.service(
                    web::resource("/custom/json")
                        .app_data(custom)
                        .wrap(WebhookGuard::new(default.clone()))
                        .route(web::post().to(json)),
                );
                for (cap, pipeline) in [("default", &default), ("big", &big)] {
                    let guarded = |path: &str| {
                        web::resource(format!("/{cap}/{path}"))
                            .wrap(WebhookGuard::new(pipeline.clone()))
                    };
                    app = app
                        .service(guarded("bytes").route(web::post().to(bytes)))
                        .service(guarded("string").route(web::post().to(string)))
                        .service(guarded("json").route(web::post().to(json)))
                        .service(guarded("form").route(web::post().to(form)))
                        .service(guarded("webhook").route(web::post().to(webhook)));
                }
                app
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

/// The scenario handler on actix-web (the one of [`start_actix`]), for the apps below: records
/// the delivery id and does what [`behaviour`] says for this run of it.
#[cfg(feature = "actix-web")]
async fn actix_contract_handler(
    log: actix_web::web::Data<HandlerLog>,
    event: hookguard::actix::Webhook<serde_json::Value>,
) -> actix_web::HttpResponse {
    let run = log.record(event.verified().delivery_id().as_str());
    let does = behaviour(&event, run);
    assert!(!does.panics, "test handler panics on request");
    tokio::time::sleep(does.sleep).await;
    actix_web::HttpResponse::build(actix_web::http::StatusCode::from_u16(does.status).unwrap())
        .finish()
}

/// The scenario-table app of [`start_actix`] with each `WebhookGuard` wrapping a `web::scope`
/// instead of a resource: `/webhook`, `/t/{tenant}` and `/race` are scopes, each holding one
/// resource (the scope's own path, or `/webhook`), so actix matches the resource inside the
/// guard. No `/standalone` route.
#[cfg(feature = "actix-web")]
pub fn start_actix_scoped() -> TestApp {
    use actix_web::{App, HttpServer, web};
    use hookguard::actix::WebhookGuard;

    let log = HandlerLog::default();
    // Built on the caller's thread, as `start_actix` builds its own.
    let (pipeline, tenants, race) = (pipeline(), tenant_pipeline(), race_pipeline());
    let (tx, rx) = std::sync::mpsc::channel();
    let app_log = log.clone();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                let handler = || web::post().to(actix_contract_handler);
                App::new()
                    .app_data(web::Data::new(app_log.clone()))
                    .service(
                        web::scope("/webhook")
                            .wrap(WebhookGuard::new(pipeline.clone()))
                            .service(web::resource("").route(handler())),
                    )
                    .service(
                        web::scope("/t/{tenant}")
                            .wrap(WebhookGuard::new(tenants.clone()))
                            .service(web::resource("/webhook").route(handler())),
                    )
                    .service(
                        web::scope("/race")
                            .wrap(WebhookGuard::new(race.clone()))
                            .service(web::resource("").route(handler())),
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

/// Where [`start_actix_guarded_at`] wraps its `WebhookGuard`.
#[cfg(feature = "actix-web")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardAt {
    /// `web::resource("/webhook").wrap(…)`.
    Resource,
    /// `web::scope("/hooks").wrap(…)`.
    Scope,
    /// `App::new().wrap(…)`.
    App,
}

/// `POST /hooks/webhook` — a resource in the scope `/hooks` — served by the scenario handler
/// behind one `WebhookGuard` running `pipeline`, wrapped around the resource, the scope or the
/// whole `App` (`at`). The paths are the same in all three.
#[cfg(feature = "actix-web")]
pub fn start_actix_guarded_at(at: GuardAt, pipeline: hookguard::pipeline::Pipeline) -> TestApp {
    use actix_web::{App, HttpServer, web};
    use hookguard::actix::WebhookGuard;

    let log = HandlerLog::default();
    let (tx, rx) = std::sync::mpsc::channel();
    let app_log = log.clone();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let data = web::Data::new(app_log);
            let guard = move || WebhookGuard::new(pipeline.clone());
            let route = || web::post().to(actix_contract_handler);
            // Each placement is an app of its own type, hence one server per arm.
            macro_rules! serve {
                ($app:expr) => {{
                    let server = HttpServer::new($app)
                        .workers(1)
                        .disable_signals()
                        .bind("127.0.0.1:0")
                        .unwrap();
                    tx.send(server.addrs()[0]).unwrap();
                    server.run().await.unwrap();
                }};
            }
            match at {
                GuardAt::Resource => serve!(move || {
                    App::new().app_data(data.clone()).service(
                        web::scope("/hooks")
                            .service(web::resource("/webhook").wrap(guard()).route(route())),
                    )
                }),
                GuardAt::Scope => serve!(move || {
                    App::new().app_data(data.clone()).service(
                        web::scope("/hooks")
                            .wrap(guard())
                            .service(web::resource("/webhook").route(route())),
                    )
                }),
                GuardAt::App => serve!(move || {
                    App::new().app_data(data.clone()).wrap(guard()).service(
                        web::scope("/hooks").service(web::resource("/webhook").route(route())),
                    )
                }),
            }
        });
    });
    let addr = rx.recv().unwrap();
    TestApp { addr, log }
}
