//! Evaluating budgets against the fetched spend: spend to date, utilisation,
//! remaining, forecast, burn rate, thresholds reached and the state the
//! decision API answers from. Pure: plans and sums in, statuses out.
//!
//! Spend is never rounded. Utilisation is rounded to 6 decimal places for
//! display; every comparison (thresholds, state) uses the exact spend:
//! a threshold of p % is reached when `spend × 100 ≥ limit × p`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::forecast::{burn_rate, forecast};
use super::windows::{Plan, Spend, Window};
use crate::budgets::{BudgetState, BudgetStatus, BurnRate, MetadataValue, PeriodInfo, SpendItem};

/// How many models and principals a status lists.
pub const TOP: usize = 5;

/// Every budget's status; a per-principal budget gives one per principal
/// with spend in the period (others have spent nothing and are `ok`), a
/// per-metadata budget one per value of its key, likewise.
pub fn evaluate(plans: &[Plan<'_>], spend: &Spend, now: DateTime<Utc>) -> Vec<BudgetStatus> {
    let mut out = Vec::new();
    for plan in plans {
        if let Some(key) = &plan.config.per_metadata {
            let scope = plan.scope();
            for (value, amount) in spend.by_metadata(&plan.period, &scope, key) {
                let inputs = Inputs::for_value(plan, spend, key, &value, amount);
                let mut s = status(plan, None, inputs, spend, now);
                s.top_models = top(spend.requests_by_model(&plan.period, &scope, Some((key, &value))));
                s.metadata = Some(MetadataValue { key: key.clone(), value });
                out.push(s);
            }
        } else if plan.config.per_principal {
            let scope = plan.scope();
            for (principal, amount) in spend.by_principal(&plan.period, &scope) {
                let inputs = Inputs::for_principal(plan, spend, &principal, amount);
                out.push(status(plan, Some(principal), inputs, spend, now));
            }
        } else {
            out.push(status(plan, None, Inputs::whole(plan, spend), spend, now));
        }
    }
    out.sort_by_key(|s| (s.budget.clone(), s.subject()));
    out
}

/// The sums one status is computed from.
struct Inputs {
    spend: Decimal,
    lookback: Decimal,
    burn: Option<(Decimal, Decimal)>,
    unpriced_tokens: u64,
}

impl Inputs {
    fn whole(plan: &Plan<'_>, spend: &Spend) -> Inputs {
        let scope = plan.scope();
        let sum = |w: &Window| -> (Decimal, u64) {
            if plan.uses_requests() {
                spend.requests_in(w, &scope)
            } else if plan.uses_principals() {
                (spend.by_principal(w, &scope).values().sum(), 0)
            } else {
                spend.cost_in(w, &scope)
            }
        };
        let (total, unpriced_tokens) = sum(&plan.period);
        Inputs {
            spend: total,
            lookback: sum(&plan.lookback).0,
            burn: plan.burn.map(|(s, b)| (sum(&s).0, sum(&b).0)),
            unpriced_tokens,
        }
    }

    fn for_value(plan: &Plan<'_>, spend: &Spend, key: &str, value: &str, amount: Decimal) -> Inputs {
        let scope = plan.scope();
        let of = |w: &Window| spend.by_metadata(w, &scope, key).get(value).copied().unwrap_or_default();
        Inputs {
            spend: amount,
            lookback: of(&plan.lookback),
            burn: plan.burn.map(|(s, b)| (of(&s), of(&b))),
            unpriced_tokens: 0,
        }
    }

    fn for_principal(plan: &Plan<'_>, spend: &Spend, principal: &str, amount: Decimal) -> Inputs {
        let scope = plan.scope();
        let of = |w: &Window| spend.by_principal(w, &scope).get(principal).copied().unwrap_or_default();
        Inputs {
            spend: amount,
            lookback: of(&plan.lookback),
            burn: plan.burn.map(|(s, b)| (of(&s), of(&b))),
            unpriced_tokens: 0,
        }
    }
}

fn status(
    plan: &Plan<'_>,
    principal: Option<String>,
    i: Inputs,
    spend: &Spend,
    now: DateTime<Utc>,
) -> BudgetStatus {
    let c = plan.config;
    let limit = c.limit_usd.0;
    let remaining_secs = (plan.period.to - plan.data_through.max(plan.period.from)).num_seconds();
    let projected = forecast(i.spend, i.lookback, plan.lookback.seconds(), remaining_secs);
    let reached = |pct: u32| i.spend * Decimal::from(100) >= limit * Decimal::from(pct);
    let state = if reached(100) {
        BudgetState::Exceeded
    } else if reached(c.warn_pct()) || projected > limit {
        BudgetState::Warning
    } else {
        BudgetState::Ok
    };
    let burn = match (&c.burn_rate, plan.burn, i.burn) {
        (Some(cfg), Some((sw, bw)), Some((ss, bs))) => {
            Some(burn_rate(ss, sw.seconds(), bs, bw.seconds(), cfg))
        }
        _ => None::<BurnRate>,
    };
    let scope = plan.scope();
    let top_principals = match &principal {
        Some(_) => Vec::new(),
        None => top(spend.by_principal(&plan.period, &scope)),
    };
    let top_models = if plan.uses_requests() {
        top(spend.requests_by_model(&plan.period, &scope, None))
    } else {
        top(spend.by_model(&plan.period, &scope, principal.as_deref()))
    };
    BudgetStatus {
        budget: c.name.clone(),
        period: PeriodInfo {
            kind: c.period,
            start: plan.period.from,
            end: plan.period.to,
            timezone: plan.tz.name().to_string(),
        },
        spend_usd: i.spend,
        limit_usd: limit,
        remaining_usd: limit - i.spend,
        utilization: (i.spend / limit).round_dp(6),
        forecast_usd: Some(projected),
        state,
        on_exceeded: c.on_exceeded,
        severity: c.severity,
        thresholds_crossed: c.thresholds_pct.iter().copied().filter(|p| reached(*p)).collect(),
        burn_rate: burn,
        top_models,
        top_principals,
        unpriced_tokens: i.unpriced_tokens,
        evaluated_at: now,
        data_through: Some(plan.data_through),
        principal,
        metadata: None,
    }
}

/// The biggest spenders first (ties by name), at most [`TOP`], none at zero.
fn top(by: BTreeMap<String, Decimal>) -> Vec<SpendItem> {
    let mut items: Vec<SpendItem> = by
        .into_iter()
        .filter(|(_, usd)| *usd > Decimal::ZERO)
        .map(|(name, usd)| SpendItem { name, usd })
        .collect();
    items.sort_by(|a, b| b.usd.cmp(&a.usd).then_with(|| a.name.cmp(&b.name)));
    items.truncate(TOP);
    items
}
