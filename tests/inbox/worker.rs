//! The worker, stepped with `tick()` on a manual wall clock: retries on the schedule (due
//! times checked against the jitter bounds), dead letters, replay, pause, leases, fences,
//! concurrency; and the background loop with its graceful stop.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hookguard::inbox::{
    AttemptOutcome, DEFAULT_LEASE, DeadLetter, DeadReason, Finish, HandlerError, InboxDelivery,
    InboxId, ListQuery, ReplayOutcome, RetrySchedule, State, Timestamp, Trigger, Worker,
};
use tokio::sync::{Notify, oneshot};

use crate::contract::receipt;
use crate::{Fixture, fixture};
use hookguard::inbox::WallClock as _;

/// Dead letters seen by the callback.
type Dead = Arc<Mutex<Vec<DeadLetter>>>;

fn dead_box() -> Dead {
    Arc::new(Mutex::new(Vec::new()))
}

fn collect(dead: &Dead) -> impl Fn(&DeadLetter) + Send + Sync + 'static {
    let dead = dead.clone();
    move |letter| dead.lock().unwrap().push(letter.clone())
}

async fn receive(f: &Fixture, id: &str, body: &[u8]) -> InboxId {
    f.inbox
        .receive(receipt("orders", id, body))
        .await
        .unwrap()
        .id()
}

async fn summary(f: &Fixture, id: InboxId) -> hookguard::inbox::DeliverySummary {
    f.inbox.show(id).await.unwrap().summary().clone()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The default schedule, run to its end: 13 attempts, each due within its delay plus
/// 0–25 % jitter after the previous failure, nothing run a millisecond early, then dead
/// (schedule spent) with the callback fired once.
#[tokio::test]
async fn retries_follow_the_default_schedule_to_dead() {
    let f = fixture("schedule");
    let runs = Arc::new(AtomicU32::new(0));
    let dead = dead_box();
    let counter = runs.clone();
    let worker = f
        .inbox
        .worker()
        .route("orders", move |d: InboxDelivery| {
            let run = counter.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                if d.attempt() != run {
                    return Err(HandlerError::permanent("attempt numbers out of step"));
                }
                Err(HandlerError::retryable("upstream answered 503"))
            }
        })
        .on_dead(collect(&dead))
        .build()
        .unwrap();
    let id = receive(&f, "msg_sched", b"{}").await;
    let schedule = RetrySchedule::default();
    let mut report = worker.tick().await.unwrap();
    for failed in 1..=12 {
        assert_eq!((report.started, report.retried), (1, 1), "attempt {failed}");
        let due = summary(&f, id).await.due_at().unwrap();
        let (low, high) = schedule.wait_bounds(failed).unwrap();
        let failed_at = f.clock.now();
        assert!(
            due >= failed_at.saturating_add(low) && due <= failed_at.saturating_add(high),
            "attempt {failed}: due {due:?} not within {low:?}..={high:?} of {failed_at:?}"
        );
        f.clock.set(due.saturating_sub(ms(1)));
        assert_eq!(worker.tick().await.unwrap().started, 0, "early {failed}");
        f.clock.set(due);
        report = worker.tick().await.unwrap();
    }
    assert_eq!((report.started, report.dead), (1, 1));
    assert_eq!(runs.load(Ordering::SeqCst), 13);
    let detail = f.inbox.show(id).await.unwrap();
    let s = detail.summary();
    assert_eq!(
        (s.state(), s.dead_reason()),
        (State::Dead, Some(DeadReason::ScheduleSpent))
    );
    assert_eq!(detail.attempts().len(), 13);
    assert!(detail.attempts().iter().all(
        |a| a.outcome() == AttemptOutcome::Failed && a.error() == Some("upstream answered 503")
    ));
    let dead = dead.lock().unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!((dead[0].id(), dead[0].attempts()), (id, 13));
    assert_eq!(dead[0].reason(), DeadReason::ScheduleSpent);
    assert_eq!(dead[0].error(), Some("upstream answered 503"));
}

