//! [`Worker`]: runs each route's handler on the deliveries the inbox holds, with leases,
//! retries on the schedule, and dead letters.

mod background;
mod dead;
mod delivery;
mod handler;
mod redact;
mod run;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::task::JoinSet;

pub use background::WorkerHandle;
pub use dead::DeadLetter;
pub use delivery::{InboxDelivery, PayloadError};
pub use handler::HandlerError;

use super::error::{InboxConfigError, InboxError};
use super::handle::Inbox;
use super::lease::FenceToken;
use super::receipt::valid_name;
use super::record::InboxId;
use super::schedule::RetrySchedule;
use dead::DeadCallback;
use handler::BoxedHandler;
use run::RunOutcome;

/// Default lease: how long a worker may hold a delivery before another may take it.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);
/// Default handler timeout; a handler that runs longer has failed (retryable).
pub const DEFAULT_HANDLER_TIMEOUT: Duration = Duration::from_secs(30);
/// Default number of deliveries of one route handled at once.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// Default time between two looks for due deliveries (new receipts wake the worker at once).
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Default time a stopping worker waits for running handlers before it gives their leases
/// back.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time between two prunes of old deliveries.
pub const DEFAULT_PRUNE_INTERVAL: Duration = Duration::from_secs(3600);

/// One route's handler and its concurrency.
pub(crate) struct Route {
    name: String,
    handler: BoxedHandler,
    concurrency: usize,
    in_flight: AtomicUsize,
}

/// Builds a [`Worker`]: handlers per route, and the retry policy.
pub struct WorkerBuilder {
    inbox: Inbox,
    routes: Vec<(String, BoxedHandler)>,
    concurrency: HashMap<String, usize>,
    default_concurrency: usize,
    schedule: RetrySchedule,
    lease: Duration,
    handler_timeout: Duration,
    poll_interval: Duration,
    stop_timeout: Duration,
    prune_interval: Duration,
    on_dead: Option<DeadCallback>,
}

impl fmt::Debug for WorkerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let routes: Vec<&str> = self.routes.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("WorkerBuilder")
            .field("routes", &routes)
            .field("schedule", &self.schedule)
            .field("lease", &self.lease)
            .field("handler_timeout", &self.handler_timeout)
            .finish_non_exhaustive()
    }
}

impl WorkerBuilder {
    pub(crate) fn new(inbox: Inbox) -> Self {
        Self {
            inbox,
            routes: Vec::new(),
            concurrency: HashMap::new(),
            default_concurrency: DEFAULT_CONCURRENCY,
            schedule: RetrySchedule::default(),
            lease: DEFAULT_LEASE,
            handler_timeout: DEFAULT_HANDLER_TIMEOUT,
            poll_interval: DEFAULT_POLL_INTERVAL,
            stop_timeout: DEFAULT_STOP_TIMEOUT,
            prune_interval: DEFAULT_PRUNE_INTERVAL,
            on_dead: None,
        }
    }

