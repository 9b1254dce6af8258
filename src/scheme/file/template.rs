//! The `signed` template: the signed message, parts in braces and everything else literal.

use std::borrow::Cow;

use crate::scheme::{Part, TimestampSource};

use super::names::PARTS;
use super::signature::Signature;
use super::{Invalid, fail};

const MAX_TEMPLATE_LEN: usize = 1024;
const PATH: &[&str] = &["signed"];

/// The signed message: none for a token scheme, else the template, which must sign whatever
/// the verifier trusts (the body, or with `body_json` the timestamp and the id).
pub(super) fn signed_message(
    signed: Option<&str>,
    token: bool,
    signature: &Signature,
    timestamp: Option<&TimestampSource>,
    has_id: bool,
) -> Result<Vec<Part>, Invalid> {
    match (signed, token) {
        (Some(_), true) => fail(PATH, "a token scheme signs nothing: remove `signed`"),
        (None, true) => Ok(Vec::new()),
        (None, false) => fail(
            PATH,
            "missing: the template of the signed message, e.g. \"{timestamp}.{body}\"",
        ),
        (Some(template), false) => {
            let parts = parse_template(template)?;
            if signature.in_body() {
                check_body_template(&parts)?;
            } else {
                check_template(&parts, timestamp, has_id)?;
            }
            Ok(parts)
        }
    }
}

fn parse_template(template: &str) -> Result<Vec<Part>, Invalid> {
    if template.is_empty() {
        return fail(
            PATH,
            "empty; it names the signed parts, e.g. \"{timestamp}.{body}\"",
        );
    }
    if template.len() > MAX_TEMPLATE_LEN {
        return fail(PATH, format!("longer than {MAX_TEMPLATE_LEN} bytes"));
    }
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut chars = template.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let column = template[..at].chars().count() + 1;
        match c {
            '{' if chars.peek().map(|p| p.1) == Some('{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek().map(|p| p.1) == Some('}') => {
                chars.next();
                literal.push('}');
            }
            '}' => {
                return fail(
                    PATH,
                    format!(
                        "unmatched `}}` at character {column} (write `}}}}` for a literal one)"
                    ),
                );
            }
            '{' => {
                let (name, part) = part(&template[at + 1..], column)?;
                if !literal.is_empty() {
                    parts.push(Part::Literal(Cow::Owned(
                        std::mem::take(&mut literal).into_bytes(),
                    )));
                }
                parts.push(part);
                for _ in 0..=name.chars().count() {
                    chars.next();
                }
            }
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        parts.push(Part::Literal(Cow::Owned(literal.into_bytes())));
    }
    Ok(parts)
}

/// The part named after a `{` at `column` (1-based), and its name.
fn part(after_brace: &str, column: usize) -> Result<(&str, Part), Invalid> {
    let Some(end) = after_brace.find('}') else {
        return fail(
            PATH,
            format!("unclosed `{{` at character {column} (write `{{{{` for a literal one)"),
        );
    };
    let name = &after_brace[..end];
    let Some(part) = PARTS.find(name) else {
        let parts: Vec<String> = PARTS.words().map(|w| format!("{{{w}}}")).collect();
        return fail(
            PATH,
            format!(
                "unknown part {{{}}} at character {column}; the parts are {} (write {{{{ and \
                 }}}} for literal braces)",
                name.chars().take(40).collect::<String>().escape_debug(),
                parts.join(", ")
            ),
        );
    };
    Ok((name, part))
}

/// The template of a scheme whose signature travels in the body: the body holds the
/// signature, so it cannot be signed; the timestamp and the id must be.
fn check_body_template(parts: &[Part]) -> Result<(), Invalid> {
    let has = |f: fn(&Part) -> bool| parts.iter().any(f);
    if has(|p| matches!(p, Part::Body | Part::TwilioParams)) {
        return fail(
            PATH,
            "with signature.body_json the body holds the signature and cannot be signed: \
             remove {body} / {twilio-params}",
        );
    }
    if !has(|p| matches!(p, Part::Timestamp)) || !has(|p| matches!(p, Part::Id)) {
        return fail(
            PATH,
            "with signature.body_json the template must sign {timestamp} and {id}, e.g. \
             \"{timestamp}{id}\"",
        );
    }
    Ok(())
}

fn check_template(
    parts: &[Part],
    timestamp: Option<&TimestampSource>,
    has_id: bool,
) -> Result<(), Invalid> {
    let has = |f: fn(&Part) -> bool| parts.iter().any(f);
    if !has(|p| matches!(p, Part::Body | Part::TwilioParams)) {
        return fail(
            PATH,
            "signs neither {body} nor {twilio-params}: the body would not be authenticated",
        );
    }
    if parts
        .iter()
        .filter(|p| matches!(p, Part::TwilioParams))
        .count()
        > 1
    {
        return fail(PATH, "{twilio-params} at most once");
    }
    let signs_ts = has(|p| matches!(p, Part::Timestamp));
    match timestamp {
        None if signs_ts => {
            return fail(
                PATH,
                "uses {timestamp}, but there is no [timestamp] table saying where it is",
            );
        }
        Some(TimestampSource::BodyJsonField(..)) if signs_ts => {
            return fail(
                PATH,
                "{timestamp} cannot be used with timestamp.body_json_field: that timestamp is \
                 signed inside {body}",
            );
        }
        Some(TimestampSource::Header(..) | TimestampSource::SignatureParam(_)) if !signs_ts => {
            return fail(
                &["timestamp"],
                "the timestamp is not signed: add {timestamp} to `signed`",
            );
        }
        _ => {}
    }
    let signs_id = has(|p| matches!(p, Part::Id));
    if signs_id && !has_id {
        return fail(
            PATH,
            "uses {id}, but there is no [id] table naming its header",
        );
    }
    if has_id && !signs_id {
        return fail(
            &["id"],
            "the id is not signed, so it cannot be the delivery id: add {id} to `signed`",
        );
    }
    Ok(())
}
