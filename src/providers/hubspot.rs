//! HubSpot (signature v3): `X-HubSpot-Signature-v3: <base64>` with `X-HubSpot-Request-Timestamp`
//! (Unix milliseconds), HMAC-SHA256 with the app's client secret over
//! `{METHOD}{full URI}{body}{timestamp}`. Needs the public URL. The timestamp follows the body
//! with no separator; moving digits between them changes the timestamp by a factor of ten or
//! more, which no tolerance window admits. The URI is signed as received (as the official SDKs
//! do); HubSpot's docs also ask receivers to decode a few percent-escapes first, which is not
//! done. The legacy v1/v2 headers (unkeyed SHA-256) are never read. Vector: verified with PyPI
//! `hubspot-api-client` `Signature.is_valid`.

use crate::scheme::{Algorithm, Encoding, Part, Scheme, TimestampSource, Unit, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "hubspot",
        Algorithm::HmacSha256,
        "x-hubspot-signature-v3",
        single(""),
        Encoding::Base64,
        vec![Part::Method, Part::Url, Part::Body, Part::Timestamp],
    )
    .with_timestamp(TimestampSource::Header(
        http::HeaderName::from_static("x-hubspot-request-timestamp"),
        Unit::Milliseconds,
    ))
}
