//! Arbitrary text as the timestamp header of Standard Webhooks, Svix, Slack and Zoom, and as
//! the `timestamp` string of Mailgun's body signature object, with a valid MAC computed
//! (here, independently of hookguard) over that exact text, so only the timestamp rules can
//! refuse.
//!
//! Input: one selector byte (provider = byte % 5), then the timestamp text.
//!
//! Checks: no panic; `Ok` exactly when the text is canonical decimal (`0|[1-9][0-9]*`, fits
//! i64) within ±300 s of `TS`; otherwise `malformed_header` (Mailgun: `malformed_payload`)
//! (not canonical / too large) or `timestamp_out_of_window`. For canonical in-range timestamps the harness's own MAC must
//! equal the `Signer`'s (so the oracle is not vacuous).
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use hookguard::Provider;
use hookguard_fuzz::{
    ID, PATH, SHARED, TOLERANCE, TS, WHSEC, body_with_signature_object, canonical_decimal, infos,
    now, sign, sign_body,
};
use http::{HeaderMap, HeaderValue, Method, Uri};
use libfuzzer_sys::fuzz_target;
use sha2::Sha256;

const PROVIDERS: [Provider; 5] = [
    Provider::StandardWebhooks,
    Provider::Svix,
    Provider::Slack,
    Provider::Zoom,
    Provider::Mailgun,
];

fn mac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

fuzz_target!(|data: &[u8]| {
    let infos = infos(); // lazy init on the first input, even an empty one
    let Some((&sel, ts)) = data.split_first() else {
        return;
    };
    let p = PROVIDERS[usize::from(sel) % PROVIDERS.len()];
    let Ok(ts_value) = HeaderValue::from_bytes(ts) else {
        return; // not representable as a header value at all
    };
    let info = infos
        .iter()
        .find(|i| i.provider == p)
        .expect("provider info");
    if p == Provider::Mailgun {
        return mailgun(info, ts);
    }
    let body = &info.body;
    let sig_value = match p {
        Provider::StandardWebhooks | Provider::Svix => {
            let key = STANDARD.decode(&WHSEC["whsec_".len()..]).expect("whsec");
            let tag = mac(&key, &[ID.as_bytes(), b".", ts, b".", body]);
            format!("v1,{}", STANDARD.encode(tag))
        }
        _ => format!(
            "v0={}",
            hex::encode(mac(SHARED.as_bytes(), &[b"v0:", ts, b":", body]))
        ),
    };
    let mut headers = HeaderMap::new();
    let sig_header = info.sig_header.clone().expect("a header scheme");
    headers.insert(sig_header.clone(), sig_value.parse().expect("sig value"));
    headers.insert(info.ts_header.clone().expect("ts header"), ts_value);
    if let Some(id) = &info.id_header {
        headers.insert(id.clone(), HeaderValue::from_static(ID));
    }
    let result = info.verifier.verify_at(
        &Method::POST,
        &Uri::from_static(PATH),
        &headers,
        body,
        now(),
    );

    let canonical = canonical_decimal(ts).filter(|t| *t <= i128::from(i64::MAX));
    let in_window = canonical.is_some_and(|t| (t - i128::from(TS)).abs() <= i128::from(TOLERANCE));
    if let Some(t) = canonical {
        // The harness's MAC is the signer's MAC: the oracle below is not vacuous.
        let signed = sign(p, body, t as i64, ID).expect("signer");
        assert_eq!(
            signed[&sig_header].as_bytes(),
            sig_value.as_bytes(),
            "{p}: harness MAC differs from Signer for ts {t}"
        );
    }
    match (&result, canonical, in_window) {
        (Ok(v), Some(t), true) => assert_eq!(v.timestamp(), Some(t as i64)),
        (Err(e), None, _) => assert_eq!(e.code(), "malformed_header", "{p}: {ts:?}"),
        (Err(e), Some(_), false) => {
            assert_eq!(e.code(), "timestamp_out_of_window", "{p}: {ts:?}")
        }
        _ => panic!(
            "{p}: timestamp {:?} gave {result:?} (canonical {canonical:?}, in window {in_window})",
            String::from_utf8_lossy(ts)
        ),
    }
});

/// Mailgun: the text (when UTF-8) as the signature object's `timestamp`, with a valid
/// HMAC-SHA256 over `{text}{token}` under the shared test key.
fn mailgun(info: &hookguard_fuzz::Info, ts: &[u8]) {
    let p = info.provider;
    let Ok(text) = std::str::from_utf8(ts) else {
        return; // a JSON string holds UTF-8 only
    };
    let sig = hex::encode(mac(SHARED.as_bytes(), &[ts, ID.as_bytes()]));
    let body = body_with_signature_object(&info.body, text, ID, &sig);
    let result = info.verifier.verify_at(
        &Method::POST,
        &Uri::from_static(PATH),
        &HeaderMap::new(),
        &body,
        now(),
    );
    let canonical = canonical_decimal(ts).filter(|t| *t <= i128::from(i64::MAX));
    let in_window = canonical.is_some_and(|t| (t - i128::from(TS)).abs() <= i128::from(TOLERANCE));
    if let Some(t) = canonical {
        let (_, signed) = sign_body(p, &info.body, t as i64, ID).expect("signer");
        assert_eq!(
            signed, body,
            "{p}: harness body differs from Signer for ts {t}"
        );
    }
    match (&result, canonical, in_window) {
        (Ok(v), Some(t), true) => assert_eq!(v.timestamp(), Some(t as i64)),
        (Err(e), None, _) => assert_eq!(e.code(), "malformed_payload", "{p}: {text:?}"),
        (Err(e), Some(_), false) => {
            assert_eq!(e.code(), "timestamp_out_of_window", "{p}: {text:?}")
        }
        _ => panic!(
            "{p}: timestamp {text:?} gave {result:?} (canonical {canonical:?}, in window {in_window})"
        ),
    }
}
