//! actix-web adapter: the same [pipeline](crate::pipeline) as the tower layer, so the same
//! statuses, headers and bodies for every request.
//!
//! - [`WebhookGuard`]: middleware for an `App`, a `scope` or a single `resource`. It reads the
//!   raw payload within the cap while streaming (never actix's decompressing extractors: a
//!   `Content-Encoding` other than identity is refused with 415 before any byte is decoded),
//!   runs the pipeline, hands the verified bytes on, and completes or releases the claim from
//!   the handler's response.
//! - [`Webhook<T>`]: the verified payload decoded as JSON, form or XML. Behind the middleware
//!   it only decodes; on its own (the [`Pipeline`] in `app_data`) it verifies and claims too.
//! - [`Verified`](crate::Verified) is in the request extensions:
//!   `req.extensions().get::<Verified>()`.
//!
//! # Body limits
//!
//! The pipeline's cap ([`PipelineBuilder::body_limit`], 1 MiB by default) is the one body
//! limit: over it, 413 before verification; within it, the handler gets the whole body through
//! any of actix's extractors. For the requests it guards, [`WebhookGuard`] sets the limit of
//! `web::PayloadConfig` (actix default 256 KiB: `web::Bytes`, `String`,
//! `web::Payload::to_bytes`), `web::JsonConfig` (2 MB: `web::Json`) and `web::FormConfig`
//! (16 KiB: `web::Form`) to the cap. It starts from the configurations in scope where it is
//! wrapped (yours, or actix's defaults) and changes only their limit, so an error handler, a
//! content-type predicate or a mime type of yours still applies. [`Webhook<T>`] has no limit of
//! its own, with or without the middleware.
//!
//! What stays yours: a limit applied *between* the middleware and the handler is consulted
//! after the middleware's and wins — an extractor configuration in the `app_data` of a scope or
//! resource nested inside the one the guard wraps, or a handler reading `web::Payload` with its
//! own smaller limit. Such a limit refuses a verified delivery after its claim, and the
//! provider's every retry the same way: keep extractor configurations on the guarded resource
//! itself or outside it (their limit then becomes the cap), or leave them out.
//!
//! ```no_run
//! use actix_web::{App, HttpResponse, HttpServer, web};
//! use hookguard::{Provider, Verifier, actix::{Webhook, WebhookGuard}, pipeline::Pipeline};
//!
//! async fn handle(event: Webhook<serde_json::Value>) -> HttpResponse {
//!     println!("{} {}", event.verified().delivery_id(), event["type"]);
//!     HttpResponse::NoContent().finish() // 2xx = done; anything else = retried
//! }
//!
//! fn main() -> std::io::Result<()> {
//!     actix_web::rt::System::new().block_on(async {
//!         let secret = std::env::var("SECRET").expect("SECRET");
//!         let verifier = Verifier::builder(Provider::Stripe).secret(&secret).build().unwrap();
//!         let pipeline = Pipeline::builder(verifier).build().unwrap(); // shared limiter and store
//!         HttpServer::new(move || {
//!             App::new().service(
//!                 web::resource("/webhook")
//!                     .wrap(WebhookGuard::new(pipeline.clone()))
//!                     .route(web::post().to(handle)),
//!             )
//!         })
//!         .bind("127.0.0.1:3000")?
//!         .run()
//!         .await
//!     })
//! }
//! ```

mod convert;
mod extract;
mod middleware;

pub use extract::{Webhook, WebhookRejection};
pub use middleware::{WebhookGuard, WebhookGuardMiddleware};

#[cfg(doc)]
use crate::pipeline::{Pipeline, PipelineBuilder};
