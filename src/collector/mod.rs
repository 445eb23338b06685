//! Collection jobs: fetch from a source, price, write to the ledger. Each job
//! has a `run_once` that the scheduler calls on its cron ticks and that tests
//! call directly.
//!
//! Must not serve or alert: a run reports what it did (`RunReport`) and the
//! caller turns that into logs and self-metrics.

pub mod attribute;
pub mod bill_days;
pub mod bill_job;
pub mod bounds;
pub mod cloudtrail_job;
pub mod cloudwatch_job;
pub mod invocation_logs_job;
pub mod log_check;
pub mod window;

pub use attribute::Attributor;
pub use cloudtrail_job::{CloudTrailJob, CloudTrailJobConfig, TrailReport};
pub use cloudwatch_job::{CloudWatchJob, CloudWatchJobConfig};
pub use invocation_logs_job::{InvocationLogsJob, LogsJobConfig, LogsReport};

use rust_decimal::Decimal;

use crate::ledger::StoreError;
use crate::sources::cloudwatch::{DuplicateSpelling, Quarantined};
use crate::sources::{AwsOutcome, SourceError};

/// AWS requests one run made, by API, region and outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestTally {
    pub api: &'static str,
    pub region: String,
    pub outcome: AwsOutcome,
    pub count: u64,
}

/// What one region's collection did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RegionReport {
    pub region: String,
    pub model_ids: usize,
    pub points_inserted: usize,
    pub points_revised: usize,
    pub lines_written: usize,
    /// Data is complete up to this instant, after the run.
    pub watermark: Option<chrono::DateTime<chrono::Utc>>,
    /// The earliest minute this run read (and may have rewritten), if any.
    pub read_from: Option<chrono::DateTime<chrono::Utc>>,
    pub unpriced_model_ids: Vec<String>,
    pub metrics_requested: u64,
    /// Token-like metric names (or dimension sets) listed that this project
    /// cannot count: billed usage it would otherwise miss in silence.
    pub unknown_metrics: Vec<String>,
    /// Datapoints that cannot be what their metric counts, kept out of the ledger.
    pub quarantined: Vec<Quarantined>,
    /// Minutes carried by two spellings of one metric (one was counted).
    pub duplicate_spellings: Vec<DuplicateSpelling>,
    /// A call answered with data missing (`StatusCode` not `Complete`): what
    /// it returned was written, the watermark stayed before it.
    pub partial_from: Option<chrono::DateTime<chrono::Utc>>,
    /// Minutes older than the restatement window found new or changed (by
    /// the hourly deep re-read or a newly listed series' read-back).
    pub restated_points: usize,
}

impl RegionReport {
    pub fn add(&mut self, stats: &crate::ledger::WriteStats) {
        self.points_inserted += stats.points_inserted;
        self.points_revised += stats.points_revised;
        self.lines_written += stats.lines_written;
    }
}

/// What a run did, for logs and self-metrics; failures are included.
#[derive(Clone, Debug, Default)]
pub struct RunReport {
    pub regions: Vec<RegionReport>,
    pub requests: Vec<RequestTally>,
    /// Estimated USD the run's own AWS calls cost (exact).
    pub api_cost_usd: Decimal,
    /// `api_cost_usd` per shard (ledger key), failed shards included.
    pub api_cost_by_shard: std::collections::BTreeMap<String, Decimal>,
    pub errors: Vec<CollectError>,
}

impl RunReport {
    pub fn succeeded(&self) -> bool {
        self.errors.is_empty()
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum CollectError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
