//! A parsed scheme file made into a [`Scheme`]: one step a field or table, in the order their
//! errors are reported, each checking what the verifier could not honour.

use crate::scheme::{Algorithm, Handshake, Scheme, SecretFormat};

use super::id::id;
use super::names::{ALGORITHMS, HANDSHAKES, SECRET_FORMATS};
use super::raw::RawScheme;
use super::signature::{Signature, signature};
use super::template::signed_message;
use super::timestamp::timestamp;
use super::{Invalid, fail, required};

pub(super) fn build(raw: RawScheme) -> Result<Scheme, Invalid> {
    let name = name(&raw.name)?;
    let algorithm = ALGORITHMS.required(&raw.algorithm, &["algorithm"])?;
    let token = algorithm == Algorithm::Token; // ct-lint: public (configuration)
    let secret_format = secret_format(raw.secret_format.as_deref(), algorithm)?;
    let signature = signature(raw.signature.as_ref(), token)?;
    let timestamp = timestamp(raw.timestamp.as_ref(), token, &signature)?;
    let id_header = id(raw.id.as_ref(), token, &signature, timestamp.as_ref())?;
    let message = signed_message(
        raw.signed.as_deref(),
        token,
        &signature,
        timestamp.as_ref(),
        id_header.is_some(),
    )?;
    let handshake = handshake(raw.handshake.as_deref(), algorithm)?;
    let Signature {
        header: signature_header,
        encoding,
        layout,
    } = signature;
    Ok(Scheme {
        name: name.into(),
        algorithm,
        secret_format,
        signature_header,
        layout,
        encoding,
        timestamp,
        id_header,
        message,
        handshake,
    })
}

fn name(name: &Option<String>) -> Result<&str, Invalid> {
    let name = required(name, &["name"], "the scheme's name")?;
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok {
        return fail(&["name"], "1 to 64 of a-z, 0-9 and -");
    }
    Ok(name)
}

fn secret_format(text: Option<&str>, alg: Algorithm) -> Result<SecretFormat, Invalid> {
    let path = &["secret_format"];
    let default = match alg {
        Algorithm::Ed25519 => SecretFormat::Ed25519,
        Algorithm::EcdsaP256 => SecretFormat::EcdsaP256,
        _ => SecretFormat::Utf8,
    };
    let Some(text) = text else {
        return Ok(default);
    };
    // The value is never quoted (SECRET_FORMATS does not echo it): a secret put here by
    // mistake must not reach a log.
    let format = SECRET_FORMATS.parse(text, path)?;
    let fits = match format {
        SecretFormat::Utf8 => !matches!(alg, Algorithm::Ed25519 | Algorithm::EcdsaP256),
        SecretFormat::StandardWebhooks => matches!(
            alg,
            Algorithm::HmacSha1 | Algorithm::HmacSha256 | Algorithm::HmacSha512
        ),
        SecretFormat::BasicAuth => alg == Algorithm::Token, // ct-lint: public (configuration)
        SecretFormat::Ed25519 => alg == Algorithm::Ed25519,
        SecretFormat::EcdsaP256 => alg == Algorithm::EcdsaP256,
    };
    if !fits {
        return fail(
            path,
            format!("{text} secrets do not fit this algorithm (default: leave it out)"),
        );
    }
    Ok(format)
}

/// The endpoint handshake; some can be answered under one algorithm only.
fn handshake(text: Option<&str>, algorithm: Algorithm) -> Result<Option<Handshake>, Invalid> {
    const PATH: &[&str] = &["handshake"];
    let Some(text) = text else {
        return Ok(None);
    };
    let handshake = HANDSHAKES.parse(text, PATH)?;
    let token = algorithm == Algorithm::Token; // ct-lint: public (configuration)
    let fits = match handshake {
        Handshake::ZoomUrlValidation | Handshake::XCrc => algorithm == Algorithm::HmacSha256, // ct-lint: public (configuration)
        Handshake::OktaVerification => token,
        _ => true,
    };
    if !fits {
        let needs = if handshake == Handshake::OktaVerification {
            Algorithm::Token
        } else {
            Algorithm::HmacSha256
        };
        let needs = ALGORITHMS.word(&needs);
        return fail(PATH, format!("{text} needs algorithm = \"{needs}\""));
    }
    Ok(Some(handshake))
}
