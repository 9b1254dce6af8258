//! Standard Webhooks v1a: `webhook-signature: v1a,<base64>`, Ed25519 over
//! `{webhook-id}.{webhook-timestamp}.{body}`; public key `whpk_<base64>`, private key
//! `whsk_<base64 seed>`. Vector: computed with PyNaCl per the spec over the RFC 8032 test-1
//! key (no reference library implements v1a).

use crate::scheme::{Algorithm, Encoding, Scheme, TimestampSource, Unit, list};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "standard-webhooks-v1a",
        Algorithm::Ed25519,
        "webhook-signature",
        list(b' ', b',', "v1a", None),
        Encoding::Base64,
        super::standard_webhooks::signed_content(),
    )
    .with_timestamp(TimestampSource::Header(
        http::HeaderName::from_static("webhook-timestamp"),
        Unit::Seconds,
    ))
    .with_id_header("webhook-id")
}
