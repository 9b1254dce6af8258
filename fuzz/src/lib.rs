//! Shared helpers for the hookguard fuzz targets and the seed-corpus generator.
//!
//! Everything here goes through hookguard's public API only (`Signer`, `Verifier`,
//! `Provider`, `Scheme`), so the targets exercise exactly what a user can reach.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hookguard::{Delivery, Provider, Signer, Verifier};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};

/// The fixed "now" of the non-tower targets (and the timestamp of every seed).
pub const TS: i64 = 1_700_000_000;
/// The timestamp tolerance the verifiers use (hookguard's default).
pub const TOLERANCE: i64 = 300;
pub const ORIGIN: &str = "https://hooks.example.com";
pub const PATH: &str = "/webhook?tenant=acme";
pub const ID: &str = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";

/// The Standard Webhooks test secret (also used for Svix-style presets).
pub const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// The shared secret of every other HMAC/token preset.
pub const SHARED: &str = "It's a Secret to Everybody";

pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(TS as u64)
}

/// How a provider's test keys are chosen: the first candidate whose text the `Signer` and the
/// `Verifier` both accept and with which a sample delivery round-trips. New providers with a
/// new key form need a candidate here (until then they are skipped, with a note on stderr).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyForm {
    Shared,
    StandardWebhooks,
    BasicAuth,
    Ed25519Whsk,
    Ed25519Hex,
    EcdsaP256,
}

pub const BASIC: &str = "hookguard:It's a Secret to Everybody";

const KEY_FORMS: [(KeyForm, &str, &str); 6] = [
    (KeyForm::Shared, SHARED, SHARED),
    (KeyForm::StandardWebhooks, WHSEC, WHSEC),
    (KeyForm::BasicAuth, BASIC, BASIC),
    // RFC 8032 test 1 key pair.
    (
        KeyForm::Ed25519Whsk,
        "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=",
        "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
    ),
    (
        KeyForm::Ed25519Hex,
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    ),
    (
        KeyForm::EcdsaP256,
        "1f2e3d4c5b6a79880716253443526170ffeeddccbbaa99887766554433221100",
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEiZr+NziuyXgwYBX8xP7leSoqY8KVk+Wl3tMhWOWhqucU5NhEpQ2DvrBhvyXZGpub1rOiA+cUoh2MaZe//WaDDw==",
    ),
];

/// `(form, signing secret, verifying secret)` for a provider, in the provider's text form;
/// `None` if no candidate fits (a provider added with a key form this file does not know).
pub fn keys(p: Provider) -> Option<(KeyForm, &'static str, &'static str)> {
    static KEYS: OnceLock<Mutex<HashMap<Provider, Option<(KeyForm, &str, &str)>>>> =
        OnceLock::new();
    let cache = KEYS.get_or_init(Default::default);
    if let Some(found) = cache.lock().expect("keys cache").get(&p) {
        return *found;
    }
    let found = find_keys(p);
    cache.lock().expect("keys cache").insert(p, found);
    found
}

/// Every candidate key text (signing and verifying), for seeds.
pub fn key_texts() -> Vec<&'static str> {
    KEY_FORMS.iter().flat_map(|&(_, s, v)| [s, v]).collect()
}

fn find_keys(p: Provider) -> Option<(KeyForm, &'static str, &'static str)> {
    KEY_FORMS
        .iter()
        .copied()
        .find(|&(_, sign_key, verify_key)| {
            let Ok(signer) = Signer::new(p, sign_key) else {
                return false;
            };
            let Some(verifier) = verifier_with(p, verify_key) else {
                return false;
            };
            let Ok(hookguard::Signed {
                headers: h, body, ..
            }) = signer.sign_with_body(&delivery(&body(p), TS, ID))
            else {
                return false;
            };
            verifier
                .verify_at(&Method::POST, &Uri::from_static(PATH), &h, &body, now())
                .is_ok()
        })
}

pub fn delivery(body: &[u8], ts: i64, id: &str) -> Delivery {
    Delivery::new(body.to_vec())
        .id(id)
        .timestamp(ts)
        .url(format!("{ORIGIN}{PATH}"))
}

/// The sample body signed for a provider.
pub fn body(p: Provider) -> Vec<u8> {
    match p {
        Provider::Twilio => b"CallSid=CA123&From=15551234&To=15550000&Body=hello".to_vec(),
        Provider::Linear => format!(
            r#"{{"action":"create","type":"Issue","webhookTimestamp":{}}}"#,
            TS * 1000
        )
        .into_bytes(),
        // The signer adds the `signature` object (Mailgun's signature travels in the body).
        Provider::Mailgun => br#"{"event-data":{"event":"ping","n":42}}"#.to_vec(),
        _ => br#"{"event":"ping","n":42}"#.to_vec(),
    }
}

