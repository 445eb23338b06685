//! CloudTrail through the whole daemon: the CloudWatch and CloudTrail jobs
//! run against the emulator, cost is split per principal, and what users see
//! is checked against the seeded truth: exact per-principal invocations,
//! money conserved to the last digit, a minute without CloudTrail data
//! unattributed (never dropped), re-reads that change nothing, a malformed
//! record skipped and counted, an AccessDenied burst alerted once, principal
//! metrics, and per-principal budgets.

use std::collections::BTreeMap;
use std::sync::Arc;

use bedrock_cost_monitor::clock::ManualClock;
use bedrock_cost_monitor::ledger::Backend;
use bedrock_cost_monitor::records::{Attribution, LinePricing, Source, UNATTRIBUTED_PRINCIPAL};
use bedrock_cost_monitor::sim::trail::{error_burst, split_calls, trail_records, SimPrincipal};
use bedrock_cost_monitor::sim::{invocations, SimSeries};
use chrono::{DateTime, Duration, TimeZone, Utc};
use prometheus::TextEncoder;
use rust_decimal::Decimal;
use serde_json::json;

use crate::helpers::daemon::{DaemonOptions, TestConfig, TestDaemon};
use crate::helpers::emulator;
use crate::helpers::workload::{publish_all, workload, EAST, HAIKU_3, HAIKU_45_US, SONNET_US, WEST};

fn t(m: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 9, 30, 0).unwrap() + Duration::minutes(m)
}

/// Light traffic (so the paced LookupEvents reads it in seconds), three
/// models in two regions.
fn series() -> Vec<SimSeries> {
    let s = |region: &str, model_id: &str, peak, throttle| SimSeries {
        region: region.into(),
        model_id: model_id.into(),
        peak_invocations: peak,
        input_per_call: 2_000,
        output_per_call: 500,
        cache_read_per_call: 3_000,
        cache_write_per_call: 300,
        throttle_every: throttle,
    };
    vec![s(EAST, SONNET_US, 3, 7), s(EAST, HAIKU_3, 2, 0), s(WEST, HAIKU_45_US, 2, 0)]
}

fn principals() -> Vec<SimPrincipal> {
    vec![SimPrincipal::role("app", 6), SimPrincipal::role("reports", 3), SimPrincipal::user("alice", 1)]
}

const MINUTES: i64 = 30;
/// The minute whose CloudTrail records never arrive.
const DARK: i64 = 17;

/// Seeds CloudWatch and CloudTrail: every call recorded but the dark
/// minute's, an AccessDenied burst by an intern's role, one unreadable record.
async fn seed(emu: &bedrock_cost_monitor::emulator::Emulator) {
    publish_all(emu, &workload(&series(), t(0), t(MINUTES))).await;
    let mut records = Vec::new();
    for s in series() {
        records.extend(trail_records(&s, &principals(), t(0), t(DARK)));
        records.extend(trail_records(&s, &principals(), t(DARK + 1), t(MINUTES)));
    }
    records.extend(error_burst(&series()[0], &intern(), t(25), 12, "AccessDeniedException"));
    let mut garbage = records[0].clone();
    garbage["eventID"] = json!("garbage-1");
    garbage["requestParameters"] = json!({"modelId": 42}); // unreadable: skipped and counted
    records.push(garbage);
    emu.seed_cloudtrail(&records).await.unwrap();
}

fn intern() -> SimPrincipal {
    SimPrincipal::role("intern-sandbox", 1)
}

async fn start(emu: &bedrock_cost_monitor::emulator::Emulator, dir: &std::path::Path) -> TestDaemon {
    let budgets = "[[budgets]]\nname = \"per-principal\"\nperiod = \"day\"\nlimit_usd = \"1000\"\nper_principal = true\n\
                   [[budgets]]\nname = \"app-only\"\nperiod = \"day\"\nlimit_usd = \"1000\"\nprincipals = [\"arn:aws:iam::*:role/app\"]\n";
    let config = TestConfig::driven(dir, emu.endpoint_url())
        // CloudTrail on, reading back one hour on first start.
        .cloudtrail("enabled = true\nbackfill_hours = 1\n")
        .extra(budgets);
    let clock = Arc::new(ManualClock::new(now()));
    TestDaemon::spawn(emu, DaemonOptions::new(config.load(), clock)).await
}

fn now() -> DateTime<Utc> {
    t(MINUTES) + Duration::seconds(30)
}

/// Invocations per principal: exactly what was seeded (sessions fold into roles).
async fn assert_invocations(store: &dyn Backend) {
    let mut want: BTreeMap<(String, String), u64> = BTreeMap::new();
    for s in series() {
        for m in (0..MINUTES).filter(|m| *m != DARK) {
            for (p, n) in principals().iter().zip(split_calls(invocations(&s, t(m)), &principals(), t(m))) {
                *want.entry((s.model_id.clone(), p.arn())).or_default() += n;
            }
        }
    }
    want.retain(|_, n| *n > 0);
    let got: BTreeMap<(String, String), u64> = store
        .call_totals()
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.error_code.is_none())
        .map(|c| ((c.model_id, c.principal), c.calls))
        .collect();
    assert_eq!(got, want);
}

