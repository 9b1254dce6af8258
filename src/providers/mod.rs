//! Provider presets: [`Provider`] names them, and each has one file here whose `scheme()`
//! returns its [`Scheme`](crate::Scheme) value (a provider whose rules do not fit the
//! declarative scheme keeps them in its own file too: see `twilio.rs`).
//!
//! To add a provider: a file here, its `mod` line below, a `Provider` variant with its name and
//! `scheme()` arm, and its official known-answer vectors in `tests/vectors/` (see
//! ARCHITECTURE.md).

pub(crate) mod bitbucket;
pub(crate) mod calendly;
pub(crate) mod clerk;
pub(crate) mod coinbase_commerce;
pub(crate) mod discord;
pub(crate) mod dropbox;
pub(crate) mod github;
pub(crate) mod gitlab;
pub(crate) mod hubspot;
pub(crate) mod intercom;
pub(crate) mod jira;
pub(crate) mod lemon_squeezy;
pub(crate) mod linear;
pub(crate) mod mailgun;
pub(crate) mod meta;
pub(crate) mod mux;
pub(crate) mod okta;
pub(crate) mod paddle;
pub(crate) mod pagerduty;
pub(crate) mod postmark;
pub(crate) mod razorpay;
pub(crate) mod resend;
pub(crate) mod segment;
pub(crate) mod sendgrid;
pub(crate) mod sentry;
pub(crate) mod shopify;
pub(crate) mod slack;
pub(crate) mod square;
pub(crate) mod standard_webhooks;
pub(crate) mod standard_webhooks_v1a;
pub(crate) mod stripe;
pub(crate) mod svix;
pub(crate) mod twilio;
pub(crate) mod twitch;
pub(crate) mod typeform;
pub(crate) mod vercel;
pub(crate) mod x;
pub(crate) mod zendesk;
pub(crate) mod zoom;
use std::fmt;
use std::str::FromStr;

use crate::scheme::Scheme;

macro_rules! providers {
    ($( $(#[$doc:meta])* $variant:ident => $name:literal, $module:ident; )*) => {
        /// A provider preset. Its [`name`](Provider::name) is the kebab-case name the CLI and
        /// configuration use.
        ///
        /// ```
        /// use hookguard::Provider;
        /// let p: Provider = "stripe".parse().unwrap();
        /// assert_eq!(p, Provider::Stripe);
        /// assert_eq!(p.name(), "stripe");
        /// assert!(Provider::ALL.len() >= 31);
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Provider {
            $( $(#[$doc])* $variant, )*
        }

        impl Provider {
            /// Every preset, in the order `hookguard providers` lists them.
            pub const ALL: &'static [Provider] = &[$(Provider::$variant),*];

            /// The kebab-case name.
            pub fn name(self) -> &'static str {
                match self { $(Provider::$variant => $name,)* }
            }

            /// The preset's scheme.
            pub fn scheme(self) -> Scheme {
                match self { $(Provider::$variant => $module::scheme(),)* }
            }
        }

        impl FromStr for Provider {
            type Err = UnknownProvider;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok(Provider::$variant),)*
                    _ => Err(UnknownProvider),
                }
            }
        }
    };
}

