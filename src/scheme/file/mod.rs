#![doc = include_str!("FORMAT.md")]

mod build;
mod id;
mod locate;
mod names;
mod raw;
mod signature;
mod template;
mod timestamp;

use std::fmt;
use std::io::Read as _;
use std::path::Path;

use http::HeaderName;

use super::Scheme;
use build::build;
use locate::Node;
use raw::RawScheme;

/// The largest scheme file read: a scheme is a few hundred bytes.
const MAX_FILE_LEN: usize = 64 * 1024;
/// The longest name of a JSON body field.
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
    #[cfg(feature = "toml")]
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
            #[cfg(feature = "toml")]
            Some("toml") => Scheme::from_toml,
            #[cfg(not(feature = "toml"))]
            Some("toml") => {
                return Err(with_file(SchemeFileError::plain(
                    "TOML scheme files need hookguard's `toml` feature (on by default)",
                )));
            }
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

#[cfg(feature = "toml")]
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

/// The name of a field of the JSON body.
fn field_name<'a>(value: &'a str, path: &'static [&'static str]) -> Result<&'a str, Invalid> {
    if value.is_empty() || value.len() > MAX_FIELD_LEN {
        return fail(path, format!("a field name of 1 to {MAX_FIELD_LEN} bytes"));
    }
    Ok(value)
}

fn header_name(value: &str, path: &'static [&'static str]) -> Result<HeaderName, Invalid> {
    if value.is_empty() || value.len() > 128 {
        return fail(path, "a header name of 1 to 128 characters");
    }
    HeaderName::from_bytes(value.as_bytes())
        .or_else(|_| fail(path, format!("{} is not a valid header name", quote(value))))
}
