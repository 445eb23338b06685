//! Table-driven tests of budget evaluation and decisions over hand-built
//! sums: periods in several timezones, thresholds, forecast, burn rate,
//! principal scopes and a budget with no spend.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::decision::{decide, Request, Verdict};
use super::*;
use crate::budgets::BudgetState;
use crate::config::budget::{BurnRateConfig, OnExceeded};
use crate::config::http::{OnStale, UnknownModel};
use crate::config::{AlertSeverity, BudgetConfig, Period, Timezone, Usd};
use crate::pricing::TokenType;
use crate::records::{Attribution, CostTotal, PrincipalTotal};

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// A policy under which the statuses these tests evaluate "now" are fresh.
pub(super) fn fresh() -> Policy {
    Policy {
        unknown_model: UnknownModel::Deny,
        on_stale: OnStale::FailOpen,
        stale_after: chrono::TimeDelta::hours(1),
    }
}

pub(super) fn budget(name: &str, period: Period, limit: &str) -> BudgetConfig {
    BudgetConfig {
        name: name.into(),
        period,
        limit_usd: Usd(d(limit)),
        thresholds_pct: vec![50, 80, 100],
        models: vec![],
        regions: vec![],
        accounts: vec![],
        primary_account: String::new(),
        principals: vec![],
        projects: vec![],
        per_principal: false,
        metadata: BTreeMap::new(),
        per_metadata: None,
        severity: AlertSeverity::Warning,
        timezone: None,
        forecast_alert: true,
        forecast_lookback_hours: 6,
        on_exceeded: OnExceeded::Deny,
        warn_at_pct: None,
        burn_rate: None,
    }
}

pub(super) fn cost(region: &str, model_id: &str, model: Option<&str>, usd: &str) -> CostTotal {
    CostTotal {
        region: region.into(),
        model_id: model_id.into(),
        model: model.map(Into::into),
        token_type: TokenType::Input,
        tokens: 1000,
        usd: d(usd),
    }
}

pub(super) fn share(principal: &str, attribution: Attribution, usd: &str) -> PrincipalTotal {
    PrincipalTotal {
        region: "us-east-1".into(),
        model_id: "us.anthropic.claude-sonnet-4-5-20250929-v1:0".into(),
        model: "claude-sonnet-4-5".into(),
        principal: principal.into(),
        attribution,
        usd: d(usd),
    }
}

pub(super) const SONNET: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
pub(super) const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const APP: &str = "arn:aws:iam::111122223333:role/app";

/// Evaluates one budget with `period_spend` in its period and `recent` in
/// every other window (lookback and burn windows).
pub(super) fn eval(
    b: &BudgetConfig,
    now: &str,
    period: Vec<CostTotal>,
    recent: Vec<CostTotal>,
) -> crate::budgets::BudgetStatus {
    let now = at(now);
    let plans = vec![Plan::new(b, chrono_tz::UTC, now, now)];
    let mut spend = Spend::default();
    for w in needs(&plans, false).cost {
        let rows = if w == plans[0].period { period.clone() } else { recent.clone() };
        spend.cost.insert(w, rows);
    }
    let mut out = evaluate(&plans, &spend, now);
    assert_eq!(out.len(), 1);
    out.remove(0)
}

#[test]
fn thresholds_state_and_remaining() {
    let b = budget("team", Period::Day, "200.00");
    // (period spend, thresholds reached, state, utilisation)
    let cases = [
        ("0", vec![], BudgetState::Ok, "0"),
        ("99.999999", vec![], BudgetState::Ok, "0.5"),
        ("100", vec![50], BudgetState::Ok, "0.5"),
        ("160", vec![50, 80], BudgetState::Warning, "0.8"),
        ("199.9999999999", vec![50, 80], BudgetState::Warning, "1"),
        ("200", vec![50, 80, 100], BudgetState::Exceeded, "1"),
        ("250.5", vec![50, 80, 100], BudgetState::Exceeded, "1.2525"),
    ];
    for (spend, crossed, state, util) in cases {
        let s = eval(
            &b,
            "2026-03-01T23:59:00Z",
            vec![cost("us-east-1", SONNET, Some("claude-sonnet-4-5"), spend)],
            vec![],
        );
        assert_eq!(
            (s.thresholds_crossed.clone(), s.state, s.utilization),
            (crossed, state, d(util)),
            "{spend}"
        );
        assert_eq!(s.spend_usd, d(spend), "spend is never rounded");
        assert_eq!(s.remaining_usd, d("200.00") - d(spend));
    }
}

