//! Wycheproof vectors (research plan P2) against the primitives hookguard verifies with, and
//! through hookguard's own verifiers wherever a preset can carry an arbitrary message.
//!
//! HMAC (`hmac` 0.12 with `sha1`/`sha2` 0.10, the crates hookguard wraps):
//! - HMAC-SHA1, HMAC-SHA256 and HMAC-SHA512 `mac` vectors: every `valid` tag (full length or
//!   truncated to the group's `tagSize`) equals the computed MAC's prefix and `hmac`'s own
//!   `verify_truncated_left` agrees; every `invalid` (modified) tag differs.
//! - Through the public API, HMAC-SHA256 over the body: GitHub (`sha256=<hex>`) and Shopify
//!   (`<base64>`) verifiers with the vector's key (`Secret::from_bytes`). Only full-length
//!   (32-byte) `valid` tags are accepted. Wycheproof's truncated tags — valid as truncated
//!   HMACs — are **rejected**: hookguard compares decoded MACs of the full length only (the
//!   svix CVE-2024-21491 class). SHA-1 (Twilio) and SHA-512 (no preset) have no preset that
//!   signs an arbitrary message, so they are checked against the wrapped crates only.
//!
//! Ed25519 (`standard-webhooks-v1a`, `discord`): hookguard builds an
//! `ed25519_dalek::VerifyingKey` from the configured public key and accepts a signature only
//! if it decodes to exactly 64 bytes and `VerifyingKey::verify_strict` accepts it
//! (src/verify.rs, `PreparedKey::Ed25519`). The policy pinned here, per Wycheproof flag:
//!
//! | flag | result | `verify_strict` |
//! |---|---|---|
//! | `Valid`, `Ktv` (known test vector), `TinkOverflow` | valid | accepted |
//! | `CompressedSignature`, `InvalidEncoding`, `InvalidKtv`, `InvalidSignature`, `SignatureMalleability` (S ≥ L), `SignatureWithGarbage`, `TruncatedSignature` | invalid | rejected |
//!
//! Wycheproof's Ed25519 set has no `acceptable` case, and `verify` agrees with
//! `verify_strict` on all of it; where they differ (small-order public keys and R, see
//! ed25519-dalek issues 130 and 267) hookguard rejects. The last test shows one such case end
//! to end: with the identity point as the configured key, one signature verifies under
//! `verify` for every message (a universal forgery); hookguard's Discord and v1a verifiers
//! reject it.
//!
//! The Wycheproof messages that begin with a canonical decimal number also go through the
//! Discord verifier (`{timestamp}{body}` signed), with that number as the timestamp.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use hookguard::{Provider, Rejection, Secret, Verifier};
use http::{HeaderMap, HeaderValue, Method, Uri};
use wycheproof::TestResult;

