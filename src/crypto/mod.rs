//! MAC computation, prepared keys, and constant-time matching over every key × every offered
//! signature.

mod hmac256;
mod keys;

pub(crate) use hmac256::PreparedHmacSha256;
pub(crate) use keys::{Matcher, PreparedKey, check_token, prepare};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};
use subtle::{ConditionallySelectable, ConstantTimeEq};

use crate::scheme::{Algorithm, MessageInput, Part, feed};

/// A computed MAC, on the stack.
pub(crate) struct Tag {
    buf: [u8; 64],
    len: usize,
}

impl Tag {
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

fn hmac_tag<M: Mac + hmac::digest::KeyInit>(
    key: &[u8],
    parts: &[Part],
    input: &MessageInput<'_>,
) -> Tag {
    let mut tag = Tag {
        buf: [0; 64],
        len: 0,
    };
    // HMAC takes keys of any length, so this never fails; an empty tag never matches anyway
    // because matching checks the scheme's fixed signature length.
    if let Ok(mut mac) = <M as hmac::digest::KeyInit>::new_from_slice(key) {
        feed(parts, input, |bytes| mac.update(bytes));
        let out = mac.finalize().into_bytes();
        tag.len = out.len();
        tag.buf[..out.len()].copy_from_slice(&out);
    }
    tag
}

/// The HMAC of the message under `key`, for HMAC algorithms.
pub(crate) fn mac(alg: Algorithm, key: &[u8], parts: &[Part], input: &MessageInput<'_>) -> Tag {
    match alg {
        Algorithm::HmacSha1 => hmac_tag::<Hmac<sha1::Sha1>>(key, parts, input),
        Algorithm::HmacSha256 => hmac_tag::<Hmac<Sha256>>(key, parts, input),
        Algorithm::HmacSha512 => hmac_tag::<Hmac<Sha512>>(key, parts, input),
        Algorithm::Ed25519 | Algorithm::EcdsaP256 | Algorithm::Token => Tag {
            buf: [0; 64],
            len: 0,
        },
    }
}

/// The HMAC-SHA256 of the message under a prepared key.
pub(crate) fn mac_prepared(
    key: &PreparedHmacSha256,
    parts: &[Part],
    input: &MessageInput<'_>,
) -> Tag {
    let mut running = key.start();
    feed(parts, input, |bytes| running.update(bytes));
    let mut tag = Tag {
        buf: [0; 64],
        len: 32,
    };
    tag.buf[..32].copy_from_slice(&running.finalize().into_bytes());
    tag
}

/// Compares `offered` with `expected` in constant time; an offered length other than
/// `expected_len` never matches (lengths are public: they follow from the scheme), so an
/// empty or short tag can never match an equally short signature. `expected` needs no
/// length check of its own: `subtle`'s slice `ct_eq` is false whenever the lengths differ.
pub(crate) fn ct_match(
    expected: &[u8],
    offered: Option<&[u8]>,
    expected_len: usize,
) -> subtle::Choice {
    match offered {
        Some(sig) if sig.len() == expected_len => expected.ct_eq(sig),
        _ => subtle::Choice::from(0),
    }
}

/// Folds one comparison into the running result without branching on secret data: `found`
/// becomes true if `hit`, and `which` takes `index` only for the first hit.
pub(crate) fn record(found: &mut subtle::Choice, which: &mut u32, hit: subtle::Choice, index: u32) {
    which.conditional_assign(&index, hit & !*found);
    *found |= hit;
}

/// SHA-256, for comparing tokens of any length in constant time and for body digests.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_length_never_matches_even_when_both_sides_agree() {
        // Both empty, or both 20 bytes for a 32-byte scheme: the scheme's length decides.
        assert!(!bool::from(ct_match(b"", Some(b""), 32)));
        assert!(!bool::from(ct_match(&[1; 20], Some(&[1; 20]), 32)));
        assert!(!bool::from(ct_match(&[1; 32], Some(&[1; 20]), 32)));
        assert!(!bool::from(ct_match(&[1; 32], None, 32)));
        assert!(!bool::from(ct_match(&[1; 20], Some(&[1; 32]), 32)));
        assert!(!bool::from(ct_match(&[1; 32], Some(&[2; 32]), 32)));
        assert!(bool::from(ct_match(&[1; 32], Some(&[1; 32]), 32)));
    }

    #[test]
    fn record_keeps_the_first_hit() {
        let (mut found, mut which) = (subtle::Choice::from(0), 0u32);
        record(&mut found, &mut which, subtle::Choice::from(0), 0);
        record(&mut found, &mut which, subtle::Choice::from(1), 1);
        record(&mut found, &mut which, subtle::Choice::from(1), 2);
        assert!(bool::from(found));
        assert_eq!(which, 1);
    }
}
