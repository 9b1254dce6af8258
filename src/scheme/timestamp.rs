//! Canonical timestamp parsing and the two-sided tolerance window.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::Unit;

/// Parses a timestamp in `unit`'s text form into a count of `unit`s since the Unix epoch
/// (nanoseconds for RFC 3339). `None` when the text is not in the one accepted form.
pub(crate) fn parse(text: &str, unit: Unit) -> Option<i64> {
    match unit {
        Unit::Seconds | Unit::Milliseconds => parse_canonical(text),
        Unit::Rfc3339 => parse_rfc3339(text),
    }
}

/// The text form of `seconds` in `unit`, for signing: decimal, or RFC 3339 UTC without a
/// fraction. `None` when out of range (negative, or past year 9999).
pub(crate) fn format(seconds: i64, unit: Unit) -> Option<String> {
    if seconds < 0 {
        return None;
    }
    match unit {
        Unit::Seconds | Unit::Milliseconds => {
            let scaled = i128::from(seconds) * unit.per_second();
            i64::try_from(scaled).ok().map(|t| t.to_string())
        }
        Unit::Rfc3339 => {
            let t = time::OffsetDateTime::from_unix_timestamp(seconds).ok()?;
            (t.year() <= 9999).then(|| {
                format!(
                    "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                    t.year(),
                    u8::from(t.month()),
                    t.day(),
                    t.hour(),
                    t.minute(),
                    t.second()
                )
            })
        }
    }
}

/// Parses exactly `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` (upper-case `T` and `Z`, UTC only, no leap
/// second) into Unix nanoseconds; `None` for any other text, an invalid date, or an instant
/// outside the `i64` nanosecond range (years 1677 to 2262).
pub(crate) fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(range)?;
        part.iter().all(u8::is_ascii_digit).then(|| {
            part.iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
        })
    };
    let fixed = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if b.len() < 20 || fixed.iter().any(|&(i, c)| b[i] != c) || b.last() != Some(&b'Z') {
        return None;
    }
    let year = i32::try_from(digits(0..4)?).ok()?;
    let month = u8::try_from(digits(5..7)?).ok()?;
    let day = u8::try_from(digits(8..10)?).ok()?;
    let hour = u8::try_from(digits(11..13)?).ok()?;
    let minute = u8::try_from(digits(14..16)?).ok()?;
    let second = u8::try_from(digits(17..19)?).ok()?;
    let nanos = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', frac @ ..] if (1..=9).contains(&frac.len()) => {
            let n = digits(20..20 + frac.len())?;
            n * 10u32.pow(9 - frac.len() as u32)
        }
        _ => return None,
    };
    let month = time::Month::try_from(month).ok()?;
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    let clock = time::Time::from_hms_nano(hour, minute, second, nanos).ok()?;
    let at = time::PrimitiveDateTime::new(date, clock).assume_utc();
    i64::try_from(at.unix_timestamp_nanos()).ok()
}

/// Parses `0|[1-9][0-9]{0,18}` into an `i64`. No sign, no leading zeros, no spaces, no
/// underscores, no radix prefixes: one text per value, so what is signed is what is checked.
/// Digits are accumulated with checked arithmetic, so a value past `i64::MAX` (at most 19
/// digits fit) is refused at the first digit that overflows, however long the text.
pub(crate) fn parse_canonical(text: &str) -> Option<i64> {
    let (first, rest) = text.as_bytes().split_first()?;
    if *first == b'0' {
        return rest.is_empty().then_some(0);
    }
    let mut value: i64 = 0;
    for &b in text.as_bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
    }
    Some(value)
}

