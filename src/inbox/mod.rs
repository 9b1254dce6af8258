//! The durable inbox: acknowledge only what is on disk, then run the handler with retries,
//! exponential backoff, dead letters and replay (feature `inbox`).
//!
//! In synchronous mode a delivery lives only as long as the HTTP request that carried it:
//! if the handler (or what is behind it) is down, the provider is told so and may or may not
//! retry. With an inbox, a verified delivery — its exact body, the headers needed to verify
//! it again, and its verified metadata — is committed to disk before the provider hears
//! 2xx. A [`Worker`] then runs the route's handler, retries failures on a schedule with
//! jitter, parks what keeps failing as *dead*, and an operator replays it once fixed. Every
//! attempt is recorded: the activity log.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # use hookguard::{Delivery, Provider, Signer, Verifier};
//! use bytes::Bytes;
//! use hookguard::inbox::{HandlerError, Inbox, InboxDelivery, Receipt, Received, State};
//!
//! # let path = std::env::temp_dir().join(format!("hookguard-inbox-doc-{}.redb", std::process::id()));
//! let inbox = Inbox::open(&path)?; // a file path is all the setup
//!
//! // The request path: after the signature verified, commit; answer 2xx only on Ok.
//! # let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
//! # let verifier = Verifier::builder(Provider::StandardWebhooks).secret(secret).build()?;
//! let body = Bytes::from_static(br#"{"type":"invoice.paid","amount":1200}"#);
//! # let headers = Signer::new(Provider::StandardWebhooks, secret)?.sign(&Delivery::new(body.clone()).id("msg_1"))?;
//! let verified = verifier.verify(&http::Method::POST, &"/billing".parse()?, &headers, &body)?;
//! let receipt = Receipt::new("billing", "", &verified, body)?;
//! let Received::Committed(id) = inbox.receive(receipt).await? else { unreachable!() };
//!
//! // The handler path: a worker per process, handlers per route.
//! #[derive(serde::Deserialize)]
//! struct Invoice { amount: u64 }
//! let worker = inbox
//!     .worker()
//!     .route("billing", |delivery: InboxDelivery| async move {
//!         let invoice: Invoice = delivery.json()?;
//!         if invoice.amount == 0 {
//!             return Err(HandlerError::permanent("empty invoice"));
//!         }
//!         // … book it, idempotently on delivery.idempotency_key() …
//!         Ok(())
//!     })
//!     .build()?;
//! worker.tick().await?; // or `worker.start()` in a server
//! assert_eq!(inbox.show(id).await?.summary().state(), State::Done);
//! # drop((worker, inbox)); std::fs::remove_file(&path)?;
//! # Ok(()) }
//! ```
//!
//! ## What a receipt answers
//!
//! [`Inbox::receive`] returns only once the delivery is durable (fsync'd):
//!
//! | answer | meaning | the HTTP answer |
//! |---|---|---|
//! | [`Received::Committed`] | new, on disk | 2xx |
//! | [`Received::Duplicate`] | same tenant, provider, delivery id and body digest already in the inbox; nothing written | 2xx |
//! | [`InboxError::Conflict`] | same id with another body; nothing written; a warning logged | 409 `delivery_conflict` |
//! | [`InboxError::Full`], [`InboxError::Timeout`], [`InboxError::Unavailable`] | not committed | 503 + `Retry-After` ([`InboxError::retry_after`]), never 2xx |
//!
//! Dedupe happens at insert, in the same transaction as the insert, so racing copies of one
//! delivery make one record. A [`Receipt`] can only be built from a [`Verified`](crate::Verified)
//! value: forged traffic never writes.
//!
//! ## A delivery's life
//!
//! ```text
//! receipt ─► pending ─lease + fencing token─► processing ─Ok─► done
//!               ▲                                 │ retryable error, panic, timeout, lease lost
//!               └──────── retry at ◄──────────────┘
//!            processing ─permanent error, schedule spent, too old─► dead (+ warning, + on_dead)
//!  pending ─route paused─► held ─resume─► pending
//!  done | dead ─replay─► pending (attempts kept, numbered on)
//!  done | dead ─older than the retention─► pruned
//! ```
//!
//! - **At least once, honestly.** A crash after the handler's effect and before the done
//!   mark runs the handler again. Make effects idempotent on
//!   [`InboxDelivery::idempotency_key`]; [`InboxDelivery::attempt`] counts every attempt,
//!   replays included. The done mark itself is written once: only the holder of the current
//!   lease's [`FenceToken`] can write it, so a worker whose lease expired cannot.
//! - **Leases.** A worker leases due deliveries (default 60 s, longer than the handler
//!   timeout of 30 s) with a fencing token that grows with every lease. Expired leases are
//!   taken back by the next worker step. The embedded store has one process per file, so
//!   on open it takes back at once every lease a crashed process left.
//! - **Retries.** [`RetrySchedule::default`]: at once, then 5 s, 30 s, 2 min, 10 min,
//!   30 min, 1 h, 2 h, 4 h, 8 h, 12 h, 12 h, 12 h (13 attempts over about 52 h), each plus
//!   0–25 % jitter, at most 72 h after the receipt (or the latest replay). A handler may ask
//!   for its own delay ([`HandlerError::retry_after`]).
//! - **Dead letters.** A permanent error, a spent schedule or the maximum age make a
//!   delivery dead: a `tracing` warning (never the body) and the
//!   [`on_dead`](WorkerBuilder::on_dead) callback, to page someone. [`Inbox::replay`] and
//!   [`Inbox::replay_dead`] (with a dry run) run them again.
//! - **Pause.** [`Inbox::pause`] holds a route: receipts are still committed and
//!   acknowledged, in the *held* state; [`Inbox::resume`] makes them pending.
//! - **Concurrency.** Per route, default 4 ([`WorkerBuilder::concurrency`]).
//!
//! ## The activity log
//!
//! Every attempt is kept with its delivery ([`Attempt`]): number, trigger, start, end,
//! outcome, latency and the handler's error message, truncated to 1 KiB. The message is
//! the text of [`HandlerError`]; its source error is never recorded, and any run of 16 or
//! more bytes of the message copied from the body is redacted. [`Inbox::list`] pages
//! through deliveries by state, route, provider, tenant and time; [`Inbox::show`] gives
//! one with its attempts, and only [`Inbox::show_with_payload`] its body and headers.
//! Done and dead deliveries are pruned after the retention (default 30 days, at least
//! 3 days: the dedupe horizon of the providers that retry longest), then the file is
//! compacted.
//!
//! ## Stores
//!
//! [`InboxStore`] is a trait of atomic primitives (insert-or-dedupe a batch, lease, complete
//! or fail with a fence, release, take back, pause, replay, get, list, counts, prune,
//! compact); the policy lives in [`Inbox`] and [`Worker`]. Its methods return boxed
//! futures, so a store is object-safe (`Arc<dyn InboxStore>`) and a network store (Redis)
//! can implement it natively async; every time is passed in, so tests drive a store with a
//! [`ManualWallClock`].
//!
//! [`RedbStore`] is the embedded default: one [redb](https://www.redb.org) file (pure
//! Rust, checksummed, crash-safe), durable commits (`Durability::Immediate`), and **group
//! commit**: one writer thread puts every write that arrived while the previous commit was
//! being fsync'd into the next transaction, and each caller waits for its own commit. A lone
//! receipt is committed at once; concurrent ones share fsyncs, so receipts per second grow
//! with concurrency instead of being capped by one fsync each. A byte capacity
//! ([`RedbStoreBuilder::max_bytes`]) turns a full disk into a clean 503.
//!
//! ## Time
//!
//! The inbox schedules attempts hours ahead and keeps those times across restarts, so it
//! uses wall-clock [`Timestamp`]s (Unix milliseconds) from an injectable [`WallClock`].

