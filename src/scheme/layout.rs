//! Signature headers, both ways: strict header access, parsing a signature header (or a
//! body-carried signature object) into its signatures, and rendering one for the signer.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderName};

use super::{Encoding, Layout, MAX_SIGNATURE_LEN, Scheme};
use crate::error::Rejection;

/// The most entries one signature header may hold (all items, not only signatures).
pub(crate) const MAX_ENTRIES: usize = 8;

/// Longer values cannot be a signature of any supported scheme; bounding them keeps the
/// parser's work bounded too.
const MAX_VALUE_LEN: usize = 4096;

/// Returns the header's only value as visible ASCII; `None` when absent. Two or more
/// instances are refused: `HeaderMap::get` would silently pick the first.
pub(crate) fn one_header<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
) -> Result<Option<&'a str>, Rejection> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Rejection::DuplicateHeader(name.clone()));
    }
    if value.len() > MAX_VALUE_LEN {
        return Err(Rejection::MalformedHeader(name.clone()));
    }
    value
        .to_str()
        .map(Some)
        .map_err(|_| Rejection::MalformedHeader(name.clone()))
}

/// A decoded signature held on the stack. `len == None` means it decoded to more bytes than
/// any supported signature has, so it cannot match.
#[derive(Clone, Copy)]
pub(crate) struct DecodedSig {
    buf: [u8; MAX_SIGNATURE_LEN],
    len: Option<usize>,
}

impl DecodedSig {
    const EMPTY: DecodedSig = DecodedSig {
        buf: [0; MAX_SIGNATURE_LEN],
        len: Some(0),
    };

    /// The decoded bytes; `None` if too long to be any valid signature.
    pub(crate) fn bytes(&self) -> Option<&[u8]> {
        self.len.map(|n| &self.buf[..n])
    }
}

/// What the signature header holds.
pub(crate) struct ParsedSignatures<'a> {
    sigs: [DecodedSig; MAX_ENTRIES],
    raw: [&'a str; MAX_ENTRIES],
    count: usize,
    /// The timestamp item (`t=` / `ts=`), for list layouts that carry one, or the timestamp
    /// field of a body-carried signature object.
    pub(crate) timestamp: Option<&'a str>,
    /// The id (token) field of a body-carried signature object.
    pub(crate) id: Option<&'a str>,
}

impl<'a> ParsedSignatures<'a> {
    /// The decoded signatures of the scheme's own version.
    pub(crate) fn decoded(&self) -> &[DecodedSig] {
        &self.sigs[..self.count]
    }

    /// The signatures as they appeared in the header (for raw-token schemes).
    pub(crate) fn raw(&self) -> &[&'a str] {
        &self.raw[..self.count]
    }
}

/// Decodes `text` into `out`; `None` if it is not canonical in `encoding`.
fn decode_into(encoding: Encoding, text: &str, out: &mut DecodedSig) -> Option<()> {
    match encoding {
        Encoding::Raw => out.len = Some(0),
        Encoding::Hex => {
            // Lower case only: one canonical text per MAC.
            let canonical = text.len().is_multiple_of(2)
                && text
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !canonical {
                return None;
            }
            let n = text.len() / 2;
            if n > MAX_SIGNATURE_LEN {
                out.len = None;
            } else {
                hex::decode_to_slice(text, &mut out.buf[..n]).ok()?;
                out.len = Some(n);
            }
        }
        Encoding::Base64 => {
            if text.len() > MAX_SIGNATURE_LEN.div_ceil(3) * 4 {
                STANDARD.decode(text).ok()?;
                out.len = None;
            } else {
                out.len = Some(STANDARD.decode_slice(text, &mut out.buf).ok()?);
            }
        }
    }
    Some(())
}

/// Reads and decodes the signature object of a body-carried scheme (Mailgun). A body without
/// the object (or without its signature field) is a missing signature; anything else that is
/// not exactly one string per field, or a signature not in the scheme's encoding, is a
/// malformed payload. The timestamp and the id are checked by the verifier.
pub(crate) fn parse_body_signature<'a>(
    scheme: &Scheme,
    object: &'a crate::scheme::body_json::SignatureObject,
) -> Result<ParsedSignatures<'a>, Rejection> {
    let mut parsed = ParsedSignatures {
        sigs: [DecodedSig::EMPTY; MAX_ENTRIES],
        raw: [""; MAX_ENTRIES],
        count: 0,
        timestamp: Some(&object.timestamp),
        id: Some(&object.id),
    };
    if object.signature.len() > MAX_VALUE_LEN {
        return Err(Rejection::MalformedPayload);
    }
    decode_into(scheme.encoding, &object.signature, &mut parsed.sigs[0])
        .ok_or(Rejection::MalformedPayload)?;
    parsed.raw[0] = &object.signature;
    parsed.count = 1;
    Ok(parsed)
}

/// Reads the signature object of `body` for a [`Layout::BodyJson`] scheme.
pub(crate) fn body_signature(
    layout: &Layout,
    body: &[u8],
) -> Result<crate::scheme::body_json::SignatureObject, Rejection> {
    use crate::scheme::body_json::{ObjectError, signature_object};
    let Some(fields) = object_fields(layout) else {
        return Err(Rejection::MissingSignature);
    };
    signature_object(body, fields).map_err(|e| match e {
        ObjectError::Absent => Rejection::MissingSignature,
        ObjectError::Malformed => Rejection::MalformedPayload,
    })
}

