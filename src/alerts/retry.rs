//! The delivery rule: after a failed attempt, when the entry is tried again,
//! or whether it is parked (the dead letter), and whether the rest of this
//! flush should wait. Pure: no store, no clock, no SNS.
//!
//! - A message the destination rejects as it is (`Rejected`) is parked at
//!   once: retrying cannot change the answer.
//! - Anything else backs off exponentially (`base` × 2^attempts, at most
//!   `cap`) and is parked when it has had `max_attempts`.
//! - An uncertain attempt (a timeout: the message may have been delivered)
//!   is retried like a transient one, except where the destination drops
//!   repeats (a FIFO topic): there it is retried after `base`, well inside
//!   SNS's 5-minute deduplication interval, so a copy that did land is
//!   dropped by SNS instead of reaching subscribers twice.
//! - A destination that refuses everything, or a run of transient or
//!   uncertain failures (an outage), ends the flush: the others wait for the
//!   next cycle instead of each failing in turn.

use chrono::{DateTime, Duration, Utc};

use super::sink::Failure;

/// How hard the dispatcher tries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts an entry gets before it is parked.
    pub max_attempts: u32,
    /// The first backoff.
    pub base: Duration,
    /// The longest backoff.
    pub cap: Duration,
    /// Consecutive transient or uncertain failures that end a flush.
    pub outage_after: usize,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 20,
            base: Duration::seconds(30),
            cap: Duration::minutes(15),
            outage_after: 3,
        }
    }
}

/// What to do with an entry after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Retry { at: DateTime<Utc> },
    Park,
}

impl RetryPolicy {
    /// `attempts` counts the attempts made so far, this one included.
    pub fn after(&self, failure: Failure, attempts: u32, drops_repeats: bool, now: DateTime<Utc>) -> Verdict {
        if failure == Failure::Rejected || attempts >= self.max_attempts {
            return Verdict::Park;
        }
        let wait =
            if failure == Failure::Uncertain && drops_repeats { self.base } else { self.backoff(attempts) };
        Verdict::Retry { at: now + wait }
    }

    /// `base` × 2^(attempts − 1), at most `cap`.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(20);
        self.base.checked_mul(1 << doublings).map_or(self.cap, |d| d.min(self.cap))
    }

    /// Whether the flush should stop after this failure, given how many
    /// transient or uncertain failures came in a row before it.
    pub fn ends_flush(&self, failure: Failure, streak_before: usize) -> bool {
        match failure {
            Failure::Refused => true,
            Failure::Rejected => false,
            Failure::Transient | Failure::Uncertain => streak_before + 1 >= self.outage_after,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap() + Duration::seconds(s)
    }

    #[test]
    fn each_failure_gets_its_verdict() {
        let p = RetryPolicy::default();
        let cases = [
            // (failure, attempts so far, topic drops repeats, verdict)
            (Failure::Transient, 1, false, Verdict::Retry { at: at(30) }),
            (Failure::Transient, 2, false, Verdict::Retry { at: at(60) }),
            (Failure::Transient, 5, false, Verdict::Retry { at: at(480) }),
            (Failure::Transient, 6, false, Verdict::Retry { at: at(900) }),
            (Failure::Transient, 19, true, Verdict::Retry { at: at(900) }),
            (Failure::Transient, 20, false, Verdict::Park),
            (Failure::Uncertain, 4, false, Verdict::Retry { at: at(240) }),
            (Failure::Uncertain, 4, true, Verdict::Retry { at: at(30) }),
            (Failure::Uncertain, 20, true, Verdict::Park),
            (Failure::Refused, 3, false, Verdict::Retry { at: at(120) }),
            (Failure::Rejected, 1, false, Verdict::Park),
        ];
        for (failure, attempts, drops, want) in cases {
            assert_eq!(p.after(failure, attempts, drops, at(0)), want, "{failure:?} after {attempts}");
        }
    }

    #[test]
    fn backoff_saturates_instead_of_overflowing() {
        let p = RetryPolicy { max_attempts: u32::MAX, ..RetryPolicy::default() };
        assert_eq!(p.backoff(0), Duration::seconds(30));
        assert_eq!(p.backoff(u32::MAX), Duration::minutes(15));
    }

    #[test]
    fn outages_and_refusals_end_the_flush_rejections_do_not() {
        let p = RetryPolicy::default();
        let cases = [
            (Failure::Transient, 0, false),
            (Failure::Transient, 1, false),
            (Failure::Transient, 2, true),
            (Failure::Uncertain, 2, true),
            (Failure::Refused, 0, true),
            (Failure::Rejected, 10, false),
        ];
        for (failure, streak, want) in cases {
            assert_eq!(p.ends_flush(failure, streak), want, "{failure:?} after a streak of {streak}");
        }
    }
}
