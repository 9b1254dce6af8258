//! Arbitrary text into every `Secret` constructor, `Scheme::parse_secret` /
//! `parse_signing_secret`, `KeyId::new`, `DeliveryId::new`, and the verifier / signer builders
//! of every provider.
//!
//! Input: raw bytes (`Secret::from_bytes`), and their UTF-8 (lossy) text for the rest.
//!
//! Checks: no panic; and for a shared-secret provider (chosen by the first byte, to keep each
//! input well under 10 ms), if the same text builds both a `Signer` and a `Verifier`, a
//! delivery signed with it verifies (round trip).
#![no_main]

use hookguard::{DeliveryId, KeyId, Keyring, Provider, Secret, Signer};
use hookguard_fuzz::{ID, ORIGIN, PATH, TS, body, now, verifier_with};
use http::{Method, Uri};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Secret::from_bytes(data.to_vec());
    let text = String::from_utf8_lossy(data);
    let t = &*text;
    let _ = Secret::from_text(t);
    let _ = Secret::standard_webhooks(t);
    let _ = Secret::basic_auth(t);
    let _ = Secret::from_hex(t);
    let _ = Secret::from_base64(t);
    let _ = Secret::ed25519_public_key(t);
    let _ = Secret::ed25519_private_key(t);
    let _ = DeliveryId::new(t);
    let _ = t.parse::<Provider>();
    if let (Ok(id), Ok(secret)) = (KeyId::new(t), Secret::from_text(t)) {
        let _ = Keyring::new().with(id.as_str(), secret);
    }
    let chosen = data
        .first()
        .map_or(0, |&b| usize::from(b) % Provider::ALL.len());
    for (i, &p) in Provider::ALL.iter().enumerate() {
        let scheme = p.scheme();
        let _ = scheme.parse_secret(t);
        let _ = scheme.parse_signing_secret(t);
        if i != chosen || scheme.is_public_key() {
            continue;
        }
        let verifier = verifier_with(p, t);
        let signer = Signer::new(p, t);
        if let (Some(v), Ok(s)) = (verifier, signer) {
            let body = body(p);
            let delivery = hookguard::Delivery::new(body.clone())
                .id(ID)
                .timestamp(TS)
                .url(format!("{ORIGIN}{PATH}"));
            // (Mailgun: the body sent is the sample with its signature object added.)
            let hookguard::Signed { headers, body, .. } =
                s.sign_with_body(&delivery).expect("valid delivery signs");
            let r = v.verify_at(
                &Method::POST,
                &Uri::from_static(PATH),
                &headers,
                &body,
                now(),
            );
            assert!(
                r.is_ok(),
                "{p}: secret {t:?} signs but does not verify: {r:?}"
            );
        }
    }
});
