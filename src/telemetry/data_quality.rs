//! Self-metrics of what CloudWatch answered that the daemon could not take
//! at face value: token metrics it does not know, implausible datapoints
//! kept out of the ledger, minutes carried by two spellings of one metric,
//! answers with data missing, and late data found by the deep re-read.
//!
//! Only counts what the collection reports; never reads the ledger or AWS.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

use prometheus::{IntCounterVec, IntGaugeVec, Opts, Registry};

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
}

fn counters(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<IntCounterVec> {
    let c = IntCounterVec::new(Opts::new(format!("bedrock_monitor_{name}"), help), labels)?;
    super::register(registry, Box::new(c.clone()))?;
    Ok(c)
}

impl DataQuality {
    pub fn new(registry: &Registry) -> prometheus::Result<Self> {
        let unknown = IntGaugeVec::new(
            Opts::new(
                "bedrock_monitor_cloudwatch_unknown_metrics",
                "1 per token-like AWS/Bedrock metric (or dimension set) listed with a ModelId that the daemon cannot count.",
            ),
            &["region", "metric_name"],
        )?;
        super::register(registry, Box::new(unknown.clone()))?;
        Ok(DataQuality {
            unknown,
            unknown_seen: Arc::default(),
            quarantined: counters(
                registry,
                "cloudwatch_quarantined_points_total",
                "Datapoints kept out of the ledger: not finite, or token sums negative or fractional.",
                &["region", "metric"],
            )?,
            duplicates: counters(
                registry,
                "cloudwatch_duplicate_spellings_total",
                "Minutes carried by two spellings of one metric; one was counted.",
                &["region", "metric"],
            )?,
            partial: counters(
                registry,
                "cloudwatch_partial_results_total",
                "Collections of a region stopped by GetMetricData answers with data missing (status not Complete).",
                &["region"],
            )?,
            restated: counters(
                registry,
                "cloudwatch_restated_points_total",
                "Minutes older than the restatement window that the hourly deep re-read found new or changed.",
                &["region"],
            )?,
        })
    }

    pub fn unknown_metric(&self, region: &str, name: &str) {
        let mut seen = self.unknown_seen.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (region.to_string(), name.to_string());
        if seen.contains(&key) || seen.len() < MAX_UNKNOWN_SERIES {
            seen.insert(key);
            self.unknown.with_label_values(&[region, name]).set(1);
        }
    }

    pub fn quarantined(&self, region: &str, metric: &str, n: u64) {
        self.quarantined.with_label_values(&[region, metric]).inc_by(n);
    }

    pub fn duplicate_spellings(&self, region: &str, metric: &str, n: u64) {
        self.duplicates.with_label_values(&[region, metric]).inc_by(n);
    }

    pub fn partial(&self, region: &str) {
        self.partial.with_label_values(&[region]).inc();
    }

    pub fn restated(&self, region: &str, n: u64) {
        self.restated.with_label_values(&[region]).inc_by(n);
    }
}
