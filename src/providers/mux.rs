//! Mux: `Mux-Signature: t=<ts>,v1=<hex>[,v1=…]`, HMAC-SHA256 over `{t}.{body}` with
//! the webhook signing key (the Stripe construction under another header).
//! Vector: verified with npm `@mux/mux-node` `webhooks.verifySignature`.

use crate::scheme::{Algorithm, Encoding, Part, Scheme, TimestampSource, Unit, list};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "mux",
        Algorithm::HmacSha256,
        "mux-signature",
        list(b',', b'=', "v1", Some("t")),
        Encoding::Hex,
        vec![Part::Timestamp, Part::lit(b"."), Part::Body],
    )
    .with_timestamp(TimestampSource::SignatureParam(Unit::Seconds))
}
