//! Decision counters by outcome, cheap on the hot path.
//!
//! One counter per outcome per stripe, and each thread counts in its own stripe: a single
//! shared counter (or a locked map) would be a cache line that every worker thread writes on
//! every request.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Every outcome the pipeline logs, the commonest first (they are looked up in order).
/// Anything else lands in a map (never in practice).
const KNOWN: [&str; 28] = [
    "handled",
    "handler_failed",
    "duplicate",
    "signature_mismatch",
    "timestamp_out_of_window",
    "rate_limited",
    "delivery_in_flight",
    "unavailable",
    "claimed",
    "unprotected",
    "handshake",
    "handler_panicked",
    "handler_timeout",
    "observed_unverified",
    "missing_signature",
    "missing_header",
    "duplicate_header",
    "malformed_header",
    "too_many_signatures",
    "malformed_payload",
    "payload_too_large",
    "body_timeout",
    "unsupported_encoding",
    "body_read_failed",
    "method_not_allowed",
    "client_key_unavailable",
    "delivery_cooling_down",
    "delivery_conflict",
];

const STRIPES: usize = 8;

#[repr(align(64))]
struct Stripe([AtomicU64; KNOWN.len()]);

/// Counts by outcome.
pub(crate) struct Counts {
    stripes: [Stripe; STRIPES],
    other: dashmap::DashMap<&'static str, u64>,
}

impl Default for Counts {
    fn default() -> Self {
        Self {
            stripes: std::array::from_fn(|_| Stripe(std::array::from_fn(|_| AtomicU64::new(0)))),
            other: dashmap::DashMap::new(),
        }
    }
}

/// This thread's stripe: threads take stripes round-robin on first use.
fn stripe() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static MINE: usize = NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES;
    }
    MINE.with(|s| *s)
}

impl Counts {
    /// Adds one to `outcome`.
    pub(crate) fn bump(&self, outcome: &'static str) {
        match KNOWN.iter().position(|k| *k == outcome) {
            Some(i) => {
                self.stripes[stripe()].0[i].fetch_add(1, Ordering::Relaxed);
            }
            None => *self.other.entry(outcome).or_insert(0) += 1,
        }
    }

    /// Every outcome counted at least once, with its count, sorted by outcome.
    pub(crate) fn sorted(&self) -> Vec<(&'static str, u64)> {
        let mut out: Vec<(&'static str, u64)> = KNOWN
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let n = self
                    .stripes
                    .iter()
                    .map(|s| s.0[i].load(Ordering::Relaxed))
                    .sum();
                (*k, n)
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        out.extend(self.other.iter().map(|e| (*e.key(), *e.value())));
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Rejection;
    use std::time::Duration;

    #[test]
    fn counts_from_many_threads_add_up() {
        let counts = std::sync::Arc::new(Counts::default());
        let threads: Vec<_> = (0..STRIPES + 3)
            .map(|_| {
                let counts = counts.clone();
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        counts.bump("handled");
                    }
                    counts.bump("duplicate");
                    counts.bump("not_a_known_outcome");
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let n = (STRIPES + 3) as u64;
        assert_eq!(
            counts.sorted(),
            vec![
                ("duplicate", n),
                ("handled", 1000 * n),
                ("not_a_known_outcome", n)
            ]
        );
    }

    #[test]
    fn every_rejection_code_is_known() {
        // A new rejection would still be counted (in the map), just more slowly.
        let secs = Duration::from_secs(1);
        let all = [
            Rejection::MissingSignature,
            Rejection::SignatureMismatch,
            Rejection::TimestampOutOfWindow,
            Rejection::TooManySignatures,
            Rejection::MalformedPayload,
            Rejection::PayloadTooLarge,
            Rejection::BodyTimeout,
            Rejection::UnsupportedEncoding,
            Rejection::BodyReadFailed,
            Rejection::MethodNotAllowed,
            Rejection::ClientKeyUnavailable,
            Rejection::RateLimited {
                retry_after: secs,
                quota: 1,
                window: secs,
            },
            Rejection::DeliveryInFlight { retry_after: secs },
            Rejection::DeliveryCoolingDown { retry_after: secs },
            Rejection::DeliveryConflict,
            Rejection::Unavailable { retry_after: secs },
        ];
        for r in all {
            assert!(KNOWN.contains(&r.code()), "{}", r.code());
        }
        for code in ["missing_header", "duplicate_header", "malformed_header"] {
            assert!(KNOWN.contains(&code));
        }
    }
}