#[test]
fn a_budget_with_no_spend_is_ok_with_zero_forecast() {
    let s = eval(&budget("idle", Period::Month, "1000"), "2026-02-28T12:00:00Z", vec![], vec![]);
    assert_eq!((s.spend_usd, s.forecast_usd, s.state), (Decimal::ZERO, Some(Decimal::ZERO), BudgetState::Ok));
    assert!(s.thresholds_crossed.is_empty() && s.top_models.is_empty());
    assert_eq!((s.period.start, s.period.end), (at("2026-02-01T00:00:00Z"), at("2026-03-01T00:00:00Z")));
}

#[test]
fn forecast_extrapolates_the_lookback_to_period_end() {
    // Day budget at 12:00 UTC: $30 in the last 6 h, 12 h left → +$60.
    let b = budget("team", Period::Day, "100");
    let s = eval(
        &b,
        "2026-03-01T12:00:00Z",
        vec![cost("us-east-1", SONNET, Some("claude-sonnet-4-5"), "30")],
        vec![cost("us-east-1", SONNET, Some("claude-sonnet-4-5"), "30")],
    );
    assert_eq!(s.forecast_usd, Some(d("90")));
    assert_eq!(s.state, BudgetState::Ok);
    let s = eval(
        &b,
        "2026-03-01T12:00:00Z",
        vec![cost("us-east-1", SONNET, Some("claude-sonnet-4-5"), "45")],
        vec![cost("us-east-1", SONNET, Some("claude-sonnet-4-5"), "30")],
    );
    assert_eq!(
        (s.forecast_usd, s.state),
        (Some(d("105")), BudgetState::Warning),
        "projected over the limit warns"
    );
}

#[test]
fn scope_filters_models_regions_and_counts_unpriced_tokens() {
    let mut b = budget("sonnet-east", Period::Day, "10");
    b.models = vec!["claude-sonnet-4-5".into()];
    b.regions = vec!["us-east-1".into()];
    let rows = vec![
        cost("us-east-1", SONNET, Some("claude-sonnet-4-5"), "1.5"),
        cost("us-east-1", "global.anthropic.claude-sonnet-4-5-20250929-v1:0", Some("claude-sonnet-4-5"), "2"),
        cost("us-west-2", SONNET, Some("claude-sonnet-4-5"), "100"),
        cost("us-east-1", "anthropic.claude-3-haiku-20240307-v1:0", Some("claude-3-haiku"), "100"),
        cost("us-east-1", "anthropic.claude-opus-9", None, "0"),
    ];
    let s = eval(&b, "2026-03-01T10:00:00Z", rows.clone(), vec![]);
    assert_eq!((s.spend_usd, s.unpriced_tokens), (d("3.5"), 0));
    let all = eval(&budget("all", Period::Day, "1000"), "2026-03-01T10:00:00Z", rows, vec![]);
    assert_eq!((all.spend_usd, all.unpriced_tokens), (d("203.5"), 1000));
    assert_eq!(
        all.top_models.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
        vec!["claude-sonnet-4-5", "claude-3-haiku"]
    );
}

#[test]
fn periods_follow_the_budget_timezone() {
    let mut b = budget("tokyo-day", Period::Day, "10");
    b.timezone = Some(Timezone(chrono_tz::Asia::Tokyo));
    let s = eval(&b, "2026-03-01T16:00:00Z", vec![], vec![]);
    assert_eq!((s.period.start, s.period.end), (at("2026-03-01T15:00:00Z"), at("2026-03-02T15:00:00Z")));
    assert_eq!(s.period.timezone, "Asia/Tokyo");
    b.timezone = None;
    b.period = Period::Week;
    let s = eval(&b, "2026-03-01T16:00:00Z", vec![], vec![]);
    assert_eq!((s.period.start, s.period.timezone.as_str()), (at("2026-02-23T00:00:00Z"), "UTC"));
}