    /// Runs `handler` for the deliveries of `route`. Deliveries of routes without a handler
    /// stay pending.
    pub fn route<F, Fut>(mut self, route: &str, handler: F) -> Self
    where
        F: Fn(InboxDelivery) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        self.routes
            .push((route.to_owned(), handler::boxed(handler)));
        self
    }

    /// At most `n` deliveries of `route` at once. Defaults to [`DEFAULT_CONCURRENCY`].
    pub fn concurrency(mut self, route: &str, n: usize) -> Self {
        self.concurrency.insert(route.to_owned(), n);
        self
    }

    /// The concurrency of routes without their own. Defaults to [`DEFAULT_CONCURRENCY`].
    pub fn default_concurrency(mut self, n: usize) -> Self {
        self.default_concurrency = n;
        self
    }

    /// The retry schedule. Defaults to [`RetrySchedule::default`].
    pub fn schedule(mut self, schedule: RetrySchedule) -> Self {
        self.schedule = schedule;
        self
    }

    /// The lease. Defaults to [`DEFAULT_LEASE`]; at least the handler timeout + 5 s.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// The handler timeout. Defaults to [`DEFAULT_HANDLER_TIMEOUT`].
    pub fn handler_timeout(mut self, timeout: Duration) -> Self {
        self.handler_timeout = timeout;
        self
    }

    /// How often the background loop looks for due deliveries. Defaults to
    /// [`DEFAULT_POLL_INTERVAL`].
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// How long [`WorkerHandle::stop`] waits for running handlers. Defaults to
    /// [`DEFAULT_STOP_TIMEOUT`].
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }

    /// How often the background loop prunes deliveries past the retention. Defaults to
    /// [`DEFAULT_PRUNE_INTERVAL`].
    pub fn prune_interval(mut self, interval: Duration) -> Self {
        self.prune_interval = interval;
        self
    }

    /// Runs `callback` when a delivery goes dead (after the dead mark is on disk), besides
    /// the warning logged. Keep it short: it runs on the worker's task.
    pub fn on_dead<F: Fn(&DeadLetter) + Send + Sync + 'static>(mut self, callback: F) -> Self {
        self.on_dead = Some(Arc::new(callback));
        self
    }

    /// Checks the settings.
    pub fn build(self) -> Result<Worker, InboxConfigError> {
        self.check()?;
        let routes = self
            .routes
            .into_iter()
            .map(|(name, handler)| Route {
                concurrency: *self
                    .concurrency
                    .get(&name)
                    .unwrap_or(&self.default_concurrency),
                name,
                handler,
                in_flight: AtomicUsize::new(0),
            })
            .collect();
        Ok(Worker {
            inner: Arc::new(WorkerInner {
                inbox: self.inbox,
                routes,
                schedule: self.schedule,
                lease: self.lease,
                handler_timeout: self.handler_timeout,
                poll_interval: self.poll_interval,
                stop_timeout: self.stop_timeout,
                prune_interval: self.prune_interval,
                on_dead: self.on_dead,
                held: Mutex::new(HashMap::new()),
            }),
        })
    }

    fn check(&self) -> Result<(), InboxConfigError> {
        if self.routes.is_empty() {
            return Err(InboxConfigError::NoRoutes);
        }
        for (i, (name, _)) in self.routes.iter().enumerate() {
            let twice = self.routes[..i].iter().any(|(n, _)| n == name);
            if name.is_empty() || !valid_name(name) || twice {
                return Err(InboxConfigError::InvalidRoute);
            }
        }
        if self
            .concurrency
            .keys()
            .any(|r| !self.routes.iter().any(|(n, _)| n == r))
        {
            return Err(InboxConfigError::UnknownRoute);
        }
        if self.default_concurrency == 0 || self.concurrency.values().any(|n| *n == 0) {
            return Err(InboxConfigError::ZeroConcurrency);
        }
        let durations = [
            self.handler_timeout,
            self.poll_interval,
            self.stop_timeout,
            self.prune_interval,
            self.schedule.get_max_age(),
        ];
        if durations.iter().any(Duration::is_zero) {
            return Err(InboxConfigError::ZeroDuration);
        }
        if self.lease < self.handler_timeout.saturating_add(Duration::from_secs(5)) {
            return Err(InboxConfigError::LeaseTooShort);
        }
        Ok(())
    }
}

/// Runs the handlers of an [`Inbox`]: takes due deliveries under leases, runs them with
/// bounded concurrency per route, records every attempt, retries failures on the
/// [`RetrySchedule`], and marks what keeps failing dead.
///
/// Drive it with [`start`](Self::start) (a background task), or step it with
/// [`tick`](Self::tick) (tests, with a manual clock: no sleeping). Cheap to clone.
#[derive(Clone)]
pub struct Worker {
    pub(crate) inner: Arc<WorkerInner>,
}

pub(crate) struct WorkerInner {
    pub(crate) inbox: Inbox,
    pub(crate) routes: Vec<Route>,
    pub(crate) schedule: RetrySchedule,
    pub(crate) lease: Duration,
    pub(crate) handler_timeout: Duration,
    pub(crate) poll_interval: Duration,
    pub(crate) stop_timeout: Duration,
    pub(crate) prune_interval: Duration,
    pub(crate) on_dead: Option<DeadCallback>,
    /// The leases this worker holds, to give back if it stops before they end.
    pub(crate) held: Mutex<HashMap<InboxId, FenceToken>>,
}

impl fmt::Debug for Worker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let routes: Vec<&str> = self.inner.routes.iter().map(|r| r.name.as_str()).collect();
        f.debug_struct("Worker")
            .field("routes", &routes)
            .field("schedule", &self.inner.schedule)
            .finish_non_exhaustive()
    }
}

