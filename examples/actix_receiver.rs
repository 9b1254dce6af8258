//! A guarded webhook receiver configured from the environment: actix-web + `WebhookGuard`.
//! The same contract as `axum_receiver` (see `examples/receiver/mod.rs`):
//!
//! ```text
//! cargo run --example actix_receiver --features actix-web          # in-memory replay store
//! cargo run --example actix_receiver --features actix-web,redis    # HOOKGUARD_REDIS_URL allowed
//! cargo run --example actix_receiver --features actix-web,inbox    # HOOKGUARD_INBOX allowed
//! ```
//!
//! `HOOKGUARD_LISTEN` (default `127.0.0.1:3000`), `HOOKGUARD_PROVIDER`, `HOOKGUARD_SECRET`
//! (comma-separated for rotation; set but empty → exit 2; unset → a public demo secret, on a
//! loopback listener only), `HOOKGUARD_PUBLIC_URL`, `HOOKGUARD_TOLERANCE`,
//! `HOOKGUARD_RATE_PER_SEC`, `HOOKGUARD_BURST`, `HOOKGUARD_MAX_BODY`, `HOOKGUARD_REDIS_URL`,
//! `HOOKGUARD_TRUSTED_PROXIES`, `HOOKGUARD_INBOX` (durable inbox store file, feature `inbox`;
//! unset → synchronous mode), `HOOKGUARD_RETRY_SCHEDULE` (the inbox worker's retry delays,
//! like `200ms,1s,5s`; unset → the default schedule), `RUST_LOG` (default `info`). Invalid configuration → exit
//! code 2. actix-web answers a request head slower than 5 s with 408 by itself.
//!
//! `POST /webhook`: each handler run prints one flushed line on stdout, `handled <id>` (204),
//! or `failed <id>` (500, so the provider retries) when the JSON body's `"fail"` is `true`,
//! or for the first N attempts when it has `"fail_times": N`. With `HOOKGUARD_INBOX`: 202
//! once on disk, and the inbox's worker runs the handler, retrying failures.

#[path = "receiver/mod.rs"]
mod receiver;

use std::process::ExitCode;

use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, HttpServer, web};
use hookguard::Verified;
use hookguard::actix::WebhookGuard;
use receiver::Invalid;

/// Runs once per verified, first-time delivery; `body` is exactly the verified bytes.
async fn handle(req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let Some(verified) = req.extensions().get::<Verified>().cloned() else {
        return HttpResponse::InternalServerError().finish(); // not behind WebhookGuard
    };
    let status = receiver::handle(&verified, &body);
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::NO_CONTENT),
    )
    .finish()
}

fn main() -> ExitCode {
    let result = receiver::init_logging().and_then(|()| serve());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Invalid(message)) => {
            eprintln!("actix_receiver: {message}");
            ExitCode::from(2)
        }
    }
}

fn serve() -> Result<(), Invalid> {
    actix_web::rt::System::new().block_on(async {
        let (pipeline, listen, background) = receiver::pipeline().await?;
        let server = HttpServer::new(move || {
            App::new().service(
                web::resource("/webhook")
                    .wrap(WebhookGuard::new(pipeline.clone()))
                    .route(web::post().to(handle)),
            )
        })
        // actix-web's own defaults, stated: a request head within 5 s (else 408), an idle
        // kept-alive connection closed after 5 s, and a bound on open connections (per worker
        // thread; actix has no per-client bound).
        .client_request_timeout(std::time::Duration::from_secs(5))
        .keep_alive(std::time::Duration::from_secs(5))
        .max_connections(512)
        .bind(listen)
        .map_err(|e| Invalid(format!("HOOKGUARD_LISTEN={listen}: {e}")))?;
        let addr = server.addrs()[0];
        eprintln!("listening on http://{addr}/webhook (Ctrl-C to stop)");
        // actix-web stops gracefully on Ctrl-C by itself.
        server.run().await.unwrap_or_else(|e| {
            eprintln!("actix_receiver: server error: {e}");
            std::process::exit(1);
        });
        background.stop().await;
        Ok(())
    })
}
