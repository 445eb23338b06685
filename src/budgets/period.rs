//! Budget periods: the calendar day, ISO week (Monday first) or month that
//! contains an instant, in an IANA timezone, as a UTC half-open `[start, end)`.
//!
//! Also the local days a report shows (`local_days`).
//!
//! Pure. A local midnight that does not exist (a DST gap at 00:00, as in
//! America/Santiago or Asia/Beirut in some years) starts the period at the
//! first instant that does; an ambiguous one (clocks set back over midnight)
//! at the earlier. So a DST day is 23 or 25 hours long and periods always
//! tile time without gaps or overlaps.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::config::Period;

/// `[start, end)` of the period that contains `at`.
pub fn bounds(period: Period, tz: Tz, at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let local = at.with_timezone(&tz).date_naive();
    let (first, next) = match period {
        Period::Day => (local, local.succ_opt().unwrap_or(local)),
        Period::Week => {
            let monday = local - Duration::days(i64::from(local.weekday().num_days_from_monday()));
            (monday, monday + Duration::days(7))
        }
        Period::Month => {
            let first = local.with_day(1).unwrap_or(local);
            (first, next_month(first))
        }
    };
    (midnight(tz, first), midnight(tz, next))
}

fn next_month(first: NaiveDate) -> NaiveDate {
    let (y, m) = if first.month() == 12 { (first.year() + 1, 1) } else { (first.year(), first.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(first)
}

/// The first instant of `day` in `tz`.
pub fn midnight(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    let mut t = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    // A DST gap is at most a few hours; step through it a minute at a time.
    for _ in 0..(24 * 60) {
        match tz.from_local_datetime(&t) {
            LocalResult::Single(d) => return d.with_timezone(&Utc),
            LocalResult::Ambiguous(earlier, _) => return earlier.with_timezone(&Utc),
            LocalResult::None => t += Duration::minutes(1),
        }
    }
    // Unreachable for real zones (no gap is a day long); fall back to UTC.
    Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// Each day of `from..=to` with its window `[local midnight, next local
/// midnight)`: the days a report shows, tiling time like the periods do.
pub fn local_days(from: NaiveDate, to: NaiveDate, tz: Tz) -> Vec<(NaiveDate, DateTime<Utc>, DateTime<Utc>)> {
    from.iter_days()
        .take_while(|day| *day <= to)
        .map(|day| {
            let next = day.succ_opt().unwrap_or(day);
            (day, midnight(tz, day), midnight(tz, next))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America, Asia, Australia, Europe, UTC};

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// (period, timezone, instant, start, end)
    const CASES: &[(Period, Tz, &str, &str, &str)] = &[
        (Period::Day, UTC, "2026-03-01T10:00:00Z", "2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z"),
        // Tokyo is UTC+9: 23:30 UTC is already the next local day.
        (Period::Day, Asia::Tokyo, "2026-03-01T23:30:00Z", "2026-03-01T15:00:00Z", "2026-03-02T15:00:00Z"),
        // Kolkata (+5:30) starts days on the half hour.
        (Period::Day, Asia::Kolkata, "2026-03-01T00:00:00Z", "2026-02-28T18:30:00Z", "2026-03-01T18:30:00Z"),
        // Berlin's spring-forward day has 23 hours, the fall-back day 25.
        (Period::Day, Europe::Berlin, "2026-03-29T12:00:00Z", "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"),
        (Period::Day, Europe::Berlin, "2026-10-25T12:00:00Z", "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z"),
        // New York at the instant the day starts belongs to that day (half-open).
        (
            Period::Day,
            America::New_York,
            "2026-07-04T04:00:00Z",
            "2026-07-04T04:00:00Z",
            "2026-07-05T04:00:00Z",
        ),
        (
            Period::Day,
            America::New_York,
            "2026-07-04T03:59:59Z",
            "2026-07-03T04:00:00Z",
            "2026-07-04T04:00:00Z",
        ),
        // ISO weeks start on Monday; 2026-03-01 is a Sunday.
        (Period::Week, UTC, "2026-03-01T23:59:00Z", "2026-02-23T00:00:00Z", "2026-03-02T00:00:00Z"),
        (Period::Week, UTC, "2026-03-02T00:00:00Z", "2026-03-02T00:00:00Z", "2026-03-09T00:00:00Z"),
        // Week over a year end, across a DST change (Sydney ends DST on 2026-04-05).
        (Period::Week, UTC, "2026-12-31T12:00:00Z", "2026-12-28T00:00:00Z", "2027-01-04T00:00:00Z"),
        (
            Period::Week,
            Australia::Sydney,
            "2026-04-02T00:00:00Z",
            "2026-03-29T13:00:00Z",
            "2026-04-05T14:00:00Z",
        ),
        // Month ends: February in a common year, December into January, a leap February.
        (Period::Month, UTC, "2026-02-28T23:59:59Z", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"),
        (Period::Month, UTC, "2026-12-31T23:00:00Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"),
        (Period::Month, UTC, "2028-02-29T12:00:00Z", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z"),
        // Berlin's March has the spring-forward day: 743 hours.
        (
            Period::Month,
            Europe::Berlin,
            "2026-03-15T00:00:00Z",
            "2026-02-28T23:00:00Z",
            "2026-03-31T22:00:00Z",
        ),
        // 31 Jan 20:00 in New York is already February in UTC: New York's January.
        (
            Period::Month,
            America::New_York,
            "2026-02-01T01:00:00Z",
            "2026-01-01T05:00:00Z",
            "2026-02-01T05:00:00Z",
        ),
        // Santiago skipped local midnight on 2026-09-06 (clocks 00:00 -> 01:00).
        (
            Period::Day,
            America::Santiago,
            "2026-09-06T12:00:00Z",
            "2026-09-06T04:00:00Z",
            "2026-09-07T03:00:00Z",
        ),
    ];

    #[test]
    fn local_days_tile_a_dst_change() {
        let days = local_days(
            NaiveDate::from_ymd_opt(2026, 3, 28).unwrap(),
            NaiveDate::from_ymd_opt(2026, 3, 30).unwrap(),
            Europe::Berlin,
        );
        let hours: Vec<i64> = days.iter().map(|(_, from, to)| (*to - *from).num_hours()).collect();
        assert_eq!(hours, [24, 23, 24], "the spring-forward day has 23 hours");
        assert!(days.windows(2).all(|w| w[0].2 == w[1].1), "each day starts where the last ended");
        assert_eq!(days[1].1, utc("2026-03-28T23:00:00Z"));
    }

    #[test]
    fn periods_table() {
        for (period, tz, at, start, end) in CASES {
            assert_eq!(bounds(*period, *tz, utc(at)), (utc(start), utc(end)), "{period:?} {tz} {at}");
        }
    }

    #[test]
    fn consecutive_periods_tile_time() {
        for tz in [UTC, Europe::Berlin, Asia::Kolkata, America::Santiago, Australia::Sydney] {
            for period in [Period::Day, Period::Week, Period::Month] {
                let mut at = utc("2026-01-01T00:00:00Z");
                let (_, mut prev_end) = bounds(period, tz, at);
                at = prev_end;
                for _ in 0..40 {
                    let (start, end) = bounds(period, tz, at);
                    assert_eq!(start, prev_end, "{period:?} {tz}: no gap, no overlap");
                    assert!(end > start);
                    prev_end = end;
                    at = end;
                }
            }
        }
    }
}