fn hmac_full<M: Mac + hmac::digest::KeyInit>(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut m = <M as hmac::digest::KeyInit>::new_from_slice(key).unwrap();
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

fn hmac_verify_left<M: Mac + hmac::digest::KeyInit>(key: &[u8], msg: &[u8], tag: &[u8]) -> bool {
    let mut m = <M as hmac::digest::KeyInit>::new_from_slice(key).unwrap();
    m.update(msg);
    m.verify_truncated_left(tag).is_ok()
}

type Full = fn(&[u8], &[u8]) -> Vec<u8>;
type Left = fn(&[u8], &[u8], &[u8]) -> bool;

fn mac_sets() -> [(&'static str, wycheproof::mac::TestName, Full, Left); 3] {
    use wycheproof::mac::TestName;
    [
        (
            "HMAC-SHA1",
            TestName::HmacSha1,
            hmac_full::<Hmac<sha1::Sha1>>,
            hmac_verify_left::<Hmac<sha1::Sha1>>,
        ),
        (
            "HMAC-SHA256",
            TestName::HmacSha256,
            hmac_full::<Hmac<sha2::Sha256>>,
            hmac_verify_left::<Hmac<sha2::Sha256>>,
        ),
        (
            "HMAC-SHA512",
            TestName::HmacSha512,
            hmac_full::<Hmac<sha2::Sha512>>,
            hmac_verify_left::<Hmac<sha2::Sha512>>,
        ),
    ]
}

#[test]
fn wycheproof_hmac_vectors_against_the_wrapped_hmac_crates() {
    for (name, test_name, full, left) in mac_sets() {
        let set = wycheproof::mac::TestSet::load(test_name).unwrap();
        let (mut valid, mut invalid, mut truncated) = (0, 0, 0);
        for group in &set.test_groups {
            let tag_len = group.tag_size / 8;
            for t in &group.tests {
                let computed = full(&t.key, &t.msg);
                let matches = t.tag.len() == tag_len && computed[..tag_len] == t.tag[..];
                let crate_says = left(&t.key, &t.msg, &t.tag);
                let id = format!("{name} tcId {} ({})", t.tc_id, t.comment);
                assert_eq!(matches, crate_says, "{id}: hmac's verify disagrees");
                match t.result {
                    TestResult::Valid => {
                        assert!(matches, "{id}: valid tag not reproduced");
                        valid += 1;
                    }
                    TestResult::Invalid => {
                        assert!(!matches, "{id}: invalid tag matched");
                        invalid += 1;
                    }
                    TestResult::Acceptable => panic!("{id}: no acceptable HMAC cases expected"),
                }
                if tag_len < computed.len() {
                    truncated += 1;
                }
            }
        }
        assert_eq!(valid + invalid, set.number_of_tests, "{name}");
        assert!(valid > 0 && invalid > 0, "{name}");
        println!(
            "wycheproof {name}: {} tests, {valid} valid reproduced, {invalid} invalid refused ({truncated} with truncated tags)",
            set.number_of_tests
        );
    }
}

fn verify_body_only(
    provider: Provider,
    key: &[u8],
    header_value: &str,
    body: &[u8],
) -> Result<(), Rejection> {
    let v = Verifier::builder(provider)
        .key("wycheproof", Secret::from_bytes(key).unwrap())
        .build()
        .unwrap();
    let name = match provider {
        Provider::Github => "x-hub-signature-256",
        Provider::Shopify => "x-shopify-hmac-sha256",
        other => panic!("{other} does not sign the body alone"),
    };
    let mut h = HeaderMap::new();
    h.insert(name, HeaderValue::from_str(header_value).unwrap());
    v.verify(&Method::POST, &Uri::from_static("/hook"), &h, body)
        .map(|_| ())
}

#[test]
fn wycheproof_hmac_sha256_through_github_and_shopify_verifiers_full_length_only() {
    let set = wycheproof::mac::TestSet::load(wycheproof::mac::TestName::HmacSha256).unwrap();
    let mut outcomes: BTreeMap<(&str, &str), (u32, u32)> = BTreeMap::new();
    for group in &set.test_groups {
        let full_length = group.tag_size == 256;
        for t in &group.tests {
            let expect_accept = full_length && t.result == TestResult::Valid;
            let kind = match (full_length, t.result) {
                (true, TestResult::Valid) => "full-length valid",
                (true, _) => "full-length invalid",
                (false, TestResult::Valid) => "truncated valid (refused by policy)",
                (false, _) => "truncated invalid",
            };
            for (provider, value) in [
                (
                    Provider::Github,
                    format!("sha256={}", hex::encode(&t.tag[..])),
                ),
                (Provider::Shopify, B64.encode(&t.tag[..])),
            ] {
                let got = verify_body_only(provider, &t.key, &value, &t.msg);
                let id = format!("{provider} tcId {} ({}, {kind})", t.tc_id, t.comment);
                if expect_accept {
                    assert_eq!(got, Ok(()), "{id}");
                } else {
                    // A well-formed tag that does not match, or a short one: the same answer.
                    assert_eq!(got, Err(Rejection::SignatureMismatch), "{id}");
                }
                let e = outcomes.entry((provider.name(), kind)).or_default();
                if got.is_ok() {
                    e.0 += 1;
                } else {
                    e.1 += 1;
                }
            }
        }
    }
    for ((provider, kind), (acc, rej)) in &outcomes {
        println!("wycheproof HMAC-SHA256 via {provider}: {kind}: {acc} accepted, {rej} rejected");
    }
    // Every class is present for both presets.
    assert_eq!(outcomes.len(), 8, "{outcomes:?}");
}

/// What hookguard's Ed25519 check does with a raw key and signature (src/verify.rs): the key
/// must decode as a point, the signature must be exactly 64 bytes, and `verify_strict` must
/// accept it.
fn hookguard_policy(pk: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    let Ok(pk) = <[u8; 32]>::try_from(pk) else {
        return false;
    };
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&pk) else {
        return false;
    };
    let Ok(sig) = <[u8; 64]>::try_from(sig) else {
        return false;
    };
    key.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(&sig))
        .is_ok()
}

