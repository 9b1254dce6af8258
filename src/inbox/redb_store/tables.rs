//! The tables of the redb file, and [`Tables`]: all of them open in one write transaction.
//!
//! | table | key → value | holds |
//! |---|---|---|
//! | `records` | id → record | metadata, state, counters, lease (no body) |
//! | `payloads` | id → headers + body | the exact bytes, read only to run or show |
//! | `attempts` | (id, number) → attempt | the activity log |
//! | `dedupe` | `delivery-id \0 provider \0 tenant` → id | dedupe at insert; find by id |
//! | `by_state` | (state, id) → () | listing and counting by state |
//! | `due` | (route, due at, id) → () | pending records, earliest first per route |
//! | `held` | (route, id) → () | held records of a paused route |
//! | `leases` | (lease end, id) → () | processing records, to take back expired leases |
//! | `finished` | (finished at, id) → () | done and dead records, to prune by age |
//! | `routes` | route → 1 | paused routes |
//! | `meta` | name → u64 | next id, next token, bytes used, counts, format |

use redb::{ReadableTable, Table, TableDefinition, WriteTransaction};

use super::Engine as _;
use crate::inbox::error::StoreError;
use crate::inbox::query::Counts;
use crate::inbox::state::State;

pub(super) const RECORDS: TableDefinition<u64, &[u8]> = TableDefinition::new("inbox.records");
pub(super) const PAYLOADS: TableDefinition<u64, &[u8]> = TableDefinition::new("inbox.payloads");
pub(super) const ATTEMPTS: TableDefinition<(u64, u32), &[u8]> =
    TableDefinition::new("inbox.attempts");
pub(super) const DEDUPE: TableDefinition<&[u8], u64> = TableDefinition::new("inbox.dedupe");
pub(super) const BY_STATE: TableDefinition<(u8, u64), ()> = TableDefinition::new("inbox.by_state");
pub(super) const DUE: TableDefinition<(&str, u64, u64), ()> = TableDefinition::new("inbox.due");
pub(super) const HELD: TableDefinition<(&str, u64), ()> = TableDefinition::new("inbox.held");
pub(super) const LEASES: TableDefinition<(u64, u64), ()> = TableDefinition::new("inbox.leases");
pub(super) const FINISHED: TableDefinition<(u64, u64), ()> = TableDefinition::new("inbox.finished");
pub(super) const ROUTES: TableDefinition<&str, u8> = TableDefinition::new("inbox.routes");
pub(super) const META: TableDefinition<&str, u64> = TableDefinition::new("inbox.meta");

/// The file layout this code writes; a file with another is refused.
pub(super) const FORMAT: u64 = 1;

/// The dedupe key: delivery id first, so that every record of one id is one prefix range.
/// None of the parts holds a NUL byte (all are charset-checked).
pub(super) fn dedupe_key(delivery_id: &str, provider: &str, tenant: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(delivery_id.len() + provider.len() + tenant.len() + 2);
    key.extend_from_slice(delivery_id.as_bytes());
    key.push(0);
    key.extend_from_slice(provider.as_bytes());
    key.push(0);
    key.extend_from_slice(tenant.as_bytes());
    key
}

/// The counters kept in `meta`, read once per transaction and written back before commit.
#[derive(Debug, Clone, Default)]
pub(super) struct MetaCounters {
    pub(super) next_id: u64,
    pub(super) next_token: u64,
    pub(super) counts: Counts,
}

const COUNT_KEYS: [&str; 5] = [
    "count.pending",
    "count.processing",
    "count.done",
    "count.dead",
    "count.held",
];

impl MetaCounters {
    pub(super) fn read(meta: &impl ReadableTable<&'static str, u64>) -> Result<Self, StoreError> {
        let get = |key: &str| -> Result<u64, StoreError> {
            Ok(meta.get(key).engine()?.map_or(0, |v| v.value()))
        };
        let mut counters = Self {
            next_id: get("next_id")?.max(1),
            next_token: get("next_token")?.max(1),
            counts: Counts::default(),
        };
        counters.counts.bytes = get("bytes")?;
        for (i, key) in COUNT_KEYS.iter().enumerate() {
            counters.counts.by_state[i] = get(key)?;
        }
        Ok(counters)
    }

    fn write(&self, meta: &mut Table<'_, &'static str, u64>) -> Result<(), StoreError> {
        meta.insert("next_id", self.next_id).engine()?;
        meta.insert("next_token", self.next_token).engine()?;
        meta.insert("bytes", self.counts.bytes).engine()?;
        for (i, key) in COUNT_KEYS.iter().enumerate() {
            meta.insert(*key, self.counts.by_state[i]).engine()?;
        }
        Ok(())
    }

    pub(super) fn take_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub(super) fn take_token(&mut self) -> u64 {
        let token = self.next_token;
        self.next_token += 1;
        token
    }

