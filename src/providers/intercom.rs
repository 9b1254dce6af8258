//! Intercom: `X-Hub-Signature: sha1=<hex>`, HMAC-SHA1 over the body with the app's client secret.
//! No signed timestamp or id. Vector: computed per Intercom's docs (no official SDK verifier).

use crate::scheme::{Algorithm, Encoding, Part, Scheme, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "intercom",
        Algorithm::HmacSha1,
        "x-hub-signature",
        single("sha1="),
        Encoding::Hex,
        vec![Part::Body],
    )
}
