//! What schemes, verifiers and verified deliveries report about themselves, the configuration
//! checks behind `public_url` and plain tokens, and the header-length boundary.

use hookguard::{ConfigError, Handshake, Provider, Rejection, Verifier};
use http::HeaderName;

use crate::common::*;

#[test]
fn every_scheme_reports_what_it_signs() {
    for &p in Provider::ALL {
        let s = p.scheme();
        assert_eq!(s.name(), p.name(), "{p}");
        assert!(format!("{s:?}").contains(p.name()), "{p}: {s:?}");
    }
    let s = |p: Provider| p.scheme();
    assert!(s(Provider::Twilio).signs_url() && s(Provider::Square).signs_url());
    assert!(!s(Provider::Github).signs_url() && !s(Provider::Stripe).signs_url());
    assert!(s(Provider::Stripe).has_timestamp() && s(Provider::StandardWebhooks).has_timestamp());
    assert!(!s(Provider::Github).has_timestamp() && !s(Provider::Shopify).has_timestamp());
    assert!(s(Provider::StandardWebhooks).has_signed_id());
    assert!(!s(Provider::Stripe).has_signed_id() && !s(Provider::Github).has_signed_id());
    assert_eq!(
        s(Provider::Zoom).handshake(),
        Some(Handshake::ZoomUrlValidation)
    );
    assert_eq!(s(Provider::Github).handshake(), None);
    assert_eq!(
        s(Provider::Github)
            .signature_header()
            .map(HeaderName::as_str),
        Some("x-hub-signature-256")
    );
    assert!(s(Provider::Mailgun).signature_header().is_none());
    assert!(s(Provider::Mailgun).signature_in_body() && !s(Provider::Github).signature_in_body());
}

#[test]
fn handshakes_know_whether_they_arrive_as_get() {
    assert!(Handshake::DropboxChallenge.is_get() && Handshake::MetaVerifyToken.is_get());
    assert!(Handshake::OktaVerification.is_get() && Handshake::XCrc.is_get());
    assert!(!Handshake::SlackUrlVerification.is_get());
    assert!(!Handshake::ZoomUrlValidation.is_get());
    assert!(!Handshake::TwitchCallbackVerification.is_get());
}

#[test]
fn a_verified_delivery_reports_provider_timestamp_and_id() {
    let p = Provider::StandardWebhooks;
    let b = body(p);
    let v = check(&verifier(p), &sign(p, &b, TS), &b, now()).unwrap();
    assert_eq!(v.provider(), "standard-webhooks");
    assert_eq!(v.timestamp(), Some(TS));
    assert_eq!(v.delivery_id().as_str(), "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W");
    assert_eq!(
        format!("{:?}", v.delivery_id()),
        "\"msg_2KWPBgLlAfxdpx2AI54pPJ85f4W\""
    );
    let p = Provider::Github;
    let b = body(p);
    let v = check(&verifier(p), &sign(p, &b, TS), &b, now()).unwrap();
    assert_eq!((v.provider(), v.timestamp()), ("github", None));
    assert!(v.delivery_id().as_str().starts_with("sha256:"));
}

#[test]
fn debug_names_the_scheme_and_key_ids_and_never_the_secret() {
    let builder = Verifier::builder(Provider::Stripe).secret("whsec_canary_secret_value");
    let shown = format!("{builder:?}");
    assert!(
        shown.contains("stripe") && !shown.contains("canary"),
        "{shown}"
    );
    let v = builder.build().unwrap();
    let shown = format!("{v:?}");
    assert!(
        shown.contains("stripe") && shown.contains("tolerance: 300s"),
        "{shown}"
    );
    assert!(shown.contains("keys: ["), "{shown}");
    assert!(!shown.contains("canary"), "{shown}");
}

