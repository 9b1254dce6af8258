//! The request pipeline, written once and driven by every adapter:
//! admission → body → verify → replay claim → handler → complete/release.
//!
//! | step | refuses with |
//! |---|---|
//! | 1. admission: per-client rate limit (and failure penalty) | 429 + `Retry-After`, `RateLimit`, `RateLimit-Policy` |
//! | 2. head: non-identity `Content-Encoding`; `Content-Length` over the cap | 415 / 413 (nothing read) |
//! | 3. body: streamed within the cap and the deadline | 413 / 408 |
//! | 4. verify signature, then timestamp (unknown tenant = bad signature) | 400 / 401 |
//! | 5. replay claim on the signed delivery id and the body digest | duplicate → 200 without the handler; in flight, or cooling down after a failure → 409 + `Retry-After`; same id with another body → 409 |
//! | 6. handler | its own response |
//! | 7. complete (2xx) or release (anything else, panic, timeout) | panic → 500, timeout → 503 |
//! | store or resolver unavailable | 503 + `Retry-After` |
//!
//! With an inbox ([`PipelineBuilder::inbox`], feature `inbox`), steps 5–7 are one: the
//! verified delivery is committed to the inbox, and the answer is 202 `accepted` only once it
//! is on disk (a duplicate: 200 `duplicate_delivery`; same id with another body: 409
//! `delivery_conflict`; the store full, failing or slow: 503 + `Retry-After`). The handler
//! behind the adapter never runs for such a route: the inbox's worker runs the handlers.
//!
//! Adapters only translate: they hand the request head, the peer address and a
//! [`BodySource`] to [`Pipeline::process`], and turn its neutral answer into their own
//! response type. Two adapters therefore cannot disagree on a status code.

mod accept;
mod adapter;
mod body;
mod builder;
mod counters;
mod handshake;
#[cfg(feature = "inbox")]
mod inbox;
pub(crate) mod problem;
mod refusal;
mod tenant;
mod trace;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub(crate) use adapter::Answer;
#[cfg(feature = "actix-web")]
pub(crate) use adapter::SuccessStatus;
pub use adapter::{ClaimedDelivery, ObservedRejection, Processed};
pub use body::{BodyError, BodySource};
pub use builder::PipelineBuilder;
pub use problem::refusal_response;
pub use refusal::{Outcome, OutcomeCount, Refusal};
pub use tenant::{ResolveError, ResolveFuture, SecretResolver, Tenant};

use crate::ratelimit::{ClientKeys, RateLimiter};
use crate::replay::ReplayGuard;
use crate::verify::Verifier;

/// Default body cap: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// Default time to receive the whole body: 10 s.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);

enum Keys {
    Static {
        tenant: String,
        verifier: Verifier,
    },
    Resolver {
        resolver: tenant::Resolver,
        decoy: Verifier,
    },
}

/// The configured pipeline. Cheap to clone; share one per route.
#[derive(Clone)]
pub struct Pipeline {
    inner: Arc<Inner>,
}

struct Inner {
    keys: Keys,
    replay: ReplayGuard,
    limiter: Option<Arc<RateLimiter>>,
    client_keys: ClientKeys,
    body_limit: usize,
    body_timeout: Duration,
    observe_only: bool,
    handshake_token: Option<zeroize::Zeroizing<String>>,
    counters: trace::Counters,
    /// With an inbox, verified deliveries are committed to it instead of being handed to the
    /// handler.
    #[cfg(feature = "inbox")]
    inbox: Option<inbox::InboxRoute>,
}

impl fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &*self.inner;
        f.debug_struct("Pipeline")
            .field("replay", &i.replay)
            .field("limiter", &i.limiter)
            .field("client_keys", &i.client_keys)
            .field("body_limit", &i.body_limit)
            .field("body_timeout", &i.body_timeout)
            .finish_non_exhaustive()
    }
}

impl Pipeline {
    /// Decisions so far, by outcome (`handled`, `duplicate`, `signature_mismatch`, …), every
    /// outcome counted at least once, in [`Outcome`] order.
    pub fn outcome_counts(&self) -> Vec<OutcomeCount> {
        self.inner.counters.outcomes.counted()
    }

    /// Observe-only mode: how many requests verification would have refused, by outcome.
    pub fn would_reject_counts(&self) -> Vec<OutcomeCount> {
        self.inner.counters.would_reject.counted()
    }

    /// The rate limiter, if rate limiting is on.
    pub fn rate_limiter(&self) -> Option<&Arc<RateLimiter>> {
        self.inner.limiter.as_ref()
    }
}
