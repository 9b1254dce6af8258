//! [`Webhook<T>`] for actix-web.

use std::fmt;
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_core::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use super::convert::{ActixBody, parts_of, to_actix};
use crate::pipeline::Pipeline;
use crate::replay::ClaimHandle;
use crate::verified::Verified;

/// The verified payload, decoded by its `Content-Type` (JSON unless it says
/// `application/x-www-form-urlencoded`, or — feature `xml` — `application/xml`/`text/xml`).
///
/// Behind [`WebhookGuard`](super::WebhookGuard) it only decodes the verified bytes. Without the
/// middleware it runs the pipeline itself — rate limit, body cap, verification, claim —
/// using the [`Pipeline`] found in `app_data`, with the same statuses; the handler then calls
/// [`finish`](Self::finish) with its outcome (dropping the extractor unfinished releases the
/// claim, so the provider's retry runs again).
pub struct Webhook<T> {
    payload: T,
    verified: Verified,
    claim: Option<ClaimHandle>,
}

impl<T: fmt::Debug> fmt::Debug for Webhook<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("payload", &self.payload)
            .field("verified", &self.verified)
            .finish_non_exhaustive()
    }
}

impl<T> Deref for Webhook<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.payload
    }
}

impl<T> Webhook<T> {
    /// What verification proved.
    pub fn verified(&self) -> &Verified {
        &self.verified
    }

    /// The payload (releases a standalone claim: call [`finish`](Self::finish) first).
    pub fn into_inner(self) -> T {
        self.payload
    }

    /// Standalone mode: completes the claim when `succeeded` (the id is then kept as done),
    /// releases it otherwise. Behind the middleware it does nothing (the middleware decides
    /// from the response).
    pub async fn finish(mut self, succeeded: bool) {
        if let Some(claim) = self.claim.take() {
            if succeeded {
                claim.complete().await;
            } else {
                claim.release().await;
            }
        }
    }
}

/// A pipeline answer from the extractor, rendered exactly as the middleware would.
#[derive(Debug)]
pub struct Refusal(Box<http::Response<bytes::Bytes>>);

impl Refusal {
    /// The pipeline's `response`, to answer as an actix error where no request is left to
    /// build a `ServiceResponse` from.
    pub(crate) fn from_response(response: http::Response<bytes::Bytes>) -> Self {
        Refusal(Box::new(response))
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "webhook refused with {}", self.0.status())
    }
}

impl actix_web::ResponseError for Refusal {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::from_u16(self.0.status().as_u16())
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        to_actix((*self.0).clone())
    }
}

fn refusal(status: u16, code: &str) -> Refusal {
    let body = serde_json::json!({
        "type": "about:blank",
        "title": http::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("Error"),
        "status": status,
        "code": code,
    });
    let mut response = http::Response::new(bytes::Bytes::from(body.to_string()));
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_REQUEST);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/problem+json"),
    );
    Refusal(Box::new(response))
}

fn decode<T: DeserializeOwned>(req: &HttpRequest, bytes: &[u8]) -> Result<T, Refusal> {
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| http::HeaderValue::from_bytes(v.as_bytes()).ok());
    crate::decode::decode(content_type.as_ref(), bytes).map_err(|e| {
        tracing::info!(target: "hookguard", format = e.format, line = e.line, column = e.column, "verified payload does not decode");
        Refusal(Box::new(e.into_problem()))
    })
}

async fn collect(payload: &mut ActixBody) -> Result<bytes::Bytes, Refusal> {
    use crate::pipeline::BodySource;
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = payload.next_chunk().await {
        let chunk = chunk.map_err(|_| refusal(400, "body_read_failed"))?;
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

impl<T: DeserializeOwned + 'static> FromRequest for Webhook<T> {
    type Error = Refusal;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut body = ActixBody(payload.take());
        Box::pin(async move {
            let verified = req.extensions().get::<Verified>().cloned();
            if let Some(verified) = verified {
                // Behind the middleware: the payload is exactly the verified bytes.
                let bytes = collect(&mut body).await?;
                let payload = decode(&req, &bytes)?;
                return Ok(Webhook {
                    payload,
                    verified,
                    claim: None,
                });
            }
            let Some(pipeline) = req.app_data::<Pipeline>().cloned().or_else(|| {
                req.app_data::<actix_web::web::Data<Pipeline>>()
                    .map(|d| Pipeline::clone(d))
            }) else {
                tracing::error!(target: "hookguard", "Webhook extractor without WebhookGuard and without a Pipeline in app_data");
                return Err(refusal(500, "not_verified"));
            };
            let parts = parts_of(&req)
                .map_err(|r| Refusal(Box::new(crate::pipeline::rejection_response(&r))))?;
            let peer = req.peer_addr().map(|a| a.ip());
            let (bytes, verified, claim) = pipeline
                .accept_and_claim(&parts, peer, body)
                .await
                .map_err(|r| Refusal(Box::new(r)))?;
            // A payload that does not decode drops `claim` here, which releases it.
            let payload = decode(&req, &bytes)?;
            req.extensions_mut().insert(verified.clone());
            Ok(Webhook {
                payload,
                verified,
                claim,
            })
        })
    }
}
