//! The one writer thread and its group commit.
//!
//! Every write (receipts, leases, done marks, admin actions) is a [`Job`] sent to one
//! thread. The thread takes the first job waiting, then every other job already waiting (up
//! to [`MAX_BATCH`]), applies them all in one write transaction and commits it once: one
//! fsync for the whole group. Each caller waits on its own reply, sent only after the commit
//! returned. While one commit is being fsync'd, the next group gathers in the queue, so the
//! number of fsyncs per second stays at what the disk does and the receipts per second grow
//! with the number of concurrent senders. Nothing waits on a timer: a lone receipt is
//! committed at once.
//!
//! A job that fails aborts the transaction; the thread answers that job with its error and
//! runs the rest of the group again in a new transaction, so one bad job fails alone.

use std::sync::mpsc::Receiver;
use std::sync::{Arc, PoisonError, RwLock};

use redb::{CompactionMode, Database, Durability};
use tokio::sync::oneshot;

use super::Engine as _;
use super::tables::Tables;
use crate::inbox::error::StoreError;

/// The most jobs one transaction takes.
pub(super) const MAX_BATCH: usize = 4096;

/// The database, shared by the writer thread and the readers; `None` once closed.
pub(super) type SharedDb = Arc<RwLock<Option<Database>>>;

/// A unit of work for the writer thread.
pub(super) trait Job: Send {
    /// Applies the job's writes; may run again after another job failed the transaction.
    fn apply(&mut self, t: &mut Tables<'_>) -> Result<(), StoreError>;
    /// The transaction committed: answer the caller.
    fn succeed(self: Box<Self>);
    /// The job or its transaction failed: answer the caller with `error`.
    fn fail(self: Box<Self>, error: StoreError);
}

/// A job from a closure, answering through a oneshot channel.
pub(super) struct Op<T, F> {
    f: F,
    result: Option<T>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Op<T, F> {
    pub(super) fn new(f: F, reply: oneshot::Sender<Result<T, StoreError>>) -> Self {
        Self {
            f,
            result: None,
            reply,
        }
    }
}

impl<T, F> Job for Op<T, F>
where
    T: Send,
    F: FnMut(&mut Tables<'_>) -> Result<T, StoreError> + Send,
{
    fn apply(&mut self, t: &mut Tables<'_>) -> Result<(), StoreError> {
        self.result = Some((self.f)(t)?);
        Ok(())
    }
    fn succeed(self: Box<Self>) {
        let answer = self.result.ok_or(StoreError::Closed);
        // The caller may have stopped waiting; the work is committed all the same.
        let _ = self.reply.send(answer);
    }
    fn fail(self: Box<Self>, error: StoreError) {
        let _ = self.reply.send(Err(error));
    }
}

/// What the writer thread receives.
pub(super) enum Msg {
    /// Work to apply in the next transaction.
    Job(Box<dyn Job>),
    /// Compact the file between transactions.
    Compact(oneshot::Sender<Result<bool, StoreError>>),
}

/// The writer thread's loop: runs until every sender is gone, then closes the database.
pub(super) fn run(db: SharedDb, rx: Receiver<Msg>, max_bytes: u64) {
    while let Ok(first) = rx.recv() {
        let mut jobs = Vec::new();
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Job(job) => jobs.push(job),
                Msg::Compact(reply) => {
                    commit_group(&db, std::mem::take(&mut jobs), max_bytes);
                    let _ = reply.send(compact(&db));
                }
            }
            if jobs.len() < MAX_BATCH {
                next = rx.try_recv().ok();
            }
        }
        commit_group(&db, jobs, max_bytes);
    }
    // Close the file (and release its lock) before the thread ends, once readers are done.
    let mut db = db.write().unwrap_or_else(PoisonError::into_inner);
    *db = None;
}

/// Why a group's transaction failed.
enum GroupError {
    /// Job `i` failed; the others may succeed without it.
    Job(usize, StoreError),
    /// The transaction itself failed: every job fails.
    All(StoreError),
}

/// Applies `jobs` in one transaction and answers each; a failing job is answered alone
/// and the rest run again.
fn commit_group(db: &SharedDb, mut jobs: Vec<Box<dyn Job>>, max_bytes: u64) {
    let guard = db.read().unwrap_or_else(PoisonError::into_inner);
    let Some(db) = guard.as_ref() else {
        jobs.into_iter()
            .for_each(|job| job.fail(StoreError::Closed));
        return;
    };
    while !jobs.is_empty() {
        match try_group(db, &mut jobs, max_bytes) {
            Ok(()) => {
                jobs.into_iter().for_each(|job| job.succeed());
                return;
            }
            Err(GroupError::Job(i, error)) => jobs.remove(i).fail(error),
            Err(GroupError::All(error)) => {
                jobs.into_iter().for_each(|job| job.fail(error.clone()));
                return;
            }
        }
    }
}

fn try_group(db: &Database, jobs: &mut [Box<dyn Job>], max_bytes: u64) -> Result<(), GroupError> {
    let mut tx = db.begin_write().engine().map_err(GroupError::All)?;
    // The default, said out loud: the commit returns once fsync has.
    tx.set_durability(Durability::Immediate)
        .engine()
        .map_err(GroupError::All)?;
    let dirty = {
        let mut tables = Tables::open(&tx, max_bytes).map_err(GroupError::All)?;
        for (i, job) in jobs.iter_mut().enumerate() {
            job.apply(&mut tables).map_err(|e| GroupError::Job(i, e))?;
        }
        tables.flush().map_err(GroupError::All)?;
        tables.is_dirty()
    };
    if dirty {
        tx.commit().engine().map_err(GroupError::All)
    } else {
        // Nothing to make durable: every answer was read from committed state.
        tx.abort().engine().map_err(GroupError::All)
    }
}

fn compact(db: &SharedDb) -> Result<bool, StoreError> {
    let mut guard = db.write().unwrap_or_else(PoisonError::into_inner);
    let db = guard.as_mut().ok_or(StoreError::Closed)?;
    db.compact(CompactionMode::Balanced).engine()
}
