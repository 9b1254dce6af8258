//! Custom schemes from files (`Scheme::from_toml` / `from_json` / `from_file`): every preset
//! re-expressed as a file under `tests/scheme_files/` is equal to the preset, passes the preset's
//! vectors with the same outcome, the same `Verified` and the same delivery id, and signs what
//! the preset verifies (and the other way round). Malformed files fail with the field and the
//! line, and no input panics.

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hookguard::{Delivery, Provider, Scheme, SchemeFileError, Signer, Verifier};
use http::{HeaderMap, Method, Uri};
use serde_json::Value;

use crate::vector_case::{Outcome, at, run_case};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The scheme file of a preset: `tests/scheme_files/<name>.toml` or `.json`, exactly one.
fn scheme_file(p: Provider) -> PathBuf {
    let dir = root().join("tests/scheme_files");
    let found: Vec<PathBuf> = ["toml", "json"]
        .iter()
        .map(|ext| dir.join(format!("{}.{ext}", p.name())))
        .filter(|f| f.exists())
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{p}: want exactly one scheme file, got {found:?}"
    );
    found.into_iter().next().unwrap()
}

fn load(p: Provider) -> Scheme {
    let file = scheme_file(p);
    Scheme::from_file(&file).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_preset_has_a_scheme_file_equal_to_it() {
    let mut json = 0;
    for &p in Provider::ALL {
        let file = scheme_file(p);
        json += usize::from(file.extension().is_some_and(|e| e == "json"));
        let custom = load(p);
        assert_eq!(custom, p.scheme(), "{p}: {}", file.display());
        assert_eq!(custom.name(), p.name());
        assert_eq!(custom.handshake(), p.scheme().handshake(), "{p}");
    }
    assert!(json >= 3, "cover both formats: {json} JSON files");
    // No stray files: every file is a preset's.
    for entry in std::fs::read_dir(root().join("tests/scheme_files")).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_str().unwrap();
        assert!(
            stem.parse::<Provider>().is_ok(),
            "{} is no preset's",
            path.display()
        );
    }
}

#[test]
fn a_changed_file_is_a_different_scheme() {
    let text = std::fs::read_to_string(scheme_file(Provider::Stripe)).unwrap();
    let changed = Scheme::from_toml(&text.replace("{timestamp}.{body}", "{timestamp}:{body}"));
    assert_ne!(changed.unwrap(), Provider::Stripe.scheme());
    let changed = Scheme::from_toml(&text.replace("\"v1\"", "\"v2\"")).unwrap();
    assert_ne!(changed, Provider::Stripe.scheme());
}

// ---------------------------------------------------------------------------------------------
// The presets' vectors, run against the preset and against its file.

