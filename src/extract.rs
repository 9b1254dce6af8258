//! What the axum and actix `Webhook<T>` extractors share, so both answer alike: decoding a
//! verified payload by its `Content-Type`, and [`WebhookRejection`], their one rejection type.

use std::fmt;

use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use serde::de::DeserializeOwned;

use crate::pipeline::problem;

/// Why a webhook extractor (`Webhook<T>`, `Verified`) refused a request, in either adapter:
/// one type with a status per variant, rendered as problem+json by one renderer.
#[derive(Debug)]
#[non_exhaustive]
pub enum WebhookRejection {
    /// No verified delivery on this request: the route is not behind the webhook layer or
    /// middleware (a routing mistake). 500 `not_verified`.
    NotVerified,
    /// The verified body does not decode as the expected type. 400 `invalid_payload`, with
    /// the format and the position of the error, never the content around it.
    InvalidPayload {
        /// The format that was tried (`json`, `form`, `xml`).
        format: &'static str,
        /// 1-based line of the error, when the decoder knows it.
        line: Option<usize>,
        /// 1-based column of the error, when the decoder knows it.
        column: Option<usize>,
    },
    /// The body could not be read (the connection failed). 400 `body_read_failed`.
    BodyReadFailed,
    /// The pipeline answered the request itself (a standalone actix extractor: a refusal, a
    /// duplicate): this response, exactly as the middleware would send it.
    Answered(Box<http::Response<Bytes>>),
}

impl WebhookRejection {
    /// The HTTP status it is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotVerified => StatusCode::INTERNAL_SERVER_ERROR,
            Self::InvalidPayload { .. } | Self::BodyReadFailed => StatusCode::BAD_REQUEST,
            Self::Answered(response) => response.status(),
        }
    }

    /// The response: a problem+json body with the stable code.
    pub fn to_response(&self) -> http::Response<Bytes> {
        match self {
            Self::NotVerified => problem::problem(self.status(), "not_verified", &[]),
            Self::InvalidPayload {
                format,
                line,
                column,
            } => {
                let more = [
                    ("format", (*format).into()),
                    ("line", (*line).into()),
                    ("column", (*column).into()),
                ];
                problem::problem(self.status(), "invalid_payload", &more)
            }
            Self::BodyReadFailed => problem::problem(self.status(), "body_read_failed", &[]),
            Self::Answered(response) => (**response).clone(),
        }
    }

    /// A route without the layer or middleware: logged as the server error it is.
    pub(crate) fn not_verified() -> Self {
        tracing::error!(target: "hookguard", "webhook extractor on a route without the webhook layer or middleware");
        Self::NotVerified
    }
}

impl From<DecodeError> for WebhookRejection {
    fn from(e: DecodeError) -> Self {
        tracing::info!(target: "hookguard", format = e.format, line = e.line, column = e.column, "verified payload does not decode");
        Self::InvalidPayload {
            format: e.format,
            line: e.line,
            column: e.column,
        }
    }
}

impl fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotVerified => f.write_str("no verified webhook on this request"),
            Self::InvalidPayload { format, .. } => {
                write!(f, "verified payload does not decode as {format}")
            }
            Self::BodyReadFailed => f.write_str("body could not be read"),
            Self::Answered(response) => write!(f, "webhook refused with {}", response.status()),
        }
    }
}

impl std::error::Error for WebhookRejection {}

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
        let rejection = WebhookRejection::from(err);
        assert_eq!(rejection.status(), StatusCode::BAD_REQUEST);
        let body = rejection.to_response().into_body();
        assert!(!String::from_utf8_lossy(&body).contains("SECRETISH"));
        assert_eq!(
            body,
            r#"{"code":"invalid_payload","column":19,"format":"json","line":2,"status":400,"title":"Bad Request","type":"about:blank"}"#
        );
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
