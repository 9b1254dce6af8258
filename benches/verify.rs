//! Standard Webhooks v1 verification, side by side, per body size:
//!
//! - `hookguard`: `Verifier::verify_at` on a pre-signed `HeaderMap` (explicit clock).
//! - `raw_hmac`: the floor — HMAC-SHA256 over `{id}.{ts}.{body}` with the `hmac`/`sha2`
//!   crates, base64-decode of the header's `v1,` signature, constant-time compare.
//! - `standardwebhooks`: `standardwebhooks::Webhook::verify`, the Standard Webhooks reference
//!   crate (authored by Svix; its `verify` is line for line the one in `svix::webhooks`, same
//!   `hmac-sha256` backend). It checks its own wall clock, so its delivery is signed with the
//!   current time just before its group runs. (`svix` itself is not a dev-dependency: with
//!   `default-features = false` svix 2.9 does not compile; see BENCHMARKS.md.)
//!
//! Run with `cargo bench --bench verify`. Every path is asserted to succeed (and to reject a
//! tampered body) before it is timed, and the wall-clock one again afterwards, to prove its
//! window held for the whole measurement.

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use hookguard::{Delivery, Provider, Signer, Verifier};
use http::{HeaderMap, Method, Uri};
use sha2::Sha256;
use subtle::ConstantTimeEq;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TS: i64 = 1_614_265_330;
const TS_TEXT: &str = "1614265330";

const SIZES: [(usize, &str); 4] = [
    (256, "256B"),
    (1024, "1KiB"),
    (16 * 1024, "16KiB"),
    (1024 * 1024, "1MiB"),
];

/// Exactly `len` bytes of valid JSON: `{"data":"<deterministic alphanumerics>"}`.
fn body(len: usize) -> Vec<u8> {
    const PREFIX: &[u8] = br#"{"data":""#;
    const SUFFIX: &[u8] = br#""}"#;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    assert!(len >= PREFIX.len() + SUFFIX.len());
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(PREFIX);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    while out.len() < len - SUFFIX.len() {
        // xorshift64: deterministic across runs and machines.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.push(ALPHABET[(state % ALPHABET.len() as u64) as usize]);
    }
    out.extend_from_slice(SUFFIX);
    assert_eq!(out.len(), len);
    out
}

/// The floor: what any correct verifier must at least do.
fn raw_hmac(key: &[u8], id: &str, ts: &str, body: &[u8], signature_header: &str) -> bool {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(ts.as_bytes());
    mac.update(b".");
    mac.update(body);
    let tag = mac.finalize().into_bytes();
    let Some(encoded) = signature_header.strip_prefix("v1,") else {
        return false;
    };
    let mut decoded = [0u8; 48];
    let Ok(n) = STANDARD.decode_slice(encoded, &mut decoded) else {
        return false;
    };
    n == tag.len() && bool::from(tag.as_slice().ct_eq(&decoded[..n]))
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

fn bench_verify(c: &mut Criterion) {
    let verifier = Verifier::builder(Provider::StandardWebhooks)
        .secret(SECRET)
        .build()
        .expect("valid verifier");
    let signer = Signer::new(Provider::StandardWebhooks, SECRET).expect("valid signer");
    let reference = standardwebhooks::Webhook::new(SECRET).expect("valid secret");
    #[cfg(hookguard_peers)]
    let svix_webhook = svix::webhooks::Webhook::new(SECRET).expect("valid secret");
    #[cfg(hookguard_peers)]
    let svix_signer = Signer::new(Provider::Svix, SECRET).expect("valid signer");
    let key = STANDARD
        .decode(SECRET.strip_prefix("whsec_").unwrap())
        .expect("base64 secret");
    let method = Method::POST;
    let uri = Uri::from_static("/webhooks/standard");
    let now = UNIX_EPOCH + Duration::from_secs(TS as u64);

    for (size, label) in SIZES {
        let body = body(size);

        // hookguard and raw_hmac: one fixed delivery, signed once.
        let headers = signer
            .sign(&Delivery::new(body.clone()).id(ID).timestamp(TS))
            .expect("sign");
        let sig_text = headers["webhook-signature"]
            .to_str()
            .expect("ASCII header")
            .to_owned();

        // standardwebhooks: signed with the current time, just before its group runs.
        let live_headers: HeaderMap = signer
            .sign(&Delivery::new(body.clone()).id(ID).timestamp(unix_now()))
            .expect("sign live");

        #[cfg(hookguard_peers)]
        let svix_headers: HeaderMap = svix_signer
            .sign(&Delivery::new(body.clone()).id(ID).timestamp(unix_now()))
            .expect("sign live for svix");
        #[cfg(hookguard_peers)]
        svix_webhook
            .verify(&body, &svix_headers)
            .expect("svix verifies");

        // No failing path is ever timed.
        let verified = verifier
            .verify_at(&method, &uri, &headers, &body, now)
            .expect("hookguard verifies");
        assert_eq!(verified.delivery_id().as_str(), ID);
        assert!(
            raw_hmac(&key, ID, TS_TEXT, &body, &sig_text),
            "raw_hmac verifies"
        );
        reference
            .verify(&body, &live_headers)
            .expect("standardwebhooks verifies");
        // Tamper checks: each path really rejects a wrong body.
        let mut tampered = body.clone();
        tampered[size / 2] ^= 1;
        assert!(
            verifier
                .verify_at(&method, &uri, &headers, &tampered, now)
                .is_err()
        );
        assert!(!raw_hmac(&key, ID, TS_TEXT, &tampered, &sig_text));
        assert!(reference.verify(&tampered, &live_headers).is_err());

        let mut group = c.benchmark_group(format!("verify/{label}"));
        group.throughput(Throughput::Bytes(size as u64));
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(3));
        if size >= 1024 * 1024 {
            group.sample_size(20);
        }

        group.bench_function(BenchmarkId::from_parameter("hookguard"), |b| {
            b.iter(|| {
                verifier.verify_at(
                    black_box(&method),
                    black_box(&uri),
                    black_box(&headers),
                    black_box(body.as_slice()),
                    black_box(now),
                )
            })
        });
        group.bench_function(BenchmarkId::from_parameter("raw_hmac"), |b| {
            b.iter(|| {
                raw_hmac(
                    black_box(&key),
                    black_box(ID),
                    black_box(TS_TEXT),
                    black_box(body.as_slice()),
                    black_box(sig_text.as_str()),
                )
            })
        });
        group.bench_function(BenchmarkId::from_parameter("standardwebhooks"), |b| {
            b.iter(|| reference.verify(black_box(body.as_slice()), black_box(&live_headers)))
        });
        #[cfg(hookguard_peers)]
        group.bench_function(BenchmarkId::from_parameter("svix"), |b| {
            b.iter(|| svix_webhook.verify(black_box(body.as_slice()), black_box(&svix_headers)))
        });
        group.finish();
        #[cfg(hookguard_peers)]
        svix_webhook
            .verify(&body, &svix_headers)
            .expect("svix still verifies after its run");

        // The reference checks its window against the wall clock: still inside it now means
        // every timed iteration above succeeded too.
        reference
            .verify(&body, &live_headers)
            .expect("standardwebhooks still verifies after its run");
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = bench_verify
}
criterion_main!(benches);
