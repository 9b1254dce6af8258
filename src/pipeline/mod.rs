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
//! Adapters only translate: they hand the request head, the peer address and a
//! [`BodySource`] to [`Pipeline::process`], and turn its neutral answer into their own
//! response type. Two adapters therefore cannot disagree on a status code.

mod body;
mod counters;
mod handshake;
mod problem;
mod resolver;

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::Response;
use http::request::Parts;

pub use body::{BodyError, BodySource};
pub use problem::rejection_response;
pub use resolver::{ResolveError, ResolveFuture, SecretResolver, Tenant};

use crate::error::{ConfigError, Rejection};
use crate::ratelimit::{ClientKey, ClientKeys, IpNet, KeyFn, RateLimit, RateLimiter};
use crate::replay::{
    Admitted, BodyDigest, ClaimHandle, Guarded, HandlerOutcome, MemoryStore, ReplayGuard, ReplayKey,
};
use crate::scheme::Scheme;
use crate::verified::Verified;
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
        resolver: resolver::Resolver,
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
    counters: Counters,
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

/// A request that passed steps 1–4.
struct Accepted<'a> {
    bytes: Bytes,
    verified: Verified,
    key: ReplayKey,
    digest: BodyDigest,
    trace: Trace<'a>,
}

/// Why [`Pipeline::accept`] stopped short of a verified request.
enum Stop<'a> {
    /// Answer this.
    Respond(Response<Bytes>),
    /// Observe-only mode: verification failed, but the request goes on to the handler.
    Observe {
        bytes: Bytes,
        rejection: Rejection,
        trace: Trace<'a>,
    },
}

/// The failure an observe-only pipeline let through, in the request extensions for the
/// handler (it is never set when verification succeeded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedRejection(pub Rejection);

/// Decisions counted by outcome, and (observe-only) would-be rejections by code.
#[derive(Default)]
struct Counters {
    outcomes: counters::Counts,
    would_reject: counters::Counts,
}

/// What every decision's log event carries.
struct Trace<'a> {
    started: tokio::time::Instant,
    client: Option<ClientKey>,
    counters: &'a Counters,
}

impl Trace<'_> {
    /// The one event per decision: never the secret, the signature or the body.
    fn log(&self, outcome: &'static str, verified: Option<&Verified>) {
        self.counters.outcomes.bump(outcome);
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

    fn refuse(&self, rejection: Rejection, verified: Option<&Verified>) -> Response<Bytes> {
        self.log(rejection.code(), verified);
        rejection_response(&rejection)
    }
}

/// Builds a [`Pipeline`]. Secure defaults: replay protection in memory, per-client and
/// failure rate limits on, 1 MiB body cap, 10 s body deadline.
pub struct PipelineBuilder {
    keys: Result<Keys, ConfigError>,
    replay: Option<ReplayGuard>,
    limit: RateLimit,
    failure_limit: RateLimit,
    limiter: Option<Arc<RateLimiter>>,
    rate_limit_off: bool,
    client_keys: ClientKeys,
    body_limit: usize,
    body_timeout: Duration,
    observe_only: bool,
    handshake_token: Option<zeroize::Zeroizing<String>>,
    error: Option<ConfigError>,
}

impl fmt::Debug for PipelineBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PipelineBuilder").finish_non_exhaustive()
    }
}

fn random_bytes() -> [u8; 32] {
    use std::hash::BuildHasher;
    let mut out = [0u8; 32];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        let word = std::collections::hash_map::RandomState::new().hash_one(i);
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    out
}

/// A verifier for `scheme` with a random key nobody holds: unknown tenants are checked
/// against it so their refusal is the same as a bad signature's, in code and in time.
fn decoy(scheme: Scheme) -> Result<Verifier, ConfigError> {
    let secret = if scheme.is_public_key() {
        decoy_public_key()?
    } else {
        crate::Secret::from_bytes(random_bytes().to_vec())?
    };
    Verifier::builder_for(scheme)
        .key("decoy", secret)
        .public_url("https://decoy.invalid")
        .build()
}

#[cfg(feature = "ed25519")]
fn decoy_public_key() -> Result<crate::Secret, ConfigError> {
    let key = ed25519_dalek::SigningKey::from_bytes(&random_bytes());
    crate::Secret::ed25519_public_key(&hex::encode(key.verifying_key().to_bytes()))
}

#[cfg(not(feature = "ed25519"))]
fn decoy_public_key() -> Result<crate::Secret, ConfigError> {
    Err(ConfigError::FeatureDisabled("ed25519"))
}

impl Pipeline {
    /// A pipeline with one verifier (single tenant).
    pub fn builder(verifier: Verifier) -> PipelineBuilder {
        Self::start(Ok(Keys::Static {
            tenant: String::new(),
            verifier,
        }))
    }

