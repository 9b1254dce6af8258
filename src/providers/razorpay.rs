//! Razorpay: `X-Razorpay-Signature: <hex>`, HMAC-SHA256 over the body with the webhook secret.
//! `x-razorpay-event-id` is not signed. Vector: verified with PyPI `razorpay`
//! `Utility.verify_webhook_signature`.

use crate::scheme::{Algorithm, Encoding, Part, Scheme, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "razorpay",
        Algorithm::HmacSha256,
        "x-razorpay-signature",
        single(""),
        Encoding::Hex,
        vec![Part::Body],
    )
}
