//! Benchmark: the invocation-log path after the network, single thread, on
//! records generated in-process in AWS's `ModelInvocationLog` schema:
//!
//! - `parse_record` alone (one JSON line → `LogRecord`, bodies skipped);
//! - parse + `request_usage` + `price_request` (each request priced alone);
//! - all that plus writing to a SQLite ledger file (1,000 records per
//!   transaction, each request ID checked and the per-minute and all-time
//!   sums kept), as a collection run does it;
//! - memory: streaming a gzipped object of 1 MB records through
//!   `RecordLines` and the parser, peak RSS before and after.
//!
//! `cargo bench --bench invocation_logs` (size: `BCM_BENCH_RECORDS`, default
//! 100,000; repetitions: `BCM_BENCH_REPS`, default 5). Without `--bench` (as
//! under `cargo test --all-targets`) it runs a thousand records once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::io::Write;
use std::time::Duration as StdDuration;

use chrono::{Duration, TimeZone, Utc};

use bedrock_cost_monitor::config::CacheTtl;
use bedrock_cost_monitor::ledger::sqlite::SqliteStore;
use bedrock_cost_monitor::ledger::{RequestBatch, Store};
use bedrock_cost_monitor::pricing::{price_request, PointPricer};
use bedrock_cost_monitor::sim::logs::{log_records, SimUser};
use bedrock_cost_monitor::sim::trail::SimPrincipal;
use bedrock_cost_monitor::sim::varied_series;
use bedrock_cost_monitor::sources::invocation_logs::objects::{Line, RecordLines};
use bedrock_cost_monitor::sources::invocation_logs::record::parse_record;
use bedrock_cost_monitor::sources::invocation_logs::usage::request_usage;

const MODELS: [&str; 4] = [
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "anthropic.claude-3-haiku-20240307-v1:0",
    "global.anthropic.claude-opus-4-5-20251101-v1:0",
    "us.anthropic.claude-haiku-4-5-20251001-v1:0",
];

fn keys() -> Vec<String> {
    vec!["user_id".into(), "tenant".into()]
}

/// At least `n` record lines: the models' simulated calls, 40 principals, 500 users.
fn lines(n: usize) -> Vec<String> {
    let start = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
    let series = varied_series("us-east-1", MODELS.iter().map(|m| m.to_string()).collect());
    let principals: Vec<SimPrincipal> =
        (0..40).map(|i| SimPrincipal::role(&format!("svc-{i}"), 1 + i % 5)).collect();
    let users: Vec<SimUser> =
        (0..500).map(|i| SimUser::new(&format!("u-{i}"), &format!("t-{}", i % 17))).collect();
    let mut out = Vec::new();
    let mut from = start;
    while out.len() < n {
        for s in &series {
            out.extend(
                log_records(s, &principals, &users, from, from + Duration::hours(1))
                    .iter()
                    .map(|r| r.record.to_string()),
            );
        }
        from += Duration::hours(1);
    }
    out.truncate(n);
    out
}

fn pricer() -> PointPricer {
    let text = include_str!("../config/prices.toml");
    let doc = bedrock_cost_monitor::diag::TomlDoc::parse("config/prices.toml", text).unwrap();
    PointPricer {
        table: bedrock_cost_monitor::pricing::file::load(&doc).unwrap().table,
        app_profiles: BTreeMap::new(),
        cache_write_ttl: CacheTtl::FiveMinutes,
        cache_write_ttl_by_model: BTreeMap::new(),
    }
}

fn median(reps: usize, f: impl FnMut()) -> StdDuration {
    let t = support::timings(reps, f);
    t[t.len() / 2]
}

#[allow(clippy::float_arithmetic)]
fn row(stage: &str, n: usize, d: StdDuration) {
    println!("| {stage} | {:.0} | {:.1?} |", n as f64 / d.as_secs_f64(), d);
}

