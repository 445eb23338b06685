//! The invocation-log cross-check: over a settled window of a region, the
//! tokens the logs priced against the tokens CloudWatch counted for the
//! bedrock-runtime endpoint (the only one that logs), and the
//! `invocation_logs.drift` alert when they part by more than the tolerance
//! (logging switched off, delivery failing, a region not delivering) or when
//! Bedrock reports failed log deliveries. Pure.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde_json::json;

use super::kind::AlertKind;
use super::message::AlertMessage;
use crate::bedrock::split_mantle;
use crate::records::{CostLine, RequestSum};

/// Tokens of one model ID by source over the window.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counted {
    pub cloudwatch: u64,
    pub logged: u64,
}

/// A region's comparison over `[from, to)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drift {
    pub region: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub by_model: BTreeMap<String, Counted>,
    /// Failed deliveries Bedrock reported in the window (CloudWatch Logs, S3, large data).
    pub delivery_failures: u64,
}

impl Drift {
    /// Compares the runtime's CloudWatch lines with the logged request sums
    /// of the same region and window (mantle usage is never logged).
    pub fn of(
        region: &str,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        lines: &[CostLine],
        rows: &[RequestSum],
    ) -> Drift {
        let mut by_model: BTreeMap<String, Counted> = BTreeMap::new();
        for l in lines.iter().filter(|l| l.region == region && split_mantle(&l.model_id).is_none()) {
            let c = by_model.entry(l.model_id.clone()).or_default();
            c.cloudwatch = c.cloudwatch.saturating_add(l.tokens);
        }
        for r in rows.iter().filter(|r| r.region == region) {
            let c = by_model.entry(r.model_id.clone()).or_default();
            c.logged = c.logged.saturating_add(r.tokens.total());
        }
        Drift { region: region.to_string(), from, to, by_model, delivery_failures: 0 }
    }

    pub fn totals(&self) -> Counted {
        self.by_model.values().fold(Counted::default(), |a, c| Counted {
            cloudwatch: a.cloudwatch.saturating_add(c.cloudwatch),
            logged: a.logged.saturating_add(c.logged),
        })
    }

    /// The share of CloudWatch's tokens the logs miss (negative when the
    /// logs count more); 0 when neither counted anything, 1 when only
    /// CloudWatch did, -1 when only the logs did.
    pub fn ratio(&self) -> Decimal {
        let t = self.totals();
        match (t.cloudwatch, t.logged) {
            (0, 0) => Decimal::ZERO,
            (0, _) => Decimal::NEGATIVE_ONE,
            (cw, logged) => ((Decimal::from(cw) - Decimal::from(logged)) / Decimal::from(cw)).round_dp(6),
        }
    }

    /// Beyond `tolerance_pct` percent and `min_tokens` tokens apart, or
    /// any reported delivery failure.
    pub fn exceeds(&self, tolerance_pct: Decimal, min_tokens: u64) -> bool {
        let t = self.totals();
        let apart = t.cloudwatch.abs_diff(t.logged);
        self.delivery_failures > 0
            || (apart >= min_tokens && self.ratio().abs() * Decimal::from(100) > tolerance_pct)
    }
}

/// The flag of a drift episode in `region`.
pub fn drift_flag(region: &str) -> String {
    format!("episode:invocation_logs.drift:{region}")
}

/// Once per episode and region, with the models furthest apart.
pub fn drift_alert(d: &Drift, since: DateTime<Utc>, now: DateTime<Utc>) -> AlertMessage {
    let t = d.totals();
    let key =
        format!("invocation_logs.drift:{}:{}", d.region, since.to_rfc3339_opts(SecondsFormat::Secs, true));
    let pct = (d.ratio() * Decimal::from(100)).round_dp(2).normalize();
    let subject = format!("Invocation logs in {} miss {pct}% of CloudWatch's tokens", d.region);
    let mut models: Vec<(&String, &Counted)> = d.by_model.iter().collect();
    models.sort_by_key(|(id, c)| (std::cmp::Reverse(c.cloudwatch.abs_diff(c.logged)), (*id).clone()));
    let models: Vec<_> = models
        .iter()
        .take(5)
        .map(
            |(id, c)| json!({ "model_id": id, "cloudwatch_tokens": c.cloudwatch, "logged_tokens": c.logged }),
        )
        .collect();
    AlertMessage::new(AlertKind::LOG_DRIFT, "warning", key, &subject, now)
        .with("region", json!(d.region))
        .with("window", json!({ "from": d.from.to_rfc3339(), "to": d.to.to_rfc3339() }))
        .with("cloudwatch_tokens", json!(t.cloudwatch))
        .with("logged_tokens", json!(t.logged))
        .with("drift_ratio", json!(d.ratio().to_string()))
        .with("delivery_failures", json!(d.delivery_failures))
        .with("models", json!(models))
        .with(
            "action",
            json!(
                "check the region's model invocation logging configuration (is it on, to this log group?) and the \
                 ModelInvocationLogs*DeliveryFailure metrics; per-user spend and budgets undercount until it is fixed"
            ),
        )
}

#[cfg(test)]
#[path = "log_drift_tests.rs"]
mod tests;
