//! The timestamp table (security.md P6): boundaries, extremes and non-canonical forms, each
//! carried by a *valid* signature over that exact timestamp text, so only the timestamp rules
//! can refuse them.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use hookguard::{Provider, Rejection, Verifier};
use http::{HeaderMap, HeaderValue};
use sha2::Sha256;

use crate::common::*;

const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const STRIPE_SECRET: &str = "whsec_test_secret";
const SLACK_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const BODY: &[u8] = br#"{"test": 2432232314}"#;
const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";

fn mac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

/// Standard Webhooks headers with a valid MAC over `ts` as given.
fn standard(ts: &str) -> HeaderMap {
    let key = STANDARD.decode(&SW_SECRET[6..]).unwrap();
    let sig = mac(&key, &[ID.as_bytes(), b".", ts.as_bytes(), b".", BODY]);
    let mut h = HeaderMap::new();
    h.insert("webhook-id", HeaderValue::from_static(ID));
    h.insert("webhook-timestamp", HeaderValue::from_str(ts).unwrap());
    let value = format!("v1,{}", STANDARD.encode(sig));
    h.insert("webhook-signature", HeaderValue::from_str(&value).unwrap());
    h
}

fn stripe(ts: &str) -> Option<HeaderMap> {
    let sig = mac(STRIPE_SECRET.as_bytes(), &[ts.as_bytes(), b".", BODY]);
    let value = format!("t={ts},v1={}", hex::encode(sig));
    let mut h = HeaderMap::new();
    h.insert("stripe-signature", HeaderValue::from_str(&value).ok()?);
    Some(h)
}

fn slack(ts: &str) -> HeaderMap {
    let sig = mac(
        SLACK_SECRET.as_bytes(),
        &[b"v0:", ts.as_bytes(), b":", BODY],
    );
    let mut h = HeaderMap::new();
    h.insert(
        "x-slack-request-timestamp",
        HeaderValue::from_str(ts).unwrap(),
    );
    let value = format!("v0={}", hex::encode(sig));
    h.insert("x-slack-signature", HeaderValue::from_str(&value).unwrap());
    h
}

fn verifiers() -> (Verifier, Verifier, Verifier) {
    (
        verifier_with(Provider::StandardWebhooks, SW_SECRET),
        verifier_with(Provider::Stripe, STRIPE_SECRET),
        verifier_with(Provider::Slack, SLACK_SECRET),
    )
}

fn all_three(ts: &str, now_unix: i64) -> [Result<hookguard::Verified, Rejection>; 3] {
    let (sw, st, sl) = verifiers();
    let now = at(now_unix);
    [
        check(&sw, &standard(ts), BODY, now),
        stripe(ts).map_or(Err(Rejection::MalformedPayload), |h| {
            check(&st, &h, BODY, now)
        }),
        check(&sl, &slack(ts), BODY, now),
    ]
}

#[test]
fn tolerance_boundaries_are_inclusive_on_both_sides() {
    let ts = "1700000000";
    for now in [TS - 300, TS + 300, TS] {
        for r in all_three(ts, now) {
            assert!(r.is_ok(), "now={now}: {r:?}");
        }
    }
    for now in [TS - 301, TS + 301, 0, i64::from(i32::MAX) * 2] {
        for r in all_three(ts, now) {
            assert_eq!(r, Err(Rejection::TimestampOutOfWindow), "now={now}");
        }
    }
}

#[test]
fn extreme_and_non_canonical_timestamps_are_rejected_without_panic() {
    let twenty_digits = "1".repeat(20);
    let many_digits = "9".repeat(309);
    let table: Vec<(String, Rejection)> = vec![
        (i64::MIN.to_string(), malformed()),
        ("-1".into(), malformed()),
        ("+1700000000".into(), malformed()),
        ("01700000000".into(), malformed()),
        ("00".into(), malformed()),
        ("0x6553F100".into(), malformed()),
        ("1_700_000_000".into(), malformed()),
        (" 1700000000".into(), malformed()),
        ("1700000000 ".into(), malformed()),
        ("1700 000000".into(), malformed()),
        ("1700000000.5".into(), malformed()),
        ("1.7e9".into(), malformed()),
        (String::new(), malformed()),
        (twenty_digits, malformed()),
        (many_digits, malformed()),
        (u64::MAX.to_string(), malformed()),
        ((i64::MAX as u64 + 1).to_string(), malformed()),
        // Canonical but far away: parsed, then out of the window (no overflow).
        (i64::MAX.to_string(), Rejection::TimestampOutOfWindow),
        ("0".into(), Rejection::TimestampOutOfWindow),
    ];
    for (ts, expected) in &table {
        let [sw, st, sl] = all_three(ts, TS);
        assert!(sw.is_err() && st.is_err() && sl.is_err(), "{ts:?} accepted");
        // Each refusal names the right reason (header-value whitespace is trimmed by HTTP
        // parsers, so HeaderValue keeps it and we refuse it as malformed too).
        let code = |r: &Result<_, Rejection>| r.as_ref().unwrap_err().code();
        let sw_expected = match expected {
            Rejection::MalformedHeader(_) => "malformed_header",
            other => other.code(),
        };
        assert_eq!(code(&sw), sw_expected, "standard-webhooks {ts:?}");
        assert_eq!(code(&sl), sw_expected, "slack {ts:?}");
        // Stripe's value is a list: a space or comma inside `t=` breaks the list itself.
        assert!(st.is_err(), "stripe {ts:?}");
    }
}

