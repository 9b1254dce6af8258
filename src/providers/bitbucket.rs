//! Bitbucket Cloud: `X-Hub-Signature: sha256=<hex>`, HMAC-SHA256 over the body with the webhook
//! secret. No signed timestamp; `X-Request-UUID` is not signed. Vector: computed per Bitbucket's
//! docs (no official SDK verifier).

use crate::scheme::{Algorithm, Encoding, Part, Scheme, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "bitbucket",
        Algorithm::HmacSha256,
        "x-hub-signature",
        single("sha256="),
        Encoding::Hex,
        vec![Part::Body],
    )
}
