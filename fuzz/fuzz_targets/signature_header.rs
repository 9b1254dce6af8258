//! Arbitrary bytes as the signature header value (and the timestamp and id headers) for every
//! provider in `Provider::ALL`.
//!
//! Input: `SIGNATURE_VALUE [LF TIMESTAMP_VALUE [LF ID_VALUE]]` (raw bytes; a part that is not
//! a valid `HeaderValue` leaves that header out). The body and the URL are the provider's
//! fixed sample; "now" is `TS`. For Mailgun, whose signature travels in the body, the three
//! parts (as lossy UTF-8) are the `signature`, `timestamp` and `token` strings of the body's
//! signature object instead.
//!
//! Checks: `verify_at` returns (no panic) for every provider; it returns `Ok` only when the
//! header carries the exact signature the `Signer` produces for that id and timestamp, the
//! timestamp is canonical and within ±300 s; and it never returns `Ok` for a verifier whose
//! secret is random (unknown to the fuzzer).
#![no_main]

use hookguard_fuzz::{
    ID, Info, PATH, TOLERANCE, TS, body_with_signature_object, find, infos, now, sign, sign_body,
};
use http::{HeaderMap, HeaderValue, Method, Uri};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == b'\n');
    let sig = parts.next().and_then(|v| HeaderValue::from_bytes(v).ok());
    let ts = parts.next().and_then(|v| HeaderValue::from_bytes(v).ok());
    let id = parts.next().and_then(|v| HeaderValue::from_bytes(v).ok());
    let uri = Uri::from_static(PATH);
    let texts: Vec<String> = data
        .splitn(3, |&b| b == b'\n')
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    let text = |i: usize| texts.get(i).map_or("", String::as_str);
    for info in infos() {
        let Some(sig_header) = &info.sig_header else {
            in_body(info, text(0), text(1), text(2));
            continue;
        };
        let mut headers = HeaderMap::new();
        if let Some(v) = &sig {
            headers.insert(sig_header.clone(), v.clone());
        }
        if let (Some(n), Some(v)) = (&info.ts_header, &ts) {
            headers.insert(n.clone(), v.clone());
        }
        if let (Some(n), Some(v)) = (&info.id_header, &id) {
            headers.insert(n.clone(), v.clone());
        }
        let forged =
            info.random_verifier
                .verify_at(&Method::POST, &uri, &headers, &info.body, now());
        assert!(
            forged.is_err(),
            "{}: verified under a random secret: {forged:?}",
            info.provider
        );
        if let Ok(v) = info
            .verifier
            .verify_at(&Method::POST, &uri, &headers, &info.body, now())
        {
            genuine(info, &headers, &v);
        }
    }
});

/// An accepted delivery must carry the signature the signer makes for the same signed facts.
fn genuine(info: &Info, headers: &HeaderMap, v: &hookguard::Verified) {
    let p = info.provider;
    let ts = v.timestamp();
    if let Some(ts) = ts {
        assert!(
            (ts - TS).abs() <= TOLERANCE,
            "{p}: accepted ts {ts} outside the window"
        );
    }
    let id = match &info.id_header {
        Some(name) => {
            let id = headers[name].to_str().expect("accepted id is ASCII");
            assert_eq!(
                v.delivery_id().as_str(),
                id,
                "{p}: delivery id is not the signed id"
            );
            id
        }
        None => ID,
    };
    let signed = sign(p, &info.body, ts.unwrap_or(TS), id).expect("signer");
    if let Some(name) = &info.ts_header {
        // The accepted timestamp text is the one form the signer writes for that instant.
        assert_eq!(
            headers[name].as_bytes(),
            signed[name].as_bytes(),
            "{p}: accepted a non-canonical timestamp header"
        );
    }
    if !info.deterministic {
        return; // randomized signatures (ECDSA): the random-secret check is the oracle
    }
    let sig_header = info.sig_header.as_ref().expect("a header scheme");
    let expected = signed[sig_header].as_bytes();
    let sig_text = &expected[expected.len() - info.sig_text_len..];
    let offered = headers[sig_header].as_bytes();
    assert!(
        find(offered, sig_text).is_some(),
        "{p}: accepted {:?}, which lacks the genuine signature {:?}",
        String::from_utf8_lossy(offered),
        String::from_utf8_lossy(sig_text)
    );
}

/// Mailgun: the texts as the body's signature object. Accepted only if the token is the
/// delivery id, the timestamp is the canonical text of an instant within the window, and the
/// body is exactly what the signer writes for that timestamp and token.
fn in_body(info: &Info, sig: &str, ts: &str, token: &str) {
    let p = info.provider;
    let body = body_with_signature_object(&info.body, ts, token, sig);
    let headers = HeaderMap::new();
    let uri = Uri::from_static(PATH);
    let forged = info
        .random_verifier
        .verify_at(&Method::POST, &uri, &headers, &body, now());
    assert!(
        forged.is_err(),
        "{p}: verified under a random secret: {forged:?}"
    );
    let Ok(v) = info
        .verifier
        .verify_at(&Method::POST, &uri, &headers, &body, now())
    else {
        return;
    };
    assert_eq!(
        v.delivery_id().as_str(),
        token,
        "{p}: delivery id is not the signed token"
    );
    let t = v.timestamp().expect("a signed timestamp");
    assert!(
        (t - TS).abs() <= TOLERANCE,
        "{p}: accepted ts {t} outside the window"
    );
    assert_eq!(ts, t.to_string(), "{p}: accepted a non-canonical timestamp");
    let (_, signed) = sign_body(p, &info.body, t, token).expect("signer");
    assert_eq!(
        signed, body,
        "{p}: accepted a signature the signer does not make"
    );
}
