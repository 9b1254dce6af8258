//! Steps 2 and 3 of a verification: rebuild the signed message and find the key that signed
//! it (every key against every offered signature, no early exit), then check the signed
//! timestamp against the window.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use http::{Method, Uri};

use super::Inner;
use super::extract::Claimed;
use crate::crypto::Matcher;
use crate::error::Rejection;
use crate::providers::twilio;
use crate::scheme::{MessageInput, Scheme, TimestampSource, body_json, form, timestamp};

/// The index of the key whose signature the delivery carries.
#[inline]
pub(super) fn matching_key(
    inner: &Inner,
    method: &Method,
    uri: &Uri,
    body: &[u8],
    claimed: &Claimed<'_>,
) -> Result<usize, Rejection> {
    // The signed URL is the configured public origin plus the request's path and query:
    // the request's own `Host` is never trusted. Built only for schemes that sign it.
    let url = match &inner.public_origin {
        Some(origin) => Cow::Owned(format!(
            "{origin}{}",
            uri.path_and_query().map_or("/", |pq| pq.as_str())
        )),
        None => Cow::Borrowed(""),
    };
    let mut input = MessageInput {
        method: method.as_str(),
        url: &url,
        id: claimed.id.unwrap_or(""),
        timestamp: claimed.timestamp_text,
        body,
        params: &[],
    };
    let mut matcher = Matcher::new(&inner.keys, &inner.scheme);
    if !inner.signs_form_params {
        matcher.offer(&claimed.signatures, &input);
        return matcher.matched().ok_or(Rejection::SignatureMismatch);
    }
    // Twilio's rules: with `bodySHA256` in the URL only the URL is signed and the body must
    // hash to it; otherwise the sorted form parameters follow the URL. The URL is tried with
    // and without its default port.
    let body_hash = twilio::body_sha256_param(&url);
    let params = match body_hash {
        Some(_) => Vec::new(),
        None => form::sorted_params(body)?,
    };
    input.params = &params;
    for candidate in &twilio::url_variants(&url) {
        input.url = candidate;
        matcher.offer(&claimed.signatures, &input);
    }
    let key = matcher.matched().ok_or(Rejection::SignatureMismatch)?;
    match body_hash {
        Some(expected) if !twilio::body_hashes_to(body, expected) => {
            Err(Rejection::SignatureMismatch)
        }
        _ => Ok(key),
    }
}

/// The signed timestamp in Unix seconds, checked against the window; a timestamp carried in
/// a body field is read only now, after the signature matched.
#[inline]
pub(super) fn window(
    scheme: &Scheme,
    claimed: &Claimed<'_>,
    body: &[u8],
    now: SystemTime,
    tolerance: Duration,
) -> Result<Option<i64>, Rejection> {
    let signed = match &scheme.timestamp {
        Some(TimestampSource::BodyJsonField(field, unit)) => {
            let ts = body_json::integer(body, field).ok_or(Rejection::MalformedPayload)?;
            Some((ts, *unit))
        }
        _ => claimed.timestamp,
    };
    if let Some((ts, unit)) = signed
        && !timestamp::within(ts, unit, now, tolerance)
    {
        return Err(Rejection::TimestampOutOfWindow);
    }
    Ok(signed.map(|(ts, unit)| ts.div_euclid(unit.per_second() as i64)))
}
