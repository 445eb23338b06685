//! Benchmark: what the DynamoDB ledger asks of DynamoDB, in requests and
//! capacity units, for the three things the daemon does most:
//!
//! - backfilling one day of one region: 10 model IDs × 1,440 minutes, a
//!   usage batch (5 points and 4 priced lines per minute and model ID) and a
//!   detail batch (7 points);
//! - one steady 15-minute usage cycle that re-writes a 20-minute trailing
//!   window (15 new minutes, 5 re-read of which 2 converged to new values);
//! - `cost_sums` of a 31-day month, aligned on UTC days and on Asia/Kolkata
//!   days (partial hours at both edges).
//!
//! Capacity is the store's own estimate from item sizes with DynamoDB's rules
//! (`DynamoStore::usage`: strongly consistent reads at 1 unit per 4 KB of a
//! Query page or of each item got, writes at 1 unit per KB of each item,
//! twice inside a transaction): moto reports no real consumed capacity.
//!
//! moto copies the whole table for every transaction (time and memory grow
//! with the table), so a full day cannot be written into it. The day's
//! backfill runs against a scripted client instead that answers like an
//! empty table (every read empty, every write accepted), which is what a
//! first backfill meets; the same batch shape over one hour is written both
//! ways and the counts must agree. The steady cycle and the month run against
//! moto through the emulator gateway, each on a fresh emulator: the UTC month
//! with one line per model ID and day (its sums read only daily rollups), the
//! Kolkata month also with one per hour of the edge days and one per minute
//! of the partial hours (what a dense month's sums read there), on 3 model
//! IDs because moto cannot take more; its reads grow per model ID.
//!
//! `cargo bench --bench dynamodb`. Without `--bench` (as under `cargo test
//! --all-targets`) it runs each scenario on a tiny scale as a smoke test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;

use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsOutput;
use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
use aws_sdk_dynamodb::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use bedrock_cost_monitor::bedrock::BedrockMetric;
use bedrock_cost_monitor::clock::ManualClock;
use bedrock_cost_monitor::emulator::Emulator;
use bedrock_cost_monitor::ledger::dynamodb::{create_table_if_missing, DynamoOptions, DynamoStore};
use bedrock_cost_monitor::ledger::{MinuteBatch, Store, StoreUsage};
use bedrock_cost_monitor::pricing::TokenType;
use bedrock_cost_monitor::records::{CostLine, LinePricing, MetricPoint, Source};

const REGION: &str = "us-east-1";
const TOKEN_TYPES: [TokenType; 4] =
    [TokenType::Input, TokenType::Output, TokenType::CacheRead, TokenType::CacheWrite5m];
const DETAIL: [BedrockMetric; 7] = [
    BedrockMetric::InvocationLatency,
    BedrockMetric::TimeToFirstToken,
    BedrockMetric::InvocationClientErrors,
    BedrockMetric::InvocationServerErrors,
    BedrockMetric::InvocationThrottles,
    BedrockMetric::EstimatedTpmQuotaUsage,
    BedrockMetric::LegacyModelInvocations,
];

struct Scale {
    models: usize,
    minutes: i64,
    month_days: i64,
    /// Model IDs of the month with partial hours (its data is moto's limit).
    edge_models: usize,
}

fn day() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()
}

fn model_id(m: usize) -> String {
    format!("us.anthropic.claude-sonnet-4-5-20250929-v1:{m}")
}

/// Deterministic token counts; `revision` moves a converging minute.
fn tokens(model: usize, minute: i64, tt: usize, revision: u64) -> u64 {
    let seed = u64::try_from(minute).unwrap() * 7919 + (model as u64) * 104_729 + (tt as u64) * 31;
    1_000 + seed % 50_000 + revision * 17
}

fn line(model: usize, at: DateTime<Utc>, tt: usize, revision: u64) -> CostLine {
    let n = tokens(model, at.timestamp() / 60, tt, revision);
    // $3.30 per million tokens, exactly: the division is a scale shift.
    let usd = Decimal::from(n) * Decimal::new(33, 1) / Decimal::from(1_000_000);
    CostLine {
        region: REGION.into(),
        model_id: model_id(model),
        minute: at,
        token_type: TOKEN_TYPES[tt],
        tokens: n,
        pricing: LinePricing::Priced {
            model: "claude-sonnet-4-5".into(),
            price_entry: "claude-sonnet-4-5:regional:2025-09-29".into(),
            usd,
        },
    }
}

fn point(model: usize, at: DateTime<Utc>, metric: BedrockMetric, value: u64) -> MetricPoint {
    let count = metric.is_average().then_some(4.0);
    #[allow(clippy::cast_precision_loss)] // small integers: exact
    let sum = value as f64;
    MetricPoint { region: REGION.into(), model_id: model_id(model), metric, minute: at, sum, count }
}

