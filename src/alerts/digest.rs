//! The daily digest for finance (`report.daily`, on its own cron): spend of
//! the previous local day and of the month to date, overall and per budget,
//! and the top models. Pure: the caller fetches the two windows' sums.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::kind::AlertKind;
use super::message::AlertMessage;
use crate::budgets::scope::Scope;
use crate::budgets::BudgetStatus;
use crate::budgets::{Spend, Window};
use crate::config::BudgetConfig;
use crate::money::display_usd;

/// What the digest covers.
pub struct DigestInput<'a> {
    /// The local day reported.
    pub day: NaiveDate,
    pub timezone: &'a str,
    pub yesterday: Window,
    pub month_to_date: Window,
    pub spend: &'a Spend,
    pub budgets: &'a [BudgetConfig],
    pub statuses: &'a [BudgetStatus],
}

pub fn digest(i: &DigestInput<'_>, now: DateTime<Utc>) -> AlertMessage {
    let no_filter = BTreeMap::new();
    let everything = Scope::everything(&no_filter);
    let (day_usd, day_unpriced) = i.spend.cost_in(&i.yesterday, &everything);
    let (mtd_usd, _) = i.spend.cost_in(&i.month_to_date, &everything);
    let mut models: Vec<(String, Decimal)> =
        i.spend.by_model(&i.yesterday, &everything, None).into_iter().collect();
    models.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    models.truncate(10);
    let budgets: Vec<Value> = i
        .budgets
        .iter()
        .filter(|b| !b.per_principal && b.principals.is_empty())
        .map(|b| {
            let scope = Scope::of(b);
            let status = i.statuses.iter().find(|s| s.budget == b.name && s.principal.is_none());
            json!({
                "budget": b.name,
                "period": b.period.as_str(),
                "yesterday_usd": i.spend.cost_in(&i.yesterday, &scope).0.to_string(),
                "month_to_date_usd": i.spend.cost_in(&i.month_to_date, &scope).0.to_string(),
                "period_spend_usd": status.map(|s| s.spend_usd.to_string()),
                "limit_usd": b.limit_usd.0.to_string(),
                "utilization": status.map(|s| s.utilization.to_string()),
                "forecast_usd": status.and_then(|s| s.forecast_usd).map(|f| f.to_string()),
                "state": status.map(|s| s.state.as_str()),
            })
        })
        .collect();
    let subject = format!(
        "Bedrock spend {}: {} USD; month to date {} USD",
        i.day,
        display_usd(day_usd),
        display_usd(mtd_usd)
    );
    let instant = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    AlertMessage::new(AlertKind::REPORT_DAILY, "info", format!("report.daily:{}", i.day), &subject, now)
        .with("day", json!(i.day.to_string()))
        .with("timezone", json!(i.timezone))
        .with("yesterday", json!({ "start": instant(i.yesterday.from), "end": instant(i.yesterday.to) }))
        .with("yesterday_usd", json!(day_usd.to_string()))
        .with("month_to_date_usd", json!(mtd_usd.to_string()))
        .with("unpriced_tokens_yesterday", json!(day_unpriced))
        .with(
            "top_models",
            Value::Array(models.iter().map(|(m, usd)| json!({"model": m, "usd": usd.to_string()})).collect()),
        )
        .with("budgets", Value::Array(budgets))
}
