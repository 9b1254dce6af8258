//! Shared helpers for the hookguard fuzz targets and the seed-corpus generator.
//!
//! Everything here goes through hookguard's public API only (`Signer`, `Verifier`,
//! `Provider`, `Scheme`), so the targets exercise exactly what a user can reach.

use std::sync::OnceLock;
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

/// `(signing secret, verifying secret)` for a provider, in the provider's text form.
pub fn keys(p: Provider) -> (&'static str, &'static str) {
    match p {
        Provider::StandardWebhooks
        | Provider::Svix
        | Provider::Clerk
        | Provider::Resend => (WHSEC, WHSEC),
        // RFC 8032 test 1 key pair.
        Provider::StandardWebhooksV1a => (
            "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=",
            "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
        ),
        Provider::Discord => (
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        ),
        _ => (SHARED, SHARED),
    }
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
        _ => br#"{"event":"ping","n":42}"#.to_vec(),
    }
}

pub fn verifier_with(p: Provider, secret: &str) -> Option<Verifier> {
    Verifier::builder(p)
        .secret(secret)
        .public_url(ORIGIN)
        .build()
        .ok()
}

pub fn signer(p: Provider) -> Signer {
    Signer::new(p, keys(p).0).expect("fuzz signer")
}

/// Signs `body` for `p` with the given id and timestamp; `None` if the signer refuses.
pub fn sign(p: Provider, body: &[u8], ts: i64, id: &str) -> Option<HeaderMap> {
    signer(p)
        .sign(
            &Delivery::new(body.to_vec())
                .id(id)
                .timestamp(ts)
                .url(format!("{ORIGIN}{PATH}")),
        )
        .ok()
}

/// What the targets need to know about one provider, learnt once through the public API.
pub struct Info {
    pub provider: Provider,
    pub verifier: Verifier,
    /// A verifier with a secret unknown to the fuzzer (see [`random_secret`]).
    pub random_verifier: Verifier,
    pub body: Vec<u8>,
    pub sig_header: HeaderName,
    /// The timestamp header, if the scheme sends the timestamp in its own header (decimal or
    /// RFC 3339, as the signer writes it).
    pub ts_header: Option<HeaderName>,
    /// The id header, if the scheme signs a delivery id.
    pub id_header: Option<HeaderName>,
    /// How many trailing characters of the signature header value are the encoded signature.
    pub sig_text_len: usize,
}

/// Per-provider facts for every provider in `Provider::ALL`, in that order.
pub fn infos() -> &'static [Info] {
    static INFOS: OnceLock<Vec<Info>> = OnceLock::new();
    INFOS.get_or_init(|| Provider::ALL.iter().map(|&p| info(p)).collect())
}

fn info(p: Provider) -> Info {
    let scheme = p.scheme();
    let sig_header = scheme.signature_header().clone();
    let body = body(p);
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
    // Token schemes (GitLab) send the secret itself: all of it is the "signature".
    let sig_text_len = if p == Provider::Gitlab {
        keys(p).0.len()
    } else {
        first.len() - prefix
    };
    let verifier = verifier_with(p, keys(p).1).expect("fuzz verifier");
    Info {
        provider: p,
        verifier,
        random_verifier: verifier_with(p, &random_secret(p)).expect("random verifier"),
        body,
        sig_header,
        ts_header,
        id_header,
        sig_text_len,
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

/// A secret nobody (in particular not the fuzzer) knows: fresh per process, in the
/// provider's text form. A delivery that verifies against it is a forgery.
pub fn random_secret(p: Provider) -> String {
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
    match p {
        Provider::StandardWebhooks | Provider::Svix | Provider::Clerk | Provider::Resend => {
            use base64::Engine as _;
            format!(
                "whsec_{}",
                base64::engine::general_purpose::STANDARD.encode(&bytes[..24])
            )
        }
        // Public-key schemes: RFC 8032 test 2 public key (not the key the seeds are signed
        // with). Its private key is public, but no seed and no input is signed with it.
        Provider::StandardWebhooksV1a => "whpk_PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw=".into(),
        Provider::Discord => {
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c".into()
        }
        _ => hex::encode(&bytes),
    }
}
