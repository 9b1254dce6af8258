#![doc = include_str!("FORMAT.md")]

mod locate;
mod names;

use std::borrow::Cow;
use std::fmt;
use std::io::Read as _;
use std::path::Path;

use http::HeaderName;
use serde::Deserialize;

use super::{
    Algorithm, Encoding, Handshake, Layout, Part, Scheme, SecretFormat, TimestampSource, Unit,
};
use locate::Node;
use names::{ALGORITHMS, ENCODINGS, HANDSHAKES, PARTS, SECRET_FORMATS, UNITS};

/// The largest scheme file read: a scheme is a few hundred bytes.
const MAX_FILE_LEN: usize = 64 * 1024;
const MAX_TEMPLATE_LEN: usize = 1024;
const MAX_KEY_LEN: usize = 32;
const MAX_PREFIX_LEN: usize = 64;
const MAX_FIELD_LEN: usize = 64;

/// A scheme file that could not be loaded: which field is wrong, on which line, and why.
///
/// Its `Display` reads `line 7: timestamp.unit: unknown unit "minutes"; expected …`, prefixed
/// with the file name when loaded by [`Scheme::from_file`]. It never quotes the value of a
/// field that may hold a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemeFileError {
    file: Option<String>,
    line: Option<usize>,
    field: Option<String>,
    message: String,
}

impl SchemeFileError {
    /// The 1-based line the problem is on, when the file has one for it (a missing field has
    /// the line of its table, or none at the top level).
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// The dotted path of the field at fault, e.g. `signature.list.timestamp_key`.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// What is wrong, without the file, line and field.
    pub fn message(&self) -> &str {
        &self.message
    }

    fn plain(message: impl Into<String>) -> Self {
        Self {
            file: None,
            line: None,
            field: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for SchemeFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}: ")?;
        }
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for SchemeFileError {}

impl Scheme {
    /// Loads a scheme described in TOML. The format, with a full example, is below; every
    /// error names the field and the line ([`SchemeFileError`]).
    ///
    #[doc = include_str!("FORMAT.md")]
    pub fn from_toml(text: &str) -> Result<Scheme, SchemeFileError> {
        check_len(text.len())?;
        let table = toml::de::DeTable::parse(text).map_err(|e| {
            let line = e.span().map(|s| locate::line_of(text, s.start));
            SchemeFileError {
                line,
                ..SchemeFileError::plain(first_line(e.message()))
            }
        })?;
        let tree = locate::toml_tree(&table);
        let raw: RawScheme = toml::from_str(text).map_err(|e| {
            let offset = e.span().map(|s| s.start);
            SchemeFileError {
                file: None,
                line: offset.map(|o| locate::line_of(text, o)),
                field: offset.and_then(|o| tree.path_at(o)),
                message: first_line(e.message()),
            }
        })?;
        build(raw).map_err(|invalid| invalid.at(text, &tree))
    }

    /// Loads a scheme described in JSON: the same fields as [`from_toml`](Self::from_toml),
    /// with the tables as objects.
    pub fn from_json(text: &str) -> Result<Scheme, SchemeFileError> {
        check_len(text.len())?;
        let raw: RawScheme = serde_json::from_str(text).map_err(|e| {
            let (line, column) = (e.line(), e.column());
            let field = (line > 0 && e.classify() == serde_json::error::Category::Data)
                .then(|| {
                    locate::json_tree(text).path_at(locate::offset_of_line(text, line, column))
                })
                .flatten();
            SchemeFileError {
                file: None,
                line: (line > 0).then_some(line),
                field,
                message: json_message(&e),
            }
        })?;
        build(raw).map_err(|invalid| invalid.at(text, &locate::json_tree(text)))
    }

