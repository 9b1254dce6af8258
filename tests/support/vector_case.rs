//! Runs one case of `tests/vectors/*.json` (format in `tests/vectors/README.md`) against a
//! scheme: shared by the preset vector test and the custom-scheme test, so both read the
//! files the same way.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hookguard::{Scheme, Verifier};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use serde_json::Value;

/// The verification result, or the rejection code.
pub type Outcome = Result<hookguard::Verified, String>;

pub fn run_case(scheme: Scheme, case: &Value) -> Outcome {
    let secrets: Vec<&str> = case["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let mut builder = Verifier::builder(scheme).secrets(secrets.iter().copied());
    if let Some(t) = case.get("tolerance").and_then(Value::as_u64) {
        builder = builder
            .dangerous()
            .unchecked_tolerance(Duration::from_secs(t));
    }
    let uri: Uri = match case.get("url").and_then(Value::as_str) {
        Some(url) => {
            let uri: Uri = url.parse().unwrap();
            builder = builder.public_origin(&format!(
                "{}://{}",
                uri.scheme_str().unwrap(),
                uri.authority().unwrap()
            ));
            uri
        }
        None => Uri::from_static("/webhook"),
    };
    let verifier = builder.build().map_err(|e| format!("config error: {e}"))?;
    let mut headers = HeaderMap::new();
    let pairs = |key: &str| {
        case.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    for pair in pairs("headers") {
        let name = HeaderName::from_bytes(pair[0].as_str().unwrap().as_bytes()).unwrap();
        headers.append(
            name,
            HeaderValue::from_str(pair[1].as_str().unwrap()).unwrap(),
        );
    }
    for pair in pairs("headers_base64") {
        let name = HeaderName::from_bytes(pair[0].as_str().unwrap().as_bytes()).unwrap();
        let raw = STANDARD.decode(pair[1].as_str().unwrap()).unwrap();
        headers.append(name, HeaderValue::from_bytes(&raw).unwrap());
    }
    let body = match (case.get("body"), case.get("body_base64")) {
        (Some(b), None) => b.as_str().unwrap().as_bytes().to_vec(),
        (None, Some(b)) => STANDARD.decode(b.as_str().unwrap()).unwrap(),
        _ => panic!("exactly one of body, body_base64"),
    };
    let method = case.get("method").and_then(Value::as_str).unwrap_or("POST");
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let now = at(case["now"].as_i64().unwrap());
    verifier
        .verify_at(&method, &uri, &headers, &body, now)
        .map_err(|r| r.code().to_owned())
}

pub fn at(unix: i64) -> SystemTime {
    if unix >= 0 {
        UNIX_EPOCH + Duration::from_secs(unix.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_secs(unix.unsigned_abs())
    }
}
