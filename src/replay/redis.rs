//! [`RedisStore`]: a [`ReplayStore`] on a real `redis-server`, shared by replicas.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisError, Script};

use super::{BodyDigest, Claim, ClaimToken, ReplayKey, ReplayStore, StoreError, StoreFuture};
use crate::clock::Clock;

/// A record is one string, `kind|a|failures|digest`: `p|<token>|n|<digest>` pending (claimed
/// by the 32-hex-digit token), `d||n|<digest>` done, `f|<cool-down end, ms>|n|<digest>`
/// failed `n` times and cooling down. `NOW` is the caller's clock when it sends one (tests),
/// else Redis' own `TIME`, the one clock every replica shares.
const RECORD_LUA: &str = r"
local function now_ms(arg)
  if arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function record(key)
  local v = redis.call('GET', key)
  if not v then return nil end
  local kind, a, failures, digest = string.match(v, '^(%a)|(%x*)|(%d+)|(%x+)$')
  if not kind then return false end
  return {kind = kind, a = a, failures = tonumber(failures), digest = digest}
end
";

/// `KEYS[1]` key, `ARGV[1]` token, `ARGV[2]` lease in ms, `ARGV[3]` body digest, `ARGV[4]`
/// now in ms or empty. Returns `{1, failures}` claimed, `{2, 0}` done, `{3, pttl}` in flight,
/// `{4, ms left}` cooling down, `{5, 0}` another digest, `{0, 0}` a value this store did not
/// write.
const CLAIM_LUA: &str = r"
local r = record(KEYS[1])
if r == nil then
  redis.call('SET', KEYS[1], 'p|' .. ARGV[1] .. '|0|' .. ARGV[3], 'PX', ARGV[2])
  return {1, 0}
end
if r == false then return {0, 0} end
if r.digest ~= ARGV[3] then return {5, 0} end
if r.kind == 'd' then return {2, 0} end
if r.kind == 'p' then return {3, redis.call('PTTL', KEYS[1])} end
local wait = tonumber(r.a) - now_ms(ARGV[4])
if wait > 0 then return {4, wait} end
local value = string.format('p|%s|%d|%s', ARGV[1], r.failures, ARGV[3])
redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
return {1, r.failures}
";

/// `KEYS[1]` key, `ARGV[1]` token, `ARGV[2]` retention in ms. Returns 1 if completed.
const COMPLETE_LUA: &str = r"
local r = record(KEYS[1])
if not r or r.kind ~= 'p' or r.a ~= ARGV[1] then return 0 end
local value = string.format('d||%d|%s', r.failures, r.digest)
redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
return 1
";

/// `KEYS[1]` key, `ARGV[1]` token, `ARGV[2]` cool-down in ms, `ARGV[3]` how long to keep the
/// record in ms, `ARGV[4]` now in ms or empty. Returns 1 if released.
const RELEASE_LUA: &str = r"
local r = record(KEYS[1])
if not r or r.kind ~= 'p' or r.a ~= ARGV[1] then return 0 end
local cooldown = tonumber(ARGV[2])
local value = string.format('f|%d|%d|%s', now_ms(ARGV[4]) + cooldown, r.failures + 1, r.digest)
local keep = math.max(tonumber(ARGV[3]), cooldown, 1)
redis.call('SET', KEYS[1], value, 'PX', string.format('%d', keep))
return 1
";

const DEFAULT_PREFIX: &str = "hookguard:";
const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(1);
const DEFAULT_CONNECTION_TIMEOUT: Duration = Duration::from_secs(1);
const DEFAULT_RECONNECT_RETRIES: usize = 6;
const DEFAULT_MAX_RECONNECT_DELAY: Duration = Duration::from_secs(1);
const DEFAULT_REPLACE_AFTER_TIMEOUTS: u32 = 3;

