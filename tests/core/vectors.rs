//! Runs every known-answer vector in `tests/vectors/*.json` (see its README for the format
//! and the source of each case).

use hookguard::Provider;
use serde_json::Value;

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

/// The delivery id on success, the rejection code otherwise.
fn run_case(provider: Provider, case: &Value) -> Result<String, String> {
    crate::vector_case::run_case(provider.scheme(), case).map(|v| v.delivery_id().to_string())
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
