//! axum extractors for handlers behind [`WebhookLayer`](crate::tower::WebhookLayer), and
//! [`serve`]: the server set-up to run them with.
//!
//! - [`Webhook<T>`]: the verified payload decoded as JSON (default), a form
//!   (`application/x-www-form-urlencoded`, e.g. Slack, Twilio) or XML (feature `xml`). A
//!   payload that verified but does not decode is a 400 with the position of the error, never
//!   its content.
//! - [`Verified`]: provider, key id, timestamp, delivery id.
//! - `axum::body::Bytes`: the raw verified bytes.
//!
//! axum's own extractors (`Bytes`, `String`, `Json`, `Form`) accept every body up to the
//! pipeline's cap with no `DefaultBodyLimit` of yours: the layer sets it to the cap for the
//! requests it guards (see [the tower module](crate::tower) for what stays yours).
//! [`Webhook<T>`] has no limit of its own.
//!
//! Serve the app with [`serve`] rather than `axum::serve`: it cuts off slow or silent
//! connections (a request head must arrive within 5 s), bounds open connections per process
//! and per client, and hands the peer address to the rate limiter.
//!
//! ```no_run
//! use axum::{Router, routing::post};
//! use hookguard::{Provider, Verified, Verifier, axum::Webhook, pipeline::Pipeline};
//!
//! #[derive(serde::Deserialize)]
//! struct Event { r#type: String }
//!
//! async fn handler(event: Webhook<Event>) -> http::StatusCode {
//!     println!("{} {}", event.verified().delivery_id(), event.r#type);
//!     http::StatusCode::NO_CONTENT
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::builder(Provider::StandardWebhooks)
//!     .secret(&std::env::var("WEBHOOK_SECRET")?)
//!     .build()?;
//! let app = Router::new()
//!     .route("/webhook", post(handler))
//!     .layer(Pipeline::builder(verifier).layer()?);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! hookguard::axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

#[cfg(feature = "inbox")]
mod admin;
mod serve;

#[cfg(feature = "inbox")]
pub use admin::{AdminConfigError, inbox_admin};

pub use serve::{
    DEFAULT_DRAIN_TIMEOUT, DEFAULT_HEADER_TIMEOUT, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_CONNECTIONS_PER_CLIENT, Serve, serve,
};

use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::request::Parts;
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;

pub use crate::extract::WebhookRejection;

use crate::error::Rejection;
use crate::pipeline::{ObservedRejection, Refusal, refusal_response};
use crate::verified::Verified;

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        refusal_response(&self).map(axum::body::Body::from)
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        Refusal::from(self).into_response()
    }
}

/// The verified payload, decoded by its `Content-Type` (JSON unless it says
/// `application/x-www-form-urlencoded`, or — feature `xml` — `application/xml` /
/// `text/xml`), with what verification proved. It derefs to the payload.
///
/// The same type, with the same methods, as `hookguard::actix::Webhook` (whose standalone
/// mode adds `finish`).
pub struct Webhook<T> {
    payload: T,
    verified: Verified,
}

impl<T> Webhook<T> {
    /// What verification proved: provider, key id, timestamp, delivery id.
    pub fn verified(&self) -> &Verified {
        &self.verified
    }

    /// The payload.
    pub fn into_inner(self) -> T {
        self.payload
    }
}

impl<T> std::ops::Deref for Webhook<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.payload
    }
}

impl<T> std::ops::DerefMut for Webhook<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.payload
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Webhook<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("payload", &self.payload)
            .field("verified", &self.verified)
            .finish()
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        self.to_response().map(axum::body::Body::from)
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Verified {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Verified>().cloned())
    }
}

/// In observe-only mode, the rejection verification would have made (use as
/// `Option<ObservedRejection>`).
impl<S: Send + Sync> OptionalFromRequestParts<S> for ObservedRejection {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<ObservedRejection>().cloned())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Verified {
    type Rejection = WebhookRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Verified>()
            .cloned()
            .ok_or_else(WebhookRejection::not_verified)
    }
}

impl<T, S> FromRequest<S> for Webhook<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = WebhookRejection;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        let Some(verified) = req.extensions().get::<Verified>().cloned() else {
            return Err(WebhookRejection::not_verified());
        };
        let content_type = req.headers().get(CONTENT_TYPE).cloned();
        // The layer replaced the body with the verified bytes, already in memory and capped.
        let bytes: Bytes = req
            .into_body()
            .collect()
            .await
            .map_err(|_| WebhookRejection::BodyReadFailed)?
            .to_bytes();
        let payload = crate::extract::decode(content_type.as_ref(), &bytes)?;
        Ok(Webhook { payload, verified })
    }
}
