//! Time as the crate reads it: an injectable monotonic [`clock`] (so tests never sleep) and
//! the deadlines that bound body reads, store calls and handlers.

pub mod clock;
pub(crate) mod deadline;

use std::time::Duration;

/// `d` in whole seconds, rounded up, and at least 1: what a `Retry-After` header can say
/// without telling a client to come back before it may.
pub(crate) fn retry_after_secs(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(Duration::from_secs(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds_and_at_least_one() {
        let secs = |d: Duration| retry_after_secs(d).as_secs();
        assert_eq!(secs(Duration::ZERO), 1);
        assert_eq!(secs(Duration::from_millis(1)), 1);
        assert_eq!(secs(Duration::from_secs(1)), 1);
        assert_eq!(secs(Duration::from_millis(1_500)), 2);
        assert_eq!(secs(Duration::from_secs(2)), 2);
        assert_eq!(secs(Duration::from_nanos(3_000_000_001)), 4);
        assert_eq!(
            retry_after_secs(Duration::from_millis(2_500)).subsec_nanos(),
            0
        );
    }
}
