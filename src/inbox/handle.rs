//! [`Inbox`]: the receipt path (commit before 2xx) and the handle everything else hangs on.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::error::{InboxConfigError, InboxError, StoreError};
use super::observe;
use super::receipt::{InsertOutcome, Receipt, Received};
use super::redb_store::RedbStore;
use super::store::InboxStore;
use super::time::{SystemWallClock, Timestamp, WallClock};
use super::worker::WorkerBuilder;

/// Default retention of done and dead deliveries: 30 days.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);
/// The shortest retention a builder accepts: 3 days, the retry horizon of the providers that
/// retry longest. A pruned delivery's id is forgotten, so a retry after that would be new.
pub const MIN_RETENTION: Duration = Duration::from_secs(3 * 24 * 3600);
/// Default time a receipt may wait for its commit before it is answered 503.
pub const DEFAULT_RECEIVE_TIMEOUT: Duration = Duration::from_secs(5);

/// A durable inbox: commits verified deliveries before they are acknowledged, and hands
/// them to a [`Worker`](super::Worker). Cheap to clone; clones share one store.
///
/// See the [module docs](super) for the whole story. The operator's side:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use hookguard::inbox::{Inbox, ListQuery, State};
/// # let path = std::env::temp_dir().join(format!("hookguard-admin-doc-{}.redb", std::process::id()));
/// let inbox = Inbox::open(&path)?;
/// inbox.pause("billing").await?; // receipts are still committed, as held
/// assert_eq!(inbox.paused_routes().await?, ["billing"]);
/// inbox.resume("billing").await?;
/// let dead = inbox.list(ListQuery::new().state(State::Dead).route("billing")).await?;
/// assert!(dead.items().is_empty());
/// let plan = inbox.replay_dead(ListQuery::new().route("billing"), true).await?; // dry run
/// assert_eq!((plan.ids().len(), plan.replayed()), (0, 0));
/// assert_eq!(inbox.counts().await?.get(State::Pending), 0);
/// # drop(inbox); std::fs::remove_file(&path)?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Inbox {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pub(crate) store: Arc<dyn InboxStore>,
    pub(crate) clock: Arc<dyn WallClock>,
    pub(crate) retention: Duration,
    pub(crate) receive_timeout: Duration,
    /// Wakes a worker when there is new work (a commit, a replay, a resume).
    pub(crate) wake: Notify,
}

impl fmt::Debug for Inbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inbox")
            .field("retention", &self.shared.retention)
            .field("receive_timeout", &self.shared.receive_timeout)
            .finish_non_exhaustive()
    }
}

/// Builds an [`Inbox`].
pub struct InboxBuilder {
    store: Arc<dyn InboxStore>,
    clock: Arc<dyn WallClock>,
    retention: Duration,
    receive_timeout: Duration,
}

impl fmt::Debug for InboxBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboxBuilder")
            .field("clock", &self.clock)
            .field("retention", &self.retention)
            .field("receive_timeout", &self.receive_timeout)
            .finish_non_exhaustive()
    }
}

impl InboxBuilder {
    /// The wall clock that times receipts, attempts and retries. Defaults to the system's;
    /// tests inject a [`ManualWallClock`](super::ManualWallClock).
    pub fn clock(mut self, clock: Arc<dyn WallClock>) -> Self {
        self.clock = clock;
        self
    }

    /// How long done and dead deliveries (and their ids, for dedupe) are kept. Defaults to
    /// [`DEFAULT_RETENTION`]; at least [`MIN_RETENTION`].
    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// How long a receipt waits for its commit before it fails with
    /// [`InboxError::Timeout`] (503). Defaults to [`DEFAULT_RECEIVE_TIMEOUT`].
    pub fn receive_timeout(mut self, timeout: Duration) -> Self {
        self.receive_timeout = timeout;
        self
    }

    /// Checks the settings.
    pub fn build(self) -> Result<Inbox, InboxConfigError> {
        if self.retention < MIN_RETENTION {
            return Err(InboxConfigError::RetentionTooShort);
        }
        if self.receive_timeout.is_zero() {
            return Err(InboxConfigError::ZeroDuration);
        }
        Ok(self.assemble())
    }

