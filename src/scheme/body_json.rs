//! Reading top-level fields from a JSON body, strictly: one integer field (Linear's
//! timestamp), or one object of string fields (Mailgun's signature object).

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};

/// The integer value of the top-level `field` of a JSON object body. `None` when the body is
/// not a JSON object, the field is absent, appears twice, or is not an `i64`.
pub(crate) fn integer(body: &[u8], field: &str) -> Option<i64> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = FieldSeed(field).deserialize(&mut de).ok()?;
    de.end().ok()?;
    value
}

struct FieldSeed<'f>(&'f str);

impl<'de> DeserializeSeed<'de> for FieldSeed<'_> {
    type Value = Option<i64>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_> {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == self.0 {
                let value: i64 = map.next_value()?;
                if found.replace(value).is_some() {
                    return Err(de::Error::custom("duplicate field"));
                }
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// The string fields of a body-carried signature object (Mailgun's `signature`).
pub(crate) struct SignatureObject {
    pub(crate) signature: String,
    pub(crate) timestamp: String,
    pub(crate) id: String,
}

/// The names of the object and of its three fields.
#[derive(Clone, Copy)]
pub(crate) struct ObjectFields<'f> {
    pub(crate) object: &'f str,
    pub(crate) signature: &'f str,
    pub(crate) timestamp: &'f str,
    pub(crate) id: &'f str,
}

/// Why a signature object could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ObjectError {
    /// The body is a JSON object, but it has no such object, or the object has no signature
    /// field.
    Absent,
    /// The body is not one JSON object; a key appears twice at the top level or in the
    /// object; the object is not an object; its timestamp or id field is absent; or one of
    /// the three fields is not a string.
    Malformed,
}

/// Reads the signature object of a JSON object body. Other top-level members, and other
/// members of the object (Mailgun's `parent-signature`), are skipped but must not repeat a
/// key at their level.
pub(crate) fn signature_object(
    body: &[u8],
    fields: ObjectFields<'_>,
) -> Result<SignatureObject, ObjectError> {
    let found = top_level(body, fields)?.ok_or(ObjectError::Absent)?;
    match found {
        Raw {
            signature: None, ..
        } => Err(ObjectError::Absent),
        Raw {
            signature: Some(signature),
            timestamp: Some(timestamp),
            id: Some(id),
        } => Ok(SignatureObject {
            signature,
            timestamp,
            id,
        }),
        _ => Err(ObjectError::Malformed),
    }
}

/// Whether `body` is one JSON object, without duplicate top-level keys, that does not hold
/// a member named `fields.object` (a body the signer may add the signature object to).
pub(crate) fn is_unsigned_object(body: &[u8], fields: ObjectFields<'_>) -> bool {
    matches!(top_level(body, fields), Ok(None))
}

struct Raw {
    signature: Option<String>,
    timestamp: Option<String>,
    id: Option<String>,
}

fn top_level(body: &[u8], fields: ObjectFields<'_>) -> Result<Option<Raw>, ObjectError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = TopSeed(fields)
        .deserialize(&mut de)
        .map_err(|_| ObjectError::Malformed)?;
    de.end().map_err(|_| ObjectError::Malformed)?;
    Ok(value)
}

struct TopSeed<'f>(ObjectFields<'f>);

impl<'de> DeserializeSeed<'de> for TopSeed<'_> {
    type Value = Option<Raw>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_> {
    type Value = Option<Raw>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seen = HashSet::new();
        let mut found = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == self.0.object {
                found = Some(map.next_value_seed(InnerSeed(self.0))?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
            if !seen.insert(key) {
                return Err(de::Error::custom("duplicate key"));
            }
        }
        Ok(found)
    }
}

struct InnerSeed<'f>(ObjectFields<'f>);

impl<'de> DeserializeSeed<'de> for InnerSeed<'_> {
    type Value = Raw;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for InnerSeed<'_> {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seen = HashSet::new();
        let mut raw = Raw {
            signature: None,
            timestamp: None,
            id: None,
        };
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            // ct-lint: public (JSON keys: the scheme's field names, not the MAC)
            let slot = if key == self.0.signature {
                Some(&mut raw.signature)
            } else if key == self.0.timestamp {
                Some(&mut raw.timestamp)
            } else if key == self.0.id {
                Some(&mut raw.id)
            } else {
                None
            };
            match slot {
                // Only a JSON string: a number, null or object is refused.
                Some(slot) => *slot = Some(map.next_value::<String>()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            if !seen.insert(key) {
                return Err(de::Error::custom("duplicate key"));
            }
        }
        Ok(raw)
    }
}

