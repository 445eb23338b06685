//! Sources: where usage comes from. One adapter file per AWS service is the
//! only place that sees that service's SDK types; everything it returns is
//! plain data (minute points, parsed CloudTrail events) for pricing, the
//! ledger and attribution.
//!
//! Must not price, store or decide anything: a source only fetches.

pub mod aws_error;
pub mod cloudtrail;
pub mod cloudwatch;
pub mod cost_explorer;
pub mod identity;
pub mod invocation_logs;
pub mod organizations;
pub mod rate_limit;
pub mod wakeups;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::bedrock::BedrockMetric;
pub use cloudtrail::fetch::EventFetch;
use cloudwatch::plan::Call;
use cloudwatch::{ListedSeries, MetricNames, QueryResult};

/// A failed AWS call, with what a log line and a self-metric need.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{api} in {region} failed ({kind:?}): {message}")]
pub struct SourceError {
    pub api: &'static str,
    pub region: String,
    pub kind: ErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Throttled,
    Timeout,
    Service,
    Other,
}

impl ErrorKind {
    /// How a request that failed this way ended.
    pub fn outcome(self) -> AwsOutcome {
        match self {
            ErrorKind::Throttled => AwsOutcome::Throttled,
            ErrorKind::Timeout => AwsOutcome::Timeout,
            ErrorKind::Service | ErrorKind::Other => AwsOutcome::Error,
        }
    }
}

/// How an AWS request ended, as the `outcome` label of
/// `bedrock_monitor_aws_requests_total` knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AwsOutcome {
    Success,
    Throttled,
    Timeout,
    Error,
}

impl AwsOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AwsOutcome::Success => "success",
            AwsOutcome::Throttled => "throttled",
            AwsOutcome::Timeout => "timeout",
            AwsOutcome::Error => "error",
        }
    }
}

/// What one fetch cost in AWS requests, for self-metrics and self-cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestCount {
    pub requests: u64,
    /// Metrics requested (queries × pages), what GetMetricData is billed by.
    pub metrics_requested: u64,
}

/// Model IDs that publish `AWS/Bedrock` metrics in a region.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listing {
    pub model_ids: Vec<String>,
    pub requests: u64,
}

/// The series of collected metrics that exist in a region. Fetching only
/// these instead of every metric of every model is what keeps GetMetricData
/// cheap: it is billed per metric requested, whether or not the series has data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeriesListing {
    pub series: Vec<ListedSeries>,
    /// Token-like metrics (or dimension sets) listed with a ModelId that this
    /// project cannot count: surfaced, never skipped in silence.
    pub unknown: std::collections::BTreeSet<String>,
    pub requests: u64,
}

/// The CloudWatch side of collection, behind a trait so the collector can be
/// tested without AWS and the adapter without the collector.
#[async_trait]
pub trait MetricSource: Send + Sync {
    /// Every model ID with `AWS/Bedrock` metrics in `region` (ListMetrics).
    async fn list_model_ids(&self, region: &str) -> Result<Listing, SourceError>;

    /// Every existing series of a collected metric in `region`. By default
    /// the plain series of every metric of every listed model ID; the
    /// CloudWatch adapter answers from ListMetrics itself.
    async fn list_series(&self, region: &str) -> Result<SeriesListing, SourceError> {
        let listing = self.list_model_ids(region).await?;
        let names = MetricNames::documented();
        let series = listing
            .model_ids
            .iter()
            .flat_map(|id| BedrockMetric::ALL.into_iter().map(|m| ListedSeries::plain(&names, id, m)))
            .collect();
        Ok(SeriesListing { series, unknown: Default::default(), requests: listing.requests })
    }

    /// Runs one planned call (following every page); results keyed by series index.
    async fn fetch(
        &self,
        region: &str,
        call: &Call,
    ) -> Result<(std::collections::BTreeMap<usize, QueryResult>, RequestCount), SourceError>;
}

/// The CloudTrail side of collection, behind a trait so the collection job can
/// be tested with a fake and the adapter without the job.
#[async_trait]
pub trait EventSource: Send + Sync {
    /// The configured Bedrock runtime events of `region` with
    /// `start <= eventTime < end`, each `eventID` once, newest first.
    async fn events(
        &self,
        region: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<EventFetch, SourceError>;
}
