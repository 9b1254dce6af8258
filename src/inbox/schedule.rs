//! [`RetrySchedule`]: when a failed delivery runs again, and when it is given up.

use std::cell::Cell;
use std::time::Duration;

use super::error::InboxConfigError;
use super::lease::AfterFailure;
use super::state::DeadReason;
use super::time::{Timestamp, millis};

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

/// The default delays between attempts: the first attempt runs at once, then these 12
/// retries (13 attempts over about 52 hours), each plus 0–25 % jitter.
pub const DEFAULT_DELAYS: [Duration; 12] = [
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(2 * 60),
    Duration::from_secs(10 * 60),
    Duration::from_secs(30 * 60),
    HOUR,
    Duration::from_secs(2 * 3600),
    Duration::from_secs(4 * 3600),
    Duration::from_secs(8 * 3600),
    Duration::from_secs(12 * 3600),
    Duration::from_secs(12 * 3600),
    Duration::from_secs(12 * 3600),
];
/// The default maximum age: 72 hours (Stripe's retry window) from the receipt, or from the
/// latest replay.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(72 * 3600);
/// The default jitter: each delay is lengthened by a random 0–25 %.
pub const DEFAULT_JITTER_PERCENT: u32 = 25;
/// The most retries a schedule may list.
pub const MAX_RETRIES: usize = 100;
/// The longest single delay: 7 days.
pub const MAX_DELAY: Duration = Duration::from_secs(7 * 24 * 3600);

/// When a failed delivery runs again, and when it goes dead.
///
/// The first attempt runs at once. After the `n`th failed attempt of a cycle (a cycle
/// starts at the receipt and at each replay), the next runs `delays[n - 1]` later, plus a
/// random 0 to `jitter` % of it, or after the handler's own `retry_after` when it gave
/// one. The delivery goes dead when the handler's error is permanent, when the delays are
/// spent, or when the next attempt would fall later than `max_age` after the cycle began.
///
/// ```
/// use std::time::Duration;
/// use hookguard::inbox::RetrySchedule;
/// let schedule = RetrySchedule::parse("200ms,1s,5s")?.max_age(Duration::from_secs(60));
/// assert_eq!(schedule.delays(), [Duration::from_millis(200), Duration::from_secs(1), Duration::from_secs(5)]);
/// assert_eq!(schedule.max_attempts(), 4);
/// assert_eq!(RetrySchedule::default().max_attempts(), 13);
/// # Ok::<(), hookguard::inbox::InboxConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule {
    delays: Vec<Duration>,
    jitter_percent: u32,
    max_age: Duration,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        Self {
            delays: DEFAULT_DELAYS.to_vec(),
            jitter_percent: DEFAULT_JITTER_PERCENT,
            max_age: DEFAULT_MAX_AGE,
        }
    }
}

impl RetrySchedule {
    /// A schedule with these delays between attempts (none: one attempt only), the default
    /// jitter and maximum age. At most [`MAX_RETRIES`] delays, each at most [`MAX_DELAY`].
    pub fn new(delays: impl IntoIterator<Item = Duration>) -> Result<Self, InboxConfigError> {
        let delays: Vec<Duration> = delays.into_iter().collect();
        if delays.len() > MAX_RETRIES {
            return Err(InboxConfigError::InvalidSchedule("more than 100 retries"));
        }
        if delays.iter().any(|d| *d > MAX_DELAY) {
            return Err(InboxConfigError::InvalidSchedule("a delay above 7 days"));
        }
        Ok(Self {
            delays,
            ..Self::default()
        })
    }

