//! Step 1 of a verification: read what the delivery claims — its signatures, its signed
//! timestamp and its id — from the headers (or from the body, for schemes that carry their
//! signature there), strictly, before any MAC is computed.

use http::HeaderMap;

use crate::error::Rejection;
use crate::scheme::body_json::SignatureObject;
use crate::scheme::{
    ParsedSignatures, Scheme, TimestampSource, Unit, body_signature, one_header,
    parse_body_signature, parse_signatures, timestamp,
};
use crate::verified::valid_id;

/// What a delivery claims, borrowed from its headers (or its body's signature object).
pub(super) struct Claimed<'a> {
    pub(super) signatures: ParsedSignatures<'a>,
    /// The signed timestamp as sent (part of the signed message), or `""`.
    pub(super) timestamp_text: &'a str,
    /// The signed timestamp, when the scheme carries it in a header or the signature.
    pub(super) timestamp: Option<(i64, Unit)>,
    /// The signed delivery id, when the scheme has one.
    pub(super) id: Option<&'a str>,
}

/// Reads the claims. `object` holds the parsed signature object of a body-carried signature,
/// which the claims borrow from.
#[inline]
pub(super) fn claims<'a>(
    scheme: &Scheme,
    headers: &'a HeaderMap,
    body: &[u8],
    object: &'a mut Option<SignatureObject>,
) -> Result<Claimed<'a>, Rejection> {
    let signatures = match &scheme.signature_header {
        Some(name) => {
            let value = one_header(headers, name)?.ok_or(Rejection::MissingSignature)?;
            parse_signatures(scheme, value)?
        }
        None => parse_body_signature(scheme, object.insert(body_signature(&scheme.layout, body)?))?,
    };
    let SignedTimestamp {
        text: timestamp_text,
        value: timestamp,
    } = signed_timestamp(scheme, headers, &signatures)?;
    let id = signed_id(scheme, headers, &signatures)?;
    Ok(Claimed {
        signatures,
        timestamp_text,
        timestamp,
        id,
    })
}

/// A signed timestamp as sent, and its value in its unit.
struct SignedTimestamp<'a> {
    text: &'a str,
    value: Option<(i64, Unit)>,
}

/// The timestamp from its header or from the signature's own parameter. A timestamp in a
/// body field is read after the signature matched (see `check::window`).
#[inline]
fn signed_timestamp<'a>(
    scheme: &Scheme,
    headers: &'a HeaderMap,
    signatures: &ParsedSignatures<'a>,
) -> Result<SignedTimestamp<'a>, Rejection> {
    match &scheme.timestamp {
        Some(TimestampSource::Header(name, unit)) => {
            let text =
                one_header(headers, name)?.ok_or_else(|| Rejection::MissingHeader(name.clone()))?;
            let ts = timestamp::parse(text, *unit)
                .ok_or_else(|| Rejection::MalformedHeader(name.clone()))?;
            Ok(SignedTimestamp {
                text,
                value: Some((ts, *unit)),
            })
        }
        Some(TimestampSource::SignatureParam(unit)) => {
            let text = signatures
                .timestamp
                .ok_or_else(|| scheme.malformed_signature())?;
            let ts = timestamp::parse(text, *unit).ok_or_else(|| scheme.malformed_signature())?;
            Ok(SignedTimestamp {
                text,
                value: Some((ts, *unit)),
            })
        }
        Some(TimestampSource::BodyJsonField(..)) | None => Ok(SignedTimestamp {
            text: "",
            value: None,
        }),
    }
}

/// The id from its signed header, or a body-carried signature's id field (Mailgun's token:
/// signed, a nonce, and the only replay key — the body is not signed, so its digest would not
/// do).
#[inline]
fn signed_id<'a>(
    scheme: &Scheme,
    headers: &'a HeaderMap,
    signatures: &ParsedSignatures<'a>,
) -> Result<Option<&'a str>, Rejection> {
    match &scheme.id_header {
        Some(name) => {
            let id =
                one_header(headers, name)?.ok_or_else(|| Rejection::MissingHeader(name.clone()))?;
            if !valid_id(id) {
                return Err(Rejection::MalformedHeader(name.clone()));
            }
            Ok(Some(id))
        }
        None => match signatures.id {
            Some(id) if valid_id(id) => Ok(Some(id)),
            Some(_) => Err(scheme.malformed_signature()),
            None => Ok(None),
        },
    }
}
