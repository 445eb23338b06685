//! When the bill of a day is final. Cost Explorer's figures for a day keep
//! moving for a day or three (AWS updates billing data up to three times a
//! day), so a closed day is read again on later runs until it stops
//! changing: a day is frozen — never asked for again — at the first read
//! that finds it unchanged at least `settle` after the day ended. A day read
//! less than `reread_after` ago is not asked again (the data cannot have
//! moved much, and every request is billed); a day older than the lookback
//! is never asked. Pure.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use crate::records::{BillDay, BillLine};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettleRule {
    pub settle: Duration,
    pub reread_after: Duration,
    pub lookback_days: u32,
}

/// The end of a UTC day (the next midnight).
pub fn day_end(day: NaiveDate) -> DateTime<Utc> {
    let next = day.succ_opt().unwrap_or(day);
    Utc.from_utc_datetime(&next.and_time(chrono::NaiveTime::MIN))
}

/// The closed days the lookback covers, oldest first: yesterday and the
/// `lookback_days − 1` before it.
pub fn closed_days(now: DateTime<Utc>, lookback_days: u32) -> Vec<NaiveDate> {
    let today = now.date_naive();
    (1..=i64::from(lookback_days)).rev().filter_map(|n| today.checked_sub_signed(Duration::days(n))).collect()
}

impl SettleRule {
    /// Whether `day` (last read as `known`) should be asked for now.
    pub fn wants(&self, known: Option<&BillDay>, now: DateTime<Utc>) -> bool {
        match known {
            None => true,
            Some(d) => !d.frozen && now - d.last_read >= self.reread_after,
        }
    }

    /// The day after a read at `now` that found `lines`.
    pub fn after_read(
        &self,
        day: NaiveDate,
        known: Option<&BillDay>,
        lines: Vec<BillLine>,
        estimated: bool,
        now: DateTime<Utc>,
    ) -> BillDay {
        let Some(before) = known else {
            return BillDay {
                day,
                lines,
                estimated,
                first_read: now,
                last_read: now,
                reads: 1,
                last_changed: now,
                frozen: false,
            };
        };
        let unchanged = before.lines == lines;
        BillDay {
            day,
            frozen: unchanged && now - day_end(day) >= self.settle,
            last_changed: if unchanged { before.last_changed } else { now },
            lines,
            estimated,
            first_read: before.first_read,
            last_read: now,
            reads: before.reads.saturating_add(1),
        }
    }
}

/// Consecutive days as `[from, to)` ranges, so one query covers each run.
pub fn runs(days: &[NaiveDate]) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    for &d in days {
        let next = d.succ_opt().unwrap_or(d);
        match out.last_mut() {
            Some((_, to)) if *to == d => *to = next,
            _ => out.push((d, next)),
        }
    }
    out
}

#[cfg(test)]
#[path = "settle_tests.rs"]
mod tests;
