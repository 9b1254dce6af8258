//! The byte layout of records, attempts and payloads in the redb file.
//!
//! A small length-prefixed binary format with a version byte, written and read by hand:
//! every read is bounds-checked and a record that does not decode is
//! [`StoreError::Corrupt`], never a panic.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue};

use crate::inbox::attempt::{Attempt, AttemptOutcome};
use crate::inbox::error::StoreError;
use crate::inbox::lease::FenceToken;
use crate::inbox::record::{DeliveryMeta, DeliverySummary, InboxId, Payload};
use crate::inbox::state::{DeadReason, State, Trigger};
use crate::inbox::time::Timestamp;
use crate::{DeliveryId, KeyId};

/// The layout version written in front of every value.
const VERSION: u8 = 1;

/// Appends fields to a buffer.
pub(super) struct Enc(Vec<u8>);

impl Enc {
    pub(super) fn new(capacity: usize) -> Self {
        let mut buf = Vec::with_capacity(capacity + 1);
        buf.push(VERSION);
        Self(buf)
    }
    pub(super) fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub(super) fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(super) fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(super) fn bytes(&mut self, v: &[u8]) {
        // Lengths above 4 GiB cannot occur: bodies are capped far below that upstream.
        self.u32(u32::try_from(v.len()).unwrap_or(u32::MAX));
        self.0.extend_from_slice(v);
    }
    pub(super) fn opt_bytes(&mut self, v: Option<&[u8]>) {
        match v {
            Some(v) => {
                self.u8(1);
                self.bytes(v);
            }
            None => self.u8(0),
        }
    }
    pub(super) fn opt_u64(&mut self, v: Option<u64>) {
        match v {
            Some(v) => {
                self.u8(1);
                self.u64(v);
            }
            None => self.u8(0),
        }
    }
    pub(super) fn into_vec(self) -> Vec<u8> {
        self.0
    }
}

/// Reads fields back, failing on any short or malformed input.
pub(super) struct Dec<'a> {
    buf: &'a [u8],
    what: &'static str,
}

impl<'a> Dec<'a> {
    pub(super) fn new(buf: &'a [u8], what: &'static str) -> Result<Self, StoreError> {
        let mut dec = Self { buf, what };
        match dec.u8()? {
            VERSION => Ok(dec),
            _ => Err(dec.corrupt()),
        }
    }
    fn corrupt(&self) -> StoreError {
        StoreError::Corrupt(self.what)
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], StoreError> {
        if self.buf.len() < n {
            return Err(self.corrupt());
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], StoreError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    pub(super) fn u8(&mut self) -> Result<u8, StoreError> {
        Ok(self.array::<1>()?[0])
    }
    pub(super) fn u32(&mut self) -> Result<u32, StoreError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    pub(super) fn u64(&mut self) -> Result<u64, StoreError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    pub(super) fn bytes(&mut self) -> Result<&'a [u8], StoreError> {
        let len = usize::try_from(self.u32()?).map_err(|_| self.corrupt())?;
        self.take(len)
    }
    pub(super) fn str(&mut self) -> Result<&'a str, StoreError> {
        let bytes = self.bytes()?;
        std::str::from_utf8(bytes).map_err(|_| self.corrupt())
    }
    pub(super) fn flag(&mut self) -> Result<bool, StoreError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(self.corrupt()),
        }
    }
    pub(super) fn opt_str(&mut self) -> Result<Option<&'a str>, StoreError> {
        if self.flag()? {
            self.str().map(Some)
        } else {
            Ok(None)
        }
    }
    pub(super) fn opt_u64(&mut self) -> Result<Option<u64>, StoreError> {
        if self.flag()? {
            self.u64().map(Some)
        } else {
            Ok(None)
        }
    }
    /// Decodes a one-byte vocabulary code.
    pub(super) fn code<T>(&mut self, from: fn(u8) -> Option<T>) -> Result<T, StoreError> {
        let code = self.u8()?;
        from(code).ok_or_else(|| self.corrupt())
    }
    pub(super) fn end(self) -> Result<(), StoreError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(self.corrupt())
        }
    }
}