#[test]
fn the_public_url_must_be_a_bare_http_origin() {
    let build = |url: &str| {
        Verifier::builder(Provider::Twilio)
            .secret("twilio_auth_token")
            .public_origin(url)
            .build()
            .map(|_| ())
    };
    assert_eq!(build("https://hooks.example.com"), Ok(()));
    assert_eq!(build("https://hooks.example.com/"), Ok(()));
    assert_eq!(build("http://127.0.0.1:8080"), Ok(()));
    for bad in [
        "https://hooks.example.com/webhook",
        "https://hooks.example.com/?a=1",
        "https://hooks.example.com?a=1",
        "ftp://hooks.example.com",
        "ftp://hooks.example.com/path",
        "/webhook",
        "hooks.example.com",
    ] {
        assert_eq!(build(bad), Err(ConfigError::InvalidPublicUrl), "{bad}");
    }
}

#[test]
fn a_plain_token_must_be_visible_ascii() {
    let build = |token: &str| {
        Verifier::builder(Provider::Gitlab)
            .secret(token)
            .build()
            .map(|_| ())
    };
    assert_eq!(build("glpat token ~!"), Ok(()));
    for bad in ["tab\there", "nul\0", "del\u{7f}", "bell\u{7}x"] {
        assert_eq!(
            build(bad),
            Err(ConfigError::InvalidSecret("token of visible ASCII")),
            "{bad:?}"
        );
    }
}

#[test]
fn a_header_of_exactly_4096_bytes_is_read_and_one_longer_is_refused() {
    // Stripe's list header, padded with a second `v1=` entry of long, valid, lower-case hex:
    // it decodes to more bytes than any MAC, so it cannot match, and the real entry verifies.
    let p = Provider::Stripe;
    let name = HeaderName::from_static("stripe-signature");
    let b = body(p);
    let h = sign(p, &b, TS);
    let value = h[&name].to_str().unwrap().to_owned();
    let padded = |len: usize| {
        let filler = len - value.len() - ",v1=".len();
        format!("{value},v1={}", "ab".repeat(filler / 2))
    };
    let v = verifier(p);
    let exact = padded(4096);
    assert_eq!(exact.len(), 4096);
    let m = with_header(&h, &name, exact.as_bytes()).unwrap();
    assert!(check(&v, &m, &b, now()).is_ok());
    let over = padded(4098);
    let m = with_header(&h, &name, over.as_bytes()).unwrap();
    assert_eq!(
        check(&v, &m, &b, now()),
        Err(Rejection::MalformedHeader(name))
    );
}

#[test]
fn a_list_header_needs_its_timestamp_only_when_it_carries_a_signature() {
    let p = Provider::Stripe;
    let name = HeaderName::from_static("stripe-signature");
    let b = body(p);
    let h = sign(p, &b, TS);
    let value = h[&name].to_str().unwrap().to_owned();
    let v1 = value.split(',').find(|i| i.starts_with("v1=")).unwrap();
    let v = verifier(p);
    // A signature without `t=`: malformed.
    let m = with_header(&h, &name, v1.as_bytes()).unwrap();
    assert_eq!(
        check(&v, &m, &b, now()),
        Err(Rejection::MalformedHeader(name.clone()))
    );
    // Only another scheme version, no `t=`: no signature of ours, not a malformed header.
    let v0 = v1.replacen("v1=", "v0=", 1);
    let m = with_header(&h, &name, v0.as_bytes()).unwrap();
    assert_eq!(check(&v, &m, &b, now()), Err(Rejection::MissingSignature));
}

#[test]
fn a_body_signature_of_4096_characters_is_read_and_a_longer_one_is_refused() {
    let p = Provider::Mailgun;
    let (h, b) = signed(p, &body(p), TS);
    let at = body_signature_range(&b);
    let with_signature = |text: &str| {
        let mut out = b[..at.start].to_vec();
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(&b[at.end..]);
        out
    };
    let v = verifier(p);
    // Valid lower-case hex, too long to be a MAC: read, then no match.
    let exact = with_signature(&"ab".repeat(2048));
    assert_eq!(
        check(&v, &h, &exact, now()),
        Err(Rejection::SignatureMismatch)
    );
    let over = with_signature(&"ab".repeat(2049));
    assert_eq!(
        check(&v, &h, &over, now()),
        Err(Rejection::MalformedPayload)
    );
}