#[tokio::test]
async fn a_permanent_error_is_dead_at_once() {
    let f = fixture("permanent");
    let dead = dead_box();
    let worker = f
        .inbox
        .worker()
        .route("orders", |_| async {
            Err(HandlerError::permanent("unknown event type"))
        })
        .on_dead(collect(&dead))
        .build()
        .unwrap();
    let id = receive(&f, "msg_perm", b"{}").await;
    let report = worker.tick().await.unwrap();
    assert_eq!((report.started, report.dead), (1, 1));
    let detail = f.inbox.show(id).await.unwrap();
    assert_eq!(detail.summary().dead_reason(), Some(DeadReason::Permanent));
    assert_eq!(detail.attempts()[0].outcome(), AttemptOutcome::Rejected);
    assert_eq!(dead.lock().unwrap()[0].reason(), DeadReason::Permanent);
    f.clock.advance(Duration::from_secs(3600));
    assert_eq!(worker.tick().await.unwrap().started, 0);
}

#[tokio::test]
async fn max_age_ends_the_retries() {
    let f = fixture("max-age");
    let schedule = RetrySchedule::new([Duration::from_secs(10); 5])
        .unwrap()
        .jitter_percent(0)
        .unwrap()
        .max_age(Duration::from_secs(15));
    let worker = f
        .inbox
        .worker()
        .route("orders", |_| async { Err(HandlerError::retryable("down")) })
        .schedule(schedule)
        .build()
        .unwrap();
    let id = receive(&f, "msg_age", b"{}").await;
    let t0 = f.clock.now();
    worker.tick().await.unwrap();
    assert_eq!(
        summary(&f, id).await.due_at(),
        Some(t0.saturating_add(Duration::from_secs(10)))
    );
    f.clock.advance(Duration::from_secs(10));
    assert_eq!(worker.tick().await.unwrap().dead, 1);
    assert_eq!(
        summary(&f, id).await.dead_reason(),
        Some(DeadReason::MaxAge)
    );
}

/// A handler's `retry_after` replaces the schedule's delay.
#[tokio::test]
async fn retry_after_is_honoured() {
    let f = fixture("retry-after");
    let worker = f
        .inbox
        .worker()
        .route("orders", |_| async {
            Err(HandlerError::retryable("rate limited").retry_after(Duration::from_secs(7)))
        })
        .build()
        .unwrap();
    let id = receive(&f, "msg_ra", b"{}").await;
    worker.tick().await.unwrap();
    let due = f.clock.now().saturating_add(Duration::from_secs(7));
    assert_eq!(summary(&f, id).await.due_at(), Some(due));
}

/// The brief's example: four failed attempts, dead; the fix ships; a replay runs attempt 5
/// (trigger `replay`), which succeeds; the history keeps all five.
#[tokio::test]
async fn replay_runs_again_with_the_next_attempt_number() {
    let f = fixture("replay");
    let fixed = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (is_fixed, log) = (fixed.clone(), seen.clone());
    let schedule = RetrySchedule::new([Duration::from_secs(1); 3])
        .unwrap()
        .jitter_percent(0)
        .unwrap();
    let worker = f
        .inbox
        .worker()
        .route("orders", move |d: InboxDelivery| {
            log.lock().unwrap().push((d.attempt(), d.trigger()));
            let ok = is_fixed.load(Ordering::SeqCst);
            async move {
                if ok {
                    Ok(())
                } else {
                    Err(HandlerError::retryable("bug"))
                }
            }
        })
        .schedule(schedule)
        .build()
        .unwrap();
    let id = receive(&f, "msg_fix", b"{}").await;
    for _ in 0..4 {
        worker.tick().await.unwrap();
        f.clock.advance(Duration::from_secs(1));
    }
    assert_eq!(summary(&f, id).await.state(), State::Dead);
    fixed.store(true, Ordering::SeqCst);
    assert_eq!(f.inbox.replay(id).await.unwrap(), ReplayOutcome::Replayed);
    assert_eq!(worker.tick().await.unwrap().succeeded, 1);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 5);
    assert_eq!(seen[4], (5, Trigger::Replay));
    assert_eq!(seen[1], (2, Trigger::Retry));
    let detail = f.inbox.show(id).await.unwrap();
    assert_eq!(detail.summary().state(), State::Done);
    assert_eq!(detail.attempts().len(), 5);
}

