//! What `axum_receiver` and `actix_receiver` share: the environment contract, the pipeline
//! built from it, and the handler's behaviour. Only the server differs.
#![allow(dead_code)]

use std::io::Write as _;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use hookguard::pipeline::Pipeline;
use hookguard::ratelimit::RateLimit;
use hookguard::replay::{MemoryStore, ReplayGuard, ReplayStore};
use hookguard::{Provider, Signer, Verified, Verifier};

/// A configuration error: printed on stderr, exit code 2.
pub struct Invalid(pub String);

impl<E: std::fmt::Display> From<E> for Invalid {
    fn from(e: E) -> Self {
        Invalid(e.to_string())
    }
}

/// A variable's value; empty counts as unset.
fn var(name: &str) -> Result<Option<String>, Invalid> {
    match std::env::var(name) {
        Ok(v) if v.is_empty() => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(Invalid(format!("{name} is not UTF-8"))),
    }
}

/// A variable parsed as a number (or address).
fn parsed<T: FromStr>(name: &str, what: &str) -> Result<Option<T>, Invalid> {
    var(name)?
        .map(|v| {
            v.trim()
                .parse()
                .map_err(|_| Invalid(format!("{name}={v:?} is not {what}")))
        })
        .transpose()
}

const SHARED_DEMO: (&str, &str) = (
    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
);
/// The RFC 8032 test-1 key pair, as Standard Webhooks v1a keys.
const ED25519_DEMO: (&str, &str) = (
    "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
    "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=",
);
/// The same key pair in hex, Discord's form.
const ED25519_HEX_DEMO: (&str, &str) = (
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
);

/// A public demo key pair that fits the provider: (what the receiver verifies with, what a
/// sender signs with), equal for shared secrets. The `whsec_` secret is valid text for every
/// shared-secret scheme (Mailgun included: its signing key is used as UTF-8 text).
fn demo_secret(provider: Provider) -> Option<(&'static str, &'static str)> {
    let candidates = match provider {
        Provider::Discord => [SHARED_DEMO, ED25519_HEX_DEMO, ED25519_DEMO],
        _ => [SHARED_DEMO, ED25519_DEMO, ED25519_HEX_DEMO],
    };
    candidates.into_iter().find(|(verify, sign)| {
        provider.scheme().parse_secret(verify).is_ok() && Signer::new(provider, sign).is_ok()
    })
}

pub struct Config {
    listen: SocketAddr,
    trusted_proxies: Vec<String>,
    provider: Provider,
    /// No secret was configured: the public demo secret is in use.
    demo: bool,
    verifier: Verifier,
    rate: Option<RateLimit>,
    max_body: Option<usize>,
    redis_url: Option<String>,
    /// `HOOKGUARD_INBOX`: the inbox's store file; unset → synchronous mode.
    inbox: Option<String>,
    /// `HOOKGUARD_RETRY_SCHEDULE`: the worker's retry delays; unset → the default schedule.
    retry_schedule: Option<String>,
}

