//! The one charset check behind every identifier the crate accepts: delivery ids, key ids,
//! tenant names, handshake challenges.

use std::ops::RangeInclusive;

/// Whether `text` has a length in `len` and only ASCII letters, digits and the bytes of
/// `extra`.
#[inline]
pub(crate) fn is_word(text: &str, extra: &[u8], len: RangeInclusive<usize>) -> bool {
    len.contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

#[cfg(test)]
mod tests {
    use super::is_word;

    #[test]
    fn letters_digits_and_the_extra_bytes_within_the_length() {
        assert!(is_word("msg_1:a-b", b"_:-", 1..=256));
        assert!(!is_word("a.b", b"_:-", 1..=256), "a byte outside the set");
        assert!(!is_word("", b"_:-", 1..=256), "too short");
        assert!(
            is_word("", b"_", 0..=4),
            "empty allowed when the range says so"
        );
        assert!(!is_word("abcde", b"", 0..=4), "too long");
        assert!(!is_word("é", b"", 0..=4), "ASCII only");
    }
}