/// A [`ReplayStore`] on Redis, shared by every replica pointed at the same server. Cheap to
/// clone: clones share one connection.
///
/// Every replica of a service points its [`ReplayGuard`](super::ReplayGuard) at the same
/// Redis, so exactly one of them runs the handler for a delivery, whichever replica each
/// provider retry lands on.
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use hookguard::replay::{BodyDigest, Guarded, RedisStore, ReplayGuard, ReplayKey};
/// # use hookguard::{Delivery, Provider, Signer, Verifier};
/// # let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// # let headers = Signer::new(Provider::StandardWebhooks, secret)?
/// #     .sign(&Delivery::new(&b"{}"[..]).id("msg_1"))?;
/// # let verifier = Verifier::builder(Provider::StandardWebhooks).secret(secret).build()?;
///
/// let store = RedisStore::builder("redis://127.0.0.1:6379")
///     .key_prefix("hookguard:")
///     .response_timeout(Duration::from_millis(500))
///     .connection_timeout(Duration::from_secs(1))
///     .build()
///     .await?;
/// let guard = ReplayGuard::builder(store).build()?;
///
/// // Only a delivery whose signature verified can name a claim key.
/// let verified = verifier.verify(&http::Method::POST, &"/".parse()?, &headers, b"{}")?;
/// let key = ReplayKey::new("acme", &verified)?;
/// let digest = BodyDigest::of(b"{}");
/// match guard.run(&key, &digest, || async { Ok::<_, ()>("processed") }).await {
///     Ok(Guarded::Ran(_)) => { /* 2xx if the handler succeeded, else 5xx */ }
///     Ok(Guarded::Duplicate) => { /* 2xx: handled before */ }
///     Ok(_) => { /* panicked or timed out: 5xx, the provider retries */ }
///     Err(rejection) => { /* 409 in flight, cooling down or conflict; 503 store unavailable */ }
/// }
/// # Ok(())
/// # }
/// ```
///
/// # How a delivery is recorded
///
/// One key per delivery, `prefix + tenant/provider/id`, holding one string
/// `kind|a|failures|digest` (the digest is the body's SHA-256 in hex):
/// - *claim*: one Lua script. An absent key becomes `p|token|0|digest` with `PX lease`. A
///   present key with another digest answers *conflict*; otherwise `d…` answers *done*,
///   `p…` *in flight* (the remaining lease is its `PTTL`), and `f|until|n|…` *cooling down*
///   until `until` (ms, Redis `TIME`), after which it is claimed again keeping `n`. The
///   token is a fresh [`ClaimToken`] per claim.
/// - *complete*: compare-owner Lua: if the key is still pending with this claim's token, it
///   becomes `d||n|digest` for the retention period.
/// - *release*: compare-owner Lua: if the key is still pending with this claim's token, it
///   becomes `f|now + cool-down|n + 1|digest`, kept for the retention period.
///
/// A claim whose reply was lost (the server applied it, the caller timed out) blocks the id
/// only until its lease ends; a stale owner can never complete or release a newer claim.
///
/// # Faults
///
/// Every call runs under the [response timeout](RedisStoreBuilder::response_timeout); an
/// error or a timeout is a [`StoreError`], which the guard answers with 503 + `Retry-After`
/// without running the handler. The connection is a `redis::aio::ConnectionManager`: after
/// a dropped connection (Redis restarted, failed over, network reset) the call that saw the
/// drop fails and the manager reconnects in the background, so the same `RedisStore` serves
/// again once Redis is back, without a restart of the process. Scripts are re-loaded after a
/// restart emptied Redis' script cache (`EVALSHA`, then `SCRIPT LOAD` on `NOSCRIPT`).
/// The manager does not reconnect on timeouts, so a connection that stalls without being
/// closed (a host gone without a reset) would time out every call until the kernel gives
/// up on it; after [a few timeouts in a row](RedisStoreBuilder::replace_after_timeouts) the
/// store replaces the connection instead.
/// [`build`](RedisStoreBuilder::build) does not fail when Redis is down at start-up: the
/// store then connects in the background and answers with errors (503) until it is
/// connected.
///
/// # Durability
///
/// The replay window is only as closed as Redis is durable. A claim or a *done* mark that
/// Redis acknowledged but then lost reopens the replay window for that id for the rest of its
/// retention: a replay or a provider retry would run the handler again.
/// - No persistence (`save ""`, `appendonly no`): a restart forgets every id.
/// - RDB snapshots: a crash loses everything written since the last snapshot (minutes).
/// - AOF with `appendfsync everysec` (the usual setting): a crash loses about the last
///   one or two seconds of writes; with `appendfsync always` an acknowledged write survives a crash
///   of Redis or of its machine, at a cost in write latency.
/// - Replication is asynchronous: on a failover the promoted replica may miss the last
///   writes the old primary acknowledged, whatever the persistence.
///
/// For the stronger guarantee use AOF (`appendonly yes`, `appendfsync always`, or `everysec`
/// if a second of exposure is acceptable), and treat a failover or a restore from backup as
/// an event that may let deliveries within their retention run once more.
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    config: ConnectionManagerConfig,
    /// The connection; `None` until connected, and while a stalled one is being replaced.
    slot: Mutex<Slot>,
    /// A background task is establishing a connection.
    connecting: AtomicBool,
    /// Calls that timed out in a row on the current connection.
    timeouts_in_a_row: AtomicU32,
    replace_after_timeouts: u32,
    /// `host:port` (or socket path): never the password.
    endpoint: String,
    prefix: String,
    response_timeout: Duration,
    connection_timeout: Duration,
    /// Replaces Redis' `TIME` for cool-downs (tests only).
    clock: Option<Arc<dyn Clock>>,
    claim: Script,
    complete: Script,
    release: Script,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("RedisStore")
            .field("endpoint", &inner.endpoint)
            .field("prefix", &inner.prefix)
            .field("response_timeout", &inner.response_timeout)
            .field("connection_timeout", &inner.connection_timeout)
            .field("connected", &self.is_connected())
            .finish_non_exhaustive()
    }
}

