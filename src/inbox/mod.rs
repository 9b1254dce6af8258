//! The durable inbox (work in progress).

mod admin;
mod attempt;
mod error;
mod inbox;
mod lease;
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
pub use inbox::{DEFAULT_RECEIVE_TIMEOUT, DEFAULT_RETENTION, Inbox, InboxBuilder, MIN_RETENTION};
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
