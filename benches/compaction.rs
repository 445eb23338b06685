//! Benchmark: the SQLite ledger's size for a year of 10 model IDs, before
//! and after compaction, through the store API (`Store::write`,
//! `write_calls`, `write_attribution`, `Store::compact`).
//!
//! The last `BCM_BENCH_DENSE_DAYS` days (default 35, the minute retention)
//! are written at full minute density: every minute of every model ID has
//! traffic, with 4 token types, 6 metrics, a call count and 2 cost shares.
//! The older months are written at hourly density (one minute of traffic per
//! hour and model ID): compaction folds them into the same hourly rollups a
//! dense month would leave (one row per hour and series), so the compacted
//! file is what a dense year compacts to, without writing 50 M rows first.
//! The dense phase also gives the growth per dense day, from which the size
//! of a year never compacted is extrapolated.
//!
//! `cargo bench --bench compaction`; `BCM_BENCH_DAYS` (default 365). Without
//! `--bench` (as under `cargo test --all-targets`) it writes three days.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::str::FromStr;
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;

use bedrock_cost_monitor::bedrock::BedrockMetric;
use bedrock_cost_monitor::ledger::sqlite::{SqliteStore, FILE_NAME};
use bedrock_cost_monitor::ledger::{AttributionBatch, CallBatch, CompactPlan, MinuteBatch, Retention, Store};
use bedrock_cost_monitor::pricing::TokenType;
use bedrock_cost_monitor::records::{
    Attribution, CallCount, CostLine, LinePricing, MetricPoint, PrincipalCost, Source,
};

const REGION: &str = "us-east-1";
const MODELS: usize = 10;
const TOKENS: [TokenType; 4] =
    [TokenType::Input, TokenType::Output, TokenType::CacheRead, TokenType::CacheWrite5m];
const METRICS: [BedrockMetric; 6] = [
    BedrockMetric::Invocations,
    BedrockMetric::InputTokenCount,
    BedrockMetric::OutputTokenCount,
    BedrockMetric::InvocationLatency,
    BedrockMetric::InvocationClientErrors,
    BedrockMetric::InvocationThrottles,
];
const ROLES: [&str; 2] = ["arn:aws:iam::123456789012:role/app", "arn:aws:iam::123456789012:role/batch"];

fn model_id(k: usize) -> String {
    format!("us.anthropic.claude-model-{k}-v1:0")
}

/// One day of `region` with traffic in the given minutes of the day.
struct Day {
    lines: Vec<CostLine>,
    points: Vec<MetricPoint>,
    calls: Vec<CallCount>,
    shares: Vec<PrincipalCost>,
}

fn day(from: DateTime<Utc>, minutes: impl Iterator<Item = i64>) -> Day {
    let mut d = Day { lines: vec![], points: vec![], calls: vec![], shares: vec![] };
    for m in minutes {
        let minute = from + Duration::minutes(m);
        for k in 0..MODELS {
            let (id, tokens) = (model_id(k), 1_000 + (m as u64 * 7 + k as u64 * 13) % 4_000);
            let mut total = Decimal::ZERO;
            for (t, tt) in TOKENS.iter().enumerate() {
                let usd = Decimal::from(tokens * (t as u64 + 1)) * Decimal::from_str("0.000003").unwrap();
                total += usd;
                let pricing = LinePricing::Priced {
                    model: format!("claude-{k}"),
                    price_entry: format!("claude-{k}:regional:2025"),
                    usd,
                };
                d.lines.push(CostLine {
                    region: REGION.into(),
                    model_id: id.clone(),
                    minute,
                    token_type: *tt,
                    tokens,
                    pricing,
                });
            }
            for metric in METRICS {
                let count = (metric == BedrockMetric::InvocationLatency).then_some(3.0);
                d.points.push(MetricPoint {
                    region: REGION.into(),
                    model_id: id.clone(),
                    metric,
                    minute,
                    sum: tokens as f64,
                    count,
                });
            }
            d.calls.push(CallCount {
                region: REGION.into(),
                minute,
                model_id: id.clone(),
                principal: ROLES[0].into(),
                error_code: None,
                calls: 3,
                input_tokens: Some(tokens),
                output_tokens: Some(tokens / 4),
            });
            let app = total * Decimal::from_str("0.75").unwrap();
            for (role, usd) in [(ROLES[0], app), (ROLES[1], total - app)] {
                d.shares.push(PrincipalCost {
                    region: REGION.into(),
                    minute,
                    model_id: id.clone(),
                    model: format!("claude-{k}"),
                    principal: role.into(),
                    attribution: Attribution::Exact,
                    usd,
                });
            }
        }
    }
    d
}

