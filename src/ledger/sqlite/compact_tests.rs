//! Unit tests of the SQLite compaction's refusals and expiries; the
//! exactness of a long ledger through the job is `tests/it/store/compaction.rs`.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{Duration, TimeZone};
use rust_decimal::Decimal;

use super::*;
use crate::ledger::{CompactPlan, Outbox, OutboxEntry, Retention};
use crate::pricing::TokenType;
use crate::records::LinePricing;

fn at(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, h, m, 0).unwrap()
}

fn line(minute: DateTime<Utc>, usd: &str) -> CostLine {
    CostLine {
        region: "us-east-1".into(),
        model_id: "m".into(),
        minute,
        token_type: TokenType::Input,
        tokens: 7,
        pricing: LinePricing::Priced {
            model: "claude".into(),
            price_entry: "e".into(),
            usd: Decimal::from_str(usd).unwrap(),
        },
    }
}

fn batch(lines: Vec<CostLine>) -> MinuteBatch {
    MinuteBatch {
        source: Source::CloudWatch,
        region: "us-east-1".into(),
        points: vec![],
        lines,
        watermark: None,
    }
}

async fn write(store: &SqliteStore, lines: Vec<CostLine>) {
    store.write(&batch(lines)).await.unwrap();
}

/// Compacts everything before `before`, keeping Kolkata's days exact.
fn plan(before: DateTime<Utc>) -> CompactPlan {
    let keep = Retention { minutes: Duration::days(35), published_alerts: Duration::days(400) };
    CompactPlan::new(before + Duration::days(35), keep, [], vec![chrono_tz::Asia::Kolkata])
}

fn sql(store: &SqliteStore, text: &str) -> i64 {
    lock(&store.conn).unwrap().query_row(text, [], |r| r.get(0)).unwrap()
}

#[tokio::test]
async fn a_rollup_that_disagrees_stops_the_fold_and_keeps_every_minute() {
    let store = SqliteStore::open_in_memory().unwrap();
    write(&store, vec![line(at(1, 10, 0), "0.1"), line(at(1, 10, 1), "0.2")]).await;
    lock(&store.conn).unwrap().execute_batch("UPDATE cost_hours SET usd = '0.30000001'").unwrap();
    let err = store.compact(&plan(at(2, 0, 0))).await.unwrap_err();
    assert!(matches!(&err, StoreError::Corrupt { what: "hourly rollup", .. }), "{err}");
    assert!(err.to_string().contains("nothing of it was deleted"), "{err}");
    assert_eq!(sql(&store, "SELECT COUNT(*) FROM cost_lines"), 2);
    assert!(lock(&store.conn).unwrap().is_autocommit(), "the failed chunk rolled back");
}

#[tokio::test]
async fn a_sum_needing_a_folded_hours_minutes_fails_instead_of_undercounting() {
    let store = SqliteStore::open_in_memory().unwrap();
    write(&store, vec![line(at(1, 10, 0), "0.1"), line(at(1, 10, 40), "0.2"), line(at(1, 18, 40), "0.4")])
        .await;
    let report = store.compact(&plan(at(2, 0, 0))).await.unwrap().unwrap();
    assert_eq!((report.hours_folded, report.hours_kept, report.cost_lines), (1, 1, 2));
    // Whole hours still sum exactly from the rollup...
    let whole = store.cost_sums(at(1, 0, 0), at(2, 0, 0)).await.unwrap();
    assert_eq!(whole[0].usd, Decimal::from_str("0.7").unwrap());
    // ...and so does Kolkata's day, whose midnight (18:30 UTC) hour kept its minutes...
    let kolkata = store.cost_sums(at(1, 18, 30), at(2, 18, 30)).await.unwrap();
    assert_eq!(kolkata[0].usd, Decimal::from_str("0.4").unwrap());
    // ...but half of a folded hour cannot be summed: an error, never 0.
    let err = store.cost_sums(at(1, 10, 30), at(1, 12, 0)).await.unwrap_err().to_string();
    assert!(err.contains("compacted into its hourly rollup"), "{err}");
}

