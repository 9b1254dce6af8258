//! hookguard `verify` vs a bare HMAC-SHA256 + constant-time compare, as a ratio measured with
//! interleaved batches: A and B alternate every few thousand calls, so a noisy neighbour slows
//! both alike and the ratio stays meaningful on a shared machine.
//!
//! `cargo bench --bench verify_ratio`

use std::hint::black_box;
use std::time::{Duration, Instant, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use hookguard::{Delivery, Provider, Signer, Verifier};
use http::{Method, Uri};
use sha2::Sha256;
use subtle::ConstantTimeEq;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TS: i64 = 1_614_265_330;

fn body(size: usize) -> Vec<u8> {
    let mut b = br#"{"data":""#.to_vec();
    let mut x: u32 = 2_463_534_242;
    while b.len() < size - 2 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b.push(b"abcdefghijklmnopqrstuvwxyz0123456789"[(x % 36) as usize]);
    }
    b.extend_from_slice(b"\"}");
    b
}

fn raw(key: &[u8], ts: &str, body: &[u8], sig_b64: &str) -> bool {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(ID.as_bytes());
    mac.update(b".");
    mac.update(ts.as_bytes());
    mac.update(b".");
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    let Ok(offered) = STANDARD.decode(sig_b64) else {
        return false;
    };
    offered.len() == expected.len() && bool::from(expected.ct_eq(&offered))
}

fn time_batch(n: usize, mut f: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        assert!(black_box(f()));
    }
    start.elapsed()
}

fn main() {
    let key = STANDARD.decode(&SECRET[6..]).unwrap();
    let verifier = Verifier::builder(Provider::StandardWebhooks)
        .secret(SECRET)
        .build()
        .unwrap();
    let signer = Signer::new(Provider::StandardWebhooks, SECRET).unwrap();
    let now = UNIX_EPOCH + Duration::from_secs(TS as u64);
    let (method, uri) = (Method::POST, Uri::from_static("/webhook"));
    println!(
        "| body | hookguard | raw HMAC + compare | ratio (median of 41 interleaved batches) |"
    );
    println!("|---|---|---|---|");
    for size in [256usize, 1024, 16 * 1024, 1024 * 1024] {
        let body = body(size);
        let headers = signer
            .sign(&Delivery::new(body.clone()).id(ID).timestamp(TS))
            .unwrap();
        let sig = headers["webhook-signature"].to_str().unwrap()[3..].to_owned();
        let ts = TS.to_string();
        let batch = (4_000_000 / size).clamp(20, 4000);
        let mut ratios = Vec::new();
        let (mut ta, mut tb) = (Vec::new(), Vec::new());
        for round in 0..42 {
            let a = time_batch(batch, || {
                verifier
                    .verify_at(&method, &uri, black_box(&headers), black_box(&body), now)
                    .is_ok()
            });
            let b = time_batch(batch, || {
                raw(black_box(&key), &ts, black_box(&body), black_box(&sig))
            });
            if round == 0 {
                continue; // warm-up
            }
            ratios.push(a.as_secs_f64() / b.as_secs_f64());
            ta.push(a.as_secs_f64() / batch as f64);
            tb.push(b.as_secs_f64() / batch as f64);
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let label = if size >= 1024 * 1024 {
            format!("{} MiB", size >> 20)
        } else if size >= 1024 {
            format!("{} KiB", size >> 10)
        } else {
            format!("{size} B")
        };
        println!(
            "| {label} | {:.0} ns | {:.0} ns | {:.3} |",
            median(&mut ta) * 1e9,
            median(&mut tb) * 1e9,
            median(&mut ratios)
        );
    }
}
