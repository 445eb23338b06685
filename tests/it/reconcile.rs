//! The ledger against the bill, with Cost Explorer on the emulator: a day
//! that agrees, a day with a stale price, a model the ledger never saw and a
//! usage type nobody can place; paging; a day re-read until it stops
//! changing, then never asked for again; one alert per day; the report; and
//! an account without Cost Explorer access.

use std::sync::Arc;

use bedrock_cost_monitor::bedrock::BedrockMetric;
use bedrock_cost_monitor::cli::args::ReportFormat;
use bedrock_cost_monitor::cli::report_reconcile;
use bedrock_cost_monitor::clock::ManualClock;
use bedrock_cost_monitor::collector::bill_days;
use bedrock_cost_monitor::ledger::MinuteBatch;
use bedrock_cost_monitor::records::{MetricPoint, Source};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::helpers::daemon::{DaemonOptions, TestConfig, TestDaemon};
use crate::helpers::emulator;
use crate::helpers::inbox::Topic;

const SONNET: &str = "global.anthropic.claude-sonnet-4-6";
const REGION: &str = "us-east-1";

fn day(n: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, n).unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 7, 0, 0).unwrap()
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// One minute of Sonnet 4.6 (global) on `n` December: 1M input, 200k output, 3M cache reads.
fn points(n: u32) -> Vec<MetricPoint> {
    let minute = Utc.with_ymd_and_hms(2026, 12, n, 12, 0, 0).unwrap();
    let point = |metric, sum| MetricPoint {
        region: REGION.into(),
        model_id: SONNET.into(),
        metric,
        minute,
        sum,
        count: None,
    };
    vec![
        point(BedrockMetric::InputTokenCount, 1_000_000.0),
        point(BedrockMetric::OutputTokenCount, 200_000.0),
        point(BedrockMetric::CacheReadInputTokens, 3_000_000.0),
    ]
}

fn line(n: u32, service: &str, usage_type: &str, usd: &str, quantity: &str) -> Value {
    json!({ "day": day(n).to_string(), "service": service, "usage_type": usage_type, "usd": usd, "quantity": quantity })
}

const BEDROCK: &str = "Amazon Bedrock";
const MP_SONNET: &str = "Claude Sonnet 4.6 (Amazon Bedrock Edition)";

/// Day 1 as the ledger prices it ($3 + $3 + $0.90 at global Sonnet 4.6
/// rates); day 2 with input billed at $3.30 (a stale table), an Opus model
/// the ledger never saw, and a usage type that is not tokens.
fn bill(day2_input: &str) -> Vec<Value> {
    vec![
        line(1, MP_SONNET, "USE1-MP:USE1_InputTokenCount_Global-Units", "3", "1000000"),
        line(1, MP_SONNET, "USE1-MP:USE1_OutputTokenCount_Global-Units", "3", "200000"),
        line(1, MP_SONNET, "USE1-MP:USE1_CacheReadInputTokenCount_Global-Units", "0.9", "3000000"),
        line(2, BEDROCK, "USE1-Claude4.6Sonnet-input-tokens-cross-region-global", day2_input, "1000000"),
        line(2, BEDROCK, "USE1-Claude4.6Sonnet-output-tokens-cross-region-global", "3", "200000"),
        line(
            2,
            BEDROCK,
            "USE1-Claude4.6Sonnet-cache-read-input-token-count-cross-region-global",
            "0.9",
            "3000000",
        ),
        line(2, BEDROCK, "USE1-Claude4.8Opus-output-tokens-cross-region-global", "5", "200000"),
        line(2, BEDROCK, "USE1-ProvisionedThroughput-ModelUnits", "7.5", "1"),
        // Not a Bedrock service: never asked for.
        line(2, "Amazon S3", "USE1-TimedStorage-ByteHrs", "1", "1"),
    ]
}

async fn daemon(
    emu: &emulator::EmulatorGuard,
    dir: &TempDir,
    clock: Arc<ManualClock>,
    topic: &str,
) -> TestDaemon {
    let config = TestConfig::driven(dir.path(), emu.endpoint_url())
        .topic(topic)
        .extra("[sources.cost_explorer]\nenabled = true\n");
    TestDaemon::spawn(emu, DaemonOptions::new(config.load(), clock)).await
}

