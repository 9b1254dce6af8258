//! Sentry integration platform: `Sentry-Hook-Signature: <hex>`, HMAC-SHA256 over the body with
//! the integration's client secret. `Sentry-Hook-Timestamp` is not signed, so it is not read.
//! Vector: computed per Sentry's docs.

use crate::scheme::{Algorithm, Encoding, Part, Scheme, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "sentry",
        Algorithm::HmacSha256,
        "sentry-hook-signature",
        single(""),
        Encoding::Hex,
        vec![Part::Body],
    )
}
