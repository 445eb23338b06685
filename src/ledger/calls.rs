//! Ledger records of who called: CloudTrail invocations per principal, and the
//! per-principal shares of the priced CloudWatch cost derived from them.
//!
//! Plain data, and the checks every store makes on a batch before it writes
//! anything. Sources produce `CallCount`s, `attribution` turns cost lines and
//! call counts into `PrincipalCost`s, the store keeps both. Must not parse
//! events, price or split anything itself.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::StoreError;

/// Invocations of one principal in one (region, minute, model ID), with one
/// outcome, from CloudTrail events (de-duplicated by `eventID`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CallCount {
    /// The region the call was made to (the event's `awsRegion`), which is
    /// where CloudWatch publishes its metrics.
    pub region: String,
    /// Start of the minute of the event's `eventTime`.
    pub minute: DateTime<Utc>,
    /// `requestParameters.modelId`, as the caller passed it.
    pub model_id: String,
    /// Normalised principal: the IAM user or role ARN (an assumed-role session
    /// is reduced to its role; the session name is not part of the key).
    pub principal: String,
    /// `None` for a successful call, else the event's `errorCode`.
    pub error_code: Option<String>,
    pub calls: u64,
    /// Token counts CloudTrail reported for these calls; `None` unless every
    /// one of them carried the count.
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
}

/// Everything CloudTrail says about `[from, to)` in one region. Writing it
/// replaces every call count of that region and window, so re-reading an
/// overlapping window converges instead of adding twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallBatch {
    pub region: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub calls: Vec<CallCount>,
    /// Events are complete before this instant; `None` leaves it as is.
    pub watermark: Option<DateTime<Utc>>,
}

impl CallBatch {
    /// Refuses what no store may write, so a refused batch leaves no trace:
    /// a count outside the batch's region and window, one without calls, or
    /// the same key twice.
    pub fn check(&self) -> Result<(), StoreError> {
        let mut keys = BTreeSet::new();
        for c in &self.calls {
            if c.region != self.region || c.minute < self.from || c.minute >= self.to {
                return Err(StoreError::Backend(format!(
                    "call count {} {} {} is outside the batch's region {} and window [{}, {})",
                    c.region, c.minute, c.model_id, self.region, self.from, self.to
                )));
            }
            if c.calls == 0 {
                return Err(StoreError::Backend(format!(
                    "call count {} {} has no calls",
                    c.minute, c.model_id
                )));
            }
            if !keys.insert((c.minute, &c.model_id, &c.principal, &c.error_code)) {
                return Err(StoreError::Backend(format!(
                    "call count {} {} {} {:?} appears twice in one batch",
                    c.minute, c.model_id, c.principal, c.error_code
                )));
            }
        }
        Ok(())
    }
}

/// How a principal's share of a minute's cost was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Attribution {
    /// From token counts CloudTrail reported for the principal's calls.
    Exact,
    /// In proportion to the principal's successful invocations.
    Estimated,
    /// Cost in a minute with no CloudTrail match: shown, never dropped.
    Unattributed,
}

impl Attribution {
    pub const ALL: [Attribution; 3] = [Attribution::Exact, Attribution::Estimated, Attribution::Unattributed];

    /// The `attribution` label value and the stored key.
    pub fn as_str(self) -> &'static str {
        match self {
            Attribution::Exact => "exact",
            Attribution::Estimated => "estimated",
            Attribution::Unattributed => "unattributed",
        }
    }

    pub fn from_key(key: &str) -> Option<Attribution> {
        Attribution::ALL.into_iter().find(|a| a.as_str() == key)
    }
}

impl fmt::Display for Attribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The principal that unattributed cost is booked to.
pub const UNATTRIBUTED_PRINCIPAL: &str = "unattributed";

/// One principal's share of the priced cost of one (region, minute, model ID).
/// The shares of a minute add up exactly to the cost of its priced lines.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PrincipalCost {
    pub region: String,
    pub minute: DateTime<Utc>,
    pub model_id: String,
    /// Price-table model key of the lines the share comes from.
    pub model: String,
    /// Normalised principal ARN, or [`UNATTRIBUTED_PRINCIPAL`].
    pub principal: String,
    pub attribution: Attribution,
    pub usd: Decimal,
}

/// The attribution of `[from, to)` in one region; writing it replaces every
/// share of that region and window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttributionBatch {
    pub region: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub shares: Vec<PrincipalCost>,
}

impl AttributionBatch {
    /// Refuses what no store may write: a share outside the batch's region
    /// and window, or the same key twice.
    pub fn check(&self) -> Result<(), StoreError> {
        let mut keys = BTreeSet::new();
        for s in &self.shares {
            if s.region != self.region || s.minute < self.from || s.minute >= self.to {
                return Err(StoreError::Backend(format!(
                    "share {} {} {} is outside the batch's region {} and window [{}, {})",
                    s.region, s.minute, s.principal, self.region, self.from, self.to
                )));
            }
            if !keys.insert((s.minute, &s.model_id, &s.model, &s.principal, s.attribution)) {
                return Err(StoreError::Backend(format!(
                    "share {} {} {} {} appears twice in one batch",
                    s.minute, s.model_id, s.principal, s.attribution
                )));
            }
        }
        Ok(())
    }
}

/// All-time CloudTrail invocations per (region, model ID, principal, outcome).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CallTotal {
    pub region: String,
    pub model_id: String,
    pub principal: String,
    /// `None` for successful calls.
    pub error_code: Option<String>,
    pub calls: u64,
}

/// Attributed cost summed per (region, model ID, model, principal, attribution):
/// all-time totals, or the sum over a window.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PrincipalTotal {
    pub region: String,
    pub model_id: String,
    pub model: String,
    pub principal: String,
    pub attribution: Attribution,
    pub usd: Decimal,
}

/// What replacing a window changed, for logs and self-metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplaceStats {
    pub inserted: usize,
    pub changed: usize,
    pub removed: usize,
}
