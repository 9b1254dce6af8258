//! Runs every known-answer vector in `tests/vectors/*.json` (see its README for the format
//! and the source of each case).

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hookguard::{Provider, Verifier};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use serde_json::Value;

use crate::common::at;

struct Outcome {
    cases: usize,
    negative: usize,
    failures: Vec<String>,
}

fn run_file(path: &std::path::Path, out: &mut Outcome) -> Provider {
    let text = std::fs::read_to_string(path).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let provider: Provider = doc["provider"].as_str().unwrap().parse().unwrap();
    for case in doc["cases"].as_array().unwrap() {
        let name = format!("{}: {}", provider, case["name"].as_str().unwrap());
        out.cases += 1;
        let expect = case["expect"].as_str().unwrap();
        if expect != "ok" {
            out.negative += 1;
        }
        let got = run_case(provider, case);
        let wanted_id = case.get("delivery_id").and_then(Value::as_str);
        let matches = match (&got, expect) {
            (Ok(id), "ok") => wanted_id.is_none_or(|w| w == id),
            (Err(code), e) => code == e,
            _ => false,
        };
        if !matches {
            out.failures.push(format!(
                "{name}: expected {expect} ({wanted_id:?}), got {got:?}"
            ));
        }
    }
    provider
}

fn run_case(provider: Provider, case: &Value) -> Result<String, String> {
    let secrets: Vec<&str> = case["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let mut builder = Verifier::builder(provider).secrets(secrets.iter().copied());
    if let Some(t) = case.get("tolerance").and_then(Value::as_u64) {
        builder = builder.dangerous_unchecked_tolerance(Duration::from_secs(t));
    }
    let uri: Uri = match case.get("url").and_then(Value::as_str) {
        Some(url) => {
            let uri: Uri = url.parse().unwrap();
            builder = builder.public_url(&format!(
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
        let value = HeaderValue::from_str(pair[1].as_str().unwrap()).unwrap();
        headers.append(name, value);
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
    let method = Method::from_bytes(
        case.get("method")
            .and_then(Value::as_str)
            .unwrap_or("POST")
            .as_bytes(),
    )
    .unwrap();
    let now = at(case["now"].as_i64().unwrap());
    verifier
        .verify_at(&method, &uri, &headers, &body, now)
        .map(|v| v.delivery_id().to_string())
        .map_err(|r| r.code().to_owned())
}

#[test]
fn every_official_vector_has_the_expected_outcome() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut out = Outcome {
        cases: 0,
        negative: 0,
        failures: Vec::new(),
    };
    let mut covered = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        covered.push(run_file(path, &mut out));
    }
    println!(
        "{} vectors, {} negative, {} failures",
        out.cases,
        out.negative,
        out.failures.len()
    );
    assert!(
        out.failures.is_empty(),
        "{} failures:\n{}",
        out.failures.len(),
        out.failures.join("\n")
    );
    assert!(
        out.cases >= 60 && out.negative >= 40,
        "{} cases, {} negative",
        out.cases,
        out.negative
    );
    for p in Provider::ALL {
        assert!(covered.contains(p), "no vectors for {p}");
    }
}
