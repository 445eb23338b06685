//! What a budget evaluation says: a budget's state, period, spend, forecast
//! and top spenders, as published for followers, the decision API and alerts.
//!
//! Plain data (money as `Decimal`, serialised as decimal strings); the rules
//! that fill it are in `evaluate.rs`, the storage in the ledger's
//! `StatusStore`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::config::budget::{AlertSeverity, OnExceeded, Period};

/// Where a budget stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BudgetState {
    /// Below every warning threshold.
    Ok,
    /// At or above a threshold below 100 %, or forecast over the limit.
    Warning,
    /// Spend at or above the limit.
    Exceeded,
}

impl BudgetState {
    pub fn as_str(self) -> &'static str {
        match self {
            BudgetState::Ok => "ok",
            BudgetState::Warning => "warning",
            BudgetState::Exceeded => "exceeded",
        }
    }
}

/// A budget period, calendar-aligned in `timezone`: `[start, end)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodInfo {
    pub kind: Period,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub timezone: String,
}

/// Spend rates that drive the burn-rate alert, in USD per hour.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BurnRate {
    pub short_usd_per_hour: Decimal,
    pub long_usd_per_hour: Decimal,
    pub anomalous: bool,
}

/// A model or principal and what it spent, for "top spenders" lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendItem {
    pub name: String,
    pub usd: Decimal,
}

/// One value of a `requestMetadata` key, e.g. `user_id` = `u-123`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MetadataValue {
    pub key: String,
    pub value: String,
}

/// One budget's evaluation (for a per-principal budget: one principal's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetStatus {
    pub budget: String,
    /// Set for the budgets that apply to each principal separately.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// Set for the budgets that apply to each value of a `requestMetadata`
    /// key separately (`per_metadata`): which value this status is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<MetadataValue>,
    pub period: PeriodInfo,
    pub spend_usd: Decimal,
    pub limit_usd: Decimal,
    /// `limit - spend`, negative once exceeded.
    pub remaining_usd: Decimal,
    /// `spend / limit` (1 = 100 %), rounded to 6 decimal places.
    pub utilization: Decimal,
    /// Projected spend at period end; `None` when forecasting is off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forecast_usd: Option<Decimal>,
    pub state: BudgetState,
    /// What the decision API answers once exceeded: `deny` or `warn`.
    pub on_exceeded: OnExceeded,
    pub severity: AlertSeverity,
    /// Thresholds (percent) reached in this period.
    pub thresholds_crossed: Vec<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burn_rate: Option<BurnRate>,
    /// The biggest models (and, with CloudTrail, principals) of the period.
    #[serde(default)]
    pub top_models: Vec<SpendItem>,
    #[serde(default)]
    pub top_principals: Vec<SpendItem>,
    /// Tokens in scope that could not be priced: spend is understated by their cost.
    #[serde(default)]
    pub unpriced_tokens: u64,
    pub evaluated_at: DateTime<Utc>,
    /// Usage data is complete up to this instant (the collector's watermark).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_through: Option<DateTime<Utc>>,
}

impl BudgetStatus {
    /// Who a per-subject status is about: the principal, or `key=value` for
    /// a per-metadata budget; `None` for a budget as a whole. The key under
    /// which stores keep the status and the `principal` label of its gauges.
    pub fn subject(&self) -> Option<String> {
        match (&self.principal, &self.metadata) {
            (Some(p), _) => Some(p.clone()),
            (None, Some(m)) => Some(format!("{}={}", m.key, m.value)),
            (None, None) => None,
        }
    }
}
