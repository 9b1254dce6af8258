//! Clerk: delivers through Svix, so the Standard Webhooks v1 construction under `svix-id`,
//! `svix-timestamp` and `svix-signature`, secret `whsec_<base64>`. Vector: signed with PyPI
//! `svix` `Webhook.sign` and checked with `Webhook.verify`.

use crate::scheme::Scheme;

pub(crate) fn scheme() -> Scheme {
    super::standard_webhooks::with_headers("clerk", "svix-signature", "svix-timestamp", "svix-id")
}
