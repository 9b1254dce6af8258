//! Svix: the Standard Webhooks v1 construction with `svix-id`, `svix-timestamp` and
//! `svix-signature` headers. Vector: the Standard Webhooks one, reproduced with PyPI `svix`.

use crate::scheme::Scheme;

pub(crate) fn scheme() -> Scheme {
    super::standard_webhooks::with_headers("svix", "svix-signature", "svix-timestamp", "svix-id")
}
