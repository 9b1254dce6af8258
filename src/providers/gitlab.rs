//! GitLab: `X-Gitlab-Token` carries the shared secret itself; nothing is signed. Compared in
//! constant time (as SHA-256 digests, so the length does not leak either).

use crate::scheme::{Algorithm, Encoding, Scheme, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "gitlab",
        Algorithm::Token,
        "x-gitlab-token",
        single(""),
        Encoding::Raw,
        Vec::new(),
    )
}
