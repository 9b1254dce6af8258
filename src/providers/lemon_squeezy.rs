//! Lemon Squeezy: `X-Signature: <hex>`, HMAC-SHA256 over the body with the signing secret.
//! Vector: computed per Lemon Squeezy's docs.

use crate::scheme::{Algorithm, Encoding, Part, Scheme, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "lemon-squeezy",
        Algorithm::HmacSha256,
        "x-signature",
        single(""),
        Encoding::Hex,
        vec![Part::Body],
    )
}