/// A `/proc/self/status` figure (`VmRSS`, `VmHWM`), KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim_start_matches(':').trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// `count` records of ~1 MB each (a long inline prompt), gzipped, streamed
/// through `RecordLines` and the parser; (records parsed, resident KiB
/// before streaming, peak KiB while streaming). The peak is reset (Linux
/// `clear_refs`) once the object is built, so it measures the streaming.
async fn big_records(count: usize) -> (usize, u64, u64) {
    let body = "p".repeat(1_000_000);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for i in 0..count {
        let line = serde_json::json!({
            "schemaType": "ModelInvocationLog", "schemaVersion": "1.0", "timestamp": "2026-12-01T10:00:00Z",
            "accountId": "111122223333", "identity": {"arn": "arn:aws:iam::111122223333:user/x"},
            "region": "us-east-1", "requestId": format!("big-{i}"), "operation": "Converse",
            "modelId": MODELS[0], "input": {"inputBodyJson": {"messages": [{"content": [{"text": body}]}]},
            "inputTokenCount": 250_000}, "output": {"outputTokenCount": 100},
        });
        gz.write_all(line.to_string().as_bytes()).unwrap();
        gz.write_all(b"\n").unwrap();
    }
    let gzipped = gz.finish().unwrap();
    drop(body);
    // Resets VmHWM to the current RSS; without it the peak is the building's.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = status_kib("VmRSS");
    let mut lines = RecordLines::new(Box::new(std::io::Cursor::new(gzipped)));
    let mut parsed = 0;
    while let Some(line) = lines.next().await.unwrap() {
        if let Line::Record(text) = line {
            parsed += usize::from(parse_record(&text, &keys()).is_ok());
        }
    }
    (parsed, before, status_kib("VmHWM"))
}

fn main() {
    let real = support::measuring();
    let (n, reps) = if real {
        (support::env_or("BCM_BENCH_RECORDS", 100_000), support::env_or("BCM_BENCH_REPS", 5).max(1))
    } else {
        (1_000, 1)
    };
    // First, while the heap is small: the memory of streaming big records.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let big = if real { 200 } else { 3 };
    let (parsed, before, peak) = rt.block_on(big_records(big));
    assert_eq!(parsed, big);
    let texts = lines(n);
    let config = pricer();
    let keys = keys();
    let priced = |t: &str| price_request(&config, &request_usage(parse_record(t, &keys).unwrap()));
    assert!(texts.iter().all(|t| parse_record(t, &keys).is_ok()));
    if !real {
        println!("invocation_logs: smoke run ok (pass --bench, e.g. `cargo bench --bench invocation_logs`, to measure)");
        return;
    }
    let bytes: usize = texts.iter().map(String::len).sum();
    println!(
        "# Invocation-log path, single thread: {n} records ({} KiB of JSON lines); median of {reps}\n",
        bytes / 1024
    );
    println!("| stage | records/s | median time |");
    println!("|---|---:|---:|");
    row(
        "parse_record",
        n,
        median(reps, || texts.iter().for_each(|t| drop(black_box(parse_record(black_box(t), &keys))))),
    );
    row(
        "parse + usage + price_request",
        n,
        median(reps, || texts.iter().for_each(|t| drop(black_box(priced(t))))),
    );
    let d = median(reps, || {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        rt.block_on(async {
            for chunk in texts.chunks(1_000) {
                let requests = chunk.iter().map(|t| priced(t)).collect();
                let batch = RequestBatch::of("us-east-1", requests);
                store.write_requests(&batch).await.unwrap();
            }
        });
    });
    row("… + SQLite ledger write (1,000 per transaction)", n, d);
    println!(
        "\nStreaming {big} gzipped records of ~1 MB each (inline prompt) through RecordLines + parse_record: \
         RSS {before} KiB before, peak {peak} KiB while streaming (+{} KiB).",
        peak.saturating_sub(before)
    );
}
