//! What only the DynamoDB store has, against moto through the emulator: the
//! table check, TTL attributes, the cost of re-writes, concurrent writers,
//! SDK retries under throttling, refusals before any write, and numbers in
//! the forms other writers (or DynamoDB itself) leave. The behaviour every
//! store shares is in `store::dynamodb_contract`.
//!
//! Needs `tests/emulator/setup.sh` to have been run once.

#![allow(clippy::disallowed_methods, reason = "concurrent writers need concurrent tasks")]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use bedrock_cost_monitor::bedrock::BedrockMetric;
use bedrock_cost_monitor::clock::ManualClock;
use bedrock_cost_monitor::emulator::{Emulator, Fault, FaultKind};
use bedrock_cost_monitor::ledger::dynamodb::{create_table_if_missing, DynamoOptions, DynamoStore};
use bedrock_cost_monitor::ledger::{MinuteBatch, StatusStore, Store, WriteStats};
use bedrock_cost_monitor::pricing::TokenType;
use bedrock_cost_monitor::records::Source;
use chrono::Duration;

use crate::helpers::store_contract::{batch, point, priced, snapshot, t, unpriced, until, usd};
use crate::helpers::{emulator, store_contract};

const REGION: &str = "us-west-2";
const R: &str = "us-east-1";

fn options() -> DynamoOptions {
    DynamoOptions { clock: Arc::new(ManualClock::new(t(120))), ..DynamoOptions::default() }
}

#[expect(clippy::disallowed_methods, reason = "a client of the emulator, for the test")]
async fn client(emu: &Emulator) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&emu.sdk_config(REGION).await)
}

async fn fresh(emu: &Emulator) -> (aws_sdk_dynamodb::Client, DynamoStore) {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let table = format!("bcm-store-{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let client = client(emu).await;
    create_table_if_missing(&client, &table).await.unwrap();
    let store = DynamoStore::new(client.clone(), table, options()).unwrap();
    (client, store)
}

async fn item(client: &aws_sdk_dynamodb::Client, table: &str, pk: &str, sk: &str) -> Option<AttributeValue> {
    let out = client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(pk.into()))
        .key("sk", AttributeValue::S(sk.into()))
        .send()
        .await
        .unwrap();
    out.item.map(AttributeValue::M)
}

#[tokio::test]
async fn a_missing_table_is_named_with_how_to_create_it() {
    let emu = emulator::exclusive().await;
    let store = DynamoStore::new(client(&emu).await, "bcm-nowhere", options()).unwrap();
    let err = store.check_table().await.unwrap_err().to_string();
    assert!(err.contains("`bcm-nowhere` does not exist") && err.contains("sk S range key"), "{err}");
    let err = store.get_state("x").await.unwrap_err().to_string();
    assert!(err.contains("reading flag") && err.contains("does not exist"), "{err}");
    let c = client(&emu).await;
    assert!(create_table_if_missing(&c, "bcm-made").await.unwrap());
    assert!(!create_table_if_missing(&c, "bcm-made").await.unwrap(), "a second call finds it");
    let ttl = c.describe_time_to_live().table_name("bcm-made").send().await.unwrap();
    assert_eq!(ttl.time_to_live_description.and_then(|d| d.attribute_name).as_deref(), Some("expires_at"));
}

#[tokio::test]
async fn minute_rows_expire_and_totals_do_not() {
    let emu = emulator::exclusive().await;
    let (c, store) = fresh(&emu).await;
    let b = batch(Source::CloudWatch, R, vec![], vec![priced(R, "m", 5, TokenType::Input, 10, "0.01")]);
    store.write(&b).await.unwrap();
    let ttl_of = |v: Option<AttributeValue>| {
        v.and_then(|i| i.as_m().ok().and_then(|m| m.get("expires_at").cloned()))
            .map(|n| n.as_n().unwrap().clone())
    };
    let line = item(&c, store.table(), "L#us-east-1#2026-03-01T10", "05#m").await;
    let want = (t(5) + Duration::days(35)).timestamp().to_string();
    assert_eq!(ttl_of(line).as_deref(), Some(want.as_str()), "minute + 35 days");
    let hour = item(&c, store.table(), "LR#us-east-1", "H2026-03-01T10#m").await;
    let want = (t(0) + Duration::days(400)).timestamp().to_string();
    assert_eq!(ttl_of(hour).as_deref(), Some(want.as_str()), "hour + 400 days");
    let total = item(&c, store.table(), "T", "L#us-east-1#m").await;
    assert!(total.is_some() && ttl_of(total).is_none(), "totals never expire");
}

