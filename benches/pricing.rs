//! Benchmark: pricing throughput, single thread, with the shipped price table
//! (`config/prices.toml` through `config/monitor.toml`).
//!
//! - `PointPricer::lines` over a large `Vec` of token `MetricPoint`s: what the
//!   collector does with every fetched chunk (resolve the model ID, look the
//!   price up, compute exact cost, build the ledger line).
//! - `Pricer::price` directly, one token bucket per call (as `lines` does) and
//!   four buckets per call.
//! - `Pricer::resolve` alone, to show where the time goes.
//!
//! Model IDs are mixed: base IDs, geographic and `global.` profiles, a
//! foundation-model ARN, a mapped and an unmapped application inference
//! profile, and IDs the table does not know (unpriced).
//!
//! `cargo bench --bench pricing` (size: `BCM_BENCH_RECORDS`, default
//! 1,000,000; repetitions: `BCM_BENCH_REPS`, default 7). Without `--bench`
//! (as under `cargo test --all-targets`) it prices a thousand records once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};

use bedrock_cost_monitor::bedrock::BedrockMetric;
use bedrock_cost_monitor::clock::{Clock, SystemClock};
use bedrock_cost_monitor::pricing::PointPricer;
use bedrock_cost_monitor::pricing::{PriceOptions, PriceOutcome, TokenType, Usage};
use bedrock_cost_monitor::records::{LinePricing, MetricPoint};

const APP_PROFILE_MAPPED: &str =
    "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6";

/// (model ID, region): what CloudWatch shows as the `ModelId` dimension.
const MODEL_IDS: &[(&str, &str)] = &[
    ("anthropic.claude-3-haiku-20240307-v1:0", "us-east-1"),
    ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "us-east-1"),
    ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "us-west-2"),
    ("eu.anthropic.claude-haiku-4-5-20251001-v1:0", "eu-west-1"),
    ("global.anthropic.claude-opus-4-5-20251101-v1:0", "us-east-1"),
    ("apac.anthropic.claude-3-5-sonnet-20241022-v2:0", "ap-southeast-2"),
    ("arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0", "us-west-2"),
    ("anthropic.claude-sonnet-4-6", "us-east-1"),
    ("us.anthropic.claude-opus-4-6-v1", "us-east-1"),
    ("anthropic.claude-3-7-sonnet-20250219-v1:0", "us-west-2"),
    (APP_PROFILE_MAPPED, "us-east-1"),
    // Unpriced: a model the table does not know, an unmapped application profile, another vendor.
    ("anthropic.claude-opus-5-20270101-v1:0", "us-east-1"),
    ("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/zzzzzzzzzzzz", "us-east-1"),
    ("meta.llama3-70b-instruct-v1:0", "us-west-2"),
];

const TOKEN_METRICS: [BedrockMetric; 4] = [
    BedrockMetric::InputTokenCount,
    BedrockMetric::OutputTokenCount,
    BedrockMetric::CacheReadInputTokens,
    BedrockMetric::CacheWriteInputTokens,
];

fn line_pricer() -> PointPricer {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/monitor.toml");
    let loaded = bedrock_cost_monitor::config::load_with_env(&path, &|_| None, SystemClock.now())
        .expect("shipped config loads");
    let mut pricer = PointPricer::from_config(&loaded);
    pricer
        .app_profiles
        .insert(APP_PROFILE_MAPPED.to_string(), "us.anthropic.claude-sonnet-4-5-20250929-v1:0".to_string());
    pricer
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()
}

/// Deterministic token points: model IDs and token types interleaved, minutes over 30 days.
fn points(n: usize) -> Vec<MetricPoint> {
    (0..n)
        .map(|i| {
            let (model_id, region) = MODEL_IDS[i % MODEL_IDS.len()];
            let metric = TOKEN_METRICS[(i / MODEL_IDS.len()) % TOKEN_METRICS.len()];
            let minute = start() + Duration::minutes((i / (MODEL_IDS.len() * 4)) as i64 % (30 * 1440));
            MetricPoint {
                region: region.to_string(),
                model_id: model_id.to_string(),
                metric,
                minute,
                sum: ((i * 7919) % 250_000 + 1) as f64,
                count: None,
            }
        })
        .collect()
}