async fn write(store: &SqliteStore, from: DateTime<Utc>, d: Day) -> usize {
    let to = from + Duration::days(1);
    let rows = d.lines.len() + d.points.len() + d.calls.len() + d.shares.len();
    let batch = MinuteBatch {
        source: Source::CloudWatch,
        region: REGION.into(),
        points: d.points,
        lines: d.lines,
        watermark: Some(to),
    };
    store.write(&batch).await.unwrap();
    store
        .write_calls(&CallBatch { region: REGION.into(), from, to, calls: d.calls, watermark: Some(to) })
        .await
        .unwrap();
    store
        .write_attribution(&AttributionBatch { region: REGION.into(), from, to, shares: d.shares })
        .await
        .unwrap();
    rows
}

fn mib(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    format!("{}.{} MiB", bytes / MIB, bytes % MIB * 10 / MIB)
}

fn file_size(dir: &std::path::Path) -> u64 {
    let wal = dir.join(format!("{FILE_NAME}-wal"));
    std::fs::metadata(dir.join(FILE_NAME)).unwrap().len()
        + std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let real = support::measuring();
    let days: i64 = if real { support::env_or("BCM_BENCH_DAYS", 365) } else { 3 };
    let dense: i64 = if real { support::env_or("BCM_BENCH_DENSE_DAYS", 35) } else { 1 };
    let keep = Retention { minutes: Duration::days(35), published_alerts: Duration::days(400) };
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();

    let t = Instant::now();
    let mut rows = 0;
    for n in 0..days - dense {
        rows += write(
            &store,
            start + Duration::days(n),
            day(start + Duration::days(n), (0..24).map(|h| h * 60 + 17)),
        )
        .await;
    }
    let (sparse_rows, sparse_bytes) = (rows, file_size(dir.path()));
    for n in days - dense..days {
        rows += write(&store, start + Duration::days(n), day(start + Duration::days(n), 0..1440)).await;
    }
    let written = t.elapsed();
    let before = file_size(dir.path());
    let per_dense_day = (before - sparse_bytes) / dense.max(1) as u64;
    let totals = store.cost_totals().await.unwrap();

    let now = start + Duration::days(days) + Duration::hours(4);
    let t = Instant::now();
    let plan = CompactPlan::new(now, keep, [], vec![chrono_tz::UTC]);
    let report = store.compact(&plan).await.unwrap().unwrap();
    let compacted = t.elapsed();
    assert_eq!(store.cost_totals().await.unwrap(), totals, "compaction changed a total");
    let after = file_size(dir.path());

    // The next day, then the daily run the job makes in steady state.
    write(&store, start + Duration::days(days), day(start + Duration::days(days), 0..1440)).await;
    let t = Instant::now();
    let daily = store
        .compact(&CompactPlan::new(now + Duration::days(1), keep, [], vec![chrono_tz::UTC]))
        .await
        .unwrap()
        .unwrap();
    let daily_time = t.elapsed();

    if !real {
        println!(
            "compaction: smoke run ok (pass --bench, e.g. `cargo bench --bench compaction`, to measure)"
        );
        return;
    }
    println!("# SQLite ledger: {days} days, {MODELS} model IDs, the last {dense} at minute density\n");
    println!("| figure | value |\n|---|---:|");
    println!("| rows written (lines, points, calls, shares) | {rows} ({sparse_rows} in the hourly-density months) |");
    println!("| wall time writing | {:.1} s |", written.as_secs_f64());
    println!("| file after writing | {} |", mib(before));
    println!("| growth per minute-dense day | {} |", mib(per_dense_day));
    println!("| a year never compacted (365 dense days, extrapolated) | {} |", mib(per_dense_day * 365));
    println!(
        "| compaction: hours folded, rows removed | {}, {} |",
        report.hours_folded,
        report.cost_lines + report.shares + report.metric_points + report.calls
    );
    println!("| compaction wall time | {:.1} s |", compacted.as_secs_f64());
    println!(
        "| **file after compaction** | **{}** (store's own count {}) |",
        mib(after),
        mib(report.bytes_after)
    );
    println!(
        "| next day's compaction (steady state): rows removed, time | {}, {:.2} s |",
        daily.cost_lines + daily.shares + daily.metric_points + daily.calls,
        daily_time.as_secs_f64()
    );
    println!("| file after it | {} |", mib(file_size(dir.path())));
}
