//! Steps 1–4 of every request: admission, head, body, verification — everything before the
//! claim. Each step refuses with its own answer and one logged decision.

use std::net::IpAddr;
use std::time::Duration;

use bytes::Bytes;
use http::Response;
use http::request::Parts;

use super::tenant::Resolved;
use super::trace::Trace;
use super::{BodySource, Outcome, Pipeline, Refusal, body, handshake};
use crate::error::Rejection;
use crate::replay::{BodyDigest, ReplayKey};
use crate::verified::Verified;

/// `Retry-After` while a resolver names tenants the store cannot key: an operator must fix
/// it, so the provider should come back later rather than soon.
const MISCONFIGURED_RETRY_AFTER: Duration = Duration::from_secs(60);

/// A request that passed steps 1–4.
pub(super) struct Accepted<'a> {
    pub(super) bytes: Bytes,
    pub(super) verified: Verified,
    pub(super) key: ReplayKey,
    pub(super) digest: BodyDigest,
    pub(super) trace: Trace<'a>,
    /// What an inbox route keeps beside the body (only set on such a route).
    #[cfg(feature = "inbox")]
    pub(super) keep: Option<super::inbox::Keep>,
}

/// Why [`Pipeline::accept`] stopped short of a verified request.
pub(super) enum Stop<'a> {
    /// Answer this.
    Respond(Response<Bytes>),
    /// Observe-only mode: verification failed, but the request goes on to the handler.
    Observe {
        bytes: Bytes,
        rejection: Rejection,
        trace: Trace<'a>,
    },
}

impl Pipeline {
    /// Steps 1–4: admission, head, body, verification.
    #[inline]
    pub(super) async fn accept(
        &self,
        parts: &Parts,
        peer: Option<IpAddr>,
        body: impl BodySource,
    ) -> Result<Accepted<'_>, Stop<'_>> {
        let inner = &*self.inner;
        let trace = Trace {
            started: tokio::time::Instant::now(),
            client: inner.client_keys.key(parts, peer),
            counters: &inner.counters,
        };
        if let Err(refusal) = self.admit(&trace) {
            return Err(Stop::Respond(trace.refuse(refusal, None)));
        }
        if parts.method == http::Method::GET {
            return Err(Stop::Respond(self.handshake_get(parts, &trace).await));
        }
        let bytes = match self.read_body(parts, body, &trace).await {
            Ok(bytes) => bytes,
            Err(response) => return Err(Stop::Respond(response)),
        };
        self.verify_body(parts, bytes, trace).await
    }

    /// 1. Admission: the client's rate, before a byte of the body is read.
    #[inline]
    fn admit(&self, trace: &Trace<'_>) -> Result<(), Refusal> {
        let Some(limiter) = &self.inner.limiter else {
            return Ok(());
        };
        let Some(key) = &trace.client else {
            tracing::error!(target: "hookguard", "no peer address for the rate limiter: serve with connect info (axum: hookguard::axum::serve, or into_make_service_with_connect_info) or set a client key function");
            return Err(Refusal::ClientKeyUnavailable);
        };
        Ok(limiter.admit(key)?)
    }

    /// GET handshakes (Dropbox, Meta, Okta, X): answered before any body is read.
    async fn handshake_get(&self, parts: &Parts, trace: &Trace<'_>) -> Response<Bytes> {
        let token = self.inner.handshake_token.as_ref().map(|t| t.as_str());
        let answer = match self.resolve(parts).await {
            Ok(Resolved {
                verifier,
                known: true,
                ..
            }) => handshake::answer_get(&verifier, parts, token),
            Ok(_) => Err(Rejection::SignatureMismatch.into()),
            Err(r) => Err(r),
        };
        let response = answer.unwrap_or_else(|r| trace.refuse(r, None));
        if response.status().is_success() {
            trace.log(Outcome::Handshake, None);
        }
        response
    }

    /// 2–3. Head checks, then the body within its cap and deadline.
    #[inline]
    async fn read_body(
        &self,
        parts: &Parts,
        mut body: impl BodySource,
        trace: &Trace<'_>,
    ) -> Result<Bytes, Response<Bytes>> {
        let inner = &*self.inner;
        body::check_head(&parts.headers, inner.body_limit).map_err(|r| trace.refuse(r, None))?;
        let deadline = trace.started + inner.body_timeout;
        body::read_capped(&mut body, inner.body_limit, deadline)
            .await
            .map_err(|r| trace.refuse(r, None))
    }

    /// Step 4, verification: a failure is charged to the client's failure budget, or passed
    /// on in observe-only mode. Signed POST handshakes are answered here, never by the
    /// handler.
    #[inline]
    async fn verify_body<'a>(
        &'a self,
        parts: &Parts,
        bytes: Bytes,
        trace: Trace<'a>,
    ) -> Result<Accepted<'a>, Stop<'a>> {
        let inner = &*self.inner;
        let (resolved, verified) = match self.verify(parts, &bytes).await {
            Ok(found) => found,
            Err(Refusal::Verification(r)) if inner.observe_only => {
                inner.counters.would_reject.bump(Outcome::from(&r));
                tracing::warn!(target: "hookguard", code = r.code(), "observe-only: verification failed, passing the request on");
                return Err(Stop::Observe {
                    bytes,
                    rejection: r,
                    trace,
                });
            }
            Err(r) => {
                if let (Some(limiter), Some(key)) = (&inner.limiter, &trace.client)
                    && r.status().is_client_error()
                {
                    limiter.record_failure(key);
                }
                return Err(Stop::Respond(trace.refuse(r, None)));
            }
        };
        if let Some(answer) = handshake::answer_post(&resolved.verifier, parts, &bytes, &verified) {
            trace.log(Outcome::Handshake, Some(&verified));
            return Err(Stop::Respond(answer));
        }
        let Ok(key) = ReplayKey::new(&resolved.tenant, &verified) else {
            tracing::error!(target: "hookguard", "tenant name outside [A-Za-z0-9_.:-]{{0,64}}");
            let r = Refusal::Unavailable {
                retry_after: MISCONFIGURED_RETRY_AFTER,
            };
            return Err(Stop::Respond(trace.refuse(r, Some(&verified))));
        };
        #[cfg(feature = "inbox")]
        let keep = inner
            .inbox
            .as_ref()
            .map(|_| super::inbox::Keep::of(&resolved, parts));
        Ok(Accepted {
            digest: BodyDigest::of(&bytes),
            bytes,
            verified,
            key,
            trace,
            #[cfg(feature = "inbox")]
            keep,
        })
    }
}
