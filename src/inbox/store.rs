//! [`InboxStore`]: the atomic primitives every inbox backend provides.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use super::attempt::Finish;
use super::error::StoreError;
use super::lease::{AfterFailure, FenceToken, Leased};
use super::query::{Counts, ListQuery, Page, Pruned, ReplayOutcome};
use super::receipt::{InsertOutcome, Receipt};
use super::record::{DeliveryDetail, DeliverySummary, InboxId};
use super::time::Timestamp;

/// The future an [`InboxStore`] method returns: boxed, so stores are object-safe and one
/// store is shared as `Arc<dyn InboxStore>` by the receipt path, the worker and the admin API.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Where deliveries live. A store provides atomic primitives only; the policy (when to
/// retry, when a delivery is dead, how long to keep it) lives in the
/// [`Inbox`](super::Inbox) and its [`Worker`](super::Worker).
///
/// Every method is one atomic step; every time is passed in by the caller, so a test drives
/// a store with a manual clock. The contract (the suite in `tests/support/inbox_contract.rs`
/// runs it against each backend):
///
/// - `insert`: each receipt, in one transaction with the rest of the batch: a new
///   (tenant, provider, delivery id) becomes a *pending* record due at `now` (*held* while
///   its route is paused); the same key with the same body digest is a duplicate and writes
///   nothing; the same key with another digest is a conflict and writes nothing; a receipt
///   that would take the store past its byte capacity is refused as full. The call returns
///   only once the transaction is durable.
/// - `lease`: up to `limit` pending records of `route` due at `now`, earliest due first,
///   become *processing* with a new [`FenceToken`], larger than any granted before, until
///   `now + lease`; each counts one more attempt, recorded as running.
/// - `complete`: *processing with this token* → *done* (the done mark, written once);
///   `fail`: → *pending* at the given time (*held* while paused) or *dead*; `release`:
///   → *pending* due at `now`. With any other token, or in any other state, they change
///   nothing and answer `false`.
/// - `take_back_expired`: processing records whose lease ended at or before `now` become
///   pending, due at `now`, their running attempt recorded as interrupted.
/// - `set_paused`: pausing a route moves its pending records to *held*, and makes new
///   receipts and retries of it held; resuming moves them back to *pending*, each keeping
///   its due time.
/// - `replay`: *done* or *dead* → *pending* due at `now` (held while paused), its attempts
///   kept and numbered on.
/// - `prune`: removes up to `limit` done or dead records finished before the cutoff, with
///   their attempts, payloads and dedupe keys.
pub trait InboxStore: Send + Sync + 'static {
    /// Inserts or deduplicates `receipts`, received at `now`, in one transaction; one
    /// outcome per receipt, in order.
    fn insert(&self, receipts: Vec<Receipt>, now: Timestamp)
    -> StoreFuture<'_, Vec<InsertOutcome>>;

    /// Leases up to `limit` deliveries of `route` due at `now`, for `lease`.
    fn lease<'a>(
        &'a self,
        route: &'a str,
        limit: usize,
        lease: Duration,
        now: Timestamp,
    ) -> StoreFuture<'a, Vec<Leased>>;

    /// Marks a leased delivery done. `Ok(false)`: the token is stale, nothing changed.
    fn complete(&self, id: InboxId, token: FenceToken, finish: Finish) -> StoreFuture<'_, bool>;

    /// Records a failed attempt and what follows it. `Ok(false)`: the token is stale,
    /// nothing changed.
    fn fail(
        &self,
        id: InboxId,
        token: FenceToken,
        finish: Finish,
        next: AfterFailure,
    ) -> StoreFuture<'_, bool>;

    /// Gives a lease back unfinished (a worker stopping): pending, due at `now`.
    /// `Ok(false)`: the token is stale, nothing changed.
    fn release(&self, id: InboxId, token: FenceToken, now: Timestamp) -> StoreFuture<'_, bool>;

    /// Takes back the leases that ended at or before `now`; answers how many.
    fn take_back_expired(&self, now: Timestamp) -> StoreFuture<'_, usize>;

    /// Pauses or resumes `route`; answers how many records moved (to held, or back).
    fn set_paused<'a>(
        &'a self,
        route: &'a str,
        paused: bool,
        now: Timestamp,
    ) -> StoreFuture<'a, usize>;

    /// The paused routes.
    fn paused_routes(&self) -> StoreFuture<'_, Vec<String>>;

    /// Replays each delivery (done or dead → pending), in one transaction.
    fn replay(&self, ids: Vec<InboxId>, now: Timestamp) -> StoreFuture<'_, Vec<ReplayOutcome>>;

    /// One delivery with its attempts; headers and body only when `payload` is true.
    fn get(&self, id: InboxId, payload: bool) -> StoreFuture<'_, Option<DeliveryDetail>>;

    /// The deliveries recorded under a provider's delivery id (any tenant, any provider).
    fn find<'a>(&'a self, delivery_id: &'a str) -> StoreFuture<'a, Vec<DeliverySummary>>;

    /// One page of deliveries, newest first.
    fn list(&self, query: ListQuery) -> StoreFuture<'_, Page>;

    /// Deliveries per state and bytes used.
    fn counts(&self) -> StoreFuture<'_, Counts>;

    /// Removes up to `limit` done or dead deliveries finished before `finished_before`.
    fn prune(&self, finished_before: Timestamp, limit: usize) -> StoreFuture<'_, Pruned>;

    /// Gives the space of pruned records back to the file system where the backend can;
    /// answers whether it did anything.
    fn compact(&self) -> StoreFuture<'_, bool>;
}

