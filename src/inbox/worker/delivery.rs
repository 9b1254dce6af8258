//! [`InboxDelivery`]: what a handler receives.

use std::fmt;

use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use serde::de::DeserializeOwned;

use crate::inbox::lease::Leased;
use crate::inbox::record::{DeliveryMeta, InboxId, Payload};
use crate::inbox::state::Trigger;
use crate::inbox::time::Timestamp;
use crate::{DeliveryId, KeyId};

/// A verified delivery, handed to its route's handler by the worker.
///
/// Handlers run at least once per delivery: a crash after the handler's effect and before
/// the done mark runs it again. Make effects idempotent on
/// [`idempotency_key`](Self::idempotency_key) (and [`attempt`](Self::attempt) tells a
/// retry from a first run).
#[derive(Clone)]
pub struct InboxDelivery {
    id: InboxId,
    attempt: u32,
    trigger: Trigger,
    meta: DeliveryMeta,
    payload: Payload,
}

impl InboxDelivery {
    pub(crate) fn new(leased: Leased) -> Self {
        Self {
            id: leased.summary.id,
            attempt: leased.summary.attempts,
            trigger: leased.summary.next_trigger,
            meta: leased.summary.meta,
            payload: leased.payload,
        }
    }

    /// The inbox's id of the delivery.
    pub fn id(&self) -> InboxId {
        self.id
    }
    /// This attempt's number: 1 for the first run, counting every attempt the delivery has
    /// had, replays included (a replay after 4 failed attempts runs attempt 5).
    pub fn attempt(&self) -> u32 {
        self.attempt
    }
    /// What started this attempt.
    pub fn trigger(&self) -> Trigger {
        self.trigger
    }
    /// All the verified metadata.
    pub fn meta(&self) -> &DeliveryMeta {
        &self.meta
    }
    /// The route it arrived on.
    pub fn route(&self) -> &str {
        &self.meta.route
    }
    /// The tenant (`""` for a single-tenant app).
    pub fn tenant(&self) -> &str {
        &self.meta.tenant
    }
    /// The provider, e.g. `stripe`.
    pub fn provider(&self) -> &str {
        &self.meta.provider
    }
    /// The provider's delivery id (from signed material).
    pub fn delivery_id(&self) -> &DeliveryId {
        &self.meta.delivery_id
    }
    /// Which configured key verified it.
    pub fn key_id(&self) -> Option<&KeyId> {
        self.meta.key_id.as_ref()
    }
    /// The signed timestamp (Unix seconds), for schemes that sign one.
    pub fn signed_at(&self) -> Option<i64> {
        self.meta.signed_at
    }
    /// When the inbox committed it.
    pub fn received_at(&self) -> Timestamp {
        self.meta.received_at
    }
    /// `tenant/provider/delivery-id`: the key to make effects idempotent on.
    pub fn idempotency_key(&self) -> String {
        self.meta.idempotency_key()
    }
    /// The exact bytes received (and verified).
    pub fn body(&self) -> &Bytes {
        &self.payload.body
    }
    /// The headers the receiver kept.
    pub fn headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.payload.headers
    }
    /// The first kept header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&HeaderValue> {
        self.payload
            .headers
            .iter()
            .find(|(n, _)| n.as_str().eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The body decoded by its kept `Content-Type` header: form for
    /// `application/x-www-form-urlencoded`, JSON otherwise (or without the header).
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, PayloadError> {
        let is_form = self
            .header("content-type")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|e| {
                e.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if is_form { self.form() } else { self.json() }
    }

    /// The body as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, PayloadError> {
        serde_json::from_slice(&self.payload.body).map_err(|e| PayloadError {
            format: "json",
            line: Some(e.line()),
            column: Some(e.column()),
        })
    }

    /// The body as `application/x-www-form-urlencoded`.
    pub fn form<T: DeserializeOwned>(&self) -> Result<T, PayloadError> {
        serde_urlencoded::from_bytes(&self.payload.body).map_err(|_| PayloadError {
            format: "form",
            line: None,
            column: None,
        })
    }
}

impl fmt::Debug for InboxDelivery {
    /// Metadata and the body's length; never the body.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboxDelivery")
            .field("id", &self.id)
            .field("attempt", &self.attempt)
            .field("route", &self.meta.route)
            .field("provider", &self.meta.provider)
            .field("delivery_id", &self.meta.delivery_id)
            .field("body_len", &self.payload.body.len())
            .finish_non_exhaustive()
    }
}

/// The body does not decode as the expected type. Carries the format and the position of
/// the error, never the content around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadError {
    format: &'static str,
    line: Option<usize>,
    column: Option<usize>,
}

impl PayloadError {
    /// `json` or `form`.
    pub fn format(&self) -> &'static str {
        self.format
    }
    /// The line of the error (JSON).
    pub fn line(&self) -> Option<usize> {
        self.line
    }
    /// The column of the error (JSON).
    pub fn column(&self) -> Option<usize> {
        self.column
    }
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "payload is not valid {}", self.format)?;
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, " (line {line}, column {column})")?;
        }
        Ok(())
    }
}

impl std::error::Error for PayloadError {}
