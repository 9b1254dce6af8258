//! Keeps the body out of the activity log: any run of [`WINDOW`] or more bytes of a
//! handler's error message that also occurs in the body is replaced by `[redacted]`.
//!
//! One pass over the body with a rolling hash of every window of the message: linear in
//! the body's length, whatever the message holds.

use std::borrow::Cow;
use std::collections::HashMap;

/// The shortest copied run that is redacted.
pub(crate) const WINDOW: usize = 16;
const BASE: u64 = 0x100_0000_01b3;

/// `message` with every run copied from `body` (at least [`WINDOW`] bytes) redacted.
pub(crate) fn redact_body<'a>(message: &'a str, body: &[u8]) -> Cow<'a, str> {
    let covered = copied_bytes(message.as_bytes(), body);
    if !covered.iter().any(|c| *c) {
        return Cow::Borrowed(message);
    }
    let mut out = String::with_capacity(message.len());
    let mut in_run = false;
    for (at, ch) in message.char_indices() {
        let hit = covered[at..at + ch.len_utf8()].iter().any(|c| *c);
        if hit && !in_run {
            out.push_str("[redacted]");
        } else if !hit {
            out.push(ch);
        }
        in_run = hit;
    }
    Cow::Owned(out)
}

/// For each byte of `message`, whether it lies in a window that occurs in `body`.
fn copied_bytes(message: &[u8], body: &[u8]) -> Vec<bool> {
    let mut covered = vec![false; message.len()];
    if message.len() < WINDOW || body.len() < WINDOW {
        return covered;
    }
    let top = BASE.wrapping_pow(WINDOW as u32 - 1);
    let mut starts: HashMap<u64, Vec<usize>> = HashMap::new();
    for start in 0..=message.len() - WINDOW {
        starts
            .entry(hash(&message[start..start + WINDOW]))
            .or_default()
            .push(start);
    }
    let mut h = hash(&body[..WINDOW]);
    for at in 0..=body.len() - WINDOW {
        if at > 0 {
            h = h
                .wrapping_sub(u64::from(body[at - 1]).wrapping_mul(top))
                .wrapping_mul(BASE)
                .wrapping_add(u64::from(body[at + WINDOW - 1]));
        }
        if let Some(found) = starts.get(&h) {
            let window = &body[at..at + WINDOW];
            for &start in found {
                if &message[start..start + WINDOW] == window {
                    covered[start..start + WINDOW].fill(true);
                }
            }
        }
    }
    covered
}

fn hash(window: &[u8]) -> u64 {
    window.iter().fold(0u64, |h, b| {
        h.wrapping_mul(BASE).wrapping_add(u64::from(*b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copied_runs_are_redacted_short_ones_kept() {
        let body = br#"{"customer":"jane.doe@example.com","amount":1200}"#;
        let message = "cannot charge jane.doe@example.com: card declined";
        assert_eq!(
            redact_body(message, body),
            "cannot charge [redacted]: card declined"
        );
        // Short fragments ("amount", "1200") are not worth hiding.
        assert_eq!(
            redact_body("amount 1200 too high", body),
            "amount 1200 too high"
        );
        let whole = String::from_utf8_lossy(body).into_owned();
        assert_eq!(redact_body(&whole, body), "[redacted]");
        assert!(matches!(
            redact_body("no copy here at all", body),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn multibyte_text_stays_valid() {
        let body = "prix: 12 €, client: Zoë Ångström, ville: Köln".as_bytes();
        let message = "refusé pour Zoë Ångström, ville: Köln — réessayer";
        let redacted = redact_body(message, body);
        assert!(redacted.starts_with("refusé pour"));
        assert!(redacted.contains("[redacted]") && !redacted.contains("Ångström"));
        assert!(redacted.ends_with("— réessayer"));
    }
}