fn ts(v: u64) -> Timestamp {
    Timestamp::from_unix_millis(v)
}

/// Encodes a record (everything but its id, which is the table key).
pub(super) fn encode_record(r: &DeliverySummary) -> Vec<u8> {
    let m = &r.meta;
    let mut e = Enc::new(256);
    e.bytes(m.route.as_bytes());
    e.bytes(m.tenant.as_bytes());
    e.bytes(m.provider.as_bytes());
    e.bytes(m.delivery_id.as_str().as_bytes());
    e.opt_bytes(m.key_id.as_ref().map(|k| k.as_str().as_bytes()));
    e.opt_u64(m.signed_at.map(|t| t as u64));
    e.u64(m.received_at.as_unix_millis());
    e.opt_bytes(m.client_key.as_deref().map(str::as_bytes));
    e.bytes(&m.digest);
    e.u8(r.state.code());
    e.u32(r.attempts);
    e.u64(r.due_at.as_unix_millis());
    e.u64(r.updated_at.as_unix_millis());
    e.opt_u64(r.finished_at.map(Timestamp::as_unix_millis));
    e.opt_u64(r.dead_reason.map(|d| u64::from(d.code())));
    e.opt_bytes(r.last_error.as_deref().map(str::as_bytes));
    e.u32(r.replays);
    e.u64(r.body_len);
    e.u64(r.stored_bytes);
    e.u8(r.next_trigger.code());
    e.u32(r.cycle_start);
    e.u64(r.cycle_started_at.as_unix_millis());
    e.opt_u64(r.lease.map(|(token, _)| token.0));
    e.opt_u64(r.lease.map(|(_, until)| until.as_unix_millis()));
    e.into_vec()
}

fn decode_meta(d: &mut Dec<'_>) -> Result<DeliveryMeta, StoreError> {
    let corrupt = StoreError::Corrupt("record");
    Ok(DeliveryMeta {
        route: d.str()?.to_owned(),
        tenant: d.str()?.to_owned(),
        provider: d.str()?.to_owned(),
        delivery_id: DeliveryId::new(d.str()?).ok_or(corrupt.clone())?,
        key_id: match d.opt_str()? {
            Some(k) => Some(KeyId::new(k).map_err(|_| corrupt)?),
            None => None,
        },
        signed_at: d.opt_u64()?.map(|t| t as i64),
        received_at: ts(d.u64()?),
        client_key: d.opt_str()?.map(str::to_owned),
        digest: {
            let digest = d.bytes()?;
            <[u8; 32]>::try_from(digest).map_err(|_| StoreError::Corrupt("record"))?
        },
    })
}

/// Decodes the record stored under `id`.
pub(super) fn decode_record(id: u64, bytes: &[u8]) -> Result<DeliverySummary, StoreError> {
    let mut d = Dec::new(bytes, "record")?;
    let meta = decode_meta(&mut d)?;
    let record = DeliverySummary {
        id: InboxId::new(id),
        meta,
        state: d.code(State::from_code)?,
        attempts: d.u32()?,
        due_at: ts(d.u64()?),
        updated_at: ts(d.u64()?),
        finished_at: d.opt_u64()?.map(ts),
        dead_reason: match d.opt_u64()? {
            Some(code) => Some(
                u8::try_from(code)
                    .ok()
                    .and_then(DeadReason::from_code)
                    .ok_or(StoreError::Corrupt("record"))?,
            ),
            None => None,
        },
        last_error: d.opt_str()?.map(str::to_owned),
        replays: d.u32()?,
        body_len: d.u64()?,
        stored_bytes: d.u64()?,
        next_trigger: d.code(Trigger::from_code)?,
        cycle_start: d.u32()?,
        cycle_started_at: ts(d.u64()?),
        lease: match (d.opt_u64()?, d.opt_u64()?) {
            (Some(token), Some(until)) => Some((FenceToken(token), ts(until))),
            (None, None) => None,
            _ => return Err(StoreError::Corrupt("record")),
        },
    };
    d.end()?;
    Ok(record)
}

