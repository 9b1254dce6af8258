//! What the inbox keeps per delivery: [`DeliveryMeta`], [`DeliverySummary`],
//! [`DeliveryDetail`] and the [`Payload`].

use std::fmt;
use std::str::FromStr;

use bytes::Bytes;
use http::{HeaderName, HeaderValue};

use super::attempt::Attempt;
use super::error::UnknownName;
use super::lease::FenceToken;
use super::state::{DeadReason, State, Trigger};
use super::time::Timestamp;
use crate::{DeliveryId, KeyId};

/// The inbox's own number for a delivery, assigned at commit, increasing with each receipt.
/// It names a delivery in the admin API; the provider's id is
/// [`DeliveryMeta::delivery_id`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InboxId(u64);

impl InboxId {
    /// The id with this number (as printed by `Display`).
    pub const fn new(number: u64) -> Self {
        Self(number)
    }

    /// The number.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Debug for InboxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InboxId({})", self.0)
    }
}

impl fmt::Display for InboxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for InboxId {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(UnknownName);
        }
        s.parse().map(Self).map_err(|_| UnknownName)
    }
}

/// A delivery's verified metadata: everything known about it except the body and headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryMeta {
    pub(crate) route: String,
    pub(crate) tenant: String,
    pub(crate) provider: String,
    pub(crate) delivery_id: DeliveryId,
    pub(crate) key_id: Option<KeyId>,
    pub(crate) signed_at: Option<i64>,
    pub(crate) received_at: Timestamp,
    pub(crate) client_key: Option<String>,
    /// SHA-256 of the body ([`crate::replay::BodyDigest`]'s bytes).
    pub(crate) digest: [u8; 32],
}

impl DeliveryMeta {
    /// The route it arrived on (which handler runs it).
    pub fn route(&self) -> &str {
        &self.route
    }
    /// The tenant (`""` for a single-tenant app).
    pub fn tenant(&self) -> &str {
        &self.tenant
    }
    /// The provider (scheme) name, e.g. `stripe`.
    pub fn provider(&self) -> &str {
        &self.provider
    }
    /// The provider's delivery id, from signed material.
    pub fn delivery_id(&self) -> &DeliveryId {
        &self.delivery_id
    }
    /// Which configured key verified it.
    pub fn key_id(&self) -> Option<&KeyId> {
        self.key_id.as_ref()
    }
    /// The signed timestamp (Unix seconds), for schemes that sign one.
    pub fn signed_at(&self) -> Option<i64> {
        self.signed_at
    }
    /// When the inbox committed it.
    pub fn received_at(&self) -> Timestamp {
        self.received_at
    }
    /// The client key (peer address) it came from, when the receiver recorded one.
    pub fn client_key(&self) -> Option<&str> {
        self.client_key.as_deref()
    }
    /// SHA-256 of the body: the bytes of its [`BodyDigest`](crate::replay::BodyDigest).
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }
    /// SHA-256 of the body as 64 lower-case hex digits.
    pub fn digest_hex(&self) -> String {
        hex::encode(self.digest)
    }
    /// `tenant/provider/delivery-id`: the key the inbox deduplicates on, and the key a
    /// handler should make its effects idempotent on.
    pub fn idempotency_key(&self) -> String {
        format!("{}/{}/{}", self.tenant, self.provider, self.delivery_id)
    }
}

/// One delivery as listed: its metadata, state and counters, without body or attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliverySummary {
    pub(crate) id: InboxId,
    pub(crate) meta: DeliveryMeta,
    pub(crate) state: State,
    /// Attempts so far, every kind counted (the number of the latest attempt).
    pub(crate) attempts: u32,
    /// Pending or held: when the next attempt is due.
    pub(crate) due_at: Timestamp,
    pub(crate) updated_at: Timestamp,
    pub(crate) finished_at: Option<Timestamp>,
    pub(crate) dead_reason: Option<DeadReason>,
    pub(crate) last_error: Option<String>,
    pub(crate) replays: u32,
    pub(crate) body_len: u64,
    /// Bytes counted against the store's capacity.
    pub(crate) stored_bytes: u64,
    /// What starts the next attempt.
    pub(crate) next_trigger: Trigger,
    /// Attempts before the current cycle (0, or the attempt count at the last replay).
    pub(crate) cycle_start: u32,
    /// Start of the current cycle: the receipt, or the last replay. Max age counts from here.
    pub(crate) cycle_started_at: Timestamp,
    /// Processing: the fencing token and the lease's end.
    pub(crate) lease: Option<(FenceToken, Timestamp)>,
}

