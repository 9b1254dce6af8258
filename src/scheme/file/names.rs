//! The words a scheme file's fields take, one table each: the same table finds a word's
//! meaning and lists the words in the error when one is unknown, so a new word is added in
//! one place. FORMAT.md documents every word (a test below checks it).

use crate::scheme::{Algorithm, Encoding, Handshake, Part, SecretFormat, Unit};

use super::{Invalid, fail, quote, required};

/// A closed list of words and what each means.
pub(super) struct Names<T: 'static> {
    /// What the words name, as messages say it: `unknown <what> "x"`.
    what: &'static str,
    table: &'static [(&'static str, T)],
    /// Whether an unknown value may be repeated in the error: not where a secret may have been
    /// put by mistake.
    echo: bool,
}

pub(super) const ALGORITHMS: Names<Algorithm> = Names::new(
    "algorithm",
    &[
        ("hmac-sha1", Algorithm::HmacSha1),
        ("hmac-sha256", Algorithm::HmacSha256),
        ("hmac-sha512", Algorithm::HmacSha512),
        ("ed25519", Algorithm::Ed25519),
        ("ecdsa-p256", Algorithm::EcdsaP256),
        ("token", Algorithm::Token),
    ],
);

/// Not echoed: a secret put in `secret_format` by mistake must not reach a log.
pub(super) const SECRET_FORMATS: Names<SecretFormat> = Names::never_echoed(
    "secret format",
    &[
        ("utf8", SecretFormat::Utf8),
        ("whsec-base64", SecretFormat::StandardWebhooks),
        ("basic-auth", SecretFormat::BasicAuth),
        ("ed25519", SecretFormat::Ed25519),
        ("ecdsa-p256", SecretFormat::EcdsaP256),
    ],
);

pub(super) const ENCODINGS: Names<Encoding> = Names::new(
    "encoding",
    &[
        ("hex", Encoding::Hex),
        ("base64", Encoding::Base64),
        ("raw", Encoding::Raw),
    ],
);

pub(super) const UNITS: Names<Unit> = Names::new(
    "unit",
    &[
        ("seconds", Unit::Seconds),
        ("milliseconds", Unit::Milliseconds),
        ("rfc3339", Unit::Rfc3339),
    ],
);

pub(super) const HANDSHAKES: Names<Handshake> = Names::new(
    "handshake",
    &[
        ("slack-url-verification", Handshake::SlackUrlVerification),
        ("zoom-url-validation", Handshake::ZoomUrlValidation),
        (
            "twitch-callback-verification",
            Handshake::TwitchCallbackVerification,
        ),
        ("dropbox-challenge", Handshake::DropboxChallenge),
        ("meta-verify-token", Handshake::MetaVerifyToken),
        ("okta-verification", Handshake::OktaVerification),
        ("x-crc", Handshake::XCrc),
    ],
);

/// The parts of a `signed` template, written in braces there (`{id}`).
pub(super) const PARTS: Names<Part> = Names::new(
    "part",
    &[
        ("id", Part::Id),
        ("timestamp", Part::Timestamp),
        ("body", Part::Body),
        ("url", Part::Url),
        ("method", Part::Method),
        ("twilio-params", Part::TwilioParams),
    ],
);

impl<T: Clone + PartialEq> Names<T> {
    const fn new(what: &'static str, table: &'static [(&'static str, T)]) -> Self {
        Self {
            what,
            table,
            echo: true,
        }
    }

    const fn never_echoed(what: &'static str, table: &'static [(&'static str, T)]) -> Self {
        Self {
            what,
            table,
            echo: false,
        }
    }

    pub(super) fn find(&self, text: &str) -> Option<T> {
        self.table
            .iter()
            .find(|(word, _)| *word == text)
            .map(|(_, value)| value.clone())
    }

    /// The word for `value` (the first, if several mean it).
    pub(super) fn word(&self, value: &T) -> &'static str {
        self.table
            .iter()
            .find(|(_, v)| v == value)
            .map_or("", |(word, _)| word)
    }

    pub(super) fn words(&self) -> impl Iterator<Item = &'static str> {
        self.table.iter().map(|(word, _)| *word)
    }

    /// The words as a message lists them: `a, b or c`.
    pub(super) fn expected(&self) -> String {
        let words: Vec<&str> = self.words().collect();
        match words.split_last() {
            Some((last, [])) => (*last).to_owned(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }

    /// `text`'s meaning, or `unknown <what> "text"; expected a, b or c`.
    pub(super) fn parse(&self, text: &str, path: &'static [&'static str]) -> Result<T, Invalid> {
        if let Some(value) = self.find(text) {
            return Ok(value);
        }
        let (what, expected) = (self.what, self.expected());
        if self.echo {
            fail(
                path,
                format!("unknown {what} {}; expected {expected}", quote(text)),
            )
        } else {
            fail(
                path,
                format!(
                    "unknown {what} (the value is not shown); expected {expected}. The secret \
                     itself never goes in a scheme file"
                ),
            )
        }
    }

    /// A field that must be there: when missing, the error lists the words.
    pub(super) fn required(
        &self,
        value: &Option<String>,
        path: &'static [&'static str],
    ) -> Result<T, Invalid> {
        self.parse(required(value, path, &self.expected())?, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_prose() {
        assert_eq!(ENCODINGS.expected(), "hex, base64 or raw");
        assert_eq!(UNITS.find("milliseconds"), Some(Unit::Milliseconds));
        assert_eq!(UNITS.find("Seconds"), None);
        assert_eq!(ALGORITHMS.word(&Algorithm::HmacSha256), "hmac-sha256");
    }

    #[test]
    fn an_unknown_secret_format_is_not_repeated() {
        let err = SECRET_FORMATS
            .parse("whsec_abc", &["secret_format"])
            .unwrap_err();
        assert!(!err.message.contains("whsec_abc"), "{}", err.message);
        let err = UNITS.parse("minutes", &["timestamp", "unit"]).unwrap_err();
        assert!(
            err.message
                .starts_with("unknown unit \"minutes\"; expected")
        );
    }

    #[test]
    fn every_word_is_documented() {
        let doc = include_str!("FORMAT.md");
        let in_doc = |word: &str| {
            let other = |c: Option<char>| c.is_none_or(|c| !c.is_ascii_alphanumeric() && c != '-');
            doc.match_indices(word).any(|(at, _)| {
                other(doc[..at].chars().next_back()) && other(doc[at + word.len()..].chars().next())
            })
        };
        let words = ALGORITHMS.words().chain(SECRET_FORMATS.words());
        let words = words.chain(ENCODINGS.words()).chain(UNITS.words());
        for word in words.chain(HANDSHAKES.words()) {
            assert!(in_doc(word), "FORMAT.md does not mention {word}");
        }
        for part in PARTS.words() {
            assert!(
                doc.contains(&format!("`{{{part}}}`")),
                "FORMAT.md: {{{part}}}"
            );
        }
    }
}
