//! A signed sample delivery for every provider, and helpers to verify variants of it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hookguard::{Delivery, Provider, Rejection, Signer, Verified, Verifier};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};

pub const TS: i64 = 1_700_000_000;
pub const ORIGIN: &str = "https://hooks.example.com";
pub const PATH: &str = "/webhook?tenant=acme";

/// Secrets for signing and verifying one provider (equal except for public-key schemes).
pub struct Keys {
    pub sign: &'static str,
    pub verify: &'static str,
    pub other_verify: &'static str,
}

pub fn keys(p: Provider) -> Keys {
    match p {
        Provider::StandardWebhooks | Provider::Svix | Provider::Clerk | Provider::Resend => Keys {
            sign: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            verify: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            other_verify: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSx",
        },
        // RFC 8032 test 1 and test 2 keys.
        Provider::StandardWebhooksV1a => Keys {
            sign: "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=",
            verify: "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
            other_verify: "whpk_PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw=",
        },
        Provider::Discord => Keys {
            sign: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            verify: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            other_verify: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        },
        // P-256 scalars chosen here; public keys as base64 DER SubjectPublicKeyInfo.
        Provider::Sendgrid => Keys {
            sign: "1f2e3d4c5b6a79880716253443526170ffeeddccbbaa99887766554433221100",
            verify: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEiZr+NziuyXgwYBX8xP7leSoqY8KVk+Wl3tMhWOWhqucU5NhEpQ2DvrBhvyXZGpub1rOiA+cUoh2MaZe//WaDDw==",
            other_verify: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEwSTxv0QJrg4hWDbP8xtfsiJenYukOy5AmQUhDJSfjjq5zhq4TIbp/OTXesIIPt2dXzl3q4jpQ/0uR0/vdHEUYw==",
        },
        Provider::Postmark => Keys {
            sign: "hookguard:It's a Secret to Everybody",
            verify: "hookguard:It's a Secret to Everybody",
            other_verify: "hookguard:It's a Secret to Everybodz",
        },
        _ => Keys {
            sign: "It's a Secret to Everybody",
            verify: "It's a Secret to Everybody",
            other_verify: "It's a Secret to Everybodz",
        },
    }
}

/// Whether the provider issues its secret as `whsec_<base64>` (Standard Webhooks and Svix
/// customers).
pub fn uses_whsec(p: Provider) -> bool {
    matches!(
        p,
        Provider::StandardWebhooks | Provider::Svix | Provider::Clerk | Provider::Resend
    )
}

/// Whether the scheme signs the body (plain-token schemes sign nothing).
pub fn signs_body(p: Provider) -> bool {
    !matches!(p, Provider::Gitlab | Provider::Okta | Provider::Postmark)
}

/// A shared secret in the form `p` issues it, built from `plain` text.
pub fn secret_text(p: Provider, plain: &str) -> String {
    if uses_whsec(p) {
        format!("whsec_{}", STANDARD.encode(plain))
    } else if p == Provider::Postmark {
        format!("user:{plain}")
    } else {
        plain.to_owned()
    }
}

pub fn body(p: Provider) -> Vec<u8> {
    match p {
        Provider::Twilio => b"CallSid=CA123&From=15551234&To=15550000&Body=hello".to_vec(),
        Provider::Linear => format!(
            r#"{{"action":"create","type":"Issue","webhookTimestamp":{}}}"#,
            TS * 1000
        )
        .into_bytes(),
        // The signer adds the `signature` object to this object (see `signed`).
        Provider::Mailgun => br#"{"event-data":{"event":"ping","n":42}}"#.to_vec(),
        _ => br#"{"event":"ping","n":42}"#.to_vec(),
    }
}

/// Whether the provider's signature travels in the JSON body (Mailgun), not in a header.
pub fn in_body(p: Provider) -> bool {
    p.scheme().signature_in_body()
}

pub fn now() -> SystemTime {
    at(TS)
}

pub fn at(unix: i64) -> SystemTime {
    if unix >= 0 {
        UNIX_EPOCH + Duration::from_secs(unix as u64)
    } else {
        UNIX_EPOCH - Duration::from_secs(unix.unsigned_abs())
    }
}

