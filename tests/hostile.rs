//! Hostile-variant mutation test (research plan P3, and a P20 sample through the tower service).
//!
//! From valid signed deliveries, round-robin over every preset in `Provider::ALL` (keys, sample
//! bodies and header names from `tests/core/common.rs`; each delivery made unique by its id,
//! timestamp and a body field, signed with `hookguard::Signer`), it derives hostile variants
//! and asserts that **none is accepted and none panics**:
//!
//! - every single-bit flip of the body and of every header the signer set (signature,
//!   timestamp, id, …);
//! - every truncation of the signature header's text, and the canonical encoding of every
//!   proper prefix of the decoded signature (the svix CVE-2024-21491 shape);
//! - the delivery checked with another key, and signed with another key;
//! - downgrades: the valid signature under other version labels (`v0`, `v1a`, `sha1=`, …),
//!   MACs under other hash functions, the value moved to legacy or foreign header names
//!   (`X-Hub-Signature: sha1=…`), a valid `v0` next to an invalid `v1`, `v1a`-only entries,
//!   and for Ed25519 presets an HMAC keyed with the public key;
//! - duplicate header instances (valid twice, valid + junk in both orders), nine copies of the
//!   value in one header, repeated `t=`/`ts=` items;
//! - extreme timestamps — `i64::MIN/MAX`, `u64::MAX`, `-1`, `0`, `+ts`, `0ts`, 309 digits,
//!   spaces, `0x…`, `1_7…`, non-ASCII digits, out-of-window, RFC 3339 edge forms — both with
//!   the original signature and validly re-signed (by the crate's `Signer` where it can sign
//!   the instant, and for the presets the test models byte for byte, over any text);
//! - non-ASCII bytes and oversized values (4 097 bytes, 64 KiB) in every signed header;
//! - the delivery given to every other preset's verifier.
//!
//! Every check runs under `catch_unwind`; counts are kept per category and preset and printed.
//! Exclusions are principled and counted, never silent: flips that make a header value not
//! constructible (control bytes: no HTTP parser hands them over); body flips of plain-token
//! presets (GitLab, Okta, Postmark sign nothing); Twilio body flips that decode to the same
//! form parameters (`%2B` → `%2b`: Twilio signs decoded parameters); re-signing at instants the
//! signer cannot express, or that do not change the signed headers (a body timestamp); cross
//! checks between presets with the same construction, header names and test key (Svix and its
//! customers); body flips of Mailgun outside its body's signature object (Mailgun signs only
//! the timestamp and the token: its event data is not signed, by the provider's design).
//!
//! Mailgun has no signature header: its signature, timestamp and token are string fields of
//! the body's `signature` object. Its variants are the same kinds applied to that object
//! (flips, truncations, other algorithms, the signature moved to headers or to a legacy form
//! body, duplicated objects and fields, extreme timestamps with the original and a re-signed
//! MAC, non-ASCII and oversized fields, other keys, other presets' verifiers).
//!
//! Sizes: a release build runs 10 000 deliveries with every bit flip (millions of variants,
//! about a minute on 2 cores) and a 20 000-request sample through the tower service (in-memory,
//! wall clock: 0 × 5xx, 0 handler runs, then the originals as controls: all 204); a debug build
//! runs two deliveries per preset with 12 bit positions per field, so `cargo test` stays quick.
//! `HOSTILE_DELIVERIES`, `HOSTILE_FLIPS` (bit positions per field and delivery, 0 = all) and
//! `HOSTILE_TOWER` override the sizes. `cargo test --release --test hostile -- --nocapture`
//! prints the counts, ending with `hostile: N tried, 0 accepted, 0 panics`.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::{Ready, poll_fn, ready};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use ed25519_dalek::Signer as _;
use hmac::{Hmac, Mac};
use hookguard::pipeline::Pipeline;
use hookguard::{Delivery, Provider, Rejection, Signer, Verified, Verifier};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, Uri};
use http_body_util::Full;
use tower_layer::Layer as _;
use tower_service::Service;

#[allow(dead_code)]
#[path = "core/common.rs"]
mod common;

/// The tolerance the verifiers use (the default).
const TOL: i64 = 300;

// ---------------------------------------------------------------------------------------------
// Sizes

struct Sizes {
    deliveries: usize,
    /// Bit positions flipped per field and delivery; `None` = every bit.
    flips: Option<usize>,
    tower: usize,
    /// Whether this is the full run, which must try at least 1 000 000 variants.
    full: bool,
}

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

fn sizes() -> Sizes {
    let release = !cfg!(debug_assertions);
    let deliveries = env_usize("HOSTILE_DELIVERIES").unwrap_or(if release {
        10_000
    } else {
        2 * Provider::ALL.len()
    });
    let flips = match env_usize("HOSTILE_FLIPS") {
        Some(0) => None,
        Some(n) => Some(n),
        None if release => None,
        None => Some(12),
    };
    let tower = env_usize("HOSTILE_TOWER").unwrap_or(if release { 20_000 } else { 1_500 });
    Sizes {
        deliveries,
        flips,
        tower,
        full: release && deliveries >= 10_000 && flips.is_none(),
    }
}

