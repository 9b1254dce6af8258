//! Square: `X-Square-HmacSha256-Signature: <base64>`, HMAC-SHA256 over the notification URL
//! followed by the body. The legacy SHA-1 `X-Square-Signature` is never read. Vector: square
//! `square-python-sdk` tests, re-verified with PyPI `squareup`.

use crate::scheme::{Algorithm, Encoding, Part, Scheme, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "square",
        Algorithm::HmacSha256,
        "x-square-hmacsha256-signature",
        single(""),
        Encoding::Base64,
        vec![Part::Url, Part::Body],
    )
}
