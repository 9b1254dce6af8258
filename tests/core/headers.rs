//! Duplicate, oversized, non-ASCII and over-long headers, and ids outside the charset.

use hookguard::{Provider, Rejection};
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::common::*;

fn sw() -> (hookguard::Verifier, HeaderMap, Vec<u8>) {
    let p = Provider::StandardWebhooks;
    let b = body(p);
    (verifier(p), sign(p, &b, TS), b)
}

/// Mailgun's headers are its body's signature object: the same checks, on the object.
fn body_carried_object_duplicated_missing_or_non_ascii_is_refused(p: Provider) {
    let (h, b) = signed(p, &body(p), TS);
    let v = verifier(p);
    let object = signature_object_range(&b);
    let member = format!(
        r#""signature":{}"#,
        String::from_utf8_lossy(&b[object.clone()])
    );
    // The object twice (valid first or last), then without it.
    for dup in [
        splice(&b, object.end..object.end, format!(",{member}").as_bytes()),
        splice(&b, 1..1, format!("{member},").as_bytes()),
    ] {
        assert_eq!(
            check(&v, &h, &dup, now()),
            Err(Rejection::MalformedPayload),
            "{p}"
        );
    }
    let without = splice(&b, 1..object.end + 1, b"");
    assert_eq!(
        check(&v, &h, &without, now()),
        Err(Rejection::MissingSignature),
        "{p}"
    );
    // Each field twice, and each field missing.
    for field in ["timestamp", "token", "signature"] {
        let text = String::from_utf8_lossy(&b[object.clone()]).into_owned();
        let start = text.find(&format!(r#""{field}":""#)).unwrap();
        let end = start
            + text[start..]
                .find("\",")
                .map_or(text.len() - 1 - start, |e| e + 1);
        let pair = &text[start..end];
        let twice = text.replacen(pair, &format!("{pair},{pair}"), 1);
        let twice = splice(&b, object.clone(), twice.as_bytes());
        assert_eq!(
            check(&v, &h, &twice, now()),
            Err(Rejection::MalformedPayload),
            "{p} {field}"
        );
        let gone = text
            .replacen(pair, "", 1)
            .replace(",,", ",")
            .replace("{,", "{")
            .replace(",}", "}");
        let gone = splice(&b, object.clone(), gone.as_bytes());
        let expected = if field == "signature" {
            Rejection::MissingSignature
        } else {
            Rejection::MalformedPayload
        };
        assert_eq!(check(&v, &h, &gone, now()), Err(expected), "{p} {field}");
    }
    // A non-ASCII byte in the signature text (the body stays valid UTF-8 JSON).
    let sig = body_signature_range(&b);
    let m = splice(&b, sig.end..sig.end, "é".as_bytes());
    assert_eq!(
        check(&v, &h, &m, now()),
        Err(Rejection::MalformedPayload),
        "{p}"
    );
}

#[test]
fn every_required_header_duplicated_is_refused_for_every_preset() {
    let mut body_carried = 0;
    for &p in Provider::ALL {
        if in_body(p) {
            body_carried_object_duplicated_missing_or_non_ascii_is_refused(p);
            body_carried += 1;
            continue;
        }
        let b = body(p);
        let h = sign(p, &b, TS);
        let v = verifier(p);
        for name in signed_headers(p) {
            let original = h[&name].clone();
            // Same value twice, and an invalid value before or after the valid one.
            for extra in [original.clone(), HeaderValue::from_static("x")] {
                for valid_first in [true, false] {
                    let mut m = h.clone();
                    m.remove(&name);
                    let (a, c) = if valid_first {
                        (&original, &extra)
                    } else {
                        (&extra, &original)
                    };
                    m.append(name.clone(), a.clone());
                    m.append(name.clone(), c.clone());
                    assert_eq!(
                        check(&v, &m, &b, now()),
                        Err(Rejection::DuplicateHeader(name.clone())),
                        "{p}: {name}"
                    );
                }
            }
        }
    }
    assert_eq!(
        body_carried, 1,
        "mailgun: checked on its body's signature object"
    );
}

#[test]
fn every_required_header_missing_is_refused_for_every_preset() {
    for &p in Provider::ALL {
        if in_body(p) {
            // No headers; its missing fields are checked by the duplicate test above.
            assert!(signed_headers(p).is_empty());
            continue;
        }
        let b = body(p);
        let h = sign(p, &b, TS);
        let v = verifier(p);
        for (i, name) in signed_headers(p).into_iter().enumerate() {
            let mut m = h.clone();
            m.remove(&name);
            let r = check(&v, &m, &b, now());
            let expected = if i == 0 {
                Rejection::MissingSignature
            } else {
                Rejection::MissingHeader(name.clone())
            };
            assert_eq!(r, Err(expected), "{p}: {name}");
            assert_eq!(r.unwrap_err().status(), http::StatusCode::UNAUTHORIZED);
        }
    }
}

#[test]
fn a_repeated_timestamp_inside_one_value_is_refused() {
    let p = Provider::Stripe;
    let b = body(p);
    let h = sign(p, &b, TS);
    let value = h["stripe-signature"].to_str().unwrap().to_owned();
    let v = verifier(p);
    for mutated in [
        format!("{value},t={TS}"),
        format!("t={TS},{value}"),
        format!("t=1,{value}"),
    ] {
        let m = with_header(
            &h,
            &HeaderName::from_static("stripe-signature"),
            mutated.as_bytes(),
        )
        .unwrap();
        assert_eq!(
            check(&v, &m, &b, now()),
            Err(Rejection::MalformedHeader(HeaderName::from_static(
                "stripe-signature"
            ))),
            "{mutated}"
        );
    }
}

#[test]
fn more_than_eight_entries_are_refused_even_with_a_valid_one() {
    let (v, h, b) = sw();
    let good = h["webhook-signature"].to_str().unwrap().to_owned();
    let filler = format!("v1,{}=", "A".repeat(43));
    let name = HeaderName::from_static("webhook-signature");
    let eight = std::iter::repeat_n(filler.as_str(), 7)
        .chain([good.as_str()])
        .collect::<Vec<_>>()
        .join(" ");
    let m = with_header(&h, &name, eight.as_bytes()).unwrap();
    assert!(
        check(&v, &m, &b, now()).is_ok(),
        "8 entries are within the bound"
    );
    let nine = format!("{filler} {eight}");
    let m = with_header(&h, &name, nine.as_bytes()).unwrap();
    assert_eq!(check(&v, &m, &b, now()), Err(Rejection::TooManySignatures));
    let thousand = std::iter::repeat_n(filler.as_str(), 1000)
        .collect::<Vec<_>>()
        .join(" ");
    let m = with_header(&h, &name, thousand.as_bytes()).unwrap();
    assert!(check(&v, &m, &b, now()).is_err());
}

#[test]
fn non_ascii_header_bytes_are_refused() {
    for &p in Provider::ALL {
        if in_body(p) {
            // No headers; a non-ASCII byte in its signature object is checked above.
            assert!(signed_headers(p).is_empty());
            continue;
        }
        let b = body(p);
        let h = sign(p, &b, TS);
        let v = verifier(p);
        for name in signed_headers(p) {
            let mut value = h[&name].as_bytes().to_vec();
            value.push(0xE9);
            let m = with_header(&h, &name, &value).unwrap();
            assert_eq!(
                check(&v, &m, &b, now()),
                Err(Rejection::MalformedHeader(name.clone())),
                "{p}: {name}"
            );
        }
    }
}

#[test]
fn ids_outside_the_charset_or_too_long_are_refused_before_any_mac() {
    let (v, h, b) = sw();
    let name = HeaderName::from_static("webhook-id");
    let long = "a".repeat(257);
    for bad in ["msg.1", "msg 1", "msg/1", "", "msg%2e", long.as_str()] {
        let m = with_header(&h, &name, bad.as_bytes()).unwrap();
        assert_eq!(
            check(&v, &m, &b, now()),
            Err(Rejection::MalformedHeader(name.clone())),
            "{bad:?}"
        );
    }
}

#[test]
fn id_dot_ambiguity_cannot_move_bytes_between_id_and_body() {
    // "x.1700000000.{body}" signed for id "x"; the same bytes split as id "x.1700000000"...
    // would need a '.' in the id, which is refused, so the shift is impossible.
    let (v, h, b) = sw();
    let mut m = h.clone();
    m.insert(
        "webhook-id",
        HeaderValue::from_static("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W.1700000000"),
    );
    assert!(check(&v, &m, &b, now()).is_err());
}

#[test]
fn oversized_header_values_are_refused_without_work() {
    let (v, h, b) = sw();
    let name = HeaderName::from_static("webhook-signature");
    let huge = format!("v1,{}", "A".repeat(10_000));
    let m = with_header(&h, &name, huge.as_bytes()).unwrap();
    assert_eq!(
        check(&v, &m, &b, now()),
        Err(Rejection::MalformedHeader(name))
    );
}

#[test]
fn encodings_must_be_canonical() {
    // Upper-case hex of a valid GitHub MAC is refused (one text per MAC).
    let p = Provider::Github;
    let b = body(p);
    let h = sign(p, &b, TS);
    let value = h["x-hub-signature-256"].to_str().unwrap();
    let upper = format!("sha256={}", value["sha256=".len()..].to_uppercase());
    let m = with_header(
        &h,
        &HeaderName::from_static("x-hub-signature-256"),
        upper.as_bytes(),
    )
    .unwrap();
    assert_eq!(
        check(&verifier(p), &m, &b, now()),
        Err(Rejection::MalformedHeader(HeaderName::from_static(
            "x-hub-signature-256"
        )))
    );
    // Unpadded and URL-safe base64 of a valid Shopify MAC are refused.
    let p = Provider::Shopify;
    let b = body(p);
    let h = sign(p, &b, TS);
    let value = h["x-shopify-hmac-sha256"].to_str().unwrap().to_owned();
    let name = HeaderName::from_static("x-shopify-hmac-sha256");
    for variant in [
        value.trim_end_matches('=').to_owned(),
        value.replace('+', "-").replace('/', "_"),
    ] {
        if variant == value {
            continue;
        }
        let m = with_header(&h, &name, variant.as_bytes()).unwrap();
        assert_eq!(
            check(&verifier(p), &m, &b, now()),
            Err(Rejection::MalformedHeader(name.clone())),
            "{variant}"
        );
    }
}

#[test]
fn every_rejection_has_a_stable_code_and_a_4xx_status() {
    let name = HeaderName::from_static("x");
    let all = [
        (Rejection::MissingSignature, "missing_signature", 401),
        (
            Rejection::MissingHeader(name.clone()),
            "missing_header",
            401,
        ),
        (
            Rejection::DuplicateHeader(name.clone()),
            "duplicate_header",
            400,
        ),
        (Rejection::MalformedHeader(name), "malformed_header", 400),
        (Rejection::TooManySignatures, "too_many_signatures", 400),
        (Rejection::SignatureMismatch, "signature_mismatch", 401),
        (
            Rejection::TimestampOutOfWindow,
            "timestamp_out_of_window",
            401,
        ),
        (Rejection::MalformedPayload, "malformed_payload", 400),
    ];
    for (r, code, status) in all {
        assert_eq!(r.code(), code);
        assert_eq!(r.status().as_u16(), status, "{code}");
    }
}

/// The pipeline's own refusals keep the codes and statuses they had when they were variants
/// of `Rejection`; the core's are wrapped unchanged.
#[cfg(feature = "pipeline")]
#[test]
fn every_pipeline_refusal_has_a_stable_code_and_status() {
    use hookguard::clock::ManualClock;
    use hookguard::pipeline::Refusal;
    use hookguard::ratelimit::{ClientKey, RateLimit, RateLimiter};
    use hookguard::replay::ClaimError;
    use std::time::Duration;
    let limiter = RateLimiter::with_clock(
        RateLimit::per_second(1).unwrap().burst(1),
        RateLimit::per_second(1).unwrap(),
        ManualClock::default(),
    );
    let client = ClientKey::Ip("203.0.113.1".parse().unwrap());
    let limited = (0..2).find_map(|_| limiter.admit(&client).err()).unwrap();
    let wait = Duration::from_secs(2);
    let all = [
        (
            Refusal::from(Rejection::SignatureMismatch),
            "signature_mismatch",
            401,
        ),
        (Refusal::PayloadTooLarge, "payload_too_large", 413),
        (Refusal::BodyTimeout, "body_timeout", 408),
        (Refusal::UnsupportedEncoding, "unsupported_encoding", 415),
        (Refusal::from(limited), "rate_limited", 429),
        (Refusal::BodyReadFailed, "body_read_failed", 400),
        (Refusal::MethodNotAllowed, "method_not_allowed", 405),
        (Refusal::ClientKeyUnavailable, "client_key_unavailable", 500),
        (
            Refusal::from(ClaimError::InFlight { retry_after: wait }),
            "delivery_in_flight",
            409,
        ),
        (
            Refusal::from(ClaimError::CoolingDown { retry_after: wait }),
            "delivery_cooling_down",
            409,
        ),
        (
            Refusal::from(ClaimError::Conflict),
            "delivery_conflict",
            409,
        ),
        (
            Refusal::from(ClaimError::Unavailable { retry_after: wait }),
            "unavailable",
            503,
        ),
        (
            Refusal::Unavailable { retry_after: wait },
            "unavailable",
            503,
        ),
    ];
    for (r, code, status) in all {
        assert_eq!(r.code(), code);
        assert_eq!(r.status().as_u16(), status, "{code}");
        assert_eq!(
            r.retry_after().is_some(),
            matches!(status, 429 | 503) || code != "delivery_conflict" && status == 409,
            "{code}"
        );
    }
}