/// `now` as a signed count of `unit`s since the Unix epoch (negative before it).
pub(crate) fn unix(now: SystemTime, unit: Unit) -> i128 {
    let per_second = unit.per_second();
    // The sub-second part fits in 64 bits (< 10⁹ × 10⁹), and a 64-bit division is several
    // times cheaper than a 128-bit one on the hot path.
    let per_second_u64 = per_second as u64;
    let scaled = |d: Duration| {
        i128::from(d.as_secs()) * per_second
            + i128::from(u64::from(d.subsec_nanos()) * per_second_u64 / 1_000_000_000)
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
        + i128::from(u64::from(tolerance.subsec_millis()) * unit.per_second() as u64 / 1000);
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
        assert_eq!(parse_canonical("7"), Some(7));
        assert_eq!(parse_canonical(&format!("1{}", "0".repeat(4000))), None);
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
    fn rfc3339_utc_forms_only() {
        let base = 1_573_899_072_000_000_000i64; // 2019-11-16T10:11:12Z
        assert_eq!(parse_rfc3339("2019-11-16T10:11:12Z"), Some(base));
        assert_eq!(
            parse_rfc3339("2019-11-16T10:11:12.634234626Z"),
            Some(base + 634_234_626)
        );
        assert_eq!(
            parse_rfc3339("2019-11-16T10:11:12.5Z"),
            Some(base + 500_000_000)
        );
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2024-02-29T00:00:00Z"),
            Some(1_709_164_800_000_000_000)
        );
        for bad in [
            "",
            "2019-11-16T10:11:12",
            "2019-11-16t10:11:12Z",
            "2019-11-16T10:11:12z",
            "2019-11-16 10:11:12Z",
            "2019-11-16T10:11:12+00:00",
            "2019-11-16T10:11:12.Z",
            "2019-11-16T10:11:12.1234567890Z",
            "2019-11-16T10:11:60Z",
            "2019-11-16T24:00:00Z",
            "2019-02-29T00:00:00Z",
            "2019-13-01T00:00:00Z",
            "2019-00-01T00:00:00Z",
            "2019-11-00T00:00:00Z",
            "2019-1-16T10:11:12Z",
            "+2019-11-16T10:11:12Z",
            " 2019-11-16T10:11:12Z",
            "2019-11-16T10:11:12Z ",
            "2019-11-16T10:11:1aZ",
            "2019-11-16T10:11:12.1a3Z",
            "2019-11-16T10:11:12.-1Z",
            "2300-01-01T00:00:00Z",
            "1600-01-01T00:00:00Z",
            "2019-11-16T10:11:12.634234626ZZ",
            "２019-11-16T10:11:12Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn rfc3339_formats_whole_seconds() {
        assert_eq!(
            format(1_573_899_072, Unit::Rfc3339).as_deref(),
            Some("2019-11-16T10:11:12Z")
        );
        assert_eq!(
            format(0, Unit::Rfc3339).as_deref(),
            Some("1970-01-01T00:00:00Z")
        );
        assert_eq!(format(-1, Unit::Rfc3339), None);
        assert_eq!(format(253_402_300_800, Unit::Rfc3339), None);
        assert_eq!(format(5, Unit::Milliseconds).as_deref(), Some("5000"));
    }

    #[test]
    fn sub_second_clocks_and_tolerances_count() {
        let half = Duration::from_millis(500);
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000) + half;
        assert_eq!(unix(now, Unit::Milliseconds), 1_700_000_000_500);
        assert_eq!(unix(now, Unit::Seconds), 1_700_000_000);
        let tol = Duration::from_millis(300_500);
        assert!(within(1_700_000_301_000, Unit::Milliseconds, now, tol));
        assert!(!within(1_700_000_301_001, Unit::Milliseconds, now, tol));
        assert!(within(1_699_999_700_000, Unit::Milliseconds, now, tol));
        assert!(!within(1_699_999_699_999, Unit::Milliseconds, now, tol));
    }

    #[test]
    fn clocks_before_1970_are_negative() {
        let before = UNIX_EPOCH - Duration::from_secs(200);
        assert_eq!(unix(before, Unit::Seconds), -200);
        assert_eq!(unix(before, Unit::Milliseconds), -200_000);
        let tol = Duration::from_secs(300);
        assert!(!within(200, Unit::Seconds, before, tol), "400 s apart");
        assert!(within(100, Unit::Seconds, before, tol));
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