/// The usage job's batch for `minutes` (revision applies to all of them).
fn usage(models: usize, minutes: impl Iterator<Item = DateTime<Utc>> + Clone, revision: u64) -> MinuteBatch {
    let mut b = MinuteBatch {
        source: Source::CloudWatch,
        region: REGION.into(),
        points: vec![],
        lines: vec![],
        watermark: None,
    };
    for at in minutes {
        for m in 0..models {
            b.points.push(point(m, at, BedrockMetric::Invocations, 3 + revision));
            for (tt, metric) in [
                BedrockMetric::InputTokenCount,
                BedrockMetric::OutputTokenCount,
                BedrockMetric::CacheReadInputTokens,
                BedrockMetric::CacheWriteInputTokens,
            ]
            .into_iter()
            .enumerate()
            {
                b.points.push(point(m, at, metric, tokens(m, at.timestamp() / 60, tt, revision)));
                b.lines.push(line(m, at, tt, revision));
            }
        }
        b.watermark = Some(at + Duration::minutes(1));
    }
    b
}

fn detail(models: usize, minutes: impl Iterator<Item = DateTime<Utc>>) -> MinuteBatch {
    let mut b = MinuteBatch {
        source: Source::CloudWatchDetail,
        region: REGION.into(),
        points: vec![],
        lines: vec![],
        watermark: None,
    };
    for at in minutes {
        for m in 0..models {
            for (i, metric) in DETAIL.into_iter().enumerate() {
                b.points.push(point(m, at, metric, 800 + i as u64));
            }
        }
        b.watermark = Some(at + Duration::minutes(1));
    }
    b
}

fn minutes(from: DateTime<Utc>, n: i64) -> impl Iterator<Item = DateTime<Utc>> + Clone {
    (0..n).map(move |i| from + Duration::minutes(i))
}

fn options(now: DateTime<Utc>) -> DynamoOptions {
    DynamoOptions { clock: Arc::new(ManualClock::new(now)), ..DynamoOptions::default() }
}

async fn fresh(emu: &Emulator, name: &str, now: DateTime<Utc>) -> DynamoStore {
    #[expect(clippy::disallowed_methods, reason = "the store under measurement talks to the emulator")]
    let client = aws_sdk_dynamodb::Client::new(&emu.sdk_config(REGION).await);
    create_table_if_missing(&client, name).await.unwrap();
    DynamoStore::new(client, name, options(now)).unwrap()
}

/// A client that answers like an empty table: every read finds nothing,
/// every write is accepted.
fn empty_table(now: DateTime<Utc>) -> DynamoStore {
    let query = mock!(Client::query).then_output(|| QueryOutput::builder().build());
    let get = mock!(Client::batch_get_item).then_output(|| BatchGetItemOutput::builder().build());
    let write =
        mock!(Client::transact_write_items).then_output(|| TransactWriteItemsOutput::builder().build());
    let update = mock!(Client::update_item).then_output(|| UpdateItemOutput::builder().build());
    #[expect(
        clippy::disallowed_methods,
        reason = "a mocked client: measures the store's own work without the network"
    )]
    let client: Client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, &[&query, &get, &write, &update]);
    DynamoStore::new(client, "scripted", options(now)).unwrap()
}

async fn emulator() -> Emulator {
    Emulator::start(Path::new(env!("CARGO_MANIFEST_DIR")))
        .await
        .unwrap_or_else(|err| panic!("cannot start the AWS emulator: {err}"))
}

