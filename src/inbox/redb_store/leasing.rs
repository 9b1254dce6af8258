//! Leases and their ends: lease, complete, fail, release, take back.

use std::time::Duration;

use redb::ReadableTable;

use super::Engine as _;
use super::codec::decode_payload;
use super::tables::Tables;
use crate::inbox::attempt::{Attempt, AttemptOutcome, Finish};
use crate::inbox::error::StoreError;
use crate::inbox::lease::{AfterFailure, FenceToken, Leased};
use crate::inbox::record::DeliverySummary;
use crate::inbox::state::{State, Trigger};
use crate::inbox::time::Timestamp;

/// Leases up to `limit` deliveries of `route` due at `now`, earliest first.
pub(super) fn lease(
    t: &mut Tables<'_>,
    route: &str,
    limit: usize,
    lease: Duration,
    now: Timestamp,
) -> Result<Vec<Leased>, StoreError> {
    let now_ms = now.as_unix_millis();
    let mut due = Vec::new();
    for entry in t
        .due
        .range((route, 0u64, 0u64)..=(route, now_ms, u64::MAX))
        .engine()?
        .take(limit)
    {
        let (key, _) = entry.engine()?;
        due.push(key.value().2);
    }
    let mut leased = Vec::with_capacity(due.len());
    for id in due {
        leased.push(lease_one(t, id, lease, now)?);
    }
    Ok(leased)
}

fn lease_one(
    t: &mut Tables<'_>,
    id: u64,
    lease: Duration,
    now: Timestamp,
) -> Result<Leased, StoreError> {
    let old = t.load_indexed(id)?;
    let mut new = old.clone();
    let token = FenceToken(t.counters.take_token());
    new.state = State::Processing;
    new.attempts = new.attempts.saturating_add(1);
    new.lease = Some((token, now.saturating_add(lease)));
    new.updated_at = now;
    let attempt = Attempt::started(new.attempts, new.next_trigger, now);
    t.put_attempt(id, &attempt)?;
    t.save(Some(&old), &new)?;
    let payload = match t.payloads.get(id).engine()? {
        Some(bytes) => decode_payload(bytes.value())?,
        None => return Err(StoreError::Corrupt("payload")),
    };
    Ok(Leased {
        summary: new,
        token,
        payload,
    })
}

/// The record if it is processing under `token`; `None` if the token is stale.
fn fenced(
    t: &Tables<'_>,
    id: u64,
    token: FenceToken,
) -> Result<Option<DeliverySummary>, StoreError> {
    let Some(record) = t.load(id)? else {
        return Ok(None);
    };
    let held = record.lease.map(|(held, _)| held);
    // ct-lint: public (a fencing token orders leases; it guards no secret)
    let current = record.state == State::Processing && held == Some(token);
    Ok(current.then_some(record))
}

/// Marks a leased delivery done: the one done mark.
pub(super) fn complete(
    t: &mut Tables<'_>,
    id: u64,
    token: FenceToken,
    finish: &Finish,
) -> Result<bool, StoreError> {
    let Some(old) = fenced(t, id, token)? else {
        return Ok(false);
    };
    let mut new = old.clone();
    new.state = State::Done;
    new.lease = None;
    new.finished_at = Some(finish.at);
    new.updated_at = finish.at;
    new.last_error = None;
    t.finish_attempt(id, old.attempts, finish)?;
    t.save(Some(&old), &new)?;
    Ok(true)
}

/// Records a failed attempt and what follows it.
pub(super) fn fail(
    t: &mut Tables<'_>,
    id: u64,
    token: FenceToken,
    finish: &Finish,
    next: AfterFailure,
) -> Result<bool, StoreError> {
    let Some(old) = fenced(t, id, token)? else {
        return Ok(false);
    };
    let mut new = old.clone();
    new.lease = None;
    new.updated_at = finish.at;
    new.last_error.clone_from(&finish.error);
    match next {
        AfterFailure::RetryAt(at) => {
            new.state = waiting_state(t, &new.meta.route)?;
            new.due_at = at;
            new.next_trigger = Trigger::Retry;
        }
        AfterFailure::Dead(reason) => {
            new.state = State::Dead;
            new.finished_at = Some(finish.at);
            new.dead_reason = Some(reason);
        }
    }
    t.finish_attempt(id, old.attempts, finish)?;
    t.save(Some(&old), &new)?;
    Ok(true)
}

/// Pending, or held while the route is paused.
pub(super) fn waiting_state(t: &Tables<'_>, route: &str) -> Result<State, StoreError> {
    Ok(if t.is_paused(route)? {
        State::Held
    } else {
        State::Pending
    })
}

/// Gives a lease back unfinished.
pub(super) fn release(
    t: &mut Tables<'_>,
    id: u64,
    token: FenceToken,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let Some(old) = fenced(t, id, token)? else {
        return Ok(false);
    };
    interrupt(t, old, now)?;
    Ok(true)
}

/// Takes back the leases that ended at or before `now` (every lease when `all`).
pub(super) fn take_back(
    t: &mut Tables<'_>,
    now: Timestamp,
    all: bool,
) -> Result<usize, StoreError> {
    let upper = if all { u64::MAX } else { now.as_unix_millis() };
    let mut expired = Vec::new();
    for entry in t.leases.range((0u64, 0u64)..=(upper, u64::MAX)).engine()? {
        let (key, _) = entry.engine()?;
        expired.push(key.value().1);
    }
    for id in &expired {
        let old = t.load_indexed(*id)?;
        interrupt(t, old, now)?;
    }
    Ok(expired.len())
}

/// A processing record back to pending (held while paused), due at `now`; its running
/// attempt recorded as interrupted.
fn interrupt(t: &mut Tables<'_>, old: DeliverySummary, now: Timestamp) -> Result<(), StoreError> {
    let id = old.id.get();
    let mut new = old.clone();
    new.state = waiting_state(t, &new.meta.route)?;
    new.lease = None;
    new.due_at = now;
    new.updated_at = now;
    new.next_trigger = Trigger::Retry;
    let finish = Finish::failed(now, Duration::ZERO, AttemptOutcome::Interrupted, None);
    t.finish_attempt(id, old.attempts, &finish)?;
    t.save(Some(&old), &new)
}