/// Builds a [`RedisStore`] from a Redis URL (`redis://[user:password@]host:port[/db]`).
pub struct RedisStoreBuilder {
    url: String,
    prefix: String,
    response_timeout: Duration,
    connection_timeout: Duration,
    reconnect_retries: usize,
    max_reconnect_delay: Duration,
    replace_after_timeouts: u32,
    clock: Option<Arc<dyn Clock>>,
}

/// The current connection and how many times it was replaced.
struct Slot {
    generation: u64,
    manager: Option<ConnectionManager>,
}

impl fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry a password: never shown.
        f.debug_struct("RedisStoreBuilder")
            .field("prefix", &self.prefix)
            .field("response_timeout", &self.response_timeout)
            .field("connection_timeout", &self.connection_timeout)
            .field("reconnect_retries", &self.reconnect_retries)
            .field("max_reconnect_delay", &self.max_reconnect_delay)
            .field("replace_after_timeouts", &self.replace_after_timeouts)
            .finish_non_exhaustive()
    }
}

impl RedisStoreBuilder {
    /// Prepended to every key. Defaults to `hookguard:`.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long one store call may take, reconnecting included, before it fails with
    /// [`StoreError::Timeout`]. Defaults to 1 s; keep it at most the guard's store timeout.
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// How long one attempt to connect may take. Defaults to 1 s.
    pub fn connection_timeout(mut self, timeout: Duration) -> Self {
        self.connection_timeout = timeout;
        self
    }

    /// How many times one reconnection retries before giving up; the next call starts
    /// another. Defaults to 6.
    pub fn reconnect_retries(mut self, retries: usize) -> Self {
        self.reconnect_retries = retries;
        self
    }

    /// The longest pause between two attempts to reconnect. Defaults to 1 s (the first
    /// pause is 1 to 2 s whatever this is, a property of the `redis` crate).
    pub fn max_reconnect_delay(mut self, delay: Duration) -> Self {
        self.max_reconnect_delay = delay;
        self
    }

    /// After this many calls in a row time out, the connection counts as stalled: it is
    /// dropped and a new one established in the background (calls fail at once meanwhile).
    /// Defaults to 3; 0 never replaces it.
    pub fn replace_after_timeouts(mut self, timeouts: u32) -> Self {
        self.replace_after_timeouts = timeouts;
        self
    }

