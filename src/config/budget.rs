//! Budget definitions as written in the config. Evaluation is elsewhere
//! (pure, in `budgets/`); this file only owns the shape and its defaults.

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
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

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
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
    /// IAM principal patterns; they apply once CloudTrail principal data exists.
    #[serde(default)]
    pub principals: Vec<String>,
    /// Apply the limit to each principal separately.
    #[serde(default)]
    pub per_principal: bool,
    #[serde(default)]
    pub severity: AlertSeverity,
}

fn default_thresholds() -> Vec<u32> {
    vec![50, 80, 100]
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
