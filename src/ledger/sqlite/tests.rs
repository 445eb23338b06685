//! Unit tests of what only the SQLite store has: the file, its schema
//! version, corrupt values and lock recovery. The behaviour every store
//! shares is in `tests/it/helpers/store_contract.rs`, run on each store.

#![allow(clippy::disallowed_methods, reason = "the lock-recovery test panics on a thread of its own")]

use std::str::FromStr;

use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;

use super::*;
use crate::bedrock::BedrockMetric;
use crate::pricing::TokenType;
use crate::records::LinePricing;

fn minute(m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 10, m, 0).unwrap()
}

fn batch(tokens: u64, usd: &str) -> MinuteBatch {
    MinuteBatch {
        source: Source::CloudWatch,
        region: "us-east-1".into(),
        points: vec![MetricPoint {
            region: "us-east-1".into(),
            model_id: "m".into(),
            metric: BedrockMetric::Invocations,
            minute: minute(0),
            sum: 3.0,
            count: None,
        }],
        lines: vec![CostLine {
            region: "us-east-1".into(),
            model_id: "m".into(),
            minute: minute(0),
            token_type: TokenType::Input,
            tokens,
            pricing: LinePricing::Priced {
                model: "claude".into(),
                price_entry: "claude:all:2025".into(),
                usd: Decimal::from_str(usd).unwrap(),
            },
        }],
        watermark: Some(minute(1)),
    }
}

#[tokio::test]
async fn file_store_is_wal_and_versioned() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("nested/data")).unwrap();
    assert_eq!(store.path().unwrap().file_name().unwrap(), FILE_NAME);
    let conn = lock(&store.conn).unwrap();
    let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!((mode.as_str(), version), ("wal", SCHEMA_VERSION));
}

#[test]
fn newer_schema_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path()).unwrap());
    let conn = Connection::open(dir.path().join(FILE_NAME)).unwrap();
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
    drop(conn);
    let err = SqliteStore::open(dir.path()).unwrap_err().to_string();
    assert!(err.contains("newer than this build supports"), "{err}");
}

#[tokio::test]
async fn unreadable_money_is_corrupt_not_zero() {
    let store = SqliteStore::open_in_memory().unwrap();
    store.write(&batch(10, "0.5")).await.unwrap();
    lock(&store.conn).unwrap().execute_batch("UPDATE cost_minutes SET usd = 'half'").unwrap();
    let err = store.cost_lines(minute(0), minute(1)).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { what: "usd amount", .. }), "{err}");
    // The total is still readable: it was never computed from the lines.
    assert_eq!(store.cost_totals().await.unwrap()[0].usd, Decimal::from_str("0.5").unwrap());
}

#[tokio::test]
async fn a_panic_holding_the_lock_leaves_no_half_transaction() {
    let store = SqliteStore::open_in_memory().unwrap();
    let conn = Arc::clone(&store.conn);
    let crashed = std::thread::spawn(move || {
        let guard = conn.lock().unwrap();
        guard.execute_batch("BEGIN; DELETE FROM watermarks;").unwrap();
        panic!("simulated crash mid-transaction");
    })
    .join();
    assert!(crashed.is_err());
    assert!(store.conn.is_poisoned());
    store.write(&batch(10, "0.5")).await.unwrap();
    assert_eq!(store.watermark(Source::CloudWatch, "us-east-1").await.unwrap(), Some(minute(1)));
    assert!(!store.conn.is_poisoned());
}

#[tokio::test]
async fn a_refused_record_rolls_back_the_whole_batch() {
    let store = SqliteStore::open_in_memory().unwrap();
    let mut bad = batch(10, "0.5");
    bad.lines.push(CostLine { minute: minute(2) + chrono::Duration::seconds(30), ..bad.lines[0].clone() });
    let err = store.write(&bad).await.unwrap_err();
    assert!(err.to_string().contains("not the start of a minute"), "{err}");
    assert_eq!(store.watermark(Source::CloudWatch, "us-east-1").await.unwrap(), None);
    assert!(store.cost_totals().await.unwrap().is_empty());
    assert!(store.metric_points(minute(0), minute(5)).await.unwrap().is_empty());
}

