//! [`WebhookService`].

use std::net::{IpAddr, SocketAddr};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Extensions, Request, Response};
use tower_service::Service;

use super::ResponseFuture;
use super::body::HttpBody;
use crate::pipeline::{Answer, ObservedRejection, Pipeline, Processed};

/// The peer address, for servers that put it in the request extensions themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

/// The service produced by [`WebhookLayer`](super::WebhookLayer).
#[derive(Clone, Debug)]
pub struct WebhookService<S> {
    inner: S,
    pipeline: Pipeline,
}

impl<S> WebhookService<S> {
    pub(crate) fn new(inner: S, pipeline: Pipeline) -> Self {
        Self { inner, pipeline }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

pub(crate) fn peer_ip(extensions: &Extensions) -> Option<IpAddr> {
    #[cfg(feature = "axum")]
    if let Some(info) = extensions.get::<axum::extract::ConnectInfo<SocketAddr>>() {
        return Some(info.0.ip());
    }
    extensions
        .get::<PeerAddr>()
        .map(|p| p.0.ip())
        .or_else(|| extensions.get::<SocketAddr>().map(SocketAddr::ip))
}

/// The body the inner service gets is at most the pipeline's cap, already read: the framework's
/// own default limit for its extractors is set to that cap, so it cannot refuse after
/// verification what the pipeline accepted. For axum, that is `DefaultBodyLimit` (2 MB by
/// default, read by `Bytes`, `String`, `Json`, `Form`, `Multipart`): it is set to the cap for
/// this request. A `DefaultBodyLimit` layered *inside* the webhook layer (nearer the handler)
/// is applied after this one and wins.
#[cfg_attr(not(feature = "axum"), allow(unused_variables))]
fn lift_framework_limit<B>(req: &mut Request<B>, limit: usize) {
    #[cfg(feature = "axum")]
    axum::extract::DefaultBodyLimit::max(limit).apply(req);
}

impl<S, B, ResB> Service<Request<B>> for WebhookService<S>
where
    S: Service<Request<B>, Response = Response<ResB>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Send + 'static,
    B: http_body::Body + From<Bytes> + Send + 'static,
    B::Data: Send,
    ResB: From<Bytes> + Send + 'static,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = ResponseFuture<Response<ResB>, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        // The ready service is the one to call; leave a fresh clone in its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let pipeline = self.pipeline.clone();
        let limit = pipeline.body_limit();
        let (parts, body) = req.into_parts();
        let peer = peer_ip(&parts.extensions);
        ResponseFuture {
            inner: Box::pin(async move {
                let source = HttpBody(std::pin::pin!(body));
                let processed = pipeline
                    .process(parts, peer, source, |parts, bytes, verification| {
                        let mut req = Request::from_parts(parts, B::from(bytes));
                        lift_framework_limit(&mut req, limit);
                        match verification {
                            Ok(verified) => {
                                req.extensions_mut().insert(verified);
                            }
                            Err(rejection) => {
                                req.extensions_mut().insert(ObservedRejection(rejection));
                            }
                        }
                        let call = inner.call(req);
                        async move { Answer(call.await) }
                    })
                    .await;
                match processed {
                    Processed::Handled(Answer(result)) => result,
                    Processed::Respond(response) => Ok(response.map(ResB::from)),
                }
            }),
        }
    }
}