#[tokio::test]
async fn replay_every_dead_delivery_with_a_dry_run_first() {
    let f = fixture("bulk");
    let worker = f
        .inbox
        .worker()
        .route("orders", |_| async { Err(HandlerError::permanent("no")) })
        .build()
        .unwrap();
    for n in 0..3 {
        receive(&f, &format!("msg_b{n}"), b"{}").await;
    }
    assert_eq!(worker.tick().await.unwrap().dead, 3);
    let plan = f.inbox.replay_dead(ListQuery::new(), true).await.unwrap();
    assert_eq!(
        (plan.ids().len(), plan.replayed(), plan.dry_run()),
        (3, 0, true)
    );
    assert_eq!(f.inbox.counts().await.unwrap().get(State::Dead), 3);
    let done = f.inbox.replay_dead(ListQuery::new(), false).await.unwrap();
    assert_eq!(done.replayed(), 3);
    assert_eq!(f.inbox.counts().await.unwrap().get(State::Pending), 3);
}

/// A paused route still commits (held); nothing runs until it resumes.
#[tokio::test]
async fn pause_holds_and_resume_runs() {
    let f = fixture("pause");
    let runs = Arc::new(AtomicU32::new(0));
    let counter = runs.clone();
    let worker = f
        .inbox
        .worker()
        .route("orders", move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
            async { Ok(()) }
        })
        .build()
        .unwrap();
    f.inbox.pause("orders").await.unwrap();
    let id = receive(&f, "msg_p", b"{}").await;
    assert_eq!(summary(&f, id).await.state(), State::Held);
    assert_eq!(worker.tick().await.unwrap().started, 0);
    assert_eq!(f.inbox.resume("orders").await.unwrap(), 1);
    assert_eq!(worker.tick().await.unwrap().succeeded, 1);
    assert_eq!(
        (runs.load(Ordering::SeqCst), summary(&f, id).await.state()),
        (1, State::Done)
    );
}

/// A worker whose lease expired while its handler ran cannot mark the delivery done: the
/// delivery was taken back and leased again, and only the new holder's done mark counts.
#[tokio::test]
async fn a_worker_that_lost_its_lease_cannot_mark_done() {
    let f = fixture("fence");
    let (started_tx, started_rx) = oneshot::channel::<()>();
    let started = Arc::new(Mutex::new(Some(started_tx)));
    let gate = Arc::new(Notify::new());
    let (signal, wait) = (started.clone(), gate.clone());
    let worker = f
        .inbox
        .worker()
        .route("orders", move |_| {
            let (signal, wait) = (signal.clone(), wait.clone());
            async move {
                if let Some(tx) = signal.lock().unwrap().take() {
                    let _ = tx.send(());
                }
                wait.notified().await;
                Ok(())
            }
        })
        .build()
        .unwrap();
    let id = receive(&f, "msg_lost", b"{}").await;
    let stepping = worker.clone();
    let first = tokio::spawn(async move { stepping.tick().await });
    started_rx.await.unwrap();
    f.clock.advance(DEFAULT_LEASE + Duration::from_secs(1));
    let store = f.inbox.store();
    assert_eq!(store.take_back_expired(f.clock.now()).await.unwrap(), 1);
    let again = store
        .lease("orders", 1, DEFAULT_LEASE, f.clock.now())
        .await
        .unwrap();
    assert_eq!(again[0].attempt(), 2);
    // The first worker's handler finishes while the second holder still runs: its done
    // mark is refused, and the second holder's is the one.
    gate.notify_one();
    let report = first.await.unwrap().unwrap();
    assert_eq!((report.started, report.lost, report.succeeded), (1, 1, 0));
    assert_eq!(summary(&f, id).await.state(), State::Processing);
    let finish = Finish::succeeded(f.clock.now(), Duration::ZERO);
    assert!(store.complete(id, again[0].token(), finish).await.unwrap());
    let detail = f.inbox.show(id).await.unwrap();
    assert_eq!(detail.summary().state(), State::Done);
    let outcomes: Vec<_> = detail.attempts().iter().map(|a| a.outcome()).collect();
    assert_eq!(
        outcomes,
        [AttemptOutcome::Interrupted, AttemptOutcome::Succeeded]
    );
}

