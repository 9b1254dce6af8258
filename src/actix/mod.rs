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

pub use extract::{Refusal, Webhook};
pub use middleware::{WebhookGuard, WebhookGuardMiddleware};

#[cfg(doc)]
use crate::pipeline::Pipeline;
