//! Budget alerts from budget statuses: `budget.threshold` once per (budget,
//! principal, period, threshold), `budget.forecast` once per period when
//! spend is projected past the limit, and `budget.burn_rate` once per
//! anomaly episode. Pure: the dedupe key makes each exactly-once when the
//! dispatcher claims it; a new period has new keys, so it starts fresh.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::kind::AlertKind;
use super::message::AlertMessage;
use crate::budgets::{BudgetStatus, SpendItem};
use crate::money::display_usd;

/// `budget`, `budget@principal` or `budget@key=value`: what a budget alert
/// is about (its key).
pub fn scope_name(s: &BudgetStatus) -> String {
    match s.subject() {
        Some(p) => format!("{}@{p}", s.budget),
        None => s.budget.clone(),
    }
}

/// The same for a subject line: the principal by its last name segment
/// (`role/app` → `app`), so the numbers fit in SNS's 100 characters.
fn short_name(s: &BudgetStatus) -> String {
    match (&s.principal, &s.metadata) {
        (Some(p), _) => format!("{} ({})", s.budget, p.rsplit(['/', ':']).next().unwrap_or(p)),
        (None, Some(m)) => format!("{} ({}={})", s.budget, m.key, m.value),
        (None, None) => s.budget.clone(),
    }
}

fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn items(list: &[SpendItem], key: &str) -> Value {
    Value::Array(list.iter().map(|i| json!({ key: i.name, "usd": i.usd.to_string() })).collect())
}

/// The fields every budget alert carries.
fn base(kind: AlertKind, s: &BudgetStatus, key: String, subject: &str, now: DateTime<Utc>) -> AlertMessage {
    let mut m = AlertMessage::new(kind, s.severity.as_str(), key, subject, now)
        .for_budget(&s.budget)
        .with(
            "period",
            json!({ "kind": s.period.kind, "start": instant(s.period.start), "end": instant(s.period.end),
                    "timezone": s.period.timezone }),
        )
        .with("spend_usd", json!(s.spend_usd.to_string()))
        .with("limit_usd", json!(s.limit_usd.to_string()))
        .with("remaining_usd", json!(s.remaining_usd.to_string()))
        .with("utilization", json!(s.utilization.to_string()))
        .with("forecast_usd", s.forecast_usd.map_or(Value::Null, |f| json!(f.to_string())))
        .with("top_models", items(&s.top_models, "model"))
        .with("top_principals", items(&s.top_principals, "principal"));
    if let Some(p) = &s.principal {
        m = m.with("principal", json!(p));
    }
    if let Some(v) = &s.metadata {
        m = m.with("metadata", json!({ v.key.as_str(): v.value }));
    }
    if let Some(t) = s.data_through {
        m = m.with("data_through", json!(instant(t)));
    }
    // Unpriced usage has no dollar amount: say the spend leaves it out
    // rather than let finance read the figure as complete.
    if s.unpriced_tokens > 0 {
        m = m.with("unpriced_tokens", json!(s.unpriced_tokens)).with(
            "unpriced_note",
            json!(format!(
                "spend_usd leaves out {} tokens in this budget's scope that have no price: the real spend is higher",
                s.unpriced_tokens
            )),
        );
    }
    m
}

fn period_key(s: &BudgetStatus) -> String {
    instant(s.period.start)
}

/// Threshold and forecast alerts a status calls for (claimed or not yet).
pub fn alerts(s: &BudgetStatus, forecast_alert: bool, now: DateTime<Utc>) -> Vec<AlertMessage> {
    let who = scope_name(s);
    let mut out: Vec<AlertMessage> = s
        .thresholds_crossed
        .iter()
        .map(|pct| {
            let key = format!("budget.threshold:{who}:{}:{pct}", period_key(s));
            let subject = format!(
                "Budget {} reached {pct}%: {} of {} USD this {}",
                short_name(s),
                display_usd(s.spend_usd),
                display_usd(s.limit_usd),
                s.period.kind
            );
            base(AlertKind::BUDGET_THRESHOLD, s, key, &subject, now).with("threshold_pct", json!(pct))
        })
        .collect();
    let over = s.forecast_usd.is_some_and(|f| f > s.limit_usd) && s.spend_usd < s.limit_usd;
    if forecast_alert && over {
        let key = format!("budget.forecast:{who}:{}", period_key(s));
        let subject = format!(
            "Budget {} projected at {} of {} USD by {} end",
            short_name(s),
            display_usd(s.forecast_usd.unwrap_or_default()),
            display_usd(s.limit_usd),
            s.period.kind
        );
        out.push(base(AlertKind::BUDGET_FORECAST, s, key, &subject, now));
    }
    out
}

/// The burn-rate alert of the episode that began at `since`.
pub fn burn_rate_alert(s: &BudgetStatus, since: DateTime<Utc>, now: DateTime<Utc>) -> Option<AlertMessage> {
    let b = s.burn_rate.as_ref().filter(|b| b.anomalous)?;
    let who = scope_name(s);
    let key = format!("budget.burn_rate:{who}:{}", instant(since));
    let subject = format!(
        "Budget {} burning {} USD/h, usually {} USD/h",
        short_name(s),
        display_usd(b.short_usd_per_hour),
        display_usd(b.long_usd_per_hour)
    );
    Some(
        base(AlertKind::BUDGET_BURN_RATE, s, key, &subject, now)
            .with("short_usd_per_hour", json!(b.short_usd_per_hour.to_string()))
            .with("long_usd_per_hour", json!(b.long_usd_per_hour.to_string()))
            .with("since", json!(instant(since))),
    )
}

/// The flag that keeps a budget's burn-rate episode open across restarts.
pub fn burn_episode_flag(s: &BudgetStatus) -> String {
    format!("episode:budget.burn_rate:{}", scope_name(s))
}