// ---------------------------------------------------------------------------------------------
// What each preset looks like on the wire (kept independent of the crate's own tables, so a
// preset that changes shape fails here loudly).

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ts {
    None,
    Header(&'static str),
    /// `t=` / `ts=` inside the signature header.
    Param,
    /// Linear's `webhookTimestamp` body field (milliseconds).
    Body,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Enc {
    Hex,
    B64,
    Raw,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Alg {
    Sha256,
    Sha1,
    Ed25519,
    Token,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Shape {
    /// `{label}{sig}`
    Plain,
    /// `t={ts},{label}{sig}`
    Stripe,
    /// `ts={ts};{label}{sig}`
    Paddle,
}

#[derive(Clone, Copy, Debug)]
struct Info {
    sig: &'static str,
    ts: Ts,
    id: Option<&'static str>,
    enc: Enc,
    alg: Alg,
    label: &'static str,
    shape: Shape,
    /// Labels of other versions / algorithms, for the downgrade relabels.
    other_labels: &'static [&'static str],
}

const PREFIXLESS: &[&str] = &["sha1=", "sha256=", "v0=", "v1,", "v1="];

/// The byte-exact model of the presets it knows (`None` for the others, which get the generic
/// variants only).
fn model(p: Provider) -> Option<Info> {
    let plain = |sig, ts, enc, alg, label, other_labels| Info {
        sig,
        ts,
        id: None,
        enc,
        alg,
        label,
        shape: Shape::Plain,
        other_labels,
    };
    let sw = |sig, ts, id, alg, label, other_labels| Info {
        sig,
        ts: Ts::Header(ts),
        id: Some(id),
        enc: Enc::B64,
        alg,
        label,
        shape: Shape::Plain,
        other_labels,
    };
    const SW_OTHERS: &[&str] = &["v0,", "v1a,", "v2,", "V1,", "sha1,", "v1 ,"];
    const V0_OTHERS: &[&str] = &["v1=", "V0=", "v00=", "", "sha1="];
    Some(match p {
        Provider::StandardWebhooks => sw(
            "webhook-signature",
            "webhook-timestamp",
            "webhook-id",
            Alg::Sha256,
            "v1,",
            SW_OTHERS,
        ),
        Provider::Svix => sw(
            "svix-signature",
            "svix-timestamp",
            "svix-id",
            Alg::Sha256,
            "v1,",
            SW_OTHERS,
        ),
        Provider::StandardWebhooksV1a => sw(
            "webhook-signature",
            "webhook-timestamp",
            "webhook-id",
            Alg::Ed25519,
            "v1a,",
            &["v1,", "v0,", "v1b,", "V1A,", "v2a,"],
        ),
        Provider::Stripe => Info {
            sig: "stripe-signature",
            ts: Ts::Param,
            id: None,
            enc: Enc::Hex,
            alg: Alg::Sha256,
            label: "v1=",
            shape: Shape::Stripe,
            other_labels: &["v0=", "v2=", "V1=", "sha1=", "v1a="],
        },
        Provider::Paddle => Info {
            sig: "paddle-signature",
            ts: Ts::Param,
            id: None,
            enc: Enc::Hex,
            alg: Alg::Sha256,
            label: "h1=",
            shape: Shape::Paddle,
            other_labels: &["h0=", "h2=", "H1=", "v1=", "sha1="],
        },
        Provider::Github => plain(
            "x-hub-signature-256",
            Ts::None,
            Enc::Hex,
            Alg::Sha256,
            "sha256=",
            &["sha1=", "sha512=", "SHA256=", "sha256:", "", "v1="],
        ),
        Provider::Slack => plain(
            "x-slack-signature",
            Ts::Header("x-slack-request-timestamp"),
            Enc::Hex,
            Alg::Sha256,
            "v0=",
            V0_OTHERS,
        ),
        Provider::Zoom => plain(
            "x-zm-signature",
            Ts::Header("x-zm-request-timestamp"),
            Enc::Hex,
            Alg::Sha256,
            "v0=",
            V0_OTHERS,
        ),
        Provider::Shopify => plain(
            "x-shopify-hmac-sha256",
            Ts::None,
            Enc::B64,
            Alg::Sha256,
            "",
            PREFIXLESS,
        ),
        Provider::Square => plain(
            "x-square-hmacsha256-signature",
            Ts::None,
            Enc::B64,
            Alg::Sha256,
            "",
            PREFIXLESS,
        ),
        Provider::Twilio => plain(
            "x-twilio-signature",
            Ts::None,
            Enc::B64,
            Alg::Sha1,
            "",
            PREFIXLESS,
        ),
        Provider::Linear => plain(
            "linear-signature",
            Ts::Body,
            Enc::Hex,
            Alg::Sha256,
            "",
            PREFIXLESS,
        ),
        Provider::Discord => plain(
            "x-signature-ed25519",
            Ts::Header("x-signature-timestamp"),
            Enc::Hex,
            Alg::Ed25519,
            "",
            PREFIXLESS,
        ),
        Provider::Gitlab => plain(
            "x-gitlab-token",
            Ts::None,
            Enc::Raw,
            Alg::Token,
            "",
            PREFIXLESS,
        ),
        _ => return None,
    })
}

/// RFC 8032 test 2's seed (test 1's is the presets' signing key in tests/core/common.rs).
const SEED2: &str = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb";

/// A signing secret for another key, in the form the preset issues its own.
fn other_sign(p: Provider) -> String {
    let k = common::keys(p);
    if p.scheme().is_public_key() {
        // Signs with RFC 8032 test 2's seed (the other verify key is its public key).
        if k.sign.starts_with("whsk_") {
            format!("whsk_{}", B64.encode(hex::decode(SEED2).unwrap()))
        } else {
            SEED2.to_owned()
        }
    } else {
        k.other_verify.to_owned()
    }
}

/// The signing key material behind a signing-secret text.
enum KeyMat {
    Hmac(Vec<u8>),
    Ed(Box<ed25519_dalek::SigningKey>),
    Token(Vec<u8>),
}

fn key_material(p: Provider, secret: &str) -> KeyMat {
    match p {
        Provider::StandardWebhooks | Provider::Svix => {
            KeyMat::Hmac(B64.decode(secret.strip_prefix("whsec_").unwrap()).unwrap())
        }
        Provider::StandardWebhooksV1a | Provider::Discord => {
            let seed = match secret.strip_prefix("whsk_") {
                Some(b64) => B64.decode(b64).unwrap(),
                None => hex::decode(secret).unwrap(),
            };
            let seed: [u8; 32] = seed.try_into().unwrap();
            KeyMat::Ed(Box::new(ed25519_dalek::SigningKey::from_bytes(&seed)))
        }
        Provider::Gitlab => KeyMat::Token(secret.as_bytes().to_vec()),
        _ => KeyMat::Hmac(secret.as_bytes().to_vec()),
    }
}

fn url() -> String {
    format!("{}{}", common::ORIGIN, common::PATH)
}

fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut m = <M as hmac::digest::KeyInit>::new_from_slice(key).unwrap();
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

fn mac1(key: &[u8], msg: &[u8]) -> Vec<u8> {
    mac::<Hmac<sha1::Sha1>>(key, msg)
}

fn mac256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    mac::<Hmac<sha2::Sha256>>(key, msg)
}

fn mac512(key: &[u8], msg: &[u8]) -> Vec<u8> {
    mac::<Hmac<sha2::Sha512>>(key, msg)
}

/// Twilio's decoding of a form body, as the crate does it: `+` is a space, `%XX` escapes,
/// invalid escapes kept; sorted, de-duplicated. `None` if a decoded part is not UTF-8.
fn twilio_params(body: &[u8]) -> Option<Vec<(String, String)>> {
    let decode = |raw: &[u8]| -> Option<String> {
        let plus: Vec<u8> = raw
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        String::from_utf8(percent_encoding::percent_decode(&plus).collect()).ok()
    };
    let mut pairs = Vec::new();
    for item in body.split(|&b| b == b'&').filter(|i| !i.is_empty()) {
        let (n, v) = match item.iter().position(|&b| b == b'=') {
            Some(i) => (&item[..i], &item[i + 1..]),
            None => (item, &[][..]),
        };
        pairs.push((decode(n)?, decode(v)?));
    }
    pairs.sort();
    pairs.dedup();
    Some(pairs)
}

/// The bytes a preset signs.
fn message(p: Provider, id: &str, ts: &str, body: &[u8]) -> Vec<u8> {
    let cat = |parts: &[&[u8]]| parts.concat();
    match p {
        Provider::StandardWebhooks | Provider::Svix | Provider::StandardWebhooksV1a => {
            cat(&[id.as_bytes(), b".", ts.as_bytes(), b".", body])
        }
        Provider::Stripe => cat(&[ts.as_bytes(), b".", body]),
        Provider::Slack | Provider::Zoom => cat(&[b"v0:", ts.as_bytes(), b":", body]),
        Provider::Paddle => cat(&[ts.as_bytes(), b":", body]),
        Provider::Discord => cat(&[ts.as_bytes(), body]),
        Provider::Square => cat(&[url().as_bytes(), body]),
        Provider::Twilio => {
            let mut m = url().into_bytes();
            for (n, v) in twilio_params(body).expect("twilio test bodies decode") {
                m.extend_from_slice(n.as_bytes());
                m.extend_from_slice(v.as_bytes());
            }
            m
        }
        Provider::Gitlab => Vec::new(),
        _ => body.to_vec(),
    }
}

fn raw_sign(alg: Alg, key: &KeyMat, msg: &[u8]) -> Vec<u8> {
    match (key, alg) {
        (KeyMat::Hmac(k), Alg::Sha1) => mac1(k, msg),
        (KeyMat::Hmac(k), _) => mac256(k, msg),
        (KeyMat::Ed(k), _) => k.sign(msg).to_bytes().to_vec(),
        (KeyMat::Token(t), _) => t.clone(),
    }
}

fn encode(enc: Enc, bytes: &[u8]) -> String {
    match enc {
        Enc::Hex => hex::encode(bytes),
        Enc::B64 => B64.encode(bytes),
        Enc::Raw => String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

/// The signature header value for `ts` text, a version label and the encoded signature.
fn value_of(i: &Info, ts: &str, label: &str, sig: &str) -> Vec<u8> {
    match i.shape {
        Shape::Plain => format!("{label}{sig}"),
        Shape::Stripe => format!("t={ts},{label}{sig}"),
        Shape::Paddle => format!("ts={ts};{label}{sig}"),
    }
    .into_bytes()
}

/// The headers a preset sends; `None` if a value is not a constructible header value.
fn build_headers(i: &Info, id: &str, ts: &str, sig_value: &[u8]) -> Option<HeaderMap> {
    let mut h = HeaderMap::new();
    if let Some(name) = i.id {
        h.insert(name, HeaderValue::from_bytes(id.as_bytes()).ok()?);
    }
    if let Ts::Header(name) = i.ts {
        h.insert(name, HeaderValue::from_bytes(ts.as_bytes()).ok()?);
    }
    h.insert(i.sig, HeaderValue::from_bytes(sig_value).ok()?);
    Some(h)
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

// ---------------------------------------------------------------------------------------------
// A valid delivery and its variants

/// How the encoded signature at the end of the signature header is written.
fn detect_encoding(p: Provider, encoded: &str) -> (Enc, Vec<u8>) {
    if !common::signs_body(p) {
        return (Enc::Raw, encoded.as_bytes().to_vec());
    }
    let lower_hex = encoded.len().is_multiple_of(2)
        && encoded
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if lower_hex {
        return (Enc::Hex, hex::decode(encoded).unwrap());
    }
    match B64.decode(encoded) {
        Ok(bytes) => (Enc::B64, bytes),
        Err(_) => (Enc::Raw, encoded.as_bytes().to_vec()),
    }
}

/// The HMAC key of a shared-secret preset that signs the body; `None` otherwise.
fn hmac_key(p: Provider) -> Option<Vec<u8>> {
    if p.scheme().is_public_key() || !common::signs_body(p) {
        return None;
    }
    let text = common::keys(p).sign;
    Some(if common::uses_whsec(p) {
        B64.decode(text.trim_start_matches("whsec_")).unwrap()
    } else {
        text.as_bytes().to_vec()
    })
}

/// Makes `body` unique to delivery `n`: a field for JSON, a parameter for forms (with a
/// `%2B` escape, so Twilio's case-insensitive escapes are exercised).
fn unique_body(body: &[u8], n: usize) -> Vec<u8> {
    if body.first() == Some(&b'{') {
        [
            &b"{"[..],
            format!(r#""hostile":{n},"#).as_bytes(),
            &body[1..],
        ]
        .concat()
    } else if body.contains(&b'=') {
        [body, format!("&Hostile=%2B{n}").as_bytes()].concat()
    } else {
        body.to_vec()
    }
}

struct Base {
    p: Provider,
    index: usize,
    n: usize,
    id: String,
    /// Seconds; also the verification clock.
    ts: i64,
    ts_text: String,
    body: Vec<u8>,
    /// The body given to the signer (Mailgun: without the signature object; else `body`).
    unsigned: Vec<u8>,
    headers: HeaderMap,
    /// Mailgun (no signature header): `x-mailgun-signature`, a foreign name the downgrades
    /// move its signature to.
    sig_name: HeaderName,
    /// Where the encoded signature starts in the signature header's value (Mailgun: in the
    /// signed body).
    sig_at: usize,
    enc: Enc,
    /// The decoded signature (the token's bytes for plain-token presets).
    sig: Vec<u8>,
    /// The delivery signed with another key: headers and body.
    other_signed: Option<(HeaderMap, Vec<u8>)>,
    model: Option<(Info, KeyMat)>,
    /// How far outside the window the out-of-window timestamps are: 1 s on the fixed clock,
    /// an hour on the wall clock (which moves while the tower sample runs).
    margin: i64,
}

/// The headers and the body to send (Mailgun: `body` with the signature object added).
fn sign_with(
    p: Provider,
    secret: &str,
    id: &str,
    ts: i64,
    body: &[u8],
) -> Option<(HeaderMap, Vec<u8>)> {
    let delivery = Delivery::new(body.to_vec()).id(id).timestamp(ts).url(url());
    let signed = Signer::new(p, secret)
        .ok()?
        .sign_with_body(&delivery)
        .ok()?;
    Some((signed.headers, signed.body.to_vec()))
}

/// A valid delivery `n` of `p` signed at `ts`. Falls back to the preset's sample body and the
/// common timestamp when the unique variant does not verify (a preset whose body is read).
fn base(p: Provider, index: usize, n: usize, ts: i64, margin: i64, v: &Verifier) -> Base {
    let k = common::keys(p);
    let id = format!("msg_{n:08}_hostile");
    let sample = common::body(p);
    let ms = |t: i64| (i128::from(t) * 1000).to_string();
    let unique = String::from_utf8(unique_body(&sample, n))
        .map(|b| b.replace(&ms(common::TS), &ms(ts)).into_bytes())
        .unwrap_or_else(|_| sample.clone());
    let verifies = |body: &[u8], ts: i64| {
        let (h, signed) = sign_with(p, k.sign, &id, ts, body)?;
        common::check(v, &h, &signed, common::at(ts))
            .is_ok()
            .then_some((h, signed))
    };
    let (ts, unsigned, body, headers) = match verifies(&unique, ts) {
        Some((h, signed)) => (ts, unique, signed, h),
        None => {
            let (h, signed) = verifies(&sample, common::TS)
                .unwrap_or_else(|| panic!("{p}: the sample delivery does not verify"));
            (common::TS, sample, signed, h)
        }
    };
    let (sig_name, sig_at, enc, sig) = if common::in_body(p) {
        let at = common::body_signature_range(&body);
        let text = std::str::from_utf8(&body[at.clone()]).unwrap();
        let name = HeaderName::from_static("x-mailgun-signature");
        (name, at.start, Enc::Hex, hex::decode(text).unwrap())
    } else {
        let sig_name = common::signature_header(p);
        let value = headers[&sig_name].to_str().unwrap().to_owned();
        let sig_at = common::signature_start(p, value.as_bytes());
        let (enc, sig) = detect_encoding(p, &value[sig_at..]);
        (sig_name, sig_at, enc, sig)
    };
    let other_signed = sign_with(p, &other_sign(p), &id, ts, &unsigned);
    let ts_text = ts.to_string();
    let model = model(p).map(|i| {
        let key = key_material(p, k.sign);
        let sig = raw_sign(i.alg, &key, &message(p, &id, &ts_text, &body));
        // The model must reproduce the crate's signer byte for byte, or its re-signed
        // variants would be rejected for the wrong reason.
        let ours = build_headers(
            &i,
            &id,
            &ts_text,
            &value_of(&i, &ts_text, i.label, &encode(i.enc, &sig)),
        );
        assert_eq!(
            ours.as_ref(),
            Some(&headers),
            "{p}: the test's model of the preset is wrong"
        );
        (i, key)
    });
    Base {
        p,
        index,
        n,
        id,
        ts,
        ts_text,
        body,
        unsigned,
        headers,
        sig_name,
        sig_at,
        enc,
        sig,
        other_signed,
        model,
        margin,
    }
}

impl Base {
    fn now(&self) -> SystemTime {
        common::at(self.ts)
    }

    fn sig_value(&self) -> &[u8] {
        self.headers[&self.sig_name].as_bytes()
    }

    /// Headers with the signature header's value replaced; `None` if not constructible.
    fn with_sig(&self, v: &[u8]) -> Option<HeaderMap> {
        with(&self.headers, &self.sig_name, v)
    }

    /// The signature header's value with the encoded signature replaced.
    fn sig_replaced(&self, encoded: &str) -> Vec<u8> {
        [&self.sig_value()[..self.sig_at], encoded.as_bytes()].concat()
    }

    /// The headers the signer set, with a category name each.
    fn signed_names(&self) -> Vec<(&'static str, HeaderName)> {
        let ts = common::timestamp_header(self.p);
        let mut names = vec![("flip: signature header", self.sig_name.clone())];
        for name in self.headers.keys() {
            if *name == self.sig_name {
                continue;
            }
            let cat = if Some(name) == ts.as_ref() {
                "flip: timestamp header"
            } else {
                "flip: id or other signed header"
            };
            names.push((cat, name.clone()));
        }
        names
    }
}

fn with(h: &HeaderMap, name: &HeaderName, v: &[u8]) -> Option<HeaderMap> {
    let v = HeaderValue::from_bytes(v).ok()?;
    let mut h = h.clone();
    h.insert(name.clone(), v);
    Some(h)
}

/// Which verifier a variant is checked against.
#[derive(Clone, Copy)]
enum Target {
    /// The preset's verifier with the right key.
    Right,
    /// The preset's verifier holding only the other key.
    OtherKey,
    /// Another preset's verifier (index into `Provider::ALL`).
    Preset(usize),
}

trait Sink {
    /// A hostile variant: must be refused.
    fn variant(
        &mut self,
        cat: &'static str,
        t: Target,
        b: &Base,
        h: HeaderMap,
        body: Option<Vec<u8>>,
    );
    /// A variant not tried, and why.
    fn exclude(&mut self, why: &'static str);
    /// A re-signed variant that is valid: must be accepted (checks the test's own model).
    fn control(&mut self, b: &Base, h: HeaderMap, body: Option<Vec<u8>>);
}

const EXCL_HEADER: &str = "header value not constructible (control bytes)";
const EXCL_TOKEN: &str = "body flip of a plain-token preset (the token signs nothing)";
const EXCL_TWILIO: &str = "twilio body flip decoding to the same form params (%2B/%2b)";
const EXCL_UNSIGNED_TS: &str = "signer timestamp not in the signed headers (body timestamp)";

fn variant_or_exclude(
    s: &mut impl Sink,
    cat: &'static str,
    b: &Base,
    h: Option<HeaderMap>,
    body: Option<Vec<u8>>,
) {
    match h {
        Some(h) => s.variant(cat, Target::Right, b, h, body),
        None => s.exclude(EXCL_HEADER),
    }
}

/// xorshift64*: deterministic sampling of bit positions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn positions(bits: usize, limit: Option<usize>, rng: &mut Rng) -> Vec<usize> {
    let mut all: Vec<usize> = (0..bits).collect();
    match limit {
        Some(k) if k < bits => {
            for i in 0..k {
                let j = i + (rng.next() as usize) % (bits - i);
                all.swap(i, j);
            }
            all.truncate(k);
            all
        }
        _ => all,
    }
}

fn flip(bytes: &[u8], pos: usize) -> Vec<u8> {
    let mut m = bytes.to_vec();
    m[pos / 8] ^= 1 << (pos % 8);
    m
}

fn flips(s: &mut impl Sink, b: &Base, limit: Option<usize>) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (b.n as u64 + 1));
    let original_params = (b.p == Provider::Twilio).then(|| twilio_params(&b.body));
    for pos in positions(b.body.len() * 8, limit, &mut rng) {
        if !common::signs_body(b.p) {
            s.exclude(EXCL_TOKEN);
            continue;
        }
        let m = flip(&b.body, pos);
        if let Some(orig) = &original_params
            && twilio_params(&m) == *orig
        {
            s.exclude(EXCL_TWILIO);
            continue;
        }
        s.variant("flip: body", Target::Right, b, b.headers.clone(), Some(m));
    }
    for (cat, name) in b.signed_names() {
        let v = b.headers[&name].as_bytes();
        for pos in positions(v.len() * 8, limit, &mut rng) {
            variant_or_exclude(s, cat, b, with(&b.headers, &name, &flip(v, pos)), None);
        }
    }
}

fn truncations(s: &mut impl Sink, b: &Base) {
    let v = b.sig_value();
    for cut in 0..v.len() {
        variant_or_exclude(s, "truncate: header text", b, b.with_sig(&v[..cut]), None);
    }
    if b.enc == Enc::Raw {
        return; // a token's bytes are its text: done above
    }
    // Canonical encodings of every proper prefix of the decoded signature: the svix
    // CVE-2024-21491 shape (a shorter signature compared only up to its length).
    for k in 0..b.sig.len() {
        let v = b.sig_replaced(&encode(b.enc, &b.sig[..k]));
        variant_or_exclude(s, "truncate: decoded signature", b, b.with_sig(&v), None);
    }
}

fn swapped(s: &mut impl Sink, b: &Base) {
    s.variant(
        "swap: verified with another key",
        Target::OtherKey,
        b,
        b.headers.clone(),
        None,
    );
    if let Some((h, body)) = &b.other_signed {
        s.variant(
            "swap: signed with another key",
            Target::Right,
            b,
            h.clone(),
            Some(body.clone()),
        );
    }
}

const LABELS: &[&str] = &[
    "v0", "v1", "v1a", "v2", "V1", "h1", "sha1", "sha256", "sha512",
];

fn downgrades(s: &mut impl Sink, b: &Base) {
    let v = b.sig_value();
    let head = &v[..b.sig_at];
    let encoded = &v[b.sig_at..];
    // The valid signature under other version labels: the label is the word just before the
    // signature and its separator (`v1=`, `v1,`, `sha256=`, `h1=`), or none.
    let mut relabelled = Vec::new();
    match head.last() {
        Some(&sep) if matches!(sep, b'=' | b',' | b':') => {
            let word = head[..head.len() - 1]
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric())
                .count();
            let before = &head[..head.len() - 1 - word];
            let original = &head[head.len() - 1 - word..head.len() - 1];
            for label in LABELS.iter().filter(|l| l.as_bytes() != original) {
                relabelled.push([before, label.as_bytes(), &[sep], encoded].concat());
            }
        }
        _ => {
            for label in ["sha1=", "sha256=", "v0=", "v1,", "v1="] {
                relabelled.push([head, label.as_bytes(), encoded].concat());
            }
        }
    }
    for m in relabelled {
        variant_or_exclude(s, "downgrade: other version label", b, b.with_sig(&m), None);
    }
    // MACs of the body under other hash functions (other lengths than the scheme's own).
    if let (Some(key), true) = (hmac_key(b.p), b.enc != Enc::Raw) {
        for m in [
            mac1(&key, &b.body),
            mac256(&key, &b.body),
            mac512(&key, &b.body),
        ] {
            if m.len() != b.sig.len() {
                let v = b.sig_replaced(&encode(b.enc, &m));
                variant_or_exclude(
                    s,
                    "downgrade: weaker/other algorithm",
                    b,
                    b.with_sig(&v),
                    None,
                );
            }
        }
    }
    // The valid value moved to foreign or legacy header names, the real one removed.
    let mut without = b.headers.clone();
    without.remove(&b.sig_name);
    for name in [
        "signature",
        "x-signature",
        "x-webhook-signature",
        "x-hub-signature",
        "webhook-signature",
    ] {
        let name = HeaderName::from_static(name);
        if name != b.sig_name {
            let mut h = without.clone();
            h.insert(name, b.headers[&b.sig_name].clone());
            s.variant(
                "downgrade: legacy or foreign header",
                Target::Right,
                b,
                h,
                None,
            );
        }
    }
    if let Some((i, key)) = &b.model {
        model_downgrades(s, b, i, key, &without);
    }
}

/// Downgrades that need the signed message: a MAC of the right message under a weaker or
/// different algorithm (for Ed25519 schemes, an HMAC keyed with the *public* key: algorithm
/// confusion), and legacy SHA-1 headers.
fn model_downgrades(s: &mut impl Sink, b: &Base, i: &Info, key: &KeyMat, without: &HeaderMap) {
    let msg = message(b.p, &b.id, &b.ts_text, &b.body);
    let macs: Vec<Vec<u8>> = match (key, i.alg) {
        (KeyMat::Hmac(k), Alg::Sha256) => vec![mac1(k, &msg), mac512(k, &msg)],
        (KeyMat::Hmac(k), _) => vec![mac256(k, &msg), mac512(k, &msg)],
        (KeyMat::Ed(k), _) => {
            let pk = k.verifying_key().to_bytes();
            vec![mac256(&pk, &msg), mac512(&pk, &msg)]
        }
        (KeyMat::Token(t), _) => vec![mac256(t, &msg), mac1(t, &msg)],
    };
    for m in &macs {
        let enc = if i.enc == Enc::Raw { Enc::Hex } else { i.enc };
        for label in std::iter::once(&i.label).chain(i.other_labels.iter().take(2)) {
            let v = value_of(i, &b.ts_text, label, &encode(enc, m));
            variant_or_exclude(
                s,
                "downgrade: weaker/other algorithm",
                b,
                b.with_sig(&v),
                None,
            );
        }
    }
    let mut legacy = Vec::new();
    match (b.p, key) {
        (Provider::Github, KeyMat::Hmac(k)) => {
            let sha1 = format!("sha1={}", hex::encode(mac1(k, &b.body)));
            let mut h = without.clone();
            h.insert("x-hub-signature", HeaderValue::from_str(&sha1).unwrap());
            legacy.push(h.clone());
            // Next to an invalid SHA-256 signature: never a fallback.
            let zeros = format!("sha256={}", "0".repeat(64));
            h.insert(i.sig, HeaderValue::from_str(&zeros).unwrap());
            legacy.push(h);
        }
        (Provider::Square, KeyMat::Hmac(k)) => {
            let msg = [url().as_bytes(), &b.body].concat();
            let mut h = without.clone();
            let v = B64.encode(mac1(k, &msg));
            h.insert("x-square-signature", HeaderValue::from_str(&v).unwrap());
            legacy.push(h);
        }
        (Provider::Stripe, _) => {
            // A valid MAC as v0 next to an invalid v1.
            let v = format!(
                "t={},v0={},v1={}",
                b.ts_text,
                hex::encode(&b.sig),
                "0".repeat(64)
            );
            legacy.push(b.with_sig(v.as_bytes()).unwrap());
        }
        (Provider::StandardWebhooks | Provider::Svix, _) => {
            // Only a v1a entry, none of the scheme's own version.
            let v = format!("v1a,{}", B64.encode([7u8; 64]));
            legacy.push(b.with_sig(v.as_bytes()).unwrap());
        }
        _ => {}
    }
    for h in legacy {
        s.variant(
            "downgrade: legacy or foreign header",
            Target::Right,
            b,
            h,
            None,
        );
    }
}

fn duplicates(s: &mut impl Sink, b: &Base) {
    for (_, name) in b.signed_names() {
        let v = b.headers[&name].clone();
        let junk = HeaderValue::from_static("0");
        for pair in [[v.clone(), v.clone()], [v.clone(), junk.clone()], [junk, v]] {
            let mut h = b.headers.clone();
            h.remove(&name);
            for x in pair {
                h.append(name.clone(), x);
            }
            s.variant("duplicate: header instance", Target::Right, b, h, None);
        }
    }
    // Nine copies of the whole value with each list separator: over the entry bound, or
    // malformed. (Two copies are not hostile for list schemes: several valid signatures are
    // how rotation looks, and unknown items are ignored by design.)
    let v = b.sig_value();
    let mut values: Vec<Vec<u8>> = [&b","[..], b" ", b";", b", "]
        .iter()
        .map(|sep| [v; 9].join(*sep))
        .collect();
    // Timestamp items repeated inside list values (`t=`, `ts=`).
    if let Some((i, _)) = &b.model {
        let (t, sig) = (&b.ts_text, encode(i.enc, &b.sig));
        match i.shape {
            Shape::Stripe => {
                values.push(format!("t={t},t={t},v1={sig}").into_bytes());
                values.push(format!("v1={sig},t={t},t={t}").into_bytes());
                values.push(format!("t={t},v1={sig},t={}", b.ts + 1).into_bytes());
            }
            Shape::Paddle => {
                values.push(format!("ts={t};ts={t};h1={sig}").into_bytes());
                values.push(format!("h1={sig};ts={t};ts={t}").into_bytes());
                values.push(format!("ts={t};h1={sig};ts={}", b.ts + 1).into_bytes());
            }
            Shape::Plain if i.label.ends_with(',') => {}
            Shape::Plain => {
                // Two signatures in a single-signature value.
                values.push(format!("{0}{1},{0}{1}", i.label, sig).into_bytes());
                values.push(format!("{0}{1} {0}{1}", i.label, sig).into_bytes());
            }
        }
    }
    for v in values {
        variant_or_exclude(
            s,
            "duplicate: entries in one value",
            b,
            b.with_sig(&v),
            None,
        );
    }
}

/// Timestamp texts around `ts` (in the preset's unit); `outside` = tolerance + margin there.
fn extreme_texts(ts: i64, outside: i64) -> Vec<String> {
    vec![
        i64::MIN.to_string(),
        i64::MAX.to_string(),
        u64::MAX.to_string(),
        "9223372036854775808".into(),
        "-1".into(),
        "0".into(),
        format!("-{ts}"),
        format!("+{ts}"),
        format!("0{ts}"),
        format!("00{ts}"),
        format!("1{}", "0".repeat(308)),
        (ts + outside).to_string(),
        (ts - outside).to_string(),
        format!("{ts}000"),
        format!(" {ts}"),
        format!("{ts} "),
        format!("\t{ts}"),
        format!("0x{ts:x}"),
        format!("{ts}.0"),
        "1.7e9".into(),
        format!("{}_{}", ts / 1000, ts % 1000),
        String::new(),
        "١٧٠٠٠٠٠٠٠٠".into(),
    ]
}

fn rfc3339_extremes() -> Vec<String> {
    [
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "1970-01-01T00:00:00Z",
        "2023-11-14T22:13:20+00:00",
        "2023-11-14T22:13:20.0000000000000000001Z",
        "2023-11-14 22:13:20Z",
        "2023-11-14t22:13:20z",
        "2023-11-14T22:13:20",
        "+2023-11-14T22:13:20Z",
        "2023-11-14T24:00:00Z",
        "2023-02-30T00:00:00Z",
        "1700000000",
        "",
    ]
    .map(String::from)
    .to_vec()
}

fn extremes(s: &mut impl Sink, b: &Base) {
    if !b.p.scheme().has_timestamp() {
        return;
    }
    let cat_orig = "timestamp: extreme, original signature";
    // (a) The timestamp text replaced wherever a signed header carries it, signature kept.
    let ms = b.ts * 1000;
    let units = [(ms.to_string(), ms, 1000), (b.ts_text.clone(), b.ts, 1)];
    for name in b.headers.keys() {
        let v = b.headers[name].to_str().unwrap_or_default();
        let found = units.iter().find(|(t, _, _)| v.contains(t.as_str()));
        if let Some((t, value, per_second)) = found {
            for x in extreme_texts(*value, (TOL + b.margin) * per_second) {
                let m = v.replacen(t.as_str(), &x, 1);
                if m != v {
                    variant_or_exclude(s, cat_orig, b, with(&b.headers, name, m.as_bytes()), None);
                }
            }
        } else if Some(name) == common::timestamp_header(b.p).as_ref() {
            for x in rfc3339_extremes() {
                variant_or_exclude(s, cat_orig, b, with(&b.headers, name, x.as_bytes()), None);
            }
        }
    }
    // (b) Re-signed by the crate's own signer at out-of-window and extreme instants.
    let k = common::keys(b.p);
    for t in [
        0,
        1,
        b.ts - TOL - b.margin,
        b.ts + TOL + b.margin,
        b.ts.saturating_mul(1000),
        i64::MAX / 1000,
        i64::MAX,
    ] {
        match sign_with(b.p, k.sign, &b.id, t, &b.unsigned) {
            Some((h, body)) if h == b.headers && body == b.body => s.exclude(EXCL_UNSIGNED_TS),
            Some((h, body)) => s.variant(
                "timestamp: extreme, re-signed by the signer",
                Target::Right,
                b,
                h,
                Some(body),
            ),
            None => s.exclude("timestamp the signer refuses to sign (out of its range)"),
        }
    }
    if let Some((i, key)) = &b.model {
        model_extremes(s, b, i, key);
    }
}

/// Any text as the timestamp, re-signed with the right key by the test's model: the strict
/// parser and the window are reached with a valid signature.
fn model_extremes(s: &mut impl Sink, b: &Base, i: &Info, key: &KeyMat) {
    let cat = "timestamp: extreme text, re-signed by the model";
    let resign = |ts: &str| {
        let msg = message(b.p, &b.id, ts, &b.body);
        let sig = encode(i.enc, &raw_sign(i.alg, key, &msg));
        build_headers(i, &b.id, ts, &value_of(i, ts, i.label, &sig))
    };
    match i.ts {
        Ts::None => {}
        Ts::Header(_) | Ts::Param => {
            for t in extreme_texts(b.ts, TOL + b.margin) {
                variant_or_exclude(s, cat, b, resign(&t), None);
            }
            s.control(b, resign(&b.ts_text).unwrap(), None);
        }
        Ts::Body => {
            let KeyMat::Hmac(k) = key else { unreachable!() };
            let ms = (i128::from(b.ts) * 1000).to_string();
            let text = String::from_utf8(b.body.clone()).unwrap();
            let resign_body = |body: &[u8]| {
                let v = value_of(i, "", i.label, &hex::encode(mac256(k, body)));
                b.with_sig(&v).unwrap()
            };
            let margin_ms = (TOL + b.margin) * 1000;
            let ms_n: i64 = ms.parse().unwrap();
            for x in [
                i64::MIN.to_string(),
                i64::MAX.to_string(),
                u64::MAX.to_string(),
                "-1".into(),
                "0".into(),
                "-0".into(),
                b.ts.to_string(),
                (ms_n + margin_ms).to_string(),
                (ms_n - margin_ms).to_string(),
                format!("1{}", "0".repeat(308)),
                "1.7e12".into(),
                format!("{ms}.0"),
                format!("\"{ms}\""),
                "null".into(),
                format!("[{ms}]"),
                format!("{ms},\"webhookTimestamp\":{ms}"),
            ] {
                let body = text.replacen(&ms, &x, 1).into_bytes();
                s.variant(cat, Target::Right, b, resign_body(&body), Some(body));
            }
            s.control(b, resign_body(&b.body), None);
        }
    }
}

fn non_ascii(s: &mut impl Sink, b: &Base) {
    for (_, name) in b.signed_names() {
        let v = b.headers[&name].as_bytes();
        let mid = v.len() / 2;
        let mut replaced = v.to_vec();
        if let Some(x) = replaced.get_mut(mid) {
            *x = 0xe9;
        }
        for m in [
            [v, &[0xff]].concat(),
            [&[0x80], v].concat(),
            replaced,
            [v, "é".as_bytes()].concat(),
            [&v[..mid], "١".as_bytes(), &v[mid..]].concat(),
        ] {
            variant_or_exclude(
                s,
                "non-ascii header bytes",
                b,
                with(&b.headers, &name, &m),
                None,
            );
        }
    }
}

fn oversized(s: &mut impl Sink, b: &Base) {
    for (cat, name) in b.signed_names() {
        let v = b.headers[&name].as_bytes();
        let mut values = vec![
            [v, &vec![b'A'; 4097usize.saturating_sub(v.len()).max(1)]].concat(),
            vec![b'A'; 64 * 1024],
        ];
        if name == b.sig_name {
            // The valid value followed by a huge extra entry, for each list separator.
            for sep in [&b" v1,"[..], b",v1=", b";h1=", b""] {
                values.push([v, sep, &vec![b'a'; 64 * 1024]].concat());
            }
        }
        if cat == "flip: timestamp header" {
            values.push(vec![b'9'; 4097]);
        }
        for m in values {
            variant_or_exclude(
                s,
                "oversized header value",
                b,
                with(&b.headers, &name, &m),
                None,
            );
        }
    }
}

fn cross(s: &mut impl Sink, b: &Base) {
    for (q, _) in Provider::ALL.iter().enumerate() {
        if q != b.index {
            s.variant(
                "cross: another preset's verifier",
                Target::Preset(q),
                b,
                b.headers.clone(),
                None,
            );
        }
    }
}

const EXCL_MAILGUN_BODY: &str =
    "mailgun body flip outside its signature object (the event data is not signed)";

/// Mailgun's signed body with the signature object's fields written as these raw JSON values
/// (a value may be a number, or any text).
fn mailgun_body(b: &Base, ts_json: &str, token_json: &str, sig_json: &str) -> Vec<u8> {
    let object =
        format!(r#"{{"timestamp":{ts_json},"token":{token_json},"signature":{sig_json}}}"#);
    common::splice(
        &b.body,
        common::signature_object_range(&b.body),
        object.as_bytes(),
    )
}

fn json(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

/// Mailgun's MAC over `{timestamp}{token}` with the preset's test key, hex.
fn mailgun_mac(b: &Base, ts: &str, token: &str) -> String {
    let key = common::keys(b.p).sign.as_bytes();
    hex::encode(mac256(key, format!("{ts}{token}").as_bytes()))
}

/// The header-side variants, applied to a body-carried signature object (Mailgun).
fn body_object_variants(s: &mut impl Sink, b: &Base, limit: Option<usize>) {
    let mut out: Vec<(&'static str, Vec<u8>)> = Vec::new();
    let mut push = |cat: &'static str, body: Vec<u8>| out.push((cat, body));
    let object = common::signature_object_range(&b.body);
    let sig_text =
        String::from_utf8(b.body[common::body_signature_range(&b.body)].to_vec()).unwrap();
    let (ts, id) = (b.ts_text.as_str(), b.id.as_str());
    // Flips: inside the member (from the body's `{` to the object's `}`) they must be refused;
    // outside it they touch only the unsigned event data, counted as an exclusion.
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (b.n as u64 + 1));
    for pos in positions(b.body.len() * 8, limit, &mut rng) {
        if pos / 8 < object.end {
            push("flip: body signature object", flip(&b.body, pos));
        } else {
            s.exclude(EXCL_MAILGUN_BODY);
        }
    }
    // Truncations of the signature text, and canonical encodings of its proper prefixes.
    let sig_at = b.sig_at;
    let sig_end = sig_at + sig_text.len();
    for cut in sig_at..sig_end {
        push(
            "truncate: body signature text",
            common::splice(&b.body, cut..sig_end, b""),
        );
    }
    for k in 0..b.sig.len() {
        let v = json(&hex::encode(&b.sig[..k]));
        push(
            "truncate: decoded signature",
            mailgun_body(b, &json(ts), &json(id), &v),
        );
    }
    // Other algorithms over the same message, and the signature moved elsewhere.
    let key = common::keys(b.p).sign.as_bytes();
    let msg = format!("{ts}{id}");
    for m in [mac1(key, msg.as_bytes()), mac512(key, msg.as_bytes())] {
        let v = json(&hex::encode(m));
        push(
            "downgrade: weaker/other algorithm",
            mailgun_body(b, &json(ts), &json(id), &v),
        );
    }
    let form = format!("timestamp={ts}&token={id}&signature={sig_text}&event=delivered");
    push("downgrade: legacy form-encoded body", form.into_bytes());
    let without = common::splice(&b.body, 1..object.end + 1, b"");
    for name in [
        "x-mailgun-signature",
        "signature",
        "x-signature",
        "x-hub-signature-256",
    ] {
        let mut h = b.headers.clone();
        h.insert(name, HeaderValue::from_str(&sig_text).unwrap());
        s.variant(
            "downgrade: legacy or foreign header",
            Target::Right,
            b,
            h,
            Some(without.clone()),
        );
    }
    // Duplicated objects and fields.
    let member = [&br#""signature":"#[..], &b.body[object.clone()]].concat();
    let junk = br#""signature":{"timestamp":"0","token":"x","signature":"00"}"#;
    for (first, second) in [
        (&member[..], &member[..]),
        (&member[..], &junk[..]),
        (&junk[..], &member[..]),
    ] {
        let pair = [first, b",", second].concat();
        push(
            "duplicate: signature object",
            common::splice(&b.body, 1..object.end, &pair),
        );
    }
    let (t, i, g) = (json(ts), json(id), json(&sig_text));
    for dup in [
        format!(r#"{{"timestamp":{t},"timestamp":{t},"token":{i},"signature":{g}}}"#),
        format!(r#"{{"timestamp":{t},"token":{i},"token":{i},"signature":{g}}}"#),
        format!(r#"{{"timestamp":{t},"token":{i},"signature":{g},"signature":{g}}}"#),
        format!(r#"{{"timestamp":"0","timestamp":{t},"token":{i},"signature":{g}}}"#),
        format!(r#"{{"timestamp":{t},"token":{i},"signature":"00","signature":{g}}}"#),
    ] {
        push(
            "duplicate: signature field",
            common::splice(&b.body, object.clone(), dup.as_bytes()),
        );
    }
    // Extreme timestamps: with the original signature, and re-signed by the model.
    for x in extreme_texts(b.ts, TOL + b.margin) {
        push(
            "timestamp: extreme, original signature",
            mailgun_body(b, &json(&x), &i, &g),
        );
        let resigned = json(&mailgun_mac(b, &x, id));
        push(
            "timestamp: extreme text, re-signed by the model",
            mailgun_body(b, &json(&x), &i, &resigned),
        );
    }
    // As a JSON number (Mailgun sends a string), validly signed over its digits.
    push(
        "timestamp: extreme text, re-signed by the model",
        mailgun_body(b, ts, &i, &g),
    );
    s.control(
        b,
        b.headers.clone(),
        Some(mailgun_body(b, &t, &i, &json(&mailgun_mac(b, ts, id)))),
    );
    // Non-ASCII and oversized field values.
    for (field, text) in [(0, ts), (1, id), (2, sig_text.as_str())] {
        let mid = text.len() / 2;
        for m in [
            format!("{text}é"),
            format!("é{text}"),
            format!("{}١{}", &text[..mid], &text[mid..]),
            format!("{text}{}", "a".repeat(4097)),
            "9".repeat(64 * 1024),
        ] {
            let mut v = [t.clone(), i.clone(), g.clone()];
            v[field] = json(&m);
            let cat = if m.is_ascii() {
                "oversized signature field"
            } else {
                "non-ascii signature field"
            };
            push(cat, mailgun_body(b, &v[0], &v[1], &v[2]));
        }
    }
    for (cat, body) in out {
        s.variant(cat, Target::Right, b, b.headers.clone(), Some(body));
    }
}

fn all_variants(s: &mut impl Sink, b: &Base, flip_limit: Option<usize>) {
    if common::in_body(b.p) {
        body_object_variants(s, b, flip_limit);
        swapped(s, b);
        extremes(s, b);
        cross(s, b);
        return;
    }
    flips(s, b, flip_limit);
    truncations(s, b);
    swapped(s, b);
    downgrades(s, b);
    duplicates(s, b);
    extremes(s, b);
    non_ascii(s, b);
    oversized(s, b);
    cross(s, b);
}

// ---------------------------------------------------------------------------------------------
// Verifying sink: the direct `Verifier::verify_at` path

struct Verifiers {
    right: Vec<Verifier>,
    other: Vec<Verifier>,
    /// `same[p][q]`: preset `q`'s verifier accepts `p`'s sample delivery — the same
    /// construction under the same header names with the same test key (Svix and its
    /// customers, GitHub-style `X-Hub-Signature-256`). Cross checks between them are excluded.
    same: Vec<Vec<bool>>,
}

fn verifiers() -> Verifiers {
    let right: Vec<Verifier> = Provider::ALL.iter().map(|&p| common::verifier(p)).collect();
    let other = Provider::ALL
        .iter()
        .map(|&p| common::verifier_with(p, common::keys(p).other_verify))
        .collect();
    let same = Provider::ALL
        .iter()
        .map(|&p| {
            let (h, body) = common::signed(p, &common::body(p), common::TS);
            right
                .iter()
                .map(|v| common::check(v, &h, &body, common::now()).is_ok())
                .collect()
        })
        .collect();
    Verifiers { right, other, same }
}

#[derive(Default, Clone, Copy)]
struct Cat {
    tried: u64,
    accepted: u64,
    panics: u64,
}

#[derive(Default)]
struct Tally {
    cats: BTreeMap<&'static str, Cat>,
    per_preset: BTreeMap<&'static str, u64>,
    excluded: BTreeMap<&'static str, u64>,
    codes: BTreeMap<&'static str, u64>,
    controls: u64,
    failures: Vec<String>,
}

impl Tally {
    fn merge(&mut self, o: Tally) {
        for (k, c) in o.cats {
            let e = self.cats.entry(k).or_default();
            e.tried += c.tried;
            e.accepted += c.accepted;
            e.panics += c.panics;
        }
        for (k, n) in o.per_preset {
            *self.per_preset.entry(k).or_default() += n;
        }
        for (k, n) in o.excluded {
            *self.excluded.entry(k).or_default() += n;
        }
        for (k, n) in o.codes {
            *self.codes.entry(k).or_default() += n;
        }
        self.controls += o.controls;
        self.failures.extend(o.failures);
    }

    fn total(&self) -> Cat {
        self.cats.values().fold(Cat::default(), |a, c| Cat {
            tried: a.tried + c.tried,
            accepted: a.accepted + c.accepted,
            panics: a.panics + c.panics,
        })
    }

    fn fail(&mut self, what: String) {
        if self.failures.len() < 50 {
            self.failures.push(what);
        }
    }
}

struct VerifySink<'a> {
    v: &'a Verifiers,
    tally: Tally,
}

fn guarded_verify(
    v: &Verifier,
    h: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Option<Result<Verified, Rejection>> {
    let uri = Uri::from_static(common::PATH);
    catch_unwind(AssertUnwindSafe(|| {
        v.verify_at(&Method::POST, &uri, h, body, now)
    }))
    .ok()
}

impl Sink for VerifySink<'_> {
    fn variant(
        &mut self,
        cat: &'static str,
        t: Target,
        b: &Base,
        h: HeaderMap,
        body: Option<Vec<u8>>,
    ) {
        let v = match t {
            Target::Right => &self.v.right[b.index],
            Target::OtherKey => &self.v.other[b.index],
            Target::Preset(q) if self.v.same[b.index][q] => {
                return self.exclude("cross check between identical constructions and keys");
            }
            Target::Preset(q) => &self.v.right[q],
        };
        let body = body.as_deref().unwrap_or(&b.body);
        let result = guarded_verify(v, &h, body, b.now());
        *self.tally.per_preset.entry(b.p.name()).or_default() += 1;
        let (accepted, panicked) = match &result {
            None => (0, 1),
            Some(Ok(_)) => (1, 0),
            Some(Err(r)) => {
                *self.tally.codes.entry(r.code()).or_default() += 1;
                (0, 0)
            }
        };
        let c = self.tally.cats.entry(cat).or_default();
        c.tried += 1;
        c.accepted += accepted;
        c.panics += panicked;
        if accepted + panicked > 0 {
            let what = if panicked > 0 { "PANIC" } else { "ACCEPTED" };
            self.tally.fail(format!(
                "{what} {} #{} [{cat}] {h:?} body={:?}",
                b.p,
                b.n,
                String::from_utf8_lossy(body)
            ));
        }
    }

    fn exclude(&mut self, why: &'static str) {
        *self.tally.excluded.entry(why).or_default() += 1;
    }

    fn control(&mut self, b: &Base, h: HeaderMap, body: Option<Vec<u8>>) {
        let body = body.as_deref().unwrap_or(&b.body);
        self.tally.controls += 1;
        match guarded_verify(&self.v.right[b.index], &h, body, b.now()) {
            Some(Ok(_)) => {}
            other => self.tally.fail(format!(
                "CONTROL REFUSED {} #{}: {:?}",
                b.p,
                b.n,
                other.map(|r| r.map(|_| ()))
            )),
        }
    }
}

fn print_tally(label: &str, t: &Tally) {
    println!(
        "{label}: {:<44} {:>10} {:>9} {:>7}",
        "category", "tried", "accepted", "panics"
    );
    for (k, c) in &t.cats {
        println!(
            "{label}:   {k:<42} {:>10} {:>9} {:>7}",
            c.tried, c.accepted, c.panics
        );
    }
    for (k, n) in &t.per_preset {
        println!("{label}:   preset {k:<35} {n:>10}");
    }
    for (k, n) in &t.excluded {
        println!("{label}:   excluded: {k}: {n}");
    }
    let codes: Vec<String> = t.codes.iter().map(|(k, n)| format!("{k}={n}")).collect();
    println!("{label}:   rejection codes: {}", codes.join(", "));
    println!("{label}:   re-signed controls accepted: {}", t.controls);
}

#[test]
fn a_million_hostile_variants_are_never_accepted_and_never_panic() {
    let sz = sizes();
    let started = Instant::now();
    let vs = verifiers();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let presets = Provider::ALL.len();
    let mut tally = Tally::default();
    let parts: Vec<Tally> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let vs = &vs;
                let sz = &sz;
                scope.spawn(move || {
                    let mut sink = VerifySink {
                        v: vs,
                        tally: Tally::default(),
                    };
                    for n in (t..sz.deliveries).step_by(threads) {
                        let index = n % presets;
                        let p = Provider::ALL[index];
                        let ts = common::TS + (n as i64 % 86_400);
                        let b = base(p, index, n, ts, 1, &vs.right[index]);
                        all_variants(&mut sink, &b, sz.flips);
                    }
                    sink.tally
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for part in parts {
        tally.merge(part);
    }
    let total = tally.total();
    print_tally("hostile", &tally);
    let excluded: u64 = tally.excluded.values().sum();
    println!(
        "hostile: {} deliveries over {presets} presets, flips per field: {}, {threads} threads, {:.1} s",
        sz.deliveries,
        sz.flips.map_or("all".to_string(), |k| k.to_string()),
        started.elapsed().as_secs_f64()
    );
    println!(
        "hostile: {} tried, {} accepted, {} panics ({excluded} excluded)",
        total.tried, total.accepted, total.panics
    );
    assert!(
        tally.failures.is_empty(),
        "{} failures, first ones:\n{}",
        tally.failures.len(),
        tally.failures.join("\n")
    );
    assert_eq!(total.accepted, 0);
    assert_eq!(total.panics, 0);
    assert_eq!(
        tally.per_preset.len(),
        presets.min(sz.deliveries),
        "every preset is covered"
    );
    assert!(tally.controls > 0);
    if sz.full {
        assert!(total.tried >= 1_000_000, "only {} tried", total.tried);
    }
}

// ---------------------------------------------------------------------------------------------
// The tower service: a sample over the in-memory path, wall clock

/// The inner service: counts runs, answers 204.
#[derive(Clone)]
struct Handler(Arc<AtomicUsize>);

impl Service<Request<Full<Bytes>>> for Handler {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<Full<Bytes>>) -> Self::Future {
        self.0.fetch_add(1, Ordering::SeqCst);
        ready(Ok(Response::builder()
            .status(204)
            .body(Full::new(Bytes::new()))
            .unwrap()))
    }
}

/// Collected variants per category: (preset index, headers, body).
type ByCategory = BTreeMap<&'static str, Vec<(usize, HeaderMap, Vec<u8>)>>;

struct Collect {
    by_cat: ByCategory,
    excluded: u64,
}

impl Sink for Collect {
    fn variant(
        &mut self,
        cat: &'static str,
        t: Target,
        b: &Base,
        h: HeaderMap,
        body: Option<Vec<u8>>,
    ) {
        // One pipeline per preset holds the right key: other targets stay on the direct path.
        if let Target::Right = t {
            let body = body.unwrap_or_else(|| b.body.clone());
            self.by_cat.entry(cat).or_default().push((b.index, h, body));
        }
    }

    fn exclude(&mut self, _: &'static str) {
        self.excluded += 1;
    }

    fn control(&mut self, _: &Base, _: HeaderMap, _: Option<Vec<u8>>) {
        // Re-signed controls repeat an original's delivery id: the originals are the controls.
    }
}

/// Up to `budget` variants, every category represented, evenly spaced within each.
fn stratified(by_cat: ByCategory, budget: usize) -> Vec<(&'static str, usize, HeaderMap, Vec<u8>)> {
    let mut sizes: Vec<(&'static str, usize)> = by_cat.iter().map(|(k, v)| (*k, v.len())).collect();
    sizes.sort_by_key(|(_, n)| *n);
    let mut left = budget;
    let mut quota = BTreeMap::new();
    for (i, (k, n)) in sizes.iter().enumerate() {
        let fair = left / (sizes.len() - i);
        let q = (*n).min(fair);
        quota.insert(*k, q);
        left -= q;
    }
    let mut out = Vec::new();
    for (k, v) in by_cat {
        let q = quota[k];
        let len = v.len();
        let mut slots: Vec<Option<_>> = v.into_iter().map(Some).collect();
        for i in 0..q {
            if let Some((index, h, body)) = slots[i * len / q].take() {
                out.push((k, index, h, body));
            }
        }
    }
    out
}

#[test]
fn a_hostile_sample_through_the_tower_service_never_reaches_the_handler() {
    let sz = sizes();
    let started = Instant::now();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    // Deliveries signed now (the pipeline reads the wall clock), three per preset.
    let now = unix_now();
    let presets = Provider::ALL.len();
    let mut collect = Collect {
        by_cat: BTreeMap::new(),
        excluded: 0,
    };
    let mut bases = Vec::new();
    let right: Vec<Verifier> = Provider::ALL.iter().map(|&p| common::verifier(p)).collect();
    for n in 0..presets * 3 {
        let index = n % presets;
        let b = base(
            Provider::ALL[index],
            index,
            1_000_000 + n,
            now,
            3600,
            &right[index],
        );
        all_variants(&mut collect, &b, None);
        bases.push(b);
    }
    let available: usize = collect.by_cat.values().map(Vec::len).sum();
    let sample = stratified(std::mem::take(&mut collect.by_cat), sz.tower);

    let runs = Arc::new(AtomicUsize::new(0));
    let mut services: Vec<_> = Provider::ALL
        .iter()
        .map(|&p| {
            Pipeline::builder(common::verifier(p))
                .dangerous()
                .disable_rate_limit()
                .layer()
                .unwrap()
                .layer(Handler(runs.clone()))
        })
        .collect();

    let mut statuses: BTreeMap<u16, u64> = BTreeMap::new();
    let mut per_cat: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut bad: Vec<String> = Vec::new();
    rt.block_on(async {
        for (cat, index, headers, body) in &sample {
            let svc = &mut services[*index];
            let mut req = Request::builder()
                .method(Method::POST)
                .uri(common::PATH)
                .body(Full::new(Bytes::from(body.clone())))
                .unwrap();
            *req.headers_mut() = headers.clone();
            poll_fn(|cx| svc.poll_ready(cx)).await.unwrap();
            let status = svc.call(req).await.unwrap().status();
            *statuses.entry(status.as_u16()).or_default() += 1;
            *per_cat.entry(cat).or_default() += 1;
            if !status.is_client_error() && bad.len() < 20 {
                bad.push(format!(
                    "{} [{cat}] -> {status}: {headers:?}",
                    Provider::ALL[*index]
                ));
            }
        }
    });
    let hostile_runs = runs.load(Ordering::SeqCst);

    // Controls, after the variants: the unmodified deliveries pass through the same services.
    let mut control_ok = 0;
    rt.block_on(async {
        for b in &bases {
            let (index, headers, body) = (b.index, b.headers.clone(), b.body.clone());
            let svc = &mut services[index];
            let mut req = Request::builder()
                .method(Method::POST)
                .uri(common::PATH)
                .body(Full::new(Bytes::from(body)))
                .unwrap();
            *req.headers_mut() = headers;
            poll_fn(|cx| svc.poll_ready(cx)).await.unwrap();
            let status = svc.call(req).await.unwrap().status();
            assert_eq!(status, 204, "{}: a valid delivery", Provider::ALL[index]);
            control_ok += 1;
        }
    });
    let control_runs = runs.load(Ordering::SeqCst) - hostile_runs;

    for (cat, n) in &per_cat {
        println!("hostile-tower:   {cat:<42} {n:>8}");
    }
    let st: Vec<String> = statuses.iter().map(|(k, n)| format!("{k}={n}")).collect();
    println!("hostile-tower:   statuses: {}", st.join(", "));
    let five_xx: u64 = statuses
        .iter()
        .filter(|(k, _)| **k >= 500)
        .map(|(_, n)| n)
        .sum();
    println!(
        "hostile-tower: {} sent (sampled from {available}), {five_xx} 5xx, {hostile_runs} handler runs; {control_ok} valid controls -> 204 with {control_runs} runs; {:.1} s",
        sample.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(bad.is_empty(), "not refused with 4xx:\n{}", bad.join("\n"));
    assert_eq!(five_xx, 0);
    assert_eq!(hostile_runs, 0);
    assert_eq!(control_runs, control_ok);
    assert_eq!(sample.len(), sz.tower.min(available));
}
