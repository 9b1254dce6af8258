//! Slack: `X-Slack-Signature: v0=<hex>` with `X-Slack-Request-Timestamp`, HMAC-SHA256 over
//! `v0:{ts}:{body}`. Vector: Slack docs, "Verifying requests from Slack".

use crate::scheme::{Algorithm, Encoding, Handshake, Part, Scheme, TimestampSource, Unit, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "slack",
        Algorithm::HmacSha256,
        "x-slack-signature",
        single("v0="),
        Encoding::Hex,
        vec![
            Part::lit(b"v0:"),
            Part::Timestamp,
            Part::lit(b":"),
            Part::Body,
        ],
    )
    .with_handshake(Handshake::SlackUrlVerification)
    .with_timestamp(TimestampSource::Header(
        http::HeaderName::from_static("x-slack-request-timestamp"),
        Unit::Seconds,
    ))
}