    pub(super) fn count(&mut self, state: State, delta: i64) {
        self.counts.add(state, delta);
    }
}

/// Every table, open in one write transaction, and the counters.
pub(super) struct Tables<'t> {
    pub(super) records: Table<'t, u64, &'static [u8]>,
    pub(super) payloads: Table<'t, u64, &'static [u8]>,
    pub(super) attempts: Table<'t, (u64, u32), &'static [u8]>,
    pub(super) dedupe: Table<'t, &'static [u8], u64>,
    pub(super) by_state: Table<'t, (u8, u64), ()>,
    pub(super) due: Table<'t, (&'static str, u64, u64), ()>,
    pub(super) held: Table<'t, (&'static str, u64), ()>,
    pub(super) leases: Table<'t, (u64, u64), ()>,
    pub(super) finished: Table<'t, (u64, u64), ()>,
    pub(super) routes: Table<'t, &'static str, u8>,
    meta: Table<'t, &'static str, u64>,
    pub(super) counters: MetaCounters,
    /// The byte capacity.
    pub(super) max_bytes: u64,
    /// Whether anything was written: a group that wrote nothing (duplicates, stale tokens,
    /// nothing due) is aborted instead of committed, and costs no fsync.
    dirty: bool,
}

impl<'t> Tables<'t> {
    /// Opens (and on first use creates) every table.
    pub(super) fn open(tx: &'t WriteTransaction, max_bytes: u64) -> Result<Self, StoreError> {
        let meta = tx.open_table(META).engine()?;
        let counters = MetaCounters::read(&meta)?;
        Ok(Self {
            records: tx.open_table(RECORDS).engine()?,
            payloads: tx.open_table(PAYLOADS).engine()?,
            attempts: tx.open_table(ATTEMPTS).engine()?,
            dedupe: tx.open_table(DEDUPE).engine()?,
            by_state: tx.open_table(BY_STATE).engine()?,
            due: tx.open_table(DUE).engine()?,
            held: tx.open_table(HELD).engine()?,
            leases: tx.open_table(LEASES).engine()?,
            finished: tx.open_table(FINISHED).engine()?,
            routes: tx.open_table(ROUTES).engine()?,
            meta,
            counters,
            max_bytes,
            dirty: false,
        })
    }

    /// Checks the file's layout version, writing it into a new file.
    pub(super) fn check_format(&mut self) -> Result<(), StoreError> {
        let found = self.meta.get("format").engine()?.map(|v| v.value());
        match found {
            None => {
                self.touch();
                self.meta.insert("format", FORMAT).engine()?;
                Ok(())
            }
            Some(FORMAT) => Ok(()),
            Some(_) => Err(StoreError::Corrupt("file format")),
        }
    }

    /// Notes that this transaction wrote something. Every write goes through a method that
    /// calls this ([`Tables::save`], [`Tables::delete`], [`Tables::put_attempt`],
    /// [`Tables::put_payload`], [`Tables::set_route`], [`Tables::check_format`]).
    pub(super) fn touch(&mut self) {
        self.dirty = true;
    }

    /// Whether anything was written.
    pub(super) fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Writes the counters back if anything was written; call before commit.
    pub(super) fn flush(&mut self) -> Result<(), StoreError> {
        if !self.dirty {
            return Ok(());
        }
        self.counters.write(&mut self.meta)
    }

    /// Stores a new delivery's payload and dedupe key.
    pub(super) fn put_payload(
        &mut self,
        id: u64,
        key: &[u8],
        payload: &[u8],
    ) -> Result<(), StoreError> {
        self.touch();
        self.payloads.insert(id, payload).engine()?;
        self.dedupe.insert(key, id).engine()?;
        Ok(())
    }

    /// Marks `route` paused, or not.
    pub(super) fn set_route(&mut self, route: &str, paused: bool) -> Result<(), StoreError> {
        self.touch();
        if paused {
            self.routes.insert(route, 1).engine()?;
        } else {
            self.routes.remove(route).engine()?;
        }
        Ok(())
    }

    /// Whether `route` is paused.
    pub(super) fn is_paused(&self, route: &str) -> Result<bool, StoreError> {
        Ok(self.routes.get(route).engine()?.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedupe_keys_group_by_delivery_id() {
        let a = dedupe_key("msg_1", "stripe", "acme");
        let b = dedupe_key("msg_1", "github", "");
        let c = dedupe_key("msg_10", "stripe", "acme");
        let prefix = dedupe_key("msg_1", "", "");
        let prefix = &prefix[..prefix.len() - 1];
        assert!(a.starts_with(prefix) && b.starts_with(prefix));
        assert!(!c.starts_with(prefix));
        assert_ne!(a, b);
    }
}
