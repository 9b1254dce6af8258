//! Between actix-web's types (built on `http` 0.2) and the pipeline's (`http` 1).

use actix_web::HttpRequest;
use actix_web::dev::Payload;
use bytes::Bytes;
use futures_core::Stream;

use crate::error::Rejection;
use crate::pipeline::{BodyError, BodySource, Refusal, refusal_response};

/// The request head in `http` 1 types. A header that does not convert (it cannot happen for
/// what actix accepted, but the conversion is fallible) refuses the request rather than
/// silently dropping the header.
///
/// This runs on every request, so it avoids an allocation per header: the values are copied
/// into one buffer that each converted value shares, and names outside `http`'s standard set
/// (`webhook-id`, `x-hub-signature-256`, …) come from a small per-thread cache.
pub(crate) fn parts_of(req: &HttpRequest) -> Result<http::request::Parts, Refusal> {
    let (mut parts, ()) = http::Request::new(()).into_parts();
    parts.method = http::Method::from_bytes(req.method().as_str().as_bytes())
        .map_err(|_| Refusal::MethodNotAllowed)?;
    let uri = req.uri();
    // A server sees the origin form (path and query) almost always: its text converts as it
    // is, without formatting the whole URI first.
    let converted = match (uri.scheme(), uri.authority(), uri.path_and_query()) {
        (None, None, Some(path)) => http::Uri::try_from(path.as_str()),
        _ => http::Uri::try_from(uri.to_string()),
    };
    parts.uri = converted.map_err(|_| Rejection::MalformedHeader(http::header::HOST))?;
    parts.headers = headers_of(req.headers())?;
    Ok(parts)
}

fn headers_of(from: &actix_web::http::header::HeaderMap) -> Result<http::HeaderMap, Rejection> {
    let malformed = |name: &str| {
        Rejection::MalformedHeader(
            http::HeaderName::from_bytes(name.as_bytes())
                .unwrap_or(http::header::HeaderName::from_static("x-invalid")),
        )
    };
    // Exactly the size needed: a `Vec` whose length is its capacity becomes `Bytes` without
    // a second allocation.
    let mut values = Vec::with_capacity(from.iter().map(|(_, v)| v.len()).sum());
    for (_, value) in from.iter() {
        values.extend_from_slice(value.as_bytes());
    }
    let values = Bytes::from(values);
    let mut headers = http::HeaderMap::with_capacity(from.len());
    let mut at = 0;
    for (name, value) in from.iter() {
        let end = at + value.len();
        let name1 = header_name(name.as_str()).ok_or_else(|| malformed(name.as_str()))?;
        let value1 = http::HeaderValue::from_maybe_shared(values.slice(at..end))
            .map_err(|_| malformed(name.as_str()))?;
        headers.append(name1, value1);
        at = end;
    }
    Ok(headers)
}

/// Names converted on this thread that are not in `http`'s standard set (those convert to a
/// constant without allocating). Bounded: once full, further names are converted each time,
/// so a client sending made-up headers can turn the cache off but not grow it.
const NAME_CACHE: usize = 32;

thread_local! {
    static NAMES: std::cell::RefCell<Vec<http::HeaderName>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// `name` as an `http` 1 name.
fn header_name(name: &str) -> Option<http::HeaderName> {
    NAMES.with(|names| {
        if let Some(known) = names.borrow().iter().find(|n| n.as_str() == name) {
            return Some(known.clone());
        }
        let converted = http::HeaderName::from_bytes(name.as_bytes()).ok()?;
        let mut names = names.borrow_mut();
        if names.len() < NAME_CACHE {
            // A standard name converts to the same static text every time; any other name
            // is copied anew, so two conversions at different addresses mean "cache it".
            let again = http::HeaderName::from_bytes(name.as_bytes()).ok()?;
            if again.as_str().as_ptr() != converted.as_str().as_ptr() {
                names.push(converted.clone());
            }
        }
        Some(converted)
    })
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

/// The response for a refusal, as actix's.
pub(crate) fn refusal_to_actix(refusal: &Refusal) -> actix_web::HttpResponse {
    to_actix(refusal_response(refusal))
}

/// actix's raw payload as a [`BodySource`].
pub(crate) struct ActixBody(pub(crate) Payload);

impl BodySource for ActixBody {
    async fn next_chunk(&mut self) -> Option<Result<Bytes, BodyError>> {
        let next = std::future::poll_fn(|cx| std::pin::Pin::new(&mut self.0).poll_next(cx)).await?;
        Some(next.map_err(|_| BodyError))
    }
}

impl actix_web::ResponseError for Refusal {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::from_u16(self.status().as_u16())
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        refusal_to_actix(self)
    }
}

impl actix_web::ResponseError for Rejection {
    fn status_code(&self) -> actix_web::http::StatusCode {
        Refusal::from(self.clone()).status_code()
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        refusal_to_actix(&Refusal::from(self.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn converted(req: &HttpRequest) -> Vec<(String, Vec<u8>)> {
        let parts = parts_of(req).unwrap();
        parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn every_header_and_value_survives_in_order() {
        let req = TestRequest::post()
            .uri("/hook?tenant=a")
            .insert_header(("content-type", "application/json"))
            .insert_header(("webhook-id", "msg_1"))
            .append_header(("x-multi", "one"))
            .append_header(("x-multi", "two"))
            .insert_header(("webhook-signature", "v1,abc= v1,def="))
            .insert_header(("x-empty", ""))
            .to_http_request();
        let mut want: Vec<(String, Vec<u8>)> = req
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
            .collect();
        // Twice: the second conversion goes through the name cache.
        for _ in 0..2 {
            let mut got = converted(&req);
            got.sort();
            want.sort();
            assert_eq!(got, want);
        }
        let parts = parts_of(&req).unwrap();
        assert_eq!(parts.uri, "/hook?tenant=a");
        assert_eq!(parts.method, http::Method::POST);
        let multi: Vec<_> = parts.headers.get_all("x-multi").iter().collect();
        assert_eq!(multi, ["one", "two"], "repeated headers keep their order");
    }

    #[test]
    fn only_non_standard_names_are_cached_and_the_cache_is_bounded() {
        std::thread::spawn(|| {
            let mut req = TestRequest::post().insert_header(("content-type", "text/plain"));
            for i in 0..NAME_CACHE + 10 {
                req = req.insert_header((format!("x-made-up-{i}"), "v"));
            }
            let req = req.to_http_request();
            assert_eq!(converted(&req).len(), NAME_CACHE + 11);
            NAMES.with(|names| {
                let names = names.borrow();
                assert_eq!(names.len(), NAME_CACHE);
                assert!(names.iter().all(|n| n.as_str().starts_with("x-made-up-")));
            });
            // Past the bound, names still convert.
            assert_eq!(converted(&req).len(), NAME_CACHE + 11);
        })
        .join()
        .unwrap();
    }
}
