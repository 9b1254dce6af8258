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
//! The pipeline's cap ([`PipelineBuilder::body_limit`](crate::pipeline::PipelineBuilder::body_limit),
//! 1 MiB by default) is the one body limit: over it, 413 before verification; within it, the
//! inner service gets the whole body. With feature `axum`, the layer also sets axum's
//! `DefaultBodyLimit` (2 MB by default, read by `Bytes`, `String`, `Json`, `Form`, `Multipart`)
//! to the cap for the request, replacing any set around the layer, so those extractors accept
//! every body the pipeline accepted. A body limit applied *inside* the layer, nearer the
//! handler (`DefaultBodyLimit`, tower-http's `RequestBodyLimitLayer`, a handler's own
//! `http_body_util::Limited`) still applies and would refuse a verified delivery after its
//! claim, and every retry of it: put body limits outside the layer (they then refuse before
//! verification) or leave them to the pipeline.
//!
//! The client address for rate limiting is read from the request extensions: axum's
//! `ConnectInfo<SocketAddr>` (serve with `hookguard::axum::serve`, or with
//! `into_make_service_with_connect_info`), a `SocketAddr`, or a [`PeerAddr`].

mod body;
mod future;
mod layer;
mod service;

pub use future::ResponseFuture;
pub use layer::WebhookLayer;
pub use service::{PeerAddr, WebhookService};