/// The lenient check, for comparison only.
fn lenient(pk: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    let (Ok(pk), Ok(sig)) = (<[u8; 32]>::try_from(pk), <[u8; 64]>::try_from(sig)) else {
        return false;
    };
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&pk) else {
        return false;
    };
    use ed25519_dalek::Verifier as _;
    key.verify(msg, &ed25519_dalek::Signature::from_bytes(&sig))
        .is_ok()
}

/// The flags `verify_strict` accepts (all of their cases) in Wycheproof's Ed25519 set; every
/// other flag is rejected in all of its cases.
const ACCEPTED_FLAGS: &[&str] = &["KnownTestVector", "TinkOverflow", "Valid"];
const REJECTED_FLAGS: &[&str] = &[
    "CompressedSignature",
    "InvalidEncoding",
    "InvalidKnownTestVector",
    "InvalidSignature",
    "SignatureMalleability",
    "SignatureWithGarbage",
    "TruncatedSignature",
];

#[test]
fn wycheproof_ed25519_vectors_pin_the_verify_strict_policy() {
    let set = wycheproof::eddsa::TestSet::load(wycheproof::eddsa::TestName::Ed25519).unwrap();
    // flag -> (cases, accepted by hookguard's policy, accepted by lenient verify)
    let mut by_flag: BTreeMap<String, (u32, u32, u32)> = BTreeMap::new();
    let mut total = 0;
    for group in &set.test_groups {
        let pk = &group.key.pk[..];
        for t in &group.tests {
            total += 1;
            let strict = hookguard_policy(pk, &t.msg, &t.sig);
            let lax = lenient(pk, &t.msg, &t.sig);
            let id = format!("tcId {} ({}) {:?}", t.tc_id, t.comment, t.flags);
            match t.result {
                TestResult::Valid => assert!(strict, "{id}: valid signature rejected"),
                TestResult::Invalid => assert!(!strict, "{id}: invalid signature accepted"),
                TestResult::Acceptable => panic!("{id}: acceptable case: pin its policy"),
            }
            for flag in &t.flags {
                let e = by_flag.entry(format!("{flag:?}")).or_default();
                e.0 += 1;
                e.1 += u32::from(strict);
                e.2 += u32::from(lax);
            }
        }
    }
    assert_eq!(total, set.number_of_tests);
    for (flag, (cases, strict, lax)) in &by_flag {
        println!(
            "wycheproof Ed25519 {flag}: {cases} cases, verify_strict accepts {strict}, verify accepts {lax}"
        );
        if ACCEPTED_FLAGS.contains(&flag.as_str()) {
            assert_eq!(strict, cases, "{flag}: all accepted");
        } else {
            assert!(
                REJECTED_FLAGS.contains(&flag.as_str()),
                "{flag}: a new flag; pin its policy"
            );
            assert_eq!(*strict, 0, "{flag}: all rejected");
        }
    }
    println!("wycheproof Ed25519: {total} tests, 0 disagreements with the pinned policy");
}

fn at(unix: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(unix).unwrap())
}

/// `msg` as `{timestamp}{body}` with a canonical decimal timestamp, if it starts with one.
fn discord_split(msg: &[u8]) -> Option<(&str, &[u8])> {
    let digits = msg.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || msg[0] == b'0' {
        return None;
    }
    // Any split point works (the signed string is the concatenation); take the longest
    // prefix that fits an i64.
    (1..=digits.min(18)).rev().find_map(|n| {
        let ts = std::str::from_utf8(&msg[..n]).ok()?;
        ts.parse::<i64>().ok().map(|_| (ts, &msg[n..]))
    })
}

