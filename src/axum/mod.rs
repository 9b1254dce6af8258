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
//! async fn handler(verified: Verified, Webhook(event): Webhook<Event>) -> http::StatusCode {
//!     println!("{} {}", verified.delivery_id(), event.r#type);
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

mod serve;

pub use serve::{
    DEFAULT_DRAIN_TIMEOUT, DEFAULT_HEADER_TIMEOUT, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_CONNECTIONS_PER_CLIENT, Serve, serve,
};

use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::request::Parts;
use http::{HeaderValue, StatusCode};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;

use crate::error::Rejection;
use crate::pipeline::{ObservedRejection, rejection_response};
use crate::verified::Verified;

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        rejection_response(&self).map(axum::body::Body::from)
    }
}

/// The verified payload, decoded by its `Content-Type`: JSON unless it says
/// `application/x-www-form-urlencoded` (or, with feature `xml`, `application/xml` /
/// `text/xml`).
#[derive(Debug, Clone)]
pub struct Webhook<T>(pub T);

/// Why [`Webhook`] or [`Verified`] could not be extracted.
#[derive(Debug)]
#[non_exhaustive]
pub enum ExtractError {
    /// The request did not pass through the webhook layer (a routing mistake). 500.
    NotVerified,
    /// The verified body does not decode as the expected type. 400.
    InvalidPayload {
        /// The format that was tried.
        format: &'static str,
        /// 1-based line of the error, when the decoder knows it.
        line: Option<usize>,
        /// 1-based column of the error, when the decoder knows it.
        column: Option<usize>,
    },
}

impl IntoResponse for ExtractError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            ExtractError::NotVerified => {
                tracing::error!(target: "hookguard", "webhook extractor used on a route without WebhookLayer");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    serde_json::json!({"type": "about:blank", "title": "Internal Server Error", "status": 500, "code": "not_verified"}),
                )
            }
            ExtractError::InvalidPayload {
                format,
                line,
                column,
            } => {
                tracing::info!(target: "hookguard", format, line, column, "verified payload does not decode");
                let problem = crate::decode::DecodeError {
                    format,
                    line,
                    column,
                }
                .into_problem();
                return problem.map(axum::body::Body::from);
            }
        };
        let mut response = Response::new(axum::body::Body::from(body.to_string()));
        *response.status_mut() = status;
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
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
    type Rejection = ExtractError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Verified>()
            .cloned()
            .ok_or(ExtractError::NotVerified)
    }
}

impl<T, S> FromRequest<S> for Webhook<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ExtractError;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        if req.extensions().get::<Verified>().is_none() {
            return Err(ExtractError::NotVerified);
        }
        let content_type = req.headers().get(CONTENT_TYPE).cloned();
        // The layer replaced the body with the verified bytes, already in memory and capped.
        let bytes: Bytes = req
            .into_body()
            .collect()
            .await
            .map_err(|_| ExtractError::NotVerified)?
            .to_bytes();
        crate::decode::decode(content_type.as_ref(), &bytes)
            .map(Webhook)
            .map_err(|e| ExtractError::InvalidPayload {
                format: e.format,
                line: e.line,
                column: e.column,
            })
    }
}
