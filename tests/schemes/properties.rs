//! Property tests over every provider preset in [`Provider::ALL`].
//!
//! - `roundtrip::*`: `verify(sign(x))` is accepted for arbitrary bodies, ids, timestamps,
//!   tolerances and secrets, at `now = ts` and at both edges of the window; one unit past
//!   either edge is `timestamp_out_of_window` for schemes that sign a timestamp. The delivery
//!   id is the signed id, or `sha256:<hex>` of the body.
//! - `body_bitflip::*`, `signature_bitflip::*`, `timestamp_step::*`, `id_change::*`,
//!   `wrong_secret::*`, `url_change::*`, `gitlab_token_change`: every single mutation is
//!   rejected.
//! - `canonical_*`: a signature header the verifier accepts re-serialises to itself (no
//!   second spelling of the same signature is accepted).
//! - Mailgun carries its signature, timestamp and token in the body's `signature` object and
//!   signs only the timestamp and the token: its "header" mutations are applied to that
//!   object, and body bit flips outside it are an explicit exclusion (not signed by design;
//!   they may only be accepted or break the JSON), see `body_bitflip`.
//!
//! Each test runs proptest's default case count (256), overridable with `PROPTEST_CASES`.
//! Every provider gets its own test function, so each provider gets the full case count.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hookguard::{Delivery, Provider, Rejection, Signer, Verified, Verifier};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use sha2::{Digest, Sha256};

const ORIGIN: &str = "https://example.com";

