//! The ledger: the restart-safe source of truth for every minute of usage
//! and its exact cost.
//!
//! Owns the `Store` trait, the records it keeps and the queries over them.
//! Writes are idempotent upserts keyed by minute: re-reading a window
//! overwrites the same minutes, never adds to them. A batch (points, priced
//! lines and the watermark) is written atomically, so a crash leaves either
//! all of it or none. It must not price anything (lines arrive priced) nor
//! call AWS.

pub mod calls;
pub mod dynamodb;
mod encoding;
pub mod lease;
mod order;
pub mod outbox;
pub mod report;
pub mod report_days;
pub mod report_principal;
pub mod sqlite;
pub mod status;
mod window;

pub use calls::{
    Attribution, AttributionBatch, CallBatch, CallCount, CallTotal, PrincipalCost, PrincipalTotal,
    ReplaceStats, UNATTRIBUTED_PRINCIPAL,
};
pub use lease::{Lease, LeaseStore};
pub use outbox::{Outbox, OutboxEntry};
pub use status::{BudgetState, BudgetStatus, BurnRate, PeriodInfo, SpendItem, StatusStore};

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::bedrock::BedrockMetric;
use crate::pricing::TokenType;

/// Where a record came from; watermarks are kept per source and region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// CloudWatch usage metrics: tokens and invocations (what costs money).
    CloudWatch,
    /// CloudWatch operational metrics: latency, errors, throttles, quota usage.
    CloudWatchDetail,
    CloudTrail,
    /// `AWS/BedrockMantle` usage metrics: the bedrock-mantle endpoint.
    Mantle,
}

impl Source {
    pub const ALL: [Source; 4] =
        [Source::CloudWatch, Source::CloudWatchDetail, Source::CloudTrail, Source::Mantle];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::CloudWatch => "cloudwatch",
            Source::CloudWatchDetail => "cloudwatch_detail",
            Source::CloudTrail => "cloudtrail",
            Source::Mantle => "mantle",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One CloudWatch datapoint over one minute. A minute without a datapoint has
/// no `MetricPoint`: "no data" is never recorded as zero.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricPoint {
    pub region: String,
    pub model_id: String,
    pub metric: BedrockMetric,
    /// Start of the minute (seconds = 0).
    pub minute: DateTime<Utc>,
    /// The `Sum` statistic.
    pub sum: f64,
    /// The `SampleCount` statistic, for metrics that are averaged.
    pub count: Option<f64>,
}

/// How a line of tokens was priced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinePricing {
    Priced {
        /// Price-table model key, e.g. `claude-sonnet-4-5`.
        model: String,
        /// The price entry used, e.g. `claude-sonnet-4-5:regional:2025-09-29`.
        price_entry: String,
        usd: Decimal,
    },
    /// Kept with its ID so it stays visible; never a zero price.
    Unpriced { reason: String },
}

/// Tokens of one type, of one model ID, in one region and minute, with their cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostLine {
    pub region: String,
    pub model_id: String,
    pub minute: DateTime<Utc>,
    pub token_type: TokenType,
    pub tokens: u64,
    pub pricing: LinePricing,
}

/// Everything one collection run learned about one (source, region), written
/// in one transaction together with the new watermark.
#[derive(Clone, Debug, PartialEq)]
pub struct MinuteBatch {
    pub source: Source,
    pub region: String,
    pub points: Vec<MetricPoint>,
    pub lines: Vec<CostLine>,
    /// Data is complete up to (excluding) this instant; `None` leaves it as is.
    /// A watermark never moves backwards.
    pub watermark: Option<DateTime<Utc>>,
}

/// What a write changed, for logs and self-metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteStats {
    pub points_inserted: usize,
    /// Existing minutes whose value changed (a late datapoint converged).
    pub points_revised: usize,
    pub lines_written: usize,
}

/// All-time totals of one cost series, kept by the store as lines are
/// written and revised, so /metrics never resets on restart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostTotal {
    pub region: String,
    pub model_id: String,
    /// `None` for unpriced tokens.
    pub model: Option<String>,
    pub token_type: TokenType,
    pub tokens: u64,
    /// Zero for unpriced tokens.
    pub usd: Decimal,
}

/// All-time sum of one metric series (invocations, errors, throttles, …).
#[derive(Clone, Debug, PartialEq)]
pub struct MetricTotal {
    pub region: String,
    pub model_id: String,
    pub metric: BedrockMetric,
    pub sum: f64,
    pub count: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("ledger storage error: {0}")]
    Backend(String),
    #[error("ledger holds a value it cannot read back ({what}): {detail}")]
    Corrupt { what: &'static str, detail: String },
}

/// The ledger's storage. Implementations: SQLite (embedded, default) and,
/// for replicas sharing state, DynamoDB.
#[async_trait]
pub trait Store: Send + Sync {
    /// Upserts points and lines by key and moves the watermark, atomically.
    async fn write(&self, batch: &MinuteBatch) -> Result<WriteStats, StoreError>;

    /// Data of `source` in `region` is complete before this instant.
    async fn watermark(&self, source: Source, region: &str) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// All-time cost totals per (region, model ID, model, token type).
    async fn cost_totals(&self) -> Result<Vec<CostTotal>, StoreError>;

    /// All-time metric totals per (region, model ID, metric).
    async fn metric_totals(&self) -> Result<Vec<MetricTotal>, StoreError>;

    /// Cost lines with `from <= minute < to`, ordered by minute, region, model ID, token type.
    async fn cost_lines(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<CostLine>, StoreError>;

    /// Metric points with `from <= minute < to`, same order (for gauges such as latency).
    async fn metric_points(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<MetricPoint>, StoreError>;

    /// Cost lines with `from <= minute < to` summed per (region, model ID,
    /// model, token type), exactly; what budgets read. Stores answer from
    /// hourly rollups plus the minutes of partial hours, so a month costs a
    /// few hundred rows, not every minute.
    async fn cost_sums(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<CostTotal>, StoreError>;

    /// Replaces every call count of the batch's region and window and moves
    /// the CloudTrail watermark, atomically.
    async fn write_calls(&self, batch: &CallBatch) -> Result<ReplaceStats, StoreError>;

    /// Call counts with `from <= minute < to` in `region`, ordered by key.
    async fn call_counts(
        &self,
        region: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CallCount>, StoreError>;

    /// All-time call totals per (region, model ID, principal, error code).
    async fn call_totals(&self) -> Result<Vec<CallTotal>, StoreError>;

    /// Replaces every attributed share of the batch's region and window, atomically.
    async fn write_attribution(&self, batch: &AttributionBatch) -> Result<ReplaceStats, StoreError>;

    /// All-time attributed cost per (region, model ID, model, principal, attribution).
    async fn principal_totals(&self) -> Result<Vec<PrincipalTotal>, StoreError>;

    /// Attributed cost with `from <= minute < to`, summed like `principal_totals`.
    async fn principal_sums(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<PrincipalTotal>, StoreError>;

    /// The DynamoDB requests and capacity this process has used so far, for
    /// the self-cost; `None` for a store that makes no AWS requests.
    fn dynamodb_usage(&self) -> Option<dynamodb::DynamoUsage> {
        None
    }
}

/// Everything the daemon keeps: the ledger, the alert outbox, the leader
/// lease and the published statuses, in one backend (a SQLite file or one
/// DynamoDB table).
pub trait Backend: Store + Outbox + LeaseStore + StatusStore {}

impl<T: Store + Outbox + LeaseStore + StatusStore> Backend for T {}