#[test]
fn scheme_files_pass_the_presets_vectors_identically() {
    let mut cases = 0;
    let mut failures = Vec::new();
    for &p in Provider::ALL {
        let path = root().join(format!("tests/vectors/{}.json", p.name()));
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(doc["provider"].as_str(), Some(p.name()));
        let custom = load(p);
        for case in doc["cases"].as_array().unwrap() {
            cases += 1;
            let name = format!("{p}: {}", case["name"].as_str().unwrap());
            let preset = run_case(p.scheme(), case);
            let file = run_case(custom.clone(), case);
            if preset != file {
                failures.push(format!("{name}: preset {preset:?}, file {file:?}"));
            }
            // And both agree with the vector itself.
            let expect = case["expect"].as_str().unwrap();
            let wanted_id = case.get("delivery_id").and_then(Value::as_str);
            let as_expected = match (&file, expect) {
                (Ok(v), "ok") => wanted_id.is_none_or(|w| w == v.delivery_id().as_str()),
                (Err(code), e) => code == e,
                _ => false,
            };
            if !as_expected {
                failures.push(format!(
                    "{name}: expected {expect} {wanted_id:?}, got {file:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(cases >= 100, "{cases} cases");
}

// ---------------------------------------------------------------------------------------------
// Sign with one, verify with the other.

const ORIGIN: &str = "https://hooks.example.com";
const PATH: &str = "/webhook?tenant=acme";
const TS: i64 = 1_700_000_000;

/// (signing secret, verifying secret) in the provider's own text forms.
fn keys(p: Provider) -> (&'static str, &'static str) {
    match p {
        Provider::StandardWebhooks | Provider::Svix | Provider::Clerk | Provider::Resend => (
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ),
        // RFC 8032 test 1.
        Provider::StandardWebhooksV1a => (
            "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=",
            "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
        ),
        Provider::Discord => (
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        ),
        Provider::Sendgrid => (
            "1f2e3d4c5b6a79880716253443526170ffeeddccbbaa99887766554433221100",
            "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEiZr+NziuyXgwYBX8xP7leSoqY8KVk+Wl3tMhWOWhqucU5NhEpQ2DvrBhvyXZGpub1rOiA+cUoh2MaZe//WaDDw==",
        ),
        Provider::Postmark => ("hookguard:secret", "hookguard:secret"),
        _ => ("It's a Secret to Everybody", "It's a Secret to Everybody"),
    }
}

fn sample_body(p: Provider) -> Vec<u8> {
    match p {
        Provider::Twilio => b"CallSid=CA123&From=15551234&To=15550000&Body=hello".to_vec(),
        _ => format!(r#"{{"event":"ping","webhookTimestamp":{}}}"#, TS * 1000).into_bytes(),
    }
}

/// The headers and the body to send (Mailgun: the sample with its signature object added).
fn sign_with(scheme: &Scheme, p: Provider) -> (HeaderMap, Vec<u8>) {
    let secret = scheme.parse_signing_secret(keys(p).0).unwrap();
    let hookguard::Signed { headers, body, .. } = Signer::builder(scheme.clone())
        .key(secret)
        .build()
        .unwrap()
        .sign_with_body(
            &Delivery::new(sample_body(p))
                .id("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W")
                .timestamp(TS)
                .url(format!("{ORIGIN}{PATH}")),
        )
        .unwrap();
    (headers, body.to_vec())
}

fn verify_with(scheme: &Scheme, p: Provider, headers: &HeaderMap, body: &[u8]) -> Outcome {
    let verifier = Verifier::builder(scheme.clone())
        .secret(keys(p).1)
        .public_origin(ORIGIN)
        .build()
        .unwrap();
    verifier
        .verify_at(
            &Method::POST,
            &Uri::from_static(PATH),
            headers,
            body,
            at(TS + 1),
        )
        .map_err(|r| r.code().to_owned())
}

#[test]
fn a_file_signs_what_its_preset_verifies_and_the_other_way_round() {
    for &p in Provider::ALL {
        let (preset, custom) = (p.scheme(), load(p));
        let (by_custom, body) = sign_with(&custom, p);
        let (by_preset, preset_body) = sign_with(&preset, p);
        let ok = verify_with(&preset, p, &by_custom, &body).unwrap_or_else(|e| panic!("{p}: {e}"));
        assert_eq!(
            Ok(ok.clone()),
            verify_with(&custom, p, &by_preset, &preset_body),
            "{p}"
        );
        assert_eq!(ok.provider(), p.name());
        // Deterministic schemes sign byte for byte alike (ECDSA signatures are randomized).
        if p != Provider::Sendgrid {
            assert_eq!((&by_custom, &body), (&by_preset, &preset_body), "{p}");
        }
        // A changed body fails under both (Mailgun: its first byte opens the signature
        // object's member; the rest of its body is not signed).
        if !matches!(p, Provider::Gitlab | Provider::Okta | Provider::Postmark) {
            let mut tampered = body.clone();
            tampered[0] ^= 1;
            assert_eq!(
                verify_with(&preset, p, &by_custom, &tampered),
                verify_with(&custom, p, &by_preset, &tampered),
                "{p}"
            );
            assert!(
                verify_with(&custom, p, &by_preset, &tampered).is_err(),
                "{p}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The documented example.

fn fenced_blocks(markdown: &str, lang: &str) -> Vec<String> {
    let open = format!("```{lang}\n");
    let mut out = Vec::new();
    let mut rest = markdown;
    while let Some(i) = rest.find(&open) {
        rest = &rest[i + open.len()..];
        let end = rest.find("```").unwrap();
        out.push(rest[..end].to_owned());
        rest = &rest[end..];
    }
    out
}

#[test]
fn the_documented_example_loads_the_same_from_toml_json_and_the_examples_file() {
    let doc = std::fs::read_to_string(root().join("src/scheme/file/FORMAT.md")).unwrap();
    let toml = fenced_blocks(&doc, "toml");
    let json = fenced_blocks(&doc, "json");
    assert_eq!((toml.len(), json.len()), (1, 1));
    let from_doc = Scheme::from_toml(&toml[0]).unwrap();
    assert_eq!(Scheme::from_json(&json[0]).unwrap(), from_doc);
    assert_eq!(
        Scheme::from_file(root().join("examples/custom_scheme.toml")).unwrap(),
        from_doc
    );
    assert_eq!(
        Scheme::from_file(root().join("examples/custom_scheme.json")).unwrap(),
        from_doc
    );
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme
        .split("\n## Custom schemes")
        .nth(1)
        .expect("README section");
    let section = section.split("\n## ").next().unwrap();
    let blocks = fenced_blocks(section, "toml");
    assert_eq!(blocks.len(), 1, "README example");
    assert_eq!(
        Scheme::from_toml(&blocks[0]).unwrap(),
        from_doc,
        "README example"
    );
    assert_eq!(from_doc.name(), "acme");
    assert!(from_doc.has_timestamp() && from_doc.has_signed_id());
}

// ---------------------------------------------------------------------------------------------
// Malformed files: the field and the line.

const GOOD: &str = r#"name = "acme"
algorithm = "hmac-sha256"
signed = "{id}.{timestamp}.{body}"

[signature]
header = "x-acme-signature"
encoding = "hex"
prefix = "v1="

[timestamp]
header = "x-acme-timestamp"
unit = "seconds"

[id]
header = "x-acme-id"
"#;

const GOOD_JSON: &str = r#"{
  "name": "acme",
  "algorithm": "hmac-sha256",
  "signed": "{id}.{timestamp}.{body}",
  "signature": {
    "header": "x-acme-signature",
    "encoding": "hex",
    "prefix": "v1="
  },
  "timestamp": {
    "header": "x-acme-timestamp",
    "unit": "seconds"
  },
  "id": {
    "header": "x-acme-id"
  }
}"#;

fn edited(base: &str, from: &str, to: &str) -> String {
    assert!(base.contains(from), "{from:?}");
    base.replacen(from, to, 1)
}

#[track_caller]
fn fails(text: &str, json: bool, field: Option<&str>, line: Option<usize>, says: &str) {
    let err: SchemeFileError = if json {
        Scheme::from_json(text)
    } else {
        Scheme::from_toml(text)
    }
    .expect_err(text);
    let shown = err.to_string();
    assert_eq!(err.field(), field, "{shown}");
    assert_eq!(err.line(), line, "{shown}");
    assert!(err.message().contains(says), "{shown} should say {says:?}");
    if let Some(line) = line {
        assert!(shown.starts_with(&format!("line {line}: ")), "{shown}");
    }
    if let Some(field) = field {
        assert!(shown.contains(&format!("{field}: ")), "{shown}");
    }
}

#[test]
fn the_good_examples_load() {
    let a = Scheme::from_toml(GOOD).unwrap();
    assert_eq!(Scheme::from_json(GOOD_JSON).unwrap(), a);
}

#[test]
fn toml_errors_name_the_field_and_the_line() {
    let t = |from: &str, to: &str| edited(GOOD, from, to);
    let cases: Vec<(String, Option<&str>, Option<usize>, &str)> = vec![
        // Unknown fields, anywhere.
        (
            t("name = \"acme\"\n", "name = \"acme\"\ncolour = \"red\"\n"),
            Some("colour"),
            Some(2),
            "unknown field `colour`",
        ),
        (
            t("prefix = \"v1=\"", "prefix = \"v1=\"\nprefx = \"x\""),
            Some("signature.prefx"),
            Some(9),
            "unknown field `prefx`",
        ),
        (
            t("unit = \"seconds\"", "unit = \"seconds\"\nzone = \"utc\""),
            Some("timestamp.zone"),
            Some(13),
            "unknown field `zone`",
        ),
        (
            t(
                "prefix = \"v1=\"",
                "list = { item_separator = \",\", key_value_separator = \"=\", signature_key = \"v1\", sep = \";\" }",
            ),
            Some("signature.list.sep"),
            Some(8),
            "unknown field `sep`",
        ),
        (
            t("[id]", "[identity]"),
            Some("identity"),
            Some(14),
            "unknown field `identity`",
        ),
        // Types.
        (
            t("unit = \"seconds\"", "unit = 1"),
            Some("timestamp.unit"),
            Some(12),
            "invalid type",
        ),
        (
            t("encoding = \"hex\"", "encoding = [\"hex\"]"),
            Some("signature.encoding"),
            Some(7),
            "invalid type",
        ),
        // Syntax.
        (
            t("[timestamp]", "[timestamp"),
            None,
            Some(10),
            "expected `]`",
        ),
        (
            t("unit = \"seconds\"", "unit = \"seconds"),
            None,
            Some(12),
            "",
        ),
        // Names and values.
        (
            t("name = \"acme\"", "name = \"Acme Corp\""),
            Some("name"),
            Some(1),
            "a-z, 0-9",
        ),
        (
            t("name = \"acme\"", "name = \"\""),
            Some("name"),
            Some(1),
            "1 to 64",
        ),
        (
            t("algorithm = \"hmac-sha256\"", "algorithm = \"hmac-sha384\""),
            Some("algorithm"),
            Some(2),
            "unknown algorithm \"hmac-sha384\"",
        ),
        (
            t("encoding = \"hex\"", "encoding = \"HEX\""),
            Some("signature.encoding"),
            Some(7),
            "unknown encoding",
        ),
        (
            t("unit = \"seconds\"", "unit = \"minutes\""),
            Some("timestamp.unit"),
            Some(12),
            "unknown unit \"minutes\"",
        ),
        (
            t(
                "header = \"x-acme-signature\"",
                "header = \"x acme signature\"",
            ),
            Some("signature.header"),
            Some(6),
            "not a valid header name",
        ),
        (
            t(
                "header = \"x-acme-timestamp\"",
                "header = \"x-acme-timestamp:\"",
            ),
            Some("timestamp.header"),
            Some(11),
            "not a valid header name",
        ),
        (
            t("header = \"x-acme-id\"", "header = \"\""),
            Some("id.header"),
            Some(15),
            "header name",
        ),
        (
            t("header = \"x-acme-id\"", "header = \"X-Acme-Signature\""),
            Some("id.header"),
            Some(15),
            "a header of its own",
        ),
        (
            t(
                "header = \"x-acme-timestamp\"",
                "header = \"x-acme-signature\"",
            ),
            Some("timestamp.header"),
            Some(11),
            "a header of its own",
        ),
        (
            t("prefix = \"v1=\"", "prefix = \"v1=\\u0007\""),
            Some("signature.prefix"),
            Some(8),
            "visible ASCII",
        ),
        // Templates.
        (
            t("signed = \"{id}.{timestamp}.{body}\"", "signed = \"\""),
            Some("signed"),
            Some(3),
            "empty",
        ),
        (
            t(
                "signed = \"{id}.{timestamp}.{body}\"",
                "signed = \"{id}.{timestamp}.{body\"",
            ),
            Some("signed"),
            Some(3),
            "unclosed `{`",
        ),
        (
            t(
                "signed = \"{id}.{timestamp}.{body}\"",
                "signed = \"{id}.{timestamp}}.{body}\"",
            ),
            Some("signed"),
            Some(3),
            "unmatched `}`",
        ),
        (
            t(
                "signed = \"{id}.{timestamp}.{body}\"",
                "signed = \"{id}.{ts}.{body}\"",
            ),
            Some("signed"),
            Some(3),
            "unknown part {ts}",
        ),
        (
            t(
                "signed = \"{id}.{timestamp}.{body}\"",
                "signed = \"{id}.{timestamp}\"",
            ),
            Some("signed"),
            Some(3),
            "neither {body}",
        ),
        (
            t(
                "signed = \"{id}.{timestamp}.{body}\"",
                "signed = \"{id}.{body}\"",
            ),
            Some("timestamp"),
            Some(10),
            "not signed",
        ),
        (
            t(
                "signed = \"{id}.{timestamp}.{body}\"",
                "signed = \"{timestamp}.{body}\"",
            ),
            Some("id"),
            Some(14),
            "not signed",
        ),
        (
            t("[id]\nheader = \"x-acme-id\"\n", ""),
            Some("signed"),
            Some(3),
            "no [id] table",
        ),
        (
            t(
                "[timestamp]\nheader = \"x-acme-timestamp\"\nunit = \"seconds\"\n",
                "",
            ),
            Some("signed"),
            Some(3),
            "no [timestamp] table",
        ),
        (
            t("signed = \"{id}.{timestamp}.{body}\"\n", ""),
            Some("signed"),
            None,
            "missing",
        ),
        // Timestamps.
        (
            t("unit = \"seconds\"\n", ""),
            Some("timestamp.unit"),
            Some(10),
            "missing",
        ),
        (
            t("header = \"x-acme-timestamp\"\n", ""),
            Some("timestamp"),
            Some(10),
            "say where the timestamp is",
        ),
        (
            t(
                "header = \"x-acme-timestamp\"",
                "header = \"x-acme-timestamp\"\nbody_json_field = \"ts\"",
            ),
            Some("timestamp"),
            Some(10),
            "only one of",
        ),
        (
            t(
                "header = \"x-acme-timestamp\"",
                "from = \"signature-param\"",
            ),
            Some("timestamp.from"),
            Some(11),
            "needs signature.list with a timestamp_key",
        ),
        (
            t("header = \"x-acme-timestamp\"", "from = \"query\""),
            Some("timestamp.from"),
            Some(11),
            "unknown source",
        ),
        // Layouts.
        (
            t(
                "prefix = \"v1=\"",
                "prefix = \"v1=\"\nlist = { item_separator = \",\", key_value_separator = \"=\", signature_key = \"v1\" }",
            ),
            Some("signature.list"),
            Some(9),
            "not both",
        ),
        (
            t(
                "prefix = \"v1=\"",
                "list = { item_separator = \",\", key_value_separator = \"=\", signature_key = \"v1\", timestamp_key = \"t\" }",
            ),
            Some("signature.list.timestamp_key"),
            Some(8),
            "needs a [timestamp] table with from = \"signature-param\"",
        ),
        (
            t(
                "prefix = \"v1=\"",
                "list = { item_separator = \",\", key_value_separator = \",\", signature_key = \"v1\" }",
            ),
            Some("signature.list.key_value_separator"),
            Some(8),
            "must differ",
        ),
        (
            t(
                "prefix = \"v1=\"",
                "list = { item_separator = \",,\", key_value_separator = \"=\", signature_key = \"v1\" }",
            ),
            Some("signature.list.item_separator"),
            Some(8),
            "one punctuation",
        ),
        (
            t(
                "prefix = \"v1=\"",
                "list = { item_separator = \",\", key_value_separator = \"=\", signature_key = \"v=1\" }",
            ),
            Some("signature.list.signature_key"),
            Some(8),
            "without the separators",
        ),
        (
            t(
                "prefix = \"v1=\"",
                "list = { item_separator = \",\", key_value_separator = \"=\" }",
            ),
            Some("signature.list.signature_key"),
            Some(8),
            "missing",
        ),
        // Algorithms, secrets, encodings, handshakes.
        (
            t("encoding = \"hex\"", "encoding = \"raw\""),
            Some("signature.encoding"),
            Some(7),
            "token",
        ),
        (
            t("algorithm = \"hmac-sha256\"", "algorithm = \"token\""),
            Some("signature.encoding"),
            Some(7),
            "token",
        ),
        (
            t(
                "name = \"acme\"",
                "name = \"acme\"\nsecret_format = \"ed25519\"",
            ),
            Some("secret_format"),
            Some(2),
            "do not fit",
        ),
        (
            t(
                "name = \"acme\"",
                "name = \"acme\"\nhandshake = \"okta-verification\"",
            ),
            Some("handshake"),
            Some(2),
            "needs algorithm = \"token\"",
        ),
        (
            "name = \"acme\"\nalgorithm = \"token\"\nhandshake = \"zoom-url-validation\"\n\
             [signature]\nheader = \"x-acme-token\"\nencoding = \"raw\"\n"
                .to_owned(),
            Some("handshake"),
            Some(3),
            "zoom-url-validation needs algorithm = \"hmac-sha256\"",
        ),
        (
            t("name = \"acme\"", "name = \"acme\"\nhandshake = \"ping\""),
            Some("handshake"),
            Some(2),
            "unknown handshake",
        ),
        (
            t(
                "[signature]\nheader = \"x-acme-signature\"\nencoding = \"hex\"\nprefix = \"v1=\"\n",
                "",
            ),
            Some("signature"),
            None,
            "missing",
        ),
        (
            t("encoding = \"hex\"\n", ""),
            Some("signature.encoding"),
            Some(5),
            "missing",
        ),
    ];
    for (text, field, line, says) in &cases {
        fails(text, false, *field, *line, says);
    }
}

#[test]
fn token_and_body_timestamp_rules() {
    let token = "name = \"t\"\nalgorithm = \"token\"\n\n[signature]\nheader = \"x-token\"\nencoding = \"raw\"\n";
    assert!(Scheme::from_toml(token).is_ok());
    let t = |from: &str, to: &str| edited(token, from, to);
    fails(
        &t(
            "algorithm = \"token\"\n",
            "algorithm = \"token\"\nsigned = \"{body}\"\n",
        ),
        false,
        Some("signed"),
        Some(3),
        "signs nothing",
    );
    fails(
        &format!("{token}\n[timestamp]\nheader = \"x-ts\"\nunit = \"seconds\"\n"),
        false,
        Some("timestamp"),
        Some(8),
        "signs nothing",
    );
    fails(
        &format!("{token}\n[id]\nheader = \"x-id\"\n"),
        false,
        Some("id"),
        Some(8),
        "signs nothing",
    );

    let linear = std::fs::read_to_string(scheme_file(Provider::Linear)).unwrap();
    let l = |from: &str, to: &str| edited(&linear, from, to);
    let line_of =
        |text: &str, needle: &str| text[..text.find(needle).unwrap()].matches('\n').count() + 1;
    let bad = l("unit = \"milliseconds\"", "unit = \"rfc3339\"");
    fails(
        &bad,
        false,
        Some("timestamp.unit"),
        Some(line_of(&bad, "unit =")),
        "an integer",
    );
    let bad = l("signed = \"{body}\"", "signed = \"{timestamp}{body}\"");
    fails(
        &bad,
        false,
        Some("signed"),
        Some(line_of(&bad, "signed =")),
        "signed inside {body}",
    );
}

#[test]
fn body_json_signature_rules() {
    let mailgun = std::fs::read_to_string(scheme_file(Provider::Mailgun)).unwrap();
    let m = |from: &str, to: &str| edited(&mailgun, from, to);
    let line_of =
        |text: &str, needle: &str| text[..text.find(needle).unwrap()].matches('\n').count() + 1;
    let body_json_line = line_of(&mailgun, "body_json =");
    // The body holds the signature: it cannot be signed, and the timestamp and id must be.
    for (template, says) in [
        ("{timestamp}{id}{body}", "cannot be signed"),
        ("{timestamp}", "must sign {timestamp} and {id}"),
        ("{id}", "must sign {timestamp} and {id}"),
    ] {
        let bad = m("\"{timestamp}{id}\"", &format!("\"{template}\""));
        fails(
            &bad,
            false,
            Some("signed"),
            Some(line_of(&bad, "signed =")),
            says,
        );
    }
    // Either a header or body_json.
    let bad = m(
        "encoding = \"hex\"",
        "header = \"x-sig\"\nencoding = \"hex\"",
    );
    fails(
        &bad,
        false,
        Some("signature.body_json"),
        Some(body_json_line + 1),
        "not both",
    );
    let bad = m("encoding = \"hex\"", "encoding = \"hex\"\nprefix = \"v1=\"");
    fails(
        &bad,
        false,
        Some("signature.body_json"),
        Some(body_json_line + 1),
        "no prefix or list",
    );
    // Every field named, and all different.
    let bad = m(", id_field = \"token\"", "");
    fails(
        &bad,
        false,
        Some("signature.body_json.id_field"),
        Some(body_json_line),
        "missing",
    );
    let bad = m("id_field = \"token\"", "id_field = \"timestamp\"");
    fails(
        &bad,
        false,
        Some("signature.body_json.id_field"),
        Some(body_json_line),
        "must differ",
    );
    // The id and the timestamp come from the object.
    let bad = m("[id]\nfrom = \"signature-param\"\n", "");
    fails(&bad, false, Some("id"), None, "only its signed id_field");
    let bad = m(
        "[id]\nfrom = \"signature-param\"",
        "[id]\nheader = \"x-id\"",
    );
    fails(
        &bad,
        false,
        Some("id.from"),
        Some(line_of(&bad, "[id]")),
        "id_field",
    );
    let bad = m(
        "from = \"signature-param\"\nunit",
        "header = \"x-ts\"\nunit",
    );
    fails(
        &bad,
        false,
        Some("timestamp"),
        Some(line_of(&bad, "[timestamp]")),
        "from = \"signature-param\"",
    );
    // `from = "signature-param"` for an id needs body_json.
    let github = std::fs::read_to_string(scheme_file(Provider::Github)).unwrap();
    let bad = format!("{github}\n[id]\nfrom = \"signature-param\"\n");
    fails(
        &bad,
        false,
        Some("id.from"),
        Some(line_of(&bad, "[id]") + 1),
        "for signature.body_json",
    );
    // The same scheme in JSON loads equal to the TOML file.
    let json = r#"{
  "name": "mailgun",
  "algorithm": "hmac-sha256",
  "signed": "{timestamp}{id}",
  "signature": {
    "encoding": "hex",
    "body_json": { "object": "signature", "signature_field": "signature", "timestamp_field": "timestamp", "id_field": "token" }
  },
  "timestamp": { "from": "signature-param", "unit": "seconds" },
  "id": { "from": "signature-param" }
}"#;
    assert_eq!(Scheme::from_json(json).unwrap(), Provider::Mailgun.scheme());
    // Other field names make another scheme, read from those fields.
    let renamed = Scheme::from_toml(&m("object = \"signature\"", "object = \"sig\"")).unwrap();
    assert_ne!(renamed, Provider::Mailgun.scheme());
    assert!(renamed.signature_in_body() && renamed.signature_header().is_none());
    let signer = Signer::builder(renamed.clone())
        .secret("k")
        .build()
        .unwrap();
    let delivery = Delivery::new(&b"{}"[..]).id("tok_1").timestamp(TS);
    assert!(signer.sign(&delivery).is_err(), "no headers to sign into");
    let hookguard::Signed { headers, body, .. } = signer.sign_with_body(&delivery).unwrap();
    assert!(body.starts_with(br#"{"sig":{"timestamp":"1700000000","token":"tok_1","signature":""#));
    let v = Verifier::builder(renamed).secret("k").build().unwrap();
    let got = v.verify_at(
        &Method::POST,
        &Uri::from_static("/"),
        &headers,
        &body,
        at(TS),
    );
    assert_eq!(got.unwrap().delivery_id().as_str(), "tok_1");
}

#[test]
fn json_errors_name_the_field_and_the_line() {
    let j = |from: &str, to: &str| edited(GOOD_JSON, from, to);
    let cases: Vec<(String, Option<&str>, Option<usize>, &str)> = vec![
        (
            j(
                "\"name\": \"acme\",",
                "\"name\": \"acme\",\n  \"colour\": \"red\",",
            ),
            Some("colour"),
            Some(3),
            "unknown field `colour`",
        ),
        (
            j("\"prefix\": \"v1=\"", "\"prefix\": \"v1=\", \"prefx\": 1"),
            Some("signature.prefx"),
            Some(8),
            "unknown field `prefx`",
        ),
        (
            j("\"unit\": \"seconds\"", "\"unit\": 1"),
            Some("timestamp.unit"),
            Some(12),
            "invalid type",
        ),
        (
            j("\"unit\": \"seconds\"", "\"unit\": \"minutes\""),
            Some("timestamp.unit"),
            Some(12),
            "unknown unit",
        ),
        (
            j(
                "\"encoding\": \"hex\",",
                "\"encoding\": \"hex\", \"encoding\": \"hex\",",
            ),
            Some("signature.encoding"),
            Some(7),
            "duplicate field",
        ),
        (
            j(
                "\"algorithm\": \"hmac-sha256\"",
                "\"algorithm\": \"sha256\"",
            ),
            Some("algorithm"),
            Some(3),
            "unknown algorithm",
        ),
        (
            j(
                "\"header\": \"x-acme-signature\"",
                "\"header\": \"x-acme signature\"",
            ),
            Some("signature.header"),
            Some(6),
            "not a valid header name",
        ),
        (
            j(
                "\"signed\": \"{id}.{timestamp}.{body}\"",
                "\"signed\": \"\"",
            ),
            Some("signed"),
            Some(4),
            "empty",
        ),
        (
            j(
                "\"signed\": \"{id}.{timestamp}.{body}\"",
                "\"signed\": \"{id}.{body}\"",
            ),
            Some("timestamp"),
            Some(10),
            "not signed",
        ),
        (
            j("\"header\": \"x-acme-timestamp\",\n", ""),
            Some("timestamp"),
            Some(10),
            "say where",
        ),
        (
            j("\"name\": \"acme\",", "\"name\": \"acme\""),
            None,
            Some(3),
            "expected `,`",
        ),
        (j("\"name\": \"acme\",", ""), Some("name"), None, "missing"),
    ];
    for (text, field, line, says) in &cases {
        fails(text, true, *field, *line, says);
    }
}

#[test]
fn a_secret_put_in_the_file_by_mistake_is_not_repeated() {
    let text = edited(
        GOOD,
        "name = \"acme\"",
        "name = \"acme\"\nsecret_format = \"whsec_SuperSecretValue\"",
    );
    let err = Scheme::from_toml(&text).unwrap_err();
    assert_eq!((err.field(), err.line()), (Some("secret_format"), Some(2)));
    assert!(!err.to_string().contains("SuperSecret"), "{err}");
    let text = edited(
        GOOD,
        "name = \"acme\"",
        "name = \"acme\"\nsecret = \"whsec_SuperSecretValue\"",
    );
    let err = Scheme::from_toml(&text).unwrap_err();
    assert_eq!((err.field(), err.line()), (Some("secret"), Some(2)));
    assert!(!err.to_string().contains("SuperSecret"), "{err}");
}

#[test]
fn from_file_picks_the_format_by_extension_and_names_the_file() {
    let dir = std::env::temp_dir().join(format!("hookguard-schemes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let good = Scheme::from_toml(GOOD).unwrap();
    assert_eq!(Scheme::from_file(write("a.toml", GOOD)).unwrap(), good);
    assert_eq!(Scheme::from_file(write("a.JSON", GOOD_JSON)).unwrap(), good);
    let err = Scheme::from_file(write("b.json", GOOD)).unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("{}: line 1: ", dir.join("b.json").display())),
        "{err}"
    );
    let err = Scheme::from_file(write("a.yaml", GOOD)).unwrap_err();
    assert!(err.to_string().contains(".toml or .json"), "{err}");
    let err = Scheme::from_file(dir.join("missing.toml")).unwrap_err();
    assert!(err.to_string().contains("cannot read"), "{err}");
    let err = Scheme::from_file(write(
        "big.toml",
        &format!("{GOOD}\n{}", "#".repeat(70_000)),
    ))
    .unwrap_err();
    assert!(err.message().contains("longer than"), "{err}");
    let err = Scheme::from_file(write("bin.toml", "name = \"\u{0}\"")).unwrap_err();
    assert!(err.line().is_some(), "{err}");
    std::fs::write(dir.join("latin1.toml"), b"name = \"\xe9\"").unwrap();
    let err = Scheme::from_file(dir.join("latin1.toml")).unwrap_err();
    assert!(err.message().contains("UTF-8"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

// ---------------------------------------------------------------------------------------------
// No input panics.

#[test]
fn truncated_and_mutated_files_never_panic() {
    let mut texts: Vec<(String, bool)> = Provider::ALL
        .iter()
        .map(|&p| {
            let file = scheme_file(p);
            let json = file.extension().is_some_and(|e| e == "json");
            (std::fs::read_to_string(file).unwrap(), json)
        })
        .collect();
    texts.push((GOOD.to_owned(), false));
    texts.push((GOOD_JSON.to_owned(), true));
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let noise: &[u8] = b"{}[]\"\\=,.:# \n\t\r{id}{body}x-\x00\xff";
    let mut runs = 0;
    for (text, _) in &texts {
        for cut in 0..=text.len() {
            if let Some(prefix) = text.get(..cut) {
                let _ = Scheme::from_toml(prefix);
                let _ = Scheme::from_json(prefix);
                runs += 2;
            }
        }
        for _ in 0..200 {
            let mut bytes = text.as_bytes().to_vec();
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % bytes.len();
                let b = noise[(next() as usize) % noise.len()];
                match next() % 3 {
                    0 => bytes[at] = b,
                    1 => bytes.insert(at, b),
                    _ => {
                        bytes.remove(at);
                    }
                }
            }
            let mutated = String::from_utf8_lossy(&bytes);
            let _ = Scheme::from_toml(&mutated);
            let _ = Scheme::from_json(&mutated);
            runs += 2;
        }
    }
    for hostile in [
        "[".repeat(5000),
        "{\"a\":".repeat(5000),
        "a = ".to_owned() + &"[".repeat(5000),
        "a = ".to_owned() + &"{ b = ".repeat(5000),
        format!("signed = \"{}\"", "{".repeat(5000)),
        format!("signed = \"{}\"", "{body}".repeat(1000)),
        "\u{feff}name = \"x\"".to_owned(),
    ] {
        let _ = Scheme::from_toml(&hostile);
        let _ = Scheme::from_json(&hostile);
    }
    assert!(runs > 10_000, "{runs}");
}

// ---------------------------------------------------------------------------------------------
// What no preset uses: HMAC-SHA512, {method}, literal braces, ms in the signature header.

#[test]
fn a_scheme_no_preset_has_matches_an_independent_computation() {
    use hmac::{Hmac, Mac};
    let scheme = Scheme::from_toml(
        r#"
name = "kat"
algorithm = "hmac-sha512"
signed = "{method} {url}\n{timestamp}\n{{{body}}}"

[signature]
header = "X-Kat-Signature"
encoding = "base64"
list = { item_separator = ";", key_value_separator = ":", signature_key = "s512", timestamp_key = "ts" }

[timestamp]
from = "signature-param"
unit = "milliseconds"
"#,
    )
    .unwrap();
    let body = br#"{"n":1}"#;
    let mut mac = Hmac::<sha2::Sha512>::new_from_slice(b"kat-key").unwrap();
    mac.update(b"PUT https://h.example/p?q=1\n1700000000000\n{");
    mac.update(body);
    mac.update(b"}");
    let expected = format!(
        "ts:1700000000000;s512:{}",
        STANDARD.encode(mac.finalize().into_bytes())
    );

    let signer = Signer::builder(scheme.clone())
        .secret("kat-key")
        .build()
        .unwrap();
    let headers = signer
        .sign(
            &Delivery::new(&body[..])
                .method(Method::PUT)
                .url("https://h.example/p?q=1")
                .timestamp(TS),
        )
        .unwrap();
    assert_eq!(headers["x-kat-signature"], expected.as_str());

    let verifier = Verifier::builder(scheme)
        .secret("kat-key")
        .public_origin("https://h.example")
        .build()
        .unwrap();
    let uri = Uri::from_static("/p?q=1");
    let ok = verifier
        .verify_at(&Method::PUT, &uri, &headers, body, at(TS + 2))
        .unwrap();
    assert_eq!(ok.provider(), "kat");
    assert_eq!(ok.timestamp(), Some(TS));
    let wrong_method = verifier.verify_at(&Method::POST, &uri, &headers, body, at(TS));
    assert_eq!(wrong_method.unwrap_err().code(), "signature_mismatch");
    let late = verifier.verify_at(&Method::PUT, &uri, &headers, body, at(TS + 301));
    assert_eq!(late.unwrap_err().code(), "timestamp_out_of_window");
}