    /// A pipeline whose keys come from `resolver` per request; every tenant uses `scheme`'s
    /// provider (the scheme is also used to refuse unknown tenants like bad signatures).
    pub fn with_resolver(scheme: Scheme, resolver: impl SecretResolver) -> PipelineBuilder {
        Self::start(decoy(scheme).map(|decoy| Keys::Resolver {
            resolver: resolver::Resolver(Box::new(resolver)),
            decoy,
        }))
    }

    fn start(keys: Result<Keys, ConfigError>) -> PipelineBuilder {
        PipelineBuilder {
            keys,
            replay: None,
            limit: crate::ratelimit::default_limit(),
            failure_limit: crate::ratelimit::default_failure_limit(),
            limiter: None,
            rate_limit_off: false,
            client_keys: ClientKeys::default(),
            body_limit: DEFAULT_BODY_LIMIT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            observe_only: false,
            handshake_token: None,
            error: None,
        }
    }

    /// Decisions so far, by outcome (`handled`, `duplicate`, `signature_mismatch`, …).
    pub fn outcome_counts(&self) -> Vec<(&'static str, u64)> {
        self.inner.counters.outcomes.sorted()
    }

    /// Observe-only mode: how many requests verification would have refused, by code.
    pub fn would_reject_counts(&self) -> Vec<(&'static str, u64)> {
        self.inner.counters.would_reject.sorted()
    }