    /// Loads a scheme file: TOML for `.toml`, JSON for `.json`. At most 64 KiB are read.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Scheme, SchemeFileError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let with_file = |e: SchemeFileError| SchemeFileError {
            file: Some(name.clone()),
            ..e
        };
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let parse: fn(&str) -> Result<Scheme, SchemeFileError> = match ext.as_deref() {
            Some("toml") => Scheme::from_toml,
            Some("json") => Scheme::from_json,
            _ => {
                return Err(with_file(SchemeFileError::plain(
                    "a scheme file's name ends in .toml or .json",
                )));
            }
        };
        let read = || -> std::io::Result<Vec<u8>> {
            let mut bytes = Vec::new();
            std::fs::File::open(path)?
                .take(MAX_FILE_LEN as u64 + 1)
                .read_to_end(&mut bytes)?;
            Ok(bytes)
        };
        let bytes = read()
            .map_err(|e| with_file(SchemeFileError::plain(format!("cannot read it: {e}"))))?;
        check_len(bytes.len()).map_err(with_file)?;
        let text = String::from_utf8(bytes)
            .map_err(|_| with_file(SchemeFileError::plain("not valid UTF-8")))?;
        parse(&text).map_err(with_file)
    }
}

fn check_len(len: usize) -> Result<(), SchemeFileError> {
    if len > MAX_FILE_LEN {
        return Err(SchemeFileError::plain(format!(
            "longer than {MAX_FILE_LEN} bytes"
        )));
    }
    Ok(())
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or("").trim().to_owned()
}

/// serde_json's message without its ` at line L column C` suffix (the line is reported apart).
fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) if e.line() > 0 => text[..i].to_owned(),
        _ => text,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScheme {
    name: Option<String>,
    algorithm: Option<String>,
    secret_format: Option<String>,
    signed: Option<String>,
    handshake: Option<String>,
    signature: Option<RawSignature>,
    timestamp: Option<RawTimestamp>,
    id: Option<RawId>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignature {
    header: Option<String>,
    encoding: Option<String>,
    prefix: Option<String>,
    list: Option<RawList>,
    body_json: Option<RawBodyJson>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBodyJson {
    object: Option<String>,
    signature_field: Option<String>,
    timestamp_field: Option<String>,
    id_field: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawList {
    item_separator: Option<String>,
    key_value_separator: Option<String>,
    signature_key: Option<String>,
    timestamp_key: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTimestamp {
    header: Option<String>,
    from: Option<String>,
    body_json_field: Option<String>,
    unit: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawId {
    header: Option<String>,
    from: Option<String>,
}

/// A problem found after parsing: the field's path and what is wrong.
struct Invalid {
    path: &'static [&'static str],
    message: String,
}

impl Invalid {
    fn at(self, text: &str, tree: &Node) -> SchemeFileError {
        SchemeFileError {
            file: None,
            line: tree.offset_of(self.path).map(|o| locate::line_of(text, o)),
            field: Some(self.path.join(".")),
            message: self.message,
        }
    }
}

fn fail<T>(path: &'static [&'static str], message: impl Into<String>) -> Result<T, Invalid> {
    Err(Invalid {
        path,
        message: message.into(),
    })
}

/// A value quoted in a message: escaped, and cut short.
fn quote(value: &str) -> String {
    let short: String = value.chars().take(40).collect();
    let cut = if short.len() < value.len() { "…" } else { "" };
    format!("{short:?}{cut}")
}

fn required<'a>(
    value: &'a Option<String>,
    path: &'static [&'static str],
    what: &str,
) -> Result<&'a str, Invalid> {
    match value {
        Some(v) => Ok(v),
        None => fail(path, format!("missing: {what}")),
    }
}

fn header_name(value: &str, path: &'static [&'static str]) -> Result<HeaderName, Invalid> {
    if value.is_empty() || value.len() > 128 {
        return fail(path, "a header name of 1 to 128 characters");
    }
    HeaderName::from_bytes(value.as_bytes())
        .or_else(|_| fail(path, format!("{} is not a valid header name", quote(value))))
}