/// Encodes an attempt (its number is part of the table key).
pub(super) fn encode_attempt(a: &Attempt) -> Vec<u8> {
    let mut e = Enc::new(64 + a.error.as_ref().map_or(0, String::len));
    e.u8(a.trigger.code());
    e.u64(a.started_at.as_unix_millis());
    e.opt_u64(a.ended_at.map(Timestamp::as_unix_millis));
    e.u8(a.outcome.code());
    e.opt_u64(
        a.latency
            .map(|l| u64::try_from(l.as_micros()).unwrap_or(u64::MAX)),
    );
    e.opt_bytes(a.error.as_deref().map(str::as_bytes));
    e.into_vec()
}

/// Decodes attempt `number`.
pub(super) fn decode_attempt(number: u32, bytes: &[u8]) -> Result<Attempt, StoreError> {
    let mut d = Dec::new(bytes, "attempt")?;
    let attempt = Attempt {
        number,
        trigger: d.code(Trigger::from_code)?,
        started_at: ts(d.u64()?),
        ended_at: d.opt_u64()?.map(ts),
        outcome: d.code(AttemptOutcome::from_code)?,
        latency: d.opt_u64()?.map(Duration::from_micros),
        error: d.opt_str()?.map(str::to_owned),
    };
    d.end()?;
    Ok(attempt)
}

/// Encodes headers and body.
pub(super) fn encode_payload(headers: &[(HeaderName, HeaderValue)], body: &[u8]) -> Vec<u8> {
    let size: usize = headers
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 8)
        .sum();
    let mut e = Enc::new(size + body.len() + 8);
    e.u32(u32::try_from(headers.len()).unwrap_or(u32::MAX));
    for (name, value) in headers {
        e.bytes(name.as_str().as_bytes());
        e.bytes(value.as_bytes());
    }
    e.bytes(body);
    e.into_vec()
}

/// Decodes headers and body, byte for byte as they were received.
pub(super) fn decode_payload(bytes: &[u8]) -> Result<Payload, StoreError> {
    let corrupt = || StoreError::Corrupt("payload");
    let mut d = Dec::new(bytes, "payload")?;
    let count = d.u32()?;
    let mut headers = Vec::with_capacity(usize::try_from(count.min(256)).unwrap_or(0));
    for _ in 0..count {
        let name = HeaderName::from_bytes(d.bytes()?).map_err(|_| corrupt())?;
        let value = HeaderValue::from_bytes(d.bytes()?).map_err(|_| corrupt())?;
        headers.push((name, value));
    }
    let body = Bytes::copy_from_slice(d.bytes()?);
    d.end()?;
    Ok(Payload { headers, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trips_byte_exact() {
        let headers = vec![
            (
                HeaderName::from_static("webhook-id"),
                HeaderValue::from_static("msg_1"),
            ),
            (
                HeaderName::from_static("x-raw"),
                HeaderValue::from_bytes(b"\xff\x80 opaque").unwrap(),
            ),
        ];
        let body: Vec<u8> = (0..=255u8).collect();
        let payload = decode_payload(&encode_payload(&headers, &body)).unwrap();
        assert_eq!(payload.headers, headers);
        assert_eq!(&payload.body[..], &body[..]);
    }

    #[test]
    fn truncated_or_trailing_input_is_corrupt() {
        let bytes = encode_payload(&[], b"body");
        for cut in 0..bytes.len() {
            assert!(decode_payload(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode_payload(&longer).is_err());
        let mut other_version = bytes;
        other_version[0] = 9;
        assert!(matches!(
            decode_payload(&other_version),
            Err(StoreError::Corrupt("payload"))
        ));
    }

    #[test]
    fn attempts_round_trip() {
        let attempt = Attempt {
            number: 4,
            trigger: Trigger::Replay,
            started_at: ts(10),
            ended_at: Some(ts(12)),
            outcome: AttemptOutcome::Failed,
            latency: Some(Duration::from_micros(1500)),
            error: Some("upstream 503".into()),
        };
        assert_eq!(
            decode_attempt(4, &encode_attempt(&attempt)).unwrap(),
            attempt
        );
    }
}
