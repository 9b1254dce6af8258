//! One log event and one count per decision: what every request's outcome carries.

use bytes::Bytes;
use http::Response;

use super::counters;
use super::problem::refusal_response;
use super::{Outcome, Refusal};
use crate::ratelimit::ClientKey;
use crate::verified::Verified;

/// Decisions counted by outcome, and (observe-only) would-be rejections by code.
#[derive(Default)]
pub(super) struct Counters {
    pub(super) outcomes: counters::Counts,
    pub(super) would_reject: counters::Counts,
}

/// What every decision's log event carries.
pub(super) struct Trace<'a> {
    pub(super) started: tokio::time::Instant,
    pub(super) client: Option<ClientKey>,
    pub(super) counters: &'a Counters,
}

impl Trace<'_> {
    /// The one event per decision: never the secret, the signature or the body.
    #[inline]
    pub(super) fn log(&self, outcome: Outcome, verified: Option<&Verified>) {
        self.counters.outcomes.bump(outcome);
        let outcome = outcome.as_str();
        #[cfg(feature = "metrics")]
        metrics::counter!(
            "hookguard_decisions_total",
            "outcome" => outcome,
            "provider" => verified.map_or_else(String::new, |v| v.provider().to_owned()),
        )
        .increment(1);
        tracing::info!(
            target: "hookguard",
            outcome,
            provider = verified.map(Verified::provider),
            delivery_id = verified.map(|v| v.delivery_id().as_str()),
            key_id = verified.map(|v| v.key_id().as_str()),
            client = self.client.as_ref().map(tracing::field::display),
            latency_us = self.started.elapsed().as_micros() as u64,
            "webhook decision"
        );
    }

    /// Logs `refusal` and renders its answer.
    #[inline]
    pub(super) fn refuse(
        &self,
        refusal: impl Into<Refusal>,
        verified: Option<&Verified>,
    ) -> Response<Bytes> {
        let refusal = refusal.into();
        self.log(refusal.outcome(), verified);
        refusal_response(&refusal)
    }
}
