//! Whether a budget status still speaks for now, and what the decision does
//! when it does not: a status of a period that has ended, one evaluated
//! longer ago than the configured age, or none yet for a budget that always
//! gets one is stale; `on_stale` then allows or denies.
//!
//! Pure: `now` and the policy are handed in; no clock, no I/O.

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};

use super::decision::Verdict;
use crate::budgets::BudgetStatus;
use crate::config::http::{OnStale, UnknownModel};

/// How the decision treats what it cannot vouch for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    pub unknown_model: UnknownModel,
    pub on_stale: OnStale,
    /// A status evaluated longer ago than this is stale.
    pub stale_after: TimeDelta,
}

/// Why a status cannot be trusted now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Staleness {
    /// Its period ended: the spend it counts is not this period's.
    EarlierPeriod { ended: DateTime<Utc> },
    /// Evaluated longer ago than the policy allows.
    TooOld { age: TimeDelta, limit: TimeDelta },
    /// A budget that gets a status at every evaluation has none: nothing
    /// has been evaluated since the store was created (or the budget added).
    NeverEvaluated,
}

impl fmt::Display for Staleness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Staleness::EarlierPeriod { ended } => {
                write!(f, "its status is of a period that ended {}", ended.to_rfc3339())
            }
            Staleness::TooOld { age, limit } => write!(
                f,
                "its status was evaluated {} s ago, more than api.stale_after_secs = {}",
                age.num_seconds(),
                limit.num_seconds()
            ),
            Staleness::NeverEvaluated => f.write_str("it has not been evaluated yet"),
        }
    }
}

/// `None` when `s` still speaks for `now`.
pub fn staleness(s: &BudgetStatus, now: DateTime<Utc>, stale_after: TimeDelta) -> Option<Staleness> {
    if s.period.end <= now {
        return Some(Staleness::EarlierPeriod { ended: s.period.end });
    }
    let age = now.signed_duration_since(s.evaluated_at);
    (age > stale_after).then_some(Staleness::TooOld { age, limit: stale_after })
}

impl OnStale {
    pub fn verdict(self) -> Verdict {
        match self {
            OnStale::FailOpen => Verdict::Allow,
            OnStale::FailClosed => Verdict::Deny,
        }
    }
}

impl UnknownModel {
    pub fn verdict(self) -> Verdict {
        match self {
            UnknownModel::Allow => Verdict::Allow,
            UnknownModel::Deny => Verdict::Deny,
        }
    }
}
