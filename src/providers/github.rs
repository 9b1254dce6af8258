//! GitHub: `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 over the body. The legacy SHA-1
//! `X-Hub-Signature` is never read. No timestamp: GitHub signs none, so deduplication is the
//! only replay defence. Vector: GitHub docs, "Validating webhook deliveries".

use crate::scheme::{Algorithm, Encoding, Part, Scheme, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "github",
        Algorithm::HmacSha256,
        "x-hub-signature-256",
        single("sha256="),
        Encoding::Hex,
        vec![Part::Body],
    )
}
