//! Discord interactions: `X-Signature-Ed25519: <hex>` with `X-Signature-Timestamp`, Ed25519
//! over `{timestamp}{body}` with the application's public key (hex). Vector: verified with npm
//! `discord-interactions` `verifyKey`.

use crate::scheme::{Algorithm, Encoding, Part, Scheme, TimestampSource, Unit, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "discord",
        Algorithm::Ed25519,
        "x-signature-ed25519",
        single(""),
        Encoding::Hex,
        vec![Part::Timestamp, Part::Body],
    )
    .with_timestamp(TimestampSource::Header(
        http::HeaderName::from_static("x-signature-timestamp"),
        Unit::Seconds,
    ))
}