/// At most `concurrency` deliveries of a route run at once.
#[tokio::test]
async fn concurrency_is_bounded_per_route() {
    let f = fixture("concurrency");
    let (now, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (running, most) = (now.clone(), peak.clone());
    let worker = f
        .inbox
        .worker()
        .route("orders", move |_| {
            let (running, most) = (running.clone(), most.clone());
            async move {
                let n = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(n, Ordering::SeqCst);
                for _ in 0..10 {
                    tokio::task::yield_now().await;
                }
                running.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            }
        })
        .concurrency("orders", 3)
        .build()
        .unwrap();
    for n in 0..10 {
        receive(&f, &format!("msg_cc{n}"), b"{}").await;
    }
    let mut done = 0;
    for _ in 0..4 {
        let report = worker.tick().await.unwrap();
        assert!(report.started <= 3, "{report:?}");
        done += report.succeeded;
    }
    assert_eq!(done, 10);
    assert!(peak.load(Ordering::SeqCst) <= 3);
    assert_eq!(worker.in_flight("orders"), 0);
}

/// Panics and timeouts are retryable failures, recorded as such.
#[tokio::test]
async fn panics_and_timeouts_are_retried() {
    let f = fixture("panic");
    let calls = Arc::new(AtomicU32::new(0));
    let counter = calls.clone();
    let worker = f
        .inbox
        .worker()
        .route("orders", move |d: InboxDelivery| {
            counter.fetch_add(1, Ordering::SeqCst);
            async move {
                match d.attempt() {
                    1 => panic!("handler bug"),
                    2 => std::future::pending::<Result<(), HandlerError>>().await,
                    _ => Ok(()),
                }
            }
        })
        .handler_timeout(ms(200))
        .build()
        .unwrap();
    let id = receive(&f, "msg_panic", b"{}").await;
    for _ in 0..3 {
        worker.tick().await.unwrap();
        let due = summary(&f, id).await.due_at();
        if let Some(due) = due {
            f.clock.set(due);
        }
    }
    let detail = f.inbox.show(id).await.unwrap();
    let outcomes: Vec<_> = detail.attempts().iter().map(|a| a.outcome()).collect();
    assert_eq!(
        outcomes,
        [
            AttemptOutcome::Panicked,
            AttemptOutcome::TimedOut,
            AttemptOutcome::Succeeded
        ]
    );
    assert_eq!(detail.attempts()[0].error(), Some("handler panicked"));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

/// A delivery whose attempts keep being interrupted (a handler that crashes the process)
/// goes dead once past the schedule, without running again.
#[tokio::test]
async fn interrupted_attempts_count_against_the_schedule() {
    let f = fixture("poison");
    let runs = Arc::new(AtomicU32::new(0));
    let counter = runs.clone();
    let worker = f
        .inbox
        .worker()
        .route("orders", move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
            async { Ok(()) }
        })
        .schedule(RetrySchedule::new([Duration::from_secs(1)]).unwrap())
        .build()
        .unwrap();
    let id = receive(&f, "msg_crash", b"{}").await;
    let store = f.inbox.store();
    for _ in 0..2 {
        store
            .lease("orders", 1, DEFAULT_LEASE, f.clock.now())
            .await
            .unwrap();
        f.clock.advance(DEFAULT_LEASE);
        store.take_back_expired(f.clock.now()).await.unwrap();
    }
    assert_eq!(worker.tick().await.unwrap().dead, 1);
    assert_eq!(runs.load(Ordering::SeqCst), 0);
    let detail = f.inbox.show(id).await.unwrap();
    assert_eq!(
        detail.summary().dead_reason(),
        Some(DeadReason::ScheduleSpent)
    );
    assert_eq!(detail.attempts()[2].outcome(), AttemptOutcome::Expired);
}

#[derive(serde::Deserialize)]
struct Invoice {
    amount: u32,
}

/// The handler gets the verified metadata and decodes the exact bytes.
#[tokio::test]
async fn handlers_see_metadata_and_decode_the_body() {
    let f = fixture("decode");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let worker = f
        .inbox
        .worker()
        .route("orders", move |d: InboxDelivery| {
            let log = log.clone();
            async move {
                let invoice: Invoice = d.json()?;
                let bad = d.form::<Vec<(String, u32)>>().unwrap_err();
                log.lock().unwrap().push((
                    invoice.amount,
                    d.provider().to_owned(),
                    d.delivery_id().to_string(),
                    d.idempotency_key(),
                    d.header("Webhook-Id").is_some(),
                    bad.format(),
                    format!("{d:?}").contains("1200"),
                ));
                Ok(())
            }
        })
        .build()
        .unwrap();
    receive(&f, "msg_dec", br#"{"amount":1200}"#).await;
    assert_eq!(worker.tick().await.unwrap().succeeded, 1);
    let seen = seen.lock().unwrap();
    let expected = (
        1200,
        "standard-webhooks".to_owned(),
        "msg_dec".to_owned(),
        "/standard-webhooks/msg_dec".to_owned(),
        true,
        "form",
        false,
    );
    assert_eq!(seen[..], [expected]);
}

/// Retention prunes finished deliveries and their ids.
#[tokio::test]
async fn prune_removes_finished_deliveries_past_the_retention() {
    let f = fixture("prune");
    let worker = f
        .inbox
        .worker()
        .route("orders", |_| async { Ok(()) })
        .build()
        .unwrap();
    let id = receive(&f, "msg_old", b"{}").await;
    worker.tick().await.unwrap();
    f.clock.advance(f.inbox.retention());
    assert_eq!(f.inbox.prune().await.unwrap().records(), 0);
    f.clock.advance(ms(1));
    assert_eq!(f.inbox.prune().await.unwrap().records(), 1);
    assert!(f.inbox.show(id).await.is_err());
}

async fn wait_for(worker: &Worker, id: InboxId, state: State) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let now = worker.inbox().show(id).await.unwrap().summary().state();
        if now == state {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "still {now}");
        tokio::time::sleep(ms(5)).await;
    }
}

