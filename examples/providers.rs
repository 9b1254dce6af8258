//! Signs a sample delivery for every preset, verifies it, then verifies a tampered copy, a
//! stale copy and a truncated signature, and prints what happened to each.
//!
//! `cargo run --example providers`

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hookguard::{Delivery, Provider, Signer, Verifier};
use http::{HeaderMap, HeaderValue, Method, Uri};

const ORIGIN: &str = "https://hooks.example.com";

/// (signing secret, verifying secret): equal for shared-secret schemes; the RFC 8032 test-1
/// key pair for Ed25519 schemes; a P-256 key pair for SendGrid.
fn secrets(p: Provider) -> (&'static str, &'static str) {
    match p {
        Provider::StandardWebhooks | Provider::Svix | Provider::Clerk | Provider::Resend => (
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ),
        Provider::StandardWebhooksV1a => (
            "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=",
            "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
        ),
        Provider::Discord => (
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        ),
        // A P-256 scalar and its public key (base64 DER SubjectPublicKeyInfo).
        Provider::Sendgrid => (
            "1f2e3d4c5b6a79880716253443526170ffeeddccbbaa99887766554433221100",
            "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEiZr+NziuyXgwYBX8xP7leSoqY8KVk+Wl3tMhWOWhqucU5NhEpQ2DvrBhvyXZGpub1rOiA+cUoh2MaZe//WaDDw==",
        ),
        Provider::Postmark => ("user:demo-signing-secret", "user:demo-signing-secret"),
        _ => ("demo-signing-secret", "demo-signing-secret"),
    }
}

fn sample_body(p: Provider, ts: i64) -> Vec<u8> {
    match p {
        Provider::Twilio => b"MessageSid=SM1&From=%2B15551234&Body=hello".to_vec(),
        Provider::Linear => {
            format!(r#"{{"type":"Issue","webhookTimestamp":{}}}"#, ts * 1000).into_bytes()
        }
        // The signer adds the `signature` object to this JSON object.
        Provider::Mailgun => br#"{"event-data":{"event":"delivered","id":"evt_1"}}"#.to_vec(),
        _ => br#"{"type":"invoice.paid","id":"evt_1"}"#.to_vec(),
    }
}

/// Cuts the last 8 characters off the hex signature inside a Mailgun-style signed body.
fn truncate_body_signature(body: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(body);
    let marker = r#""signature":""#;
    // The signature field (the object itself opens with `"signature":{`).
    let start = text.find(marker).map(|i| i + marker.len());
    match start {
        Some(start) => {
            let end = start + text[start..].find('"').unwrap_or(0);
            format!("{}{}", &text[..end - 8], &text[end..]).into_bytes()
        }
        None => body.to_vec(),
    }
}

fn outcome(v: &Verifier, headers: &HeaderMap, body: &[u8], now: SystemTime) -> String {
    match v.verify_at(
        &Method::POST,
        &Uri::from_static("/webhook"),
        headers,
        body,
        now,
    ) {
        Ok(verified) => format!("ok ({})", short(verified.delivery_id().as_str())),
        Err(rejection) => format!("{} {}", rejection.status().as_u16(), rejection.code()),
    }
}

fn short(id: &str) -> String {
    if id.len() > 16 {
        format!("{}…", &id[..16])
    } else {
        id.to_owned()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let now_unix = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64;
    let now = UNIX_EPOCH + Duration::from_secs(now_unix as u64);
    println!(
        "{:<22} {:<26} {:<26} {:<30} {:<26}",
        "provider", "valid", "tampered body", "stale (10 min old)", "truncated signature"
    );
    for &p in Provider::ALL {
        let (sign_key, verify_key) = secrets(p);
        let verifier = Verifier::builder(p)
            .secret(verify_key)
            .public_origin(ORIGIN)
            .build()?;
        let signer = Signer::new(p, sign_key)?;
        let delivery = |ts: i64| {
            Delivery::new(sample_body(p, ts))
                // Also Mailgun's token (the nonce): 50 random characters in real deliveries.
                .id("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W")
                .timestamp(ts)
                .url(format!("{ORIGIN}/webhook"))
        };
        // The body to send: the sample itself, or (Mailgun) the sample with the signature
        // object added.
        let hookguard::Signed { headers, body, .. } = signer.sign_with_body(&delivery(now_unix))?;

        let valid = outcome(&verifier, &headers, &body, now);
        let mut tampered_body = body.to_vec();
        // Mailgun: a byte of the event data (the signature object comes first); it is not
        // signed, so this passes.
        let at = if verifier.scheme().signature_in_body() {
            body.len() - 5
        } else {
            body.len() / 2
        };
        tampered_body[at] ^= 0x01;
        let tampered = outcome(&verifier, &headers, &tampered_body, now);
        let stale_ts = now_unix - 600;
        let hookguard::Signed {
            headers: stale_headers,
            body: stale_body,
            ..
        } = signer.sign_with_body(&delivery(stale_ts))?;
        let mut stale = outcome(&verifier, &stale_headers, &stale_body, now);
        if stale.starts_with("ok") {
            stale = "ok: no signed timestamp".into();
        }
        let truncated = match verifier.scheme().signature_header() {
            Some(sig_name) => {
                let sig = headers[sig_name].to_str()?;
                let mut truncated_headers = headers.clone();
                truncated_headers.insert(
                    sig_name.clone(),
                    HeaderValue::from_str(&sig[..sig.len() - 8])?,
                );
                outcome(&verifier, &truncated_headers, &body, now)
            }
            None => outcome(&verifier, &headers, &truncate_body_signature(&body), now),
        };
        println!(
            "{:<22} {valid:<26} {tampered:<26} {stale:<30} {truncated:<26}",
            p.name()
        );
    }
    println!(
        "\nGitLab's token signs nothing, so a tampered body passes it; providers without a signed\n\
         timestamp (GitHub, Shopify, Twilio, Square, GitLab) rely on deduplication against replays.\n\
         Mailgun signs only its timestamp and token, never the body: a tampered event passes, and\n\
         only the window and the token (the delivery id, deduplicated) limit what a copy can do."
    );
    Ok(())
}