pub fn verifier(p: Provider) -> Verifier {
    verifier_with(p, keys(p).verify)
}

pub fn verifier_with(p: Provider, secret: &str) -> Verifier {
    Verifier::builder(p)
        .secret(secret)
        .public_origin(ORIGIN)
        .build()
        .expect("test verifier")
}

/// The signature headers for `body` (header schemes only: see `signed`).
pub fn sign(p: Provider, body: &[u8], ts: i64) -> HeaderMap {
    Signer::new(p, keys(p).sign)
        .expect("test signer")
        .sign(&delivery(body, ts))
        .expect("sign")
}

/// The headers and the body to send, for every preset: for Mailgun the body is `body` with
/// the signature object added (the headers are empty); for the others `body` itself.
pub fn signed(p: Provider, body: &[u8], ts: i64) -> (HeaderMap, Vec<u8>) {
    let signed = Signer::new(p, keys(p).sign)
        .expect("test signer")
        .sign_with_body(&delivery(body, ts))
        .expect("sign");
    let (headers, body) = (signed.headers, signed.body);
    (headers, body.to_vec())
}

/// The delivery id every test signs with (Mailgun: the token).
pub const ID: &str = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";

fn delivery(body: &[u8], ts: i64) -> Delivery {
    Delivery::new(body.to_vec())
        .id(ID)
        .timestamp(ts)
        .url(format!("{ORIGIN}{PATH}"))
}

/// In a body signed by `signed` for a body-carried scheme (Mailgun): the byte range of the
/// signature object, `{…}` (the signer puts it first; it holds no nested braces).
pub fn signature_object_range(body: &[u8]) -> std::ops::Range<usize> {
    let open = br#"{"signature":"#.len();
    assert_eq!(body[open], b'{', "not a signed Mailgun body");
    let close = open + body[open..].iter().position(|b| *b == b'}').unwrap();
    open..close + 1
}

/// In a body signed by `signed` for a body-carried scheme: the byte range of the hex
/// signature text (between the quotes of the object's `signature` field).
pub fn body_signature_range(body: &[u8]) -> std::ops::Range<usize> {
    let object = signature_object_range(body);
    let marker = br#""signature":""#;
    let at = object.start
        + body[object.clone()]
            .windows(marker.len())
            .position(|w| w == marker)
            .unwrap()
        + marker.len();
    let end = at + body[at..].iter().position(|b| *b == b'"').unwrap();
    at..end
}

/// `body` with `range` replaced by `with`.
pub fn splice(body: &[u8], range: std::ops::Range<usize>, with: &[u8]) -> Vec<u8> {
    let mut out = body[..range.start].to_vec();
    out.extend_from_slice(with);
    out.extend_from_slice(&body[range.end..]);
    out
}

