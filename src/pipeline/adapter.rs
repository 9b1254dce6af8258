//! What adapters call: [`Pipeline::process`] runs the whole pipeline around their handler;
//! [`Pipeline::accept_and_claim`] stops after the claim for handlers that run outside it.

use std::future::Future;
use std::net::IpAddr;

use bytes::Bytes;
use http::Response;
use http::request::Parts;

use super::accept::{Accepted, Stop};
use super::{BodySource, Outcome, Pipeline, problem};
use crate::error::Rejection;
use crate::replay::{Admitted, ClaimHandle, Guarded, HandlerOutcome, TIMED_OUT_RETRY_AFTER};
use crate::verified::Verified;

/// What the adapter must send back.
#[derive(Debug)]
#[non_exhaustive]
pub enum Processed<R> {
    /// The handler ran; this is its result (already completed or released).
    Handled(R),
    /// hookguard answers itself: a rejection, a duplicate (200), or a handler that panicked or
    /// timed out.
    Respond(Response<Bytes>),
}

/// The failure an observe-only pipeline let through, in the request extensions for the
/// handler (it is never set when verification succeeded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedRejection(pub Rejection);

/// A verified delivery claimed for a handler that runs outside the pipeline
/// ([`Pipeline::accept_and_claim`]).
#[derive(Debug)]
#[non_exhaustive]
pub struct ClaimedDelivery {
    /// The body, exactly the verified bytes.
    pub body: Bytes,
    /// What verification proved.
    pub verified: Verified,
    /// The claim to complete or release after the handler; `None` when the store failed and
    /// the guard fails open (`dangerous` option).
    pub claim: Option<ClaimHandle>,
}

/// A handler's answer as the pipeline judges it: the delivery is done only for `Ok` with a 2xx
/// status. Each adapter wraps its inner service's result in it.
pub(crate) struct Answer<R, E>(pub(crate) Result<R, E>);

/// Whether an adapter's response type says success (2xx).
pub(crate) trait SuccessStatus {
    fn is_success(&self) -> bool;
}

impl<B> SuccessStatus for Response<B> {
    fn is_success(&self) -> bool {
        self.status().is_success()
    }
}

impl<R: SuccessStatus, E> HandlerOutcome for Answer<R, E> {
    fn succeeded(&self) -> bool {
        matches!(&self.0, Ok(r) if r.is_success())
    }
}

impl Pipeline {
    /// Runs the whole pipeline for one request. `handler` gets the head, the verified body
    /// bytes (exactly those that were verified) and the [`Verified`] facts — or, only in
    /// observe-only mode, the rejection verification would have made.
    pub async fn process<H, Fut>(
        &self,
        parts: Parts,
        peer: Option<IpAddr>,
        body: impl BodySource,
        handler: H,
    ) -> Processed<Fut::Output>
    where
        H: FnOnce(Parts, Bytes, Result<Verified, Rejection>) -> Fut,
        Fut: Future,
        Fut::Output: HandlerOutcome,
    {
        let accepted = match self.accept(&parts, peer, body).await {
            Ok(accepted) => accepted,
            Err(Stop::Respond(response)) => return Processed::Respond(response),
            Err(Stop::Observe {
                bytes,
                rejection,
                trace,
            }) => {
                // Observe-only: no claim without a verified id; the handler decides.
                let out = handler(parts, bytes, Err(rejection)).await;
                trace.log(Outcome::ObservedUnverified, None);
                return Processed::Handled(out);
            }
        };
        #[cfg(feature = "inbox")]
        if let Some(route) = &self.inner.inbox {
            // An inbox route: commit, answer; the inbox's worker runs the handlers.
            return Processed::Respond(route.commit(accepted).await);
        }
        let Accepted {
            bytes,
            verified,
            key,
            digest,
            trace,
            ..
        } = accepted;
        let for_handler = verified.clone();
        let ran = self
            .inner
            .replay
            .run(&key, &digest, move || {
                handler(parts, bytes, Ok(for_handler))
            })
            .await;
        match ran {
            Ok(Guarded::Ran(out)) => {
                trace.log(
                    if out.succeeded() {
                        Outcome::Handled
                    } else {
                        Outcome::HandlerFailed
                    },
                    Some(&verified),
                );
                Processed::Handled(out)
            }
            Ok(Guarded::Duplicate) => {
                trace.log(Outcome::Duplicate, Some(&verified));
                Processed::Respond(problem::duplicate_response())
            }
            Ok(Guarded::Panicked) => {
                trace.log(Outcome::HandlerPanicked, Some(&verified));
                Processed::Respond(problem::panicked_response())
            }
            Ok(Guarded::TimedOut) => {
                trace.log(Outcome::HandlerTimeout, Some(&verified));
                Processed::Respond(problem::timed_out_response(TIMED_OUT_RETRY_AFTER))
            }
            Err(r) => Processed::Respond(trace.refuse(r, Some(&verified))),
        }
    }

    /// Steps 1–5 for adapters whose handler runs outside the pipeline (a standalone
    /// extractor): admission, body, verification, and the claim. The caller must
    /// [`complete`](ClaimHandle::complete) or [`release`](ClaimHandle::release) the returned
    /// claim after its handler (dropping it releases).
    ///
    /// On an inbox route ([`PipelineBuilder::inbox`](super::PipelineBuilder::inbox)) the
    /// delivery is committed instead, and the answer to send (2xx included) is the `Err`:
    /// the handler must not run, the inbox's worker does.
    pub async fn accept_and_claim(
        &self,
        parts: &Parts,
        peer: Option<IpAddr>,
        body: impl BodySource,
    ) -> Result<ClaimedDelivery, Response<Bytes>> {
        // Observe-only mode applies to the layer and middleware; a standalone extractor has
        // no way to hand an unverified payload on, so it stays strict.
        let accepted = match self.accept(parts, peer, body).await {
            Ok(accepted) => accepted,
            Err(Stop::Respond(response)) => return Err(response),
            Err(Stop::Observe {
                rejection, trace, ..
            }) => return Err(trace.refuse(rejection, None)),
        };
        #[cfg(feature = "inbox")]
        if let Some(route) = &self.inner.inbox {
            // An inbox route acknowledges (or refuses) itself: no handler runs here.
            return Err(route.commit(accepted).await);
        }
        let Accepted {
            bytes,
            verified,
            key,
            digest,
            trace,
            ..
        } = accepted;
        match self.inner.replay.claim(&key, &digest).await {
            Ok(Admitted::Claimed(handle)) => {
                trace.log(Outcome::Claimed, Some(&verified));
                Ok(ClaimedDelivery {
                    body: bytes,
                    verified,
                    claim: Some(handle),
                })
            }
            Ok(Admitted::Unprotected) => {
                trace.log(Outcome::Unprotected, Some(&verified));
                Ok(ClaimedDelivery {
                    body: bytes,
                    verified,
                    claim: None,
                })
            }
            Ok(Admitted::Duplicate) => {
                trace.log(Outcome::Duplicate, Some(&verified));
                Err(problem::duplicate_response())
            }
            Err(r) => Err(trace.refuse(r, Some(&verified))),
        }
    }
}
