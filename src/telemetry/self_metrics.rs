//! The daemon's own metrics (`bedrock_monitor_*`): build, jobs, data lag,
//! AWS requests and what they cost (the DynamoDB store's included), alerts
//! published, leadership and the shards held.
//!
//! Callers use the typed API of [`SelfMetrics`] and never write label
//! strings: jobs, AWS APIs and alert kinds are `&'static` constants, so no
//! label can take an unbounded value. This module only counts what callers
//! report; it never reads the ledger or calls AWS.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use chrono::DateTime;
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{
    exponential_buckets, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry,
};
use rust_decimal::Decimal;

use super::bill_metrics::BillMetrics;
use super::data_quality::DataQuality;
use super::delivery_metrics::DeliveryMetrics;
use super::families::{desc, usd_sample, FamilyBuilder};
use super::log_metrics::LogMetrics;
use super::store_collector::{StoreCollector, UsageSource};
use crate::alerts::AlertKind;
use crate::clock::Clock;
use crate::records::Source;
use crate::scheduler::{FailureKind, JobName};
pub use crate::sources::AwsOutcome;

/// How a job run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobOutcome {
    Success,
    Failure,
    /// Not run: another replica leads, or the previous run is still going.
    Skipped,
}

impl JobOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            JobOutcome::Success => "success",
            JobOutcome::Failure => "failure",
            JobOutcome::Skipped => "skipped",
        }
    }
}

/// An AWS API operation, e.g. `GetMetricData`, as the `api` label knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AwsApi(&'static str);

impl AwsApi {
    pub const GET_METRIC_DATA: AwsApi = AwsApi("GetMetricData");
    pub const LIST_METRICS: AwsApi = AwsApi("ListMetrics");
    pub const LOOKUP_EVENTS: AwsApi = AwsApi("LookupEvents");
    pub const SNS_PUBLISH: AwsApi = AwsApi("Publish");
    pub const GET_COST_AND_USAGE: AwsApi = AwsApi("GetCostAndUsage");
    pub const GET_DIMENSION_VALUES: AwsApi = AwsApi("GetDimensionValues");

    /// Another operation, named as in the AWS API reference.
    pub const fn named(operation: &'static str) -> AwsApi {
        AwsApi(operation)
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }
}

/// The self-metrics, registered in one registry. Cheap to clone.
#[derive(Clone)]
pub struct SelfMetrics {
    clock: Arc<dyn Clock>,
    job_runs: IntCounterVec,
    job_failures: IntCounterVec,
    job_duration: HistogramVec,
    last_success: GaugeVec,
    data_lag: GaugeVec,
    aws_requests: IntCounterVec,
    metrics_requested: IntCounterVec,
    api_cost: Arc<Mutex<Decimal>>,
    store_usage: Arc<OnceLock<UsageSource>>,
    alerts: IntCounterVec,
    leader: IntGauge,
    shards_owned: IntGauge,
    cloudtrail_events: IntCounterVec,
    compacted: IntCounterVec,
    /// The invocation-log source's records and cross-check.
    pub logs: LogMetrics,
    /// Failed alert publishes and parked alerts.
    pub delivery: DeliveryMetrics,
    /// The last reconciliation with the bill.
    pub bill: BillMetrics,
    /// What CloudWatch answered that could not be taken at face value.
    pub quality: DataQuality,
    /// Wake-up messages and the alarms behind them.
    pub wakeups: super::wakeup_metrics::WakeupMetrics,
    /// Per shard: API cost, failing collections, and the `account` label rule.
    pub shards: super::shard_metrics::ShardMetrics,
}

impl std::fmt::Debug for SelfMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelfMetrics").finish_non_exhaustive()
    }
}

const PREFIX: &str = "bedrock_monitor_";

pub(super) fn opts(name: &str, help: &str) -> Opts {
    Opts::new(format!("{PREFIX}{name}"), help)
}

pub(super) fn register<C: Collector + Clone + 'static>(registry: &Registry, c: C) -> prometheus::Result<C> {
    super::register(registry, Box::new(c.clone()))?;
    Ok(c)
}