    /// Parses comma-separated delays such as `200ms,1s,5s,2m,1h,1d` (units `ms`, `s`, `m`,
    /// `h`, `d`; whole numbers); the count is the number of retries.
    pub fn parse(text: &str) -> Result<Self, InboxConfigError> {
        let delays = text
            .split(',')
            .map(|part| parse_delay(part.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(delays)
    }

    /// Lengthens each delay by a random 0 to `percent` % (at most 100). Defaults to 25.
    pub fn jitter_percent(mut self, percent: u32) -> Result<Self, InboxConfigError> {
        if percent > 100 {
            return Err(InboxConfigError::InvalidSchedule("jitter above 100 %"));
        }
        self.jitter_percent = percent;
        Ok(self)
    }

    /// No attempt later than this after the receipt (or the latest replay). Defaults to
    /// [`DEFAULT_MAX_AGE`].
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// The delays between attempts.
    pub fn delays(&self) -> &[Duration] {
        &self.delays
    }

    /// The most attempts per cycle: one more than the delays.
    pub fn max_attempts(&self) -> u32 {
        u32::try_from(self.delays.len()).map_or(u32::MAX, |n| n.saturating_add(1))
    }

    /// The maximum age.
    pub fn get_max_age(&self) -> Duration {
        self.max_age
    }

    /// The jitter, in percent.
    pub fn get_jitter_percent(&self) -> u32 {
        self.jitter_percent
    }

    /// The earliest and latest wait after the `failed`th failed attempt of a cycle (counting
    /// from 1), jitter included; `None` once the delays are spent.
    pub fn wait_bounds(&self, failed: u32) -> Option<(Duration, Duration)> {
        let delay = *self
            .delays
            .get(usize::try_from(failed.checked_sub(1)?).ok()?)?;
        Some((delay, delay + self.jitter_span(delay)))
    }

    fn jitter_span(&self, delay: Duration) -> Duration {
        let span = u128::from(millis(delay)) * u128::from(self.jitter_percent) / 100;
        Duration::from_millis(u64::try_from(span).unwrap_or(u64::MAX))
    }

    /// What follows the failure of the `failed`th attempt of a cycle that began at
    /// `cycle_started_at`, failing at `now`; `retry_after` is the handler's own wish.
    pub fn after_failure(
        &self,
        failed: u32,
        cycle_started_at: Timestamp,
        now: Timestamp,
        retry_after: Option<Duration>,
    ) -> AfterFailure {
        let Some((delay, _)) = self.wait_bounds(failed) else {
            return AfterFailure::Dead(DeadReason::ScheduleSpent);
        };
        let wait = retry_after.unwrap_or_else(|| {
            let span = millis(self.jitter_span(delay));
            let extra = u128::from(span) * u128::from(random_u64() % 10_001) / 10_000;
            delay + Duration::from_millis(u64::try_from(extra).unwrap_or(u64::MAX))
        });
        let at = now.saturating_add(wait);
        if at > cycle_started_at.saturating_add(self.max_age) {
            AfterFailure::Dead(DeadReason::MaxAge)
        } else {
            AfterFailure::RetryAt(at)
        }
    }

    /// Whether a delivery leased for its `attempt`th attempt of the cycle must go dead
    /// without running: past the schedule (its earlier attempts were interrupted, e.g. by a
    /// handler that crashes the process) or past the maximum age.
    pub fn expired(
        &self,
        attempt: u32,
        cycle_started_at: Timestamp,
        now: Timestamp,
    ) -> Option<DeadReason> {
        if attempt > self.max_attempts() {
            Some(DeadReason::ScheduleSpent)
        } else if now > cycle_started_at.saturating_add(self.max_age) {
            Some(DeadReason::MaxAge)
        } else {
            None
        }
    }
}

fn parse_delay(text: &str) -> Result<Duration, InboxConfigError> {
    let bad = InboxConfigError::InvalidSchedule("delays look like 200ms, 5s, 2m, 1h or 1d");
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or(bad.clone())?;
    let (number, unit) = text.split_at(split);
    if number.is_empty() || number.len() > 12 {
        return Err(bad);
    }
    let n: u64 = number.parse().map_err(|_| bad.clone())?;
    let unit = match unit {
        "ms" => Duration::from_millis(1),
        "s" => SECOND,
        "m" => MINUTE,
        "h" => HOUR,
        "d" => 24 * HOUR,
        _ => return Err(bad),
    };
    u32::try_from(n)
        .ok()
        .and_then(|n| unit.checked_mul(n))
        .ok_or(bad)
}

/// A fast per-thread random number (xorshift64*), seeded from the standard library's
/// randomly keyed hasher: enough for jitter, not for secrets.
fn random_u64() -> u64 {
    use std::hash::BuildHasher;
    thread_local! {
        static STATE: Cell<u64> = Cell::new(
            std::collections::hash_map::RandomState::new().hash_one(std::thread::current().id()) | 1,
        );
    }
    STATE.with(|state| {
        let mut x = state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> Timestamp {
        Timestamp::from_unix_millis(ms)
    }

    #[test]
    fn parses_units_and_refuses_the_rest() {
        let s = RetrySchedule::parse("200ms, 1s,2m,1h,1d").unwrap();
        assert_eq!(
            s.delays(),
            [
                Duration::from_millis(200),
                SECOND,
                2 * MINUTE,
                HOUR,
                24 * HOUR
            ]
        );
        for bad in [
            "",
            "5",
            "s",
            "1.5s",
            "-1s",
            "1w",
            "8d",
            "1s,,2s",
            "99999999999999s",
        ] {
            assert!(RetrySchedule::parse(bad).is_err(), "{bad:?}");
        }
        assert!(RetrySchedule::new(vec![SECOND; 101]).is_err());
        assert_eq!(RetrySchedule::new([]).unwrap().max_attempts(), 1);
    }

    #[test]
    fn waits_stay_within_the_jitter_bounds() {
        let s = RetrySchedule::default();
        for failed in 1..=12 {
            let (low, high) = s.wait_bounds(failed).unwrap();
            assert_eq!(high, low + low / 4);
            for _ in 0..200 {
                match s.after_failure(failed, t(0), t(0), None) {
                    AfterFailure::RetryAt(at) => {
                        let wait = at.duration_since(t(0));
                        assert!(wait >= low && wait <= high, "{failed}: {wait:?}");
                    }
                    other => panic!("{failed}: {other:?}"),
                }
            }
        }
        assert_eq!(
            s.after_failure(13, t(0), t(0), None),
            AfterFailure::Dead(DeadReason::ScheduleSpent)
        );
    }

    #[test]
    fn max_age_and_retry_after() {
        let s = RetrySchedule::new([HOUR]).unwrap().max_age(30 * MINUTE);
        assert_eq!(
            s.after_failure(1, t(0), t(0), None),
            AfterFailure::Dead(DeadReason::MaxAge)
        );
        assert_eq!(
            s.after_failure(1, t(0), t(0), Some(SECOND)),
            AfterFailure::RetryAt(t(1000))
        );
        let no_jitter = RetrySchedule::new([SECOND])
            .unwrap()
            .jitter_percent(0)
            .unwrap();
        assert_eq!(
            no_jitter.after_failure(1, t(0), t(5), None),
            AfterFailure::RetryAt(t(1005))
        );
        assert_eq!(s.expired(3, t(0), t(0)), Some(DeadReason::ScheduleSpent));
        assert_eq!(s.expired(2, t(0), t(0)), None);
        assert_eq!(
            s.expired(1, t(0), t(31 * 60 * 1000)),
            Some(DeadReason::MaxAge)
        );
    }
}
