//! Jira Cloud (admin webhooks with a secret, Atlassian): `X-Hub-Signature: sha256=<hex>`,
//! HMAC-SHA256 over the body. `X-Atlassian-Webhook-Identifier` is not signed. Vector: computed
//! per Atlassian's docs (no official SDK verifier).

use crate::scheme::{Algorithm, Encoding, Part, Scheme, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "jira",
        Algorithm::HmacSha256,
        "x-hub-signature",
        single("sha256="),
        Encoding::Hex,
        vec![Part::Body],
    )
}