    /// The clock that times cool-downs after failures, instead of Redis' own `TIME`: for
    /// tests (a [`ManualClock`](crate::clock::ManualClock)), never for replicas, which must
    /// share one clock.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Builds the store and tries to connect, for at most the connection timeout.
    ///
    /// Fails only on an invalid URL or zero timeouts. When Redis is unreachable the store is
    /// still returned: it keeps connecting in the background and fails every call until it
    /// is connected.
    pub async fn build(self) -> Result<RedisStore, StoreError> {
        if self.response_timeout.is_zero() || self.connection_timeout.is_zero() {
            return Err(StoreError::backend(
                "redis store: timeouts must be non-zero",
            ));
        }
        // The parse error could quote the URL, password included: not passed on.
        let client = Client::open(self.url.as_str())
            .map_err(|_| StoreError::backend("redis store: invalid redis URL"))?;
        let endpoint = client.get_connection_info().addr.to_string();
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(self.response_timeout)
            .set_connection_timeout(self.connection_timeout)
            .set_number_of_retries(self.reconnect_retries)
            // In redis 0.32 the factor is the growth of the pause between attempts (the
            // first pause is 1 s plus jitter), capped by the max delay.
            .set_factor(2)
            .set_max_delay(millis(self.max_reconnect_delay));
        let store = RedisStore {
            inner: Arc::new(Inner {
                client,
                config,
                slot: Mutex::new(Slot {
                    generation: 0,
                    manager: None,
                }),
                connecting: AtomicBool::new(false),
                timeouts_in_a_row: AtomicU32::new(0),
                replace_after_timeouts: self.replace_after_timeouts,
                endpoint,
                prefix: self.prefix,
                response_timeout: self.response_timeout,
                connection_timeout: self.connection_timeout,
                clock: self.clock,
                claim: Script::new(&format!("{RECORD_LUA}{CLAIM_LUA}")),
                complete: Script::new(&format!("{RECORD_LUA}{COMPLETE_LUA}")),
                release: Script::new(&format!("{RECORD_LUA}{RELEASE_LUA}")),
            }),
        };
        let inner = &store.inner;
        let first = ConnectionManager::new_with_config(inner.client.clone(), inner.config.clone());
        match tokio::time::timeout(inner.connection_timeout, first).await {
            Ok(Ok(manager)) => inner.install(manager),
            Ok(Err(error)) => {
                tracing::warn!(endpoint = %inner.endpoint, error = %describe(&error), "redis unreachable at start-up: connecting in the background");
                store.connect_in_background();
            }
            Err(_) => {
                tracing::warn!(endpoint = %inner.endpoint, "redis did not answer at start-up: connecting in the background");
                store.connect_in_background();
            }
        }
        Ok(store)
    }
}

/// Redis refuses an expiry of 0 ms, so the shortest is 1.
fn millis(d: Duration) -> u64 {
    crate::clock::millis(d).max(1)
}

/// What went wrong, without the server's free text (it may quote arguments) or the URL.
fn describe(error: &RedisError) -> String {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connection_refusal() {
        "connection refused"
    } else if error.is_connection_dropped() {
        "connection dropped"
    } else if error.is_io_error() {
        "i/o error"
    } else {
        "error reply"
    };
    match error.code() {
        Some(code) => format!("{what} ({code})"),
        None => format!("{what} ({:?})", error.kind()),
    }
}

impl RedisStore {
    /// Starts a builder for the Redis at `url` (`redis://[user:password@]host:port[/db]`).
    pub fn builder(url: impl Into<String>) -> RedisStoreBuilder {
        RedisStoreBuilder {
            url: url.into(),
            prefix: DEFAULT_PREFIX.to_owned(),
            response_timeout: DEFAULT_RESPONSE_TIMEOUT,
            connection_timeout: DEFAULT_CONNECTION_TIMEOUT,
            reconnect_retries: DEFAULT_RECONNECT_RETRIES,
            max_reconnect_delay: DEFAULT_MAX_RECONNECT_DELAY,
            replace_after_timeouts: DEFAULT_REPLACE_AFTER_TIMEOUTS,
            clock: None,
        }
    }