#[tokio::test]
async fn writes_before_the_horizon_are_refused_and_after_it_accepted() {
    let store = SqliteStore::open_in_memory().unwrap();
    write(&store, vec![line(at(1, 10, 0), "0.1")]).await;
    store.compact(&plan(at(2, 0, 0))).await.unwrap();
    let one = |m| batch(vec![line(m, "0.1")]);
    let err = store.write(&one(at(1, 23, 59))).await.unwrap_err().to_string();
    assert!(err.contains("compacted before 2026-03-02 00:00:00 UTC"), "{err}");
    store.write(&one(at(2, 0, 0))).await.unwrap();
    assert_eq!(store.cost_totals().await.unwrap()[0].usd, Decimal::from_str("0.2").unwrap());
}

#[tokio::test]
async fn published_alerts_and_request_ids_expire_and_pending_alerts_never() {
    let store = SqliteStore::open_in_memory().unwrap();
    let entry = |key: &str| OutboxEntry {
        dedupe_key: key.into(),
        kind: "budget".into(),
        created_at: at(1, 0, 0) - Duration::days(500),
        subject: "s".into(),
        body: "b".into(),
        attributes: BTreeMap::new(),
        group_id: "g".into(),
        attempts: 0,
        last_error: None,
        published_at: None,
        retry_at: None,
        uncertain: false,
        parked_at: None,
    };
    for key in ["old", "recent", "pending", "parked"] {
        assert!(store.claim_alert(&entry(key)).await.unwrap());
    }
    store.mark_alert_published("old", at(1, 0, 0) - Duration::days(450)).await.unwrap();
    store.mark_alert_published("recent", at(1, 0, 0) - Duration::days(10)).await.unwrap();
    store.park_alert("parked", "SNS: InvalidParameter", at(1, 0, 0) - Duration::days(450)).await.unwrap();
    let old_minute = at(1, 0, 0).timestamp();
    lock(&store.conn)
        .unwrap()
        .execute_batch(&format!(
            "INSERT INTO log_requests VALUES ('a', {old_minute}), ('b', {});",
            at(3, 0, 0).timestamp()
        ))
        .unwrap();
    let report = store.compact(&plan(at(2, 0, 0))).await.unwrap().unwrap();
    assert_eq!((report.alerts, report.request_ids), (2, 1), "published and parked alike");
    assert!(store.alert("old").await.unwrap().is_none());
    assert!(store.alert("parked").await.unwrap().is_none());
    assert!(store.alert("recent").await.unwrap().is_some());
    let pending = store.pending_alerts(at(3, 0, 0), 10).await.unwrap();
    assert_eq!(pending.len(), 1, "pending alerts are never deleted");
}

#[tokio::test]
async fn the_file_shrinks_after_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    for day in 1..=6 {
        let lines = (0..1440).map(|m| line(at(day, 0, 0) + Duration::minutes(m), "0.001")).collect();
        write(&store, lines).await;
    }
    let report = store.compact(&plan(at(6, 0, 0))).await.unwrap().unwrap();
    // Kolkata's midnight hour (18:00 UTC) keeps its 60 minutes each day.
    assert_eq!((report.cost_lines, report.hours_kept), (5 * (1440 - 60), 5));
    assert!(report.bytes_after * 2 < report.bytes_before, "{report:?}");
    let on_disk = std::fs::metadata(dir.path().join(FILE_NAME)).unwrap().len();
    assert_eq!(on_disk, report.bytes_after);
}

#[tokio::test]
async fn a_file_without_auto_vacuum_is_rewritten_once_and_shrinks() {
    let dir = tempfile::tempdir().unwrap();
    {
        // As a file created before incremental auto-vacuum was set.
        let conn = Connection::open(dir.path().join(FILE_NAME)).unwrap();
        conn.execute_batch("PRAGMA auto_vacuum = NONE; CREATE TABLE t (x INTEGER); DROP TABLE t;").unwrap();
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(sql(&store, "PRAGMA auto_vacuum"), 0);
    // Enough days that the minute rows outweigh the empty tables' pages.
    for day in 1..=10 {
        let lines = (0..1440).map(|m| line(at(day, 0, 0) + Duration::minutes(m), "0.001")).collect();
        write(&store, lines).await;
    }
    let report = store.compact(&plan(at(10, 0, 0))).await.unwrap().unwrap();
    assert!(report.bytes_after * 2 < report.bytes_before, "nine days of ten went: {report:?}");
    assert_eq!(sql(&store, "PRAGMA auto_vacuum"), 2, "incremental from now on");
}
