//! Budget definitions as written in the config. Evaluation is elsewhere
//! (pure, in `budgets/`); this file only owns the shape and its defaults.

use rust_decimal::Decimal;
use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use super::types::Timezone;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Day,
    Week,
    Month,
}

impl Period {
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertSeverity {
    Info,
    #[default]
    Warning,
    Critical,
}

impl AlertSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertSeverity::Info => "info",
            AlertSeverity::Warning => "warning",
            AlertSeverity::Critical => "critical",
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetConfig {
    pub name: String,
    pub period: Period,
    pub limit_usd: Usd,
    #[serde(default = "default_thresholds")]
    pub thresholds_pct: Vec<u32>,
    /// Model keys of the price table or model-ID patterns (`*` globs); empty = all.
    #[serde(default)]
    pub models: Vec<String>,
    #[serde(default)]
    pub regions: Vec<String>,
    /// 12-digit account IDs (the primary account's or members'); empty = all.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// The primary account's ID, set at start (not configured): the ledger
    /// keys the primary account's rows by region alone.
    #[serde(skip)]
    pub primary_account: String,
    /// IAM principal patterns; they apply once CloudTrail principal data exists.
    #[serde(default)]
    pub principals: Vec<String>,
    /// Project IDs (`*` globs): bedrock-mantle projects (`proj_…`), or
    /// `default` for bedrock-runtime usage; empty = all.
    #[serde(default)]
    pub projects: Vec<String>,
    /// Apply the limit to each principal separately.
    #[serde(default)]
    pub per_principal: bool,
    /// `requestMetadata` filters of the invocation logs: key → value pattern
    /// (`*` globs), e.g. `{ tenant = "acme" }`; the budget then covers the
    /// logged requests that carry every listed key with a matching value.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Apply the limit to each value of this `requestMetadata` key
    /// separately ("each user_id"), from the invocation logs.
    #[serde(default)]
    pub per_metadata: Option<String>,
    #[serde(default)]
    pub severity: AlertSeverity,
    /// Period boundaries are calendar days, ISO weeks or months in this
    /// timezone; default `monitor.timezone`.
    #[serde(default)]
    pub timezone: Option<Timezone>,
    /// Alert once per period when spend is projected past the limit.
    #[serde(default = "yes")]
    pub forecast_alert: bool,
    /// Hours of recent spend the forecast's burn rate is taken from.
    #[serde(default = "default_lookback")]
    pub forecast_lookback_hours: u32,
    /// What the decision API answers once the limit is reached.
    #[serde(default)]
    pub on_exceeded: OnExceeded,
    /// The decision API answers `warn` from this utilisation on; default:
    /// the highest threshold below 100 (80 with the default thresholds).
    #[serde(default)]
    pub warn_at_pct: Option<u32>,
    /// Alert when spend suddenly runs far faster than usual (a runaway loop).
    #[serde(default)]
    pub burn_rate: Option<BurnRateConfig>,
}

/// `budgets` told which account is the primary one (`accounts` filters match its rows).
pub fn with_primary_account(mut budgets: Vec<BudgetConfig>, primary: &str) -> Vec<BudgetConfig> {
    for b in &mut budgets {
        b.primary_account = primary.to_string();
    }
    budgets
}

impl BudgetConfig {
    /// The utilisation (percent) from which the budget is in `warning`.
    pub fn warn_pct(&self) -> u32 {
        self.warn_at_pct
            .unwrap_or_else(|| self.thresholds_pct.iter().copied().filter(|t| *t < 100).max().unwrap_or(80))
    }
}

/// Once the limit is reached, the decision API says `deny` (the application
/// should stop calling Bedrock for this scope) or only `warn`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnExceeded {
    #[default]
    Deny,
    Warn,
}

impl OnExceeded {
    pub fn as_str(self) -> &'static str {
        match self {
            OnExceeded::Deny => "deny",
            OnExceeded::Warn => "warn",
        }
    }
}

/// Burn-rate anomaly: the spend rate over the last `short_minutes` is at
/// least `factor` times the rate over the `long_hours` before them, and at
/// least `min_usd_per_hour` (so idle budgets do not alert on their first call).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BurnRateConfig {
    #[serde(default = "default_short")]
    pub short_minutes: u32,
    #[serde(default = "default_long")]
    pub long_hours: u32,
    #[serde(default = "default_factor")]
    pub factor: Usd,
    pub min_usd_per_hour: Usd,
}

fn default_thresholds() -> Vec<u32> {
    vec![50, 80, 100]
}

fn yes() -> bool {
    true
}

fn default_lookback() -> u32 {
    6
}

fn default_short() -> u32 {
    15
}

fn default_long() -> u32 {
    24
}

fn default_factor() -> Usd {
    Usd(Decimal::from(4))
}

/// A USD amount written as a string (`"1500.00"`) or an integer; never a float.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usd(pub Decimal);

impl<'de> Deserialize<'de> for Usd {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = toml::Value::deserialize(d)?;
        crate::money::parse_toml_decimal(&v).map(Usd).map_err(serde::de::Error::custom)
    }
}
