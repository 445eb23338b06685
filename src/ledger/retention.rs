//! What compaction of the embedded store may remove, decided before it
//! touches anything: the horizon before which minute rows fold into their
//! hourly rollups (or, without one, are deleted), the hours whose minutes
//! must stay because a day in a configured timezone starts inside them, and
//! the age past which published alerts are forgotten. Also what a run did.
//!
//! Pure: no I/O, no clock (the job passes `now`). Must not delete anything
//! itself (`sqlite/compact.rs` does, in one transaction per chunk).

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use super::window::{DAY, HOUR};
use crate::budgets::period::midnight;

/// The flag (in the store's flags) holding the instant before which minute
/// detail may be gone: writes before it are refused, and sums that would
/// need a compacted hour's minutes fail instead of undercounting.
pub const COMPACTED_BEFORE: &str = "compacted_before";

/// Writers re-read at most a day behind their watermark (restatement,
/// overlap and lookback are each validated at most 1440 minutes); compaction
/// stays this far behind the oldest one, so no write ever reaches a minute
/// that was folded (re-writing it would add it to its rollup a second time).
pub const WRITER_REACH: Duration = Duration::days(1);

/// How long each kind of row is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    pub minutes: Duration,
    pub published_alerts: Duration,
}

/// One run's instructions to the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompactPlan {
    /// Minute rows before this instant (the start of a UTC hour) go.
    pub minutes_before: DateTime<Utc>,
    /// Alerts published before this instant are deleted; pending ones never.
    pub alerts_before: DateTime<Utc>,
    /// Day sums in these timezones must stay exact: an hour holding one of
    /// their local midnights off the whole hour keeps its cost minutes.
    pub timezones: Vec<Tz>,
}

impl CompactPlan {
    /// The horizon is `now − retention`, held back to a day before the
    /// oldest of `still_written` (each active source's watermark and
    /// attribution point) so that no writer can reach a folded minute.
    pub fn new(
        now: DateTime<Utc>,
        keep: Retention,
        still_written: impl IntoIterator<Item = DateTime<Utc>>,
        timezones: Vec<Tz>,
    ) -> CompactPlan {
        let oldest_write = still_written.into_iter().min().map(|w| w - WRITER_REACH);
        let horizon = oldest_write.map_or(now - keep.minutes, |w| w.min(now - keep.minutes));
        let floored = horizon.timestamp().div_euclid(HOUR) * HOUR;
        CompactPlan {
            minutes_before: DateTime::from_timestamp(floored, 0).unwrap_or(DateTime::UNIX_EPOCH),
            alerts_before: now - keep.published_alerts,
            timezones,
        }
    }

    /// The hours in `[from, to)` (epoch seconds) that hold a local midnight
    /// of a plan timezone not on a whole UTC hour (Asia/Kolkata's 18:30 UTC):
    /// a day sum reads that hour's minutes, so they must stay.
    pub fn boundary_hours(&self, from: i64, to: i64) -> BTreeSet<i64> {
        let mut hours = BTreeSet::new();
        let day = |secs: i64| DateTime::from_timestamp(secs, 0).map(|d| d.date_naive());
        let (Some(first), Some(last)) = (day(from - DAY), day(to + DAY)) else { return hours };
        for tz in &self.timezones {
            for d in first.iter_days().take_while(|d| *d <= last) {
                insert_if_inside(&mut hours, *tz, d, from, to);
            }
        }
        hours
    }
}

fn insert_if_inside(hours: &mut BTreeSet<i64>, tz: Tz, day: NaiveDate, from: i64, to: i64) {
    let at = midnight(tz, day).timestamp();
    if at.rem_euclid(HOUR) != 0 && (from..to).contains(&at) {
        hours.insert(at.div_euclid(HOUR) * HOUR);
    }
}

/// What one compaction did, for the log and the metric.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CompactReport {
    /// Hours whose cost and share minutes were checked against their
    /// rollups and deleted.
    pub hours_folded: u64,
    /// Hours before the horizon whose minutes stay (a local midnight).
    pub hours_kept: u64,
    pub cost_lines: u64,
    pub shares: u64,
    pub metric_points: u64,
    pub calls: u64,
    pub request_ids: u64,
    pub log_objects: u64,
    pub alerts: u64,
    /// The file before and after (0 in memory).
    pub bytes_before: u64,
    pub bytes_after: u64,
}

impl CompactReport {
    /// Rows removed per kind, as the metric labels them.
    pub fn removed(&self) -> [(&'static str, u64); 7] {
        [
            ("cost_line", self.cost_lines),
            ("share", self.shares),
            ("metric_point", self.metric_points),
            ("call", self.calls),
            ("request_id", self.request_ids),
            ("log_object", self.log_objects),
            ("alert", self.alerts),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, h, m, 0).unwrap()
    }

    const KEEP: Retention = Retention { minutes: Duration::days(35), published_alerts: Duration::days(400) };

    #[test]
    fn the_horizon_is_an_hour_and_waits_for_the_oldest_writer() {
        let now = Utc.with_ymd_and_hms(2026, 5, 10, 4, 17, 30).unwrap();
        let plan = CompactPlan::new(now, KEEP, [], vec![]);
        assert_eq!(plan.minutes_before, Utc.with_ymd_and_hms(2026, 4, 5, 4, 0, 0).unwrap());
        assert_eq!(plan.alerts_before, now - Duration::days(400));
        // A source stalled 40 days ago holds compaction a day before it.
        let stalled = now - Duration::days(40);
        let plan = CompactPlan::new(now, KEEP, [now, stalled], vec![]);
        assert_eq!(plan.minutes_before, Utc.with_ymd_and_hms(2026, 3, 30, 4, 0, 0).unwrap());
    }

    #[test]
    fn only_midnights_off_the_hour_keep_their_hour() {
        let plan = |tz| CompactPlan::new(at(20, 0, 0), KEEP, [], vec![tz]);
        let (from, to) = (at(1, 0, 0).timestamp(), at(3, 0, 0).timestamp());
        assert!(plan(chrono_tz::Asia::Tokyo).boundary_hours(from, to).is_empty());
        assert!(plan(chrono_tz::UTC).boundary_hours(from, to).is_empty());
        // Kolkata (+5:30): local midnight is 18:30 UTC the day before.
        let kolkata: Vec<i64> = plan(chrono_tz::Asia::Kolkata).boundary_hours(from, to).into_iter().collect();
        assert_eq!(kolkata, vec![at(1, 18, 0).timestamp(), at(2, 18, 0).timestamp()]);
        // Kathmandu (+5:45) as well, at 18:15.
        let both = CompactPlan::new(
            at(20, 0, 0),
            KEEP,
            [],
            vec![chrono_tz::Asia::Kolkata, chrono_tz::Asia::Kathmandu],
        );
        assert_eq!(both.boundary_hours(from, to).len(), 2, "both fall in the 18:00 UTC hour");
    }
}