    /// `NOW` for the scripts: the injected clock's milliseconds, or empty for Redis' `TIME`.
    fn now_arg(&self) -> String {
        self.inner.clock.as_ref().map_or_else(String::new, |c| {
            crate::clock::millis(c.elapsed()).to_string()
        })
    }

    /// The Redis key of a replay key: the prefix, then the key.
    pub fn redis_key(&self, key: &ReplayKey) -> String {
        format!("{}{}", self.inner.prefix, key.as_str())
    }

    /// Whether the store has a connection: established, and not being replaced. It stays
    /// `true` while the connection reconnects by itself (e.g. Redis restarting).
    pub fn is_connected(&self) -> bool {
        self.inner.slot().manager.is_some()
    }

    /// Sends `PING` under the response timeout: for readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.call("ping", |mut conn| async move {
            redis::cmd("PING")
                .query_async::<String>(&mut conn)
                .await
                .map(drop)
        })
        .await
    }

    /// Spawns a task establishing a connection, unless one is running.
    fn connect_in_background(&self) {
        let inner = &self.inner;
        if self.is_connected() || inner.connecting.swap(true, Ordering::AcqRel) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            inner.connecting.store(false, Ordering::Release);
            return;
        };
        let weak: Weak<Inner> = Arc::downgrade(inner);
        let client = inner.client.clone();
        let config = inner.config.clone();
        runtime.spawn(async move {
            let result = ConnectionManager::new_with_config(client, config).await;
            let Some(inner) = weak.upgrade() else {
                return;
            };
            match result {
                Ok(manager) => {
                    tracing::info!(endpoint = %inner.endpoint, "connected to redis");
                    inner.install(manager);
                }
                Err(error) => {
                    tracing::warn!(endpoint = %inner.endpoint, error = %describe(&error), "connecting to redis failed: the next call retries");
                }
            }
            inner.connecting.store(false, Ordering::Release);
        });
    }

    /// Runs one operation on the connection, under the response timeout, mapping every
    /// failure to a [`StoreError`].
    async fn call<T, F, Fut>(&self, op: &'static str, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = Result<T, RedisError>>,
    {
        let (generation, manager) = {
            let slot = self.inner.slot();
            (slot.generation, slot.manager.clone())
        };
        let Some(manager) = manager else {
            self.connect_in_background();
            return Err(StoreError::backend(format!("redis {op}: not connected")));
        };
        let result = match tokio::time::timeout(self.inner.response_timeout, f(manager)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) if error.is_timeout() => Err(StoreError::Timeout),
            Ok(Err(error)) => Err(StoreError::backend(format!(
                "redis {op}: {}",
                describe(&error)
            ))),
            Err(_) => Err(StoreError::Timeout),
        };
        if matches!(result, Err(StoreError::Timeout)) {
            self.note_timeout(generation);
        } else {
            self.inner.timeouts_in_a_row.store(0, Ordering::Relaxed);
        }
        result
    }

    /// Counts a timeout on connection `generation`; replaces it when it looks stalled.
    fn note_timeout(&self, generation: u64) {
        let inner = &self.inner;
        let limit = inner.replace_after_timeouts;
        if limit == 0 || inner.timeouts_in_a_row.fetch_add(1, Ordering::Relaxed) + 1 < limit {
            return;
        }
        {
            let mut slot = inner.slot();
            if slot.generation != generation || slot.manager.is_none() {
                return; // already replaced
            }
            slot.manager = None;
            slot.generation += 1;
        }
        inner.timeouts_in_a_row.store(0, Ordering::Relaxed);
        tracing::warn!(endpoint = %inner.endpoint, timeouts = limit, "redis connection stalled: replacing it");
        self.connect_in_background();
    }
}

impl Inner {
    fn slot(&self) -> MutexGuard<'_, Slot> {
        // Every write to the slot is a single assignment: a poisoned lock is still consistent.
        self.slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn install(&self, manager: ConnectionManager) {
        let mut slot = self.slot();
        slot.manager = Some(manager);
        slot.generation += 1;
        self.timeouts_in_a_row.store(0, Ordering::Relaxed);
    }
}

