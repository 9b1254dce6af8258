//! [`WebhookLayer`].

use tower_layer::Layer;

use super::WebhookService;
use crate::error::ConfigError;
use crate::pipeline::{Pipeline, PipelineBuilder};

/// Wraps a service in the webhook pipeline. Clone it freely: clones share the rate limiter and
/// the replay store.
#[derive(Clone, Debug)]
pub struct WebhookLayer {
    pipeline: Pipeline,
}

impl WebhookLayer {
    /// A layer running `pipeline`.
    pub fn new(pipeline: Pipeline) -> Self {
        Self { pipeline }
    }

    /// The pipeline behind the layer.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }
}

impl<S> Layer<S> for WebhookLayer {
    type Service = WebhookService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        WebhookService::new(inner, self.pipeline.clone())
    }
}

impl PipelineBuilder {
    /// Builds the pipeline and wraps it in a [`WebhookLayer`].
    pub fn layer(self) -> Result<WebhookLayer, ConfigError> {
        self.build().map(WebhookLayer::new)
    }
}
