//! The write batches of who called (CloudTrail call counts, attributed
//! shares) and the checks every store makes on a batch before it writes
//! anything. The records themselves are in `records/calls.rs`. Must not
//! parse events, price or split anything itself.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::StoreError;
use crate::records::{CallCount, PrincipalCost};

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

/// What replacing a window changed, for logs and self-metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplaceStats {
    pub inserted: usize,
    pub changed: usize,
    pub removed: usize,
}