impl DeliverySummary {
    /// The inbox's id.
    pub fn id(&self) -> InboxId {
        self.id
    }
    /// Its verified metadata.
    pub fn meta(&self) -> &DeliveryMeta {
        &self.meta
    }
    /// Its state.
    pub fn state(&self) -> State {
        self.state
    }
    /// Attempts so far, replays included: the number of the latest attempt.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
    /// Pending or held: when the next attempt is due.
    pub fn due_at(&self) -> Option<Timestamp> {
        matches!(self.state, State::Pending | State::Held).then_some(self.due_at)
    }
    /// Processing: when the current lease ends.
    pub fn lease_until(&self) -> Option<Timestamp> {
        self.lease.map(|(_, until)| until)
    }
    /// When its state last changed.
    pub fn updated_at(&self) -> Timestamp {
        self.updated_at
    }
    /// Done or dead: since when.
    pub fn finished_at(&self) -> Option<Timestamp> {
        self.finished_at
    }
    /// Dead: why.
    pub fn dead_reason(&self) -> Option<DeadReason> {
        self.dead_reason
    }
    /// The error text of the latest failed attempt, if the latest attempt failed.
    pub fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }
    /// How often an operator replayed it.
    pub fn replays(&self) -> u32 {
        self.replays
    }
    /// The body's length in bytes.
    pub fn body_len(&self) -> u64 {
        self.body_len
    }
    /// When the current cycle began (the receipt or the latest replay); the maximum age
    /// counts from here.
    pub fn cycle_started_at(&self) -> Timestamp {
        self.cycle_started_at
    }
    /// Attempts in the current cycle (since the receipt or the latest replay).
    pub fn attempts_in_cycle(&self) -> u32 {
        self.attempts.saturating_sub(self.cycle_start)
    }
}

/// The exact bytes of a delivery and the headers kept to verify it again.
#[derive(Clone, PartialEq, Eq)]
pub struct Payload {
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Bytes,
}

impl Payload {
    /// The headers the receiver kept, in their original order.
    pub fn headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.headers
    }
    /// The body, byte for byte as received.
    pub fn body(&self) -> &Bytes {
        &self.body
    }
}

impl fmt::Debug for Payload {
    /// Header names and the body's length only: values and bodies stay out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Payload")
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// One delivery with its attempts, and its payload when asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryDetail {
    pub(crate) summary: DeliverySummary,
    pub(crate) attempts: Vec<Attempt>,
    pub(crate) payload: Option<Payload>,
}

impl DeliveryDetail {
    /// Metadata, state and counters.
    pub fn summary(&self) -> &DeliverySummary {
        &self.summary
    }
    /// Every attempt, oldest first.
    pub fn attempts(&self) -> &[Attempt] {
        &self.attempts
    }
    /// Headers and body, present only when asked for.
    pub fn payload(&self) -> Option<&Payload> {
        self.payload.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inbox_ids_parse_strictly() {
        assert_eq!("42".parse::<InboxId>(), Ok(InboxId::new(42)));
        for bad in ["", "+1", "-1", "1.0", " 1", "99999999999999999999"] {
            assert!(bad.parse::<InboxId>().is_err(), "{bad:?}");
        }
        assert_eq!(InboxId::new(7).to_string(), "7");
    }

    #[test]
    fn payload_debug_shows_no_values() {
        let payload = Payload {
            headers: vec![(
                HeaderName::from_static("webhook-signature"),
                HeaderValue::from_static("v1,SIGNATURE"),
            )],
            body: Bytes::from_static(b"BODY-CANARY"),
        };
        let text = format!("{payload:?}");
        assert!(text.contains("webhook-signature") && text.contains("11"));
        assert!(!text.contains("CANARY") && !text.contains("SIGNATURE"));
    }
}