/// A day-chunk goes in close to rows / 97 transactions; writing it again
/// reads but writes nothing.
#[tokio::test]
async fn rewriting_unchanged_minutes_costs_no_writes() {
    let emu = emulator::exclusive().await;
    let (_, store) = fresh(&emu).await;
    let minutes = 0..120u32;
    let lines = minutes
        .clone()
        .flat_map(|m| ["a", "b"].map(|id| priced(R, id, m, TokenType::Output, u64::from(m) + 1, "0.000015")));
    let points = minutes.flat_map(|m| ["a", "b"].map(|id| point(R, id, BedrockMetric::Invocations, m, 1.0)));
    let b = until(batch(Source::CloudWatch, R, points.collect(), lines.collect()), 120);
    let first = store.write(&b).await.unwrap();
    assert_eq!(first, WriteStats { points_inserted: 240, points_revised: 0, lines_written: 240 });
    let txns = store.usage().requests["TransactWriteItems"];
    assert!(txns <= 6, "480 rows in {txns} transactions");
    assert_eq!(store.write(&b).await.unwrap(), WriteStats::default());
    let after = store.usage();
    assert_eq!(after.requests["TransactWriteItems"], txns, "the re-write sent no transaction");
    store_contract::assert_totals_match_lines(&store).await;
}

