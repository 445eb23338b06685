//! The decision API's answers to what it cannot vouch for, over real HTTP on
//! the API's own port: a query it cannot decode exactly is a 400 with the
//! reason; an unknown model is said and decided by `api.unknown_model`; a
//! status of an ended period is stale and decided by `api.on_stale`; and a
//! daemon started on a store that already holds statuses answers from them
//! on its first request, before any job has run.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use bedrock_cost_monitor::budgets::{BudgetState, BudgetStatus, PeriodInfo};
use bedrock_cost_monitor::clock::ManualClock;
use bedrock_cost_monitor::config::budget::OnExceeded;
use bedrock_cost_monitor::config::{AlertSeverity, Period};
use bedrock_cost_monitor::ledger::sqlite::SqliteStore;
use bedrock_cost_monitor::ledger::StatusStore;
use bedrock_cost_monitor::telemetry::probe::{request, HttpResponse};
use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::helpers::daemon::{DaemonOptions, TestConfig, TestDaemon};
use crate::helpers::emulator;

const BUDGET: &str = "[[budgets]]\nname = \"daily\"\nperiod = \"day\"\nlimit_usd = \"100\"\n";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 12, 10, 30, 0).unwrap()
}

/// `daily`'s status for the day starting `day`, with `usd` spent, evaluated at `at`.
fn status(day: DateTime<Utc>, usd: i64, at: DateTime<Utc>) -> BudgetStatus {
    let (spend, limit) = (Decimal::from(usd), Decimal::from(100));
    BudgetStatus {
        budget: "daily".into(),
        principal: None,
        metadata: None,
        period: PeriodInfo {
            kind: Period::Day,
            start: day,
            end: day + Duration::days(1),
            timezone: "UTC".into(),
        },
        spend_usd: spend,
        limit_usd: limit,
        remaining_usd: limit - spend,
        utilization: spend / limit,
        forecast_usd: None,
        state: if spend >= limit { BudgetState::Exceeded } else { BudgetState::Ok },
        on_exceeded: OnExceeded::Deny,
        severity: AlertSeverity::Warning,
        thresholds_crossed: vec![],
        burn_rate: None,
        top_models: vec![],
        top_principals: vec![],
        unpriced_tokens: 0,
        evaluated_at: at,
        data_through: Some(at),
    }
}

/// A driven daemon serving HTTP at `now()`, on a store already holding
/// `statuses`, with `[api]` keys `api`.
async fn start(
    emu: &emulator::EmulatorGuard,
    dir: &std::path::Path,
    api: &str,
    statuses: &[BudgetStatus],
) -> TestDaemon {
    let config = TestConfig::driven(dir, emu.endpoint_url()).api(api).extra(BUDGET);
    let loaded = config.load();
    if !statuses.is_empty() {
        let store = SqliteStore::open(&config.data_dir()).unwrap();
        let evaluated = statuses.iter().map(|s| s.evaluated_at).max().unwrap();
        store.put_budget_statuses(statuses, evaluated).await.unwrap();
    }
    let clock = Arc::new(ManualClock::new(now()));
    TestDaemon::spawn(emu, DaemonOptions::new(loaded, clock).http()).await
}