    /// The rate limiter, if rate limiting is on.
    pub fn rate_limiter(&self) -> Option<&Arc<RateLimiter>> {
        self.inner.limiter.as_ref()
    }

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
                trace.log("observed_unverified", None);
                return Processed::Handled(out);
            }
        };
        let Accepted {
            bytes,
            verified,
            key,
            digest,
            trace,
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
                        "handled"
                    } else {
                        "handler_failed"
                    },
                    Some(&verified),
                );
                Processed::Handled(out)
            }
            Ok(Guarded::Duplicate) => {
                trace.log("duplicate", Some(&verified));
                Processed::Respond(problem::duplicate_response())
            }
            Ok(Guarded::Panicked) => {
                trace.log("handler_panicked", Some(&verified));
                Processed::Respond(problem::panicked_response())
            }
            Ok(Guarded::TimedOut) => {
                trace.log("handler_timeout", Some(&verified));
                Processed::Respond(problem::timed_out_response(5))
            }
            Err(r) => Processed::Respond(trace.refuse(r, Some(&verified))),
        }
    }

    /// Steps 1–5 for adapters whose handler runs outside the pipeline (a standalone
    /// extractor): admission, body, verification, and the claim. The caller must
    /// [`complete`](ClaimHandle::complete) or [`release`](ClaimHandle::release) the returned
    /// claim after its handler (dropping it releases). `None`: the store failed and the guard
    /// fails open.
    pub async fn accept_and_claim(
        &self,
        parts: &Parts,
        peer: Option<IpAddr>,
        body: impl BodySource,
    ) -> Result<(Bytes, Verified, Option<ClaimHandle>), Response<Bytes>> {
        // Observe-only mode applies to the layer and middleware; a standalone extractor has
        // no way to hand an unverified payload on, so it stays strict.
        let accepted = match self.accept(parts, peer, body).await {
            Ok(accepted) => accepted,
            Err(Stop::Respond(response)) => return Err(response),
            Err(Stop::Observe {
                rejection, trace, ..
            }) => return Err(trace.refuse(rejection, None)),
        };
        let Accepted {
            bytes,
            verified,
            key,
            digest,
            trace,
        } = accepted;
        match self.inner.replay.claim(&key, &digest).await {
            Ok(Admitted::Claimed(handle)) => {
                trace.log("claimed", Some(&verified));
                Ok((bytes, verified, Some(handle)))
            }
            Ok(Admitted::Unprotected) => {
                trace.log("unprotected", Some(&verified));
                Ok((bytes, verified, None))
            }
            Ok(Admitted::Duplicate) => {
                trace.log("duplicate", Some(&verified));
                Err(problem::duplicate_response())
            }
            Err(r) => Err(trace.refuse(r, Some(&verified))),
        }
    }

    /// Steps 1–4: admission, head, body, verification.
    async fn accept(
        &self,
        parts: &Parts,
        peer: Option<IpAddr>,
        mut body: impl BodySource,
    ) -> Result<Accepted<'_>, Stop<'_>> {
        let inner = &*self.inner;
        let trace = Trace {
            started: tokio::time::Instant::now(),
            client: inner.client_keys.key(parts, peer),
            counters: &inner.counters,
        };
        let respond = |r| Stop::Respond(r);

        // 1. Admission, before a byte of the body is read.
        if let Some(limiter) = &inner.limiter {
            let Some(key) = &trace.client else {
                tracing::error!(target: "hookguard", "no peer address for the rate limiter: serve with connect info (axum: hookguard::axum::serve, or into_make_service_with_connect_info) or set a client key function");
                return Err(respond(trace.refuse(Rejection::ClientKeyUnavailable, None)));
            };
            limiter
                .admit(key)
                .map_err(|r| respond(trace.refuse(r, None)))?;
        }

        // GET handshakes (Dropbox, Meta, Okta, X): answered before any body is read.
        if parts.method == http::Method::GET {
            let answer = match self.resolve(parts).await {
                Ok((_, verifier, true)) => handshake::answer_get(
                    &verifier,
                    parts,
                    inner.handshake_token.as_ref().map(|t| t.as_str()),
                ),
                Ok((_, _, false)) => Err(Rejection::SignatureMismatch),
                Err(r) => Err(r),
            };
            let response = answer.unwrap_or_else(|r| trace.refuse(r, None));
            if response.status().is_success() {
                trace.log("handshake", None);
            }
            return Err(respond(response));
        }

        // 2–3. Head checks, then the body within its cap and deadline.
        body::check_head(&parts.headers, inner.body_limit)
            .map_err(|r| respond(trace.refuse(r, None)))?;
        let deadline = trace.started + inner.body_timeout;
        let bytes = body::read_capped(&mut body, inner.body_limit, deadline)
            .await
            .map_err(|r| respond(trace.refuse(r, None)))?;

        // 4. Verify; failures are charged to the client's failure budget.
        let (tenant, verifier, verified) = match self.verify(parts, &bytes).await {
            Ok(found) => found,
            Err(r) if inner.observe_only && r.status().is_client_error() => {
                inner.counters.would_reject.bump(r.code());
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
                return Err(respond(trace.refuse(r, None)));
            }
        };
        // Signed POST handshakes are answered here, never by the handler.
        if let Some(answer) = handshake::answer_post(&verifier, parts, &bytes, &verified) {
            trace.log("handshake", Some(&verified));
            return Err(respond(answer));
        }
        let Ok(key) = ReplayKey::new(&tenant, &verified) else {
            tracing::error!(target: "hookguard", "tenant name outside [A-Za-z0-9_.:-]{{0,64}}");
            let r = Rejection::Unavailable {
                retry_after: Duration::from_secs(60),
            };
            return Err(respond(trace.refuse(r, Some(&verified))));
        };
        Ok(Accepted {
            digest: BodyDigest::of(&bytes),
            bytes,
            verified,
            key,
            trace,
        })
    }

    /// Step 4 alone: picks the verifier (static or resolved) and verifies.
    /// The tenant and verifier for a request: the static one, the resolver's, or — for an
    /// unknown tenant — the decoy (`known == false`).
    async fn resolve(
        &self,
        parts: &Parts,
    ) -> Result<(Cow<'_, str>, Cow<'_, Verifier>, bool), Rejection> {
        // Borrowed where it can be: a clone per request would bump the verifier's shared
        // reference count, a cache line every worker thread writes.
        match &self.inner.keys {
            Keys::Static { tenant, verifier } => Ok((
                Cow::Borrowed(tenant.as_str()),
                Cow::Borrowed(verifier),
                true,
            )),
            Keys::Resolver { resolver, decoy } => {
                let resolved = resolver.0.resolve(parts).await.map_err(|e| {
                    tracing::warn!(target: "hookguard", error = %e, "secret resolver failed: 503");
                    Rejection::Unavailable {
                        retry_after: Duration::from_secs(5),
                    }
                })?;
                Ok(match resolved {
                    Some(tenant) => (Cow::Owned(tenant.name), Cow::Owned(tenant.verifier), true),
                    None => (Cow::Borrowed(""), Cow::Borrowed(decoy), false),
                })
            }
        }
    }

    /// Step 4 alone: picks the verifier and verifies. An unknown tenant is verified against
    /// the decoy — same work, same answer as a bad signature — and never succeeds.
    async fn verify(
        &self,
        parts: &Parts,
        body: &[u8],
    ) -> Result<(Cow<'_, str>, Cow<'_, Verifier>, Verified), Rejection> {
        let (tenant, verifier, known) = self.resolve(parts).await?;
        let verified = verifier.verify_parts(parts, body)?;
        if !known {
            return Err(Rejection::SignatureMismatch);
        }
        Ok((tenant, verifier, verified))
    }
}

impl PipelineBuilder {
    /// The tenant name for a single-tenant pipeline (namespaces its replay keys). Defaults to
    /// empty.
    pub fn tenant(mut self, name: &str) -> Self {
        if let Ok(Keys::Static { tenant, .. }) = &mut self.keys {
            *tenant = name.to_owned();
        }
        self
    }