fn delta(before: &StoreUsage, after: &StoreUsage) -> StoreUsage {
    let requests = after
        .requests
        .iter()
        .map(|(op, n)| (*op, n - before.requests.get(op).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    StoreUsage {
        requests,
        items_read: after.items_read - before.items_read,
        items_written: after.items_written - before.items_written,
        read_units: after.read_units - before.read_units,
        write_units: after.write_units - before.write_units,
    }
}

/// Runs `work`, prints a table row of what it cost, returns the cost.
async fn measure<F: std::future::Future<Output = String>>(
    store: &DynamoStore,
    against: &str,
    what: &str,
    work: F,
) -> StoreUsage {
    let before = store.usage();
    let started = Instant::now();
    let outcome = work.await;
    let elapsed = started.elapsed();
    let u = delta(&before, &store.usage());
    let requests: Vec<String> = u.requests.iter().map(|(op, n)| format!("{op} {n}")).collect();
    println!(
        "| {what} | {against} | {} | {} | {} | {} | {} | {outcome} | {:.1} s |",
        requests.join(", "),
        u.items_read,
        u.read_units,
        u.items_written,
        u.write_units,
        elapsed.as_secs_f64()
    );
    u
}

async fn backfill(store: &DynamoStore, against: &str, models: usize, n: i64) -> StoreUsage {
    let b = usage(models, minutes(day(), n), 0);
    let what = format!("backfill usage, {models} model IDs x {n} min");
    let mut u =
        measure(store, against, &what, async { format!("{:?}", store.write(&b).await.unwrap()) }).await;
    let b = detail(models, minutes(day(), n));
    let what = format!("backfill detail, {models} model IDs x {n} min");
    let d = measure(store, against, &what, async { format!("{:?}", store.write(&b).await.unwrap()) }).await;
    u.write_units += d.write_units;
    u.read_units += d.read_units;
    for (op, n) in d.requests {
        *u.requests.entry(op).or_default() += n;
    }
    u
}

/// 15 new minutes after `end` and the 5 before it re-read, the last 2 converged.
fn cycle(models: usize, end: DateTime<Utc>) -> MinuteBatch {
    let reread = usage(models, minutes(end - Duration::minutes(5), 3), 0);
    let converged = usage(models, minutes(end - Duration::minutes(2), 2), 1);
    let new = usage(models, minutes(end, 15), 0);
    MinuteBatch {
        points: [reread.points, converged.points, new.points.clone()].concat(),
        lines: [reread.lines, converged.lines, new.lines].concat(),
        ..new
    }
}

async fn steady(scale: &Scale) {
    let emu = emulator().await;
    let end = day() + Duration::hours(12);
    let store = fresh(&emu, "bench-steady", end).await;
    store.write(&usage(scale.models, minutes(end - Duration::minutes(20), 20), 0)).await.unwrap();
    let b = cycle(scale.models, end);
    let what = format!("steady cycle, {} model IDs, 20-min window", scale.models);
    measure(&store, "moto", &what, async { format!("{:?}", store.write(&b).await.unwrap()) }).await;
}

/// A month with a line per model ID and day and, for a month with partial
/// hours (`edges`), one per hour of the edge days and per minute of the
/// partial hours: the items a dense month's sums read. Then its sums.
async fn month(models: usize, days: i64, edges: Option<Duration>) {
    let emu = emulator().await;
    let (start, end) = (day(), day() + Duration::days(days));
    let store = fresh(&emu, "bench-month", end).await;
    let daily = (0..days).map(|d| start + Duration::days(d) + Duration::minutes(12 * 60 + 7));
    let mut at: Vec<DateTime<Utc>> = daily.collect();
    if let Some(offset) = edges {
        for d in [start - Duration::days(1), end - Duration::days(1)] {
            at.extend((0..24).map(|h| d + Duration::hours(h) + Duration::minutes(40)));
        }
        at.extend(minutes(start - offset, 30).chain(minutes(end - offset - Duration::minutes(30), 30)));
    }
    let mut all = usage(models, at.into_iter(), 0);
    all.points.clear();
    store.write(&all).await.unwrap();
    let (from, to, zone) = match edges {
        Some(offset) => (start - offset, end - offset, "Asia/Kolkata"),
        None => (start, end, "UTC"),
    };
    let what = format!("cost_sums, {zone} month of {days} days, {models} model IDs");
    measure(&store, "moto", &what, async {
        let sums = store.cost_sums(from, to).await.unwrap();
        format!("{} series", sums.len())
    })
    .await;
}

async fn run(scale: &Scale, check_minutes: i64) {
    println!("| scenario | against | requests | items read | read units | items written | write units | result | time |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let (models, n) = (scale.models, scale.minutes);
    let now = day() + Duration::minutes(n);
    backfill(&empty_table(now), "scripted empty table", models, n).await;
    // The scripted client counts what moto counts, on a size moto can take.
    let small = check_minutes;
    let scripted = backfill(&empty_table(now), "scripted empty table", models, small).await;
    let emu = emulator().await;
    let real = backfill(&fresh(&emu, "bench-check", now).await, "moto", models, small).await;
    drop(emu);
    assert_eq!((scripted.requests, scripted.write_units), (real.requests, real.write_units));
    steady(scale).await;
    month(scale.models, scale.month_days, None).await;
    let kolkata = Duration::minutes(5 * 60 + 30);
    month(scale.edge_models, scale.month_days, Some(kolkata)).await;
}

fn main() {
    let real = support::measuring();
    let scale = if real {
        Scale {
            models: usize::try_from(support::env_or("BCM_BENCH_MODELS", 10)).unwrap(),
            minutes: support::env_or("BCM_BENCH_MINUTES", 1440),
            month_days: support::env_or("BCM_BENCH_MONTH_DAYS", 31),
            edge_models: 3,
        }
    } else {
        Scale { models: 2, minutes: 30, month_days: 2, edge_models: 1 }
    };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        if real {
            println!("# DynamoDB ledger: requests and capacity units (one region)\n");
            run(&scale, 20).await;
        } else {
            run(&scale, 10).await;
            println!(
                "dynamodb: smoke run ok (pass --bench, e.g. `cargo bench --bench dynamodb`, to measure)"
            );
        }
    });
}
