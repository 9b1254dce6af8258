//! PagerDuty (v3 webhooks): `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>…]`, HMAC-SHA256 over the
//! body with each subscription secret; several `v1=` entries appear during secret rotation,
//! other versions are ignored. `X-Webhook-Id` is not signed. Vector: computed per PagerDuty's
//! "Verifying signatures" docs.

use crate::scheme::{Algorithm, Encoding, Part, Scheme, list};

pub(crate) fn scheme() -> Scheme {
    Scheme::preset(
        "pagerduty",
        Algorithm::HmacSha256,
        "x-pagerduty-signature",
        list(b',', b'=', "v1", None),
        Encoding::Hex,
        vec![Part::Body],
    )
}
