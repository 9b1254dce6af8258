//! Inbox routes (feature `inbox`): steps 5–7 become one commit. The verified delivery is
//! committed to the inbox and acknowledged only once it is on disk; the inbox's worker runs
//! the handlers later.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::request::Parts;
use http::{HeaderName, Response, StatusCode};

use super::accept::Accepted;
use super::tenant::Resolved;
use super::{Outcome, Refusal, problem};
use crate::inbox::{Inbox, InboxError, Receipt, Received, UNAVAILABLE_RETRY_AFTER};
use crate::replay::ClaimError;

/// The inbox a pipeline commits to, and the route name its receipts carry (the worker's
/// handler for that route runs them).
pub(super) struct InboxRoute {
    pub(super) inbox: Inbox,
    pub(super) route: String,
}

/// What an inbox route keeps beside the body: the tenant, and the headers the scheme needs to
/// verify the delivery again (signature, timestamp, id) plus `Content-Type` (how the body
/// decodes), every value of each, in order.
pub(super) struct Keep {
    tenant: String,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Keep {
    pub(super) fn of(resolved: &Resolved<'_>, parts: &Parts) -> Self {
        let scheme = resolved.verifier.scheme();
        let mut headers = Vec::new();
        let mut names: Vec<&HeaderName> = scheme.verification_headers().collect();
        names.push(&CONTENT_TYPE);
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                continue;
            }
            for value in parts.headers.get_all(*name) {
                headers.push(((*name).clone(), value.clone()));
            }
        }
        Self {
            tenant: resolved.tenant.clone().into_owned(),
            headers,
        }
    }
}

/// 202 for a delivery committed to the inbox.
fn accepted_response() -> Response<Bytes> {
    let mut response = Response::new(Bytes::from_static(br#"{"status":"accepted"}"#));
    *response.status_mut() = StatusCode::ACCEPTED;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

impl InboxRoute {
    /// Commits a verified delivery and answers: 202 once it is on disk, 200 for a duplicate
    /// already in the inbox, 409 `delivery_conflict` for its id with another body, 503 +
    /// `Retry-After` when the inbox is full, failing or slow (never a 2xx then).
    pub(super) async fn commit(&self, accepted: Accepted<'_>) -> Response<Bytes> {
        let Accepted {
            bytes,
            verified,
            digest,
            trace,
            keep,
            ..
        } = accepted;
        let Some(keep) = keep else {
            // `verify_body` fills it on every inbox route.
            let r = Refusal::Unavailable {
                retry_after: UNAVAILABLE_RETRY_AFTER,
            };
            return trace.refuse(r, Some(&verified));
        };
        let receipt =
            match Receipt::with_digest(&self.route, &keep.tenant, &verified, bytes, digest) {
                Ok(receipt) => receipt.headers(keep.headers),
                Err(e) => {
                    // The route is checked when built, the tenant before: the provider name.
                    tracing::error!(target: "hookguard", error = %e, "inbox receipt refused: 503");
                    let r = Refusal::Unavailable {
                        retry_after: UNAVAILABLE_RETRY_AFTER,
                    };
                    return trace.refuse(r, Some(&verified));
                }
            };
        let receipt = match &trace.client {
            Some(client) => receipt.client_key(&client.to_string()),
            None => receipt,
        };
        match self.inbox.receive(receipt).await {
            Ok(Received::Committed(_)) => {
                trace.log(Outcome::Committed, Some(&verified));
                accepted_response()
            }
            Ok(Received::Duplicate(_)) => {
                trace.log(Outcome::Duplicate, Some(&verified));
                problem::duplicate_response()
            }
            Err(InboxError::Conflict { .. }) => {
                trace.refuse(Refusal::Claim(ClaimError::Conflict), Some(&verified))
            }
            Err(e) => {
                tracing::warn!(target: "hookguard", error = %e, "inbox could not commit the delivery: 503");
                let r = Refusal::Unavailable {
                    retry_after: e.retry_after().unwrap_or(UNAVAILABLE_RETRY_AFTER),
                };
                trace.refuse(r, Some(&verified))
            }
        }
    }
}