    /// The replay guard (its store, lease, retention, timeouts). Defaults to a
    /// [`MemoryStore`] with default timings.
    pub fn replay(mut self, guard: ReplayGuard) -> Self {
        self.replay = Some(guard);
        self
    }

    /// The per-client budget, charged on every request before the body is read. Defaults to
    /// 50/s with bursts of 500.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.limit = limit;
        self
    }

    /// The per-client budget of verification failures; once spent, the client is refused at
    /// admission until it refills. Defaults to 10, then one per 6 s.
    pub fn failure_rate_limit(mut self, limit: RateLimit) -> Self {
        self.failure_limit = limit;
        self
    }

    /// Uses this limiter (e.g. one shared by several routes, or on a test clock) instead of
    /// building one from [`rate_limit`](Self::rate_limit) and
    /// [`failure_rate_limit`](Self::failure_rate_limit).
    pub fn rate_limiter(mut self, limiter: Arc<RateLimiter>) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// Turns rate limiting off (e.g. when a proxy in front already does it).
    pub fn dangerous_disable_rate_limit(mut self) -> Self {
        self.rate_limit_off = true;
        self
    }

    /// Proxies whose `X-Forwarded-For` / `Forwarded` entries are believed, as `10.0.0.0/8`,
    /// `::1`, …. Defaults to none: the peer address is the client.
    pub fn trusted_proxies<'a>(mut self, nets: impl IntoIterator<Item = &'a str>) -> Self {
        for net in nets {
            match net.parse::<IpNet>() {
                Ok(n) => self.client_keys.trusted.push(n),
                Err(_) => {
                    self.error.get_or_insert(ConfigError::InvalidTrustedProxy);
                }
            }
        }
        self
    }

    /// How many leading bits of an IPv6 address make one client. Defaults to 64.
    pub fn ipv6_prefix(mut self, bits: u8) -> Self {
        self.client_keys.ipv6_prefix = bits.min(128);
        self
    }

    /// A custom client key (e.g. the tenant), instead of the address.
    pub fn client_key_fn(
        mut self,
        f: impl Fn(&Parts, Option<IpAddr>) -> Option<ClientKey> + Send + Sync + 'static,
    ) -> Self {
        let f: KeyFn = Arc::new(f);
        self.client_keys.custom = Some(f);
        self
    }

    /// The body cap in bytes. Defaults to 1 MiB.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Time allowed to receive the whole body. Defaults to 10 s.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// The verify token some handshakes compare (Meta / WhatsApp `hub.verify_token`). A
    /// handshake that needs it is refused while it is not set.
    pub fn handshake_token(mut self, token: &str) -> Self {
        if token.is_empty() || token.trim() != token {
            // ct-lint: public (start-up whitespace check)
            self.error.get_or_insert(ConfigError::SecretWhitespace);
        }
        self.handshake_token = Some(zeroize::Zeroizing::new(token.to_owned()));
        self
    }

    /// Rollout mode: verification runs, is logged and counted, but a request that fails it
    /// still reaches the handler, with an [`ObservedRejection`] in its extensions instead of
    /// [`Verified`] (and without replay protection, which needs a verified id). Rate limits
    /// and body limits still apply. Logged as a warning when built; see
    /// [`Pipeline::would_reject_counts`] for how many requests would have been refused.
    pub fn dangerous_observe_only(mut self) -> Self {
        self.observe_only = true;
        self
    }

    /// Checks the configuration and builds the pipeline.
    pub fn build(self) -> Result<Pipeline, ConfigError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let keys = self.keys?;
        if self.body_limit == 0 || self.body_timeout.is_zero() {
            return Err(ConfigError::InvalidBodyLimits);
        }
        let replay = match self.replay {
            Some(guard) => guard,
            None => ReplayGuard::builder(MemoryStore::default()).build()?,
        };
        if self.observe_only {
            tracing::warn!(target: "hookguard", "OBSERVE-ONLY mode: requests that fail verification are passed to the handler");
        }
        let limiter = match (self.rate_limit_off, self.limiter) {
            (true, _) => None,
            (false, Some(l)) => Some(l),
            (false, None) => Some(Arc::new(RateLimiter::new(self.limit, self.failure_limit))),
        };
        Ok(Pipeline {
            inner: Arc::new(Inner {
                keys,
                replay,
                limiter,
                client_keys: self.client_keys,
                body_limit: self.body_limit,
                body_timeout: self.body_timeout,
                observe_only: self.observe_only,
                handshake_token: self.handshake_token,
                counters: Counters::default(),
            }),
        })
    }
}
