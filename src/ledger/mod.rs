//! The ledger: the restart-safe source of truth for every minute of usage
//! and its exact cost.
//!
//! Storage only: the `Store` contract and its two engines (`sqlite/`, the
//! embedded default, and `dynamodb/`, shared by replicas), the write batches
//! and their checks, the alert outbox, the leader lease, the published
//! statuses, and the re-price day rewrite with its audit (`reprice.rs`).
//! The records it keeps are defined in `records/` (and budget statuses in
//! `budgets/`), so no stage has to import storage to speak them.
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
pub mod reprice;
mod requests;
pub mod retention;
pub mod sqlite;
pub mod status;
mod usage;
mod window;

pub use calls::{AttributionBatch, CallBatch, ReplaceStats};
pub use lease::{
    member_lease, shard_lease, Fence, FenceState, Lease, LeaseStore, MEMBER_LEASE_PREFIX, SHARD_LEASE_PREFIX,
};
pub use outbox::{Delivery, FailedAttempt, Outbox, OutboxEntry};
pub use reprice::{LineChange, RepriceDay, RepriceRecord, RepriceStats, RepriceStore};
pub use requests::{DoneObject, RequestBatch, RequestWriteStats};
pub use retention::{CompactPlan, CompactReport, Retention};
pub use status::StatusStore;
pub use usage::StoreUsage;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::records::{
    CallCount, CallTotal, CostLine, CostTotal, MetricPoint, MetricTotal, PrincipalTotal, RequestSum, Source,
};

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

#[derive(Clone, Debug, thiserror::Error)]
pub enum StoreError {
    #[error("ledger storage error: {0}")]
    Backend(String),
    #[error("ledger holds a value it cannot read back ({what}): {detail}")]
    Corrupt { what: &'static str, detail: String },
    /// The file or table cannot be used as it is (it failed its integrity
    /// check, or holds a layout this build does not know); nothing was
    /// written. `store` names the file or table, `reason` what to do.
    #[error("{store}: {reason}")]
    Unusable { store: String, reason: String },
    /// A leader-only write refused because the lease has moved on (another
    /// holder, or a later epoch): this replica is no longer the leader.
    #[error("refused: the lease `{lease}` is no longer held by {holder} at epoch {epoch}")]
    Fenced { lease: String, holder: String, epoch: u64 },
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

    /// The cost lines of one region key (a shard) with `from <= minute < to`,
    /// in the same order: what attributing that shard needs, without every
    /// other shard's lines (a hundred shards would read a hundred times more).
    async fn region_cost_lines(
        &self,
        region: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CostLine>, StoreError>;

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

    /// Adds the batch's requests not counted before (by request ID) to their
    /// minutes' sums, marks its object read and moves the invocation-log
    /// watermark; each request with its ID atomically.
    async fn write_requests(&self, batch: &RequestBatch) -> Result<RequestWriteStats, StoreError>;

    /// Per-minute request sums of `region` with `from <= minute < to`.
    async fn request_rows(
        &self,
        region: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<RequestSum>, StoreError>;

    /// Request sums with `from <= minute < to`, per key without the minute.
    async fn request_sums(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<RequestSum>, StoreError>;

    /// All-time request sums per key (their minute is the Unix epoch).
    async fn request_totals(&self) -> Result<Vec<RequestSum>, StoreError>;

    /// Which of `keys` (S3 objects of `region`) were read to their end.
    async fn done_objects(
        &self,
        region: &str,
        keys: &[String],
    ) -> Result<std::collections::BTreeSet<String>, StoreError>;

    /// Folds minute rows before the plan's horizon into their hourly
    /// rollups, deletes what has no rollup and expires published alerts
    /// (the embedded store); `None` from a store whose rows expire by
    /// themselves (DynamoDB's TTL).
    async fn compact(&self, plan: &CompactPlan) -> Result<Option<CompactReport>, StoreError> {
        let _ = plan;
        Ok(None)
    }

    /// Gives back the memory the store keeps between calls, once a job run
    /// has ended (the embedded store's page cache, refilled from the file
    /// on the next read); a no-op for a store that keeps none.
    async fn release_memory(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// The AWS requests and capacity this process's store has used so far,
    /// for the self-cost; `None` for a store that makes no AWS requests.
    fn request_usage(&self) -> Option<StoreUsage> {
        None
    }
}

/// Everything the daemon keeps: the ledger, the alert outbox, the leader
/// lease, the published statuses and the re-pricing audit, in one backend
/// (a SQLite file or one DynamoDB table).
pub trait Backend: Store + Outbox + LeaseStore + StatusStore + RepriceStore {}

impl<T: Store + Outbox + LeaseStore + StatusStore + RepriceStore> Backend for T {}