mod admin;
mod attempt;
mod error;
mod handle;
mod json;
mod lease;
pub mod observe;
mod query;
mod receipt;
mod record;
mod redb_store;
mod schedule;
mod state;
mod store;
mod time;
mod worker;

pub use admin::{MAX_BULK_REPLAY, PRUNE_BATCH, ReplayPlan};
pub use attempt::{Attempt, AttemptOutcome, Finish, MAX_ERROR_LEN};
pub use error::{InboxConfigError, InboxError, StoreError, UNAVAILABLE_RETRY_AFTER, UnknownName};
pub use handle::{DEFAULT_RECEIVE_TIMEOUT, DEFAULT_RETENTION, Inbox, InboxBuilder, MIN_RETENTION};
pub use lease::{AfterFailure, FenceToken, Leased};
pub use query::{Counts, Cursor, DEFAULT_PAGE, ListQuery, MAX_PAGE, Page, Pruned, ReplayOutcome};
pub use receipt::{InsertOutcome, InvalidName, MAX_NAME_LEN, Receipt, Received};
pub use record::{DeliveryDetail, DeliveryMeta, DeliverySummary, InboxId, Payload};
pub use redb_store::{
    DEFAULT_MAX_BYTES, QUEUE_CAPACITY, RECORD_OVERHEAD, RedbStore, RedbStoreBuilder,
};
pub use schedule::{
    DEFAULT_DELAYS, DEFAULT_JITTER_PERCENT, DEFAULT_MAX_AGE, MAX_DELAY, MAX_RETRIES, RetrySchedule,
};
pub use state::{DeadReason, State, Trigger};
pub use store::{InboxStore, StoreFuture};
pub use time::{ManualWallClock, SystemWallClock, Timestamp, WallClock};
pub use worker::{
    DEFAULT_CONCURRENCY, DEFAULT_HANDLER_TIMEOUT, DEFAULT_LEASE, DEFAULT_POLL_INTERVAL,
    DEFAULT_PRUNE_INTERVAL, DEFAULT_STOP_TIMEOUT, DeadLetter, HandlerError, InboxDelivery,
    PayloadError, TickReport, Worker, WorkerBuilder, WorkerHandle,
};
