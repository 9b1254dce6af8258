//! One attempt: run the handler under its lease, then record the outcome with the fence.

use std::sync::PoisonError;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use super::Worker;
use super::dead::DeadLetter;
use super::delivery::InboxDelivery;
use super::handler::{BoxedHandler, HandlerError};
use super::redact::redact_body;
use crate::inbox::attempt::{AttemptOutcome, Finish};
use crate::inbox::lease::{AfterFailure, FenceToken, Leased};
use crate::inbox::observe;
use crate::inbox::record::{DeliverySummary, InboxId};

/// How an attempt's run ended, for [`TickReport`](super::TickReport).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunOutcome {
    Succeeded,
    Retried,
    Dead,
    Lost,
    StoreError,
}

/// A route's slot and the lease, held while the run lasts: dropping it (the run finished or
/// was aborted) frees the slot and forgets the lease.
pub(crate) struct Slot {
    worker: Worker,
    route: usize,
    id: InboxId,
}

impl Slot {
    /// Takes the slot (already reserved) and notes the lease.
    pub(crate) fn new(worker: Worker, route: usize, leased: &Leased) -> Self {
        let mut held = worker
            .inner
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        held.insert(leased.id(), leased.token());
        drop(held);
        Self {
            worker,
            route,
            id: leased.id(),
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let inner = &self.worker.inner;
        let mut held = inner.held.lock().unwrap_or_else(PoisonError::into_inner);
        held.remove(&self.id);
        inner.routes[self.route]
            .in_flight
            .fetch_sub(1, Ordering::SeqCst);
    }
}

/// Aborts the handler's task if the run is dropped (a worker stopping gives up on it).
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What calling the handler gave.
enum Called {
    Ok,
    Err(HandlerError),
    Panicked,
    TimedOut,
}

async fn call(handler: &BoxedHandler, delivery: InboxDelivery, timeout: Duration) -> Called {
    let mut task = AbortOnDrop(tokio::spawn(handler(delivery)));
    match tokio::time::timeout(timeout, &mut task.0).await {
        Ok(Ok(Ok(()))) => Called::Ok,
        Ok(Ok(Err(error))) => Called::Err(error),
        Ok(Err(join)) if join.is_panic() => Called::Panicked,
        Ok(Err(_)) | Err(_) => Called::TimedOut,
    }
}

/// Runs one leased delivery and records the outcome.
pub(crate) async fn run(slot: Slot, leased: Leased) -> RunOutcome {
    let worker = slot.worker.clone();
    let inner = &worker.inner;
    let summary = leased.summary().clone();
    let token = leased.token();
    let now = inner.inbox.now();
    let attempt = summary.attempts_in_cycle();
    if let Some(reason) = inner
        .schedule
        .expired(attempt, summary.cycle_started_at, now)
    {
        let finish = Finish::failed(now, Duration::ZERO, AttemptOutcome::Expired, None);
        return record_failure(&worker, &summary, token, finish, AfterFailure::Dead(reason)).await;
    }
    let body = leased.payload().body().clone();
    let handler = &inner.routes[slot.route].handler;
    let started = Instant::now();
    let called = call(handler, InboxDelivery::new(leased), inner.handler_timeout).await;
    let (latency, at) = (started.elapsed(), inner.inbox.now());
    let (outcome, error, next) = match called {
        Called::Ok => {
            return record_success(&worker, &summary, token, Finish::succeeded(at, latency)).await;
        }
        Called::Err(e) if e.is_permanent() => (
            AttemptOutcome::Rejected,
            redact_body(e.message(), &body).into_owned(),
            AfterFailure::Dead(crate::inbox::DeadReason::Permanent),
        ),
        Called::Err(e) => {
            let next = inner.schedule.after_failure(
                attempt,
                summary.cycle_started_at,
                at,
                e.get_retry_after(),
            );
            (
                AttemptOutcome::Failed,
                redact_body(e.message(), &body).into_owned(),
                next,
            )
        }
        Called::Panicked => (
            AttemptOutcome::Panicked,
            "handler panicked".into(),
            retry(&worker, &summary, at),
        ),
        Called::TimedOut => (
            AttemptOutcome::TimedOut,
            "handler timed out".into(),
            retry(&worker, &summary, at),
        ),
    };
    let finish = Finish::failed(at, latency, outcome, Some(&error));
    record_failure(&worker, &summary, token, finish, next).await
}

/// The schedule's answer after a failure that came with no wish of its own.
fn retry(worker: &Worker, summary: &DeliverySummary, at: crate::inbox::Timestamp) -> AfterFailure {
    worker.inner.schedule.after_failure(
        summary.attempts_in_cycle(),
        summary.cycle_started_at,
        at,
        None,
    )
}

async fn record_success(
    worker: &Worker,
    summary: &DeliverySummary,
    token: FenceToken,
    finish: Finish,
) -> RunOutcome {
    let meta = &summary.meta;
    observe::attempt(&meta.route, &meta.provider, finish.outcome, finish.latency);
    match worker
        .inbox()
        .store()
        .complete(summary.id, token, finish)
        .await
    {
        Ok(true) => {
            observe::outcome(&meta.route, &meta.provider, "done");
            tracing::debug!(route = %meta.route, provider = %meta.provider,
                delivery_id = %meta.delivery_id, attempt = summary.attempts,
                "inbox: delivery handled");
            RunOutcome::Succeeded
        }
        Ok(false) => lost(summary),
        Err(error) => store_failed(summary, &error),
    }
}

async fn record_failure(
    worker: &Worker,
    summary: &DeliverySummary,
    token: FenceToken,
    finish: Finish,
    next: AfterFailure,
) -> RunOutcome {
    let meta = &summary.meta;
    let (outcome, error) = (finish.outcome, finish.error.clone());
    observe::attempt(&meta.route, &meta.provider, outcome, finish.latency);
    match worker
        .inbox()
        .store()
        .fail(summary.id, token, finish, next)
        .await
    {
        Ok(true) => match next {
            AfterFailure::RetryAt(at) => {
                observe::outcome(&meta.route, &meta.provider, "retry");
                tracing::info!(route = %meta.route, provider = %meta.provider,
                    delivery_id = %meta.delivery_id, attempt = summary.attempts,
                    outcome = %outcome, retry_at = %at, "inbox: attempt failed, will retry");
                RunOutcome::Retried
            }
            AfterFailure::Dead(reason) => {
                went_dead(worker, summary, reason, error);
                RunOutcome::Dead
            }
        },
        Ok(false) => lost(summary),
        Err(error) => store_failed(summary, &error),
    }
}

fn went_dead(
    worker: &Worker,
    summary: &DeliverySummary,
    reason: crate::inbox::DeadReason,
    error: Option<String>,
) {
    let meta = &summary.meta;
    observe::outcome(&meta.route, &meta.provider, "dead");
    observe::dead(&meta.route, &meta.provider, reason);
    tracing::warn!(route = %meta.route, provider = %meta.provider, tenant = %meta.tenant,
        delivery_id = %meta.delivery_id, inbox_id = %summary.id, attempts = summary.attempts,
        reason = %reason, "inbox: delivery is dead (see its attempts in the activity log)");
    if let Some(callback) = &worker.inner.on_dead {
        callback(&DeadLetter {
            id: summary.id,
            meta: meta.clone(),
            attempts: summary.attempts,
            reason,
            error,
        });
    }
}

fn lost(summary: &DeliverySummary) -> RunOutcome {
    observe::outcome(&summary.meta.route, &summary.meta.provider, "lost");
    tracing::info!(inbox_id = %summary.id, attempt = summary.attempts,
        "inbox: lease lost before the attempt was recorded; another attempt owns it");
    RunOutcome::Lost
}

fn store_failed(summary: &DeliverySummary, error: &crate::inbox::StoreError) -> RunOutcome {
    observe::outcome(&summary.meta.route, &summary.meta.provider, "store_error");
    tracing::warn!(inbox_id = %summary.id, attempt = summary.attempts, error = %error,
        "inbox: could not record the attempt; it runs again when its lease ends");
    RunOutcome::StoreError
}
