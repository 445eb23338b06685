//! The `[sources.cost_explorer]` section: the daily reconciliation with the
//! bill — when it runs, how far back it looks, when a day's bill counts as
//! final, and the tolerances of its alert. Its cross-field checks live here
//! too, beside the fields they check.

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

use super::budget::Usd;
use super::schedule::CronSchedule;
use super::types::{default_schedule, Config};
use crate::diag::{FieldPath, Finding};

/// Off unless enabled: Cost Explorer bills every request ($0.01 a page)
/// and must be enabled for the account.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CostExplorerSource {
    pub enabled: bool,
    /// When the reconciliation runs (UTC); it also runs at start.
    pub schedule: CronSchedule,
    /// Closed UTC days compared, counting back from yesterday.
    pub lookback_days: u32,
    /// A day's bill is final once it is unchanged on a read at least this
    /// many hours after the day ended.
    pub settle_hours: u32,
    /// A day read less than this many hours ago is not asked for again
    /// (AWS updates billing data up to three times a day).
    pub reread_after_hours: u32,
    /// The `SERVICE` values to ask for; empty: every service whose name
    /// contains "Bedrock" that billed in the window (one more request a run).
    pub services: Vec<String>,
    /// Only these accounts' usage (12-digit IDs, the `LINKED_ACCOUNT`
    /// dimension). Needed when the credentials are an organisation's
    /// management (payer) account, whose Cost Explorer shows every member's
    /// usage; empty: everything the account's Cost Explorer shows.
    pub linked_accounts: Vec<String>,
    /// A day agrees when its gross drift is within this many dollars...
    pub tolerance_usd: Usd,
    /// ...or within this share of the day's bill (0.01 = 1 %).
    pub tolerance_ratio: Share,
    /// A billed rate further than this share from the table's is stale.
    pub rate_tolerance_ratio: Share,
    /// A day's drift is alerted once the day is this many hours old (or
    /// final, if sooner): earlier, the bill is usually still incomplete.
    pub alert_after_hours: u32,
}

impl Default for CostExplorerSource {
    fn default() -> Self {
        let usd = |s: &str| Usd(s.parse().unwrap_or_default());
        let share = |s: &str| Share(s.parse().unwrap_or_default());
        CostExplorerSource {
            enabled: false,
            schedule: default_schedule("0 20 6 * * *"),
            lookback_days: 14,
            settle_hours: 72,
            reread_after_hours: 8,
            services: Vec::new(),
            linked_accounts: Vec::new(),
            tolerance_usd: usd("1.00"),
            tolerance_ratio: share("0.01"),
            rate_tolerance_ratio: share("0.01"),
            alert_after_hours: 48,
        }
    }
}

/// A share written as a string (`"0.01"` = 1 %) or an integer; never a float.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Share(pub Decimal);

impl<'de> Deserialize<'de> for Share {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = toml::Value::deserialize(d)?;
        crate::money::parse_toml_decimal(&v).map(Share).map_err(serde::de::Error::custom)
    }
}

pub(super) fn check(c: &Config, path: &FieldPath, out: &mut Vec<Finding>) {
    let ce = &c.sources.cost_explorer;
    // Cost Explorer answers daily data for the last 14 months.
    if !(1..=400).contains(&ce.lookback_days) {
        out.push(Finding::error(path.key("lookback_days"), "must be between 1 and 400"));
    }
    if !(24..=24 * 60).contains(&ce.settle_hours) {
        out.push(Finding::error(path.key("settle_hours"), "must be between 24 and 1440"));
    }
    if !(1..=24 * 7).contains(&ce.reread_after_hours) {
        out.push(Finding::error(path.key("reread_after_hours"), "must be between 1 and 168"));
    }
    for (field, v) in [
        ("tolerance_usd", ce.tolerance_usd.0),
        ("tolerance_ratio", ce.tolerance_ratio.0),
        ("rate_tolerance_ratio", ce.rate_tolerance_ratio.0),
    ] {
        if v.is_sign_negative() {
            out.push(Finding::error(path.key(field), "must not be negative"));
        }
    }
    for (i, a) in ce.linked_accounts.iter().enumerate() {
        if !crate::shard::is_account_id(a) {
            out.push(Finding::error(
                path.key("linked_accounts").index(i),
                format!("`{a}` is not a 12-digit account ID"),
            ));
        }
    }
    if ce.services.iter().any(|s| s.trim().is_empty()) {
        out.push(Finding::error(path.key("services"), "must not contain an empty name"));
    }
    if ce.alert_after_hours > ce.settle_hours {
        out.push(Finding::warning(
            path.key("alert_after_hours"),
            "is later than settle_hours: days are alerted when final instead",
        ));
    }
}
