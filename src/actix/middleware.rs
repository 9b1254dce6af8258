//! [`WebhookGuard`]: the pipeline as actix-web middleware.

use std::cell::{Cell, OnceCell};
use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{
    Extensions, Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready,
};
use actix_web::{Error, HttpMessage, web};
use futures_core::future::LocalBoxFuture;

use super::convert::{ActixBody, parts_of, refusal_to_actix, to_actix};
use super::extract::WebhookRejection;
use crate::pipeline::{Answer, ObservedRejection, Pipeline, Processed, SuccessStatus};

/// Middleware running the webhook [`Pipeline`] in front of a resource, scope or app.
///
/// `web::resource(…).wrap(guard)`, `web::scope(…).wrap(guard)` and `App::new().wrap(guard)`
/// answer every request the same way. Build the pipeline once, outside `HttpServer::new`, and
/// clone it into each worker's app: the clones share the rate limiter and the replay store.
///
/// Its answers are `Ok` responses, except the 500 after a handler panic and the 503 after a
/// handler timeout: the request went to the handler with the call that failed, so these come
/// back as an `Err` ([`WebhookRejection::Answered`](super::WebhookRejection::Answered)) that actix renders with the same status,
/// headers and body. Middleware wrapped outside the guard sees them as errors.
///
/// The handler's body extractors accept every body the pipeline accepted: for the requests it
/// guards, the middleware sets the limit of `web::PayloadConfig` (`web::Bytes`, `String`,
/// `web::Payload::to_bytes`), `web::JsonConfig` (`web::Json`) and `web::FormConfig`
/// (`web::Form`) to [`Pipeline::body_limit`], keeping their other settings (error handler,
/// content type, mime type). See [the module docs](super#body-limits) for what stays yours.
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
            limits: OnceCell::new(),
        }))
    }
}

/// The service [`WebhookGuard`] wraps around the inner one.
pub struct WebhookGuardMiddleware<S> {
    service: Rc<S>,
    pipeline: Pipeline,
    /// The extractor configurations sized to the cap, pushed onto each request's app data.
    /// Built on the first request from those in scope here: actix presents the same app data
    /// to a middleware for every request.
    limits: OnceCell<Rc<Extensions>>,
}

/// The extractor configurations in scope at the middleware (or actix's defaults: 256 KiB for
/// the payload, 2 MB for JSON, 16 KiB for forms), with their limit set to `cap`.
fn extractor_limits(req: &ServiceRequest, cap: usize) -> Rc<Extensions> {
    // The lookup the extractors themselves make: `T`, then `Data<T>`, then the default.
    fn in_scope<T: Clone + Default + 'static>(req: &ServiceRequest) -> T {
        req.app_data::<T>()
            .or_else(|| req.app_data::<web::Data<T>>().map(|d| d.get_ref()))
            .cloned()
            .unwrap_or_default()
    }
    let mut limits = Extensions::new();
    limits.insert(in_scope::<web::PayloadConfig>(req).limit(cap));
    limits.insert(in_scope::<web::JsonConfig>(req).limit(cap));
    limits.insert(in_scope::<web::FormConfig>(req).limit(cap));
    Rc::new(limits)
}

impl<B> SuccessStatus for ServiceResponse<B> {
    fn is_success(&self) -> bool {
        self.status().is_success()
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

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        // Pushed while the request is not yet shared (actix needs it unique to add app data);
        // searched before the app data of the resource, scope or app the middleware wraps.
        let limits = self
            .limits
            .get_or_init(|| extractor_limits(&req, self.pipeline.body_limit()));
        req.add_data_container(Rc::clone(limits));
        let service = Rc::clone(&self.service);
        let pipeline = self.pipeline.clone();
        Box::pin(async move {
            let (http_req, payload) = req.into_parts();
            let parts = match parts_of(&http_req) {
                Ok(parts) => parts,
                Err(r) => {
                    let response = refusal_to_actix(&r).map_into_right_body();
                    return Ok(ServiceResponse::new(http_req, response));
                }
            };
            let peer = http_req.peer_addr().map(|a| a.ip());
            // The request has one owner at a time: this slot until the handler runs, then the
            // inner service. Behind a scope or an app, actix's routing in the inner service
            // needs it unshared (it writes the match info in place and panics on a clone).
            let slot = Cell::new(Some(http_req));
            let processed = pipeline
                .process(
                    parts,
                    peer,
                    ActixBody(payload),
                    |_parts, bytes, verification| {
                        let for_handler = slot
                            .take()
                            .expect("the pipeline runs the handler at most once");
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
            match (processed, slot.take()) {
                (Processed::Handled(Answer(result)), _) => {
                    result.map(ServiceResponse::map_into_left_body)
                }
                // Answered before the handler ran (a refusal, a duplicate): the request is
                // still here.
                (Processed::Respond(response), Some(http_req)) => Ok(ServiceResponse::new(
                    http_req,
                    to_actix(response).map_into_right_body(),
                )),
                // Answered after the handler took the request (it panicked or timed out, and
                // the request went with it): the same response, as an error actix renders.
                (Processed::Respond(response), None) => {
                    Err(WebhookRejection::Answered(Box::new(response)).into())
                }
            }
        })
    }
}