/// The background loop runs new receipts at once (woken by the commit), and a graceful
/// stop gives back the lease of a handler that did not finish in time.
#[tokio::test]
async fn the_background_worker_runs_receipts_and_stops_gracefully() {
    let f = fixture("background");
    let gate = Arc::new(Notify::new());
    let wait = gate.clone();
    let worker = f
        .inbox
        .worker()
        .route("orders", move |d: InboxDelivery| {
            let wait = wait.clone();
            async move {
                if d.body().as_ref() == b"\"hang\"" {
                    wait.notified().await;
                }
                Ok(())
            }
        })
        .poll_interval(Duration::from_secs(3600))
        .stop_timeout(ms(100))
        .build()
        .unwrap();
    let handle = worker.clone().start();
    let quick = receive(&f, "msg_quick", b"{}").await;
    wait_for(&worker, quick, State::Done).await;
    let stuck = receive(&f, "msg_hang", b"\"hang\"").await;
    wait_for(&worker, stuck, State::Processing).await;
    handle.stop().await;
    let detail = f.inbox.show(stuck).await.unwrap();
    assert_eq!(detail.summary().state(), State::Pending);
    assert_eq!(detail.attempts()[0].outcome(), AttemptOutcome::Interrupted);
    assert_eq!(worker.in_flight("orders"), 0);
    let _ = Timestamp::default();
}