pub fn config() -> Result<Config, Invalid> {
    let listen = parsed("HOOKGUARD_LISTEN", "an address like 127.0.0.1:3000")?
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 3000)));

    let name = var("HOOKGUARD_PROVIDER")?.unwrap_or_else(|| "standard-webhooks".into());
    let provider: Provider = name.trim().parse().map_err(|_| {
        let known: Vec<_> = Provider::ALL.iter().map(|p| p.name()).collect();
        Invalid(format!(
            "HOOKGUARD_PROVIDER={name:?} is not a provider; one of: {}",
            known.join(", ")
        ))
    })?;

    let configured = secret_setting(listen)?;
    let demo = configured.is_none();
    let secrets: Vec<String> = match configured {
        // Whitespace around an entry is refused by the verifier (a copy-paste accident).
        Some(list) => list.split(',').map(str::to_owned).collect(),
        None => {
            let (verify, _) = demo_secret(provider).ok_or_else(|| {
                Invalid(format!(
                    "HOOKGUARD_SECRET is not set and there is no demo secret for {}: set it",
                    provider.name()
                ))
            })?;
            vec![verify.to_owned()]
        }
    };
    if secrets.iter().any(String::is_empty) {
        return Err(Invalid("HOOKGUARD_SECRET has an empty entry".into()));
    }
    let mut builder = Verifier::builder(provider).secrets(secrets.iter().map(String::as_str));
    if let Some(secs) = parsed::<u64>("HOOKGUARD_TOLERANCE", "a number of seconds")? {
        builder = builder.tolerance(Duration::from_secs(secs));
    }
    if let Some(url) = var("HOOKGUARD_PUBLIC_URL")? {
        builder = builder.public_origin(url.trim());
    }
    // The error names what is wrong, never the secret itself.
    let verifier = builder.build().map_err(|e| {
        Invalid(match e {
            hookguard::ConfigError::MissingPublicUrl => format!(
                "{} signs the URL: set HOOKGUARD_PUBLIC_URL to the public origin, e.g. \
                 https://hooks.example.com",
                provider.name()
            ),
            e @ hookguard::ConfigError::InvalidTolerance => format!("HOOKGUARD_TOLERANCE: {e}"),
            e @ hookguard::ConfigError::InvalidPublicUrl => format!("HOOKGUARD_PUBLIC_URL: {e}"),
            e => format!("HOOKGUARD_SECRET: {e}"),
        })
    })?;

    let per_sec = parsed::<u32>("HOOKGUARD_RATE_PER_SEC", "a whole number")?;
    let burst = parsed::<u32>("HOOKGUARD_BURST", "a whole number")?;
    if per_sec == Some(0) || burst == Some(0) {
        return Err(Invalid(
            "HOOKGUARD_RATE_PER_SEC and HOOKGUARD_BURST must be at least 1".into(),
        ));
    }
    let rate = match (per_sec, burst) {
        (None, None) => None, // the library's defaults
        (per_sec, burst) => {
            // `per_second` is `None` only for 0, refused above.
            let per_sec = per_sec.unwrap_or(50);
            let limit = RateLimit::per_second(per_sec)
                .ok_or_else(|| Invalid("HOOKGUARD_RATE_PER_SEC must be at least 1".into()))?;
            // Only the rate set: burst = the rate. Only the burst set: the default rate.
            Some(limit.burst(burst.unwrap_or(per_sec)))
        }
    };
    let max_body = parsed::<usize>("HOOKGUARD_MAX_BODY", "a number of bytes")?;
    if max_body == Some(0) {
        return Err(Invalid("HOOKGUARD_MAX_BODY must be at least 1".into()));
    }

    let inbox = var("HOOKGUARD_INBOX")?;
    let retry_schedule = var("HOOKGUARD_RETRY_SCHEDULE")?;
    if retry_schedule.is_some() && inbox.is_none() {
        return Err(Invalid(
            "HOOKGUARD_RETRY_SCHEDULE is set without HOOKGUARD_INBOX: retries are the inbox \
             worker's; set HOOKGUARD_INBOX to a store file, or unset it"
                .into(),
        ));
    }

    let trusted_proxies = var("HOOKGUARD_TRUSTED_PROXIES")?
        .map(|list| list.split(',').map(|n| n.trim().to_owned()).collect())
        .unwrap_or_default();

    Ok(Config {
        listen,
        trusted_proxies,
        provider,
        demo,
        verifier,
        rate,
        max_body,
        redis_url: var("HOOKGUARD_REDIS_URL")?,
        inbox,
        retry_schedule,
    })
}

/// `HOOKGUARD_SECRET`, unlike the other variables, is never "unset" when empty: an empty or
/// blank value is what a missing CI secret produces, and must not fall back to the public
/// demo secret. Unset is allowed only on a loopback listener (the demo).
fn secret_setting(listen: SocketAddr) -> Result<Option<String>, Invalid> {
    match std::env::var("HOOKGUARD_SECRET") {
        Ok(v) if v.trim().is_empty() => Err(Invalid(
            "HOOKGUARD_SECRET is set but empty: set the provider's secret (an unset variable \
             means the public demo secret, on a loopback address only)"
                .into(),
        )),
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) if listen.ip().is_loopback() => Ok(None),
        Err(std::env::VarError::NotPresent) => Err(Invalid(format!(
            "HOOKGUARD_SECRET is not set: the public demo secret is only used on a loopback \
             address, and HOOKGUARD_LISTEN={listen} is not one"
        ))),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Invalid("HOOKGUARD_SECRET is not UTF-8".into()))
        }
    }
}

/// Logs on stderr at the level `RUST_LOG` asks for (`warn`, `hookguard=debug,info`, …);
/// INFO when it is unset. An invalid value is a configuration error.
pub fn init_logging() -> Result<(), Invalid> {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::filter::{Targets, filter_fn};
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter = match var("RUST_LOG")? {
        Some(spec) => spec
            .parse::<Targets>()
            .map_err(|e| Invalid(format!("RUST_LOG={spec:?}: {e}")))?,
        None => Targets::new().with_default(tracing::Level::INFO),
    };
    let printed = filter_fn(|meta| !ClientMistakes::is_actix_dispatch_error(meta));
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(printed),
        )
        .with(ClientMistakes)
        .with(filter)
        .init();
    Ok(())
}

