//! The reconciliation with the bill as gauges: the latest reconciled day's
//! ledger and billed cost per region × model × token type, its drift, the
//! unmapped billed dollars, rates that differ from the table, and how many
//! days of the lookback are final. Set by the leader after each
//! reconciliation; a replica that does not run it exports none.

use prometheus::{GaugeVec, Registry};

use super::families::{count_sample, usd_sample};
use super::self_metrics::gauges;
use crate::reconcile::DayDrift;

#[derive(Clone)]
pub struct BillMetrics {
    day: GaugeVec,
    cost: GaugeVec,
    drift: GaugeVec,
    day_drift: GaugeVec,
    unmapped: GaugeVec,
    rate: GaugeVec,
    days: GaugeVec,
}

const KEY: &[&str] = &["region", "model", "token_type"];

impl BillMetrics {
    pub fn new(registry: &Registry) -> prometheus::Result<Self> {
        Ok(BillMetrics {
            day: gauges(
                registry,
                "bill_reconciled_day_timestamp_seconds",
                "Start (UTC midnight) of the latest day reconciled with Cost Explorer; `final` is 1 once its bill stopped changing.",
                &["final"],
            )?,
            cost: gauges(
                registry,
                "bill_cost_usd",
                "Cost of the latest reconciled day per region, model and token type, as the ledger counts it (source=\"ledger\") and as Cost Explorer billed it (source=\"bill\").",
                &["region", "model", "token_type", "source"],
            )?,
            drift: gauges(
                registry,
                "bill_drift_usd",
                "Ledger minus bill on the latest reconciled day, per region, model and token type (negative: the ledger counts less than was billed).",
                KEY,
            )?,
            day_drift: gauges(
                registry,
                "bill_day_drift_usd",
                "Drift of the latest reconciled day: kind=\"net\" (ledger minus bill) and kind=\"gross\" (the sum of every row's absolute drift and every unmapped dollar, what the alert compares with the tolerance).",
                &["kind"],
            )?,
            unmapped: gauges(
                registry,
                "bill_unmapped_usd",
                "Billed dollars of the latest reconciled day whose usage type or model the monitor cannot place.",
                &[],
            )?,
            rate: gauges(
                registry,
                "bill_rate_drift_ratio",
                "Billed rate over the price table's rate in force, minus one, per region, model and token type of the latest reconciled day (only where they differ by more than the rate tolerance).",
                KEY,
            )?,
            days: gauges(
                registry,
                "bill_days",
                "Days of the reconciliation's lookback by state: final (frozen), settling (still re-read), unread.",
                &["state"],
            )?,
        })
    }

    /// Replaces every gauge with the day's figures.
    pub fn set_day(&self, d: &DayDrift, start_seconds: i64, final_bill: bool) {
        for g in [&self.day, &self.cost, &self.drift, &self.rate] {
            g.reset();
        }
        let flag = if final_bill { "1" } else { "0" };
        self.day.with_label_values(&[flag]).set(count_sample(u64::try_from(start_seconds).unwrap_or(0)));
        for (k, r) in &d.rows {
            let labels = [k.region.as_str(), k.model.as_str(), k.token_type];
            self.cost
                .with_label_values(&[labels[0], labels[1], labels[2], "ledger"])
                .set(usd_sample(r.ledger_usd));
            self.cost
                .with_label_values(&[labels[0], labels[1], labels[2], "bill"])
                .set(usd_sample(r.billed_usd));
            self.drift.with_label_values(&labels).set(usd_sample(r.drift()));
        }
        for r in d.stale_rates() {
            self.rate
                .with_label_values(&[r.key.region.as_str(), r.key.model.as_str(), r.key.token_type])
                .set(usd_sample(r.ratio()));
        }
        self.day_drift.with_label_values(&["net"]).set(usd_sample(d.net()));
        self.day_drift.with_label_values(&["gross"]).set(usd_sample(d.gross()));
        self.unmapped.with_label_values::<&str>(&[]).set(usd_sample(d.unmapped_usd()));
    }

    pub fn set_days(&self, frozen: u64, settling: u64, unread: u64) {
        for (state, n) in [("final", frozen), ("settling", settling), ("unread", unread)] {
            self.days.with_label_values(&[state]).set(count_sample(n));
        }
    }
}