/// Writers racing on the same minutes: each transaction is conditioned on the
/// versions it read, so a loser re-reads instead of adding its delta twice.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_writers_never_double_count() {
    let emu = emulator::exclusive().await;
    let (_, first) = fresh(&emu).await;
    let mut writers = vec![first.clone()];
    for _ in 0..3 {
        writers.push(DynamoStore::new(client(&emu).await, first.table(), options()).unwrap());
    }
    for round in 0..4u64 {
        let mut tasks = Vec::new();
        for (w, store) in writers.iter().enumerate() {
            let store = store.clone();
            let tokens = 1000 * (w as u64 + 1) + round;
            tasks.push(tokio::spawn(async move {
                let lines = (0..8).map(|m| priced(R, "m", m, TokenType::Input, tokens, "0.25")).collect();
                let points = vec![point(R, "m", BedrockMetric::Invocations, 0, tokens as f64)];
                store.write(&batch(Source::CloudWatch, R, points, lines)).await.unwrap()
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    }
    store_contract::assert_totals_match_lines(&first).await;
    let s = snapshot(&first).await;
    assert_eq!(s.lines.len(), 8);
    assert_eq!(s.metric_totals.len(), 1);
    assert_eq!(s.metric_totals[0].sum, s.points[0].sum, "the metric total is the one point's latest value");
}

/// Deterministically stale: A reads, its transaction is held back while B
/// commits the same row, so A's conditions fail and it must re-read.
#[tokio::test(flavor = "multi_thread")]
async fn a_stale_writer_re_reads_instead_of_counting_twice() {
    let emu = emulator::exclusive().await;
    let (_, a) = fresh(&emu).await;
    let b = DynamoStore::new(client(&emu).await, a.table(), options()).unwrap();
    let line = |tokens| priced(R, "m", 0, TokenType::Input, tokens, "0.5");
    let write = move |tokens| batch(Source::CloudWatch, R, vec![], vec![line(tokens)]);
    a.write(&write(1)).await.unwrap();
    let hold = Fault::new("dynamodb", FaultKind::Latency(std::time::Duration::from_millis(800)));
    emu.inject_fault(&hold.operation("TransactWriteItems").count(1)).await.unwrap();
    let slow = tokio::spawn({
        let a = a.clone();
        async move { a.write(&write(2)).await.unwrap() }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    b.write(&write(3)).await.unwrap();
    assert_eq!(slow.await.unwrap(), WriteStats { lines_written: 1, ..WriteStats::default() });
    let statuses: Vec<u16> = (emu.requests(Some("dynamodb")).await.unwrap().iter())
        .filter(|r| r.operation == "TransactWriteItems")
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [200, 200, 400, 200], "A's stale transaction was refused, then retried");
    let (from, to) = store_contract::all_time();
    assert_eq!(a.cost_lines(from, to).await.unwrap(), vec![line(2)]);
    store_contract::assert_totals_match_lines(&a).await;
}

#[tokio::test]
async fn throttled_requests_are_retried_by_the_sdk() {
    let emu = emulator::exclusive().await;
    let (_, store) = fresh(&emu).await;
    let fault = Fault::new("dynamodb", FaultKind::Throttle).operation("TransactWriteItems").count(1);
    emu.inject_fault(&fault).await.unwrap();
    let b = batch(Source::CloudWatch, R, vec![], vec![priced(R, "m", 0, TokenType::Input, 1, "1")]);
    store.write(&b).await.unwrap();
    let statuses: Vec<u16> = emu
        .requests(Some("dynamodb"))
        .await
        .unwrap()
        .iter()
        .filter(|r| r.operation == "TransactWriteItems")
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [400, 200]);
    assert_eq!(first_total(&store).await, usd("1"));
}

async fn first_total(store: &DynamoStore) -> rust_decimal::Decimal {
    store.cost_totals().await.unwrap()[0].usd
}

#[tokio::test]
async fn values_dynamodb_would_refuse_are_refused_before_any_write() {
    let emu = emulator::exclusive().await;
    let (_, store) = fresh(&emu).await;
    let good = batch(Source::CloudWatch, R, vec![], vec![priced(R, "m", 0, TokenType::Input, 1, "1")]);
    store.write(&good).await.unwrap();
    let before = snapshot(&store).await;
    let huge = MinuteBatch {
        points: vec![point(R, "m", BedrockMetric::InvocationLatency, 1, 1e300)],
        ..batch(Source::CloudWatch, R, vec![], vec![priced(R, "m", 1, TokenType::Input, 2, "2")])
    };
    let err = store.write(&huge).await.unwrap_err().to_string();
    assert!(err.contains("metric sum") && err.contains("range"), "{err}");
    let mut old = priced(R, "m", 0, TokenType::Output, 3, "3");
    old.minute -= Duration::days(40);
    let err = store.write(&batch(Source::CloudWatch, R, vec![], vec![old])).await.unwrap_err().to_string();
    assert!(err.contains("too old to write"), "{err}");
    assert_eq!(snapshot(&store).await, before);
}

/// DynamoDB normalises numbers and moto keeps whatever text it was given;
/// either way they are read as numbers, exactly, and compared as numbers.
#[tokio::test]
async fn numbers_in_any_form_read_back_exactly() {
    let emu = emulator::exclusive().await;
    let (c, store) = fresh(&emu).await;
    let line = priced(R, "m", 0, TokenType::Input, 100, "0.0015");
    store
        .write(&batch(
            Source::CloudWatch,
            R,
            vec![],
            vec![line.clone(), unpriced(R, "x", 0, TokenType::Output, 7)],
        ))
        .await
        .unwrap();
    for (pk, sk, path, text) in [
        ("L#us-east-1#2026-03-01T10", "00#m", "l.#k.u", "1.50E-3"),
        ("L#us-east-1#2026-03-01T10", "00#m", "l.#k.n", "1.0E2"),
        ("T", "L#us-east-1#m", "m.#s.u", "15E-4"),
    ] {
        let names: &[(&str, &str)] =
            if pk == "T" { &[("#s", "model-of-m#input")] } else { &[("#k", "input")] };
        let mut update = c
            .update_item()
            .table_name(store.table())
            .key("pk", AttributeValue::S(pk.into()))
            .key("sk", AttributeValue::S(sk.into()))
            .update_expression(format!("SET {path} = :x"))
            .expression_attribute_values(":x", AttributeValue::N(text.into()));
        for (p, n) in names {
            update = update.expression_attribute_names(*p, *n);
        }
        update.send().await.unwrap();
    }
    let (from, to) = store_contract::all_time();
    assert_eq!(store.cost_lines(from, to).await.unwrap()[0], line);
    assert_eq!(first_total(&store).await, usd("0.0015"));
    let again = store.write(&batch(Source::CloudWatch, R, vec![], vec![line])).await.unwrap();
    assert_eq!(again, WriteStats::default(), "1.50E-3 is 0.0015: unchanged, not a revision");
}

/// `create-table` through the binary, against the emulator with dummy
/// credentials: creates the table `run` needs, then leaves it as it is.
#[tokio::test]
async fn create_table_makes_the_table_run_needs_and_is_idempotent() {
    let emu = emulator::exclusive().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("monitor.toml");
    let prices = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/prices.toml");
    std::fs::copy(prices, dir.path().join("prices.toml")).unwrap();
    let text = format!("[monitor]\nregions = [\"{REGION}\"]\n[store]\nkind = \"dynamodb\"\ndynamodb_table = \"trial-ledger\"\n");
    std::fs::write(&cfg, text).unwrap();
    let create = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_bedrock-cost-monitor"))
            .args(["create-table", "--config", cfg.to_str().unwrap()])
            .env("BCM_AWS_ENDPOINT_URL", emu.endpoint_url())
            .env("AWS_ACCESS_KEY_ID", "dummy")
            .env("AWS_SECRET_ACCESS_KEY", "dummy")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("BCM_CONFIG")
            .output()
            .unwrap()
    };
    let first = create();
    let out = String::from_utf8_lossy(&first.stdout);
    assert!(first.status.success(), "{out}{}", String::from_utf8_lossy(&first.stderr));
    assert!(out.contains("created DynamoDB table trial-ledger in us-west-2"), "{out}");
    let again = create();
    assert!(String::from_utf8_lossy(&again.stdout).contains("already exists"));
    let store = DynamoStore::new(client(&emu).await, "trial-ledger", options()).unwrap();
    store.check_table().await.expect("the table has the key schema and TTL the store checks");
}