/// The shares add up to the priced cost to the last digit; the dark
/// minute's cost is unattributed, exactly; denied calls get nothing.
async fn assert_money_is_conserved(store: &dyn Backend) {
    let priced: Decimal =
        store.cost_totals().await.unwrap().iter().filter(|c| c.model.is_some()).map(|c| c.usd).sum();
    let shares = store.principal_totals().await.unwrap();
    assert_eq!(shares.iter().map(|s| s.usd).sum::<Decimal>(), priced);
    let dark: Decimal = store
        .cost_lines(t(DARK), t(DARK + 1))
        .await
        .unwrap()
        .iter()
        .filter_map(|l| match &l.pricing {
            LinePricing::Priced { usd, .. } => Some(*usd),
            LinePricing::Unpriced { .. } => None,
        })
        .sum();
    let unattributed: Decimal =
        shares.iter().filter(|s| s.attribution == Attribution::Unattributed).map(|s| s.usd).sum();
    assert!(dark > Decimal::ZERO);
    assert_eq!(unattributed, dark);
    assert!(shares.iter().all(|s| s.principal != intern().arn()), "denied calls get no cost");
    assert!(shares.iter().any(|s| s.principal == UNATTRIBUTED_PRINCIPAL));
}

/// One alert for the episode, with who caused it, in the burst's region only.
async fn assert_access_denied_alerted_once(store: &dyn Backend) {
    let since = now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let alert = store.alert(&format!("bedrock.access_denied:{EAST}:{since}")).await.unwrap();
    let alert = alert.expect("access-denied alert claimed");
    assert!(!alert.is_pending(), "published (to the log: no topic configured)");
    let body: serde_json::Value = serde_json::from_str(&alert.body).unwrap();
    assert_eq!(
        (body["errors"].clone(), body["top_principals"][0]["principal"].clone()),
        (json!(12), json!(intern().arn()))
    );
    assert!(store.alert(&format!("bedrock.access_denied:{WEST}:{since}")).await.unwrap().is_none());
}

#[tokio::test]
async fn cost_is_split_per_principal_exactly_and_errors_alert_once() {
    let emu = emulator::exclusive().await;
    seed(&emu).await;
    let dir = tempfile::tempdir().unwrap();
    let daemon = start(&emu, dir.path()).await;
    daemon.collect_usage().await.unwrap();
    daemon.collect_trail().await.unwrap();
    let store = daemon.parts().store.clone();
    assert_invocations(store.as_ref()).await;
    assert_money_is_conserved(store.as_ref()).await;

    // A second pass over the same windows changes nothing.
    let before = (store.call_totals().await.unwrap(), store.principal_totals().await.unwrap());
    daemon.collect_trail().await.unwrap();
    daemon.collect_usage().await.unwrap();
    assert_eq!((store.call_totals().await.unwrap(), store.principal_totals().await.unwrap()), before);
    assert_access_denied_alerted_once(store.as_ref()).await;

    // What /metrics shows.
    let text = TextEncoder::new().encode_to_string(&daemon.parts().registry.gather()).unwrap();
    let app = SimPrincipal::role("app", 1).arn();
    assert!(
        text.lines().any(|l| l.starts_with("bedrock_principal_invocations_total") && l.contains(&app)),
        "{text}"
    );
    assert!(text
        .lines()
        .any(|l| l.starts_with("bedrock_principal_errors_total") && l.contains("AccessDeniedException")));
    assert!(text.lines().any(
        |l| l.starts_with("bedrock_principal_cost_usd_total") && l.contains("attribution=\"estimated\"")
    ));
    assert!(
        text.contains(
            "bedrock_monitor_cloudtrail_events_total{account=\"123456789012\",outcome=\"malformed\",region=\"us-east-1\"} 1"
        ),
        "{text}"
    );

    // Budgets: one status per principal, and the role-filtered one is the app's share.
    let statuses = daemon.parts().board.read().statuses.clone();
    let mut per: Vec<_> = statuses
        .iter()
        .filter(|s| s.budget == "per-principal")
        .map(|s| s.principal.clone().unwrap())
        .collect();
    per.sort();
    let mut everyone: Vec<String> = principals().iter().map(SimPrincipal::arn).collect();
    everyone.sort();
    assert_eq!(per, everyone, "one status per principal that spent");
    let shares = store.principal_totals().await.unwrap();
    let app_share: Decimal = shares.iter().filter(|s| s.principal == app).map(|s| s.usd).sum();
    let app_only = statuses.iter().find(|s| s.budget == "app-only").unwrap();
    assert_eq!(app_only.spend_usd, app_share);
    assert!(store.watermark(Source::CloudTrail, EAST).await.unwrap().is_some());
}
