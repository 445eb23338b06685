//! Self-metrics of alert delivery: failed publish attempts by what the
//! failure meant, and alerts parked (given up on). Both labelled by alert
//! kind, every series from zero so `increase()` sees the first one.

use prometheus::{IntCounterVec, Registry};

use super::self_metrics::counters;
use crate::alerts::{AlertKind, Failure};

#[derive(Clone)]
pub struct DeliveryMetrics {
    failures: IntCounterVec,
    parked: IntCounterVec,
}

impl DeliveryMetrics {
    pub fn new(registry: &Registry) -> prometheus::Result<Self> {
        let failures = counters(
            registry,
            "alert_publish_failures_total",
            "Failed alert publish attempts, by what the failure meant: transient (retried), uncertain \
             (timed out: may have been delivered; retried), rejected (parked), refused (the topic \
             refuses every message; retried).",
            &["kind", "failure"],
        )?;
        let parked = counters(
            registry,
            "alerts_parked_total",
            "Alerts given up on (the dead letter): rejected by SNS or out of attempts. \
             `report --alerts` lists them.",
            &["kind"],
        )?;
        for kind in AlertKind::ALL {
            parked.with_label_values(&[kind.as_str()]).inc_by(0);
            for failure in Failure::ALL {
                failures.with_label_values(&[kind.as_str(), failure.as_str()]).inc_by(0);
            }
        }
        Ok(DeliveryMetrics { failures, parked })
    }

    pub fn failed(&self, kind: AlertKind, failure: Failure) {
        self.failures.with_label_values(&[kind.as_str(), failure.as_str()]).inc();
    }

    pub fn parked(&self, kind: AlertKind) {
        self.parked.with_label_values(&[kind.as_str()]).inc();
    }
}
