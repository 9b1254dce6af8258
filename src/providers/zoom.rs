//! Zoom: `x-zm-signature: v0=<hex>` with `x-zm-request-timestamp`, HMAC-SHA256 over
//! `v0:{ts}:{body}` with the app's secret token. Vector: computed per Zoom's docs (no official
//! SDK).

use crate::scheme::{Algorithm, Encoding, Handshake, Part, Scheme, TimestampSource, Unit, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "zoom",
        Algorithm::HmacSha256,
        "x-zm-signature",
        single("v0="),
        Encoding::Hex,
        vec![
            Part::lit(b"v0:"),
            Part::Timestamp,
            Part::lit(b":"),
            Part::Body,
        ],
    )
    .with_handshake(Handshake::ZoomUrlValidation)
    .with_timestamp(TimestampSource::Header(
        http::HeaderName::from_static("x-zm-request-timestamp"),
        Unit::Seconds,
    ))
}
