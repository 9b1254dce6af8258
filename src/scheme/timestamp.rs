//! Canonical timestamp parsing and the two-sided tolerance window.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::Unit;

/// Parses `0|[1-9][0-9]{0,18}` into an `i64`. No sign, no leading zeros, no spaces, no
/// underscores, no radix prefixes: one text per value, so what is signed is what is checked.
pub(crate) fn parse_canonical(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let canonical = match bytes {
        [] => false,
        [b'0'] => true,
        [b'1'..=b'9', rest @ ..] => rest.len() <= 18 && rest.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    if !canonical {
        return None;
    }
    // 19 digits may still exceed i64::MAX; `parse` reports that as an error.
    text.parse().ok()
}

/// `now` as a signed count of `unit`s since the Unix epoch (negative before it).
pub(crate) fn unix(now: SystemTime, unit: Unit) -> i128 {
    let per_second = unit.per_second();
    let scaled = |d: Duration| {
        i128::from(d.as_secs()) * per_second
            + i128::from(d.subsec_nanos()) * per_second / 1_000_000_000
    };
    match now.duration_since(UNIX_EPOCH) {
        Ok(d) => scaled(d),
        Err(e) => -scaled(e.duration()),
    }
}

/// Whether `ts` is within `tolerance` of `now`, on both sides, boundaries included.
/// i128 arithmetic cannot overflow for any i64 timestamp and any `Duration`.
pub(crate) fn within(ts: i64, unit: Unit, now: SystemTime, tolerance: Duration) -> bool {
    let now = unix(now, unit);
    let tol = i128::from(tolerance.as_secs()) * unit.per_second()
        + i128::from(tolerance.subsec_millis()) * unit.per_second() / 1000;
    (i128::from(ts) - now).abs() <= tol
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms_only() {
        assert_eq!(parse_canonical("0"), Some(0));
        assert_eq!(parse_canonical("1614265330"), Some(1_614_265_330));
        assert_eq!(parse_canonical("9223372036854775807"), Some(i64::MAX));
        for bad in [
            "",
            "00",
            "01",
            "+1",
            "-1",
            " 1",
            "1 ",
            "0x10",
            "1_0",
            "1.0",
            "9223372036854775808",
            "18446744073709551615",
            "12345678901234567890",
            "١٢",
            "1e3",
        ] {
            assert_eq!(parse_canonical(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn window_is_two_sided_and_inclusive() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let tol = Duration::from_secs(300);
        assert!(within(1_700_000_300, Unit::Seconds, now, tol));
        assert!(within(1_699_999_700, Unit::Seconds, now, tol));
        assert!(!within(1_700_000_301, Unit::Seconds, now, tol));
        assert!(!within(1_699_999_699, Unit::Seconds, now, tol));
        assert!(!within(i64::MIN, Unit::Seconds, now, tol));
        assert!(!within(i64::MAX, Unit::Seconds, now, tol));
        assert!(within(1_700_000_300_000, Unit::Milliseconds, now, tol));
        assert!(!within(1_700_000_300_001, Unit::Milliseconds, now, tol));
    }
}