/// `body` (a JSON object without the signature object) with the signature object added as
/// its first member. Only bytes are inserted: the caller's members keep their exact text.
/// `None` if `body` is not such an object.
pub(crate) fn insert_signature_object(
    body: &[u8],
    fields: ObjectFields<'_>,
    members: [(&str, &str); 3],
) -> Option<bytes::Bytes> {
    if !is_unsigned_object(body, fields) {
        return None;
    }
    let json = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut object = format!("{}:{{", json(fields.object));
    for (i, (name, value)) in members.iter().enumerate() {
        if i > 0 {
            object.push(',');
        }
        object.push_str(&json(name));
        object.push(':');
        object.push_str(&json(value));
    }
    object.push('}');
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    // A valid object starts with `{` after optional white space.
    let open = body.iter().position(|b| !is_space(b)).unwrap_or(0) + 1;
    let empty = body[open..].iter().find(|b| !is_space(b)) == Some(&b'}');
    let mut out = Vec::with_capacity(body.len() + object.len() + 1);
    out.extend_from_slice(&body[..open]);
    out.extend_from_slice(object.as_bytes());
    if !empty {
        out.push(b',');
    }
    out.extend_from_slice(&body[open..]);
    Some(bytes::Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use super::{ObjectError, ObjectFields, integer, is_unsigned_object, signature_object};

    const MAILGUN: ObjectFields<'static> = ObjectFields {
        object: "signature",
        signature: "signature",
        timestamp: "timestamp",
        id: "token",
    };

    #[test]
    fn reads_one_signature_object_strictly() {
        let ok = signature_object(
            br#"{"signature":{"timestamp":"1","token":"t","signature":"ab","parent-signature":"cd"},"event-data":{}}"#,
            MAILGUN,
        )
        .unwrap();
        assert_eq!(
            (ok.timestamp.as_str(), ok.id.as_str(), ok.signature.as_str()),
            ("1", "t", "ab")
        );
        let err = |body: &[u8]| signature_object(body, MAILGUN).err();
        assert_eq!(err(br#"{"event-data":{}}"#), Some(ObjectError::Absent));
        assert_eq!(
            err(br#"{"signature":{"timestamp":"1","token":"t"}}"#),
            Some(ObjectError::Absent)
        );
        for bad in [
            &br#"{"signature":{"timestamp":"1","signature":"ab"}}"#[..],
            br#"{"signature":{"timestamp":1,"token":"t","signature":"ab"}}"#,
            br#"{"signature":{"timestamp":"1","token":"t","signature":"ab","token":"u"}}"#,
            br#"{"signature":{"timestamp":"1","token":"t","signature":"ab"},"signature":{}}"#,
            br#"{"a":1,"a":2,"signature":{"timestamp":"1","token":"t","signature":"ab"}}"#,
            br#"{"signature":"ab"}"#,
            br#"[{"signature":{"timestamp":"1","token":"t","signature":"ab"}}]"#,
            br#"{"signature":{"timestamp":"1","token":"t","signature":"ab"}} x"#,
            b"\xff",
            b"",
        ] {
            assert_eq!(
                err(bad),
                Some(ObjectError::Malformed),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(is_unsigned_object(br#"{"event-data":{"a":1}}"#, MAILGUN));
        assert!(is_unsigned_object(b"{}", MAILGUN));
        assert!(!is_unsigned_object(br#"{"signature":{}}"#, MAILGUN));
        assert!(!is_unsigned_object(br#"{"a":1,"a":1}"#, MAILGUN));
        assert!(!is_unsigned_object(b"[]", MAILGUN));
    }

    #[test]
    fn reads_only_a_single_top_level_integer() {
        assert_eq!(
            integer(br#"{"a":1,"ts":1676056940508}"#, "ts"),
            Some(1_676_056_940_508)
        );
        assert_eq!(integer(br#"{"a":{"ts":5}}"#, "ts"), None);
        assert_eq!(integer(br#"{"ts":1,"ts":2}"#, "ts"), None);
        assert_eq!(integer(br#"{"ts":"1"}"#, "ts"), None);
        assert_eq!(integer(br#"{"ts":1.5}"#, "ts"), None);
        assert_eq!(integer(br#"[1]"#, "ts"), None);
        assert_eq!(integer(br#"{"ts":1} x"#, "ts"), None);
        assert_eq!(integer(b"\xff", "ts"), None);
    }
}
