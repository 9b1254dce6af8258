//! The `[timestamp]` table: where the timestamp is, and its unit.

use std::borrow::Cow;

use http::HeaderName;

use crate::scheme::{Layout, TimestampSource, Unit};

use super::names::UNITS;
use super::raw::RawTimestamp;
use super::signature::Signature;
use super::{Invalid, fail, field_name, header_name, quote};

const UNIT: &[&str] = &["timestamp", "unit"];

/// The `[timestamp]` table, checked against the signature: a token scheme has none, and a
/// signature that carries a timestamp (a list's timestamp item, or the body's object) is
/// where it comes from.
pub(super) fn timestamp(
    raw: Option<&RawTimestamp>,
    token: bool,
    signature: &Signature,
) -> Result<Option<TimestampSource>, Invalid> {
    let timestamp = match raw {
        None => None,
        Some(_) if token => {
            return fail(
                &["timestamp"],
                "a token scheme signs nothing, so its timestamp would not be authenticated",
            );
        }
        Some(ts) => Some(source(ts, signature)?),
    };
    let from_signature = matches!(timestamp, Some(TimestampSource::SignatureParam(_)));
    if signature.in_body() && !from_signature {
        return fail(
            &["timestamp"],
            "a signature in body_json needs a [timestamp] table with from = \"signature-param\" \
             (its timestamp_field) and its unit",
        );
    }
    if let Layout::List {
        timestamp_key: Some(_),
        ..
    } = &signature.layout
        && !from_signature
    {
        return fail(
            &["signature", "list", "timestamp_key"],
            "the signature header's timestamp item needs a [timestamp] table with \
             from = \"signature-param\" and its unit",
        );
    }
    Ok(timestamp)
}

/// Exactly one of `header`, `from` and `body_json_field`, and the unit.
fn source(ts: &RawTimestamp, signature: &Signature) -> Result<TimestampSource, Invalid> {
    let given = [
        ts.header.is_some(),
        ts.from.is_some(),
        ts.body_json_field.is_some(),
    ];
    match given.iter().filter(|g| **g).count() {
        0 => {
            return fail(
                &["timestamp"],
                "say where the timestamp is: header, from = \"signature-param\" or \
                 body_json_field",
            );
        }
        1 => {}
        _ => {
            return fail(
                &["timestamp"],
                "only one of header, from and body_json_field",
            );
        }
    }
    let unit = UNITS.required(&ts.unit, UNIT)?;
    if let Some(header) = &ts.header {
        return own_header(header, signature.header.as_ref(), unit);
    }
    if let Some(from) = &ts.from {
        return signature_param(from, &signature.layout, unit);
    }
    body_json_field(ts.body_json_field.as_deref().unwrap_or(""), unit)
}

fn own_header(
    header: &str,
    signature_header: Option<&HeaderName>,
    unit: Unit,
) -> Result<TimestampSource, Invalid> {
    const PATH: &[&str] = &["timestamp", "header"];
    let name = header_name(header, PATH)?;
    if Some(&name) == signature_header {
        // ct-lint: public (scheme configuration, not a MAC)
        return fail(PATH, "the timestamp needs a header of its own");
    }
    Ok(TimestampSource::Header(name, unit))
}

/// `from = "signature-param"`: the signature's own timestamp item or field.
fn signature_param(from: &str, layout: &Layout, unit: Unit) -> Result<TimestampSource, Invalid> {
    const PATH: &[&str] = &["timestamp", "from"];
    if from != "signature-param" {
        return fail(
            PATH,
            format!(
                "unknown source {}; expected \"signature-param\" (or use header or \
                 body_json_field)",
                quote(from)
            ),
        );
    }
    if !matches!(
        layout,
        Layout::List {
            timestamp_key: Some(_),
            ..
        } | Layout::BodyJson { .. }
    ) {
        return fail(
            PATH,
            "signature-param needs signature.list with a timestamp_key, or signature.body_json",
        );
    }
    Ok(TimestampSource::SignatureParam(unit))
}

/// A top-level integer of the JSON body, signed as part of it.
fn body_json_field(field: &str, unit: Unit) -> Result<TimestampSource, Invalid> {
    let field = field_name(field, &["timestamp", "body_json_field"])?;
    if unit == Unit::Rfc3339 {
        return fail(
            UNIT,
            "a body_json_field timestamp is an integer: seconds or milliseconds",
        );
    }
    Ok(TimestampSource::BodyJsonField(
        Cow::Owned(field.to_owned()),
        unit,
    ))
}
