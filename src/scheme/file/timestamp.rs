//! The `[timestamp]` table: where the timestamp is, and its unit.

use std::borrow::Cow;

use http::HeaderName;

use crate::scheme::{Layout, TimestampSource, Unit};

use super::names::UNITS;
use super::raw::RawTimestamp;
use super::signature::MAX_FIELD_LEN;
use super::{Invalid, fail, header_name, quote};

pub(super) fn timestamp_source(
    ts: &RawTimestamp,
    layout: &Layout,
    signature_header: Option<&HeaderName>,
) -> Result<TimestampSource, Invalid> {
    const UNIT: &[&str] = &["timestamp", "unit"];
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
        let path = &["timestamp", "header"];
        let name = header_name(header, path)?;
        if Some(&name) == signature_header {
            // ct-lint: public (scheme configuration, not a MAC)
            return fail(path, "the timestamp needs a header of its own");
        }
        return Ok(TimestampSource::Header(name, unit));
    }
    if let Some(from) = &ts.from {
        let path = &["timestamp", "from"];
        if from != "signature-param" {
            return fail(
                path,
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
                path,
                "signature-param needs signature.list with a timestamp_key, or signature.body_json",
            );
        }
        return Ok(TimestampSource::SignatureParam(unit));
    }
    let field = ts.body_json_field.as_deref().unwrap_or("");
    let path = &["timestamp", "body_json_field"];
    if field.is_empty() || field.len() > MAX_FIELD_LEN {
        return fail(path, format!("a field name of 1 to {MAX_FIELD_LEN} bytes"));
    }
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
