//! Zendesk webhooks: `X-Zendesk-Webhook-Signature: <base64>` with
//! `X-Zendesk-Webhook-Signature-Timestamp` (RFC 3339 UTC), HMAC-SHA256 over `{timestamp}{body}`
//! with the signing secret used as text (it looks like base64 but is not decoded).
//! `x-zendesk-webhook-invocation-id` is not signed. Vector: computed per Zendesk's docs
//! "Verifying webhook authenticity" (no official SDK verifier).

use crate::scheme::{Algorithm, Encoding, Part, Scheme, TimestampSource, Unit, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "zendesk",
        Algorithm::HmacSha256,
        "x-zendesk-webhook-signature",
        single(""),
        Encoding::Base64,
        vec![Part::Timestamp, Part::Body],
    )
    .with_timestamp(TimestampSource::Header(
        http::HeaderName::from_static("x-zendesk-webhook-signature-timestamp"),
        Unit::Rfc3339,
    ))
}