#[test]
fn extreme_clocks_do_not_overflow() {
    let (sw, _, _) = verifiers();
    let h = standard("1700000000");
    for now in [
        std::time::UNIX_EPOCH,
        std::time::UNIX_EPOCH - std::time::Duration::from_secs(u32::MAX as u64 * 100),
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::MAX / 4),
    ] {
        assert_eq!(
            check(&sw, &h, BODY, now),
            Err(Rejection::TimestampOutOfWindow)
        );
    }
}

#[test]
fn tolerance_is_configurable_within_bounds_and_zero_is_never_off() {
    use std::time::Duration;
    let build = |d| {
        Verifier::builder(Provider::Slack)
            .secret(SLACK_SECRET)
            .tolerance(d)
            .build()
    };
    assert!(build(Duration::from_secs(0)).is_err());
    assert!(build(Duration::from_secs(86_401)).is_err());
    assert!(build(Duration::from_secs(1)).is_ok());
    assert!(build(Duration::from_secs(86_400)).is_ok());

    let exact = Verifier::builder(Provider::Slack)
        .secret(SLACK_SECRET)
        .dangerous()
        .unchecked_tolerance(Duration::ZERO)
        .build()
        .unwrap();
    let h = slack("1700000000");
    assert!(check(&exact, &h, BODY, at(TS)).is_ok());
    assert_eq!(
        check(&exact, &h, BODY, at(TS + 1)),
        Err(Rejection::TimestampOutOfWindow)
    );

    let one = Verifier::builder(Provider::Slack)
        .secret(SLACK_SECRET)
        .tolerance(Duration::from_secs(60))
        .build()
        .unwrap();
    assert!(check(&one, &h, BODY, at(TS + 60)).is_ok());
    assert_eq!(
        check(&one, &h, BODY, at(TS - 61)),
        Err(Rejection::TimestampOutOfWindow)
    );
}

#[test]
fn linear_body_timestamp_is_checked_in_milliseconds() {
    let secret = "lin_wh_test_secret_0123456789abcdef";
    let v = verifier_with(Provider::Linear, secret);
    let body = |ms: i64| format!(r#"{{"type":"Issue","webhookTimestamp":{ms}}}"#).into_bytes();
    let signed = |b: &[u8]| {
        let mut h = HeaderMap::new();
        let sig = hex::encode(mac(secret.as_bytes(), &[b]));
        h.insert("linear-signature", HeaderValue::from_str(&sig).unwrap());
        h
    };
    let ms = TS * 1000;
    for (delta_ms, ok) in [
        (0, true),
        (300_000, true),
        (-300_000, true),
        (300_001, false),
        (-300_001, false),
    ] {
        let b = body(ms + delta_ms);
        let r = check(&v, &signed(&b), &b, at(TS));
        assert_eq!(r.is_ok(), ok, "delta {delta_ms} ms: {r:?}");
    }
    let no_ts = br#"{"type":"Issue"}"#;
    assert_eq!(
        check(&v, &signed(no_ts), no_ts, at(TS)),
        Err(Rejection::MalformedPayload)
    );
    let dup = br#"{"webhookTimestamp":1700000000000,"webhookTimestamp":1}"#;
    assert_eq!(
        check(&v, &signed(dup), dup, at(TS)),
        Err(Rejection::MalformedPayload)
    );
}

fn malformed() -> Rejection {
    Rejection::MalformedHeader(http::HeaderName::from_static("webhook-timestamp"))
}
