//! Keeping the index tables and counters in step with the records.
//!
//! Every change of a record goes through [`Tables::save`] (or [`Tables::delete`]): it
//! removes the index entries the old version had and adds those the new version has, so
//! the indexes follow from the record alone and cannot drift from it.

use redb::ReadableTable;

use super::Engine as _;
use super::codec::{decode_record, encode_attempt, encode_record};
use super::tables::{Tables, dedupe_key};
use crate::inbox::attempt::{Attempt, Finish};
use crate::inbox::error::StoreError;
use crate::inbox::record::DeliverySummary;
use crate::inbox::state::State;

/// Reads record `id` from any records table (read or write transaction).
pub(super) fn load_record(
    records: &impl ReadableTable<u64, &'static [u8]>,
    id: u64,
) -> Result<Option<DeliverySummary>, StoreError> {
    match records.get(id).engine()? {
        Some(bytes) => decode_record(id, bytes.value()).map(Some),
        None => Ok(None),
    }
}

impl Tables<'_> {
    /// Record `id`, if any.
    pub(super) fn load(&self, id: u64) -> Result<Option<DeliverySummary>, StoreError> {
        load_record(&self.records, id)
    }

    /// Record `id`, which an index names: its absence is corruption.
    pub(super) fn load_indexed(&self, id: u64) -> Result<DeliverySummary, StoreError> {
        self.load(id)?.ok_or(StoreError::Corrupt("index"))
    }

    /// Writes `new` over `old` (`None`: a new record), moving its index entries.
    pub(super) fn save(
        &mut self,
        old: Option<&DeliverySummary>,
        new: &DeliverySummary,
    ) -> Result<(), StoreError> {
        self.touch();
        match old {
            Some(old) => self.unindex(old)?,
            None => {
                let bytes = &mut self.counters.counts.bytes;
                *bytes = bytes.saturating_add(new.stored_bytes);
            }
        }
        let id = new.id.get();
        self.records
            .insert(id, encode_record(new).as_slice())
            .engine()?;
        self.index(new)
    }

    /// Removes a record with its payload, attempts, dedupe key and index entries.
    pub(super) fn delete(&mut self, old: &DeliverySummary) -> Result<(), StoreError> {
        self.touch();
        self.unindex(old)?;
        let id = old.id.get();
        let meta = &old.meta;
        self.records.remove(id).engine()?;
        self.payloads.remove(id).engine()?;
        self.attempts
            .retain_in((id, 0)..=(id, u32::MAX), |_, _| false)
            .engine()?;
        let key = dedupe_key(meta.delivery_id.as_str(), &meta.provider, &meta.tenant);
        self.dedupe.remove(key.as_slice()).engine()?;
        let bytes = &mut self.counters.counts.bytes;
        *bytes = bytes.saturating_sub(old.stored_bytes);
        Ok(())
    }

    /// Writes a new attempt.
    pub(super) fn put_attempt(&mut self, id: u64, attempt: &Attempt) -> Result<(), StoreError> {
        self.touch();
        self.attempts
            .insert((id, attempt.number), encode_attempt(attempt).as_slice())
            .engine()?;
        Ok(())
    }

    /// Records the end of attempt `number` of `id` (a missing attempt is corruption).
    pub(super) fn finish_attempt(
        &mut self,
        id: u64,
        number: u32,
        finish: &Finish,
    ) -> Result<(), StoreError> {
        let mut attempt = match self.attempts.get((id, number)).engine()? {
            Some(bytes) => super::codec::decode_attempt(number, bytes.value())?,
            None => return Err(StoreError::Corrupt("attempt")),
        };
        attempt.finish(finish);
        self.put_attempt(id, &attempt)
    }

    fn index(&mut self, r: &DeliverySummary) -> Result<(), StoreError> {
        let id = r.id.get();
        self.by_state.insert((r.state.code(), id), ()).engine()?;
        match r.state {
            State::Pending => {
                let key = (r.meta.route.as_str(), r.due_at.as_unix_millis(), id);
                self.due.insert(key, ()).engine()?;
            }
            State::Held => {
                self.held.insert((r.meta.route.as_str(), id), ()).engine()?;
            }
            State::Processing => {
                let until = r.lease.map_or(0, |(_, until)| until.as_unix_millis());
                self.leases.insert((until, id), ()).engine()?;
            }
            State::Done | State::Dead => {
                let at = r.finished_at.map_or(0, |t| t.as_unix_millis());
                self.finished.insert((at, id), ()).engine()?;
            }
        }
        self.counters.count(r.state, 1);
        Ok(())
    }

    fn unindex(&mut self, r: &DeliverySummary) -> Result<(), StoreError> {
        let id = r.id.get();
        self.by_state.remove((r.state.code(), id)).engine()?;
        match r.state {
            State::Pending => {
                let key = (r.meta.route.as_str(), r.due_at.as_unix_millis(), id);
                self.due.remove(key).engine()?;
            }
            State::Held => {
                self.held.remove((r.meta.route.as_str(), id)).engine()?;
            }
            State::Processing => {
                let until = r.lease.map_or(0, |(_, until)| until.as_unix_millis());
                self.leases.remove((until, id)).engine()?;
            }
            State::Done | State::Dead => {
                let at = r.finished_at.map_or(0, |t| t.as_unix_millis());
                self.finished.remove((at, id)).engine()?;
            }
        }
        self.counters.count(r.state, -1);
        Ok(())
    }
}
