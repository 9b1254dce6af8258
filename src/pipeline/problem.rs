//! Turning a decision into a neutral `http::Response<Bytes>`: short problem+json bodies with
//! the stable code, and the `Retry-After` / `RateLimit` headers. Inner error text never
//! reaches a body.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use http::{Response, StatusCode};

use crate::error::Rejection;

const PROBLEM_JSON: &str = "application/problem+json";

fn build(
    status: StatusCode,
    code: &str,
    detail: &str,
    content_type: &'static str,
) -> Response<Bytes> {
    let body = serde_json::json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "code": code,
        "detail": detail,
    });
    let mut response = Response::new(Bytes::from(body.to_string()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn retry_after(response: &mut Response<Bytes>, secs: u64) {
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(secs.max(1)));
}

/// The response for a rejection: status, problem+json body with the stable code, and
/// `Retry-After` (plus `RateLimit` and `RateLimit-Policy` for 429).
pub fn rejection_response(rejection: &Rejection) -> Response<Bytes> {
    let mut response = build(
        rejection.status(),
        rejection.code(),
        &rejection.to_string(),
        PROBLEM_JSON,
    );
    if let Some(wait) = rejection.retry_after() {
        retry_after(&mut response, wait.as_secs());
    }
    if let Rejection::RateLimited {
        retry_after: wait,
        quota,
        window,
    } = rejection
    {
        let policy = format!("\"per-client\";q={quota};w={}", window.as_secs().max(1));
        let state = format!("\"per-client\";r=0;t={}", wait.as_secs().max(1));
        let headers = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&policy) {
            headers.insert("ratelimit-policy", v);
        }
        if let Ok(v) = HeaderValue::from_str(&state) {
            headers.insert("ratelimit", v);
        }
    }
    response
}

/// 200 for a duplicate of a delivery already handled: the provider stops retrying.
pub(crate) fn duplicate_response() -> Response<Bytes> {
    let mut response = Response::new(Bytes::from_static(
        br#"{"status":"duplicate","code":"duplicate_delivery"}"#,
    ));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// 500 after a handler panic (the claim was released).
pub(crate) fn panicked_response() -> Response<Bytes> {
    build(
        StatusCode::INTERNAL_SERVER_ERROR,
        "handler_panicked",
        "the handler failed; retry later",
        PROBLEM_JSON,
    )
}

/// 503 after a handler timeout (the claim was released).
pub(crate) fn timed_out_response(secs: u64) -> Response<Bytes> {
    let mut response = build(
        StatusCode::SERVICE_UNAVAILABLE,
        "handler_timeout",
        "the handler did not finish in time; retry later",
        PROBLEM_JSON,
    );
    retry_after(&mut response, secs);
    response
}