#[test]
fn wycheproof_ed25519_through_the_discord_verifier() {
    let set = wycheproof::eddsa::TestSet::load(wycheproof::eddsa::TestName::Ed25519).unwrap();
    let (mut accepted, mut rejected, mut skipped) = (0, 0, 0);
    for group in &set.test_groups {
        let pk = &group.key.pk[..];
        for t in &group.tests {
            let Some((ts, body)) = discord_split(&t.msg) else {
                skipped += 1;
                continue;
            };
            let verifier = Verifier::builder(Provider::Discord)
                .secret(&hex::encode(pk))
                .build();
            let got = verifier.map_err(|_| ()).and_then(|v| {
                let mut h = HeaderMap::new();
                h.insert(
                    "x-signature-ed25519",
                    HeaderValue::from_str(&hex::encode(&t.sig[..])).unwrap(),
                );
                h.insert("x-signature-timestamp", HeaderValue::from_str(ts).unwrap());
                let now = at(ts.parse().unwrap());
                v.verify_at(&Method::POST, &Uri::from_static("/i"), &h, body, now)
                    .map(|_| ())
                    .map_err(|_| ())
            });
            let id = format!("tcId {} ({}) {:?}", t.tc_id, t.comment, t.flags);
            assert_eq!(
                got.is_ok(),
                t.result == TestResult::Valid,
                "{id}: hookguard's Discord verifier"
            );
            if got.is_ok() {
                accepted += 1;
            } else {
                rejected += 1;
            }
        }
    }
    println!(
        "wycheproof Ed25519 via discord: {accepted} valid accepted, {rejected} invalid rejected, {skipped} messages not of the form {{timestamp}}{{body}}"
    );
    assert!(accepted > 0 && rejected > 0);
}

#[test]
fn a_small_order_public_key_forgery_accepted_by_verify_is_rejected_by_hookguard() {
    // The identity point (y = 1) as the public key; R = the base point, S = 1. Then
    // [S]B = R + [k]A holds for every message, since A is the identity: `verify` accepts it
    // for any message at all.
    let identity: [u8; 32] = {
        let mut k = [0u8; 32];
        k[0] = 1;
        k
    };
    let base_point = curve_base_point();
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&base_point);
    sig[32] = 1;
    for msg in [&b"1700000000{\"any\":1}"[..], b"1700000000anything else"] {
        assert!(lenient(&identity, msg, &sig), "verify accepts the forgery");
        assert!(!hookguard_policy(&identity, msg, &sig));
    }

    let ts = "1700000000";
    let body = br#"{"type":1}"#;
    let now = at(1_700_000_000);
    let uri = Uri::from_static("/i");

    // Refusing such a key when the verifier is built would be as good; accepting it must not
    // make any signature verify.
    let discord = Verifier::builder(Provider::Discord)
        .secret(&hex::encode(identity))
        .build();
    if let Ok(v) = discord {
        let mut h = HeaderMap::new();
        h.insert(
            "x-signature-ed25519",
            HeaderValue::from_str(&hex::encode(sig)).unwrap(),
        );
        h.insert("x-signature-timestamp", HeaderValue::from_static(ts));
        assert_eq!(
            v.verify_at(&Method::POST, &uri, &h, body, now),
            Err(Rejection::SignatureMismatch)
        );
    }

    let v1a = Verifier::builder(Provider::StandardWebhooksV1a)
        .secret(&format!("whpk_{}", B64.encode(identity)))
        .build();
    if let Ok(v) = v1a {
        let mut h = HeaderMap::new();
        h.insert("webhook-id", HeaderValue::from_static("msg_1"));
        h.insert("webhook-timestamp", HeaderValue::from_static(ts));
        h.insert(
            "webhook-signature",
            HeaderValue::from_str(&format!("v1a,{}", B64.encode(sig))).unwrap(),
        );
        assert_eq!(
            v.verify_at(&Method::POST, &uri, &h, body, now),
            Err(Rejection::SignatureMismatch)
        );
    }
}

/// The compressed Ed25519 base point (RFC 8032: y = 4/5).
fn curve_base_point() -> [u8; 32] {
    let mut b = [0x66u8; 32];
    b[0] = 0x58;
    b
}