struct Stats {
    median: StdDuration,
    min: StdDuration,
    max: StdDuration,
}

fn measure(reps: usize, f: impl FnMut()) -> Stats {
    let times = support::timings(reps, f);
    Stats { median: times[times.len() / 2], min: times[0], max: times[times.len() - 1] }
}

#[allow(clippy::float_arithmetic)]
fn per_second(records: usize, d: StdDuration) -> f64 {
    records as f64 / d.as_secs_f64()
}

fn report(name: &str, records: usize, s: &Stats) {
    // Fastest run = highest rate.
    println!(
        "| {name} | {records} | {:.0} | {:.0} | {:.0} | {:.1?} |",
        per_second(records, s.median),
        per_second(records, s.max),
        per_second(records, s.min),
        s.median
    );
}

fn main() {
    let real = support::measuring();
    let (n, reps) = if real {
        (support::env_or("BCM_BENCH_RECORDS", 1_000_000), support::env_or("BCM_BENCH_REPS", 7).max(1))
    } else {
        (1_000, 1)
    };
    let pricer = line_pricer();
    let pts = points(n);

    // What the mix prices to, once (also checks nothing unknown came out as $0).
    let lines = pricer.lines(&pts);
    assert_eq!(lines.len(), n);
    let unpriced = lines.iter().filter(|l| matches!(l.pricing, LinePricing::Unpriced { .. })).count();
    assert!(unpriced > 0 && unpriced < n);
    if !real {
        println!("pricing: smoke run ok (pass --bench, e.g. `cargo bench --bench pricing`, to measure)");
        return;
    }
    println!(
        "# Pricing throughput, single thread: {n} records, {} model IDs ({} unpriced records), {reps} repetitions\n",
        MODEL_IDS.len(),
        unpriced
    );
    println!("| operation | records | median rec/s | min rec/s | max rec/s | median time |");
    println!("|---|---:|---:|---:|---:|---:|");

    let s = measure(reps, || {
        black_box(pricer.lines(black_box(&pts)));
    });
    report("PointPricer::lines (token MetricPoint → priced CostLine)", n, &s);

    let p = pricer.pricer();
    let usages: Vec<Usage> =
        pts.iter().map(|pt| Usage::new().with(pt.metric.token_type().unwrap(), pt.sum as u64)).collect();
    let s = measure(reps, || {
        for (pt, usage) in pts.iter().zip(&usages) {
            let out = p.price(&pt.model_id, &pt.region, pt.minute, usage, PriceOptions::default());
            black_box(matches!(out, Ok(PriceOutcome::Priced(_))));
        }
    });
    report("Pricer::price, 1 token bucket per call", n, &s);

    let four: Vec<Usage> = pts
        .iter()
        .map(|pt| {
            let t = pt.sum as u64;
            Usage::new()
                .with(TokenType::Input, t)
                .with(TokenType::Output, t / 4)
                .with(TokenType::CacheRead, t * 3)
                .with(TokenType::CacheWrite5m, t / 2)
        })
        .collect();
    let s = measure(reps, || {
        for (pt, usage) in pts.iter().zip(&four) {
            let out = p.price(&pt.model_id, &pt.region, pt.minute, usage, PriceOptions::default());
            black_box(matches!(out, Ok(PriceOutcome::Priced(_))));
        }
    });
    report("Pricer::price, 4 token buckets per call", n, &s);

    let s = measure(reps, || {
        for pt in &pts {
            black_box(p.resolve(black_box(&pt.model_id)));
        }
    });
    report("Pricer::resolve only (model ID → model)", n, &s);

    let mut by_model: BTreeMap<&str, usize> = BTreeMap::new();
    for l in &lines {
        let key = match &l.pricing {
            LinePricing::Priced { .. } => "priced",
            LinePricing::Unpriced { .. } => "unpriced",
        };
        *by_model.entry(key).or_default() += 1;
    }
    println!("\nOutcomes of the mix: {by_model:?}");
}
