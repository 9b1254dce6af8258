//! Meta (WhatsApp Business, Messenger, Instagram webhooks): `X-Hub-Signature-256: sha256=<hex>`,
//! HMAC-SHA256 over the body with the app secret. The legacy SHA-1 `X-Hub-Signature` is never
//! read. Vector: computed per Meta's Graph API webhooks docs.

use crate::scheme::{Algorithm, Encoding, Handshake, Part, Scheme, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "meta",
        Algorithm::HmacSha256,
        "x-hub-signature-256",
        single("sha256="),
        Encoding::Hex,
        vec![Part::Body],
    )
    .with_handshake(Handshake::MetaVerifyToken)
}
