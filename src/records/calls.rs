//! Records of who called: CloudTrail invocations per principal, and the
//! per-principal shares of the priced CloudWatch cost derived from them.
//!
//! Plain data. Sources produce `CallCount`s, `attribution` turns cost lines
//! and call counts into `PrincipalCost`s, the ledger keeps both. Must not
//! parse events, price or split anything itself.

use std::fmt;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

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