/// actix-http logs a client's malformed request at ERROR; a client's mistake is not a server
/// error. Its dispatcher's errors are logged again here: request parse errors as WARN, the
/// rest as ERROR.
struct ClientMistakes;

impl ClientMistakes {
    fn is_actix_dispatch_error(meta: &tracing::Metadata<'_>) -> bool {
        meta.target() == "actix_http::h1::dispatcher" && *meta.level() == tracing::Level::ERROR
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for ClientMistakes {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if !Self::is_actix_dispatch_error(event.metadata()) {
            return;
        }
        let mut message = String::new();
        event.record(
            &mut |field: &tracing::field::Field, value: &dyn std::fmt::Debug| {
                if field.name() == "message" {
                    message = format!("{value:?}");
                }
            },
        );
        if message.contains("request parse error") {
            tracing::warn!("malformed request from a client (400): {message}");
        } else {
            tracing::error!("actix-http: {message}");
        }
    }
}

#[cfg(feature = "redis")]
async fn redis_store(url: &str) -> Result<Arc<dyn ReplayStore>, Invalid> {
    // Fails only on an invalid URL (never quoted: it may hold a password); an unreachable
    // Redis is retried in the background, and claims answer 503 until it is back.
    let store = hookguard::replay::RedisStore::builder(url)
        .build()
        .await
        .map_err(|e| Invalid(format!("HOOKGUARD_REDIS_URL: {e}")))?;
    tracing::info!(?store, "replay store: redis");
    Ok(Arc::new(store))
}

#[cfg(not(feature = "redis"))]
async fn redis_store(_url: &str) -> Result<Arc<dyn ReplayStore>, Invalid> {
    Err(Invalid(
        "HOOKGUARD_REDIS_URL is set, but this build has no Redis support: run with \
         `--features axum,redis`, or unset it for the in-memory store"
            .into(),
    ))
}

/// What a body asks of the handler: `"fail": true` fails every run, `"fail_times": N`
/// fails the first N attempts.
fn asks_to_fail(body: &[u8], attempt: u64) -> bool {
    // Not every provider sends JSON (Slack, Twilio send forms), so a body that is not JSON
    // simply asks nothing. (Mailgun signs only the timestamp and token of its body's
    // `signature` object: its event data, and so `fail`, is not authenticated.)
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return false;
    };
    let fail = value.get("fail").and_then(serde_json::Value::as_bool) == Some(true);
    let fail_times = value
        .get("fail_times")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0);
    fail || attempt <= fail_times
}

/// Prints the run's one line, flushed: `handled <id>` or `failed <id>`.
fn print_run(failed: bool, delivery_id: &str) {
    let word = if failed { "failed" } else { "handled" };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{word} {delivery_id}");
    let _ = out.flush();
}

/// Runs once per verified, first-time delivery (synchronous mode). The attempt number is
/// this process's count of runs for the delivery id (the provider's retries after a failure).
pub fn handle(verified: &Verified, body: &[u8]) -> u16 {
    static RUNS: std::sync::Mutex<Option<std::collections::HashMap<String, u64>>> =
        std::sync::Mutex::new(None);
    let id = verified.delivery_id().as_str();
    let attempt = {
        let mut runs = RUNS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = runs
            .get_or_insert_with(Default::default)
            .entry(id.to_owned())
            .or_default();
        *count += 1;
        *count
    };
    let failed = asks_to_fail(body, attempt);
    print_run(failed, id);
    if failed { 500 } else { 204 }
}

/// The inbox worker's handler for route `webhook` (`HOOKGUARD_INBOX`): the same contract
/// as [`handle`], with the inbox's attempt number (replays included); a failure is
/// retryable, so the worker retries it on the schedule.
#[cfg(feature = "inbox")]
async fn handle_delivery(
    delivery: hookguard::inbox::InboxDelivery,
) -> Result<(), hookguard::inbox::HandlerError> {
    let failed = asks_to_fail(delivery.body(), u64::from(delivery.attempt()));
    print_run(failed, delivery.delivery_id().as_str());
    if failed {
        Err(hookguard::inbox::HandlerError::retryable(
            "the body asks to fail",
        ))
    } else {
        Ok(())
    }
}

/// The inbox's worker, running beside the server (`HOOKGUARD_INBOX`); nothing in
/// synchronous mode. [`Background::stop`] it after the server stopped.
pub struct Background {
    #[cfg(feature = "inbox")]
    worker: Option<hookguard::inbox::WorkerHandle>,
}

