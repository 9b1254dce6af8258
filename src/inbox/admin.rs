//! The operator's library API on [`Inbox`]: list, show, find, replay (one, or every dead
//! delivery with a dry run), pause, resume, counts, prune.

use super::error::{InboxError, StoreError};
use super::handle::Inbox;
use super::query::{Counts, ListQuery, Page, Pruned, ReplayOutcome};
use super::receipt::valid_name;
use super::record::{DeliveryDetail, DeliverySummary, InboxId};
use super::state::State;

/// How many records one prune transaction removes, so receipts never wait long behind it.
pub const PRUNE_BATCH: usize = 1000;
/// The most deliveries one [`Inbox::replay_dead`] call replays.
pub const MAX_BULK_REPLAY: usize = 100_000;
/// How many replays go into one transaction.
const REPLAY_BATCH: usize = 500;

/// The plan, and the result, of a bulk replay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayPlan {
    pub(crate) ids: Vec<InboxId>,
    pub(crate) replayed: usize,
    pub(crate) dry_run: bool,
}

impl ReplayPlan {
    /// The deliveries the filter selected (all of them replayed, unless a dry run).
    pub fn ids(&self) -> &[InboxId] {
        &self.ids
    }
    /// How many were replayed (0 in a dry run; fewer if some changed state meanwhile).
    pub fn replayed(&self) -> usize {
        self.replayed
    }
    /// Whether this was a dry run.
    pub fn dry_run(&self) -> bool {
        self.dry_run
    }
}

impl Inbox {
    /// One page of deliveries, newest first.
    pub async fn list(&self, query: ListQuery) -> Result<Page, InboxError> {
        Ok(self.store().list(query).await?)
    }

    /// One delivery with its attempts (without its body and headers).
    pub async fn show(&self, id: InboxId) -> Result<DeliveryDetail, InboxError> {
        self.store()
            .get(id, false)
            .await?
            .ok_or(InboxError::NotFound)
    }

    /// One delivery with its attempts, its headers and its body. Only for an operator who
    /// asked to see the payload: it may hold personal data.
    pub async fn show_with_payload(&self, id: InboxId) -> Result<DeliveryDetail, InboxError> {
        self.store()
            .get(id, true)
            .await?
            .ok_or(InboxError::NotFound)
    }

    /// The deliveries recorded under a provider's delivery id.
    pub async fn find(&self, delivery_id: &str) -> Result<Vec<DeliverySummary>, InboxError> {
        Ok(self.store().find(delivery_id).await?)
    }

    /// Replays a done or dead delivery: pending again at once (held while its route is
    /// paused), its attempts kept, the next attempt numbered after them.
    pub async fn replay(&self, id: InboxId) -> Result<ReplayOutcome, InboxError> {
        let outcomes = self.store().replay(vec![id], self.now()).await?;
        let outcome = outcomes
            .first()
            .copied()
            .ok_or(StoreError::Corrupt("replay answer"))?;
        if outcome == ReplayOutcome::Replayed {
            tracing::info!(inbox_id = %id, "inbox: delivery replayed");
            self.wake_worker();
        }
        Ok(outcome)
    }

    /// Replays every dead delivery that `filter` selects (its state filter is replaced by
    /// dead), at most [`MAX_BULK_REPLAY`]. With `dry_run`, only lists them.
    pub async fn replay_dead(
        &self,
        filter: ListQuery,
        dry_run: bool,
    ) -> Result<ReplayPlan, InboxError> {
        let mut plan = ReplayPlan {
            dry_run,
            ..ReplayPlan::default()
        };
        let mut query = filter.state(State::Dead).limit(super::query::MAX_PAGE);
        loop {
            let page = self.list(query.clone()).await?;
            plan.ids.extend(page.items.iter().map(|d| d.id));
            match page.next {
                Some(next) if plan.ids.len() < MAX_BULK_REPLAY => query = query.after(next),
                _ => break,
            }
        }
        plan.ids.truncate(MAX_BULK_REPLAY);
        if dry_run {
            return Ok(plan);
        }
        for chunk in plan.ids.chunks(REPLAY_BATCH) {
            let outcomes = self.store().replay(chunk.to_vec(), self.now()).await?;
            plan.replayed += outcomes
                .iter()
                .filter(|o| **o == ReplayOutcome::Replayed)
                .count();
        }
        tracing::info!(replayed = plan.replayed, "inbox: dead deliveries replayed");
        if plan.replayed > 0 {
            self.wake_worker();
        }
        Ok(plan)
    }

    /// Pauses `route`: its pending deliveries and new receipts are held (still committed and
    /// acknowledged) until [`resume`](Self::resume). Answers how many were moved to held.
    pub async fn pause(&self, route: &str) -> Result<usize, InboxError> {
        check_route(route)?;
        let moved = self.store().set_paused(route, true, self.now()).await?;
        tracing::info!(%route, held = moved, "inbox: route paused");
        Ok(moved)
    }

    /// Resumes `route`: its held deliveries are pending again, each at its due time.
    /// Answers how many were moved.
    pub async fn resume(&self, route: &str) -> Result<usize, InboxError> {
        check_route(route)?;
        let moved = self.store().set_paused(route, false, self.now()).await?;
        tracing::info!(%route, resumed = moved, "inbox: route resumed");
        self.wake_worker();
        Ok(moved)
    }

    /// The paused routes.
    pub async fn paused_routes(&self) -> Result<Vec<String>, InboxError> {
        Ok(self.store().paused_routes().await?)
    }

    /// Deliveries per state and bytes used.
    pub async fn counts(&self) -> Result<Counts, InboxError> {
        Ok(self.store().counts().await?)
    }

    /// Removes done and dead deliveries older than the retention, in batches of
    /// [`PRUNE_BATCH`], then compacts the store if anything was removed.
    pub async fn prune(&self) -> Result<Pruned, InboxError> {
        let cutoff = self.now().saturating_sub(self.retention());
        let mut total = Pruned::default();
        loop {
            let pass = self.store().prune(cutoff, PRUNE_BATCH).await?;
            total.records = total.records.saturating_add(pass.records);
            total.bytes = total.bytes.saturating_add(pass.bytes);
            if !pass.more {
                break;
            }
        }
        if total.records > 0 {
            self.store().compact().await?;
            tracing::info!(
                records = total.records,
                bytes = total.bytes,
                "inbox: pruned"
            );
        }
        Ok(total)
    }
}

fn check_route(route: &str) -> Result<(), InboxError> {
    if route.is_empty() || !valid_name(route) {
        return Err(InboxError::InvalidRoute);
    }
    Ok(())
}
