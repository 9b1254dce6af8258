//! [`Webhook<T>`] for actix-web.

use std::fmt;
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_core::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use super::convert::{ActixBody, parts_of, to_actix};
pub use crate::extract::WebhookRejection;
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

impl actix_web::ResponseError for WebhookRejection {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::from_u16(self.status().as_u16())
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        to_actix(self.to_response())
    }
}

fn decode<T: DeserializeOwned>(req: &HttpRequest, bytes: &[u8]) -> Result<T, WebhookRejection> {
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| http::HeaderValue::from_bytes(v.as_bytes()).ok());
    Ok(crate::extract::decode(content_type.as_ref(), bytes)?)
}

async fn collect(payload: &mut ActixBody) -> Result<bytes::Bytes, WebhookRejection> {
    use crate::pipeline::BodySource;
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = payload.next_chunk().await {
        let chunk = chunk.map_err(|_| WebhookRejection::BodyReadFailed)?;
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

impl<T: DeserializeOwned + 'static> FromRequest for Webhook<T> {
    type Error = WebhookRejection;
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
                // Neither behind WebhookGuard nor with a Pipeline in app_data.
                return Err(WebhookRejection::not_verified());
            };
            let parts = parts_of(&req).map_err(|r| {
                WebhookRejection::Answered(Box::new(crate::pipeline::refusal_response(&r)))
            })?;
            let peer = req.peer_addr().map(|a| a.ip());
            let crate::pipeline::ClaimedDelivery {
                body: bytes,
                verified,
                claim,
                ..
            } = pipeline
                .accept_and_claim(&parts, peer, body)
                .await
                .map_err(|r| WebhookRejection::Answered(Box::new(r)))?;
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
