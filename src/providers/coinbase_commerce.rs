//! Coinbase Commerce: `X-CC-Webhook-Signature: <hex>`, HMAC-SHA256 over the body with the shared
//! secret. Vector: verified with PyPI `coinbase-commerce` `WebhookSignature.verify_header`.

use crate::scheme::{Algorithm, Encoding, Part, Scheme, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "coinbase-commerce",
        Algorithm::HmacSha256,
        "x-cc-webhook-signature",
        single(""),
        Encoding::Hex,
        vec![Part::Body],
    )
}
