//! [`RedbStore`]: the embedded inbox store, one redb file, group commit.

mod admin;
mod codec;
mod index;
mod insert;
mod leasing;
mod reads;
mod tables;
mod writer;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, PoisonError, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

use redb::{Database, DatabaseError, ReadTransaction};
use tokio::sync::oneshot;

use super::attempt::Finish;
use super::error::StoreError;
use super::lease::{AfterFailure, FenceToken, Leased};
use super::query::{Counts, ListQuery, Page, Pruned, ReplayOutcome};
use super::receipt::{InsertOutcome, Receipt};
use super::record::{DeliveryDetail, DeliverySummary, InboxId};
use super::store::{InboxStore, StoreFuture};
use super::time::{SystemWallClock, Timestamp, WallClock};
use tables::Tables;
use writer::{Msg, Op, SharedDb};

pub use insert::RECORD_OVERHEAD;

/// Default byte capacity: 1 GiB of stored headers and bodies.
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;
/// How many writes may wait for the writer thread before new ones are refused as
/// [`StoreError::Busy`].
pub const QUEUE_CAPACITY: usize = 16_384;

/// Turns a redb error into a [`StoreError::Backend`] (`.engine()?`), without putting redb's
/// types into the public API.
pub(crate) trait Engine<T> {
    fn engine(self) -> Result<T, StoreError>;
}

impl<T, E: Into<redb::Error>> Engine<T> for Result<T, E> {
    fn engine(self) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::backend(e.into()))
    }
}

/// The embedded inbox store: one [redb](https://www.redb.org) file, opened by one process at
/// a time (redb locks it).
///
/// - A file path is all the setup; the file is created on first use.
/// - Every commit is durable when it returns (redb's `Durability::Immediate`: checksummed
///   pages, one fsync).
/// - One writer thread does **group commit**: the writes that arrive while a commit is being
///   fsync'd go into the next transaction together, and each caller waits for its own
///   commit. A lone receipt is committed at once; many concurrent ones share fsyncs.
/// - Reads (list, show, counts) run in read transactions on Tokio's blocking pool and never
///   wait for the writer.
/// - On open, leases left by a process that crashed are taken back at once (the file has
///   one owner, so every lease in it is stale): those deliveries are pending again.
///
/// Needs a Tokio runtime for its reads.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use hookguard::inbox::RedbStore;
/// let path = std::env::temp_dir().join(format!("hookguard-doc-{}.redb", std::process::id()));
/// let store = RedbStore::builder(&path).max_bytes(64 << 20).open()?;
/// assert_eq!(store.recovered_leases(), 0);
/// drop(store);
/// # std::fs::remove_file(&path)?;
/// # Ok(()) }
/// ```
pub struct RedbStore {
    path: PathBuf,
    db: SharedDb,
    tx: Option<SyncSender<Msg>>,
    writer: Option<JoinHandle<()>>,
    recovered: usize,
    max_bytes: u64,
}

impl fmt::Debug for RedbStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedbStore")
            .field("path", &self.path)
            .field("max_bytes", &self.max_bytes)
            .finish_non_exhaustive()
    }
}

/// Builds a [`RedbStore`].
#[derive(Debug)]
pub struct RedbStoreBuilder {
    path: PathBuf,
    max_bytes: u64,
    clock: Arc<dyn WallClock>,
}

impl RedbStoreBuilder {
    /// The byte capacity: receipts that would take the stored headers and bodies (plus
    /// [`RECORD_OVERHEAD`] per delivery) past it are refused as full (503). Defaults to
    /// [`DEFAULT_MAX_BYTES`].
    pub fn max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// The clock that times the leases taken back at open. Defaults to the system clock.
    pub fn clock(mut self, clock: Arc<dyn WallClock>) -> Self {
        self.clock = clock;
        self
    }

    /// Opens (or creates) the file, takes back the leases a previous process left, and
    /// starts the writer thread. [`StoreError::InUse`] if the file is open elsewhere.
    pub fn open(self) -> Result<RedbStore, StoreError> {
        let db = Database::builder()
            .create(&self.path)
            .map_err(|e| match e {
                DatabaseError::DatabaseAlreadyOpen | DatabaseError::LockProtocolMismatch => {
                    StoreError::InUse
                }
                other => StoreError::backend(redb::Error::from(other)),
            })?;
        let recovered = recover(&db, self.clock.now(), self.max_bytes)?;
        let db: SharedDb = Arc::new(RwLock::new(Some(db)));
        let (tx, rx) = sync_channel(QUEUE_CAPACITY);
        let writer_db = db.clone();
        let max_bytes = self.max_bytes;
        let writer = std::thread::Builder::new()
            .name("hookguard-inbox-writer".into())
            .spawn(move || writer::run(writer_db, rx, max_bytes))
            .map_err(StoreError::backend)?;
        Ok(RedbStore {
            path: self.path,
            db,
            tx: Some(tx),
            writer: Some(writer),
            recovered,
            max_bytes,
        })
    }
}

/// Creates the tables, checks the format and takes back every lease, in one transaction.
fn recover(db: &Database, now: Timestamp, max_bytes: u64) -> Result<usize, StoreError> {
    let tx = db.begin_write().engine()?;
    let recovered = {
        let mut t = Tables::open(&tx, max_bytes)?;
        t.check_format()?;
        let recovered = leasing::take_back(&mut t, now, true)?;
        t.flush()?;
        recovered
    };
    tx.commit().engine()?;
    if recovered > 0 {
        tracing::info!(
            leases = recovered,
            "inbox: took back the leases of a stopped process"
        );
    }
    Ok(recovered)
}

