//! Postmark: HTTP Basic credentials embedded in the webhook URL, so the request carries
//! `Authorization: Basic base64(user:pass)`; nothing is signed. The secret is given as
//! `user:pass`; the header must be exactly `Basic ` plus the standard padded base64 of it
//! (compared in constant time as SHA-256 digests). Vector: per Postmark's docs "Webhooks:
//! basic HTTP authentication" (no official verifier).

use crate::scheme::{Algorithm, Encoding, Scheme, SecretFormat, single};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "postmark",
        Algorithm::Token,
        "authorization",
        single("Basic "),
        Encoding::Raw,
        Vec::new(),
    )
    .with_secret_format(SecretFormat::BasicAuth)
}
