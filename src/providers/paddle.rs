//! Paddle Billing: `Paddle-Signature: ts=<unix>;h1=<hex>[;h1=…]`, HMAC-SHA256 over
//! `{ts}:{body}` with the endpoint secret key. Vector: verified with PyPI `paddle-python-sdk`.

use crate::scheme::{Algorithm, Encoding, Part, Scheme, TimestampSource, Unit, list};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "paddle",
        Algorithm::HmacSha256,
        "paddle-signature",
        list(b';', b'=', "h1", Some("ts")),
        Encoding::Hex,
        vec![Part::Timestamp, Part::lit(b":"), Part::Body],
    )
    .with_timestamp(TimestampSource::SignatureParam(Unit::Seconds))
}
