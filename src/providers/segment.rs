//! Segment (webhook destination): `X-Signature: <hex>`, HMAC-SHA1 over the body with the shared
//! secret. Vector: computed per Segment's docs.

use crate::scheme::{Algorithm, Encoding, Part, Scheme, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "segment",
        Algorithm::HmacSha1,
        "x-signature",
        single(""),
        Encoding::Hex,
        vec![Part::Body],
    )
}