impl RedbStore {
    /// Opens (or creates) the store at `path` with the defaults.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::builder(path).open()
    }

    /// A builder for the store at `path`.
    pub fn builder(path: impl AsRef<Path>) -> RedbStoreBuilder {
        RedbStoreBuilder {
            path: path.as_ref().to_path_buf(),
            max_bytes: DEFAULT_MAX_BYTES,
            clock: Arc::new(SystemWallClock),
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many leases of a previous process were taken back when the file was opened.
    pub fn recovered_leases(&self) -> usize {
        self.recovered
    }

    /// Queues `msg` for the writer thread without waiting: a full queue is
    /// [`StoreError::Busy`].
    fn send(&self, msg: Msg) -> Result<(), StoreError> {
        let tx = self.tx.as_ref().ok_or(StoreError::Closed)?;
        tx.try_send(msg).map_err(|e| match e {
            TrySendError::Full(_) => StoreError::Busy,
            TrySendError::Disconnected(_) => StoreError::Closed,
        })
    }

    /// Sends a write job to the writer thread; the future ends after its commit.
    fn submit<T, F>(&self, f: F) -> StoreFuture<'static, T>
    where
        T: Send + 'static,
        F: FnMut(&mut Tables<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let sent = self.send(Msg::Job(Box::new(Op::new(f, reply))));
        Box::pin(async move {
            sent?;
            answer.await.map_err(|_| StoreError::Closed)?
        })
    }

    /// Runs `f` in a read transaction on the blocking pool.
    fn read<T, F>(&self, f: F) -> StoreFuture<'static, T>
    where
        T: Send + 'static,
        F: FnOnce(&ReadTransaction) -> Result<T, StoreError> + Send + 'static,
    {
        use redb::ReadableDatabase as _;
        let db = self.db.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let guard = db.read().unwrap_or_else(PoisonError::into_inner);
                let db = guard.as_ref().ok_or(StoreError::Closed)?;
                let tx = db.begin_read().engine()?;
                f(&tx)
            })
            .await
            .map_err(|_| StoreError::Closed)?
        })
    }
}

impl Drop for RedbStore {
    /// Stops the writer thread after the writes already queued, and closes the file.
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

impl InboxStore for RedbStore {
    fn insert(
        &self,
        receipts: Vec<Receipt>,
        now: Timestamp,
    ) -> StoreFuture<'_, Vec<InsertOutcome>> {
        self.submit(move |t| receipts.iter().map(|r| insert::insert(t, r, now)).collect())
    }

    fn lease<'a>(
        &'a self,
        route: &'a str,
        limit: usize,
        lease: Duration,
        now: Timestamp,
    ) -> StoreFuture<'a, Vec<Leased>> {
        let route = route.to_owned();
        self.submit(move |t| leasing::lease(t, &route, limit, lease, now))
    }

    fn complete(&self, id: InboxId, token: FenceToken, finish: Finish) -> StoreFuture<'_, bool> {
        self.submit(move |t| leasing::complete(t, id.get(), token, &finish))
    }

    fn fail(
        &self,
        id: InboxId,
        token: FenceToken,
        finish: Finish,
        next: AfterFailure,
    ) -> StoreFuture<'_, bool> {
        self.submit(move |t| leasing::fail(t, id.get(), token, &finish, next))
    }

    fn release(&self, id: InboxId, token: FenceToken, now: Timestamp) -> StoreFuture<'_, bool> {
        self.submit(move |t| leasing::release(t, id.get(), token, now))
    }

    fn take_back_expired(&self, now: Timestamp) -> StoreFuture<'_, usize> {
        self.submit(move |t| leasing::take_back(t, now, false))
    }

    fn set_paused<'a>(
        &'a self,
        route: &'a str,
        paused: bool,
        now: Timestamp,
    ) -> StoreFuture<'a, usize> {
        let route = route.to_owned();
        self.submit(move |t| admin::set_paused(t, &route, paused, now))
    }

    fn paused_routes(&self) -> StoreFuture<'_, Vec<String>> {
        self.read(reads::paused_routes)
    }

    fn replay(&self, ids: Vec<InboxId>, now: Timestamp) -> StoreFuture<'_, Vec<ReplayOutcome>> {
        self.submit(move |t| {
            ids.iter()
                .map(|id| admin::replay(t, id.get(), now))
                .collect()
        })
    }

    fn get(&self, id: InboxId, payload: bool) -> StoreFuture<'_, Option<DeliveryDetail>> {
        self.read(move |tx| reads::get(tx, id, payload))
    }

    fn find<'a>(&'a self, delivery_id: &'a str) -> StoreFuture<'a, Vec<DeliverySummary>> {
        let delivery_id = delivery_id.to_owned();
        self.read(move |tx| reads::find(tx, &delivery_id))
    }

    fn list(&self, query: ListQuery) -> StoreFuture<'_, Page> {
        self.read(move |tx| reads::list(tx, &query))
    }

    fn counts(&self) -> StoreFuture<'_, Counts> {
        self.read(reads::counts)
    }

    fn prune(&self, finished_before: Timestamp, limit: usize) -> StoreFuture<'_, Pruned> {
        self.submit(move |t| admin::prune(t, finished_before, limit))
    }

    fn compact(&self) -> StoreFuture<'_, bool> {
        let (reply, answer) = oneshot::channel();
        let sent = self.send(Msg::Compact(reply));
        Box::pin(async move {
            sent?;
            answer.await.map_err(|_| StoreError::Closed)?
        })
    }
}
