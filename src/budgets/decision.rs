//! The enforcement decision: may this principal call this model (in this
//! region) now? Answered from the latest budget statuses, without touching
//! the store, so it is cheap enough to ask before every Bedrock request.
//!
//! Every budget whose scope covers the request takes part; the worst verdict
//! wins (deny > warn > allow), the highest utilisation breaks ties. A request
//! that leaves out a dimension is covered by budgets filtered on it (the
//! cautious reading), except per-principal budgets, which need the principal,
//! and per-metadata budgets, which need their key's value (`user_id=…`).
//! A principal without spend in the period has nothing to be denied for.
//! Pure.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::scope::Scope;
use crate::budgets::{BudgetState, BudgetStatus, MetadataValue};
use crate::config::budget::OnExceeded;
use crate::config::BudgetConfig;
use crate::pricing::catalog::glob_match;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    Warn,
    Deny,
}

/// What is asked: any field may be missing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Request<'a> {
    pub principal: Option<&'a str>,
    /// As the application passes it to Bedrock.
    pub model_id: Option<&'a str>,
    /// `model_id` resolved to its price-table key, if it resolves.
    pub model: Option<&'a str>,
    pub region: Option<&'a str>,
    /// The bedrock-mantle project the call goes to (`default` on bedrock-runtime).
    pub project: Option<&'a str>,
    /// The `requestMetadata` the call will carry (only configured keys matter).
    pub metadata: &'a [(&'a str, &'a str)],
}

impl Request<'_> {
    fn metadata_value(&self, key: &str) -> Option<&str> {
        self.metadata.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub decision: Verdict,
    /// The budget that decided; `None` when no budget applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// The metadata value of a per-metadata budget that decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<MetadataValue>,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utilization: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spend_usd: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_usd: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_end: Option<DateTime<Utc>>,
    /// Every budget that applies, with its verdict.
    pub budgets: Vec<Applied>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Applied {
    pub budget: String,
    pub decision: Verdict,
    pub utilization: Decimal,
}

fn applies(b: &BudgetConfig, r: &Request<'_>) -> bool {
    let scope = Scope::of(b);
    let model_ok = r.model_id.is_none_or(|id| scope.matches_model(id, r.model));
    let region_ok = r.region.is_none_or(|reg| scope.matches_region(reg));
    let project_ok = r.project.is_none_or(|p| scope.matches_project(p));
    let principal_ok = match r.principal {
        Some(p) => scope.matches_principal(p),
        None => !b.per_principal,
    };
    let metadata_ok =
        b.metadata.iter().all(|(k, pattern)| r.metadata_value(k).is_none_or(|v| glob_match(pattern, v)));
    let per_metadata_ok = b.per_metadata.as_deref().is_none_or(|k| r.metadata_value(k).is_some());
    model_ok && region_ok && project_ok && principal_ok && metadata_ok && per_metadata_ok
}

/// The status of `b` that speaks for the request: its principal's, its
/// metadata value's, or the budget's as a whole.
fn status_for<'s>(
    b: &BudgetConfig,
    statuses: &'s [BudgetStatus],
    r: &Request<'_>,
) -> Option<&'s BudgetStatus> {
    let of_budget = statuses.iter().filter(|s| s.budget == b.name);
    if let Some(key) = &b.per_metadata {
        let value = r.metadata_value(key)?;
        return of_budget
            .into_iter()
            .find(|s| s.metadata.as_ref().is_some_and(|m| m.key == *key && m.value == value));
    }
    let wanted = if b.per_principal { r.principal } else { None };
    of_budget.into_iter().find(|s| s.principal.as_deref() == wanted && s.metadata.is_none())
}

fn verdict(s: &BudgetStatus) -> Verdict {
    match (s.state, s.on_exceeded) {
        (BudgetState::Exceeded, OnExceeded::Deny) => Verdict::Deny,
        (BudgetState::Exceeded, _) | (BudgetState::Warning, _) => Verdict::Warn,
        (BudgetState::Ok, _) => Verdict::Allow,
    }
}

pub fn decide(budgets: &[BudgetConfig], statuses: &[BudgetStatus], r: &Request<'_>) -> Decision {
    let mut applied: Vec<(&BudgetStatus, Verdict)> = Vec::new();
    for b in budgets.iter().filter(|b| applies(b, r)) {
        if let Some(s) = status_for(b, statuses, r) {
            applied.push((s, verdict(s)));
        }
    }
    let worst = applied.iter().max_by(|(a, va), (b, vb)| va.cmp(vb).then(a.utilization.cmp(&b.utilization)));
    let budgets_out = applied
        .iter()
        .map(|(s, v)| Applied { budget: s.budget.clone(), decision: *v, utilization: s.utilization })
        .collect();
    match worst {
        None => Decision {
            decision: Verdict::Allow,
            budget: None,
            principal: None,
            metadata: None,
            reason: "no evaluated budget covers this request".into(),
            utilization: None,
            spend_usd: None,
            limit_usd: None,
            period_end: None,
            budgets: budgets_out,
        },
        Some((s, v)) => Decision {
            decision: *v,
            budget: Some(s.budget.clone()),
            principal: s.principal.clone(),
            metadata: s.metadata.clone(),
            reason: format!(
                "budget `{}` is {} at {}% of {} USD for the {} ending {}",
                s.budget,
                s.state.as_str(),
                (s.utilization * Decimal::from(100)).round_dp(2).normalize(),
                s.limit_usd,
                s.period.kind,
                s.period.end.to_rfc3339()
            ),
            utilization: Some(s.utilization),
            spend_usd: Some(s.spend_usd),
            limit_usd: Some(s.limit_usd),
            period_end: Some(s.period.end),
            budgets: budgets_out,
        },
    }
}
