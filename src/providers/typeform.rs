//! Typeform: `Typeform-Signature: sha256=<base64>`, HMAC-SHA256 over the body with the webhook
//! secret. Vector: computed per Typeform's docs.

use crate::scheme::{Algorithm, Encoding, Part, Scheme, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "typeform",
        Algorithm::HmacSha256,
        "typeform-signature",
        single("sha256="),
        Encoding::Base64,
        vec![Part::Body],
    )
}
