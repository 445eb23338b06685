//! How a window sum splits into stored granularities: whole UTC hours come
//! from hourly rollups, the minutes of a partial first or last hour from the
//! minute rows, so any window (a local day in Asia/Kolkata starts at :30)
//! costs at most two partial hours of minutes plus one rollup per hour and
//! series. Stores with daily rollups split the whole hours once more into
//! whole UTC days and the hours at either edge, so a month costs about 31
//! rollups per series instead of 744.
//!
//! Pure arithmetic on epoch seconds; every store uses the same rules, so
//! their sums cannot disagree about an edge.

use chrono::{DateTime, Utc};

use super::encoding::bound_secs;

/// Seconds in an hourly rollup bucket.
pub const HOUR: i64 = 3600;
/// Seconds in a daily rollup bucket (UTC days).
pub const DAY: i64 = 24 * HOUR;

/// How `[from, to)` splits into minute and hour ranges (epoch seconds).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Split {
    /// Minute ranges `[a, b)`, read from minute rows.
    pub minutes: Vec<(i64, i64)>,
    /// Hour range `[a, b)` of hour starts, read from rollups.
    pub hours: Option<(i64, i64)>,
}

pub(crate) fn split(from: DateTime<Utc>, to: DateTime<Utc>) -> Split {
    // Rows are whole minutes: `minute >= from` ⇔ `minute >= ceil_minute(from)`.
    let ceil_minute = |at: DateTime<Utc>| (bound_secs(at) + 59).div_euclid(60) * 60;
    let (f, t) = (ceil_minute(from), ceil_minute(to));
    if f >= t {
        return Split { minutes: vec![], hours: None };
    }
    let (h0, h1) = ((f + HOUR - 1).div_euclid(HOUR) * HOUR, t.div_euclid(HOUR) * HOUR);
    if h0 >= h1 {
        return Split { minutes: vec![(f, t)], hours: None };
    }
    let minutes = [(f, h0), (h1, t)].into_iter().filter(|(a, b)| a < b).collect();
    Split { minutes, hours: Some((h0, h1)) }
}

/// Whole hours `[a, b)` as whole UTC days and the hours around them.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Hours {
    /// Hour ranges `[a, b)` read from hourly rollups.
    pub hours: Vec<(i64, i64)>,
    /// Day range `[a, b)` of day starts, read from daily rollups.
    pub days: Option<(i64, i64)>,
}

pub(crate) fn split_days((a, b): (i64, i64)) -> Hours {
    let (d0, d1) = ((a + DAY - 1).div_euclid(DAY) * DAY, b.div_euclid(DAY) * DAY);
    if d0 >= d1 {
        return Hours { hours: vec![(a, b)].into_iter().filter(|(x, y)| x < y).collect(), days: None };
    }
    let hours = [(a, d0), (d1, b)].into_iter().filter(|(x, y)| x < y).collect();
    Hours { hours, days: Some((d0, d1)) }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, h, m, s).unwrap()
    }

    #[test]
    fn windows_split_into_partial_hours_and_whole_hours() {
        let e = |d: DateTime<Utc>| d.timestamp();
        let cases = [
            // Inside one hour: minutes only.
            (
                at(10, 5, 0),
                at(10, 50, 0),
                Split { minutes: vec![(e(at(10, 5, 0)), e(at(10, 50, 0)))], hours: None },
            ),
            // Aligned on hours: hours only.
            (
                at(10, 0, 0),
                at(13, 0, 0),
                Split { minutes: vec![], hours: Some((e(at(10, 0, 0)), e(at(13, 0, 0)))) },
            ),
            // A half-hour zone's midnight: both edges partial.
            (
                at(10, 30, 0),
                at(13, 30, 0),
                Split {
                    minutes: vec![(e(at(10, 30, 0)), e(at(11, 0, 0))), (e(at(13, 0, 0)), e(at(13, 30, 0)))],
                    hours: Some((e(at(11, 0, 0)), e(at(13, 0, 0)))),
                },
            ),
            // Seconds round up to the next minute on both ends (half-open).
            (
                at(10, 0, 1),
                at(10, 2, 1),
                Split { minutes: vec![(e(at(10, 1, 0)), e(at(10, 3, 0)))], hours: None },
            ),
            (at(10, 0, 0), at(10, 0, 0), Split { minutes: vec![], hours: None }),
            (at(11, 0, 0), at(10, 0, 0), Split { minutes: vec![], hours: None }),
        ];
        for (from, to, want) in cases {
            assert_eq!(split(from, to), want, "{from} .. {to}");
        }
    }

    #[test]
    fn whole_hours_split_into_whole_days_and_edge_hours() {
        let day = |d: u32| Utc.with_ymd_and_hms(2026, 3, d, 0, 0, 0).unwrap().timestamp();
        // A local month east of UTC: from 23:00 UTC the day before to 23:00 on its last day.
        let (a, b) = (day(1) - HOUR, day(31) + 23 * HOUR);
        assert_eq!(
            split_days((a, b)),
            Hours { hours: vec![(a, day(1)), (day(31), b)], days: Some((day(1), day(31))) }
        );
        // Aligned on UTC days: days only.
        assert_eq!(split_days((day(1), day(31))), Hours { hours: vec![], days: Some((day(1), day(31))) });
        // Less than a day, across midnight: hours only.
        let (a, b) = (day(2) - 3 * HOUR, day(2) + 2 * HOUR);
        assert_eq!(split_days((a, b)), Hours { hours: vec![(a, b)], days: None });
        assert_eq!(split_days((a, a)), Hours { hours: vec![], days: None });
    }
}
