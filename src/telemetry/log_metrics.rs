//! Self-metrics of the invocation-log source: records read by outcome, and
//! the last cross-check against CloudWatch per region.

use prometheus::{GaugeVec, IntCounterVec, Registry};
use rust_decimal::Decimal;

use super::families::{count_sample, usd_sample};
use super::self_metrics::{counters, gauges};

#[derive(Clone)]
pub struct LogMetrics {
    records: IntCounterVec,
    drift: GaugeVec,
    delivery_failures: GaugeVec,
}

impl LogMetrics {
    pub fn new(registry: &Registry) -> prometheus::Result<Self> {
        Ok(LogMetrics {
            records: counters(
                registry,
                "invocation_log_records_total",
                "Model invocation log records read, by outcome: counted, duplicate, foreign_region, \
                 or why one was rejected (too_large, json, schema, missing_field, bad_value, corrupt_object).",
                &["region", "outcome"],
            )?,
            drift: gauges(
                registry,
                "invocation_log_drift_ratio",
                "Share of CloudWatch's bedrock-runtime tokens the invocation logs miss over the last \
                 settled hour (negative: the logs count more).",
                &["region"],
            )?,
            delivery_failures: gauges(
                registry,
                "invocation_log_delivery_failures",
                "Failed invocation-log deliveries Bedrock reported over the last settled hour.",
                &["region"],
            )?,
        })
    }

    pub fn add_records(&self, region: &str, outcome: &str, n: u64) {
        if n > 0 {
            self.records.with_label_values(&[region, outcome]).inc_by(n);
        }
    }

    /// The last cross-check of a region: the drift ratio (exact, a ratio of
    /// token counts) and the delivery failures.
    pub fn set_check(&self, region: &str, ratio: Decimal, failures: u64) {
        self.drift.with_label_values(&[region]).set(usd_sample(ratio));
        self.delivery_failures.with_label_values(&[region]).set(count_sample(failures));
    }
}
