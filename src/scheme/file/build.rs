//! A parsed scheme file made into a [`Scheme`], checking everything the verifier could not
//! honour.

use crate::scheme::{
    Algorithm, Encoding, Handshake, Layout, Scheme, SecretFormat, TimestampSource,
};

use super::names::{ALGORITHMS, ENCODINGS, HANDSHAKES, SECRET_FORMATS};
use super::raw::RawScheme;
use super::signature::layout;
use super::template::{check_body_template, check_template, parse_template};
use super::timestamp::timestamp_source;
use super::{Invalid, fail, header_name, required};

pub(super) fn build(raw: RawScheme) -> Result<Scheme, Invalid> {
    let name = required(&raw.name, &["name"], "the scheme's name")?;
    let name_ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !name_ok {
        return fail(&["name"], "1 to 64 of a-z, 0-9 and -");
    }

    let alg = ALGORITHMS.required(&raw.algorithm, &["algorithm"])?;
    let token = alg == Algorithm::Token; // ct-lint: public (configuration)

    let secret_format = secret_format(raw.secret_format.as_deref(), alg)?;

    let Some(sig) = &raw.signature else {
        return fail(
            &["signature"],
            "missing: the [signature] table (header, encoding)",
        );
    };
    let in_body = sig.body_json.is_some();
    let signature_header = match (&sig.header, in_body) {
        (Some(_), true) => {
            return fail(
                &["signature", "body_json"],
                "give either header or body_json (the signature travels in the body), not both",
            );
        }
        (None, true) => None,
        (header, false) => Some(header_name(
            required(
                header,
                &["signature", "header"],
                "the signature's header (or body_json)",
            )?,
            &["signature", "header"],
        )?),
    };
    if in_body && token {
        return fail(
            &["signature", "body_json"],
            "a token scheme carries its secret in a header, not in the body",
        );
    }
    let encoding = ENCODINGS.required(&sig.encoding, &["signature", "encoding"])?;
    if token != (encoding == Encoding::Raw) {
        // ct-lint: public (scheme configuration, not a MAC)
        return fail(
            &["signature", "encoding"],
            "raw is the encoding of algorithm = \"token\", and token's only one",
        );
    }
    let layout = layout(sig)?;

    let timestamp = match &raw.timestamp {
        None => None,
        Some(_) if token => {
            return fail(
                &["timestamp"],
                "a token scheme signs nothing, so its timestamp would not be authenticated",
            );
        }
        Some(ts) => Some(timestamp_source(ts, &layout, signature_header.as_ref())?),
    };
    if in_body && !matches!(timestamp, Some(TimestampSource::SignatureParam(_))) {
        return fail(
            &["timestamp"],
            "a signature in body_json needs a [timestamp] table with from = \"signature-param\" \
             (its timestamp_field) and its unit",
        );
    }
    if let Layout::List {
        timestamp_key: Some(_),
        ..
    } = &layout
        && !matches!(timestamp, Some(TimestampSource::SignatureParam(_)))
    {
        return fail(
            &["signature", "list", "timestamp_key"],
            "the signature header's timestamp item needs a [timestamp] table with \
             from = \"signature-param\" and its unit",
        );
    }

    let id_header = match &raw.id {
        None if in_body => {
            return fail(
                &["id"],
                "a signature in body_json needs an [id] table with from = \"signature-param\": \
                 the body is not signed, so only its signed id_field can be the delivery id",
            );
        }
        None => None,
        Some(_) if token => {
            return fail(
                &["id"],
                "a token scheme signs nothing, so its id would not be authenticated",
            );
        }
        Some(id) if in_body => {
            let path = &["id", "from"];
            if id.header.is_some() || id.from.as_deref() != Some("signature-param") {
                return fail(
                    path,
                    "with signature.body_json the id is its id_field: from = \"signature-param\" \
                     (and no header)",
                );
            }
            None
        }
        Some(id) => {
            if id.from.is_some() {
                return fail(
                    &["id", "from"],
                    "from = \"signature-param\" is for signature.body_json; give the id's header",
                );
            }
            let path = &["id", "header"];
            let name = header_name(required(&id.header, path, "the id's header")?, path)?;
            let clash = Some(&name) == signature_header.as_ref() // ct-lint: public (configuration)
                || matches!(&timestamp, Some(TimestampSource::Header(t, _)) if *t == name);
            if clash {
                return fail(path, "the id needs a header of its own");
            }
            Some(name)
        }
    };

    let message = match (&raw.signed, token) {
        (Some(_), true) => {
            return fail(&["signed"], "a token scheme signs nothing: remove `signed`");
        }
        (None, true) => Vec::new(),
        (None, false) => {
            return fail(
                &["signed"],
                "missing: the template of the signed message, e.g. \"{timestamp}.{body}\"",
            );
        }
        (Some(template), false) => {
            let parts = parse_template(template)?;
            if in_body {
                check_body_template(&parts)?;
            } else {
                check_template(&parts, timestamp.as_ref(), id_header.is_some())?;
            }
            parts
        }
    };

    let handshake = match raw.handshake.as_deref() {
        None => None,
        Some(text) => {
            let h = HANDSHAKES.parse(text, &["handshake"])?;
            let fits = match h {
                Handshake::ZoomUrlValidation | Handshake::XCrc => alg == Algorithm::HmacSha256, // ct-lint: public (configuration)
                Handshake::OktaVerification => token,
                _ => true,
            };
            if !fits {
                return fail(
                    &["handshake"],
                    format!(
                        "{text} needs algorithm = \"{}\"",
                        if token || h == Handshake::OktaVerification {
                            "token"
                        } else {
                            "hmac-sha256"
                        }
                    ),
                );
            }
            Some(h)
        }
    };

    Ok(Scheme {
        name: name.into(),
        algorithm: alg,
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

pub(super) fn secret_format(text: Option<&str>, alg: Algorithm) -> Result<SecretFormat, Invalid> {
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
