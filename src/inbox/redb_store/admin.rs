//! Operator actions inside a transaction: pause and resume a route, replay, prune.

use redb::ReadableTable;

use super::Engine as _;
use super::leasing::waiting_state;
use super::tables::Tables;
use crate::inbox::error::StoreError;
use crate::inbox::query::{Pruned, ReplayOutcome};
use crate::inbox::state::{State, Trigger};
use crate::inbox::time::Timestamp;

/// Pauses or resumes `route`, moving its pending records to held or its held ones back.
pub(super) fn set_paused(
    t: &mut Tables<'_>,
    route: &str,
    paused: bool,
    now: Timestamp,
) -> Result<usize, StoreError> {
    let ids = if paused {
        t.set_route(route, true)?;
        let mut ids = Vec::new();
        for entry in t
            .due
            .range((route, 0u64, 0u64)..=(route, u64::MAX, u64::MAX))
            .engine()?
        {
            ids.push(entry.engine()?.0.value().2);
        }
        ids
    } else {
        t.set_route(route, false)?;
        let mut ids = Vec::new();
        for entry in t.held.range((route, 0u64)..=(route, u64::MAX)).engine()? {
            ids.push(entry.engine()?.0.value().1);
        }
        ids
    };
    let to = if paused { State::Held } else { State::Pending };
    for id in &ids {
        let old = t.load_indexed(*id)?;
        let mut new = old.clone();
        new.state = to;
        new.updated_at = now;
        t.save(Some(&old), &new)?;
    }
    Ok(ids.len())
}

/// Done or dead → pending (held while paused), due at `now`, history kept.
pub(super) fn replay(
    t: &mut Tables<'_>,
    id: u64,
    now: Timestamp,
) -> Result<ReplayOutcome, StoreError> {
    let Some(old) = t.load(id)? else {
        return Ok(ReplayOutcome::NotFound);
    };
    if !old.state.is_terminal() {
        return Ok(ReplayOutcome::NotFinished(old.state));
    }
    let mut new = old.clone();
    new.state = waiting_state(t, &new.meta.route)?;
    new.due_at = now;
    new.updated_at = now;
    new.finished_at = None;
    new.dead_reason = None;
    new.last_error = None;
    new.next_trigger = Trigger::Replay;
    new.cycle_start = new.attempts;
    new.cycle_started_at = now;
    new.replays = new.replays.saturating_add(1);
    t.save(Some(&old), &new)?;
    Ok(ReplayOutcome::Replayed)
}

/// Removes up to `limit` done or dead records finished before `cutoff`.
pub(super) fn prune(
    t: &mut Tables<'_>,
    cutoff: Timestamp,
    limit: usize,
) -> Result<Pruned, StoreError> {
    let mut ids = Vec::new();
    for entry in t
        .finished
        .range(..(cutoff.as_unix_millis(), 0u64))
        .engine()?
        .take(limit.saturating_add(1))
    {
        ids.push(entry.engine()?.0.value().1);
    }
    let more = ids.len() > limit;
    ids.truncate(limit);
    let mut pruned = Pruned {
        more,
        ..Pruned::default()
    };
    for id in ids {
        let old = t.load_indexed(id)?;
        t.delete(&old)?;
        pruned.records = pruned.records.saturating_add(1);
        pruned.bytes = pruned.bytes.saturating_add(old.stored_bytes);
    }
    Ok(pruned)
}