impl ReplayStore for RedisStore {
    fn claim<'a>(
        &'a self,
        key: &'a ReplayKey,
        digest: &'a BodyDigest,
        lease: Duration,
    ) -> StoreFuture<'a, Claim> {
        Box::pin(async move {
            let token = ClaimToken::generate();
            let hex = token.to_hex();
            let redis_key = self.redis_key(key);
            let now = self.now_arg();
            let (state, n): (i64, i64) = self
                .call("claim", |mut conn| async move {
                    self.inner
                        .claim
                        .key(redis_key)
                        .arg(hex)
                        .arg(millis(lease))
                        .arg(digest.to_hex())
                        .arg(now)
                        .invoke_async(&mut conn)
                        .await
                })
                .await?;
            match state {
                1 => Ok(Claim::Claimed {
                    token,
                    failures: u32::try_from(n).unwrap_or(u32::MAX),
                }),
                2 => Ok(Claim::Done),
                // A key without expiry (-1) was not written by this store: report the full
                // lease rather than "retry now".
                3 => Ok(Claim::InFlight {
                    remaining: u64::try_from(n).map_or(lease, Duration::from_millis),
                }),
                4 => Ok(Claim::CoolingDown {
                    remaining: Duration::from_millis(u64::try_from(n).unwrap_or(1)),
                }),
                5 => Ok(Claim::Conflict),
                _ => Err(StoreError::backend(
                    "redis claim: the key holds a value this store did not write",
                )),
            }
        })
    }

    fn complete<'a>(
        &'a self,
        key: &'a ReplayKey,
        token: &'a ClaimToken,
        retain: Duration,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let redis_key = self.redis_key(key);
            let done: i64 = self
                .call("complete", |mut conn| async move {
                    self.inner
                        .complete
                        .key(redis_key)
                        .arg(token.to_hex())
                        .arg(millis(retain))
                        .invoke_async(&mut conn)
                        .await
                })
                .await?;
            Ok(done == 1)
        })
    }

    fn release<'a>(
        &'a self,
        key: &'a ReplayKey,
        token: &'a ClaimToken,
        cooldown: Duration,
        keep: Duration,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let redis_key = self.redis_key(key);
            let now = self.now_arg();
            let released: i64 = self
                .call("release", |mut conn| async move {
                    self.inner
                        .release
                        .key(redis_key)
                        .arg(token.to_hex())
                        .arg(crate::clock::millis(cooldown))
                        .arg(millis(keep))
                        .arg(now)
                        .invoke_async(&mut conn)
                        .await
                })
                .await?;
            Ok(released == 1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_password() {
        let builder = RedisStore::builder("redis://:hunter2@127.0.0.1:6379");
        assert!(!format!("{builder:?}").contains("hunter2"));
    }

    #[tokio::test]
    async fn build_does_not_fail_when_redis_is_down() {
        // Port 1 on loopback: nothing listens there.
        let store = RedisStore::builder("redis://:hunter2@127.0.0.1:1")
            .connection_timeout(Duration::from_millis(100))
            .response_timeout(Duration::from_millis(100))
            .build()
            .await
            .unwrap();
        assert!(!store.is_connected());
        let shown = format!("{store:?}");
        assert!(
            shown.contains("127.0.0.1:1") && !shown.contains("hunter2"),
            "{shown}"
        );
        let key = ReplayKey::from_trusted_parts("t", "p", &crate::DeliveryId::new("id").unwrap())
            .unwrap();
        let digest = BodyDigest::of(b"{}");
        let error = store
            .claim(&key, &digest, Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(!error.to_string().contains("hunter2"));
        assert!(!format!("{error:?}").contains("hunter2"));
    }

    #[tokio::test]
    async fn invalid_url_does_not_echo_it() {
        let error = RedisStore::builder("redis://:hunter2@[::1")
            .build()
            .await
            .unwrap_err();
        assert!(!error.to_string().contains("hunter2"));
    }
}
