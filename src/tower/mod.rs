//! A tower [`Layer`](tower_layer::Layer) that runs the [pipeline](crate::pipeline) in front of
//! any service taking `http::Request`s (axum routers and handlers included).
//!
//! ```
//! use hookguard::{Provider, Verifier, pipeline::Pipeline};
//! let verifier = Verifier::builder(Provider::Github).secret("It's a Secret to Everybody").build()?;
//! let layer = Pipeline::builder(verifier).body_limit(256 * 1024).layer()?;
//! // axum: Router::new().route("/webhook", post(handler)).layer(layer)
//! # let _ = layer;
//! # Ok::<(), hookguard::ConfigError>(())
//! ```
//!
//! The inner service receives the request with its body replaced by exactly the verified
//! bytes, and the [`Verified`](crate::Verified) facts in the request extensions. Its response
//! decides the claim: 2xx completes it, anything else (or an error) releases it for the
//! provider's retry.
//!
//! The client address for rate limiting is read from the request extensions: axum's
//! `ConnectInfo<SocketAddr>` (serve with `into_make_service_with_connect_info`), a
//! `SocketAddr`, or a [`PeerAddr`].

mod body;
mod future;
mod layer;
mod service;

pub use future::ResponseFuture;
pub use layer::WebhookLayer;
pub use service::{PeerAddr, WebhookService};
