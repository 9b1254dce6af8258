//! Stripe: `Stripe-Signature: t=<ts>,v1=<hex>[,v1=…][,v0=…]`, HMAC-SHA256 over `{t}.{body}`;
//! the key is the whole `whsec_…` string as UTF-8. Only `v1` is checked (`v0` is ignored, never
//! a fallback). Vector: stripe-python test constants, signed with `stripe` 16.1.0.

use crate::scheme::{Algorithm, Encoding, Part, Scheme, TimestampSource, Unit, list};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "stripe",
        Algorithm::HmacSha256,
        "stripe-signature",
        list(b',', b'=', "v1", Some("t")),
        Encoding::Hex,
        vec![Part::Timestamp, Part::lit(b"."), Part::Body],
    )
    .with_timestamp(TimestampSource::SignatureParam(Unit::Seconds))
}