async fn ce_requests(emu: &emulator::EmulatorGuard, operation: &str) -> usize {
    emu.requests(Some("ce")).await.unwrap().iter().filter(|r| r.operation == operation).count()
}

#[tokio::test]
async fn the_bill_is_compared_paged_settled_and_alerted_once() {
    let emu = emulator::exclusive().await;
    let dir = TempDir::new().unwrap();
    let topic = Topic::create(&emu, "finance", false).await;
    let clock = Arc::new(ManualClock::new(now()));
    let daemon = daemon(&emu, &dir, clock.clone(), &topic.arn).await;
    let store = daemon.parts().store.clone();
    for n in [1, 2] {
        let lines = daemon.parts().pricer.lines(&points(n));
        let batch = MinuteBatch {
            source: Source::CloudWatch,
            region: REGION.into(),
            points: points(n),
            lines,
            watermark: None,
        };
        store.write(&batch).await.unwrap();
    }
    emu.seed_bill(&bill("3.30"), &[]).await.unwrap();
    // Two groups a page: day 1's three lines and day 2's five Bedrock lines take four pages.
    emu.cost_explorer_settings(&json!({ "page_size": 2 })).await.unwrap();

    daemon.reconcile().await.unwrap();
    assert_eq!(ce_requests(&emu, "GetDimensionValues").await, 1);
    assert_eq!(ce_requests(&emu, "GetCostAndUsage").await, 4, "every page asked for, once");
    let kept = bill_days::load(store.as_ref(), &[day(1), day(2), day(3)]).await.unwrap();
    assert_eq!(kept[&day(1)].lines.len(), 3);
    assert_eq!(kept[&day(2)].lines.len(), 5, "only the Bedrock services");
    assert!(kept[&day(3)].lines.is_empty(), "a day with no usage is an empty bill, not a missing one");

    let metrics = daemon.parts().registry.gather();
    let text = prometheus::TextEncoder::new().encode_to_string(&metrics).unwrap();
    assert!(text.contains("bedrock_monitor_aws_api_cost_usd_total 0.05"), "5 requests at $0.01:\n{text}");

    // Day 2 is beyond tolerance: one alert, naming the biggest contributor.
    daemon.alerts_job().await.unwrap();
    let got = topic.drain().await;
    let drift: Vec<_> = got.iter().filter(|m| m.kind() == "bill.drift").collect();
    assert_eq!(drift.len(), 1, "{got:?}");
    let body = &drift[0].body;
    assert_eq!(body["day"], "2026-12-02");
    let amount = |v: &Value| d(v.as_str().unwrap());
    assert_eq!(amount(&body["billed_usd"]), d("19.70"));
    assert_eq!(amount(&body["ledger_usd"]), d("6.90"));
    assert_eq!(amount(&body["unmapped_usd"]), d("7.5"));
    assert_eq!(body["biggest"][0]["model"], "claude-opus-4-8");
    assert_eq!(body["biggest"][0]["presence"], "billed_only");
    assert_eq!(amount(&body["stale_rates"][0]["billed_usd_per_million"]), d("3.3"));
    assert_eq!(amount(&body["stale_rates"][0]["table_usd_per_million"]), d("3"));

    // Run again at once: nothing is asked (read less than 8 h ago), nothing re-alerted.
    daemon.reconcile().await.unwrap();
    assert_eq!(ce_requests(&emu, "GetCostAndUsage").await, 4);
    daemon.alerts_job().await.unwrap();
    assert!(topic.drain().await.iter().all(|m| m.kind() != "bill.drift"));

    // 9 hours later day 2's bill has moved; day 1 is settled and unchanged: final.
    emu.seed_bill(&bill("3.00"), &[]).await.unwrap();
    clock.advance(Duration::hours(9));
    daemon.reconcile().await.unwrap();
    let kept = bill_days::load(store.as_ref(), &[day(1), day(2)]).await.unwrap();
    assert!(kept[&day(1)].frozen);
    assert!(!kept[&day(2)].frozen, "changed since the last read");
    assert_eq!(kept[&day(2)].last_changed, now() + Duration::hours(9));
    // 9 more hours: day 2 freezes too; day 1 is never asked again.
    clock.advance(Duration::hours(9));
    daemon.reconcile().await.unwrap();
    let kept = bill_days::load(store.as_ref(), &[day(1), day(2)]).await.unwrap();
    assert_eq!(kept[&day(1)].reads, 2);
    assert_eq!((kept[&day(2)].reads, kept[&day(2)].frozen), (3, true));

    // The report reads what was stored, without asking AWS.
    let before = emu.requests(Some("ce")).await.unwrap().len();
    let loaded = TestConfig::driven(dir.path(), emu.endpoint_url())
        .extra("[sources.cost_explorer]\nenabled = true\n")
        .load();
    let mut out = Vec::new();
    report_reconcile::run(&loaded, (day(1), day(2)), ReportFormat::Json, &mut out).await.unwrap();
    let report: Value = serde_json::from_slice(&out).unwrap();
    let amount = |v: &Value| d(v.as_str().unwrap());
    assert_eq!(amount(&report[0]["gross_drift_usd"]), Decimal::ZERO, "day 1 agrees to the cent: {report}");
    assert_eq!(report[0]["final"], true);
    assert_eq!(report[1]["unmapped"][0]["usage_type"], "USE1-ProvisionedThroughput-ModelUnits");
    assert_eq!(amount(&report[1]["net_drift_usd"]), d("-12.50"));
    let mut csv = Vec::new();
    report_reconcile::run(&loaded, (day(1), day(2)), ReportFormat::Csv, &mut csv).await.unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains("2026-12-02,true,billed_only,us-east-1,claude-opus-4-8,output,"), "{csv}");
    assert_eq!(emu.requests(Some("ce")).await.unwrap().len(), before);
    daemon.shutdown().await;
}