/// Forwards every method, so `Arc<dyn InboxStore>` and `Arc<RedbStore>` are stores too.
impl<S: InboxStore + ?Sized> InboxStore for std::sync::Arc<S> {
    fn insert(
        &self,
        receipts: Vec<Receipt>,
        now: Timestamp,
    ) -> StoreFuture<'_, Vec<InsertOutcome>> {
        (**self).insert(receipts, now)
    }
    fn lease<'a>(
        &'a self,
        route: &'a str,
        limit: usize,
        lease: Duration,
        now: Timestamp,
    ) -> StoreFuture<'a, Vec<Leased>> {
        (**self).lease(route, limit, lease, now)
    }
    fn complete(&self, id: InboxId, token: FenceToken, finish: Finish) -> StoreFuture<'_, bool> {
        (**self).complete(id, token, finish)
    }
    fn fail(
        &self,
        id: InboxId,
        token: FenceToken,
        finish: Finish,
        next: AfterFailure,
    ) -> StoreFuture<'_, bool> {
        (**self).fail(id, token, finish, next)
    }
    fn release(&self, id: InboxId, token: FenceToken, now: Timestamp) -> StoreFuture<'_, bool> {
        (**self).release(id, token, now)
    }
    fn take_back_expired(&self, now: Timestamp) -> StoreFuture<'_, usize> {
        (**self).take_back_expired(now)
    }
    fn set_paused<'a>(
        &'a self,
        route: &'a str,
        paused: bool,
        now: Timestamp,
    ) -> StoreFuture<'a, usize> {
        (**self).set_paused(route, paused, now)
    }
    fn paused_routes(&self) -> StoreFuture<'_, Vec<String>> {
        (**self).paused_routes()
    }
    fn replay(&self, ids: Vec<InboxId>, now: Timestamp) -> StoreFuture<'_, Vec<ReplayOutcome>> {
        (**self).replay(ids, now)
    }
    fn get(&self, id: InboxId, payload: bool) -> StoreFuture<'_, Option<DeliveryDetail>> {
        (**self).get(id, payload)
    }
    fn find<'a>(&'a self, delivery_id: &'a str) -> StoreFuture<'a, Vec<DeliverySummary>> {
        (**self).find(delivery_id)
    }
    fn list(&self, query: ListQuery) -> StoreFuture<'_, Page> {
        (**self).list(query)
    }
    fn counts(&self) -> StoreFuture<'_, Counts> {
        (**self).counts()
    }
    fn prune(&self, finished_before: Timestamp, limit: usize) -> StoreFuture<'_, Pruned> {
        (**self).prune(finished_before, limit)
    }
    fn compact(&self) -> StoreFuture<'_, bool> {
        (**self).compact()
    }
}
