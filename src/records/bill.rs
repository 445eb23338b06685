//! What the bill says: one Cost Explorer group (a service and a usage type)
//! on one UTC day, with its unblended cost and usage quantity, and a day of
//! them as the reconciliation keeps it.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One billed line: the day's unblended cost of one usage type of one
/// service, exactly as Cost Explorer reported it (amounts parsed from its
/// decimal strings, never through a float).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BillLine {
    /// The `SERVICE` dimension, e.g. `Amazon Bedrock` or, for models sold
    /// through AWS Marketplace, `Claude Sonnet 4.6 (Amazon Bedrock Edition)`.
    pub service: String,
    /// The `USAGE_TYPE` dimension, e.g. `USE1-Claude4.6Sonnet-input-tokens`.
    pub usage_type: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub usd: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity: Decimal,
    /// The quantity's unit as Cost Explorer names it (may be `N/A`).
    pub unit: String,
}

/// One UTC day of the bill as last read, and how settled it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillDay {
    pub day: NaiveDate,
    /// Sorted by service, then usage type.
    pub lines: Vec<BillLine>,
    /// Cost Explorer's `Estimated` flag for the day (true until the month's
    /// bill is final).
    pub estimated: bool,
    pub first_read: DateTime<Utc>,
    pub last_read: DateTime<Utc>,
    /// Reads of the day so far.
    pub reads: u32,
    /// When the lines last differed from the read before (the first read counts).
    pub last_changed: DateTime<Utc>,
    /// Final: never asked for again.
    pub frozen: bool,
}

impl BillDay {
    /// The day's billed total, every line included.
    pub fn total(&self) -> Decimal {
        self.lines.iter().map(|l| l.usd).sum()
    }
}
