//! The enforcement API over real HTTP: after the daemon's collection and
//! budget evaluation, `/api/v1/decision` answers allow / warn / deny with the
//! deciding budget, and `/api/v1/budgets` lists every budget's status.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use bedrock_cost_monitor::clock::ManualClock;
use bedrock_cost_monitor::telemetry::probe::request;
use chrono::{Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::helpers::daemon::{DaemonOptions, TestConfig, TestDaemon};
use crate::helpers::emulator;
use crate::helpers::workload::{publish_all, seeded_series, workload, Truth, HAIKU_3, SONNET_US};

/// Spend per resolved model of the seeded workload.
fn spend_by_model(truth: &Truth) -> BTreeMap<String, Decimal> {
    let mut out = BTreeMap::new();
    for t in truth.cost_totals() {
        if let Some(m) = t.model {
            *out.entry(m).or_default() += t.usd;
        }
    }
    out
}

async fn get(base: &str, path: &str) -> Value {
    let answer = request("GET", &format!("{base}{path}"), &[], &[], StdDuration::from_secs(5)).await.unwrap();
    assert_eq!(answer.status, 200, "{path}: {}", answer.body_text());
    serde_json::from_slice(&answer.body).unwrap()
}

#[tokio::test]
async fn decisions_allow_warn_and_deny_with_the_deciding_budget() {
    let emu = emulator::exclusive().await;
    let end = Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap();
    let data = workload(&seeded_series(), end - Duration::hours(2), end);
    publish_all(&emu, &data).await;
    let by_model = spend_by_model(&Truth::of(&data));
    // Sonnet at ~85 % of its budget (warn), Claude 3 Haiku at 200 % (deny), the rest far below.
    let sonnet_limit = (by_model["claude-sonnet-4-5"] / Decimal::new(85, 2)).round_dp(2);
    let haiku_limit = (by_model["claude-3-haiku"] / Decimal::from(2)).round_dp(4);
    let budgets = format!(
        "[[budgets]]\nname = \"sonnet-daily\"\nperiod = \"day\"\nlimit_usd = \"{sonnet_limit}\"\nmodels = [\"claude-sonnet-4-5\"]\n\
         [[budgets]]\nname = \"haiku-daily\"\nperiod = \"day\"\nlimit_usd = \"{haiku_limit}\"\nmodels = [\"claude-3-haiku\"]\n\
         [[budgets]]\nname = \"all-monthly\"\nperiod = \"month\"\nlimit_usd = \"100000\"\nforecast_alert = false\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let loaded = TestConfig::driven(dir.path(), emu.endpoint_url()).extra(&budgets).load();
    let clock = Arc::new(ManualClock::new(end + Duration::seconds(30)));
    let daemon = TestDaemon::spawn(&emu, DaemonOptions::new(loaded, clock).http()).await;
    daemon.collect_usage().await.unwrap();
    let base = daemon.api_base().to_string();

    let principal = "arn:aws:iam::111122223333:role/dashboard-server-task";
    let sonnet = get(&base, &format!("/api/v1/decision?principal={principal}&model={SONNET_US}")).await;
    assert_eq!(
        (sonnet["decision"].clone(), sonnet["budget"].clone()),
        (json!("warn"), json!("sonnet-daily")),
        "{sonnet}"
    );
    assert_eq!(sonnet["model"], json!("claude-sonnet-4-5"), "any ID form resolves to its model");
    let haiku = get(&base, &format!("/api/v1/decision?principal={principal}&model={HAIKU_3}")).await;
    assert_eq!(
        (haiku["decision"].clone(), haiku["budget"].clone()),
        (json!("deny"), json!("haiku-daily")),
        "{haiku}"
    );
    assert!(haiku["reason"].as_str().unwrap().contains("exceeded"), "{haiku}");
    let opus = get(&base, "/api/v1/decision?model=global.anthropic.claude-opus-4-5-20251101-v1:0").await;
    assert_eq!(
        (opus["decision"].clone(), opus["budget"].clone()),
        (json!("allow"), json!("all-monthly")),
        "{opus}"
    );
    let by_key = get(&base, "/api/v1/decision?model=claude-3-haiku").await;
    assert_eq!(by_key["decision"], json!("deny"), "a model key works as well as an ID");

    let all = get(&base, "/api/v1/budgets").await;
    let names: Vec<&str> =
        all["budgets"].as_array().unwrap().iter().map(|b| b["budget"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["all-monthly", "haiku-daily", "sonnet-daily"]);
    let haiku_status = &all["budgets"][1];
    assert_eq!(haiku_status["state"], json!("exceeded"));
    let money = |v: &Value| v.as_str().unwrap().parse::<Decimal>().unwrap();
    assert_eq!(money(&haiku_status["spend_usd"]), by_model["claude-3-haiku"], "exact, as a decimal string");
    assert_eq!(money(&haiku_status["limit_usd"]), haiku_limit);
    assert_eq!(haiku_status["period"]["start"], json!("2026-11-24T00:00:00Z"));
    assert!(all["evaluated_at"].is_string());
    daemon.shutdown().await;
}
