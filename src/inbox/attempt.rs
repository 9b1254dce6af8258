//! The activity log: one [`Attempt`] per run of the handler, kept with the delivery.

use std::time::Duration;

use super::state::{Trigger, named_codes};
use super::time::Timestamp;

/// The most bytes of a handler's error text the activity log keeps.
pub const MAX_ERROR_LEN: usize = 1024;

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AttemptOutcome {
    /// Still running (the lease is held).
    Running,
    /// The handler returned `Ok`.
    Succeeded,
    /// The handler returned a retryable error.
    Failed,
    /// The handler returned a permanent error.
    Rejected,
    /// The handler did not finish within the handler timeout.
    TimedOut,
    /// The handler panicked.
    Panicked,
    /// The attempt never finished: its lease expired, its process stopped or crashed.
    Interrupted,
    /// Not run: the delivery's schedule was spent or it was too old when leased.
    Expired,
}

named_codes!(AttemptOutcome {
    Running = 1, "running";
    Succeeded = 2, "succeeded";
    Failed = 3, "failed";
    Rejected = 4, "rejected";
    TimedOut = 5, "timed_out";
    Panicked = 6, "panicked";
    Interrupted = 7, "interrupted";
    Expired = 8, "expired";
});

/// One attempt of a delivery: when it ran, how it ended and the handler's error text.
///
/// The error text is the message of the handler's [`HandlerError`](super::HandlerError),
/// truncated to [`MAX_ERROR_LEN`] bytes. The body is never recorded here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub(crate) number: u32,
    pub(crate) trigger: Trigger,
    pub(crate) started_at: Timestamp,
    pub(crate) ended_at: Option<Timestamp>,
    pub(crate) outcome: AttemptOutcome,
    pub(crate) latency: Option<Duration>,
    pub(crate) error: Option<String>,
}

impl Attempt {
    /// A running attempt, as a store records it when it grants a lease.
    pub(crate) fn started(number: u32, trigger: Trigger, at: Timestamp) -> Self {
        Self {
            number,
            trigger,
            started_at: at,
            ended_at: None,
            outcome: AttemptOutcome::Running,
            latency: None,
            error: None,
        }
    }

    /// Records the end of the attempt.
    pub(crate) fn finish(&mut self, finish: &Finish) {
        self.ended_at = Some(finish.at);
        self.outcome = finish.outcome;
        // An interrupted attempt has no measured latency: the time it held its lease.
        self.latency = Some(match finish.outcome {
            AttemptOutcome::Interrupted => finish.at.duration_since(self.started_at),
            _ => finish.latency,
        });
        self.error.clone_from(&finish.error);
    }

    /// The attempt's number: 1 for the first, counting every attempt, replays included.
    pub fn number(&self) -> u32 {
        self.number
    }

    /// What started it.
    pub fn trigger(&self) -> Trigger {
        self.trigger
    }

    /// When the lease was granted.
    pub fn started_at(&self) -> Timestamp {
        self.started_at
    }

    /// When it ended; `None` while running.
    pub fn ended_at(&self) -> Option<Timestamp> {
        self.ended_at
    }

    /// How it ended.
    pub fn outcome(&self) -> AttemptOutcome {
        self.outcome
    }

    /// How long the handler ran, as the worker measured it; `None` while running.
    pub fn latency(&self) -> Option<Duration> {
        self.latency
    }

    /// The handler's error text (at most [`MAX_ERROR_LEN`] bytes).
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
}

/// The end of an attempt, as the worker reports it to the store.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finish {
    /// When the attempt ended.
    pub at: Timestamp,
    /// How long the handler ran.
    pub latency: Duration,
    /// How it ended.
    pub outcome: AttemptOutcome,
    /// The handler's error text, already truncated to [`MAX_ERROR_LEN`] bytes.
    pub error: Option<String>,
}

impl Finish {
    /// A successful attempt.
    pub fn succeeded(at: Timestamp, latency: Duration) -> Self {
        Self {
            at,
            latency,
            outcome: AttemptOutcome::Succeeded,
            error: None,
        }
    }

    /// A failed attempt; `error` is truncated to [`MAX_ERROR_LEN`] bytes.
    pub fn failed(
        at: Timestamp,
        latency: Duration,
        outcome: AttemptOutcome,
        error: Option<&str>,
    ) -> Self {
        Self {
            at,
            latency,
            outcome,
            error: error.map(truncate_error),
        }
    }
}

/// `text` cut to at most [`MAX_ERROR_LEN`] bytes, on a character boundary.
pub(crate) fn truncate_error(text: &str) -> String {
    if text.len() <= MAX_ERROR_LEN {
        return text.to_owned();
    }
    let mut end = MAX_ERROR_LEN;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_text_is_cut_on_a_char_boundary() {
        assert_eq!(truncate_error("short"), "short");
        let long = "é".repeat(MAX_ERROR_LEN);
        let cut = truncate_error(&long);
        assert!(cut.len() <= MAX_ERROR_LEN && cut.len() >= MAX_ERROR_LEN - 1);
        assert!(cut.chars().all(|c| c == 'é'));
    }

    #[test]
    fn finishing_records_outcome_and_text() {
        let t = Timestamp::from_unix_millis(7);
        let mut attempt = Attempt::started(3, Trigger::Retry, t);
        assert_eq!(attempt.outcome(), AttemptOutcome::Running);
        let finish = Finish::failed(
            t,
            Duration::from_millis(4),
            AttemptOutcome::Failed,
            Some("upstream 502"),
        );
        attempt.finish(&finish);
        assert_eq!(attempt.error(), Some("upstream 502"));
        assert_eq!(attempt.ended_at(), Some(t));
        assert_eq!(attempt.latency(), Some(Duration::from_millis(4)));
        for outcome in [AttemptOutcome::Expired, AttemptOutcome::Running] {
            assert_eq!(AttemptOutcome::from_code(outcome.code()), Some(outcome));
        }
    }
}
