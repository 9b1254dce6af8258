//! Secrets and bodies never reach `Debug`, `Display`, errors or logs (security.md P18).

use std::sync::{Arc, Mutex};

use hookguard::{Delivery, Keyring, Provider, Secret, Signer, Verifier};
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::common::*;

const SECRET: &str = "CANARYsecret7f3a9";
const BODY: &str = r#"{"note":"CANARYbody51c2","webhookTimestamp":1700000000000}"#;

/// The canaries as text, as hex, and as a `Debug` list of bytes (`[67, 65, 78, …]`), so a
/// leak through `Vec<u8>`'s `Debug` is caught too.
fn leaks(text: &str) -> bool {
    ["CANARYsecret", "CANARYbody"].iter().any(|canary| {
        let bytes = canary.as_bytes();
        let decimal = bytes
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        text.contains(canary) || text.contains(&hex::encode(bytes)) || text.contains(&decimal)
    })
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn no_public_type_or_rejection_path_prints_the_secret_or_the_body() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let mut printed = String::new();
    tracing::subscriber::with_default(subscriber, || {
        for &p in Provider::ALL {
            if p.scheme().is_public_key() {
                continue; // public-key schemes: no shared secret to leak
            }
            let secret = &secret_text(p, SECRET);
            let v = Verifier::builder(p)
                .secret(secret)
                .public_origin(ORIGIN)
                .build()
                .unwrap();
            let builder = Verifier::builder(p).secret(secret);
            printed += &format!("{v:?} {builder:?}");
            let signer = Signer::new(p, secret).unwrap();
            printed += &format!("{signer:?} {:?}", Secret::from_text(SECRET).unwrap());
            let delivery = Delivery::new(BODY.as_bytes().to_vec())
                .id("msg_1")
                .timestamp(TS)
                .url(format!("{ORIGIN}{PATH}"));
            printed += &format!("{delivery:?}");
            let signed = signer.sign_with_body(&delivery).unwrap();
            let (good, good_body) = (signed.headers, signed.body);
            let ok = check(&v, &good, &good_body, now()).unwrap();
            printed += &format!("{ok:?} {} {}", ok.delivery_id(), ok.key_id());
            // Every rejection path we can reach from the outside: the signature replaced by
            // canaries and junk, duplicated, and absent; in its header, or (Mailgun) in the
            // body's signature object.
            let bads = [
                &b"CANARYsecret7f3a9"[..],
                b"v1,CANARYbody",
                b"sha256=zz",
                b"",
            ];
            let mut variants: Vec<(HeaderMap, Vec<u8>)> = Vec::new();
            if in_body(p) {
                let sig = body_signature_range(&good_body);
                let object = signature_object_range(&good_body);
                variants.push((good.clone(), splice(&good_body, 1..object.end + 1, b"")));
                for bad in bads {
                    variants.push((good.clone(), splice(&good_body, sig.clone(), bad)));
                }
                let member = [&br#","signature":"#[..], &good_body[object.clone()]].concat();
                let dup = splice(&good_body, object.end..object.end, &member);
                variants.push((good.clone(), dup));
            } else {
                let sig = signature_header(p);
                variants.push((HeaderMap::new(), good_body.to_vec()));
                for bad in bads {
                    let mut h = good.clone();
                    h.insert(sig.clone(), HeaderValue::from_bytes(bad).unwrap());
                    variants.push((h, good_body.to_vec()));
                }
                let mut dup = good.clone();
                dup.append(sig.clone(), HeaderValue::from_static(SECRET));
                variants.push((dup, good_body.to_vec()));
            }
            for (h, signed_body) in &variants {
                for body in [&signed_body[..], b"CANARYbody tampered"] {
                    for t in [now(), at(0)] {
                        if let Err(r) = check(&v, h, body, t) {
                            printed += &format!("{r} {r:?} {} ", r.code());
                        }
                    }
                }
            }
        }
        for e in [
            Secret::from_text(" CANARYsecret").unwrap_err(),
            Secret::from_hex("CANARYsecret").unwrap_err(),
            Secret::standard_webhooks("whsec_CANARYsecret!").unwrap_err(),
            Verifier::builder(Provider::Github).build().unwrap_err(),
        ] {
            printed += &format!("{e} {e:?}");
        }
        let ring = Keyring::new()
            .with("k1", Secret::from_text(SECRET).unwrap())
            .unwrap();
        printed += &format!("{ring:?} {:?}", Provider::Stripe.scheme());
        printed += &format!("{:?}", HeaderName::from_static("x"));
    });
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        printed.len() > 1000,
        "the test printed too little to mean anything"
    );
    assert!(!leaks(&printed), "leak in Debug/Display/errors: {printed}");
    assert!(!leaks(&logs), "leak in logs: {logs}");
}