fn build(raw: RawScheme) -> Result<Scheme, Invalid> {
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

fn layout(sig: &RawSignature) -> Result<Layout, Invalid> {
    if let Some(body) = &sig.body_json {
        if sig.prefix.is_some() || sig.list.is_some() {
            return fail(
                &["signature", "body_json"],
                "a signature in body_json has no prefix or list",
            );
        }
        return body_json_layout(body);
    }
    match (&sig.prefix, &sig.list) {
        (Some(_), Some(_)) => fail(
            &["signature", "list"],
            "give either prefix (one signature) or list, not both",
        ),
        (prefix, None) => {
            let prefix = prefix.as_deref().unwrap_or("");
            let ok = prefix.len() <= MAX_PREFIX_LEN
                && prefix.bytes().all(|b| (0x20..0x7f).contains(&b))
                && !prefix.starts_with(' ');
            if !ok {
                return fail(
                    &["signature", "prefix"],
                    format!(
                        "up to {MAX_PREFIX_LEN} visible ASCII characters (spaces inside or at \
                         the end only)"
                    ),
                );
            }
            Ok(Layout::Single {
                prefix: Cow::Owned(prefix.to_owned()),
            })
        }
        (None, Some(list)) => {
            const ITEM: &[&str] = &["signature", "list", "item_separator"];
            const KV: &[&str] = &["signature", "list", "key_value_separator"];
            const SIG: &[&str] = &["signature", "list", "signature_key"];
            const TS: &[&str] = &["signature", "list", "timestamp_key"];
            let item_sep = separator(required(&list.item_separator, ITEM, "e.g. \",\"")?, ITEM)?;
            let kv_sep = separator(required(&list.key_value_separator, KV, "e.g. \"=\"")?, KV)?;
            if item_sep == kv_sep {
                return fail(KV, "must differ from item_separator");
            }
            let seps = [item_sep, kv_sep];
            let signature_key = list_key(
                required(&list.signature_key, SIG, "e.g. \"v1\"")?,
                seps,
                SIG,
            )?;
            let timestamp_key = match &list.timestamp_key {
                None => None,
                Some(k) => {
                    let k = list_key(k, seps, TS)?;
                    if k == signature_key {
                        // ct-lint: public (scheme configuration, not a MAC)
                        return fail(TS, "must differ from signature_key");
                    }
                    Some(Cow::Owned(k.to_owned()))
                }
            };
            Ok(Layout::List {
                item_sep,
                kv_sep,
                signature_key: Cow::Owned(signature_key.to_owned()),
                timestamp_key,
            })
        }
    }
}

fn body_json_layout(body: &RawBodyJson) -> Result<Layout, Invalid> {
    const OBJECT: &[&str] = &["signature", "body_json", "object"];
    const SIG: &[&str] = &["signature", "body_json", "signature_field"];
    const TS: &[&str] = &["signature", "body_json", "timestamp_field"];
    const ID: &[&str] = &["signature", "body_json", "id_field"];
    let field = |value: &Option<String>, path: &'static [&'static str], what: &str| {
        let text = required(value, path, what)?;
        if text.is_empty() || text.len() > MAX_FIELD_LEN {
            return fail(path, format!("a field name of 1 to {MAX_FIELD_LEN} bytes"));
        }
        Ok(text.to_owned())
    };
    let object = field(
        &body.object,
        OBJECT,
        "the top-level object, e.g. \"signature\"",
    )?;
    let signature = field(&body.signature_field, SIG, "e.g. \"signature\"")?;
    let timestamp = field(&body.timestamp_field, TS, "e.g. \"timestamp\"")?;
    let id = field(&body.id_field, ID, "e.g. \"token\"")?;
    // ct-lint: public (field names from the scheme file)
    if timestamp == signature {
        return fail(TS, "must differ from signature_field");
    }
    // ct-lint: public (field names from the scheme file)
    if id == signature || id == timestamp {
        return fail(ID, "must differ from signature_field and timestamp_field");
    }
    Ok(Layout::BodyJson {
        object: Cow::Owned(object),
        signature_field: Cow::Owned(signature),
        timestamp_field: Cow::Owned(timestamp),
        id_field: Cow::Owned(id),
    })
}

fn separator(text: &str, path: &'static [&'static str]) -> Result<u8, Invalid> {
    match text.as_bytes() {
        [b] if *b == b' ' || b.is_ascii_punctuation() => Ok(*b),
        _ => fail(
            path,
            format!("{} is not one punctuation or space character", quote(text)),
        ),
    }
}

