//! Reads in a read transaction: they never wait for the writer, and see the last commit.

use redb::{ReadTransaction, ReadableTable};

use super::Engine as _;
use super::codec::{decode_attempt, decode_payload};
use super::index::load_record;
use super::tables::{ATTEMPTS, BY_STATE, DEDUPE, META, MetaCounters, PAYLOADS, RECORDS, ROUTES};
use crate::inbox::error::StoreError;
use crate::inbox::query::{Counts, Cursor, ListQuery, Page};
use crate::inbox::record::{DeliveryDetail, DeliverySummary, InboxId};

/// The most records one `list` call examines before it returns a page with a cursor.
pub(super) const MAX_SCAN: usize = 10_000;

/// One delivery with its attempts, and its payload when asked for.
pub(super) fn get(
    tx: &ReadTransaction,
    id: InboxId,
    payload: bool,
) -> Result<Option<DeliveryDetail>, StoreError> {
    let id = id.get();
    let Some(summary) = load_record(&tx.open_table(RECORDS).engine()?, id)? else {
        return Ok(None);
    };
    let attempts_table = tx.open_table(ATTEMPTS).engine()?;
    let mut attempts = Vec::new();
    for entry in attempts_table.range((id, 0u32)..=(id, u32::MAX)).engine()? {
        let (key, value) = entry.engine()?;
        attempts.push(decode_attempt(key.value().1, value.value())?);
    }
    let payload = if payload {
        match tx.open_table(PAYLOADS).engine()?.get(id).engine()? {
            Some(bytes) => Some(decode_payload(bytes.value())?),
            None => return Err(StoreError::Corrupt("payload")),
        }
    } else {
        None
    };
    Ok(Some(DeliveryDetail {
        summary,
        attempts,
        payload,
    }))
}

/// Every record whose provider delivery id is `delivery_id`.
pub(super) fn find(
    tx: &ReadTransaction,
    delivery_id: &str,
) -> Result<Vec<DeliverySummary>, StoreError> {
    let mut from = delivery_id.as_bytes().to_vec();
    from.push(0);
    let mut until = delivery_id.as_bytes().to_vec();
    until.push(1);
    let dedupe = tx.open_table(DEDUPE).engine()?;
    let records = tx.open_table(RECORDS).engine()?;
    let mut found = Vec::new();
    for entry in dedupe.range(from.as_slice()..until.as_slice()).engine()? {
        let id = entry.engine()?.1.value();
        found.push(load_record(&records, id)?.ok_or(StoreError::Corrupt("index"))?);
    }
    Ok(found)
}

/// One page, newest first: through the state index when a state is asked for, else
/// through every record.
pub(super) fn list(tx: &ReadTransaction, query: &ListQuery) -> Result<Page, StoreError> {
    let records = tx.open_table(RECORDS).engine()?;
    let below = query.after.map_or(u64::MAX, |c| c.0);
    match query.state {
        Some(state) => {
            let by_state = tx.open_table(BY_STATE).engine()?;
            let code = state.code();
            let ids = by_state
                .range((code, 0u64)..(code, below))
                .engine()?
                .rev()
                .map(|entry| entry.engine().map(|(key, _)| key.value().1));
            collect_page(&records, ids, query)
        }
        None => {
            let ids = records
                .range(..below)
                .engine()?
                .rev()
                .map(|entry| entry.engine().map(|(key, _)| key.value()));
            collect_page(&records, ids, query)
        }
    }
}

fn collect_page(
    records: &impl ReadableTable<u64, &'static [u8]>,
    ids: impl Iterator<Item = Result<u64, StoreError>>,
    query: &ListQuery,
) -> Result<Page, StoreError> {
    let limit = query.page_size();
    let mut page = Page::default();
    for (scanned, id) in ids.enumerate() {
        let id = id?;
        let record = load_record(records, id)?.ok_or(StoreError::Corrupt("index"))?;
        if query.matches(&record) {
            page.items.push(record);
        }
        if page.items.len() == limit || scanned + 1 == MAX_SCAN {
            page.next = Some(Cursor::below(InboxId::new(id)));
            break;
        }
    }
    Ok(page)
}

/// Deliveries per state and bytes used.
pub(super) fn counts(tx: &ReadTransaction) -> Result<Counts, StoreError> {
    let meta = tx.open_table(META).engine()?;
    Ok(MetaCounters::read(&meta)?.counts)
}

/// The paused routes.
pub(super) fn paused_routes(tx: &ReadTransaction) -> Result<Vec<String>, StoreError> {
    let routes = tx.open_table(ROUTES).engine()?;
    let mut paused = Vec::new();
    for entry in routes.iter().engine()? {
        paused.push(entry.engine()?.0.value().to_owned());
    }
    Ok(paused)
}