/// The field names of a [`Layout::BodyJson`].
pub(crate) fn object_fields(layout: &Layout) -> Option<crate::scheme::body_json::ObjectFields<'_>> {
    match layout {
        Layout::BodyJson {
            object,
            signature_field,
            timestamp_field,
            id_field,
        } => Some(crate::scheme::body_json::ObjectFields {
            object,
            signature: signature_field,
            timestamp: timestamp_field,
            id: id_field,
        }),
        _ => None,
    }
}

/// Parses the signature header of `scheme`. Errors name the header, never its content.
pub(crate) fn parse_signatures<'a>(
    scheme: &Scheme,
    value: &'a str,
) -> Result<ParsedSignatures<'a>, Rejection> {
    let malformed = || scheme.malformed_signature();
    let mut parsed = ParsedSignatures {
        sigs: [DecodedSig::EMPTY; MAX_ENTRIES],
        raw: [""; MAX_ENTRIES],
        count: 0,
        timestamp: None,
        id: None,
    };
    let push = |parsed: &mut ParsedSignatures<'a>, text: &'a str| -> Result<(), Rejection> {
        let slot = &mut parsed.sigs[parsed.count];
        decode_into(scheme.encoding, text, slot).ok_or_else(malformed)?;
        parsed.raw[parsed.count] = text;
        parsed.count += 1;
        Ok(())
    };
    match &scheme.layout {
        Layout::Single { prefix } => {
            if let Some(sig) = value.strip_prefix(&**prefix) {
                push(&mut parsed, sig)?;
            }
        }
        // The body layout is parsed by `parse_body_signature`; no header value holds it.
        Layout::BodyJson { .. } => return Err(malformed()),
        Layout::List {
            item_sep,
            kv_sep,
            signature_key,
            timestamp_key,
        } => {
            let mut entries = 0;
            for item in value.split(char::from(*item_sep)) {
                entries += 1;
                if entries > MAX_ENTRIES {
                    return Err(Rejection::TooManySignatures);
                }
                let (key, val) = item.split_once(char::from(*kv_sep)).ok_or_else(malformed)?;
                if key.is_empty() {
                    return Err(malformed());
                }
                if key == signature_key {
                    // ct-lint: public (the item's key, e.g. `v1`)
                    push(&mut parsed, val)?;
                } else if timestamp_key.as_deref() == Some(key)
                    && parsed.timestamp.replace(val).is_some()
                {
                    return Err(malformed());
                }
            }
            // A signature without its timestamp item is refused by the verifier, before any
            // MAC work, with this same error: a list layout with a timestamp key always takes
            // its timestamp from it (`TimestampSource::SignatureParam`, enforced for custom
            // schemes too).
        }
    }
    if parsed.count == 0 {
        return Err(Rejection::MissingSignature);
    }
    Ok(parsed)
}

/// The signature header's value for `signature` in `layout` (the inverse of
/// [`parse_signatures`]): `prefix + signature`, or `t=<timestamp>,v1=<signature>`-style
/// lists. Empty for a signature that travels in the body.
pub(crate) fn render_signature(layout: &Layout, timestamp: &str, signature: &str) -> String {
    match layout {
        Layout::BodyJson { .. } => String::new(),
        Layout::Single { prefix } => format!("{prefix}{signature}"),
        Layout::List {
            item_sep,
            kv_sep,
            signature_key,
            timestamp_key,
        } => {
            let (item, kv) = (char::from(*item_sep), char::from(*kv_sep));
            match timestamp_key {
                Some(t) => format!("{t}{kv}{timestamp}{item}{signature_key}{kv}{signature}"),
                None => format!("{signature_key}{kv}{signature}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_signature_decodes_and_one_byte_more_cannot_match() {
        // 72 bytes is a DER ECDSA P-256 signature at its longest (custom schemes may hex it).
        let decode = |encoding, text: &str| {
            let mut out = DecodedSig::EMPTY;
            decode_into(encoding, text, &mut out).map(|()| out.bytes().map(<[u8]>::len))
        };
        let hex = |n: usize| "ab".repeat(n);
        assert_eq!(decode(Encoding::Hex, &hex(72)), Some(Some(72)));
        assert_eq!(decode(Encoding::Hex, &hex(73)), Some(None));
        assert_eq!(decode(Encoding::Hex, &hex(500)), Some(None));
        assert_eq!(decode(Encoding::Hex, "abc"), None);
        assert_eq!(decode(Encoding::Hex, "AB"), None);
        let b64 = |n: usize| {
            use base64::Engine as _;
            STANDARD.encode(vec![7u8; n])
        };
        assert_eq!(decode(Encoding::Base64, &b64(72)), Some(Some(72)));
        assert_eq!(decode(Encoding::Base64, &b64(73)), Some(None));
        assert_eq!(decode(Encoding::Base64, "abc"), None);
    }
}