fn list_key<'a>(
    text: &'a str,
    seps: [u8; 2],
    path: &'static [&'static str],
) -> Result<&'a str, Invalid> {
    let ok = (1..=MAX_KEY_LEN).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_graphic() && !seps.contains(&b));
    if !ok {
        return fail(
            path,
            format!("1 to {MAX_KEY_LEN} visible ASCII characters, without the separators"),
        );
    }
    Ok(text)
}

fn timestamp_source(
    ts: &RawTimestamp,
    layout: &Layout,
    signature_header: Option<&HeaderName>,
) -> Result<TimestampSource, Invalid> {
    const UNIT: &[&str] = &["timestamp", "unit"];
    let given = [
        ts.header.is_some(),
        ts.from.is_some(),
        ts.body_json_field.is_some(),
    ];
    match given.iter().filter(|g| **g).count() {
        0 => {
            return fail(
                &["timestamp"],
                "say where the timestamp is: header, from = \"signature-param\" or \
                 body_json_field",
            );
        }
        1 => {}
        _ => {
            return fail(
                &["timestamp"],
                "only one of header, from and body_json_field",
            );
        }
    }
    let unit = UNITS.required(&ts.unit, UNIT)?;
    if let Some(header) = &ts.header {
        let path = &["timestamp", "header"];
        let name = header_name(header, path)?;
        if Some(&name) == signature_header {
            // ct-lint: public (scheme configuration, not a MAC)
            return fail(path, "the timestamp needs a header of its own");
        }
        return Ok(TimestampSource::Header(name, unit));
    }
    if let Some(from) = &ts.from {
        let path = &["timestamp", "from"];
        if from != "signature-param" {
            return fail(
                path,
                format!(
                    "unknown source {}; expected \"signature-param\" (or use header or \
                     body_json_field)",
                    quote(from)
                ),
            );
        }
        if !matches!(
            layout,
            Layout::List {
                timestamp_key: Some(_),
                ..
            } | Layout::BodyJson { .. }
        ) {
            return fail(
                path,
                "signature-param needs signature.list with a timestamp_key, or signature.body_json",
            );
        }
        return Ok(TimestampSource::SignatureParam(unit));
    }
    let field = ts.body_json_field.as_deref().unwrap_or("");
    let path = &["timestamp", "body_json_field"];
    if field.is_empty() || field.len() > MAX_FIELD_LEN {
        return fail(path, format!("a field name of 1 to {MAX_FIELD_LEN} bytes"));
    }
    if unit == Unit::Rfc3339 {
        return fail(
            UNIT,
            "a body_json_field timestamp is an integer: seconds or milliseconds",
        );
    }
    Ok(TimestampSource::BodyJsonField(
        Cow::Owned(field.to_owned()),
        unit,
    ))
}

fn parse_template(template: &str) -> Result<Vec<Part>, Invalid> {
    const PATH: &[&str] = &["signed"];
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
                let rest = &template[at + 1..];
                let Some(end) = rest.find('}') else {
                    return fail(
                        PATH,
                        format!(
                            "unclosed `{{` at character {column} (write `{{{{` for a literal one)"
                        ),
                    );
                };
                let name = &rest[..end];
                let Some(part) = PARTS.find(name) else {
                    let parts: Vec<String> = PARTS.words().map(|w| format!("{{{w}}}")).collect();
                    return fail(
                        PATH,
                        format!(
                            "unknown part {{{}}} at character {column}; the parts are {} (write \
                             {{{{ and }}}} for literal braces)",
                            name.chars().take(40).collect::<String>().escape_debug(),
                            parts.join(", ")
                        ),
                    );
                };
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

/// The template of a scheme whose signature travels in the body: the body holds the
/// signature, so it cannot be signed; the timestamp and the id must be.
fn check_body_template(parts: &[Part]) -> Result<(), Invalid> {
    const PATH: &[&str] = &["signed"];
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
    const PATH: &[&str] = &["signed"];
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
