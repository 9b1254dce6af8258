//! Shopify: `X-Shopify-Hmac-Sha256: <base64>`, HMAC-SHA256 over the body with the app's
//! client secret. No signed timestamp. Vector: computed per Shopify's docs (no official SDK
//! vector).

use crate::scheme::{Algorithm, Encoding, Part, Scheme, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "shopify",
        Algorithm::HmacSha256,
        "x-shopify-hmac-sha256",
        single(""),
        Encoding::Base64,
        vec![Part::Body],
    )
}
