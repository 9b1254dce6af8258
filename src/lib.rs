//! # hookguard
//!
//! Guards webhook endpoints. Before your handler runs, hookguard checks the provider's
//! signature over the exact bytes received, checks the timestamp on both sides of a tolerance
//! window, and gives you a delivery id taken from signed material to deduplicate on.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use hookguard::{Provider, Verifier};
//! use http::{HeaderMap, Method, Uri};
//!
//! let verifier = Verifier::builder(Provider::StandardWebhooks)
//!     .secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
//!     .build()?;
//! let mut headers = HeaderMap::new();
//! headers.insert("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek".parse()?);
//! headers.insert("webhook-timestamp", "1614265330".parse()?);
//! headers.insert("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".parse()?);
//! let body = br#"{"test": 2432232314}"#;
//! let now = UNIX_EPOCH + Duration::from_secs(1614265330);
//! let verified = verifier.verify_at(&Method::POST, &Uri::from_static("/hook"), &headers, body, now)?;
//! assert_eq!(verified.delivery_id().as_str(), "msg_p5jXN8AQM9LWM0D4loKWxJek");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Rules every scheme obeys
//!
//! - Decoded MAC bytes of the full expected length are compared in constant time; a
//!   truncated, empty or wrong-length signature never matches.
//! - Parsing is strict: canonical decimal timestamps, exactly one instance of each header,
//!   at most 8 entries per signature header, other scheme versions (`v0`, `sha1=`) ignored and
//!   never used as a fallback.
//! - The timestamp window is two-sided and on by default (300 s); 0 is not "off".
//! - Every configured key is tried against every offered signature, with no early exit.
//! - Secrets are zeroized on drop and never appear in `Debug`, errors or logs.
//!
//! ## Features
//!
//! | feature | what it adds | default |
//! |---|---|---|
//! | `tower` | [`tower::WebhookLayer`] (tower Layer + Service); turns on `pipeline` | yes |
//! | `pipeline` | the framework-neutral `pipeline` every adapter drives: rate limits, body caps, the claim around the handler | with `tower` |
//! | `ed25519` | Ed25519 schemes (Standard Webhooks v1a, Discord) | yes |
//! | `ecdsa` | ECDSA P-256 schemes (SendGrid Event Webhook) | yes |
//! | `toml` | scheme files in TOML (`Scheme::from_toml`; JSON needs no feature) | yes |
//! | `axum` | `axum` extractors (`Webhook<T>`, `Verified`) and `axum::serve` | no |
//! | `actix-web` | `actix` middleware and extractor | no |
//! | `redis` | `replay::RedisStore`, shared by replicas | no |
//! | `inbox` | the durable `inbox` (redb): commit before 2xx, retries, dead letters | no |
//! | `xml` | XML payloads in the `Webhook<T>` extractors | no |
//! | `metrics` | `metrics` counters of every decision; with `inbox`, the inbox's metrics ([`inbox::observe`]) | no |
//!
//! Items that need a feature say which in these docs (on docs.rs, built with every feature).
//!
//! Without default features the crate is the framework-free core: [`Verifier`], [`Signer`],
//! [`Secret`], the presets, and the [`replay`] store and guard.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "actix-web")]
pub mod actix;
#[cfg(feature = "axum")]
pub mod axum;
mod crypto;
pub mod danger;
mod error;
#[cfg(any(feature = "axum", feature = "actix-web"))]
mod extract;
#[cfg(feature = "inbox")]
pub mod inbox;
#[cfg(feature = "pipeline")]
pub mod pipeline;
mod providers;
#[cfg(feature = "pipeline")]
pub mod ratelimit;
pub mod replay;
mod scheme;
mod secret;
mod sign;
mod text;
mod time;
#[cfg(feature = "tower")]
pub mod tower;
mod verified;
mod verify;

pub use error::{ConfigError, Rejection, SignError};
pub use providers::{Provider, UnknownProvider};
pub use scheme::{Handshake, Scheme, SchemeFileError};
pub use secret::{KeyId, Keyring, MAX_KEYS, Secret};
pub use sign::{Delivery, Signed, Signer, SignerBuilder};
pub use time::clock;
pub use verified::{DeliveryId, MAX_ID_LEN, Verified};
pub use verify::{DEFAULT_TOLERANCE, MAX_TOLERANCE, Verifier, VerifierBuilder};
