//! Self-metrics of what CloudWatch answered that the daemon could not take
//! at face value: token metrics it does not know, implausible datapoints
//! kept out of the ledger, minutes carried by two spellings of one metric,
//! answers with data missing, and late data found by the deep re-read.
//!
//! Only counts what the collection reports; never reads the ledger or AWS.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

use prometheus::{IntCounterVec, IntGaugeVec, Registry};

use super::self_metrics::{counters, opts, register};

use crate::bedrock::BedrockMetric;

/// Distinct unknown metric names shown as series at most; beyond, they are
/// still logged and alerted, but not given a label value each.
const MAX_UNKNOWN_SERIES: usize = 50;

#[derive(Clone)]
pub struct DataQuality {
    unknown: IntGaugeVec,
    unknown_seen: Arc<Mutex<BTreeSet<(String, String)>>>,
    quarantined: IntCounterVec,
    duplicates: IntCounterVec,
    partial: IntCounterVec,
    restated: IntCounterVec,
    /// The `account` and `region` labels of a ledger key.
    shards: super::shard_metrics::ShardMetrics,
}

impl DataQuality {
    pub fn new(registry: &Registry, shards: super::shard_metrics::ShardMetrics) -> prometheus::Result<Self> {
        let unknown = IntGaugeVec::new(
            opts(
                "cloudwatch_unknown_metrics",
                "1 per token-like AWS/Bedrock metric (or dimension set) listed with a ModelId that the daemon cannot count.",
            ),
            &["account", "region", "metric_name"],
        )?;
        Ok(DataQuality {
            unknown: register(registry, unknown)?,
            unknown_seen: Arc::default(),
            quarantined: counters(
                registry,
                "cloudwatch_quarantined_points_total",
                "Datapoints kept out of the ledger: not finite, or token sums negative or fractional.",
                &["account", "region", "metric"],
            )?,
            duplicates: counters(
                registry,
                "cloudwatch_duplicate_spellings_total",
                "Minutes carried by two spellings of one metric; one was counted.",
                &["account", "region", "metric"],
            )?,
            partial: counters(
                registry,
                "cloudwatch_partial_results_total",
                "Collections of a region stopped by GetMetricData answers with data missing (status not Complete).",
                &["account", "region"],
            )?,
            restated: counters(
                registry,
                "cloudwatch_restated_points_total",
                "Minutes older than the restatement window that the hourly deep re-read found new or changed.",
                &["account", "region"],
            )?,
            shards,
        })
    }

    /// Every counter of a collected region from zero, so `increase()` and
    /// "none" panels have a series before the first event.
    pub fn region_seen(&self, key: &str) {
        let [account, region] = self.shards.labels(key);
        self.partial.with_label_values(&[account, region]).inc_by(0);
        self.restated.with_label_values(&[account, region]).inc_by(0);
        for metric in BedrockMetric::USAGE.into_iter().filter(|m| m.token_type().is_some()) {
            self.quarantined.with_label_values(&[account, region, metric.key()]).inc_by(0);
            self.duplicates.with_label_values(&[account, region, metric.key()]).inc_by(0);
        }
    }

    pub fn unknown_metric(&self, key: &str, name: &str) {
        let [account, region] = self.shards.labels(key);
        let mut seen = self.unknown_seen.lock().unwrap_or_else(PoisonError::into_inner);
        let series = (key.to_string(), name.to_string());
        if seen.contains(&series) || seen.len() < MAX_UNKNOWN_SERIES {
            seen.insert(series);
            self.unknown.with_label_values(&[account, region, name]).set(1);
        }
    }

    pub fn quarantined(&self, key: &str, metric: &str, n: u64) {
        let [account, region] = self.shards.labels(key);
        self.quarantined.with_label_values(&[account, region, metric]).inc_by(n);
    }

    pub fn duplicate_spellings(&self, key: &str, metric: &str, n: u64) {
        let [account, region] = self.shards.labels(key);
        self.duplicates.with_label_values(&[account, region, metric]).inc_by(n);
    }

    pub fn partial(&self, key: &str) {
        let [account, region] = self.shards.labels(key);
        self.partial.with_label_values(&[account, region]).inc();
    }

    pub fn restated(&self, key: &str, n: u64) {
        let [account, region] = self.shards.labels(key);
        self.restated.with_label_values(&[account, region]).inc_by(n);
    }
}