#[tokio::test]
async fn non_finite_metric_values_are_refused() {
    let store = SqliteStore::open_in_memory().unwrap();
    let mut bad = batch(10, "0.5");
    bad.points[0].sum = f64::NAN;
    assert!(store.write(&bad).await.is_err());
    assert!(store.metric_totals().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_version_1_ledger_is_upgraded_with_its_hourly_rollup() {
    let dir = tempfile::tempdir().unwrap();
    {
        let conn = Connection::open(dir.path().join(FILE_NAME)).unwrap();
        conn.execute_batch(super::schema::SCHEMA_V1).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        for (m, tokens, usd) in [(0, 100, "0.1"), (59, 200, "0.2000001")] {
            conn.execute(
                "INSERT INTO cost_lines VALUES ('us-east-1', 'm', ?1, 'input', ?2, 'claude', 'claude:all:2025', ?3, NULL)",
                rusqlite::params![minute(0).timestamp() + m * 60, tokens, usd],
            )
            .unwrap();
        }
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    let hour = minute(0);
    let sums = store.cost_sums(hour, hour + chrono::Duration::hours(1)).await.unwrap();
    assert_eq!(sums.len(), 1);
    assert_eq!((sums[0].tokens, sums[0].usd), (300, Decimal::from_str("0.3000001").unwrap()));
    let conn = store.conn.lock().unwrap();
    let rows: i64 = conn.query_row("SELECT COUNT(*) FROM cost_hours", [], |r| r.get(0)).unwrap();
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!((rows, version), (1, SCHEMA_VERSION), "the sum came from the rebuilt rollup");
}

#[tokio::test]
async fn a_version_5_ledger_is_rekeyed_to_names_with_every_row_and_digit() {
    let dir = tempfile::tempdir().unwrap();
    let mut unpriced = batch(7, "0");
    unpriced.lines[0].model_id = "unknown".into();
    unpriced.lines[0].pricing = LinePricing::Unpriced { reason: "no price entry".into() };
    unpriced.points[0].count = Some(2.0);
    {
        let conn = Connection::open(dir.path().join(FILE_NAME)).unwrap();
        for ddl in
            [schema::SCHEMA_V1, schema::SCHEMA_V2, schema::SCHEMA_V3, schema::SCHEMA_V4, schema::SCHEMA_V5]
        {
            conn.execute_batch(ddl).unwrap();
        }
        let t = minute(0).timestamp();
        conn.execute_batch(&format!(
            "INSERT INTO cost_lines VALUES ('us-east-1', 'm', {t}, 'input', 10, 'claude', 'claude:all:2025', '0.1234567890123456789', NULL);
             INSERT INTO cost_lines VALUES ('us-east-1', 'unknown', {t}, 'input', 7, NULL, NULL, NULL, 'no price entry');
             INSERT INTO metric_points VALUES ('cloudwatch', 'us-east-1', 'm', 'invocations', {t}, 3.0, NULL);
             INSERT INTO metric_points VALUES ('cloudwatch', 'us-east-1', 'unknown', 'invocations', {t}, 3.0, 2.0);"
        ))
        .unwrap();
        conn.pragma_update(None, "user_version", 5).unwrap();
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    let mut expected = batch(10, "0.1234567890123456789");
    expected.lines.push(unpriced.lines[0].clone());
    expected.points[0].model_id = "m".into();
    unpriced.points[0].model_id = "unknown".into();
    expected.points.push(unpriced.points[0].clone());
    assert_eq!(store.cost_lines(minute(0), minute(1)).await.unwrap(), expected.lines);
    assert_eq!(store.metric_points(minute(0), minute(1)).await.unwrap(), expected.points);
    // The migrated ids are the ones a write looks up: the same rows again change nothing.
    let stats = store.write(&expected).await.unwrap();
    assert_eq!(stats, WriteStats::default());
    assert!(dir.path().join(format!("{FILE_NAME}.v5.bak")).exists(), "the old file is copied aside first");
}

#[tokio::test]
async fn released_cache_is_read_again_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    store.write(&batch(10, "0.5")).await.unwrap();
    let before = store.cost_totals().await.unwrap();
    store.release_memory().await.unwrap();
    assert_eq!(store.cost_totals().await.unwrap(), before);
    // Between two writes too: the second still adds to the first.
    store.release_memory().await.unwrap();
    let mut second = batch(5, "0.25");
    second.lines[0].minute = minute(1);
    second.points[0].minute = minute(1);
    second.watermark = Some(minute(2));
    store.write(&second).await.unwrap();
    assert_eq!(store.cost_totals().await.unwrap()[0].usd, Decimal::from_str("0.75").unwrap());
}
