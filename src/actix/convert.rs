//! Between actix-web's types (built on `http` 0.2) and the pipeline's (`http` 1).

use actix_web::HttpRequest;
use actix_web::dev::Payload;
use bytes::Bytes;
use futures_core::Stream;

use crate::error::Rejection;
use crate::pipeline::{BodyError, BodySource, rejection_response};

/// The request head in `http` 1 types. A header that does not convert (it cannot happen for
/// what actix accepted, but the conversion is fallible) refuses the request rather than
/// silently dropping the header.
pub(crate) fn parts_of(req: &HttpRequest) -> Result<http::request::Parts, Rejection> {
    let malformed = |name: &str| {
        Rejection::MalformedHeader(
            http::HeaderName::from_bytes(name.as_bytes())
                .unwrap_or(http::header::HeaderName::from_static("x-invalid")),
        )
    };
    let (mut parts, ()) = http::Request::new(()).into_parts();
    parts.method = http::Method::from_bytes(req.method().as_str().as_bytes())
        .map_err(|_| Rejection::MethodNotAllowed)?;
    let uri = req.uri();
    // A server sees the origin form (path and query) almost always: its text converts as it
    // is, without formatting the whole URI first.
    let converted = match (uri.scheme(), uri.authority(), uri.path_and_query()) {
        (None, None, Some(path)) => http::Uri::try_from(path.as_str()),
        _ => http::Uri::try_from(uri.to_string()),
    };
    parts.uri = converted.map_err(|_| Rejection::MalformedHeader(http::header::HOST))?;
    let mut headers = http::HeaderMap::with_capacity(req.headers().len());
    for (name, value) in req.headers() {
        let name1 = http::HeaderName::from_bytes(name.as_str().as_bytes())
            .map_err(|_| malformed(name.as_str()))?;
        let value1 = http::HeaderValue::from_bytes(value.as_bytes())
            .map_err(|_| malformed(name.as_str()))?;
        headers.append(name1, value1);
    }
    parts.headers = headers;
    Ok(parts)
}

/// A neutral response as an actix one.
pub(crate) fn to_actix(response: http::Response<Bytes>) -> actix_web::HttpResponse {
    let (parts, body) = response.into_parts();
    let status = actix_web::http::StatusCode::from_u16(parts.status.as_u16())
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut out = actix_web::HttpResponse::build(status);
    for (name, value) in &parts.headers {
        out.append_header((name.as_str(), value.as_bytes()));
    }
    out.body(body)
}

/// The response for a rejection, as actix's.
pub(crate) fn rejection_to_actix(rejection: &Rejection) -> actix_web::HttpResponse {
    to_actix(rejection_response(rejection))
}

/// actix's raw payload as a [`BodySource`].
pub(crate) struct ActixBody(pub(crate) Payload);

impl BodySource for ActixBody {
    async fn next_chunk(&mut self) -> Option<Result<Bytes, BodyError>> {
        let next = std::future::poll_fn(|cx| std::pin::Pin::new(&mut self.0).poll_next(cx)).await?;
        Some(next.map_err(|_| BodyError))
    }
}

impl actix_web::ResponseError for Rejection {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::from_u16(self.status().as_u16())
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        rejection_to_actix(self)
    }
}
