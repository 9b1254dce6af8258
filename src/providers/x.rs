//! X (Twitter) Account Activity API: `x-twitter-webhooks-signature: sha256=<base64>`,
//! HMAC-SHA256 over the body with the app's consumer secret. Its CRC handshake
//! (`GET ?crc_token=T` → `{"response_token":"sha256=" + base64(HMAC(secret, T))}`) is answered
//! by the pipeline. Vector: computed per X's docs (no official SDK verifier).

use crate::scheme::{Algorithm, Encoding, Handshake, Part, Scheme, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "x",
        Algorithm::HmacSha256,
        "x-twitter-webhooks-signature",
        single("sha256="),
        Encoding::Base64,
        vec![Part::Body],
    )
    .with_handshake(Handshake::XCrc)
}
