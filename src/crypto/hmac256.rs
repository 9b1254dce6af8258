//! HMAC-SHA256 with the key schedule done once, when the verifier is built.
//!
//! HMAC hashes `key ⊕ ipad` and `key ⊕ opad` as the first block of its inner and outer
//! hashes; those two compressions depend only on the key. The keyed `Hmac<Sha256>` state is
//! built once and cloned per delivery, which saves two of the ~20 SHA-256 compressions of a
//! 1 KiB verify. The stored state is as secret as the key, so it is overwritten in place with
//! the state of an all-zero key when the verifier is dropped.

use hmac::Hmac;
use hmac::digest::KeyInit;
use sha2::Sha256;

pub(crate) struct PreparedHmacSha256(Box<Hmac<Sha256>>);

impl PreparedHmacSha256 {
    /// `None` never happens (HMAC accepts keys of any length); kept fallible to avoid a panic
    /// path.
    pub(crate) fn new(key: &[u8]) -> Option<Self> {
        <Hmac<Sha256> as KeyInit>::new_from_slice(key)
            .ok()
            .map(|mac| Self(Box::new(mac)))
    }

    /// A fresh MAC computation under the prepared key.
    pub(crate) fn start(&self) -> Hmac<Sha256> {
        (*self.0).clone()
    }
}

// The wipe cannot be observed from safe code (the crate forbids `unsafe`), so no test can
// tell it from an empty `drop`: cargo-mutants leaves it alone instead of reporting a survivor.
#[cfg_attr(mutants, mutants::skip)]
impl Drop for PreparedHmacSha256 {
    fn drop(&mut self) {
        if let Ok(blank) = <Hmac<Sha256> as KeyInit>::new_from_slice(&[0u8; 64]) {
            *self.0 = blank;
        }
        // Keeps the overwrite from being optimised away as a dead store before the free.
        std::hint::black_box(&*self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::Mac;

    #[test]
    fn equals_a_freshly_keyed_hmac_for_every_key_length() {
        let data: Vec<u8> = (0..400u32).map(|i| (i * 7 + 3) as u8).collect();
        for key_len in [1usize, 31, 32, 63, 64, 65, 100, 200] {
            let key: Vec<u8> = (0..key_len).map(|i| (i * 13 + 1) as u8).collect();
            let prepared = PreparedHmacSha256::new(&key).unwrap();
            for len in [0usize, 1, 55, 56, 63, 64, 65, 119, 120, 128, 400] {
                let mut ours = prepared.start();
                ours.update(&data[..len]);
                let mut theirs = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap();
                theirs.update(&data[..len]);
                assert_eq!(
                    ours.finalize().into_bytes(),
                    theirs.finalize().into_bytes(),
                    "key {key_len} len {len}"
                );
            }
            // The prepared state is not consumed: a second use gives the same MAC.
            let mut again = prepared.start();
            again.update(&data);
            let mut theirs = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap();
            theirs.update(&data);
            assert_eq!(
                again.finalize().into_bytes(),
                theirs.finalize().into_bytes()
            );
        }
    }
}
