//! Turning a decision into a neutral `http::Response<Bytes>`: the one problem+json renderer
//! (RFC 9457 bodies with the stable `code`), and the `Retry-After` / `RateLimit` headers.
//! Inner error text never reaches a body.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use http::{Response, StatusCode};

use super::Refusal;

const PROBLEM_JSON: &str = "application/problem+json";

/// A problem+json response: `type`, `title`, `status` and `code`, then the `more` members.
/// Every problem body hookguard sends, from any adapter, comes from here.
pub(crate) fn problem(
    status: StatusCode,
    code: &str,
    more: &[(&str, serde_json::Value)],
) -> Response<Bytes> {
    let mut body = serde_json::Map::new();
    body.insert("type".into(), "about:blank".into());
    body.insert(
        "title".into(),
        status.canonical_reason().unwrap_or("Error").into(),
    );
    body.insert("status".into(), status.as_u16().into());
    body.insert("code".into(), code.into());
    for (name, value) in more {
        body.insert((*name).into(), value.clone());
    }
    let mut response = Response::new(Bytes::from(serde_json::Value::Object(body).to_string()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
}

fn retry_after(response: &mut Response<Bytes>, secs: u64) {
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(secs.max(1)));
}

/// The response for a refusal: status, problem+json body with the stable code, and
/// `Retry-After` (plus `RateLimit` and `RateLimit-Policy` for 429).
pub fn refusal_response(refusal: &Refusal) -> Response<Bytes> {
    let detail = [("detail", refusal.to_string().into())];
    let mut response = problem(refusal.status(), refusal.code(), &detail);
    if let Some(wait) = refusal.retry_after() {
        retry_after(&mut response, wait.as_secs());
    }
    if let Refusal::RateLimited(crate::ratelimit::Limited {
        retry_after: wait,
        quota,
        window,
    }) = refusal
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
    let detail = [("detail", "the handler failed; retry later".into())];
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "handler_panicked",
        &detail,
    )
}

/// 503 after a handler timeout (the claim was released).
pub(crate) fn timed_out_response(wait: std::time::Duration) -> Response<Bytes> {
    let detail = [(
        "detail",
        "the handler did not finish in time; retry later".into(),
    )];
    let mut response = problem(StatusCode::SERVICE_UNAVAILABLE, "handler_timeout", &detail);
    retry_after(&mut response, wait.as_secs());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_body_has_the_stable_members_and_nothing_else_unasked() {
        let response = problem(
            StatusCode::BAD_REQUEST,
            "invalid_payload",
            &[("line", 3.into())],
        );
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.headers()[CONTENT_TYPE], PROBLEM_JSON);
        assert_eq!(
            response.body(),
            r#"{"code":"invalid_payload","line":3,"status":400,"title":"Bad Request","type":"about:blank"}"#
        );
    }
}
