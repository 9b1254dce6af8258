//! The `[signature]` table: where the signature travels and in what shape.

use std::borrow::Cow;

use crate::scheme::Layout;

use super::raw::{RawBodyJson, RawSignature};
use super::{Invalid, fail, quote, required};

const MAX_KEY_LEN: usize = 32;
const MAX_PREFIX_LEN: usize = 64;
pub(super) const MAX_FIELD_LEN: usize = 64;

pub(super) fn layout(sig: &RawSignature) -> Result<Layout, Invalid> {
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
        (prefix, None) => {
            let prefix = prefix.as_deref().unwrap_or("");
            let ok = prefix.len() <= MAX_PREFIX_LEN
                && prefix.bytes().all(|b| (0x20..0x7f).contains(&b))
                && !prefix.starts_with(' ');
            if !ok {
                return fail(
                    &["signature", "prefix"],
                    format!(
                        "up to {MAX_PREFIX_LEN} visible ASCII characters (spaces inside or at \
                         the end only)"
                    ),
                );
            }
            Ok(Layout::Single {
                prefix: Cow::Owned(prefix.to_owned()),
            })
        }
        (None, Some(list)) => {
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
            let signature_key = list_key(
                required(&list.signature_key, SIG, "e.g. \"v1\"")?,
                seps,
                SIG,
            )?;
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
    }
}

pub(super) fn body_json_layout(body: &RawBodyJson) -> Result<Layout, Invalid> {
    const OBJECT: &[&str] = &["signature", "body_json", "object"];
    const SIG: &[&str] = &["signature", "body_json", "signature_field"];
    const TS: &[&str] = &["signature", "body_json", "timestamp_field"];
    const ID: &[&str] = &["signature", "body_json", "id_field"];
    let field = |value: &Option<String>, path: &'static [&'static str], what: &str| {
        let text = required(value, path, what)?;
        if text.is_empty() || text.len() > MAX_FIELD_LEN {
            return fail(path, format!("a field name of 1 to {MAX_FIELD_LEN} bytes"));
        }
        Ok(text.to_owned())
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

pub(super) fn separator(text: &str, path: &'static [&'static str]) -> Result<u8, Invalid> {
    match text.as_bytes() {
        [b] if *b == b' ' || b.is_ascii_punctuation() => Ok(*b),
        _ => fail(
            path,
            format!("{} is not one punctuation or space character", quote(text)),
        ),
    }
}

pub(super) fn list_key<'a>(
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