impl Background {
    /// Stops the worker: running handlers finish (or are given back for the next start).
    pub async fn stop(self) {
        #[cfg(feature = "inbox")]
        if let Some(worker) = self.worker {
            worker.stop().await;
        }
    }
}

/// Opens the inbox at `path`, starts its worker for route `webhook`, and makes `pipeline`
/// commit to it.
#[cfg(feature = "inbox")]
fn with_inbox(
    pipeline: hookguard::pipeline::PipelineBuilder,
    path: &str,
    schedule: Option<&str>,
) -> Result<(hookguard::pipeline::PipelineBuilder, Background), Invalid> {
    use hookguard::inbox::{Inbox, RetrySchedule};
    let schedule = schedule
        .map(RetrySchedule::parse)
        .transpose()
        .map_err(|e| Invalid(format!("HOOKGUARD_RETRY_SCHEDULE: {e} (like 200ms,1s,5s)")))?;
    let inbox = Inbox::open(path).map_err(|e| Invalid(format!("HOOKGUARD_INBOX={path:?}: {e}")))?;
    let mut worker = inbox.worker().route("webhook", handle_delivery);
    if let Some(schedule) = schedule {
        worker = worker.schedule(schedule);
    }
    let worker = worker
        .build()
        .map_err(|e| Invalid(format!("inbox worker: {e}")))?;
    tracing::info!(
        path,
        "inbox: deliveries are committed to disk before 2xx; worker started"
    );
    let background = Background {
        worker: Some(worker.start()),
    };
    Ok((pipeline.inbox(inbox, "webhook"), background))
}

#[cfg(not(feature = "inbox"))]
fn with_inbox(
    _: hookguard::pipeline::PipelineBuilder,
    _: &str,
    _: Option<&str>,
) -> Result<(hookguard::pipeline::PipelineBuilder, Background), Invalid> {
    Err(Invalid(
        "HOOKGUARD_INBOX is set, but this build has no inbox support: add the `inbox` feature \
         (`--features axum,inbox` or `--features actix-web,inbox`), or unset it for \
         synchronous mode"
            .into(),
    ))
}

/// The configured pipeline, listen address, and the inbox's worker when `HOOKGUARD_INBOX` is
/// set (warnings about demo secrets on stderr). Call it on the runtime that serves: the
/// worker runs there.
pub async fn pipeline() -> Result<(Pipeline, SocketAddr, Background), Invalid> {
    let config = config()?;
    let store: Arc<dyn ReplayStore> = match &config.redis_url {
        Some(url) => redis_store(url).await?,
        None => {
            tracing::info!("replay store: in memory (this process only)");
            Arc::new(MemoryStore::default())
        }
    };
    if let (true, Some((verify, sign))) = (config.demo, demo_secret(config.provider)) {
        eprintln!(
            "DEMO MODE: HOOKGUARD_SECRET is not set: verifying {} deliveries with a PUBLIC demo \
             secret, on the loopback address {} only. Anyone who can reach it can forge \
             deliveries; set HOOKGUARD_SECRET before listening anywhere else.",
            config.provider.name(),
            config.listen
        );
        if verify == sign {
            eprintln!("WARNING: demo secret: {sign}");
        } else {
            eprintln!("WARNING: demo public key: {verify}");
            eprintln!("WARNING: demo private key (sign with it): {sign}");
        }
    }
    let mut pipeline =
        Pipeline::builder(config.verifier).replay(ReplayGuard::builder_shared(store).build()?);
    if let Some(rate) = config.rate {
        pipeline = pipeline.rate_limit(rate);
    }
    if let Some(bytes) = config.max_body {
        pipeline = pipeline.body_limit(bytes);
    }
    let background = match &config.inbox {
        Some(path) => {
            let (with, background) = with_inbox(pipeline, path, config.retry_schedule.as_deref())?;
            pipeline = with;
            background
        }
        None => Background {
            #[cfg(feature = "inbox")]
            worker: None,
        },
    };
    // Behind a proxy every caller is the proxy: without this, a forger's failure penalty
    // would lock the real provider out along with it.
    let pipeline = pipeline
        .trusted_proxies(config.trusted_proxies.iter().map(String::as_str))
        .build()
        .map_err(|e| match e {
            hookguard::ConfigError::InvalidTrustedProxy => Invalid(format!(
                "HOOKGUARD_TRUSTED_PROXIES={:?}: {e} (comma-separated, like 10.0.0.0/8,::1)",
                config.trusted_proxies.join(",")
            )),
            e => Invalid(e.to_string()),
        })?;
    tracing::info!(
        provider = config.provider.name(),
        ?pipeline,
        "pipeline ready"
    );
    Ok((pipeline, config.listen, background))
}
