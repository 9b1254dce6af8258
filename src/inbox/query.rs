//! Reading the activity log: [`ListQuery`], [`Page`], [`Counts`], and the answers of the
//! admin operations ([`ReplayOutcome`], [`Pruned`]).

use std::fmt;
use std::str::FromStr;

use super::error::UnknownName;
use super::record::{DeliverySummary, InboxId};
use super::state::State;
use super::time::Timestamp;

/// The most deliveries one page holds.
pub const MAX_PAGE: usize = 1000;
/// Default page size.
pub const DEFAULT_PAGE: usize = 50;

/// Which deliveries to list, newest first.
///
/// ```
/// use hookguard::inbox::{ListQuery, State};
/// let query = ListQuery::new().state(State::Dead).route("billing").limit(20);
/// assert_eq!(query.state_filter(), Some(State::Dead));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub(crate) state: Option<State>,
    pub(crate) route: Option<String>,
    pub(crate) provider: Option<String>,
    pub(crate) tenant: Option<String>,
    pub(crate) received_from: Option<Timestamp>,
    pub(crate) received_until: Option<Timestamp>,
    pub(crate) after: Option<Cursor>,
    pub(crate) limit: Option<usize>,
}

impl ListQuery {
    /// Every delivery, newest first, [`DEFAULT_PAGE`] per page.
    pub fn new() -> Self {
        Self::default()
    }
    /// Only deliveries in `state`.
    pub fn state(mut self, state: State) -> Self {
        self.state = Some(state);
        self
    }
    /// Only deliveries of `route`.
    pub fn route(mut self, route: &str) -> Self {
        self.route = Some(route.to_owned());
        self
    }
    /// Only deliveries of `provider`.
    pub fn provider(mut self, provider: &str) -> Self {
        self.provider = Some(provider.to_owned());
        self
    }
    /// Only deliveries of `tenant`.
    pub fn tenant(mut self, tenant: &str) -> Self {
        self.tenant = Some(tenant.to_owned());
        self
    }
    /// Only deliveries received at or after `from` and before `until`.
    pub fn received_between(mut self, from: Timestamp, until: Timestamp) -> Self {
        self.received_from = Some(from);
        self.received_until = Some(until);
        self
    }
    /// The page after the one that returned `cursor` as [`Page::next`].
    pub fn after(mut self, cursor: Cursor) -> Self {
        self.after = Some(cursor);
        self
    }
    /// At most `limit` deliveries per page (1 to [`MAX_PAGE`]; others are clamped).
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }
    /// The state filter, if any.
    pub fn state_filter(&self) -> Option<State> {
        self.state
    }
    /// The page size this query asks for, clamped.
    pub fn page_size(&self) -> usize {
        self.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE)
    }

    /// Whether `summary` passes every filter but the state and the cursor.
    pub fn matches(&self, summary: &DeliverySummary) -> bool {
        let meta = &summary.meta;
        let is = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        is(&self.route, &meta.route)
            && is(&self.provider, &meta.provider)
            && is(&self.tenant, &meta.tenant)
            && self.received_from.is_none_or(|t| meta.received_at >= t)
            && self.received_until.is_none_or(|t| meta.received_at < t)
            && self.state.is_none_or(|s| s == summary.state)
    }
}

/// Where the next page starts: pass it to [`ListQuery::after`]. Its text form (`Display`,
/// `FromStr`) is what an HTTP API hands out.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cursor(pub(crate) u64);

impl Cursor {
    /// The cursor that continues below `id` (the next page holds older deliveries).
    pub(crate) fn below(id: InboxId) -> Self {
        Self(id.get())
    }
}

impl fmt::Debug for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cursor({})", self.0)
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for Cursor {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<InboxId>().map(Self::below)
    }
}

/// One page of a listing, newest first.
///
/// A page may hold fewer deliveries than the limit while `next` is still set: a store stops
/// after examining a bounded number of records, so one call never scans the whole log.
/// Keep asking until `next` is `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    pub(crate) items: Vec<DeliverySummary>,
    pub(crate) next: Option<Cursor>,
}

impl Page {
    /// The deliveries.
    pub fn items(&self) -> &[DeliverySummary] {
        &self.items
    }
    /// Takes the deliveries.
    pub fn into_items(self) -> Vec<DeliverySummary> {
        self.items
    }
    /// The cursor of the next page; `None` on the last.
    pub fn next(&self) -> Option<Cursor> {
        self.next
    }
}

/// Deliveries per state, and the bytes counted against the capacity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub(crate) by_state: [u64; 5],
    pub(crate) bytes: u64,
}

impl Counts {
    /// Deliveries in `state`.
    pub fn get(&self, state: State) -> u64 {
        State::ALL
            .iter()
            .position(|s| *s == state)
            .map_or(0, |i| self.by_state[i])
    }
    /// Every delivery.
    pub fn total(&self) -> u64 {
        self.by_state.iter().sum()
    }
    /// Bytes counted against the store's capacity (stored headers and bodies, plus a fixed
    /// overhead per delivery).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
    pub(crate) fn add(&mut self, state: State, delta: i64) {
        if let Some(i) = State::ALL.iter().position(|s| *s == state) {
            self.by_state[i] = self.by_state[i].saturating_add_signed(delta);
        }
    }
}

/// What replaying one delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplayOutcome {
    /// Done or dead before; pending (or held) now, its history kept.
    Replayed,
    /// Not done or dead (it is in this state): nothing changed.
    NotFinished(State),
    /// No such delivery.
    NotFound,
}

/// What one prune pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub(crate) records: u64,
    pub(crate) bytes: u64,
    pub(crate) more: bool,
}

impl Pruned {
    /// Deliveries removed.
    pub fn records(&self) -> u64 {
        self.records
    }
    /// Bytes freed from the capacity count.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
    /// Whether more records are old enough (the pass stopped at its limit).
    pub fn more(&self) -> bool {
        self.more
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_state() {
        let mut counts = Counts::default();
        counts.add(State::Dead, 3);
        counts.add(State::Dead, -1);
        counts.add(State::Pending, -5);
        assert_eq!(counts.get(State::Dead), 2);
        assert_eq!(counts.get(State::Pending), 0);
        assert_eq!(counts.total(), 2);
    }

    #[test]
    fn page_size_is_clamped() {
        assert_eq!(ListQuery::new().page_size(), DEFAULT_PAGE);
        assert_eq!(ListQuery::new().limit(0).page_size(), 1);
        assert_eq!(ListQuery::new().limit(1 << 20).page_size(), MAX_PAGE);
        assert_eq!("12".parse::<Cursor>().map(|c| c.0), Ok(12));
    }
}
