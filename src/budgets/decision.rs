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
//!
//! What it cannot vouch for is said, and decided by the policy: a model that
//! resolves to no price-table key (`unknown_model`: no budget can count its
//! cost) and a stale status (`staleness`: `on_stale` allows or denies in its
//! place). Pure: the caller passes `now`.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::scope::Scope;
use super::staleness::{staleness, Policy, Staleness};
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

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Warn => "warn",
            Verdict::Deny => "deny",
        }
    }
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
    /// The 12-digit account the call is made in (budgets with `accounts`).
    pub account: Option<&'a str>,
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
    /// Set when a status that took part is stale: which, why, and the
    /// verdict `on_stale` gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale: Option<String>,
    /// Set when the model resolves to no price-table key: the ID asked about
    /// (the verdict is then `unknown_model`'s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unknown_model: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Applied {
    pub budget: String,
    pub decision: Verdict,
    /// `None` for a budget with no status yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utilization: Option<Decimal>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stale: bool,
}

fn applies(b: &BudgetConfig, r: &Request<'_>) -> bool {
    let scope = Scope::of(b);
    let model_ok = r.model_id.is_none_or(|id| scope.matches_model(id, r.model));
    let region_ok = r.region.is_none_or(|reg| scope.matches_region(reg));
    let account_ok = r.account.is_none_or(|a| scope.matches_account(a));
    let project_ok = r.project.is_none_or(|p| scope.matches_project(p));
    let principal_ok = match r.principal {
        Some(p) => scope.matches_principal(p),
        None => !b.per_principal,
    };
    let metadata_ok =
        b.metadata.iter().all(|(k, pattern)| r.metadata_value(k).is_none_or(|v| glob_match(pattern, v)));
    let per_metadata_ok = b.per_metadata.as_deref().is_none_or(|k| r.metadata_value(k).is_some());
    model_ok && region_ok && account_ok && project_ok && principal_ok && metadata_ok && per_metadata_ok
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

/// One applicable budget as judged: its status (if any), verdict, staleness.
struct Judged<'a> {
    budget: &'a str,
    status: Option<&'a BudgetStatus>,
    verdict: Verdict,
    stale: Option<Staleness>,
}

impl Judged<'_> {
    fn utilization(&self) -> Option<Decimal> {
        self.status.map(|s| s.utilization)
    }
}

/// The applicable budgets, each judged; a stale one takes `on_stale`'s verdict.
fn judge<'a>(
    budgets: &'a [BudgetConfig],
    statuses: &'a [BudgetStatus],
    r: &Request<'_>,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Vec<Judged<'a>> {
    let mut out = Vec::new();
    for b in budgets.iter().filter(|b| applies(b, r)) {
        let status = status_for(b, statuses, r);
        let stale = match status {
            Some(s) => staleness(s, now, policy.stale_after),
            // Budgets per principal or per value only have statuses for spenders.
            None if !b.per_principal && b.per_metadata.is_none() => Some(Staleness::NeverEvaluated),
            None => continue,
        };
        let verdict = match (&stale, status) {
            (Some(_), _) | (None, None) => policy.on_stale.verdict(),
            (None, Some(s)) => verdict(s),
        };
        out.push(Judged { budget: &b.name, status, verdict, stale });
    }
    out
}

pub fn decide(
    budgets: &[BudgetConfig],
    statuses: &[BudgetStatus],
    r: &Request<'_>,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Decision {
    if let (Some(id), None) = (r.model_id, r.model) {
        return unknown_model(id, policy);
    }
    let judged = judge(budgets, statuses, r, now, policy);
    let worst =
        judged.iter().max_by(|a, b| a.verdict.cmp(&b.verdict).then(a.utilization().cmp(&b.utilization())));
    let budgets_out = judged
        .iter()
        .map(|j| Applied {
            budget: j.budget.to_string(),
            decision: j.verdict,
            utilization: j.utilization(),
            stale: j.stale.is_some(),
        })
        .collect();
    let stale = judged.iter().find_map(|j| j.stale.as_ref().map(|why| stale_note(j.budget, why, policy)));
    let mut decision = match worst {
        None => nothing_applies(),
        Some(j) => of_judged(j, policy),
    };
    decision.budgets = budgets_out;
    decision.stale = stale;
    decision
}

fn stale_note(budget: &str, why: &Staleness, policy: &Policy) -> String {
    format!(
        "budget `{budget}` is stale ({why}): api.on_stale = \"{}\" counts it as {}",
        policy.on_stale.as_str(),
        policy.on_stale.verdict().as_str()
    )
}

fn unknown_model(id: &str, policy: &Policy) -> Decision {
    let setting = policy.unknown_model.as_str();
    Decision {
        decision: policy.unknown_model.verdict(),
        unknown_model: Some(id.to_string()),
        reason: format!(
            "model `{id}` resolves to no price-table entry, so no budget can count its cost \
             (api.unknown_model = \"{setting}\")"
        ),
        ..nothing_applies()
    }
}

fn nothing_applies() -> Decision {
    Decision {
        decision: Verdict::Allow,
        budget: None,
        principal: None,
        metadata: None,
        reason: "no evaluated budget covers this request".into(),
        utilization: None,
        spend_usd: None,
        limit_usd: None,
        period_end: None,
        budgets: Vec::new(),
        stale: None,
        unknown_model: None,
    }
}

fn of_judged(j: &Judged<'_>, policy: &Policy) -> Decision {
    let Some(s) = j.status else {
        let reason = format!(
            "budget `{}` has no status yet: api.on_stale = \"{}\"",
            j.budget,
            policy.on_stale.as_str()
        );
        return Decision {
            decision: j.verdict,
            budget: Some(j.budget.to_string()),
            reason,
            ..nothing_applies()
        };
    };
    let mut reason = format!(
        "budget `{}` is {} at {}% of {} USD for the {} ending {}",
        s.budget,
        s.state.as_str(),
        (s.utilization * Decimal::from(100)).round_dp(2).normalize(),
        s.limit_usd,
        s.period.kind,
        s.period.end.to_rfc3339()
    );
    if let Some(why) = &j.stale {
        reason = format!("{reason}, but stale: {why} (api.on_stale = \"{}\")", policy.on_stale.as_str());
    }
    Decision {
        decision: j.verdict,
        budget: Some(s.budget.clone()),
        principal: s.principal.clone(),
        metadata: s.metadata.clone(),
        reason,
        utilization: Some(s.utilization),
        spend_usd: Some(s.spend_usd),
        limit_usd: Some(s.limit_usd),
        period_end: Some(s.period.end),
        budgets: Vec::new(),
        stale: None,
        unknown_model: None,
    }
}