providers! {
    /// Standard Webhooks v1 (HMAC-SHA256): `webhook-id`, `webhook-timestamp`,
    /// `webhook-signature: v1,<base64>`; secret `whsec_<base64>`.
    StandardWebhooks => "standard-webhooks", standard_webhooks;
    /// Standard Webhooks v1a (Ed25519, feature `ed25519`): `webhook-signature: v1a,<base64>`;
    /// public key `whpk_<base64>`.
    StandardWebhooksV1a => "standard-webhooks-v1a", standard_webhooks_v1a;
    /// Svix: Standard Webhooks v1 under `svix-id`, `svix-timestamp`, `svix-signature`.
    Svix => "svix", svix;
    /// Stripe: `Stripe-Signature: t=…,v1=<hex>`; the whole `whsec_…` string is the key.
    Stripe => "stripe", stripe;
    /// GitHub: `X-Hub-Signature-256: sha256=<hex>` over the body.
    Github => "github", github;
    /// Slack: `X-Slack-Signature: v0=<hex>` over `v0:{ts}:{body}`.
    Slack => "slack", slack;
    /// Shopify: `X-Shopify-Hmac-Sha256: <base64>` over the body.
    Shopify => "shopify", shopify;
    /// GitLab: `X-Gitlab-Token` equals the shared secret.
    Gitlab => "gitlab", gitlab;
    /// Twilio: `X-Twilio-Signature`, HMAC-SHA1 over URL + sorted form params (or URL with
    /// `bodySHA256` for JSON bodies). Needs the public URL.
    Twilio => "twilio", twilio;
    /// Discord interactions (feature `ed25519`): `X-Signature-Ed25519` over
    /// `{X-Signature-Timestamp}{body}`.
    Discord => "discord", discord;
    /// Linear: `Linear-Signature: <hex>` over the body; timestamp from `webhookTimestamp`.
    Linear => "linear", linear;
    /// Paddle Billing: `Paddle-Signature: ts=…;h1=<hex>` over `{ts}:{body}`.
    Paddle => "paddle", paddle;
    /// Square: `X-Square-HmacSha256-Signature` over notification URL + body. Needs the public
    /// URL.
    Square => "square", square;
    /// Zoom: `x-zm-signature: v0=<hex>` over `v0:{ts}:{body}`.
    Zoom => "zoom", zoom;
    /// Clerk: Svix (Standard Webhooks v1 under `svix-*` headers), secret `whsec_<base64>`.
    Clerk => "clerk", clerk;
    /// Resend: Svix (Standard Webhooks v1 under `svix-*` headers), secret `whsec_<base64>`.
    Resend => "resend", resend;
    /// Intercom: `X-Hub-Signature: sha1=<hex>`, HMAC-SHA1 over the body.
    Intercom => "intercom", intercom;
    /// Bitbucket Cloud: `X-Hub-Signature: sha256=<hex>` over the body.
    Bitbucket => "bitbucket", bitbucket;
    /// Jira Cloud (Atlassian admin webhooks with a secret): `X-Hub-Signature: sha256=<hex>`.
    Jira => "jira", jira;
    /// PagerDuty v3: `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>]` over the body.
    Pagerduty => "pagerduty", pagerduty;
    /// Typeform: `Typeform-Signature: sha256=<base64>` over the body.
    Typeform => "typeform", typeform;
    /// Calendly: `Calendly-Webhook-Signature: t=…,v1=<hex>` over `{t}.{body}`.
    Calendly => "calendly", calendly;
    /// Vercel: `x-vercel-signature: <hex>`, HMAC-SHA1 over the body.
    Vercel => "vercel", vercel;
    /// Sentry integration platform: `Sentry-Hook-Signature: <hex>` over the body.
    Sentry => "sentry", sentry;
    /// Coinbase Commerce: `X-CC-Webhook-Signature: <hex>` over the body.
    CoinbaseCommerce => "coinbase-commerce", coinbase_commerce;
    /// Lemon Squeezy: `X-Signature: <hex>` over the body.
    LemonSqueezy => "lemon-squeezy", lemon_squeezy;
    /// Razorpay: `X-Razorpay-Signature: <hex>` over the body.
    Razorpay => "razorpay", razorpay;
    /// Dropbox: `X-Dropbox-Signature: <hex>` over the body, keyed with the app secret.
    Dropbox => "dropbox", dropbox;
    /// Segment webhook destination: `X-Signature: <hex>`, HMAC-SHA1 over the body.
    Segment => "segment", segment;
    /// Mux: `Mux-Signature: t=…,v1=<hex>` over `{t}.{body}`.
    Mux => "mux", mux;
    /// Meta (WhatsApp, Messenger, Instagram): `X-Hub-Signature-256: sha256=<hex>` over the body,
    /// keyed with the app secret.
    Meta => "meta", meta;
    /// X (Twitter): `x-twitter-webhooks-signature: sha256=<base64>` over the body; answers
    /// the CRC handshake.
    X => "x", x;
    /// Twitch EventSub: `Twitch-Eventsub-Message-Signature: sha256=<hex>` over
    /// `{message id}{RFC 3339 timestamp}{body}`; the signed message id is the delivery id.
    Twitch => "twitch", twitch;
    /// Zendesk: `X-Zendesk-Webhook-Signature: <base64>` over `{RFC 3339 timestamp}{body}`.
    Zendesk => "zendesk", zendesk;
    /// HubSpot v3: `X-HubSpot-Signature-v3: <base64>` over
    /// `{METHOD}{URI}{body}{timestamp ms}`. Needs the public URL.
    Hubspot => "hubspot", hubspot;
    /// Okta event hooks: `Authorization` equals the configured secret; nothing is signed.
    Okta => "okta", okta;
    /// Postmark: `Authorization: Basic base64(user:pass)`; secret `user:pass`; nothing is signed.
    Postmark => "postmark", postmark;
    /// SendGrid Event Webhook (feature `ecdsa`): ECDSA P-256 over `{timestamp}{body}`, DER
    /// signature in base64; public key as base64 DER SubjectPublicKeyInfo.
    Sendgrid => "sendgrid", sendgrid;
    /// Mailgun: no header; the JSON body carries
    /// `"signature": {"timestamp", "token", "signature"}`, HMAC-SHA256 hex over
    /// `{timestamp}{token}`. **The body is not signed** (Mailgun's design): only the timestamp
    /// and the token are authenticated; the token is the delivery id (nonce).
    Mailgun => "mailgun", mailgun;
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name given is not a known provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown provider")]
pub struct UnknownProvider;

impl From<Provider> for Scheme {
    fn from(provider: Provider) -> Scheme {
        provider.scheme()
    }
}