/// What one [`Worker::tick`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TickReport {
    /// Expired leases taken back.
    pub taken_back: usize,
    /// Deliveries leased and started.
    pub started: usize,
    /// Attempts that succeeded (done).
    pub succeeded: usize,
    /// Attempts that failed and will run again.
    pub retried: usize,
    /// Deliveries that went dead.
    pub dead: usize,
    /// Attempts whose lease was lost before they finished (their result was not recorded).
    pub lost: usize,
    /// Attempts whose result the store could not record (the lease will expire and the
    /// delivery run again).
    pub store_errors: usize,
}

impl TickReport {
    fn count(&mut self, outcome: RunOutcome) {
        match outcome {
            RunOutcome::Succeeded => self.succeeded += 1,
            RunOutcome::Retried => self.retried += 1,
            RunOutcome::Dead => self.dead += 1,
            RunOutcome::Lost => self.lost += 1,
            RunOutcome::StoreError => self.store_errors += 1,
        }
    }
}

impl Worker {
    /// The inbox it works for.
    pub fn inbox(&self) -> &Inbox {
        &self.inner.inbox
    }

    /// Runs everything due now on the inbox's clock, once: takes back expired leases,
    /// leases due deliveries of each route (up to its free concurrency), runs them and
    /// waits for all of them to finish and be recorded.
    pub async fn tick(&self) -> Result<TickReport, InboxError> {
        let mut report = TickReport {
            taken_back: self.take_back().await?,
            ..TickReport::default()
        };
        let mut runs = JoinSet::new();
        report.started = self.dispatch(&mut runs).await?;
        while let Some(joined) = runs.join_next().await {
            report.count(joined.unwrap_or(RunOutcome::Lost));
        }
        self.refresh_gauges().await;
        Ok(report)
    }

    /// With feature `metrics`: sets the per-state gauges from the store's counts.
    pub(crate) async fn refresh_gauges(&self) {
        #[cfg(feature = "metrics")]
        match self.inner.inbox.counts().await {
            Ok(counts) => crate::inbox::observe::gauges(&counts),
            Err(error) => tracing::debug!(%error, "inbox: could not read counts for the gauges"),
        }
    }

    /// Deliveries of `route` running now.
    pub fn in_flight(&self, route: &str) -> usize {
        self.inner
            .routes
            .iter()
            .find(|r| r.name == route)
            .map_or(0, |r| r.in_flight.load(Ordering::SeqCst))
    }

    /// Takes back expired leases.
    pub(crate) async fn take_back(&self) -> Result<usize, InboxError> {
        let inbox = &self.inner.inbox;
        let taken = inbox.store().take_back_expired(inbox.now()).await?;
        if taken > 0 {
            tracing::info!(leases = taken, "inbox: took back expired leases");
        }
        Ok(taken)
    }

    /// Leases what is due for each route's free slots and spawns the runs into `runs`.
    pub(crate) async fn dispatch(
        &self,
        runs: &mut JoinSet<RunOutcome>,
    ) -> Result<usize, InboxError> {
        let inbox = &self.inner.inbox;
        let now = inbox.now();
        let mut started = 0;
        for (index, route) in self.inner.routes.iter().enumerate() {
            let free = reserve(route);
            if free == 0 {
                continue;
            }
            let leased = inbox
                .store()
                .lease(&route.name, free, self.inner.lease, now)
                .await;
            let leased = match leased {
                Ok(leased) => leased,
                Err(error) => {
                    route.in_flight.fetch_sub(free, Ordering::SeqCst);
                    return Err(error.into());
                }
            };
            // A store answers at most `free`; should one answer more, the slots run over.
            let unused = free.saturating_sub(leased.len());
            route.in_flight.fetch_sub(unused, Ordering::SeqCst);
            let over = leased.len().saturating_sub(free);
            route.in_flight.fetch_add(over, Ordering::SeqCst);
            for delivery in leased {
                let slot = run::Slot::new(self.clone(), index, &delivery);
                runs.spawn(run::run(slot, delivery));
                started += 1;
            }
        }
        Ok(started)
    }

    /// The leases held now.
    pub(crate) fn held_leases(&self) -> Vec<(InboxId, FenceToken)> {
        let held = self
            .inner
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        held.iter().map(|(id, token)| (*id, *token)).collect()
    }
}

/// Takes every free slot of `route`; answers how many.
fn reserve(route: &Route) -> usize {
    let mut taken = 0;
    let _ = route
        .in_flight
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |busy| {
            taken = route.concurrency.saturating_sub(busy);
            Some(busy + taken)
        });
    taken
}
