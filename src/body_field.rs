//! Reading one top-level integer field from a JSON body, strictly.

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

#[cfg(test)]
mod tests {
    use super::integer;

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
