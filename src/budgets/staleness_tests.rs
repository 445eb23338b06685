//! Table-driven tests of what the decision cannot vouch for: stale statuses
//! (an ended period, an old evaluation, none yet) under each `on_stale`, and
//! models that resolve to no price-table key under each `unknown_model`.

use chrono::{DateTime, TimeDelta, Utc};

use super::decision::{decide, Request, Verdict};
use super::staleness::{staleness, Policy, Staleness};
use super::tests::{budget, cost, eval, principal_eval, share, ALICE, SONNET};
use crate::config::http::{OnStale, UnknownModel};
use crate::config::{BudgetConfig, Period};
use crate::records::Attribution;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn policy(on_stale: OnStale, unknown_model: UnknownModel) -> Policy {
    Policy { unknown_model, on_stale, stale_after: TimeDelta::minutes(45) }
}

/// A daily budget of 100 USD evaluated at 10:00 with `usd` spent.
fn daily(usd: &str) -> (BudgetConfig, crate::budgets::BudgetStatus) {
    let b = budget("daily", Period::Day, "100");
    let s = eval(
        &b,
        "2026-03-01T10:00:00Z",
        vec![cost("us-east-1", SONNET, Some("claude-sonnet-4-5"), usd)],
        vec![],
    );
    (b, s)
}

#[test]
fn a_status_is_stale_once_its_period_ends_or_it_is_too_old() {
    let (_, s) = daily("10");
    let limit = TimeDelta::minutes(45);
    // (now, staleness)
    let cases = [
        ("2026-03-01T10:00:00Z", None),
        ("2026-03-01T10:45:00Z", None),
        ("2026-03-01T10:45:01Z", Some(Staleness::TooOld { age: TimeDelta::seconds(2701), limit })),
        // Yesterday's spend says nothing about today's, however recent.
        ("2026-03-02T00:00:00Z", Some(Staleness::EarlierPeriod { ended: at("2026-03-02T00:00:00Z") })),
        ("2026-03-05T08:00:00Z", Some(Staleness::EarlierPeriod { ended: at("2026-03-02T00:00:00Z") })),
    ];
    for (now, want) in cases {
        assert_eq!(staleness(&s, at(now), limit), want, "{now}");
    }
}

#[test]
fn a_stale_status_is_decided_by_on_stale_and_said_so() {
    let open = policy(OnStale::FailOpen, UnknownModel::Deny);
    let closed = policy(OnStale::FailClosed, UnknownModel::Deny);
    let fresh_now = "2026-03-01T10:05:00Z";
    let old_now = "2026-03-01T11:00:00Z";
    let next_day = "2026-03-02T00:01:00Z";
    // (spend, now, policy, verdict, stale note contains)
    let cases = [
        ("10", fresh_now, open, Verdict::Allow, None),
        ("150", fresh_now, open, Verdict::Deny, None),
        ("150", fresh_now, closed, Verdict::Deny, None),
        ("10", old_now, open, Verdict::Allow, Some("evaluated 3600 s ago")),
        ("10", old_now, closed, Verdict::Deny, Some("evaluated 3600 s ago")),
        // Failing open also lifts a stale deny: the status cannot be trusted either way.
        ("150", old_now, open, Verdict::Allow, Some("counts it as allow")),
        ("150", next_day, open, Verdict::Allow, Some("period that ended 2026-03-02T00:00:00+00:00")),
        ("10", next_day, closed, Verdict::Deny, Some("counts it as deny")),
    ];
    for (usd, now, policy, verdict, note) in cases {
        let (b, s) = daily(usd);
        let r = decide(&[b], &[s], &Request::default(), at(now), &policy);
        let case = format!("{usd} USD at {now}, {:?}", policy.on_stale);
        assert_eq!(r.decision, verdict, "{case}: {r:?}");
        assert_eq!(r.budget.as_deref(), Some("daily"), "{case}");
        match note {
            None => assert_eq!((r.stale, r.budgets[0].stale), (None, false), "{case}"),
            Some(text) => {
                assert!(r.stale.as_deref().is_some_and(|s| s.contains(text)), "{case}: {:?}", r.stale);
                assert!(r.budgets[0].stale && r.reason.contains("but stale"), "{case}: {r:?}");
            }
        }
    }
}