/// Mailgun-style body: `unsigned` (a JSON object) with a `signature` object of these three
/// texts (JSON-escaped) as its first member, exactly as the `Signer` writes it.
pub fn body_with_signature_object(unsigned: &[u8], ts: &str, token: &str, sig: &str) -> Vec<u8> {
    let json = |t: &str| serde_json::to_string(t).expect("a string serialises");
    let object = format!(
        r#""signature":{{"timestamp":{},"token":{},"signature":{}}}"#,
        json(ts),
        json(token),
        json(sig)
    );
    let rest = &unsigned[1..];
    let comma: &[u8] = if rest.starts_with(b"}") { b"" } else { b"," };
    [&b"{"[..], object.as_bytes(), comma, rest].concat()
}

pub fn verifier_with(p: Provider, secret: &str) -> Option<Verifier> {
    Verifier::builder(p)
        .secret(secret)
        .public_origin(ORIGIN)
        .build()
        .ok()
}

pub fn signer(p: Provider) -> Signer {
    let (_, sign_key, _) = keys(p).expect("provider with known keys");
    Signer::new(p, sign_key).expect("fuzz signer")
}

/// Signs `body` for `p` with the given id and timestamp; `None` if the signer refuses (and
/// for Mailgun, whose signature travels in the body: see [`sign_body`]).
pub fn sign(p: Provider, body: &[u8], ts: i64, id: &str) -> Option<HeaderMap> {
    signer(p).sign(&delivery(body, ts, id)).ok()
}

/// The headers and the body to send, for every provider (Mailgun: `body` with the signature
/// object added; the others: `body` unchanged).
pub fn sign_body(p: Provider, body: &[u8], ts: i64, id: &str) -> Option<(HeaderMap, Vec<u8>)> {
    let hookguard::Signed { headers, body, .. } =
        signer(p).sign_with_body(&delivery(body, ts, id)).ok()?;
    Some((headers, body.to_vec()))
}

/// What the targets need to know about one provider, learnt once through the public API.
pub struct Info {
    pub provider: Provider,
    pub verifier: Verifier,
    /// A verifier with a secret unknown to the fuzzer (see [`random_secret`]).
    pub random_verifier: Verifier,
    /// The body given to the signer (Mailgun: without its signature object).
    pub body: Vec<u8>,
    /// The signature header; `None` when the signature travels in the body (Mailgun).
    pub sig_header: Option<HeaderName>,
    /// The timestamp header, if the scheme sends the timestamp in its own header (decimal or
    /// RFC 3339, as the signer writes it).
    pub ts_header: Option<HeaderName>,
    /// The id header, if the scheme signs a delivery id.
    pub id_header: Option<HeaderName>,
    /// How many trailing characters of the signature header value are the encoded signature.
    pub sig_text_len: usize,
    /// Whether signing the same delivery twice gives the same headers (not so for ECDSA).
    pub deterministic: bool,
}

/// Per-provider facts for every provider in `Provider::ALL` with known keys, in that order.
pub fn infos() -> &'static [Info] {
    static INFOS: OnceLock<Vec<Info>> = OnceLock::new();
    INFOS.get_or_init(|| {
        Provider::ALL
            .iter()
            .filter_map(|&p| {
                let found = keys(p).map(|k| info(p, k));
                if found.is_none() {
                    eprintln!("hookguard-fuzz: no test keys fit provider {p}; skipped");
                }
                found
            })
            .collect()
    })
}

fn info(p: Provider, (form, _, verify_key): (KeyForm, &str, &str)) -> Info {
    let scheme = p.scheme();
    let body = body(p);
    let verifier = verifier_with(p, verify_key).expect("fuzz verifier");
    let random_verifier = verifier_with(p, &random_secret(form)).expect("random verifier");
    let Some(sig_header) = scheme.signature_header().cloned() else {
        // Mailgun: no headers; the signature object holds the timestamp, the token (the
        // signed id) and 64 hex characters of HMAC-SHA256.
        assert!(scheme.signature_in_body() && scheme.has_signed_id(), "{p}");
        let (headers, _) = sign_body(p, &body, TS, ID).expect("sample delivery signs");
        assert!(headers.is_empty(), "{p}");
        return Info {
            provider: p,
            verifier,
            random_verifier,
            body,
            sig_header: None,
            ts_header: None,
            id_header: None,
            sig_text_len: 64,
            deterministic: true,
        };
    };
    let headers = sign(p, &body, TS, ID).expect("sample delivery signs");
    let mut ts_header = None;
    let mut id_header = None;
    for (name, value) in &headers {
        if *name == sig_header {
            continue;
        }
        if value.as_bytes() == ID.as_bytes() {
            id_header = Some(name.clone());
        } else {
            // Any other signed header is the timestamp (decimal or RFC 3339).
            assert!(ts_header.is_none(), "{p}: unexpected signed header {name}");
            ts_header = Some(name.clone());
        }
    }
    assert_eq!(id_header.is_some(), scheme.has_signed_id(), "{p}");
    // The encoded signature is the tail of the header value: sign a few other bodies and see
    // how long the common prefix is (the part before the signature is the same for all).
    let first = headers[&sig_header].as_bytes().to_vec();
    let mut prefix = first.len();
    for i in 0..8u8 {
        let mut other = body.clone();
        other.push(b' ' + i);
        let other = sign(p, &other, TS, ID).expect("sign");
        let o = other[&sig_header].as_bytes();
        let common = first.iter().zip(o).take_while(|(a, b)| a == b).count();
        prefix = prefix.min(common);
    }
    // A header that does not change with the body (a plain token) is all "signature".
    let sig_text_len = if prefix == first.len() {
        first.len()
    } else {
        first.len() - prefix
    };
    let deterministic = sign(p, &body, TS, ID).expect("sign") == headers;
    Info {
        provider: p,
        verifier,
        random_verifier,
        body,
        sig_header: Some(sig_header),
        ts_header,
        id_header,
        sig_text_len,
        deterministic,
    }
}