#[tokio::test]
async fn an_account_without_cost_explorer_is_a_clear_error_and_keeps_what_was_read() {
    let emu = emulator::exclusive().await;
    let dir = TempDir::new().unwrap();
    let topic = Topic::create(&emu, "finance", false).await;
    let clock = Arc::new(ManualClock::new(now()));
    let daemon = daemon(&emu, &dir, clock.clone(), &topic.arn).await;
    emu.seed_bill(&bill("3"), &[]).await.unwrap();
    daemon.reconcile().await.unwrap();
    emu.cost_explorer_settings(&json!({ "enabled": false })).await.unwrap();
    clock.advance(Duration::hours(9));
    let err = daemon.reconcile().await.unwrap_err();
    assert!(err.contains("AccessDeniedException"), "{err}");
    assert!(err.contains("ce:GetCostAndUsage"), "says what to grant: {err}");
    let store = daemon.parts().store.clone();
    let kept = bill_days::load(store.as_ref(), &[day(1), day(2)]).await.unwrap();
    assert_eq!(kept[&day(2)].reads, 1, "the stored bill is kept");
    // Collection goes on.
    daemon.collect_usage().await.unwrap();
    daemon.shutdown().await;
}

#[tokio::test]
async fn a_management_accounts_bill_is_narrowed_to_the_named_accounts() {
    let emu = emulator::exclusive().await;
    let dir = TempDir::new().unwrap();
    let clock = Arc::new(ManualClock::new(now()));
    let config = TestConfig::driven(dir.path(), emu.endpoint_url())
        .extra("[sources.cost_explorer]\nenabled = true\nlinked_accounts = [\"111111111111\"]\n");
    let daemon = TestDaemon::spawn(&emu, DaemonOptions::new(config.load(), clock)).await;
    // The payer's Cost Explorer holds every member's usage.
    let member = |account: &str, usd: &str| {
        let mut l = line(2, BEDROCK, "USE1-Claude4.6Sonnet-input-tokens-cross-region-global", usd, "1000000");
        l["linked_account"] = json!(account);
        l
    };
    emu.seed_bill(&[member("111111111111", "3"), member("222222222222", "30")], &[]).await.unwrap();
    daemon.reconcile().await.unwrap();
    let store = daemon.parts().store.clone();
    let kept = bill_days::load(store.as_ref(), &[day(2)]).await.unwrap();
    assert_eq!(kept[&day(2)].lines.len(), 1);
    assert_eq!(kept[&day(2)].lines[0].usd, d("3"), "only the named account's usage");
    daemon.shutdown().await;
}