pub(super) fn counters(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<IntCounterVec> {
    register(registry, IntCounterVec::new(opts(name, help), labels)?)
}

pub(super) fn gauges(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<GaugeVec> {
    register(registry, GaugeVec::new(opts(name, help), labels)?)
}

impl SelfMetrics {
    /// Creates and registers every self-metric; `clock` stamps job successes.
    pub fn new(registry: &Registry, clock: Arc<dyn Clock>) -> prometheus::Result<Self> {
        let build_info =
            IntGaugeVec::new(opts("build_info", "Build of the running daemon (always 1)."), &["version"])?;
        build_info.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        register(registry, build_info)?;
        // 50 ms to about 7 minutes.
        let durations = HistogramOpts::new(format!("{PREFIX}job_duration_seconds"), "Duration of job runs.")
            .buckets(exponential_buckets(0.05, 2.0, 14)?);
        let api_cost = Arc::new(Mutex::new(Decimal::ZERO));
        let store_usage = Arc::new(OnceLock::new());
        super::register(
            registry,
            Box::new(ApiCostCollector::new(Arc::clone(&api_cost), Arc::clone(&store_usage))?),
        )?;
        let leader = IntGauge::with_opts(opts("leader", "1 on the replica that polls AWS and alerts."))?;
        let shards_owned =
            IntGauge::with_opts(opts("shards_owned", "Shard leases held (shared shards only)."))?;
        let alerts = counters(registry, "alerts_published_total", "Alerts published.", &["kind"])?;
        // Every kind from zero, so `increase()` and "no alerts" panels have a series before the first alert.
        for kind in AlertKind::ALL {
            alerts.with_label_values(&[kind.as_str()]).inc_by(0);
        }
        let shards = super::shard_metrics::ShardMetrics::new(registry)?;
        let cloudtrail_events = counters(
            registry,
            "cloudtrail_events_total",
            "CloudTrail records read, by outcome: counted, malformed (skipped), duplicate, without_model, other_event.",
            &["account", "region", "outcome"],
        )?;
        let compacted = counters(
            registry,
            "compaction_rows_total",
            "Rows the SQLite ledger's compaction removed, by kind (cost_line and share rows were folded into their hourly rollups first).",
            &["kind"],
        )?;
        Ok(SelfMetrics {
            cloudtrail_events,
            compacted,
            logs: LogMetrics::new(registry)?,
            delivery: DeliveryMetrics::new(registry)?,
            bill: BillMetrics::new(registry)?,
            clock,
            job_runs: counters(registry, "job_runs_total", "Job runs by outcome.", &["job", "outcome"])?,
            job_failures: counters(
                registry,
                "job_failures_total",
                "Failed job runs by the kind of their first failure.",
                &["job", "kind"],
            )?,
            job_duration: register(registry, HistogramVec::new(durations, &["job"])?)?,
            last_success: gauges(
                registry,
                "last_success_timestamp_seconds",
                "Unix time of the job's last successful run.",
                &["job"],
            )?,
            data_lag: gauges(
                registry,
                "data_lag_seconds",
                "How far the ledger's watermark trails now.",
                &["source", "account", "region"],
            )?,
            aws_requests: counters(
                registry,
                "aws_requests_total",
                "AWS requests made by the daemon.",
                &["api", "account", "region", "outcome"],
            )?,
            metrics_requested: counters(
                registry,
                "cloudwatch_metrics_requested_total",
                "Metrics requested from GetMetricData (what it is billed by).",
                &["account", "region"],
            )?,
            api_cost,
            store_usage,
            alerts,
            leader: register(registry, leader)?,
            shards_owned: register(registry, shards_owned)?,
            quality: DataQuality::new(registry, shards.clone())?,
            wakeups: super::wakeup_metrics::WakeupMetrics::new(registry)?,
            shards,
        })
    }

    /// Counts a run and its duration; a success also stamps "last success" now.
    /// One failed run, by the kind of what failed first.
    pub fn job_failed(&self, job: JobName, kind: FailureKind) {
        self.job_failures.with_label_values(&[job.as_str(), kind.as_str()]).inc();
    }

    pub fn job_finished(&self, job: JobName, outcome: JobOutcome, duration: Duration) {
        self.job_runs.with_label_values(&[job.as_str(), outcome.as_str()]).inc();
        if outcome == JobOutcome::Skipped {
            return;
        }
        self.job_duration.with_label_values(&[job.as_str()]).observe(duration.as_secs_f64());
        if outcome == JobOutcome::Success {
            let since_epoch = self.clock.now() - DateTime::UNIX_EPOCH;
            self.last_success.with_label_values(&[job.as_str()]).set(since_epoch.as_seconds_f64());
        }
    }

    /// How far data of `source` in `region` trails now (watermark to now).
    pub fn set_data_lag(&self, source: Source, region: &str, lag: chrono::Duration) {
        let [account, region] = self.shards.labels(region);
        self.data_lag.with_label_values(&[source.as_str(), account, region]).set(lag.as_seconds_f64());
    }

    pub fn record_aws_request(&self, api: AwsApi, region: &str, outcome: AwsOutcome) {
        self.record_aws_requests(api, region, outcome, 1);
    }

    pub fn record_aws_requests(&self, api: AwsApi, region: &str, outcome: AwsOutcome, count: u64) {
        let [account, region] = self.shards.labels(region);
        self.aws_requests.with_label_values(&[api.as_str(), account, region, outcome.as_str()]).inc_by(count);
    }

    pub fn add_cloudwatch_metrics_requested(&self, region: &str, metrics: u64) {
        let [account, region] = self.shards.labels(region);
        self.metrics_requested.with_label_values(&[account, region]).inc_by(metrics);
    }

    /// Adds the estimated cost of the daemon's own AWS calls, exactly.
    pub fn add_api_cost(&self, usd: Decimal) {
        let mut total = self.api_cost.lock().unwrap_or_else(PoisonError::into_inner);
        *total += usd;
    }

    /// The exact running total behind `aws_api_cost_usd_total`.
    pub fn api_cost(&self) -> Decimal {
        total_cost(&self.api_cost, &self.store_usage)
    }

    /// Exports the DynamoDB store's requests and capacity, and adds what they
    /// cost to `aws_api_cost_usd_total`. Once per registry; a second call is
    /// refused like any duplicate registration.
    pub fn watch_store(&self, registry: &Registry, usage: UsageSource) -> prometheus::Result<()> {
        super::register(registry, Box::new(StoreCollector::new(usage.clone())?))?;
        self.store_usage.set(usage).map_err(|_| prometheus::Error::AlreadyReg)
    }

    pub fn alert_published(&self, kind: AlertKind) {
        self.alerts.with_label_values(&[kind.as_str()]).inc();
    }

    pub fn add_cloudtrail_events(&self, region: &str, outcome: &str, n: u64) {
        if n > 0 {
            let [account, region] = self.shards.labels(region);
            self.cloudtrail_events.with_label_values(&[account, region, outcome]).inc_by(n);
        }
    }

    /// Rows one compaction removed, per kind (`ledger::CompactReport::removed`).
    pub fn add_compacted(&self, kind: &'static str, n: u64) {
        self.compacted.with_label_values(&[kind]).inc_by(n);
    }

    pub fn set_leader(&self, leader: bool) {
        self.leader.set(i64::from(leader));
    }

    pub fn set_shards_owned(&self, n: usize) {
        self.shards_owned.set(i64::try_from(n).unwrap_or(i64::MAX));
    }
}

/// Exports the exact `Decimal` accumulator as a counter, converting only at
/// scrape time, so no float error accumulates.
struct ApiCostCollector {
    total: Arc<Mutex<Decimal>>,
    store_usage: Arc<OnceLock<UsageSource>>,
    desc: Desc,
}

/// The collectors' reported cost plus the store's, read at this moment.
fn total_cost(reported: &Mutex<Decimal>, store_usage: &OnceLock<UsageSource>) -> Decimal {
    let reported = *reported.lock().unwrap_or_else(PoisonError::into_inner);
    reported + store_usage.get().map_or(Decimal::ZERO, |usage| usage().estimated_usd())
}

const API_COST: &str = "bedrock_monitor_aws_api_cost_usd_total";
const API_COST_HELP: &str = "Estimated USD cost of the daemon's own AWS requests since start.";

impl ApiCostCollector {
    fn new(total: Arc<Mutex<Decimal>>, store_usage: Arc<OnceLock<UsageSource>>) -> prometheus::Result<Self> {
        Ok(ApiCostCollector { total, store_usage, desc: desc(API_COST, API_COST_HELP, &[])? })
    }
}

impl Collector for ApiCostCollector {
    fn desc(&self) -> Vec<&Desc> {
        vec![&self.desc]
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let total = total_cost(&self.total, &self.store_usage);
        let mut family = FamilyBuilder::counter(API_COST, API_COST_HELP);
        family.sample(&[], usd_sample(total));
        vec![family.build()]
    }
}
