//! Wall-clock time for the inbox: [`Timestamp`] and the injectable [`WallClock`].
//!
//! The replay guard measures leases with the monotonic [`crate::clock::Clock`]; the inbox
//! schedules attempts hours and days ahead and must keep those times across restarts, so it
//! stores wall-clock times (milliseconds since the Unix epoch) and reads them from a
//! [`WallClock`] that tests replace with a [`ManualWallClock`].

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A wall-clock time in whole milliseconds since the Unix epoch.
///
/// ```
/// use std::time::Duration;
/// use hookguard::inbox::Timestamp;
/// let t = Timestamp::from_unix_millis(1_000);
/// assert_eq!(t.saturating_add(Duration::from_secs(2)).as_unix_millis(), 3_000);
/// assert_eq!(t.saturating_add(Duration::from_secs(2)).duration_since(t), Duration::from_secs(2));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The time `millis` milliseconds after the Unix epoch.
    pub const fn from_unix_millis(millis: u64) -> Self {
        Self(millis)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_unix_millis(self) -> u64 {
        self.0
    }

    /// A [`SystemTime`] as a timestamp (times before the epoch become the epoch).
    pub fn from_system_time(time: SystemTime) -> Self {
        let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
        Self(millis(since))
    }

    /// The timestamp as a [`SystemTime`].
    pub fn to_system_time(self) -> SystemTime {
        // Saturates where the platform's `SystemTime` ends (far beyond any real timestamp).
        let far = UNIX_EPOCH + Duration::from_secs(u64::from(u32::MAX));
        UNIX_EPOCH
            .checked_add(Duration::from_millis(self.0))
            .unwrap_or(far)
    }

    /// `self + d`, saturating at the largest timestamp.
    pub fn saturating_add(self, d: Duration) -> Self {
        Self(self.0.saturating_add(millis(d)))
    }

    /// `self - d`, saturating at the epoch.
    pub fn saturating_sub(self, d: Duration) -> Self {
        Self(self.0.saturating_sub(millis(d)))
    }

    /// Time from `earlier` to `self`; zero when `earlier` is later.
    pub fn duration_since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({}ms)", self.0)
    }
}

impl fmt::Display for Timestamp {
    /// Milliseconds since the Unix epoch, as a number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// `d` in whole milliseconds, saturating.
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Where the inbox reads the current wall-clock time. Inject a [`ManualWallClock`] in tests
/// so that retry schedules run without sleeping.
pub trait WallClock: Send + Sync + fmt::Debug + 'static {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct SystemWallClock;

impl WallClock for SystemWallClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_system_time(SystemTime::now())
    }
}

/// A wall clock that moves only when told to; clones share one time.
///
/// ```
/// use std::time::Duration;
/// use hookguard::inbox::{ManualWallClock, Timestamp, WallClock};
/// let clock = ManualWallClock::new(Timestamp::from_unix_millis(5_000));
/// clock.advance(Duration::from_secs(1));
/// assert_eq!(clock.now(), Timestamp::from_unix_millis(6_000));
/// ```
#[derive(Debug, Clone, Default)]
pub struct ManualWallClock {
    millis: Arc<AtomicU64>,
}

impl ManualWallClock {
    /// A clock showing `start`.
    pub fn new(start: Timestamp) -> Self {
        Self {
            millis: Arc::new(AtomicU64::new(start.0)),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = millis(by);
        let _ = self
            .millis
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some(t.saturating_add(by))
            });
    }

    /// Sets the clock to `to` (it may go backwards, as a real wall clock can).
    pub fn set(&self, to: Timestamp) {
        self.millis.store(to.0, Ordering::SeqCst);
    }
}

impl WallClock for ManualWallClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.millis.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saturating_arithmetic() {
        let max = Timestamp::from_unix_millis(u64::MAX);
        assert_eq!(max.saturating_add(Duration::from_secs(1)), max);
        let zero = Timestamp::default();
        assert_eq!(zero.saturating_sub(Duration::from_secs(1)), zero);
        assert_eq!(zero.duration_since(max), Duration::ZERO);
        let t = Timestamp::from_system_time(SystemTime::now());
        assert_eq!(Timestamp::from_system_time(t.to_system_time()), t);
    }

    #[test]
    fn manual_clock_is_shared_by_clones() {
        let clock = ManualWallClock::new(Timestamp::from_unix_millis(10));
        let other = clock.clone();
        other.advance(Duration::from_millis(5));
        assert_eq!(clock.now().as_unix_millis(), 15);
        clock.set(Timestamp::from_unix_millis(3));
        assert_eq!(other.now().as_unix_millis(), 3);
    }
}
