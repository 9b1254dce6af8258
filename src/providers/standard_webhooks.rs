//! Standard Webhooks v1: `webhook-signature: v1,<base64>` (space-separated list), HMAC-SHA256
//! over `{webhook-id}.{webhook-timestamp}.{body}`, key = base64 of the secret after `whsec_`.
//! Vector source: standard-webhooks `libraries/go/webhook_test.go` (TestWebhookSign).

use crate::scheme::{Algorithm, Encoding, Part, Scheme, SecretFormat, TimestampSource, Unit, list};

pub(crate) fn scheme() -> Scheme {
    with_headers(
        "standard-webhooks",
        "webhook-signature",
        "webhook-timestamp",
        "webhook-id",
    )
}

/// The Standard Webhooks construction under other header names (Svix and its customers).
pub(crate) fn with_headers(
    name: &'static str,
    signature: &'static str,
    timestamp: &'static str,
    id: &'static str,
) -> Scheme {
    Scheme::preset(
        name,
        Algorithm::HmacSha256,
        signature,
        list(b' ', b',', "v1", None),
        Encoding::Base64,
        signed_content(),
    )
    .with_timestamp(TimestampSource::Header(
        http::HeaderName::from_static(timestamp),
        Unit::Seconds,
    ))
    .with_id_header(id)
    .with_secret_format(SecretFormat::StandardWebhooks)
}

/// `{id}.{timestamp}.{body}`, shared by v1 and v1a.
pub(crate) fn signed_content() -> Vec<Part> {
    vec![
        Part::Id,
        Part::lit(b"."),
        Part::Timestamp,
        Part::lit(b"."),
        Part::Body,
    ]
}
