//! Budgets on the callers' `requestMetadata` (from the invocation logs):
//! one status per user with its own limit, a tenant filter, the logs'
//! watermark as data-through, and the decision API answering per user.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::decision::{decide, Request, Verdict};
use super::*;
use crate::config::{BudgetConfig, Period};
use crate::records::{RequestSum, RequestTokens};

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z").unwrap().with_timezone(&Utc)
}

fn budget(name: &str, limit: &str) -> BudgetConfig {
    super::tests::budget(name, Period::Day, limit)
}

/// A logged request sum of `user` (and tenant) priced at `usd`; `None` = unpriced.
fn sum(user: Option<&str>, tenant: &str, usd: Option<&str>) -> RequestSum {
    let mut dimensions = BTreeMap::from([("tenant".to_string(), tenant.to_string())]);
    if let Some(u) = user {
        dimensions.insert("user_id".into(), u.into());
    }
    RequestSum {
        minute: now(),
        region: "us-east-1".into(),
        model_id: "global.anthropic.claude-sonnet-4-5-20250929-v1:0".into(),
        model: usd.map(|_| "claude-sonnet-4-5".to_string()),
        principal: "arn:aws:iam::111122223333:role/app".into(),
        dimensions,
        requests: 1,
        tokens: RequestTokens { input: 1_000, ..RequestTokens::default() },
        usd: usd.map_or(Decimal::ZERO, d),
        long_context: 0,
        ttl_assumed: 0,
    }
}

fn evaluate_on(budgets: &[BudgetConfig], sums: Vec<RequestSum>) -> Vec<BudgetStatus> {
    let plans: Vec<Plan<'_>> = budgets.iter().map(|b| Plan::new(b, chrono_tz::UTC, now(), now())).collect();
    let n = needs(&plans, false);
    assert!(n.cost.is_empty() && n.principal.is_empty(), "metadata budgets read logged requests only");
    let mut spend = Spend::default();
    for w in n.requests {
        spend.requests.insert(w, sums.clone());
    }
    evaluate(&plans, &spend, now())
}

fn workload() -> Vec<RequestSum> {
    vec![
        sum(Some("u-1"), "acme", Some("4")),
        sum(Some("u-1"), "acme", Some("1.5")),
        sum(Some("u-2"), "acme", Some("1")),
        sum(Some("u-3"), "globex", Some("2")),
        sum(None, "acme", Some("100")),
        sum(Some("u-2"), "acme", None),
    ]
}

#[test]
fn each_user_has_its_own_limit() {
    let mut b = budget("per-user", "5");
    b.per_metadata = Some("user_id".into());
    let out = evaluate_on(&[b], workload());
    // (user, spend, state): requests without a user_id belong to no user.
    // Every window holds the same sums here, so the 6-hour lookback runs at
    // the whole day's pace: u-3's $2 projects to $6.67 by midnight (warning).
    let got: Vec<_> = out
        .iter()
        .map(|s| (s.metadata.as_ref().unwrap().value.as_str(), s.spend_usd, s.state, s.subject().unwrap()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("u-1", d("5.5"), BudgetState::Exceeded, "user_id=u-1".to_string()),
            ("u-2", d("1"), BudgetState::Ok, "user_id=u-2".to_string()),
            ("u-3", d("2"), BudgetState::Warning, "user_id=u-3".to_string()),
        ]
    );
    assert_eq!(out[0].top_models[0].usd, d("5.5"), "the user's own models");
}

#[test]
fn a_tenant_filter_sums_its_requests_and_counts_unpriced_tokens() {
    let mut b = budget("acme", "1000");
    b.metadata = BTreeMap::from([("tenant".to_string(), "acme".to_string())]);
    let out = evaluate_on(&[b], workload());
    assert_eq!((out.len(), out[0].spend_usd, out[0].unpriced_tokens), (1, d("106.5"), 1_000));
    assert!(out[0].metadata.is_none() && out[0].subject().is_none());
}

#[test]
fn decisions_answer_per_user() {
    let mut per_user = budget("per-user", "5");
    per_user.per_metadata = Some("user_id".into());
    let mut acme = budget("acme", "1000");
    acme.metadata = BTreeMap::from([("tenant".to_string(), "acme*".to_string())]);
    let configs = vec![per_user.clone(), acme.clone()];
    let statuses = evaluate_on(&configs, workload());
    let ask = |meta: &[(&str, &str)]| {
        decide(
            &configs,
            &statuses,
            &Request { metadata: meta, ..Request::default() },
            now(),
            &super::tests::fresh(),
        )
    };
    // (metadata of the call, verdict, deciding budget, its user)
    type Case<'a> = (&'a [(&'a str, &'a str)], Verdict, Option<&'a str>, Option<&'a str>);
    let cases: [Case<'_>; 5] = [
        (&[("user_id", "u-1"), ("tenant", "acme")], Verdict::Deny, Some("per-user"), Some("u-1")),
        (&[("user_id", "u-2"), ("tenant", "acme")], Verdict::Allow, Some("per-user"), Some("u-2")),
        // A user with no spend yet has nothing to be denied for; the tenant budget still applies.
        (&[("user_id", "u-9"), ("tenant", "acme")], Verdict::Allow, Some("acme"), None),
        // Without a user_id the per-user budget cannot speak; the tenant one can.
        (&[("tenant", "acme")], Verdict::Allow, Some("acme"), None),
        // Another tenant, another user: only their per-user status.
        (&[("user_id", "u-3"), ("tenant", "globex")], Verdict::Warn, Some("per-user"), Some("u-3")),
    ];
    for (meta, verdict, budget, user) in cases {
        let r = ask(meta);
        let got_user = r.metadata.as_ref().map(|m| m.value.as_str());
        assert_eq!((r.decision, r.budget.as_deref(), got_user), (verdict, budget, user), "{meta:?}");
    }
}