    /// The inbox, settings unchecked (the defaults need no check).
    fn assemble(self) -> Inbox {
        Inbox {
            shared: Arc::new(Shared {
                store: self.store,
                clock: self.clock,
                retention: self.retention,
                receive_timeout: self.receive_timeout,
                wake: Notify::new(),
            }),
        }
    }
}

impl Inbox {
    /// An inbox on the redb file at `path` (created if missing), with every default.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let store = RedbStore::open(path)?;
        Ok(Self::builder(store).assemble())
    }

    /// A builder for an inbox on `store`.
    pub fn builder(store: impl InboxStore) -> InboxBuilder {
        Self::builder_shared(Arc::new(store))
    }

    /// A builder for an inbox on a shared store.
    pub fn builder_shared(store: Arc<dyn InboxStore>) -> InboxBuilder {
        InboxBuilder {
            store,
            clock: Arc::new(SystemWallClock),
            retention: DEFAULT_RETENTION,
            receive_timeout: DEFAULT_RECEIVE_TIMEOUT,
        }
    }

    /// Commits `receipt` and answers only once it is durable (or known to be a duplicate).
    ///
    /// - [`Received::Committed`]: a new delivery, on disk; acknowledge with 2xx.
    /// - [`Received::Duplicate`]: already in the inbox with the same body; acknowledge.
    /// - [`InboxError::Conflict`]: the id is recorded with another body; answer 409.
    /// - [`InboxError::Full`], [`InboxError::Timeout`], [`InboxError::Unavailable`]: answer
    ///   503 with [`InboxError::retry_after`]; never 2xx.
    pub async fn receive(&self, receipt: Receipt) -> Result<Received, InboxError> {
        let shared = &self.shared;
        let (route, provider) = (receipt.route.clone(), receipt.provider.clone());
        let delivery_id = receipt.delivery_id.clone();
        let started = std::time::Instant::now();
        let observe = |result| observe::receipt(&route, &provider, result, started.elapsed());
        let insert = shared.store.insert(vec![receipt], shared.clock.now());
        let outcome = match tokio::time::timeout(shared.receive_timeout, insert).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(error)) => {
                observe("unavailable");
                return Err(error.into());
            }
            Err(_) => {
                observe("timeout");
                return Err(InboxError::Timeout);
            }
        };
        match outcome.first() {
            Some(InsertOutcome::New(id)) => {
                observe("committed");
                shared.wake.notify_one();
                Ok(Received::Committed(*id))
            }
            Some(InsertOutcome::Duplicate(id)) => {
                observe("duplicate");
                Ok(Received::Duplicate(*id))
            }
            Some(InsertOutcome::Conflict(existing)) => {
                observe("conflict");
                tracing::warn!(%route, %provider, %delivery_id, inbox_id = %existing,
                    "inbox: delivery id reused with a different body");
                Err(InboxError::Conflict {
                    existing: *existing,
                })
            }
            Some(InsertOutcome::Full) => {
                observe("full");
                tracing::warn!(%route, %provider, %delivery_id, "inbox: full, delivery refused");
                Err(InboxError::Full)
            }
            None => {
                observe("unavailable");
                Err(InboxError::Unavailable(StoreError::Corrupt(
                    "insert answer",
                )))
            }
        }
    }

    /// A builder for the worker that runs this inbox's handlers.
    pub fn worker(&self) -> WorkerBuilder {
        WorkerBuilder::new(self.clone())
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn InboxStore> {
        &self.shared.store
    }

    /// The current time on the inbox's clock.
    pub fn now(&self) -> Timestamp {
        self.shared.clock.now()
    }

    /// The retention of done and dead deliveries.
    pub fn retention(&self) -> Duration {
        self.shared.retention
    }

    /// Tells a waiting worker that there is work.
    pub(crate) fn wake_worker(&self) {
        self.shared.wake.notify_one();
    }
}
