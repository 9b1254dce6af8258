//! Decoding a verified payload by its `Content-Type`, shared by the axum and actix extractors
//! so both answer a payload that does not decode with the same bytes.

use bytes::Bytes;
use http::HeaderValue;
use serde::de::DeserializeOwned;

/// The verified body does not decode as the expected type. Carries the position of the
/// error, never the content around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DecodeError {
    pub(crate) format: &'static str,
    pub(crate) line: Option<usize>,
    pub(crate) column: Option<usize>,
}

impl DecodeError {
    fn at(format: &'static str) -> Self {
        Self {
            format,
            line: None,
            column: None,
        }
    }

    /// 400 `invalid_payload`, problem+json, with the format and position.
    pub(crate) fn into_problem(self) -> http::Response<Bytes> {
        let body = serde_json::json!({
            "type": "about:blank",
            "title": "Bad Request",
            "status": 400,
            "code": "invalid_payload",
            "format": self.format,
            "line": self.line,
            "column": self.column,
        });
        let mut response = http::Response::new(Bytes::from(body.to_string()));
        *response.status_mut() = http::StatusCode::BAD_REQUEST;
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

enum Format {
    Json,
    Form,
    #[cfg(feature = "xml")]
    Xml,
}

fn format_of(content_type: Option<&HeaderValue>) -> Format {
    let essence = content_type
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match essence.as_str() {
        "application/x-www-form-urlencoded" => Format::Form,
        #[cfg(feature = "xml")]
        "application/xml" | "text/xml" => Format::Xml,
        _ => Format::Json,
    }
}

/// Decodes verified bytes as `T`: form, XML (feature `xml`) or, by default, JSON.
pub(crate) fn decode<T: DeserializeOwned>(
    content_type: Option<&HeaderValue>,
    bytes: &[u8],
) -> Result<T, DecodeError> {
    match format_of(content_type) {
        Format::Json => serde_json::from_slice(bytes).map_err(|e| DecodeError {
            format: "json",
            line: Some(e.line()),
            column: Some(e.column()),
        }),
        Format::Form => serde_urlencoded::from_bytes(bytes).map_err(|_| DecodeError::at("form")),
        #[cfg(feature = "xml")]
        Format::Xml => {
            let text = std::str::from_utf8(bytes).map_err(|_| DecodeError::at("xml"))?;
            quick_xml::de::from_str(text).map_err(|_| DecodeError::at("xml"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Event {
        id: u32,
    }

    #[test]
    fn by_content_type_with_positions_only() {
        let json = HeaderValue::from_static("application/json; charset=utf-8");
        let form = HeaderValue::from_static("application/x-www-form-urlencoded");
        assert_eq!(
            decode::<Event>(Some(&json), br#"{"id":7}"#),
            Ok(Event { id: 7 })
        );
        assert_eq!(decode::<Event>(Some(&form), b"id=8"), Ok(Event { id: 8 }));
        assert_eq!(decode::<Event>(None, br#"{"id":9}"#), Ok(Event { id: 9 }));
        let err = decode::<Event>(Some(&json), b"{\n  \"id\": \"SECRETISH\"}").unwrap_err();
        assert_eq!(
            (err.format, err.line, err.column),
            ("json", Some(2), Some(19))
        );
        let body = err.into_problem().into_body();
        assert!(!String::from_utf8_lossy(&body).contains("SECRETISH"));
        assert_eq!(
            decode::<Event>(Some(&form), b"id=x").unwrap_err().format,
            "form"
        );
    }

    #[cfg(feature = "xml")]
    #[test]
    fn xml_when_enabled() {
        let xml = HeaderValue::from_static("text/xml");
        assert_eq!(
            decode::<Event>(Some(&xml), b"<Event><id>5</id></Event>"),
            Ok(Event { id: 5 })
        );
        assert_eq!(
            decode::<Event>(Some(&xml), b"<Event>").unwrap_err().format,
            "xml"
        );
    }
}
