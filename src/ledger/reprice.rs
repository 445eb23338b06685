//! Re-pricing history in the store: the day batch that rewrites stored cost
//! lines with new pricing (their totals and rollups moving with them), the
//! audit record each applied day leaves, and the trait both engines
//! implement.
//!
//! Every rewrite is conditional on the line still being stored as it was
//! read: a line the daemon re-wrote since (a late datapoint) is not
//! overwritten with stale tokens; it is counted as `stale` and the caller
//! reads the day again. Must not price anything: the new pricing arrives
//! with the batch.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::records::{CostLine, LinePricing};

/// One stored line and the pricing it gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineChange {
    /// The line exactly as it was read from the store.
    pub line: CostLine,
    /// Its new pricing (same tokens, same key).
    pub pricing: LinePricing,
}

impl LineChange {
    /// The line as it is after the change.
    pub fn repriced(&self) -> CostLine {
        CostLine { pricing: self.pricing.clone(), ..self.line.clone() }
    }
}

/// Everything one UTC day's re-pricing writes: its line changes and its
/// audit record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepriceDay {
    pub changes: Vec<LineChange>,
    pub record: RepriceRecord,
}

/// What a day's rewrite did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RepriceStats {
    /// Lines moved from their old pricing to the new one.
    pub rewritten: usize,
    /// Lines found already at the new pricing (an interrupted run's work).
    pub already: usize,
    /// Lines stored with other tokens or pricing than read: not written.
    pub stale: usize,
}

/// The audit trail of one applied day of a `reprice` run. The store keeps
/// it with the day's lines (SQLite: in the same transaction), so the record
/// of a day exists exactly when the day is re-priced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepriceRecord {
    /// When the run started (the injected clock); with `day`, the record's key.
    pub at: DateTime<Utc>,
    /// Who ran it (`--by`, default `user@host`).
    pub by: String,
    /// The run's window, `[from, to)`, whole UTC days.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The UTC day this record is of.
    pub day: NaiveDate,
    /// SHA-256 of the price table the lines were priced with, as far as the
    /// store knows (`None`: unknown).
    pub table_before: Option<String>,
    /// SHA-256 of the price-table file applied.
    pub table_after: String,
    /// Applied although the running leader prices with another table.
    pub forced: bool,
    /// Lines whose pricing changed.
    pub lines: usize,
    /// Priced USD of the day's lines before and after.
    pub old_usd: Decimal,
    pub new_usd: Decimal,
    /// Lines that went from unpriced to priced, and back.
    pub became_priced: usize,
    pub became_unpriced: usize,
}

/// Re-pricing in a store. Not a leader-only write: an operator runs it
/// from another process, so it writes under no fence (the lease and its
/// epoch stay untouched) and is safe against the leader's concurrent writes
/// by its conditions.
#[async_trait]
pub trait RepriceStore: Send + Sync {
    /// Rewrites each change's line if it is still stored as read, moving
    /// its all-time total and hourly (and daily) rollups with it, and keeps
    /// the day's record once no line was stale. SQLite: one transaction,
    /// nothing written if any line is stale. DynamoDB: transactions of at
    /// most 100 items, each consistent; an interrupted day is partly
    /// rewritten and has no record until a later run finishes it.
    async fn reprice_day(&self, day: &RepriceDay) -> Result<RepriceStats, StoreError>;

    /// Every kept record, oldest run first, days in order.
    async fn reprice_records(&self) -> Result<Vec<RepriceRecord>, StoreError>;

    /// Minutes before this instant cannot be rewritten (SQLite: folded into
    /// hourly rollups; DynamoDB: their rows expire); `None`: no limit.
    async fn rewritable_from(&self) -> Result<Option<DateTime<Utc>>, StoreError>;
}

/// A record as stored (JSON, money as exact decimal strings).
pub(crate) fn encode_record(r: &RepriceRecord) -> Result<String, StoreError> {
    serde_json::to_string(r).map_err(|e| StoreError::Backend(format!("encoding a reprice record: {e}")))
}

pub(crate) fn decode_record(text: &str) -> Result<RepriceRecord, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt { what: "reprice record", detail: e.to_string() })
}
