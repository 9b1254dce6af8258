//! Calendly: `Calendly-Webhook-Signature: t=<ts>,v1=<hex>[,v1=…]`, HMAC-SHA256 over `{t}.{body}` with
//! the webhook signing key (the Stripe construction under another header).
//! Vector: computed per Calendly's docs (no official SDK verifier).

use crate::scheme::{Algorithm, Encoding, Part, Scheme, TimestampSource, Unit, list};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "calendly",
        Algorithm::HmacSha256,
        "calendly-webhook-signature",
        list(b',', b'=', "v1", Some("t")),
        Encoding::Hex,
        vec![Part::Timestamp, Part::lit(b"."), Part::Body],
    )
    .with_timestamp(TimestampSource::SignatureParam(Unit::Seconds))
}