#[test]
fn before_any_evaluation_on_stale_decides_except_for_per_principal_budgets() {
    let whole = budget("daily", Period::Day, "100");
    let mut per_principal = budget("per-user", Period::Day, "5");
    per_principal.per_principal = true;
    let now = at("2026-03-01T10:00:00Z");
    // (budgets, policy, verdict, deciding budget, stale)
    let cases = [
        (vec![whole.clone()], OnStale::FailOpen, Verdict::Allow, Some("daily"), true),
        (vec![whole.clone()], OnStale::FailClosed, Verdict::Deny, Some("daily"), true),
        // A principal without a status has spent nothing: not stale, nothing to deny.
        (vec![per_principal.clone()], OnStale::FailClosed, Verdict::Allow, None, false),
        (vec![], OnStale::FailClosed, Verdict::Allow, None, false),
    ];
    for (budgets, on_stale, verdict, deciding, stale) in cases {
        let ask = Request { principal: Some(ALICE), ..Request::default() };
        let r = decide(&budgets, &[], &ask, now, &policy(on_stale, UnknownModel::Deny));
        let case = format!("{:?} {on_stale:?}", budgets.iter().map(|b| &b.name).collect::<Vec<_>>());
        assert_eq!(
            (r.decision, r.budget.as_deref(), r.stale.is_some()),
            (verdict, deciding, stale),
            "{case}"
        );
        if stale {
            assert!(r.reason.contains("has no status yet"), "{case}: {}", r.reason);
        }
    }
    // Once the principal has spent, the per-principal status decides as usual.
    let statuses = principal_eval(&per_principal, vec![share(ALICE, Attribution::Exact, "6")]);
    let ask = Request { principal: Some(ALICE), ..Request::default() };
    let r = decide(&[per_principal], &statuses, &ask, now, &policy(OnStale::FailOpen, UnknownModel::Deny));
    assert_eq!((r.decision, r.stale), (Verdict::Deny, None));
}

#[test]
fn an_unknown_model_is_answered_by_unknown_model_whatever_the_budgets_say() {
    let (b, s) = daily("10");
    let now = at("2026-03-01T10:05:00Z");
    let unknown = Request { model_id: Some("acme.mystery-model-v1"), model: None, ..Request::default() };
    let known = Request { model_id: Some(SONNET), model: Some("claude-sonnet-4-5"), ..Request::default() };
    // (request, unknown_model, verdict, unknown_model field)
    let cases = [
        (unknown, UnknownModel::Deny, Verdict::Deny, Some("acme.mystery-model-v1")),
        (unknown, UnknownModel::Allow, Verdict::Allow, Some("acme.mystery-model-v1")),
        (known, UnknownModel::Deny, Verdict::Allow, None),
        // No model asked: every budget's cautious reading, as before.
        (Request::default(), UnknownModel::Deny, Verdict::Allow, None),
    ];
    for (ask, setting, verdict, field) in cases {
        let r = decide(
            std::slice::from_ref(&b),
            std::slice::from_ref(&s),
            &ask,
            now,
            &policy(OnStale::FailOpen, setting),
        );
        assert_eq!((r.decision, r.unknown_model.as_deref()), (verdict, field), "{ask:?} {setting:?}");
        if field.is_some() {
            assert!(r.reason.contains("no price-table entry") && r.budget.is_none(), "{r:?}");
        }
    }
}

#[test]
fn a_budget_on_accounts_decides_only_calls_in_them() {
    let (mut b, s) = daily("150");
    b.accounts = vec!["111122223333".into()];
    let open = policy(OnStale::FailOpen, UnknownModel::Deny);
    let now = at("2026-03-01T10:05:00Z");
    // (account asked about, verdict, deciding budget)
    let cases = [
        (Some("111122223333"), Verdict::Deny, Some("daily")),
        (Some("444455556666"), Verdict::Allow, None),
        // An application that does not say where it calls is held to every budget.
        (None, Verdict::Deny, Some("daily")),
    ];
    for (account, verdict, budget) in cases {
        let ask = Request { account, ..Request::default() };
        let r = decide(std::slice::from_ref(&b), std::slice::from_ref(&s), &ask, now, &open);
        assert_eq!((r.decision, r.budget.as_deref()), (verdict, budget), "{account:?}");
    }
}
