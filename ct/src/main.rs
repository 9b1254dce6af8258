//! dudect (Reparaz, Balasch, Verbauwhede 2017) constant-time evidence for hookguard's signature
//! comparison, measured through the public API (`Verifier::verify_at`), since the compare
//! itself (`crypto::ct_match`) is crate-private.
//!
//! Every class of one bench sends the same body, the same headers and a signature of the same
//! encoded length; only the decoded signature bytes differ, so only the compare can differ.
//! Classes are interleaved at random per sample.
//!
//! | bench | Left | Right | expectation |
//! |---|---|---|---|
//! | `sw_first_vs_last` | Standard Webhooks (base64) sig wrong at byte 0 | wrong at byte 31 | \|t\| < 5 — primary evidence: both fail at the same point |
//! | `gh_first_vs_last` | GitHub (hex) sig wrong at byte 0 | wrong at byte 31 | \|t\| < 5 — decode + compare |
//! | `sw_equal_vs_first_stale` | valid MAC, stale timestamp (Err after the compare) | wrong at byte 0 (Err) | \|t\| small: both return a unit `Err`, the equal class additionally runs the cheap window check |
//! | `sw_equal_vs_first` | valid (Ok, builds `Verified`: allocations) | wrong at byte 0 (Err) | large \|t\| expected: success vs failure is public (the status code says it); reported for honesty |
//! | `gh_equal_vs_first` | valid (Ok: SHA-256 of the body for the delivery id) | wrong at byte 0 | large \|t\| expected, as above |
//! | `zz_control_leaky_first_vs_last` | as `sw_first_vs_last`, plus an early-exit byte compare | same | large \|t\|: positive control showing the harness detects a `==`-style leak of ~30 byte steps at this noise level |
//!
//! Samples per bench: `DUDECT_SAMPLES` (total over both classes; default 200 000).

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dudect_bencher::rand::Rng;
use dudect_bencher::{BenchRng, Class, CtRunner, ctbench_main};
use hookguard::{Delivery, Provider, Signer, Verifier};
use http::{HeaderMap, HeaderValue, Method, Uri};

const TS: i64 = 1_700_000_000;
const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SHARED: &str = "It's a Secret to Everybody";
const BODY: &[u8] = br#"{"event":"ping","data":{"id":"evt_123","amount":4200,"currency":"eur"}}"#;

fn samples() -> usize {
    std::env::var("DUDECT_SAMPLES")
        .ok()
        .and_then(|s| s.replace('_', "").parse().ok())
        .unwrap_or(200_000)
}

fn at(unix: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(unix as u64)
}

/// A verifier plus the headers of three deliveries: valid, wrong at the first decoded byte,
/// wrong at the last decoded byte (all canonical encodings of the same length).
struct Fixture {
    verifier: Verifier,
    valid: HeaderMap,
    first: HeaderMap,
    last: HeaderMap,
    valid_mac: Vec<u8>,
    uri: Uri,
}

fn fixture(p: Provider, secret: &str) -> Fixture {
    let signer = Signer::new(p, secret).expect("signer");
    let valid = signer
        .sign(&Delivery::new(BODY.to_vec()).id("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W").timestamp(TS))
        .expect("sign");
    let name = p.scheme().signature_header().expect("a header scheme").clone();
    let text = valid[&name].to_str().expect("ascii").to_owned();
    // "v1,<base64>" (Standard Webhooks) or "sha256=<hex>" (GitHub).
    let (prefix, encoded, hex) = match p {
        Provider::StandardWebhooks => ("v1,", &text[3..], false),
        Provider::Github => ("sha256=", &text[7..], true),
        _ => unreachable!(),
    };
    let mac = if hex {
        hex::decode(encoded).expect("hex")
    } else {
        STANDARD.decode(encoded).expect("base64")
    };
    assert_eq!(mac.len(), 32);
    let variant = |index: usize| {
        let mut m = mac.clone();
        m[index] ^= 0x01;
        let enc = if hex { hex::encode(&m) } else { STANDARD.encode(&m) };
        assert_eq!(enc.len(), encoded.len());
        let mut h = valid.clone();
        h.insert(name.clone(), HeaderValue::from_str(&format!("{prefix}{enc}")).unwrap());
        h
    };
    let first = variant(0);
    let last = variant(31);
    let verifier = Verifier::builder(p).secret(secret).build().expect("verifier");
    let uri = Uri::from_static("/hook");
    let now = at(TS);
    assert!(verifier.verify_at(&Method::POST, &uri, &valid, BODY, now).is_ok());
    for h in [&first, &last] {
        assert_eq!(
            verifier.verify_at(&Method::POST, &uri, h, BODY, now).unwrap_err().code(),
            "signature_mismatch"
        );
    }
    Fixture {
        verifier,
        valid,
        first,
        last,
        valid_mac: mac,
        uri,
    }
}

