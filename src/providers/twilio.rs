//! Twilio: `X-Twilio-Signature: <base64>`, HMAC-SHA1 with the Auth Token over the full URL
//! followed by the form parameters sorted by name (name then value, no separators). When the
//! URL carries `bodySHA256=<hex>` (JSON bodies), only the URL is signed and the body's SHA-256
//! must equal that value. The URL is tried with and without its default port, as Twilio's SDKs
//! do. Vector: Twilio docs, "Webhooks security", reproduced with PyPI `twilio`.

use crate::scheme::{Algorithm, Encoding, Part, Scheme, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "twilio",
        Algorithm::HmacSha1,
        "x-twilio-signature",
        single(""),
        Encoding::Base64,
        vec![Part::Url, Part::TwilioParams],
    )
}