async fn ask(daemon: &TestDaemon, query: &str) -> (u16, Value) {
    let url = format!("{}/api/v1/decision?{query}", daemon.api_base());
    let HttpResponse { status, body, .. } =
        request("GET", &url, &[], &[], StdDuration::from_secs(5)).await.unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn malformed_queries_are_refused_with_the_reason() {
    let emu = emulator::exclusive().await;
    let dir = tempfile::tempdir().unwrap();
    let today = status(now() - Duration::hours(10) - Duration::minutes(30), 150, now());
    let daemon = start(&emu, dir.path(), "listen = \"127.0.0.1:0\"", &[today]).await;
    // (query, words of the reason)
    let cases = [
        ("model=%ZZ", "`%ZZ` in parameter 1 is not a percent-escape"),
        ("principal=a&model=claude%4", "`%4` in parameter 2"),
        ("model=%FF", "does not decode to UTF-8"),
        ("principal=arn%00x", "control character (U+0000)"),
        ("model=claude-3-haiku&model=claude-sonnet-4-5", "`model` is given more than once"),
    ];
    for (query, reason) in cases {
        let (status, body) = ask(&daemon, query).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"], json!("bad_request"), "{query}: {body}");
        assert!(body["reason"].as_str().unwrap().contains(reason), "{query}: {body}");
    }
    // The same parameters, well formed, are answered.
    let (status, body) = ask(&daemon, "model=claude-3-haiku&principal=arn%3Ax").await;
    assert_eq!((status, body["decision"].clone()), (200, json!("deny")), "{body}");
    daemon.shutdown().await;
}

#[tokio::test]
async fn an_unknown_model_is_said_and_decided_by_unknown_model() {
    let emu = emulator::exclusive().await;
    let today = status(now() - Duration::hours(10) - Duration::minutes(30), 10, now());
    for (setting, verdict) in [("deny", "deny"), ("allow", "allow")] {
        let dir = tempfile::tempdir().unwrap();
        let api = format!("listen = \"127.0.0.1:0\"\nunknown_model = \"{setting}\"");
        let daemon = start(&emu, dir.path(), &api, std::slice::from_ref(&today)).await;
        let (status, body) = ask(&daemon, "model=acme.mystery-model-v1:0").await;
        assert_eq!(status, 200);
        assert_eq!(body["decision"], json!(verdict), "{body}");
        assert_eq!(body["unknown_model"], json!("acme.mystery-model-v1:0"), "{body}");
        assert!(body["reason"].as_str().unwrap().contains("no price-table entry"), "{body}");
        // A known model's answer keeps its fields, and has none of the new ones.
        let (_, known) = ask(&daemon, "model=claude-3-haiku").await;
        assert_eq!((known["decision"].clone(), known["budget"].clone()), (json!("allow"), json!("daily")));
        assert!(known.get("unknown_model").is_none() && known.get("stale").is_none(), "{known}");
        for field in
            ["reason", "utilization", "spend_usd", "limit_usd", "period_end", "budgets", "evaluated_at"]
        {
            assert!(known.get(field).is_some(), "{field} missing: {known}");
        }
        daemon.shutdown().await;
    }
}

#[tokio::test]
async fn a_status_of_an_ended_period_is_stale_and_decided_by_on_stale() {
    let emu = emulator::exclusive().await;
    // Yesterday's budget was exceeded; nothing has been evaluated today.
    let yesterday = Utc.with_ymd_and_hms(2026, 5, 11, 0, 0, 0).unwrap();
    let last = status(yesterday, 150, yesterday + Duration::hours(23));
    for (on_stale, verdict) in [("fail_open", "allow"), ("fail_closed", "deny")] {
        let dir = tempfile::tempdir().unwrap();
        let api = format!("listen = \"127.0.0.1:0\"\non_stale = \"{on_stale}\"");
        let daemon = start(&emu, dir.path(), &api, std::slice::from_ref(&last)).await;
        let (status, body) = ask(&daemon, "model=claude-3-haiku").await;
        assert_eq!((status, body["decision"].clone()), (200, json!(verdict)), "{on_stale}: {body}");
        let stale = body["stale"].as_str().unwrap_or_default();
        assert!(stale.contains("period that ended 2026-05-12T00:00:00+00:00"), "{body}");
        assert!(stale.contains(on_stale), "{body}");
        assert_eq!(body["budgets"][0]["stale"], json!(true), "{body}");
        daemon.shutdown().await;
    }
}

#[tokio::test]
async fn a_daemon_answers_from_the_stored_statuses_on_its_first_request() {
    let emu = emulator::exclusive().await;
    let dir = tempfile::tempdir().unwrap();
    let today = now() - Duration::hours(10) - Duration::minutes(30);
    // Exceeded five minutes ago, by the replica that ran before this one.
    let stored = status(today, 150, now() - Duration::minutes(5));
    let daemon = start(&emu, dir.path(), "listen = \"127.0.0.1:0\"", &[stored]).await;
    // No job has run: the answer can only come from the store.
    let (status, body) = ask(&daemon, "model=claude-3-haiku").await;
    assert_eq!(status, 200);
    assert_eq!((body["decision"].clone(), body["budget"].clone()), (json!("deny"), json!("daily")), "{body}");
    assert!(body.get("stale").is_none(), "{body}");
    assert_eq!(body["evaluated_at"], json!("2026-05-12T10:25:00Z"));
    daemon.shutdown().await;

    // On an empty store nothing has been evaluated: labelled stale, on_stale decides.
    let dir = tempfile::tempdir().unwrap();
    let daemon = start(&emu, dir.path(), "listen = \"127.0.0.1:0\"\non_stale = \"fail_closed\"", &[]).await;
    let (_, body) = ask(&daemon, "model=claude-3-haiku").await;
    assert_eq!(body["decision"], json!("deny"), "{body}");
    assert!(body["stale"].as_str().unwrap().contains("not been evaluated yet"), "{body}");
    daemon.shutdown().await;
}
