//! Dropbox: `X-Dropbox-Signature: <hex>`, HMAC-SHA256 over the body with the app secret. The
//! one-time `GET ?challenge=` echo is answered by the pipeline. Vector: computed per Dropbox's
//! docs.

use crate::scheme::{Algorithm, Encoding, Handshake, Part, Scheme, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "dropbox",
        Algorithm::HmacSha256,
        "x-dropbox-signature",
        single(""),
        Encoding::Hex,
        vec![Part::Body],
    )
    .with_handshake(Handshake::DropboxChallenge)
}
