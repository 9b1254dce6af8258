//! Insert-or-dedupe, inside the group-commit transaction.

use redb::ReadableTable;

use super::Engine as _;
use super::codec::encode_payload;
use super::tables::{Tables, dedupe_key};
use crate::inbox::error::StoreError;
use crate::inbox::receipt::{InsertOutcome, Receipt};
use crate::inbox::record::{DeliveryMeta, DeliverySummary, InboxId};
use crate::inbox::state::{State, Trigger};
use crate::inbox::time::Timestamp;

/// Bytes counted per delivery on top of its stored headers and body (record, indexes).
pub const RECORD_OVERHEAD: u64 = 256;

/// Inserts one receipt received at `now`, or finds it is a duplicate or a conflict.
pub(super) fn insert(
    t: &mut Tables<'_>,
    r: &Receipt,
    now: Timestamp,
) -> Result<InsertOutcome, StoreError> {
    let key = dedupe_key(r.delivery_id.as_str(), &r.provider, &r.tenant);
    let existing = t.dedupe.get(key.as_slice()).engine()?.map(|v| v.value());
    if let Some(id) = existing {
        let record = t.load_indexed(id)?;
        // ct-lint: public (a body digest tells a retry from another payload; no secret)
        let same = record.meta.digest == *r.digest.as_bytes();
        let id = InboxId::new(id);
        return Ok(if same {
            InsertOutcome::Duplicate(id)
        } else {
            InsertOutcome::Conflict(id)
        });
    }
    let payload = encode_payload(&r.headers, &r.body);
    let stored_bytes = (payload.len() as u64).saturating_add(RECORD_OVERHEAD);
    if t.counters.counts.bytes.saturating_add(stored_bytes) > t.max_bytes {
        return Ok(InsertOutcome::Full);
    }
    let id = t.counters.take_id();
    let state = if t.is_paused(&r.route)? {
        State::Held
    } else {
        State::Pending
    };
    let record = new_record(r, id, state, now, stored_bytes);
    t.put_payload(id, &key, &payload)?;
    t.save(None, &record)?;
    Ok(InsertOutcome::New(InboxId::new(id)))
}

fn new_record(
    r: &Receipt,
    id: u64,
    state: State,
    now: Timestamp,
    stored_bytes: u64,
) -> DeliverySummary {
    DeliverySummary {
        id: InboxId::new(id),
        meta: DeliveryMeta {
            route: r.route.clone(),
            tenant: r.tenant.clone(),
            provider: r.provider.clone(),
            delivery_id: r.delivery_id.clone(),
            key_id: r.key_id.clone(),
            signed_at: r.signed_at,
            received_at: now,
            client_key: r.client_key.clone(),
            digest: *r.digest.as_bytes(),
        },
        state,
        attempts: 0,
        due_at: now,
        updated_at: now,
        finished_at: None,
        dead_reason: None,
        last_error: None,
        replays: 0,
        body_len: r.body.len() as u64,
        stored_bytes,
        next_trigger: Trigger::Initial,
        cycle_start: 0,
        cycle_started_at: now,
        lease: None,
    }
}
