//! The `[signature]` table: where the signature travels (a header, or the JSON body), its
//! encoding, and its shape.

use std::borrow::Cow;

use http::HeaderName;

use crate::scheme::{Encoding, Layout};

use super::names::ENCODINGS;
use super::raw::{RawBodyJson, RawList, RawSignature};
use super::{Invalid, fail, field_name, header_name, quote, required};

const MAX_KEY_LEN: usize = 32;
const MAX_PREFIX_LEN: usize = 64;

/// The `[signature]` table, checked.
pub(super) struct Signature {
    /// `None` when the signature travels in the body.
    pub(super) header: Option<HeaderName>,
    pub(super) encoding: Encoding,
    pub(super) layout: Layout,
}

impl Signature {
    pub(super) fn in_body(&self) -> bool {
        matches!(self.layout, Layout::BodyJson { .. })
    }
}

pub(super) fn signature(raw: Option<&RawSignature>, token: bool) -> Result<Signature, Invalid> {
    let Some(sig) = raw else {
        return fail(
            &["signature"],
            "missing: the [signature] table (header, encoding)",
        );
    };
    let header = header(sig)?;
    if sig.body_json.is_some() && token {
        return fail(
            &["signature", "body_json"],
            "a token scheme carries its secret in a header, not in the body",
        );
    }
    let encoding = ENCODINGS.required(&sig.encoding, &["signature", "encoding"])?;
    if token != (encoding == Encoding::Raw) {
        // ct-lint: public (scheme configuration, not a MAC)
        return fail(
            &["signature", "encoding"],
            "raw is the encoding of algorithm = \"token\", and token's only one",
        );
    }
    Ok(Signature {
        header,
        encoding,
        layout: layout(sig)?,
    })
}

/// The signature's header, or `None` with `body_json`: one or the other.
fn header(sig: &RawSignature) -> Result<Option<HeaderName>, Invalid> {
    const PATH: &[&str] = &["signature", "header"];
    match (&sig.header, sig.body_json.is_some()) {
        (Some(_), true) => fail(
            &["signature", "body_json"],
            "give either header or body_json (the signature travels in the body), not both",
        ),
        (None, true) => Ok(None),
        (header, false) => {
            let text = required(header, PATH, "the signature's header (or body_json)")?;
            Ok(Some(header_name(text, PATH)?))
        }
    }
}

/// The shape of the signature: in the body, one value after a prefix, or a list of items.
fn layout(sig: &RawSignature) -> Result<Layout, Invalid> {
    if let Some(body) = &sig.body_json {
        if sig.prefix.is_some() || sig.list.is_some() {
            return fail(
                &["signature", "body_json"],
                "a signature in body_json has no prefix or list",
            );
        }
        return body_json_layout(body);
    }
    match (&sig.prefix, &sig.list) {
        (Some(_), Some(_)) => fail(
            &["signature", "list"],
            "give either prefix (one signature) or list, not both",
        ),
        (prefix, None) => single_layout(prefix.as_deref().unwrap_or("")),
        (None, Some(list)) => list_layout(list),
    }
}

fn single_layout(prefix: &str) -> Result<Layout, Invalid> {
    let ok = prefix.len() <= MAX_PREFIX_LEN
        && prefix.bytes().all(|b| (0x20..0x7f).contains(&b))
        && !prefix.starts_with(' ');
    if !ok {
        return fail(
            &["signature", "prefix"],
            format!(
                "up to {MAX_PREFIX_LEN} visible ASCII characters (spaces inside or at the end \
                 only)"
            ),
        );
    }
    Ok(Layout::Single {
        prefix: Cow::Owned(prefix.to_owned()),
    })
}

fn list_layout(list: &RawList) -> Result<Layout, Invalid> {
    const ITEM: &[&str] = &["signature", "list", "item_separator"];
    const KV: &[&str] = &["signature", "list", "key_value_separator"];
    const SIG: &[&str] = &["signature", "list", "signature_key"];
    const TS: &[&str] = &["signature", "list", "timestamp_key"];
    let item_sep = separator(required(&list.item_separator, ITEM, "e.g. \",\"")?, ITEM)?;
    let kv_sep = separator(required(&list.key_value_separator, KV, "e.g. \"=\"")?, KV)?;
    if item_sep == kv_sep {
        return fail(KV, "must differ from item_separator");
    }
    let seps = [item_sep, kv_sep];
    let signature_key = required(&list.signature_key, SIG, "e.g. \"v1\"")?;
    let signature_key = list_key(signature_key, seps, SIG)?;
    let timestamp_key = match &list.timestamp_key {
        None => None,
        Some(k) => {
            let k = list_key(k, seps, TS)?;
            if k == signature_key {
                // ct-lint: public (scheme configuration, not a MAC)
                return fail(TS, "must differ from signature_key");
            }
            Some(Cow::Owned(k.to_owned()))
        }
    };
    Ok(Layout::List {
        item_sep,
        kv_sep,
        signature_key: Cow::Owned(signature_key.to_owned()),
        timestamp_key,
    })
}

fn body_json_layout(body: &RawBodyJson) -> Result<Layout, Invalid> {
    const OBJECT: &[&str] = &["signature", "body_json", "object"];
    const SIG: &[&str] = &["signature", "body_json", "signature_field"];
    const TS: &[&str] = &["signature", "body_json", "timestamp_field"];
    const ID: &[&str] = &["signature", "body_json", "id_field"];
    let field = |value: &Option<String>, path: &'static [&'static str], what: &str| {
        field_name(required(value, path, what)?, path).map(str::to_owned)
    };
    let object = field(
        &body.object,
        OBJECT,
        "the top-level object, e.g. \"signature\"",
    )?;
    let signature = field(&body.signature_field, SIG, "e.g. \"signature\"")?;
    let timestamp = field(&body.timestamp_field, TS, "e.g. \"timestamp\"")?;
    let id = field(&body.id_field, ID, "e.g. \"token\"")?;
    // ct-lint: public (field names from the scheme file)
    if timestamp == signature {
        return fail(TS, "must differ from signature_field");
    }
    // ct-lint: public (field names from the scheme file)
    if id == signature || id == timestamp {
        return fail(ID, "must differ from signature_field and timestamp_field");
    }
    Ok(Layout::BodyJson {
        object: Cow::Owned(object),
        signature_field: Cow::Owned(signature),
        timestamp_field: Cow::Owned(timestamp),
        id_field: Cow::Owned(id),
    })
}

fn separator(text: &str, path: &'static [&'static str]) -> Result<u8, Invalid> {
    match text.as_bytes() {
        [b] if *b == b' ' || b.is_ascii_punctuation() => Ok(*b),
        _ => fail(
            path,
            format!("{} is not one punctuation or space character", quote(text)),
        ),
    }
}

fn list_key<'a>(
    text: &'a str,
    seps: [u8; 2],
    path: &'static [&'static str],
) -> Result<&'a str, Invalid> {
    let ok = (1..=MAX_KEY_LEN).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_graphic() && !seps.contains(&b));
    if !ok {
        return fail(
            path,
            format!("1 to {MAX_KEY_LEN} visible ASCII characters, without the separators"),
        );
    }
    Ok(text)
}
