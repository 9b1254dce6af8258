//! Okta event hooks: the `Authorization` header carries the static secret configured for the
//! hook (its whole value, e.g. `Bearer …`); nothing is signed. Compared in constant time as
//! SHA-256 digests. The one-time `X-Okta-Verification-Challenge` GET is answered by the pipeline.
//! Vector: per Okta's docs "Event hooks" (no official verifier).

use crate::scheme::{Algorithm, Encoding, Handshake, Scheme, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "okta",
        Algorithm::Token,
        "authorization",
        single(""),
        Encoding::Raw,
        Vec::new(),
    )
    .with_handshake(Handshake::OktaVerification)
}
