//! Provider presets: one file each, every one a [`Scheme`](crate::Scheme) value.

pub(crate) mod discord;
pub(crate) mod github;
pub(crate) mod gitlab;
pub(crate) mod linear;
pub(crate) mod paddle;
pub(crate) mod shopify;
pub(crate) mod slack;
pub(crate) mod square;
pub(crate) mod standard_webhooks;
pub(crate) mod standard_webhooks_v1a;
pub(crate) mod stripe;
pub(crate) mod svix;
pub(crate) mod twilio;
pub(crate) mod zoom;
