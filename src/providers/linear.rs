//! Linear: `Linear-Signature: <hex>`, HMAC-SHA256 over the body. The timestamp is the body's
//! top-level `webhookTimestamp` (milliseconds), read after the signature verified. Vector:
//! verified with npm `@linear/sdk` `LinearWebhookClient.verify`.

use std::borrow::Cow;

use crate::scheme::{Algorithm, Encoding, Part, Scheme, TimestampSource, Unit, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "linear",
        Algorithm::HmacSha256,
        "linear-signature",
        single(""),
        Encoding::Hex,
        vec![Part::Body],
    )
    .with_timestamp(TimestampSource::BodyJsonField(
        Cow::Borrowed("webhookTimestamp"),
        Unit::Milliseconds,
    ))
}