#[test]
fn burn_rate_flags_a_runaway() {
    let mut b = budget("team", Period::Month, "10000");
    b.burn_rate = Some(BurnRateConfig {
        short_minutes: 15,
        long_hours: 24,
        factor: Usd(d("4")),
        min_usd_per_hour: Usd(d("1")),
    });
    let now = at("2026-03-10T12:00:00Z");
    let plans = vec![Plan::new(&b, chrono_tz::UTC, now, now)];
    let (short, base) = plans[0].burn.unwrap();
    let mut spend = Spend::default();
    for w in needs(&plans, false).cost {
        let usd = if w == short {
            "10"
        } else if w == base {
            "23"
        } else {
            "500"
        };
        spend.cost.insert(w, vec![cost("us-east-1", SONNET, Some("claude-sonnet-4-5"), usd)]);
    }
    let s = evaluate(&plans, &spend, now).remove(0);
    let burn = s.burn_rate.unwrap();
    assert_eq!(
        (burn.short_usd_per_hour, burn.long_usd_per_hour, burn.anomalous),
        (d("40"), d("0.968421"), true)
    );
}

pub(super) fn principal_eval(
    b: &BudgetConfig,
    shares: Vec<PrincipalTotal>,
) -> Vec<crate::budgets::BudgetStatus> {
    let now = at("2026-03-01T10:00:00Z");
    let plans = vec![Plan::new(b, chrono_tz::UTC, now, now)];
    let mut spend = Spend::default();
    let n = needs(&plans, true);
    assert!(n.cost.is_empty(), "principal budgets read shares only");
    for w in n.principal {
        spend.principal.insert(w, shares.clone());
    }
    evaluate(&plans, &spend, now)
}

#[test]
fn per_principal_budgets_give_one_status_each_and_skip_unattributed() {
    let mut b = budget("per-user", Period::Day, "5");
    b.per_principal = true;
    let shares = vec![
        share(ALICE, Attribution::Exact, "4"),
        share(ALICE, Attribution::Estimated, "1.25"),
        share(APP, Attribution::Estimated, "1"),
        share("unattributed", Attribution::Unattributed, "100"),
    ];
    let out = principal_eval(&b, shares.clone());
    let got: Vec<_> = out.iter().map(|s| (s.principal.as_deref().unwrap(), s.spend_usd, s.state)).collect();
    assert_eq!(got, vec![(APP, d("1"), BudgetState::Ok), (ALICE, d("5.25"), BudgetState::Exceeded)]);

    let mut roles = budget("roles", Period::Day, "100");
    roles.principals = vec!["arn:aws:iam::*:role/*".into()];
    let out = principal_eval(&roles, shares);
    assert_eq!((out.len(), out[0].spend_usd, out[0].principal.clone()), (1, d("1"), None));
}