/// A parsed request for the `verify` target. The input is HTTP-like text:
///
/// ```text
/// METHOD SP URI LF
/// NAME ":" [SP] VALUE LF      (any number, duplicates allowed, CR before LF ignored)
/// LF
/// BODY                         (everything after the first empty line, raw bytes)
/// ```
///
/// Anything that does not parse as a method/URI falls back to `POST` / `PATH`; header lines
/// whose name or value is not acceptable to `http` are skipped.
pub struct FuzzRequest {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

pub fn parse_request(data: &[u8]) -> FuzzRequest {
    let (head, body) = match find(data, b"\n\n") {
        Some(i) => (&data[..i], &data[i + 2..]),
        None => (data, &[][..]),
    };
    let mut lines = head.split(|&b| b == b'\n');
    let first = lines.next().unwrap_or_default();
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    let (m, u) = match first.iter().position(|&b| b == b' ') {
        Some(i) => (&first[..i], &first[i + 1..]),
        None => (first, &[][..]),
    };
    let method = Method::from_bytes(m).unwrap_or(Method::POST);
    let uri = Uri::try_from(u).unwrap_or_else(|_| Uri::from_static(PATH));
    let mut headers = HeaderMap::new();
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let value = &line[colon + 1..];
        let value = value.strip_prefix(b" ").unwrap_or(value);
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(value),
        ) {
            headers.append(n, v);
        }
    }
    FuzzRequest {
        method,
        uri,
        headers,
        body: body.to_vec(),
    }
}

/// The inverse of [`parse_request`], for seeds.
pub fn render_request(method: &str, uri: &str, headers: &HeaderMap, body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {uri}\n").into_bytes();
    for (n, v) in headers {
        out.extend_from_slice(n.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(body);
    out
}

pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Whether `text` is a canonical decimal (`0|[1-9][0-9]*`) — the reference model for the
/// `timestamp` target, written independently of hookguard's parser.
pub fn canonical_decimal(text: &[u8]) -> Option<i128> {
    match text {
        [b'0'] => Some(0),
        [b'1'..=b'9', rest @ ..] if rest.iter().all(u8::is_ascii_digit) && text.len() <= 30 => {
            std::str::from_utf8(text).ok()?.parse().ok()
        }
        _ => None,
    }
}

/// A secret nobody (in particular not the fuzzer) knows, in the text form `form`: fresh per
/// process for shared secrets. A delivery that verifies against it is a forgery. Public-key
/// forms use a second fixed key pair whose private half no seed is signed with.
pub fn random_secret(form: KeyForm) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut bytes = Vec::with_capacity(32);
    for i in 0..4u64 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(i);
        h.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        bytes.extend_from_slice(&h.finish().to_le_bytes());
    }
    use base64::Engine as _;
    match form {
        KeyForm::Shared => hex::encode(&bytes),
        KeyForm::StandardWebhooks => format!(
            "whsec_{}",
            base64::engine::general_purpose::STANDARD.encode(&bytes[..24])
        ),
        KeyForm::BasicAuth => format!("hookguard:{}", hex::encode(&bytes)),
        // RFC 8032 test 2 public key.
        KeyForm::Ed25519Whsk => "whpk_PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw=".into(),
        KeyForm::Ed25519Hex => {
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c".into()
        }
        KeyForm::EcdsaP256 => "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEwSTxv0QJrg4hWDbP8xtfsiJenYukOy5AmQUhDJSfjjq5zhq4TIbp/OTXesIIPt2dXzl3q4jpQ/0uR0/vdHEUYw==".into(),
    }
}