fn classes(rng: &mut BenchRng) -> Vec<Class> {
    (0..samples())
        .map(|_| if rng.r#gen::<bool>() { Class::Left } else { Class::Right })
        .collect()
}

/// Runs `verify_at` with `left` / `right` headers at `now`.
fn pair(
    runner: &mut CtRunner,
    rng: &mut BenchRng,
    f: &Fixture,
    left: &HeaderMap,
    right: &HeaderMap,
    now: SystemTime,
) {
    let m = Method::POST;
    for class in classes(rng) {
        let h = match class {
            Class::Left => left,
            Class::Right => right,
        };
        runner.run_one(class, || {
            f.verifier
                .verify_at(black_box(&m), black_box(&f.uri), black_box(h), black_box(BODY), now)
                .is_ok()
        });
    }
}

fn sw_first_vs_last(runner: &mut CtRunner, rng: &mut BenchRng) {
    let f = fixture(Provider::StandardWebhooks, WHSEC);
    pair(runner, rng, &f, &f.first, &f.last, at(TS));
}

fn gh_first_vs_last(runner: &mut CtRunner, rng: &mut BenchRng) {
    let f = fixture(Provider::Github, SHARED);
    pair(runner, rng, &f, &f.first, &f.last, at(TS));
}

fn sw_equal_vs_first(runner: &mut CtRunner, rng: &mut BenchRng) {
    let f = fixture(Provider::StandardWebhooks, WHSEC);
    pair(runner, rng, &f, &f.valid, &f.first, at(TS));
}

/// Both classes fail: the valid MAC with a timestamp 1000 s old (refused after the compare
/// by the window check) vs a MAC wrong at byte 0 (refused by the compare). No `Verified`, no
/// allocation on either side.
fn sw_equal_vs_first_stale(runner: &mut CtRunner, rng: &mut BenchRng) {
    let f = fixture(Provider::StandardWebhooks, WHSEC);
    let now = at(TS + 1000);
    assert_eq!(
        f.verifier
            .verify_at(&Method::POST, &f.uri, &f.valid, BODY, now)
            .unwrap_err()
            .code(),
        "timestamp_out_of_window"
    );
    pair(runner, rng, &f, &f.valid, &f.first, now);
}

fn gh_equal_vs_first(runner: &mut CtRunner, rng: &mut BenchRng) {
    let f = fixture(Provider::Github, SHARED);
    pair(runner, rng, &f, &f.valid, &f.first, at(TS));
}

/// Positive control: the same calls as `sw_first_vs_last`, followed by what a leaky verifier
/// would do — an early-exit compare of the offered MAC bytes with the valid MAC. If dudect
/// does not flag this, the setup is too noisy to mean anything.
fn zz_control_leaky_first_vs_last(runner: &mut CtRunner, rng: &mut BenchRng) {
    let f = fixture(Provider::StandardWebhooks, WHSEC);
    let decode = |h: &HeaderMap| STANDARD.decode(&h["webhook-signature"].as_bytes()[3..]).unwrap();
    let (first_mac, last_mac) = (decode(&f.first), decode(&f.last));
    let m = Method::POST;
    let now = at(TS);
    for class in classes(rng) {
        let (h, offered) = match class {
            Class::Left => (&f.first, &first_mac),
            Class::Right => (&f.last, &last_mac),
        };
        runner.run_one(class, || {
            let r = f
                .verifier
                .verify_at(black_box(&m), black_box(&f.uri), black_box(h), black_box(BODY), now)
                .is_ok();
            let mut same = true;
            for (a, b) in black_box(&f.valid_mac).iter().zip(black_box(offered)) {
                if black_box(*a) != black_box(*b) {
                    same = false;
                    break;
                }
            }
            r | same
        });
    }
}

ctbench_main!(
    sw_first_vs_last,
    gh_first_vs_last,
    sw_equal_vs_first_stale,
    sw_equal_vs_first,
    gh_equal_vs_first,
    zz_control_leaky_first_vs_last
);