#[test]
fn decisions_pick_the_worst_applicable_budget() {
    let mut daily = budget("team-daily", Period::Day, "100");
    daily.models = vec!["claude-sonnet-4-5".into()];
    let mut per_user = budget("per-user", Period::Day, "5");
    per_user.per_principal = true;
    let mut soft = budget("soft", Period::Month, "50");
    soft.on_exceeded = OnExceeded::Warn;
    let configs = vec![daily.clone(), per_user.clone(), soft.clone()];
    let now = "2026-03-01T10:00:00Z";
    let sonnet = |usd: &str| vec![cost("us-east-1", SONNET, Some("claude-sonnet-4-5"), usd)];
    let mut statuses = vec![eval(&daily, now, sonnet("85"), vec![]), eval(&soft, now, sonnet("10"), vec![])];
    statuses.extend(principal_eval(&per_user, vec![share(ALICE, Attribution::Exact, "6")]));

    let ask = |principal, model_id, model| {
        decide(
            &configs,
            &statuses,
            &Request { principal, model_id, model, ..Request::default() },
            at(now),
            &fresh(),
        )
    };
    // Sonnet at 85 % of the daily budget: warn. Alice is over her own limit: deny.
    let r = ask(Some(APP), Some(SONNET), Some("claude-sonnet-4-5"));
    assert_eq!((r.decision, r.budget.as_deref()), (Verdict::Warn, Some("team-daily")));
    let r = ask(Some(ALICE), Some(SONNET), Some("claude-sonnet-4-5"));
    assert_eq!(
        (r.decision, r.budget.as_deref(), r.principal.as_deref()),
        (Verdict::Deny, Some("per-user"), Some(ALICE))
    );
    // Haiku is outside the Sonnet budget and the soft budget is fine: allow.
    let r = ask(Some(APP), Some("anthropic.claude-3-haiku-20240307-v1:0"), Some("claude-3-haiku"));
    assert_eq!((r.decision, r.budget.as_deref()), (Verdict::Allow, Some("soft")));
    // A soft budget past its limit only warns.
    let over = vec![eval(&soft, now, sonnet("60"), vec![])];
    let r = decide(&configs, &over, &Request::default(), at(now), &fresh());
    assert_eq!((r.decision, r.budget.as_deref()), (Verdict::Warn, Some("soft")));
    // A budget scoped to one mantle project decides only for that project.
    let mut project = budget("team-project", Period::Day, "10");
    project.projects = vec!["proj_team1".into()];
    // Its evaluation counts the project's mantle usage only, not Sonnet's.
    let mantle =
        cost("us-east-1", "mantle/proj_team1/anthropic.claude-opus-4-7", Some("claude-opus-4-7"), "11");
    let project_status = vec![eval(&project, now, [sonnet("85"), vec![mantle]].concat(), vec![])];
    assert_eq!(project_status[0].spend_usd, d("11"));
    let configs_p = vec![project.clone()];
    let in_project = Request { project: Some("proj_team1"), ..Request::default() };
    let r = decide(&configs_p, &project_status, &in_project, at(now), &fresh());
    assert_eq!((r.decision, r.budget.as_deref()), (Verdict::Deny, Some("team-project")));
    let elsewhere = Request { project: Some("proj_other"), ..Request::default() };
    assert_eq!(decide(&configs_p, &project_status, &elsewhere, at(now), &fresh()).decision, Verdict::Allow);
    // Nothing evaluated yet: stale, decided by `on_stale` (fail open here), and said so.
    let r = decide(&configs, &[], &Request::default(), at(now), &fresh());
    assert_eq!(r.decision, Verdict::Allow);
    assert!(r.stale.as_deref().is_some_and(|s| s.contains("not been evaluated yet")), "{r:?}");
}

#[test]
fn data_through_is_the_oldest_watermark_never_past_now() {
    let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
    let now = t("2026-03-01T12:00:00Z");
    // (watermarks, through)
    let cases: [(Vec<Option<&str>>, &str); 4] = [
        (vec![], "2026-03-01T12:00:00Z"),
        (vec![None, Some("2026-03-01T11:50:00Z")], "2026-03-01T11:50:00Z"),
        (vec![Some("2026-03-01T11:40:00Z"), Some("2026-03-01T11:55:00Z")], "2026-03-01T11:40:00Z"),
        (vec![Some("2026-03-01T12:05:00Z")], "2026-03-01T12:00:00Z"),
    ];
    for (marks, through) in cases {
        let marks: Vec<_> = marks.iter().map(|m| m.map(t)).collect();
        assert_eq!(super::data_through(marks.clone(), now), t(through), "{marks:?}");
    }
}

#[test]
fn a_stalled_member_account_stops_holding_the_others_back() {
    let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
    let now = t("2026-03-01T12:00:00Z");
    let stalled = chrono::Duration::minutes(30);
    type Shards<'a> = Vec<(&'a str, Option<&'a str>)>;
    // (shards, through)
    let cases: [(Shards<'_>, &str); 4] = [
        // A member within the stall window still holds the others back...
        (vec![("us-east-1", Some("11:55")), ("111122223333/us-east-1", Some("11:40"))], "11:40"),
        // ...past it, it no longer does.
        (vec![("us-east-1", Some("11:55")), ("111122223333/us-east-1", Some("09:00"))], "11:55"),
        // The primary account's regions always count, stalled or not.
        (vec![("us-east-1", Some("09:00")), ("111122223333/us-east-1", Some("11:55"))], "09:00"),
        // A member that never collected does not either.
        (vec![("us-east-1", Some("11:55")), ("111122223333/us-east-1", None)], "11:55"),
    ];
    for (shards, through) in cases {
        let at = |hm: &str| t(&format!("2026-03-01T{hm}:00Z"));
        let marks: Vec<(&str, Option<DateTime<Utc>>)> = shards.iter().map(|(k, w)| (*k, w.map(at))).collect();
        assert_eq!(
            super::windows::data_through_shards(marks.clone(), now, stalled),
            at(through),
            "{marks:?}"
        );
    }
}
