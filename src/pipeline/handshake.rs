//! Answering provider handshakes (see [`Handshake`]).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::request::Parts;
use http::{Response, StatusCode};
use subtle::ConstantTimeEq;

use super::Refusal;
use crate::error::Rejection;
use crate::scheme::Handshake;
use crate::verified::Verified;
use crate::verify::Verifier;

/// The longest challenge echoed back; longer ones are refused.
const MAX_CHALLENGE: usize = 512;

fn reply(content_type: &'static str, body: impl Into<Bytes>) -> Response<Bytes> {
    let mut response = Response::new(body.into());
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn json(value: serde_json::Value) -> Response<Bytes> {
    reply("application/json", value.to_string())
}

/// A challenge that is safe to echo: bounded, printable, no markup.
fn safe_challenge(text: &str) -> Result<&str, Rejection> {
    let ok = crate::text::is_word(text, b"-_.~+/=", 1..=MAX_CHALLENGE);
    if ok {
        Ok(text)
    } else {
        Err(Rejection::MalformedPayload)
    }
}

/// Query parameters, decoded; a name given twice is refused (which one would count?).
fn query(parts: &Parts) -> Result<Vec<(String, String)>, Rejection> {
    let raw = parts.uri.query().unwrap_or("");
    let pairs = crate::scheme::form::sorted_params(raw.as_bytes())?;
    if pairs.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(Rejection::MalformedPayload);
    }
    Ok(pairs)
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Answers a GET to a guarded route: the provider's GET handshake, or 405.
pub(crate) fn answer_get(
    verifier: &Verifier,
    parts: &Parts,
    handshake_token: Option<&str>,
) -> Result<Response<Bytes>, Refusal> {
    let Some(handshake) = verifier.scheme().handshake().filter(|h| h.is_get()) else {
        return Err(Refusal::MethodNotAllowed);
    };
    let pairs = query(parts)?;
    match handshake {
        Handshake::DropboxChallenge => {
            let challenge = param(&pairs, "challenge").ok_or(Rejection::MalformedPayload)?;
            Ok(reply("text/plain", safe_challenge(challenge)?.to_owned()))
        }
        Handshake::MetaVerifyToken => {
            let (Some("subscribe"), Some(offered), Some(challenge)) = (
                param(&pairs, "hub.mode"),
                param(&pairs, "hub.verify_token"),
                param(&pairs, "hub.challenge"),
            ) else {
                return Err(Rejection::MalformedPayload.into());
            };
            let Some(expected) = handshake_token else {
                tracing::error!(target: "hookguard", "Meta verification request, but no handshake_token is configured");
                return Err(Rejection::SignatureMismatch.into());
            };
            let same = crate::crypto::sha256(offered.as_bytes())
                .ct_eq(&crate::crypto::sha256(expected.as_bytes()));
            if !bool::from(same) {
                return Err(Rejection::SignatureMismatch.into());
            }
            Ok(reply("text/plain", safe_challenge(challenge)?.to_owned()))
        }
        Handshake::OktaVerification => {
            let challenge = crate::scheme::one_header(
                &parts.headers,
                &http::HeaderName::from_static("x-okta-verification-challenge"),
            )?
            .ok_or(Rejection::MalformedPayload)?;
            // Okta sends its configured authorization header with the challenge: verify it.
            verifier.verify_parts(parts, b"")?;
            Ok(json(
                serde_json::json!({ "verification": safe_challenge(challenge)? }),
            ))
        }
        Handshake::XCrc => {
            let token = param(&pairs, "crc_token").ok_or(Rejection::MalformedPayload)?;
            let key = verifier
                .first_key_id()
                .ok_or(Rejection::SignatureMismatch)?;
            let mac = verifier
                .hmac_sha256(key, safe_challenge(token)?.as_bytes())
                .ok_or(Rejection::SignatureMismatch)?;
            Ok(json(
                serde_json::json!({ "response_token": format!("sha256={}", STANDARD.encode(mac)) }),
            ))
        }
        _ => Err(Refusal::MethodNotAllowed),
    }
}

/// Answers a verified POST that is a handshake; `None` for an ordinary delivery.
pub(crate) fn answer_post(
    verifier: &Verifier,
    parts: &Parts,
    body: &[u8],
    verified: &Verified,
) -> Option<Response<Bytes>> {
    let handshake = verifier.scheme().handshake().filter(|h| !h.is_get())?;
    match handshake {
        Handshake::SlackUrlVerification => {
            let value: serde_json::Value = serde_json::from_slice(body).ok()?;
            if value.get("type")?.as_str()? != "url_verification" {
                return None;
            }
            let challenge = value.get("challenge")?.as_str()?;
            Some(json(
                serde_json::json!({ "challenge": safe_challenge(challenge).ok()? }),
            ))
        }
        Handshake::ZoomUrlValidation => {
            let value: serde_json::Value = serde_json::from_slice(body).ok()?;
            if value.get("event")?.as_str()? != "endpoint.url_validation" {
                return None;
            }
            let plain = safe_challenge(value.get("payload")?.get("plainToken")?.as_str()?).ok()?;
            let mac = verifier.hmac_sha256(verified.key_id(), plain.as_bytes())?;
            Some(json(
                serde_json::json!({ "plainToken": plain, "encryptedToken": hex::encode(mac) }),
            ))
        }
        Handshake::TwitchCallbackVerification => {
            let kind = parts
                .headers
                .get("twitch-eventsub-message-type")?
                .to_str()
                .ok()?;
            if kind != "webhook_callback_verification" {
                return None;
            }
            let value: serde_json::Value = serde_json::from_slice(body).ok()?;
            let challenge = safe_challenge(value.get("challenge")?.as_str()?)
                .ok()?
                .to_owned();
            Some(reply("text/plain", challenge))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    use super::*;
    use crate::{Delivery, Provider, Signer};

    /// HMAC-SHA256 straight from the `hmac` crate: the expected answers do not come from the
    /// code under test.
    fn hmac(key: &str, message: &str) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
        mac.update(message.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    fn parts(uri: &str) -> Parts {
        http::Request::get(uri).body(()).unwrap().into_parts().0
    }

    fn body_json(response: &Response<Bytes>) -> serde_json::Value {
        serde_json::from_slice(response.body()).unwrap()
    }

    #[test]
    fn zoom_validation_answers_with_the_key_that_verified() {
        // Two keys: the delivery is signed with the second, which must answer.
        let verifier = Verifier::builder(Provider::Zoom)
            .secrets(["zoom_old_secret", "zoom_new_secret"])
            .build()
            .unwrap();
        let body = br#"{"event":"endpoint.url_validation","payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"}}"#;
        let now = std::time::SystemTime::now();
        let ts = now.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let headers = Signer::new(Provider::Zoom, "zoom_new_secret")
            .unwrap()
            .sign(&Delivery::new(&body[..]).timestamp(ts))
            .unwrap();
        let mut head = parts("/webhook");
        head.method = http::Method::POST;
        head.headers = headers;
        let verified = verifier.verify_parts(&head, body).unwrap();
        let answer = answer_post(&verifier, &head, body, &verified).unwrap();
        let expected = hex::encode(hmac("zoom_new_secret", "qgg8vlvZRS6UYooatFL8Aw"));
        assert_eq!(
            body_json(&answer),
            serde_json::json!({"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": expected})
        );
    }

    #[test]
    fn x_crc_answers_with_the_first_key() {
        let verifier = Verifier::builder(Provider::X)
            .secrets(["x_consumer_secret", "x_next_secret"])
            .build()
            .unwrap();
        let answer = answer_get(&verifier, &parts("/webhook?crc_token=abc123"), None).unwrap();
        let expected = format!(
            "sha256={}",
            STANDARD.encode(hmac("x_consumer_secret", "abc123"))
        );
        assert_eq!(
            body_json(&answer),
            serde_json::json!({"response_token": expected})
        );
    }
}
