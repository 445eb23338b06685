//! The injected clock. Everything that needs "now" takes a `Clock`, so tests
//! and the demo can run at any instant without waiting. Also the minute
//! arithmetic of windows: whole minutes, and a window read in spans.

use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// The start of the minute containing `t`: CloudWatch's 1-minute buckets,
/// and every collection window, begin on whole minutes.
pub fn floor_minute(t: DateTime<Utc>) -> DateTime<Utc> {
    let secs = t.timestamp();
    let floored = secs - secs.rem_euclid(60);
    DateTime::from_timestamp(floored, 0).unwrap_or(t)
}

/// `[from, to)` cut into consecutive spans of at most `step` (a positive
/// duration), for reading a long window a piece at a time.
pub fn spans(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    step: chrono::Duration,
) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> {
    let mut start = from;
    std::iter::from_fn(move || {
        if start >= to || step <= chrono::Duration::zero() {
            return None;
        }
        let end = (start + step).min(to);
        let span = (start, end);
        start = end;
        Some(span)
    })
}

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// Wall-clock time.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[expect(
        clippy::disallowed_methods,
        reason = "the one reader of the system clock: everything else is handed a Clock"
    )]
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        ManualClock(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.lock() = at;
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.lock();
        *now += by;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
        // A poisoned lock still holds a valid instant; keep using it.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::{floor_minute, spans};
    use chrono::{Duration, TimeZone, Utc};

    #[test]
    fn floor_minute_table() {
        let t = |h, m, s| Utc.with_ymd_and_hms(2026, 1, 1, h, m, s).unwrap();
        let cases = [
            (t(0, 0, 59), t(0, 0, 0)),
            (t(10, 5, 0), t(10, 5, 0)),
            (t(23, 59, 0) + Duration::milliseconds(59_999), t(23, 59, 0)),
        ];
        for (input, want) in cases {
            assert_eq!(floor_minute(input), want, "{input}");
        }
    }

    #[test]
    fn spans_cover_the_window_contiguously_none_longer_than_the_step() {
        let from = Utc.with_ymd_and_hms(2026, 12, 6, 23, 50, 0).unwrap();
        let to = from + Duration::hours(24) + Duration::minutes(7);
        let step = Duration::minutes(15);
        let cut: Vec<_> = spans(from, to, step).collect();
        assert_eq!(cut.len(), 97);
        assert_eq!(cut.first().map(|c| c.0), Some(from));
        assert_eq!(cut.last().map(|c| c.1), Some(to));
        assert!(cut.windows(2).all(|w| w[0].1 == w[1].0), "contiguous");
        assert!(cut.iter().all(|(a, b)| a < b && *b - *a <= step));
        assert_eq!(spans(from, from, step).count(), 0);
        assert_eq!(spans(from, to, Duration::zero()).count(), 0, "no endless loop");
    }
}
