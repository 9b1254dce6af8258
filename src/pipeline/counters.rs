//! Decision counters by [`Outcome`], cheap on the hot path.
//!
//! One counter per outcome per stripe, and each thread counts in its own stripe: a single
//! shared counter (or a locked map) would be a cache line that every worker thread writes on
//! every request.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::{Outcome, OutcomeCount};

const STRIPES: usize = 8;
/// Room for every outcome (a test checks `Outcome::ALL` fits).
const OUTCOMES: usize = 32;

#[repr(align(64))]
struct Stripe([AtomicU64; OUTCOMES]);

/// Counts by outcome.
pub(crate) struct Counts {
    stripes: [Stripe; STRIPES],
}

impl Default for Counts {
    fn default() -> Self {
        Self {
            stripes: std::array::from_fn(|_| Stripe(std::array::from_fn(|_| AtomicU64::new(0)))),
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
    pub(crate) fn bump(&self, outcome: Outcome) {
        self.stripes[stripe()].0[outcome as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Every outcome counted at least once, with its count, in `Outcome` order.
    pub(crate) fn counted(&self) -> Vec<OutcomeCount> {
        Outcome::ALL
            .iter()
            .map(|&outcome| OutcomeCount {
                outcome,
                count: self
                    .stripes
                    .iter()
                    .map(|s| s.0[outcome as usize].load(Ordering::Relaxed))
                    .sum(),
            })
            .filter(|c| c.count > 0)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_has_a_counter() {
        assert!(Outcome::ALL.len() <= OUTCOMES);
        for (i, outcome) in Outcome::ALL.iter().enumerate() {
            assert_eq!(*outcome as usize, i);
        }
    }

    #[test]
    fn counts_from_many_threads_add_up() {
        let counts = std::sync::Arc::new(Counts::default());
        let threads: Vec<_> = (0..STRIPES + 3)
            .map(|_| {
                let counts = counts.clone();
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        counts.bump(Outcome::Handled);
                    }
                    counts.bump(Outcome::Duplicate);
                    counts.bump(Outcome::ClientKeyUnavailable);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let n = (STRIPES + 3) as u64;
        let got: Vec<_> = counts
            .counted()
            .iter()
            .map(|c| (c.outcome.as_str(), c.count))
            .collect();
        assert_eq!(
            got,
            vec![
                ("handled", 1000 * n),
                ("duplicate", n),
                ("client_key_unavailable", n)
            ]
        );
    }
}
