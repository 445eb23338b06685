//! What the store keeps for how long (the TTL of each class of item) and
//! the one decision that needs "now": a minute too close to its expiry is
//! not written, because re-writing a row DynamoDB has already deleted would
//! add it to its totals a second time.
//!
//! Pure; must not send anything.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::keys;
use crate::clock::{Clock, SystemClock};
use crate::ledger::encoding::minute_at;
use crate::ledger::StoreError;

/// Rows this close to their expiry are not re-written: DynamoDB may delete
/// an item as soon as it expires by DynamoDB's clock, not ours, and a row
/// deleted between our read and our write would be added to its totals again.
const EXPIRY_MARGIN: Duration = Duration::days(1);

/// Retention (DynamoDB TTL) of each class of item, and the store's clock.
#[derive(Clone)]
pub struct DynamoOptions {
    /// Minute rows (lines, points, calls, shares); `None` keeps them forever.
    pub minute_retention: Option<Duration>,
    /// Hourly and daily rollups; at least `minute_retention`, `None` forever.
    pub rollup_retention: Option<Duration>,
    /// Published alerts (pending ones never expire); `None` forever.
    pub published_alert_retention: Option<Duration>,
    /// Only decides which minutes are too old to write; every TTL is computed
    /// from the record's own time.
    pub clock: Arc<dyn Clock>,
    /// The most one request may take, its retries included (`connect` sets
    /// it on the client); `None` keeps the SDK configuration's. The daemon
    /// keeps it well below the leader lease, so a hung call cannot outlast
    /// the leadership it was made under.
    pub call_timeout: Option<std::time::Duration>,
}

impl Default for DynamoOptions {
    fn default() -> Self {
        DynamoOptions {
            minute_retention: Some(Duration::days(35)),
            rollup_retention: Some(Duration::days(400)),
            published_alert_retention: Some(Duration::days(400)),
            clock: Arc::new(SystemClock),
            call_timeout: None,
        }
    }
}

impl fmt::Debug for DynamoOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamoOptions")
            .field("minute_retention", &self.minute_retention)
            .field("rollup_retention", &self.rollup_retention)
            .field("published_alert_retention", &self.published_alert_retention)
            .field("call_timeout", &self.call_timeout)
            .finish_non_exhaustive()
    }
}

impl DynamoOptions {
    pub(super) fn validate(&self) -> Result<(), StoreError> {
        let bad = |why: &str| Err(StoreError::Backend(format!("DynamoDB store options: {why}")));
        if self.minute_retention.is_some_and(|d| d <= EXPIRY_MARGIN * 2) {
            return bad("minute_retention must be longer than two days");
        }
        match (self.minute_retention, self.rollup_retention) {
            (None, Some(_)) => bad("rollups cannot expire while minute rows are kept forever"),
            (Some(m), Some(r)) if r < m => bad("rollup_retention must be at least minute_retention"),
            _ if self.published_alert_retention.is_some_and(|d| d <= Duration::zero()) => {
                bad("published_alert_retention must be positive")
            }
            _ => Ok(()),
        }
    }

    /// `minute` (epoch seconds) if it may be written: storable, and not so
    /// old that its stored row may already be gone.
    pub(super) fn writable(&self, minute: i64) -> Result<i64, StoreError> {
        keys::storable(minute)?;
        let horizon = self.writable_from();
        if let (Some(keep), Some(horizon)) = (self.minute_retention, horizon) {
            if minute < horizon.timestamp() {
                return Err(StoreError::Backend(format!(
                    "minute {} is too old to write: minute rows expire after {} days, and re-writing one \
                     that has already expired would count it twice",
                    minute_at(minute)?,
                    keep.num_days()
                )));
            }
        }
        Ok(minute)
    }

    /// The first instant whose minutes may still be written, `None` while
    /// minute rows never expire (what `writable` checks against).
    pub(super) fn writable_from(&self) -> Option<DateTime<Utc>> {
        let keep = self.minute_retention?;
        self.clock.now().checked_sub_signed(keep).and_then(|at| at.checked_add_signed(EXPIRY_MARGIN))
    }

    pub(super) fn minute_expiry(&self, minute: i64) -> Option<i64> {
        self.minute_retention.map(|keep| minute.saturating_add(keep.num_seconds()))
    }

    pub(super) fn rollup_secs(&self) -> Option<i64> {
        self.rollup_retention.map(|keep| keep.num_seconds())
    }

    pub(super) fn published_expiry(&self, at: DateTime<Utc>) -> Option<i64> {
        self.published_alert_retention.map(|keep| at.timestamp().saturating_add(keep.num_seconds()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::clock::ManualClock;
    use chrono::TimeZone;

    fn at(now: DateTime<Utc>) -> DynamoOptions {
        DynamoOptions { clock: Arc::new(ManualClock::new(now)), ..DynamoOptions::default() }
    }

    #[test]
    fn minutes_close_to_expiry_are_not_written() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
        let o = at(now);
        let secs = |d: DateTime<Utc>| d.timestamp();
        assert!(o.writable(secs(now - Duration::days(33))).is_ok());
        let err = o.writable(secs(now - Duration::days(35))).unwrap_err().to_string();
        assert!(err.contains("too old to write") && err.contains("35 days"), "{err}");
        assert!(
            o.writable(secs(now - Duration::days(34) - Duration::minutes(1))).is_err(),
            "a day of margin"
        );
        let forever = DynamoOptions { minute_retention: None, rollup_retention: None, ..at(now) };
        assert!(forever.writable(0).is_ok());
        assert_eq!(o.minute_expiry(60), Some(60 + 35 * 86_400));
        assert_eq!(forever.minute_expiry(60), None);
    }

    #[test]
    fn retentions_must_keep_rollups_at_least_as_long_as_minutes() {
        assert!(DynamoOptions::default().validate().is_ok());
        let short = DynamoOptions { rollup_retention: Some(Duration::days(10)), ..DynamoOptions::default() };
        assert!(short.validate().is_err());
        let odd = DynamoOptions { minute_retention: None, ..DynamoOptions::default() };
        assert!(odd.validate().is_err(), "rollups cannot expire before the minutes they sum");
        let tiny = DynamoOptions { minute_retention: Some(Duration::hours(12)), ..DynamoOptions::default() };
        assert!(tiny.validate().is_err());
        let huge = DynamoOptions {
            minute_retention: Some(Duration::days(3_000_000)),
            rollup_retention: None,
            ..DynamoOptions::default()
        };
        assert!(huge.writable(0).is_ok(), "a horizon before 1970 refuses nothing");
    }
}
