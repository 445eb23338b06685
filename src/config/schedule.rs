//! Cron schedules of the scheduled jobs, validated when the config loads.
//! Parsing checks the syntax; whether a schedule still fires is judged
//! against the instant its caller passes (`fires_after`), so nothing here
//! reads the clock.
//!
//! Uses the `cron` crate's syntax: `sec min hour day-of-month month
//! day-of-week [year]`. A five-field expression is read as standard cron
//! (minute first) with seconds = 0, so `*/5 * * * *` means what it usually does.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer};

#[derive(Clone, Debug)]
pub struct CronSchedule {
    expression: String,
    schedule: cron::Schedule,
}

impl CronSchedule {
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The next `n` run times strictly after `after`, evaluated in `tz`
    /// (so `0 0 8 * * *` is 08:00 local time, across DST changes).
    pub fn next_runs<Tz: TimeZone>(&self, after: DateTime<Utc>, tz: &Tz, n: usize) -> Vec<DateTime<Tz>> {
        self.schedule.after(&after.with_timezone(tz)).take(n).collect()
    }

    /// How many run times fall in `(after, until]`: ticks a job missed while busy.
    pub fn count_between<Tz: TimeZone>(&self, after: DateTime<Utc>, until: DateTime<Utc>, tz: &Tz) -> u64 {
        self.schedule.after(&after.with_timezone(tz)).take_while(|t| t.with_timezone(&Utc) <= until).count()
            as u64
    }

    /// A schedule that fires every `secs` seconds, aligned on the clock:
    /// `secs` must divide a minute, or be whole minutes that divide an hour.
    pub fn every_secs(secs: u64) -> Result<CronSchedule, String> {
        let expr = match secs {
            s if s > 0 && s < 60 && 60 % s == 0 => format!("*/{s} * * * * *"),
            s if s >= 60 && s % 60 == 0 && 3600 % s == 0 => format!("0 */{} * * * *", s / 60),
            s => {
                return Err(format!(
                    "{s} seconds is not a whole divisor of a minute or of an hour (e.g. 15, 30, 60, 300)"
                ))
            }
        };
        expr.parse()
    }

    /// Whether the schedule has a run after `now`. A valid expression whose
    /// runs all lie in the past (a year gone by) would silently stop its job,
    /// so loading refuses it.
    pub fn fires_after(&self, now: DateTime<Utc>) -> bool {
        self.schedule.after(&now).next().is_some()
    }

    /// The latest run time strictly before `before`, evaluated in `tz`.
    pub fn previous_before<Tz: TimeZone>(&self, before: DateTime<Utc>, tz: &Tz) -> Option<DateTime<Utc>> {
        self.schedule.after(&before.with_timezone(tz)).next_back().map(|t| t.with_timezone(&Utc))
    }

    pub fn next_after<Tz: TimeZone>(&self, after: DateTime<Utc>, tz: &Tz) -> Option<DateTime<Utc>> {
        self.next_runs(after, tz, 1).into_iter().next().map(|t| t.with_timezone(&Utc))
    }
}

impl FromStr for CronSchedule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        let fields = trimmed.split_whitespace().count();
        let normalised = match fields {
            5 => format!("0 {trimmed}"),
            6 | 7 => trimmed.to_string(),
            n => {
                return Err(format!(
                    "invalid cron expression `{s}`: {n} fields; expected 5 (min hour dom month dow) or 6-7 (sec min hour dom month dow [year])"
                ))
            }
        };
        let schedule = cron::Schedule::from_str(&normalised)
            .map_err(|e| format!("invalid cron expression `{s}`: {e}"))?;
        Ok(CronSchedule { expression: trimmed.to_string(), schedule })
    }
}

impl fmt::Display for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.expression)
    }
}

impl<'de> Deserialize<'de> for CronSchedule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let ok = ["0 */5 * * * *", "*/5 * * * *", "0 0 8 * * *", "0 30 7 * * Mon-Fri", "0 0 0 1 * * *"];
        for s in ok {
            assert!(s.parse::<CronSchedule>().is_ok(), "{s}");
        }
        let bad = ["", "* * *", "0 61 * * * *", "every five minutes"];
        for s in bad {
            let err = s.parse::<CronSchedule>().unwrap_err();
            assert!(err.contains("cron expression"), "{s}: {err}");
        }
    }

    #[test]
    fn a_schedule_whose_runs_are_past_does_not_fire() {
        let s: CronSchedule = "0 0 0 1 1 * 2001".parse().unwrap();
        assert!(!s.fires_after(Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()));
        assert!(s.fires_after(Utc.with_ymd_and_hms(2000, 6, 1, 0, 0, 0).unwrap()));
    }

    #[test]
    fn five_fields_mean_standard_cron() {
        let s: CronSchedule = "*/15 * * * *".parse().unwrap();
        let after = Utc.with_ymd_and_hms(2026, 11, 25, 10, 7, 30).unwrap();
        let runs = s.next_runs(after, &Utc, 2);
        assert_eq!(runs[0], Utc.with_ymd_and_hms(2026, 11, 25, 10, 15, 0).unwrap());
        assert_eq!(runs[1], Utc.with_ymd_and_hms(2026, 11, 25, 10, 30, 0).unwrap());
    }

    #[test]
    fn counts_missed_ticks() {
        let s: CronSchedule = "0 * * * * *".parse().unwrap();
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
        assert_eq!(s.count_between(at, at, &Utc), 0);
        assert_eq!(s.count_between(at, at + chrono::Duration::seconds(59), &Utc), 0);
        assert_eq!(s.count_between(at, at + chrono::Duration::seconds(180), &Utc), 3);
    }

    #[test]
    fn schedules_follow_the_timezone_across_dst() {
        let s: CronSchedule = "0 0 8 * * *".parse().unwrap();
        let tz = chrono_tz::Europe::Berlin;
        // Berlin leaves summer time on 2026-10-25: 08:00 local is 06:00 UTC before, 07:00 after.
        let after = Utc.with_ymd_and_hms(2026, 10, 24, 12, 0, 0).unwrap();
        let runs: Vec<_> = s.next_runs(after, &tz, 2).into_iter().map(|t| t.with_timezone(&Utc)).collect();
        assert_eq!(runs[0], Utc.with_ymd_and_hms(2026, 10, 25, 7, 0, 0).unwrap());
        assert_eq!(runs[1], Utc.with_ymd_and_hms(2026, 10, 26, 7, 0, 0).unwrap());
    }
}
