//! The worker's background loop, and [`WorkerHandle`] to stop it gracefully.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

use super::Worker;
use super::run::RunOutcome;

/// The stop signal: a flag, and a wake-up for the loop.
#[derive(Default)]
struct Stop {
    flag: AtomicBool,
    notify: Notify,
}

impl Stop {
    fn raise(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.notify.notify_one();
    }
    fn is_raised(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

/// A running worker. [`stop`](Self::stop) it to finish gracefully; dropping the handle asks
/// it to stop too, without waiting.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use hookguard::inbox::{HandlerError, Inbox, InboxDelivery, RetrySchedule};
/// # let path = std::env::temp_dir().join(format!("hookguard-worker-doc-{}.redb", std::process::id()));
/// let inbox = Inbox::open(&path)?;
/// let handle = inbox
///     .worker()
///     .route("billing", |d: InboxDelivery| async move {
///         println!("handled {}", d.delivery_id());
///         Ok::<(), HandlerError>(())
///     })
///     .concurrency("billing", 8)
///     .schedule(RetrySchedule::parse("1s,10s,1m")?)
///     .on_dead(|dead| eprintln!("dead: {} after {} attempts", dead.meta().delivery_id(), dead.attempts()))
///     .build()?
///     .start();
/// // … serve requests, `inbox.receive(…)` on each verified delivery …
/// handle.stop().await; // finishes running handlers, gives back what did not finish
/// # drop(inbox); std::fs::remove_file(&path)?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct WorkerHandle {
    stop: Arc<Stop>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stop")
            .field("raised", &self.is_raised())
            .finish()
    }
}

impl WorkerHandle {
    /// Stops taking new deliveries, waits for the running handlers (up to the stop timeout),
    /// gives back the leases of those still running after it, and returns.
    pub async fn stop(mut self) {
        self.stop.raise();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.stop.raise();
    }
}

impl Worker {
    /// Starts the worker on the current Tokio runtime: it runs what is due, wakes at once
    /// for new receipts, replays and resumes, looks again every poll interval, takes back
    /// expired leases, and prunes past the retention every prune interval.
    pub fn start(self) -> WorkerHandle {
        let stop = Arc::new(Stop::default());
        let task = tokio::spawn(run_loop(self, stop.clone()));
        WorkerHandle {
            stop,
            task: Some(task),
        }
    }
}

/// How often the background loop refreshes the per-state gauges (feature `metrics`).
const GAUGE_INTERVAL: Duration = Duration::from_secs(1);

async fn run_loop(worker: Worker, stop: Arc<Stop>) {
    let inner = worker.inner.clone();
    let mut runs = JoinSet::new();
    let mut pruned_at = Instant::now();
    let mut gauged_at: Option<Instant> = None;
    while !stop.is_raised() {
        if let Err(error) = worker.take_back().await {
            tracing::warn!(%error, "inbox: could not take back expired leases");
        }
        if let Err(error) = worker.dispatch(&mut runs).await {
            tracing::warn!(%error, "inbox: could not lease due deliveries");
        }
        if gauged_at.is_none_or(|at| at.elapsed() >= GAUGE_INTERVAL) {
            gauged_at = Some(Instant::now());
            worker.refresh_gauges().await;
        }
        if pruned_at.elapsed() >= inner.prune_interval {
            pruned_at = Instant::now();
            if let Err(error) = worker.inbox().prune().await {
                tracing::warn!(%error, "inbox: could not prune");
            }
        }
        let wake = &inner.inbox.shared.wake;
        wait(&stop, wake, &mut runs, inner.poll_interval).await;
        while runs.try_join_next().is_some() {}
    }
    shutdown(&worker, runs).await;
}

/// Waits for a stop, a wake-up, a finished run (a slot is free) or the poll interval.
async fn wait(stop: &Stop, wake: &Notify, runs: &mut JoinSet<RunOutcome>, poll: Duration) {
    let mut stopped = pin!(stop.notify.notified());
    let mut woken = pin!(wake.notified());
    let mut slept = pin!(tokio::time::sleep(poll));
    poll_fn(|cx| {
        let ready = stopped.as_mut().poll(cx).is_ready()
            || woken.as_mut().poll(cx).is_ready()
            || slept.as_mut().poll(cx).is_ready()
            || matches!(runs.poll_join_next(cx), Poll::Ready(Some(_)));
        if ready {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
}

/// Lets running handlers finish (up to the stop timeout), then aborts the rest and gives
/// their leases back so the next process runs them at once.
async fn shutdown(worker: &Worker, mut runs: JoinSet<RunOutcome>) {
    let drained = tokio::time::timeout(worker.inner.stop_timeout, async {
        while runs.join_next().await.is_some() {}
    })
    .await
    .is_ok();
    if drained {
        return;
    }
    let held = worker.held_leases();
    runs.abort_all();
    while runs.join_next().await.is_some() {}
    let inbox = worker.inbox();
    for (id, token) in held {
        if let Err(error) = inbox.store().release(id, token, inbox.now()).await {
            tracing::warn!(%error, inbox_id = %id, "inbox: could not give a lease back");
        }
    }
    tracing::info!("inbox: worker stopped; unfinished attempts were given back");
}