pub fn check(
    v: &Verifier,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Result<Verified, Rejection> {
    v.verify_at(&Method::POST, &Uri::from_static(PATH), headers, body, now)
}

/// The names of the headers a provider's signer sets, signature header first. None for a
/// scheme whose signature travels in the body (Mailgun): the tests check the body's
/// signature object for it instead.
pub fn signed_headers(p: Provider) -> Vec<HeaderName> {
    if in_body(p) {
        return Vec::new();
    }
    let h = sign(p, &body(p), TS);
    let sig = signature_header(p);
    let mut names = vec![sig.clone()];
    names.extend(h.keys().filter(|k| **k != sig).cloned());
    names
}

pub fn signature_header(p: Provider) -> HeaderName {
    let name = match p {
        Provider::StandardWebhooks | Provider::StandardWebhooksV1a => "webhook-signature",
        Provider::Svix => "svix-signature",
        Provider::Stripe => "stripe-signature",
        Provider::Github => "x-hub-signature-256",
        Provider::Slack => "x-slack-signature",
        Provider::Shopify => "x-shopify-hmac-sha256",
        Provider::Gitlab => "x-gitlab-token",
        Provider::Twilio => "x-twilio-signature",
        Provider::Discord => "x-signature-ed25519",
        Provider::Linear => "linear-signature",
        Provider::Paddle => "paddle-signature",
        Provider::Square => "x-square-hmacsha256-signature",
        Provider::Zoom => "x-zm-signature",
        Provider::Clerk | Provider::Resend => "svix-signature",
        Provider::Intercom | Provider::Bitbucket | Provider::Jira => "x-hub-signature",
        Provider::Pagerduty => "x-pagerduty-signature",
        Provider::Typeform => "typeform-signature",
        Provider::Calendly => "calendly-webhook-signature",
        Provider::Vercel => "x-vercel-signature",
        Provider::Sentry => "sentry-hook-signature",
        Provider::CoinbaseCommerce => "x-cc-webhook-signature",
        Provider::LemonSqueezy | Provider::Segment => "x-signature",
        Provider::Razorpay => "x-razorpay-signature",
        Provider::Dropbox => "x-dropbox-signature",
        Provider::X => "x-twitter-webhooks-signature",
        Provider::Mux => "mux-signature",
        Provider::Meta => "x-hub-signature-256",
        Provider::Twitch => "twitch-eventsub-message-signature",
        Provider::Zendesk => "x-zendesk-webhook-signature",
        Provider::Hubspot => "x-hubspot-signature-v3",
        Provider::Okta | Provider::Postmark => "authorization",
        Provider::Sendgrid => "x-twilio-email-event-webhook-signature",
        Provider::Mailgun => panic!("mailgun has no signature header: see body_signature_range"),
        other => panic!("add {other} to the test table"),
    };
    HeaderName::from_static(name)
}

/// The header carrying the timestamp on its own, if the provider has one.
#[allow(
    dead_code,
    reason = "the per-provider table is kept complete for tests that need it"
)]
pub fn timestamp_header(p: Provider) -> Option<HeaderName> {
    let name = match p {
        Provider::StandardWebhooks | Provider::StandardWebhooksV1a => "webhook-timestamp",
        Provider::Svix | Provider::Clerk | Provider::Resend => "svix-timestamp",
        Provider::Slack => "x-slack-request-timestamp",
        Provider::Discord => "x-signature-timestamp",
        Provider::Zoom => "x-zm-request-timestamp",
        Provider::Twitch => "twitch-eventsub-message-timestamp",
        Provider::Zendesk => "x-zendesk-webhook-signature-timestamp",
        Provider::Hubspot => "x-hubspot-request-timestamp",
        Provider::Sendgrid => "x-twilio-email-event-webhook-timestamp",
        _ => return None,
    };
    Some(HeaderName::from_static(name))
}

/// Where the encoded signature begins in `value`, the signature header of a delivery of `p`:
/// every layout here ends the header value with it.
pub fn signature_start(p: Provider, value: &[u8]) -> usize {
    // SendGrid's DER signature varies in length with the message it signs; its header holds
    // nothing else.
    fixed_signature_len(p).map_or(0, |len| value.len() - len)
}

/// The encoded signature's length, for every scheme whose signatures have one length.
fn fixed_signature_len(p: Provider) -> Option<usize> {
    Some(match p {
        Provider::Gitlab | Provider::Okta => keys(p).sign.len(),
        Provider::Sendgrid => return None,
        Provider::Postmark => keys(p).sign.len().div_ceil(3) * 4,
        Provider::Twilio => 28,
        Provider::Shopify
        | Provider::Square
        | Provider::StandardWebhooks
        | Provider::Svix
        | Provider::Clerk
        | Provider::Resend
        | Provider::Typeform
        | Provider::Zendesk
        | Provider::Hubspot
        | Provider::X => 44,
        Provider::Intercom | Provider::Vercel | Provider::Segment => 40,
        Provider::StandardWebhooksV1a => 88,
        Provider::Discord => 128,
        _ => 64,
    })
}

pub fn with_header(headers: &HeaderMap, name: &HeaderName, value: &[u8]) -> Option<HeaderMap> {
    let value = HeaderValue::from_bytes(value).ok()?;
    let mut h = headers.clone();
    h.insert(name.clone(), value);
    Some(h)
}
