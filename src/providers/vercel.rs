//! Vercel: `x-vercel-signature: <hex>`, HMAC-SHA1 over the body with the webhook secret (the
//! integration's client secret for integration webhooks). Vector: computed per Vercel's docs.

use crate::scheme::{Algorithm, Encoding, Part, Scheme, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "vercel",
        Algorithm::HmacSha1,
        "x-vercel-signature",
        single(""),
        Encoding::Hex,
        vec![Part::Body],
    )
}
