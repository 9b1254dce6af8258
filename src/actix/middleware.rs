//! [`WebhookGuard`]: the pipeline as actix-web middleware.

use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::{Error, HttpMessage};
use futures_core::future::LocalBoxFuture;

use super::convert::{ActixBody, parts_of, rejection_to_actix, to_actix};
use crate::pipeline::{ObservedRejection, Pipeline, Processed};
use crate::replay::HandlerOutcome;

/// Middleware running the webhook [`Pipeline`] in front of a resource, scope or app.
///
/// Build the pipeline once, outside `HttpServer::new`, and clone it into each worker's app:
/// the clones share the rate limiter and the replay store.
#[derive(Clone, Debug)]
pub struct WebhookGuard {
    pipeline: Pipeline,
}

impl WebhookGuard {
    /// Middleware running `pipeline`.
    pub fn new(pipeline: Pipeline) -> Self {
        Self { pipeline }
    }
}

impl<S, B> Transform<S, ServiceRequest> for WebhookGuard
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = WebhookGuardMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(WebhookGuardMiddleware {
            service: Rc::new(service),
            pipeline: self.pipeline.clone(),
        }))
    }
}

/// The service [`WebhookGuard`] wraps around the inner one.
pub struct WebhookGuardMiddleware<S> {
    service: Rc<S>,
    pipeline: Pipeline,
}

/// The inner service's answer: success only for `Ok` with a 2xx status.
struct Answer<B>(Result<ServiceResponse<B>, Error>);

impl<B> HandlerOutcome for Answer<B> {
    fn succeeded(&self) -> bool {
        matches!(&self.0, Ok(r) if r.status().is_success())
    }
}

impl<S, B> Service<ServiceRequest> for WebhookGuardMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let pipeline = self.pipeline.clone();
        Box::pin(async move {
            let (http_req, payload) = req.into_parts();
            let parts = match parts_of(&http_req) {
                Ok(parts) => parts,
                Err(r) => {
                    let response = rejection_to_actix(&r).map_into_right_body();
                    return Ok(ServiceResponse::new(http_req, response));
                }
            };
            let peer = http_req.peer_addr().map(|a| a.ip());
            let for_handler = http_req.clone();
            let processed = pipeline
                .process(
                    parts,
                    peer,
                    ActixBody(payload),
                    |_parts, bytes, verification| {
                        match verification {
                            Ok(verified) => {
                                for_handler.extensions_mut().insert(verified);
                            }
                            Err(rejection) => {
                                for_handler
                                    .extensions_mut()
                                    .insert(ObservedRejection(rejection));
                            }
                        }
                        let inner = ServiceRequest::from_parts(for_handler, Payload::from(bytes));
                        let call = service.call(inner);
                        async move { Answer(call.await) }
                    },
                )
                .await;
            match processed {
                Processed::Handled(Answer(result)) => {
                    result.map(ServiceResponse::map_into_left_body)
                }
                Processed::Respond(response) => Ok(ServiceResponse::new(
                    http_req,
                    to_actix(response).map_into_right_body(),
                )),
            }
        })
    }
}
