//! [`PipelineBuilder`]: secure defaults, every problem reported by `build`.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use http::request::Parts;

use super::tenant::{Resolver, decoy};
use super::trace::Counters;
use super::{DEFAULT_BODY_LIMIT, DEFAULT_BODY_TIMEOUT, Inner, Keys, Pipeline, SecretResolver};
use crate::danger::Dangerous;
use crate::error::ConfigError;
use crate::ratelimit::{ClientKey, ClientKeys, IpNet, KeyFn, RateLimit, RateLimiter};
use crate::replay::{MemoryStore, ReplayGuard};
use crate::scheme::Scheme;
use crate::verify::Verifier;

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
    #[cfg(feature = "inbox")]
    inbox: Option<super::inbox::InboxRoute>,
    error: Option<ConfigError>,
}

impl fmt::Debug for PipelineBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PipelineBuilder").finish_non_exhaustive()
    }
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
            resolver: Resolver(Box::new(resolver)),
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
            #[cfg(feature = "inbox")]
            inbox: None,
            error: None,
        }
    }
}

impl Dangerous<PipelineBuilder> {
    /// Turns rate limiting off (e.g. when a proxy in front already does it).
    pub fn disable_rate_limit(self) -> PipelineBuilder {
        let mut builder = self.0;
        builder.rate_limit_off = true;
        builder
    }

    /// Rollout mode: verification runs, is logged and counted, but a request that fails it
    /// still reaches the handler, with an [`ObservedRejection`](super::ObservedRejection) in its extensions instead of
    /// [`Verified`](crate::Verified) (and without replay protection, which needs a verified id). Rate limits
    /// and body limits still apply. Logged as a warning when built; see
    /// [`Pipeline::would_reject_counts`] for how many requests would have been refused.
    pub fn observe_only(self) -> PipelineBuilder {
        let mut builder = self.0;
        builder.observe_only = true;
        builder
    }
}

impl PipelineBuilder {
    /// The tenant name for a single-tenant pipeline (namespaces its replay keys). Defaults to
    /// empty.
    ///
    /// A pipeline built [`with_resolver`](Pipeline::with_resolver) takes each tenant's name from
    /// its resolver: calling this on it is an error ([`ConfigError::TenantWithResolver`]).
    pub fn tenant(mut self, name: &str) -> Self {
        match &mut self.keys {
            Ok(Keys::Static { tenant, .. }) => *tenant = name.to_owned(),
            Ok(Keys::Resolver { .. }) => {
                self.error.get_or_insert(ConfigError::TenantWithResolver);
            }
            Err(_) => {}
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

    /// The options that weaken a guarantee (see [`crate::danger`]).
    pub fn dangerous(self) -> Dangerous<Self> {
        Dangerous(self)
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

    /// Commits verified deliveries to `inbox` under the route name `route` instead of running
    /// the handler in the request (feature `inbox`).
    ///
    /// Admission, body and verification are unchanged; then the delivery — its exact body,
    /// the headers the scheme needs to verify it again (signature, timestamp, id) and
    /// `Content-Type`, its tenant, verified metadata and client key — is committed, and the
    /// answer is sent only after [`Inbox::receive`](crate::inbox::Inbox::receive) returned:
    ///
    /// | inbox answer | HTTP answer | decision |
    /// |---|---|---|
    /// | committed (on disk) | 202 `{"status":"accepted"}` | `committed` |
    /// | duplicate (same id, same body) | 200 `duplicate_delivery` | `duplicate` |
    /// | conflict (same id, another body) | 409 `delivery_conflict` | `delivery_conflict` |
    /// | full, timeout, store error | 503 `unavailable` + `Retry-After` | `unavailable` |
    ///
    /// The handler behind the layer or middleware (or a standalone extractor's) never runs on
    /// this route: a [`Worker`](crate::inbox::Worker) of the inbox with a handler for `route`
    /// runs it, with retries. The inbox deduplicates, so the replay guard is not used here.
    /// `route` is `[A-Za-z0-9_.:-]{1,64}` ([`ConfigError::InvalidInboxRoute`] otherwise), and
    /// an inbox route cannot be observe-only ([`ConfigError::ObserveOnlyWithInbox`]): only a
    /// verified delivery can be committed.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use hookguard::inbox::Inbox;
    /// use hookguard::pipeline::Pipeline;
    /// use hookguard::{Provider, Verifier};
    /// # let path = std::env::temp_dir().join(format!("hookguard-pipeline-inbox-doc-{}.redb", std::process::id()));
    /// let inbox = Inbox::open(&path)?;
    /// let verifier = Verifier::builder(Provider::Github).secret("It's a Secret to Everybody").build()?;
    /// let pipeline = Pipeline::builder(verifier).inbox(inbox.clone(), "github").build()?;
    /// // Serve it with `WebhookLayer::new(pipeline)` or `WebhookGuard::new(pipeline)`, and run
    /// // `inbox.worker().route("github", handler).build()?.start()` beside the server.
    /// # drop((pipeline, inbox)); std::fs::remove_file(&path)?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "inbox")]
    pub fn inbox(mut self, inbox: crate::inbox::Inbox, route: &str) -> Self {
        if !crate::text::is_word(route, b"_.:-", 1..=crate::inbox::MAX_NAME_LEN) {
            self.error.get_or_insert(ConfigError::InvalidInboxRoute);
        }
        self.inbox = Some(super::inbox::InboxRoute {
            inbox,
            route: route.to_owned(),
        });
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
        #[cfg(feature = "inbox")]
        if self.observe_only && self.inbox.is_some() {
            return Err(ConfigError::ObserveOnlyWithInbox);
        }
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
                #[cfg(feature = "inbox")]
                inbox: self.inbox,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{ResolveError, Tenant};

    #[test]
    fn a_tenant_name_on_a_resolver_pipeline_is_refused() {
        let resolver = |_: &Parts| -> Result<Option<Tenant>, ResolveError> { Ok(None) };
        let scheme = crate::Provider::Github.scheme();
        let built = Pipeline::with_resolver(scheme.clone(), resolver)
            .tenant("acme")
            .build();
        assert_eq!(built.err(), Some(ConfigError::TenantWithResolver));
        assert!(Pipeline::with_resolver(scheme, resolver).build().is_ok());
    }
}