// ---------------------------------------------------------------------------------------------
// What the tests know about each preset (cross-checked against `Scheme` in `table_matches`).
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum Ts {
    None,
    /// Its own header, seconds.
    Header(&'static str),
    /// An item of the signature header (`t=` / `ts=`), seconds.
    Param {
        key: &'static str,
        item_sep: char,
    },
    /// Linear: `webhookTimestamp` in the JSON body, milliseconds.
    BodyMs,
    /// Its own header, milliseconds (HubSpot).
    HeaderMs(&'static str),
    /// Its own header, RFC 3339 UTC (`YYYY-MM-DDTHH:MM:SSZ` from the signer).
    HeaderRfc3339(&'static str),
    /// Mailgun: the `timestamp` string of the body's `signature` object, seconds.
    BodyObject,
}

/// `unix` seconds as the signer writes RFC 3339: whole seconds, UTC, `Z`.
fn rfc3339(unix: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix).unwrap();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[derive(Clone, Copy, Debug)]
struct Info {
    /// The signature header; `""` for Mailgun (the signature is in the body).
    sig: &'static str,
    ts: Ts,
    id: Option<&'static str>,
    url: bool,
}

fn info(p: Provider) -> Info {
    let i = |sig, ts, id, url| Info { sig, ts, id, url };
    match p {
        Provider::StandardWebhooks => i(
            "webhook-signature",
            Ts::Header("webhook-timestamp"),
            Some("webhook-id"),
            false,
        ),
        Provider::StandardWebhooksV1a => i(
            "webhook-signature",
            Ts::Header("webhook-timestamp"),
            Some("webhook-id"),
            false,
        ),
        Provider::Svix => i(
            "svix-signature",
            Ts::Header("svix-timestamp"),
            Some("svix-id"),
            false,
        ),
        Provider::Stripe => i(
            "stripe-signature",
            Ts::Param {
                key: "t",
                item_sep: ',',
            },
            None,
            false,
        ),
        Provider::Github => i("x-hub-signature-256", Ts::None, None, false),
        Provider::Slack => i(
            "x-slack-signature",
            Ts::Header("x-slack-request-timestamp"),
            None,
            false,
        ),
        Provider::Shopify => i("x-shopify-hmac-sha256", Ts::None, None, false),
        Provider::Gitlab => i("x-gitlab-token", Ts::None, None, false),
        Provider::Twilio => i("x-twilio-signature", Ts::None, None, true),
        Provider::Discord => i(
            "x-signature-ed25519",
            Ts::Header("x-signature-timestamp"),
            None,
            false,
        ),
        Provider::Linear => i("linear-signature", Ts::BodyMs, None, false),
        Provider::Paddle => i(
            "paddle-signature",
            Ts::Param {
                key: "ts",
                item_sep: ';',
            },
            None,
            false,
        ),
        Provider::Square => i("x-square-hmacsha256-signature", Ts::None, None, true),
        Provider::Zoom => i(
            "x-zm-signature",
            Ts::Header("x-zm-request-timestamp"),
            None,
            false,
        ),
        Provider::Clerk | Provider::Resend => i(
            "svix-signature",
            Ts::Header("svix-timestamp"),
            Some("svix-id"),
            false,
        ),
        Provider::Intercom | Provider::Bitbucket | Provider::Jira => {
            i("x-hub-signature", Ts::None, None, false)
        }
        Provider::Pagerduty => i("x-pagerduty-signature", Ts::None, None, false),
        Provider::Typeform => i("typeform-signature", Ts::None, None, false),
        Provider::Calendly => i(
            "calendly-webhook-signature",
            Ts::Param {
                key: "t",
                item_sep: ',',
            },
            None,
            false,
        ),
        Provider::Vercel => i("x-vercel-signature", Ts::None, None, false),
        Provider::Sentry => i("sentry-hook-signature", Ts::None, None, false),
        Provider::CoinbaseCommerce => i("x-cc-webhook-signature", Ts::None, None, false),
        Provider::LemonSqueezy | Provider::Segment => i("x-signature", Ts::None, None, false),
        Provider::Razorpay => i("x-razorpay-signature", Ts::None, None, false),
        Provider::Dropbox => i("x-dropbox-signature", Ts::None, None, false),
        Provider::Mux => i(
            "mux-signature",
            Ts::Param {
                key: "t",
                item_sep: ',',
            },
            None,
            false,
        ),
        Provider::Meta => i("x-hub-signature-256", Ts::None, None, false),
        Provider::X => i("x-twitter-webhooks-signature", Ts::None, None, false),
        Provider::Twitch => i(
            "twitch-eventsub-message-signature",
            Ts::HeaderRfc3339("twitch-eventsub-message-timestamp"),
            Some("twitch-eventsub-message-id"),
            false,
        ),
        Provider::Zendesk => i(
            "x-zendesk-webhook-signature",
            Ts::HeaderRfc3339("x-zendesk-webhook-signature-timestamp"),
            None,
            false,
        ),
        Provider::Hubspot => i(
            "x-hubspot-signature-v3",
            Ts::HeaderMs("x-hubspot-request-timestamp"),
            None,
            true,
        ),
        Provider::Okta | Provider::Postmark => i("authorization", Ts::None, None, false),
        Provider::Sendgrid => i(
            "x-twilio-email-event-webhook-signature",
            Ts::Header("x-twilio-email-event-webhook-timestamp"),
            None,
            false,
        ),
        // No header: `token` is the id field of the body's signature object.
        Provider::Mailgun => i("", Ts::BodyObject, Some("token"), false),
        other => panic!("provider {other} is not covered by tests/schemes/properties.rs: add it"),
    }
}

/// Every provider the per-provider tests below are generated for, in `Provider::ALL` order.
const COVERED: [Provider; 39] = [
    Provider::StandardWebhooks,
    Provider::StandardWebhooksV1a,
    Provider::Svix,
    Provider::Stripe,
    Provider::Github,
    Provider::Slack,
    Provider::Shopify,
    Provider::Gitlab,
    Provider::Twilio,
    Provider::Discord,
    Provider::Linear,
    Provider::Paddle,
    Provider::Square,
    Provider::Zoom,
    Provider::Clerk,
    Provider::Resend,
    Provider::Intercom,
    Provider::Bitbucket,
    Provider::Jira,
    Provider::Pagerduty,
    Provider::Typeform,
    Provider::Calendly,
    Provider::Vercel,
    Provider::Sentry,
    Provider::CoinbaseCommerce,
    Provider::LemonSqueezy,
    Provider::Razorpay,
    Provider::Dropbox,
    Provider::Segment,
    Provider::Mux,
    Provider::Meta,
    Provider::X,
    Provider::Twitch,
    Provider::Zendesk,
    Provider::Hubspot,
    Provider::Okta,
    Provider::Postmark,
    Provider::Sendgrid,
    Provider::Mailgun,
];

#[test]
fn every_provider_is_covered() {
    assert_eq!(
        Provider::ALL,
        &COVERED[..],
        "Provider::ALL changed: extend COVERED, info() and the per-provider test lists"
    );
}

#[test]
fn table_matches_scheme() {
    for &p in Provider::ALL {
        let s = p.scheme();
        let i = info(p);
        assert_eq!(s.has_signed_id(), i.id.is_some(), "{p}");
        assert_eq!(s.has_timestamp(), i.ts != Ts::None, "{p}");
        assert_eq!(s.signs_url(), i.url, "{p}");
        assert_eq!(s.signature_in_body(), i.sig.is_empty(), "{p}");
        assert_eq!(
            s.signature_header().map(|h| h.as_str()),
            (!i.sig.is_empty()).then_some(i.sig),
            "{p}"
        );
        assert_eq!(
            s.is_public_key(),
            matches!(
                p,
                Provider::StandardWebhooksV1a | Provider::Discord | Provider::Sendgrid
            ),
            "{p}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

/// A secret: how the signer takes it, how the verifier takes it, and its identity as a key
/// (two secrets with the same identity are the same key, so "different secret" skips them).
#[derive(Clone, Debug)]
struct Key {
    sign: String,
    verify: String,
    ident: Vec<u8>,
}

/// HMAC zero-pads keys shorter than the block, so `k` and `k || 0x00` are one key: that is
/// HMAC, not a verifier bug, so such pairs do not count as "different secrets".
fn hmac_ident(bytes: &[u8]) -> Vec<u8> {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    bytes[..end].to_vec()
}

fn text_key(t: String) -> Key {
    Key {
        ident: hmac_ident(t.as_bytes()),
        sign: t.clone(),
        verify: t,
    }
}

fn key_strategy(p: Provider) -> BoxedStrategy<Key> {
    match p {
        Provider::StandardWebhooks | Provider::Svix | Provider::Clerk | Provider::Resend => {
            vec(any::<u8>(), 1..=64)
                .prop_map(|b| {
                    let t = format!("whsec_{}", STANDARD.encode(&b));
                    Key {
                        sign: t.clone(),
                        verify: t,
                        ident: hmac_ident(&b),
                    }
                })
                .boxed()
        }
        Provider::StandardWebhooksV1a | Provider::Discord => any::<[u8; 32]>()
            .prop_map(move |seed| {
                let public = ed25519_dalek::SigningKey::from_bytes(&seed)
                    .verifying_key()
                    .to_bytes();
                if p == Provider::Discord {
                    Key {
                        sign: hex::encode(seed),
                        verify: hex::encode(public),
                        ident: public.to_vec(),
                    }
                } else {
                    Key {
                        sign: format!("whsk_{}", STANDARD.encode(seed)),
                        verify: format!("whpk_{}", STANDARD.encode(public)),
                        ident: public.to_vec(),
                    }
                }
            })
            .boxed(),
        // Any valid P-256 scalar; the public key as base64 DER SubjectPublicKeyInfo.
        Provider::Sendgrid => any::<[u8; 32]>()
            .prop_filter_map("a valid P-256 scalar", |scalar| {
                let key = p256::ecdsa::SigningKey::from_bytes(&scalar.into()).ok()?;
                let point = key.verifying_key().to_encoded_point(false);
                let mut spki =
                    hex::decode("3059301306072a8648ce3d020106082a8648ce3d030107034200").unwrap();
                spki.extend_from_slice(point.as_bytes());
                Some(Key {
                    sign: hex::encode(scalar),
                    verify: STANDARD.encode(&spki),
                    ident: spki,
                })
            })
            .boxed(),
        // The token travels as a header value, which the verifier reads as visible ASCII.
        // (Non-ASCII tokens: see `gitlab_non_ascii_token` below.)
        Provider::Gitlab | Provider::Okta => "[!-~]([ -~]{0,62}[!-~])?".prop_map(text_key).boxed(),
        // `user:pass`, compared as the base64 of the whole text.
        Provider::Postmark => "[!-9;-~]{1,16}:[!-~]([ -~]{0,30}[!-~])?"
            .prop_map(|t| Key {
                ident: t.as_bytes().to_vec(),
                sign: t.clone(),
                verify: t,
            })
            .boxed(),
        _ => prop_oneof![
            "[!-~]([ -~]{0,62}[!-~])?",
            "\\PC{1,24}".prop_filter("no surrounding whitespace", |s| s.trim() == s),
        ]
        .prop_map(text_key)
        .boxed(),
    }
}

fn id_strategy() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_:-]{1,64}"
}

/// Path and query (`/a/b?x=1`), for the schemes that sign the URL.
fn target_strategy() -> impl Strategy<Value = String> {
    "/[a-z0-9]{1,8}(/[A-Za-z0-9._~-]{1,8}){0,2}(\\?[a-z]{1,5}=[A-Za-z0-9]{0,6}(&[a-z]{1,5}=[A-Za-z0-9]{0,6}){0,2})?"
}

#[derive(Clone, Debug)]
enum BodySpec {
    Bytes(Vec<u8>),
    /// Twilio form body: distinct names, values with `+` and `%XX` escapes (both hex cases).
    Form(Vec<(String, String)>),
    /// Twilio JSON body: arbitrary bytes, `bodySHA256=<hex>` appended to the URL query.
    TwilioHashed(Vec<u8>),
    /// Linear: top-level fields around `webhookTimestamp` (inserted at `pos`).
    Linear(Vec<(String, String)>, usize),
    /// Mailgun: a JSON object of distinct top-level fields other than `signature` (the signer
    /// adds that one).
    Object(Vec<(String, String)>),
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<String>().prop_map(|s| json_string(&s)),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        Just("null".to_owned()),
        // A nested webhookTimestamp must be ignored: only the top-level one counts.
        any::<i64>().prop_map(|n| format!("{{\"webhookTimestamp\":{n}}}")),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        vec(inner, 0..4).prop_map(|items| format!("[{}]", items.join(",")))
    })
}

fn body_strategy(p: Provider) -> BoxedStrategy<BodySpec> {
    match p {
        Provider::Twilio => prop_oneof![
            3 => btree_map(
                "[A-Za-z][A-Za-z0-9_]{0,7}",
                "([A-Za-z0-9._*-]|\\+|%[2-7][0-9A-Fa-f]){0,8}",
                0..6,
            )
            .prop_map(|m| BodySpec::Form(m.into_iter().collect())),
            1 => vec(any::<u8>(), 0..=256).prop_map(BodySpec::TwilioHashed),
        ]
        .boxed(),
        Provider::Linear => (
            vec(
                (
                    "[a-zA-Z]{1,12}"
                        .prop_filter("not the timestamp field", |k| k != "webhookTimestamp"),
                    json_value(),
                ),
                0..5,
            ),
            any::<usize>(),
        )
            .prop_map(|(fields, pos)| BodySpec::Linear(fields, pos))
            .boxed(),
        Provider::Mailgun => btree_map(
            "[a-zA-Z-]{1,12}".prop_filter("not the signature object", |k| k != "signature"),
            json_value(),
            0..5,
        )
        .prop_map(|m| BodySpec::Object(m.into_iter().collect()))
        .boxed(),
        _ => vec(any::<u8>(), 0..=512).prop_map(BodySpec::Bytes).boxed(),
    }
}

#[derive(Clone, Debug)]
struct Case {
    p: Provider,
    key: Key,
    other_key: Key,
    id: String,
    other_id: String,
    /// Unix seconds (what the signer is given).
    ts: i64,
    /// Linear: the body's `webhookTimestamp`, in ms.
    ts_ms: i64,
    tolerance: u64,
    /// Path and query of the request; the signer is given `ORIGIN` + this.
    target: String,
    body: Vec<u8>,
    /// Twilio form bodies: the signed material is the decoded, sorted, de-duplicated params.
    form: bool,
}

fn case(p: Provider) -> impl Strategy<Value = Case> {
    (
        key_strategy(p),
        key_strategy(p),
        id_strategy(),
        id_strategy(),
        1_000_000_000i64..=4_000_000_000,
        0i64..1000,
        1u64..=86_400,
        target_strategy(),
        body_strategy(p),
    )
        .prop_map(
            move |(key, other_key, id, other_id, ts, ms, tolerance, mut target, spec)| {
                let ts_ms = ts * 1000 + ms;
                let mut form = false;
                let body = match spec {
                    BodySpec::Bytes(b) => b,
                    BodySpec::Form(pairs) => {
                        form = true;
                        pairs
                            .iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join("&")
                            .into_bytes()
                    }
                    BodySpec::TwilioHashed(b) => {
                        let sep = if target.contains('?') { '&' } else { '?' };
                        target = format!("{target}{sep}bodySHA256={}", sha256_hex(&b));
                        b
                    }
                    BodySpec::Linear(mut fields, pos) => {
                        let pos = pos % (fields.len() + 1);
                        fields.insert(pos, ("webhookTimestamp".into(), ts_ms.to_string()));
                        let inner: Vec<String> = fields
                            .iter()
                            .map(|(k, v)| format!("{}:{v}", json_string(k)))
                            .collect();
                        format!("{{{}}}", inner.join(",")).into_bytes()
                    }
                    BodySpec::Object(fields) => {
                        let inner: Vec<String> = fields
                            .iter()
                            .map(|(k, v)| format!("{}:{v}", json_string(k)))
                            .collect();
                        format!("{{{}}}", inner.join(",")).into_bytes()
                    }
                };
                Case {
                    p,
                    key,
                    other_key,
                    id,
                    other_id,
                    ts,
                    ts_ms,
                    tolerance,
                    target,
                    body,
                    form,
                }
            },
        )
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

impl Case {
    fn info(&self) -> Info {
        info(self.p)
    }

    fn verifier(&self, key: &str) -> Verifier {
        Verifier::builder(self.p)
            .secret(key)
            .public_origin(ORIGIN)
            .tolerance(Duration::from_secs(self.tolerance))
            .build()
            .unwrap_or_else(|e| panic!("{}: verifier for {key:?}: {e}", self.p))
    }

    /// The headers and the body to send (Mailgun: `body` with the signature object added).
    fn sign(&self, body: &[u8], id: &str, ts: i64) -> (HeaderMap, Vec<u8>) {
        let delivery = Delivery::new(body.to_vec())
            .id(id)
            .timestamp(ts)
            .url(format!("{ORIGIN}{}", self.target));
        let hookguard::Signed { headers, body, .. } = Signer::new(self.p, &self.key.sign)
            .unwrap_or_else(|e| panic!("{}: signer: {e}", self.p))
            .sign_with_body(&delivery)
            .unwrap_or_else(|e| panic!("{}: sign: {e}", self.p));
        (headers, body.to_vec())
    }

    fn signed(&self) -> (HeaderMap, Vec<u8>) {
        self.sign(&self.body, &self.id, self.ts)
    }

    /// Mailgun: the body the signer would send with these (possibly wrong) field texts,
    /// written as raw JSON values (so a value may also be a number or non-canonical).
    fn mailgun_body(&self, ts_json: &str, token_json: &str, sig_json: &str) -> Vec<u8> {
        let object = format!(
            r#""signature":{{"timestamp":{ts_json},"token":{token_json},"signature":{sig_json}}}"#
        );
        let rest = &self.body[1..];
        let comma = if rest.starts_with(b"}") { "" } else { "," };
        [b"{", object.as_bytes(), comma.as_bytes(), rest].concat()
    }

    /// Mailgun: the signature text of a signed body.
    fn mailgun_signature(signed_body: &[u8]) -> String {
        let v: serde_json::Value = serde_json::from_slice(signed_body).unwrap();
        v["signature"]["signature"].as_str().unwrap().to_owned()
    }

    fn uri(&self) -> Uri {
        self.target
            .parse()
            .expect("target is a valid path and query")
    }

    /// The signed timestamp as a clock reading, shifted by `units` (s, or ms for Linear).
    fn now(&self, units: i64) -> SystemTime {
        match self.info().ts {
            Ts::BodyMs => UNIX_EPOCH + Duration::from_millis((self.ts_ms + units) as u64),
            _ => UNIX_EPOCH + Duration::from_secs((self.ts + units) as u64),
        }
    }

    /// The tolerance in the scheme's timestamp unit.
    fn tolerance_units(&self) -> i64 {
        let t = self.tolerance as i64;
        if self.info().ts == Ts::BodyMs {
            t * 1000
        } else {
            t
        }
    }

    fn verify_with(
        &self,
        v: &Verifier,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<Verified, Rejection> {
        v.verify_at(&Method::POST, uri, headers, body, now)
    }

    /// Verifies with the case's own key, URI, body and `now = ts`.
    fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<Verified, Rejection> {
        self.verify_with(
            &self.verifier(&self.key.verify),
            &self.uri(),
            headers,
            body,
            self.now(0),
        )
    }

    fn expected_delivery_id(&self) -> String {
        match self.info().id {
            Some(_) => self.id.clone(),
            None => format!("sha256:{}", sha256_hex(&self.body)),
        }
    }
}

fn flip(bytes: &[u8], index: &Index, bit: u8) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let i = index.index(out.len());
    out[i] ^= 1 << bit;
    out
}

fn expect_err(
    what: &str,
    result: Result<Verified, Rejection>,
    allowed: &[&str],
) -> Result<(), TestCaseError> {
    match result {
        Ok(v) => Err(TestCaseError::fail(format!(
            "{what}: accepted (delivery id {})",
            v.delivery_id()
        ))),
        Err(e) if allowed.is_empty() || allowed.contains(&e.code()) => Ok(()),
        Err(e) => Err(TestCaseError::fail(format!(
            "{what}: rejected as {} but expected one of {allowed:?}",
            e.code()
        ))),
    }
}

/// Twilio's signed form material: params decoded (`+` is space, `%XX` escapes, invalid escapes
/// kept literally), sorted, de-duplicated. `None` if a decoded part is not UTF-8.
fn twilio_params(body: &[u8]) -> Option<Vec<(String, String)>> {
    fn decode(raw: &[u8]) -> Option<String> {
        let hexval = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
        let mut out = Vec::new();
        let mut i = 0;
        while i < raw.len() {
            let b = raw[i];
            if b == b'%'
                && i + 2 < raw.len()
                && let (Some(h), Some(l)) = (hexval(raw[i + 1]), hexval(raw[i + 2]))
            {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
            out.push(if b == b'+' { b' ' } else { b });
            i += 1;
        }
        String::from_utf8(out).ok()
    }
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

/// Runs `prop` over `strategy` with proptest's default config (256 cases unless
/// `PROPTEST_CASES` says otherwise); panics with the minimal failing input.
fn run<S: Strategy>(name: &str, strategy: S, prop: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let mut runner = TestRunner::new(Config::default());
    match runner.run(&strategy, prop) {
        Ok(()) => {}
        Err(TestError::Fail(reason, value)) => {
            panic!("{name}: {reason}\nminimal failing input: {value:#?}")
        }
        Err(e) => panic!("{name}: {e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

/// (a) verify(sign(x)) is accepted at now = ts and at both window edges; one unit beyond an
/// edge is out of window for timestamped schemes and still accepted for the others.
fn roundtrip(p: Provider) {
    run(&format!("roundtrip/{p}"), case(p), |c| {
        let (headers, body) = c.signed();
        if p == Provider::Mailgun {
            // The signer's body is exactly the caller's object with the signature object
            // first, built from the signed fields.
            let sig = Case::mailgun_signature(&body);
            let expected = c.mailgun_body(
                &json_string(&c.ts.to_string()),
                &json_string(&c.id),
                &json_string(&sig),
            );
            prop_assert_eq!(&body, &expected);
        }
        let v = c.verifier(&c.key.verify);
        let uri = c.uri();
        let tol = c.tolerance_units();
        let timestamped = c.info().ts != Ts::None;
        for shift in [0, -tol, tol] {
            let got = c.verify_with(&v, &uri, &headers, &body, c.now(shift));
            let got = got.map_err(|e| {
                TestCaseError::fail(format!("rejected at now = ts{shift:+}: {}", e.code()))
            })?;
            prop_assert_eq!(got.delivery_id().as_str(), c.expected_delivery_id());
            prop_assert_eq!(got.provider(), p.name());
            let expected_ts = match c.info().ts {
                Ts::None => None,
                Ts::BodyMs => Some(c.ts_ms.div_euclid(1000)),
                _ => Some(c.ts),
            };
            prop_assert_eq!(got.timestamp(), expected_ts);
        }
        for shift in [-tol - 1, tol + 1] {
            let got = c.verify_with(&v, &uri, &headers, &body, c.now(shift));
            if timestamped {
                expect_err(
                    &format!("now = ts{shift:+}"),
                    got,
                    &["timestamp_out_of_window"],
                )?;
            } else {
                prop_assert!(got.is_ok(), "no timestamp, yet rejected: {:?}", got);
            }
        }
        Ok(())
    });
}

/// (b) one bit of the body flipped is rejected (GitLab signs nothing: accepted, by design;
/// Twilio form bodies: rejected unless the decoded, sorted parameter set is unchanged, which is
/// what Twilio signs — e.g. `%2B` vs `%2b`; Mailgun: rejected inside the body's signature
/// object, and outside it — the unsigned event data, by Mailgun's design — either accepted
/// with the same delivery id or refused as a malformed payload, nothing else).
fn body_bitflip(p: Provider) {
    let s = (case(p), any::<Index>(), 0u8..8);
    run(&format!("body_bitflip/{p}"), s, |(c, at, bit)| {
        let (headers, signed_body) = c.signed();
        prop_assume!(!signed_body.is_empty());
        let body = flip(&signed_body, &at, bit);
        let got = c.verify(&headers, &body);
        if p == Provider::Mailgun {
            let i = at.index(signed_body.len());
            let object_end = signed_body.iter().position(|b| *b == b'}').unwrap();
            // The object's member, from the body's `{` to the object's `}`.
            let in_object = i <= object_end;
            if in_object {
                return expect_err("signature object bit flip", got, &[]);
            }
            // Excluded: the event data is not signed (counted as such, never silently).
            match got {
                Ok(v) => prop_assert_eq!(v.delivery_id().as_str(), c.id.as_str()),
                Err(e) => prop_assert_eq!(e.code(), "malformed_payload"),
            }
            return Ok(());
        }
        if matches!(p, Provider::Gitlab | Provider::Okta | Provider::Postmark) {
            prop_assert!(got.is_ok(), "{} signs no body: {:?}", p, got);
            return Ok(());
        }
        if c.form && twilio_params(&body) == twilio_params(&c.body) {
            prop_assert!(got.is_ok(), "same signed params, yet rejected: {:?}", got);
            return Ok(());
        }
        expect_err(
            "body bit flip",
            got,
            &["signature_mismatch", "malformed_payload"],
        )
    });
}

/// (b) one bit of the signature header's value flipped is rejected (GitLab: the token;
/// Mailgun: the signature text inside the body's signature object).
fn signature_bitflip(p: Provider) {
    let s = (case(p), any::<Index>(), 0u8..8);
    run(&format!("signature_bitflip/{p}"), s, |(c, at, bit)| {
        let (mut headers, body) = c.signed();
        if p == Provider::Mailgun {
            let sig = Case::mailgun_signature(&body);
            let flipped = flip(sig.as_bytes(), &at, bit);
            let flipped = String::from_utf8_lossy(&flipped).into_owned();
            let mutated = c.mailgun_body(
                &json_string(&c.ts.to_string()),
                &json_string(&c.id),
                &json_string(&flipped),
            );
            return expect_err("signature bit flip", c.verify(&headers, &mutated), &[]);
        }
        let name = HeaderName::from_static(c.info().sig);
        let value = flip(headers[&name].as_bytes(), &at, bit);
        let value = HeaderValue::from_bytes(&value);
        prop_assume!(value.is_ok());
        headers.insert(name, value.unwrap());
        expect_err("signature header bit flip", c.verify(&headers, &body), &[])
    });
}

/// (b) the header timestamp moved by ±1 s (its own header, or the `t=`/`ts=` item) is
/// rejected, though still inside the window.
fn timestamp_step(p: Provider) {
    let s = (case(p), prop_oneof![Just(-1i64), Just(1i64)]);
    run(&format!("timestamp_step/{p}"), s, |(c, step)| {
        let (mut headers, mut body) = c.signed();
        let new_ts = (c.ts + step).to_string();
        match c.info().ts {
            Ts::BodyObject => {
                let sig = Case::mailgun_signature(&body);
                body = c.mailgun_body(
                    &json_string(&new_ts),
                    &json_string(&c.id),
                    &json_string(&sig),
                );
            }
            Ts::Header(name) => {
                headers.insert(name, new_ts.parse().unwrap());
            }
            Ts::HeaderRfc3339(name) => {
                headers.insert(name, rfc3339(c.ts + step).parse().unwrap());
            }
            Ts::HeaderMs(name) => {
                headers.insert(name, (c.ts * 1000 + step).to_string().parse().unwrap());
            }
            Ts::Param { key, item_sep } => {
                let name = c.info().sig;
                let value = headers[name].to_str().unwrap().to_owned();
                let replaced: Vec<String> = value
                    .split(item_sep)
                    .map(|item| match item.split_once('=') {
                        Some((k, _)) if k == key => format!("{k}={new_ts}"),
                        _ => item.to_owned(),
                    })
                    .collect();
                let replaced = replaced.join(&item_sep.to_string());
                prop_assert_ne!(&replaced, &value);
                headers.insert(name, replaced.parse().unwrap());
            }
            other => panic!("{p} has no header timestamp ({other:?})"),
        }
        expect_err(
            "timestamp ±1",
            c.verify(&headers, &body),
            &["signature_mismatch"],
        )
    });
}

/// (b) another (valid) delivery id is rejected.
fn id_change(p: Provider) {
    run(&format!("id_change/{p}"), case(p), |c| {
        prop_assume!(c.other_id != c.id);
        let (mut headers, mut body) = c.signed();
        if p == Provider::Mailgun {
            let sig = Case::mailgun_signature(&body);
            let ts = json_string(&c.ts.to_string());
            body = c.mailgun_body(&ts, &json_string(&c.other_id), &json_string(&sig));
        } else {
            headers.insert(c.info().id.unwrap(), c.other_id.parse().unwrap());
        }
        expect_err(
            "changed id",
            c.verify(&headers, &body),
            &["signature_mismatch"],
        )
    });
}

/// (b) verifying with a different secret is rejected.
fn wrong_secret(p: Provider) {
    run(&format!("wrong_secret/{p}"), case(p), |c| {
        prop_assume!(c.key.ident != c.other_key.ident);
        let (headers, body) = c.signed();
        let v = c.verifier(&c.other_key.verify);
        let got = c.verify_with(&v, &c.uri(), &headers, &body, c.now(0));
        expect_err("different secret", got, &["signature_mismatch"])
    });
}

/// (b) URL-signing schemes: a different request path is rejected.
fn url_change(p: Provider) {
    run(&format!("url_change/{p}"), case(p), |c| {
        let (headers, _) = c.signed();
        let other: Uri = c.target.replacen('/', "/z", 1).parse().unwrap();
        let got = c.verify_with(
            &c.verifier(&c.key.verify),
            &other,
            &headers,
            &c.body,
            c.now(0),
        );
        expect_err("different URL", got, &["signature_mismatch"])
    });
}

macro_rules! per_provider {
    ($prop:ident: $($name:ident => $p:ident),* $(,)?) => {
        mod $prop {
            use super::*;
            $( #[test] fn $name() { super::$prop(Provider::$p) } )*
        }
    };
}

macro_rules! all_providers {
    ($prop:ident) => {
        per_provider!($prop:
            standard_webhooks => StandardWebhooks,
            standard_webhooks_v1a => StandardWebhooksV1a,
            svix => Svix,
            stripe => Stripe,
            github => Github,
            slack => Slack,
            shopify => Shopify,
            gitlab => Gitlab,
            twilio => Twilio,
            discord => Discord,
            linear => Linear,
            paddle => Paddle,
            square => Square,
            zoom => Zoom,
            clerk => Clerk,
            resend => Resend,
            intercom => Intercom,
            bitbucket => Bitbucket,
            jira => Jira,
            pagerduty => Pagerduty,
            typeform => Typeform,
            calendly => Calendly,
            vercel => Vercel,
            sentry => Sentry,
            coinbase_commerce => CoinbaseCommerce,
            lemon_squeezy => LemonSqueezy,
            razorpay => Razorpay,
            dropbox => Dropbox,
            segment => Segment,
            mux => Mux,
            meta => Meta,
            twitch => Twitch,
            zendesk => Zendesk,
            hubspot => Hubspot,
            okta => Okta,
            postmark => Postmark,
            sendgrid => Sendgrid,
            x => X,
            mailgun => Mailgun,
        );
    };
}

all_providers!(roundtrip);
all_providers!(body_bitflip);
all_providers!(signature_bitflip);
all_providers!(wrong_secret);
per_provider!(timestamp_step:
    standard_webhooks => StandardWebhooks,
    standard_webhooks_v1a => StandardWebhooksV1a,
    svix => Svix,
    stripe => Stripe,
    slack => Slack,
    discord => Discord,
    paddle => Paddle,
    zoom => Zoom,
    clerk => Clerk,
    resend => Resend,
    calendly => Calendly,
    mux => Mux,
    twitch => Twitch,
    zendesk => Zendesk,
    hubspot => Hubspot,
    sendgrid => Sendgrid,
    mailgun => Mailgun,
);
per_provider!(id_change:
    standard_webhooks => StandardWebhooks,
    standard_webhooks_v1a => StandardWebhooksV1a,
    svix => Svix,
    clerk => Clerk,
    resend => Resend,
    twitch => Twitch,
    mailgun => Mailgun,
);
per_provider!(url_change:
    twilio => Twilio,
    square => Square,
    hubspot => Hubspot,
);

/// The per-provider lists above cover exactly the providers the table says they apply to.
#[test]
fn applicability_lists_match_table() {
    let ts: Vec<_> = Provider::ALL
        .iter()
        .filter(|p| {
            matches!(
                info(**p).ts,
                Ts::Header(_)
                    | Ts::Param { .. }
                    | Ts::HeaderRfc3339(_)
                    | Ts::HeaderMs(_)
                    | Ts::BodyObject
            )
        })
        .map(|p| p.name())
        .collect();
    assert_eq!(
        ts,
        [
            "standard-webhooks",
            "standard-webhooks-v1a",
            "svix",
            "stripe",
            "slack",
            "discord",
            "paddle",
            "zoom",
            "clerk",
            "resend",
            "calendly",
            "mux",
            "twitch",
            "zendesk",
            "hubspot",
            "sendgrid",
            "mailgun"
        ]
    );
    let ids: Vec<_> = Provider::ALL
        .iter()
        .filter(|p| info(**p).id.is_some())
        .map(|p| p.name())
        .collect();
    assert_eq!(
        ids,
        [
            "standard-webhooks",
            "standard-webhooks-v1a",
            "svix",
            "clerk",
            "resend",
            "twitch",
            "mailgun"
        ]
    );
    let urls: Vec<_> = Provider::ALL
        .iter()
        .filter(|p| info(**p).url)
        .map(|p| p.name())
        .collect();
    assert_eq!(urls, ["twilio", "square", "hubspot"]);
}

/// GitLab signs nothing, so any other token in the header — not only a bit flip — is refused.
#[test]
fn gitlab_token_change() {
    let s = (case(Provider::Gitlab), "[!-~]([ -~]{0,62}[!-~])?");
    run("gitlab_token_change", s, |(c, token)| {
        prop_assume!(token != c.key.sign);
        let (mut headers, body) = c.signed();
        headers.insert("x-gitlab-token", token.parse().unwrap());
        expect_err(
            "other token",
            c.verify(&headers, &body),
            &["signature_mismatch"],
        )
    });
}

// ---------------------------------------------------------------------------------------------
// Canonical form: an accepted Standard Webhooks / Stripe / Paddle header re-serialises to itself
// ---------------------------------------------------------------------------------------------

/// Parses a list-style signature header leniently (what a sloppy parser would accept) and
/// writes it back canonically: signature values decoded and re-encoded (base64 padded / hex
/// lower case), timestamps as plain decimal, other items verbatim, original order and
/// separators. A header equal to its re-serialisation has no second spelling.
fn reserialise(
    value: &str,
    item_sep: char,
    kv_sep: char,
    sig_key: &str,
    ts_key: &str,
    b64: bool,
) -> String {
    let lenient_b64 = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    value
        .split(item_sep)
        .map(|item| {
            let Some((k, v)) = item.split_once(kv_sep) else {
                return item.to_owned();
            };
            let canon = if k == sig_key {
                if b64 {
                    lenient_b64.decode(v).ok().map(|b| STANDARD.encode(b))
                } else {
                    hex::decode(v).ok().map(hex::encode)
                }
            } else if k == ts_key {
                v.trim().parse::<i64>().ok().map(|t| t.to_string())
            } else {
                None
            };
            format!("{k}{kv_sep}{}", canon.as_deref().unwrap_or(v))
        })
        .collect::<Vec<_>>()
        .join(&item_sep.to_string())
}

/// Textual variants of a signed header value: `(variant, expected to be accepted)`.
fn sw_variants(value: &str, rand_sig: &[u8; 32], rand_v1a: &[u8; 64]) -> Vec<(String, bool)> {
    let sig = value.strip_prefix("v1,").unwrap();
    let other = STANDARD.encode(rand_sig);
    let mut trailing_bits = sig.to_owned();
    // 32 bytes: 43 symbols then `=`; the 43rd carries 4 unused bits that must be zero.
    let last = trailing_bits.remove(42);
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let pos = alphabet.find(last).unwrap();
    trailing_bits.insert(42, alphabet.as_bytes()[pos | 1] as char);
    vec![
        (value.to_owned(), true),
        (format!("v1,{}", sig.trim_end_matches('=')), false),
        (format!("v1a,{} {value}", STANDARD.encode(rand_v1a)), true),
        (format!("{value} v1,{other}"), true),
        (format!("v1,{other} {value}"), true),
        (format!("{value} {value}"), true),
        (format!(" {value}"), false),
        (format!("{value} "), false),
        (format!("v1,{other}  {value}"), false),
        (format!("v1,{other}\t{value}"), false),
        (format!("V1,{sig}"), false),
        (
            format!("v1,{}", sig.replace('+', "-").replace('/', "_")),
            !sig.contains(['+', '/']),
        ),
        (format!("v1,{trailing_bits}"), false),
        ([value; 9].join(" "), false),
    ]
}

fn stripe_like_variants(
    value: &str,
    sep: char,
    ts_key: &str,
    sig_key: &str,
    rand_sig: &[u8; 32],
) -> Vec<(String, bool)> {
    let items: Vec<&str> = value.split(sep).collect();
    assert_eq!(items.len(), 2, "{value}");
    let ts = items[0]
        .strip_prefix(ts_key)
        .unwrap()
        .strip_prefix('=')
        .unwrap();
    let sig = items[1]
        .strip_prefix(sig_key)
        .unwrap()
        .strip_prefix('=')
        .unwrap();
    let other = hex::encode(rand_sig);
    let s = sep;
    vec![
        (value.to_owned(), true),
        (
            format!("{ts_key}={ts}{s}{sig_key}={}", sig.to_uppercase()),
            sig.to_uppercase() == sig,
        ),
        (format!("{ts_key}=+{ts}{s}{sig_key}={sig}"), false),
        (format!("{ts_key}=0{ts}{s}{sig_key}={sig}"), false),
        (format!("{ts_key}= {ts}{s}{sig_key}={sig}"), false),
        (format!("{value}{s}v0={other}"), true),
        (format!("{sig_key}={sig}{s}{ts_key}={ts}"), true),
        (format!("{ts_key}={ts}{s} {sig_key}={sig}"), false),
        (format!("{value}{s}foo=bar"), true),
        (format!("{value}{s}{ts_key}={ts}"), false),
        (
            format!("{ts_key}={ts}{s}{sig_key}={other}{s}{sig_key}={sig}"),
            true,
        ),
        (format!("{sig_key}={sig}"), false),
        (format!("{value}{s}"), false),
        (
            format!("{ts_key}={ts}{s}{sig_key}={}", &sig[..sig.len() - 2]),
            false,
        ),
    ]
}

fn canonical(p: Provider) {
    let s = (
        case(p),
        any::<[u8; 32]>(),
        prop::array::uniform32(any::<u8>()).prop_flat_map(|a| (Just(a), any::<[u8; 32]>())),
    );
    run(&format!("canonical/{p}"), s, |(c, rand_sig, (x, y))| {
        let mut rand_v1a = [0u8; 64];
        rand_v1a[..32].copy_from_slice(&x);
        rand_v1a[32..].copy_from_slice(&y);
        let (headers, _) = c.signed();
        let name = c.info().sig;
        let value = headers[name].to_str().unwrap().to_owned();
        let (variants, item_sep, kv_sep, sig_key, ts_key, b64) = match p {
            Provider::StandardWebhooks | Provider::Svix | Provider::Clerk | Provider::Resend => (
                sw_variants(&value, &rand_sig, &rand_v1a),
                ' ',
                ',',
                "v1",
                "",
                true,
            ),
            Provider::Stripe | Provider::Calendly | Provider::Mux => (
                stripe_like_variants(&value, ',', "t", "v1", &rand_sig),
                ',',
                '=',
                "v1",
                "t",
                false,
            ),
            Provider::Paddle => (
                stripe_like_variants(&value, ';', "ts", "h1", &rand_sig),
                ';',
                '=',
                "h1",
                "ts",
                false,
            ),
            _ => unreachable!(),
        };
        for (variant, should_accept) in variants {
            let mut h = headers.clone();
            h.insert(name, HeaderValue::from_str(&variant).unwrap());
            let got = c.verify(&h, &c.body);
            prop_assert_eq!(
                got.is_ok(),
                should_accept,
                "variant {:?}: {:?}",
                variant,
                got.as_ref().map_err(|e| e.code())
            );
            if got.is_ok() {
                let again = reserialise(&variant, item_sep, kv_sep, sig_key, ts_key, b64);
                prop_assert_eq!(&again, &variant, "accepted header is not canonical");
            }
        }
        // The timestamp header (Standard Webhooks): only the canonical decimal spelling.
        if let Ts::Header(ts_name) = c.info().ts {
            for (variant, ok) in [
                (c.ts.to_string(), true),
                (format!("+{}", c.ts), false),
                (format!("0{}", c.ts), false),
                (format!(" {}", c.ts), false),
                (format!("{} ", c.ts), false),
                (format!("{}.0", c.ts), false),
            ] {
                let mut h = headers.clone();
                h.insert(ts_name, HeaderValue::from_str(&variant).unwrap());
                let got = c.verify(&h, &c.body);
                prop_assert_eq!(
                    got.is_ok(),
                    ok,
                    "timestamp {:?}: {:?}",
                    variant,
                    got.as_ref().map_err(|e| e.code())
                );
            }
        }
        Ok(())
    });
}

/// Mailgun: the body's signature object accepts one spelling of each field: the timestamp
/// as a canonical decimal JSON string, the signature as lower-case hex, and each field once.
#[test]
fn canonical_mailgun() {
    let p = Provider::Mailgun;
    run("canonical/mailgun", case(p), |c| {
        let (headers, body) = c.signed();
        prop_assert!(c.verify(&headers, &body).is_ok());
        let sig = Case::mailgun_signature(&body);
        let ts = c.ts.to_string();
        let (t, id, s) = (json_string(&ts), json_string(&c.id), json_string(&sig));
        let upper = json_string(&sig.to_uppercase());
        for (ts_json, sig_json) in [
            (ts.clone(), s.clone()),
            (json_string(&format!("+{ts}")), s.clone()),
            (json_string(&format!("0{ts}")), s.clone()),
            (json_string(&format!(" {ts}")), s.clone()),
            (json_string(&format!("{ts}.0")), s.clone()),
            (t.clone(), upper),
        ] {
            let m = c.mailgun_body(&ts_json, &id, &sig_json);
            let got = c.verify(&headers, &m);
            prop_assert_eq!(
                got.as_ref().map_err(|e| e.code()).err(),
                Some("malformed_payload"),
                "{}",
                String::from_utf8_lossy(&m)
            );
        }
        Ok(())
    });
}

per_provider!(canonical:
    standard_webhooks => StandardWebhooks,
    svix => Svix,
    stripe => Stripe,
    paddle => Paddle,
    clerk => Clerk,
    resend => Resend,
    calendly => Calendly,
    mux => Mux,
);

// ---------------------------------------------------------------------------------------------
// Probes that document current behaviour outside the properties above
// ---------------------------------------------------------------------------------------------

#[test]
/// A token that cannot travel in a header as visible ASCII could never verify: it is refused
/// when the verifier (or the signer) is built instead.
fn gitlab_non_ascii_token() {
    let token = "s\u{e9}cret";
    let built = Verifier::builder(Provider::Gitlab).secret(token).build();
    assert_eq!(
        built.unwrap_err(),
        hookguard::ConfigError::InvalidSecret("token of visible ASCII")
    );
    assert!(Signer::new(Provider::Gitlab, token).is_err());
    let ascii = Verifier::builder(Provider::Gitlab)
        .secret("s3cret token")
        .build()
        .unwrap();
    let headers = Signer::new(Provider::Gitlab, "s3cret token")
        .unwrap()
        .sign(&Delivery::new(&b"{}"[..]))
        .unwrap();
    assert!(
        ascii
            .verify(&Method::POST, &Uri::from_static("/hook"), &headers, b"{}")
            .is_ok()
    );
}
