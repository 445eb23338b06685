use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Duration, TimeZone, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;

use super::super::{SqliteStore, FILE_NAME, SCHEMA_VERSION};
use crate::ledger::{RequestBatch, Store};
use crate::records::{RequestCost, RequestPricing, RequestTokens, Source};

fn t(m: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap() + Duration::minutes(m)
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn request(id: &str, m: i64, user: &str, usd: Option<&str>) -> RequestCost {
    RequestCost {
        request_id: id.into(),
        minute: t(m),
        region: "us-east-1".into(),
        model_id: "anthropic.claude-3-haiku-20240307-v1:0".into(),
        principal: "arn:aws:iam::111122223333:role/app".into(),
        dimensions: BTreeMap::from([("user_id".to_string(), user.to_string())]),
        tokens: RequestTokens { input: 100, output: 10, ..RequestTokens::default() },
        pricing: match usd {
            Some(usd) => RequestPricing::Priced {
                model: "claude-3-haiku".into(),
                price_entry: "claude-3-haiku:all:2024-03-13".into(),
                usd: d(usd),
                long_context: false,
                ttl_assumed: true,
            },
            None => RequestPricing::Unpriced { reason: "unknown model".into() },
        },
    }
}

fn batch(requests: Vec<RequestCost>) -> RequestBatch {
    RequestBatch::of("us-east-1", requests)
}

#[tokio::test]
async fn each_request_id_is_added_once_and_sums_stay_exact() {
    let store = SqliteStore::open_in_memory().unwrap();
    let first = batch(vec![request("a", 0, "u-1", Some("0.0000001")), request("b", 0, "u-1", Some("0.3"))]);
    let stats = store.write_requests(&first).await.unwrap();
    assert_eq!((stats.added, stats.duplicates), (2, 0));
    // Re-delivered "a", a new "c" of another user, an unpriced "d".
    let second = batch(vec![
        request("a", 0, "u-1", Some("0.0000001")),
        request("c", 1, "u-2", Some("1")),
        request("d", 1, "u-2", None),
    ]);
    let stats = store.write_requests(&second).await.unwrap();
    assert_eq!((stats.added, stats.duplicates), (2, 1));

    let sums = store.request_sums(t(0), t(60)).await.unwrap();
    let by = |user: &str, priced: bool| {
        sums.iter()
            .find(|s| s.dimensions["user_id"] == user && s.model.is_some() == priced)
            .map(|s| (s.requests, s.tokens.input, s.usd, s.ttl_assumed))
    };
    assert_eq!(by("u-1", true), Some((2, 200, d("0.3000001"), 2)));
    assert_eq!(by("u-2", true), Some((1, 100, d("1"), 1)));
    assert_eq!(by("u-2", false), Some((1, 100, Decimal::ZERO, 0)), "unpriced: tokens kept, no dollars");
    let rows = store.request_rows("us-east-1", t(1), t(2)).await.unwrap();
    assert_eq!(rows.len(), 2, "minute 1 only: {rows:?}");
    // The all-time rows sum every minute, and only they have the epoch as minute.
    let totals = store.request_totals().await.unwrap();
    assert_eq!(totals.len(), 3);
    assert!(totals.iter().all(|t| t.minute == DateTime::UNIX_EPOCH));
    assert_eq!(totals.iter().map(|t| t.usd).sum::<Decimal>(), d("1.3000001"));
    assert_eq!(totals.iter().map(|t| t.requests).sum::<u64>(), 4);
}

#[tokio::test]
async fn a_refused_batch_leaves_no_trace_and_the_watermark_only_moves_forward() {
    let store = SqliteStore::open_in_memory().unwrap();
    let twice = batch(vec![request("a", 0, "u-1", Some("1")), request("a", 0, "u-1", Some("1"))]);
    assert!(store.write_requests(&twice).await.is_err());
    let mut west = request("w", 0, "u-1", Some("1"));
    west.region = "us-west-2".into();
    assert!(store.write_requests(&batch(vec![west])).await.is_err());
    assert!(store.request_sums(t(0), t(60)).await.unwrap().is_empty());

    for until in [t(15), t(5)] {
        let moved = RequestBatch { watermark: Some(until), ..batch(vec![]) };
        store.write_requests(&moved).await.unwrap();
    }
    assert_eq!(store.watermark(Source::InvocationLogs, "us-east-1").await.unwrap(), Some(t(15)));
}

#[tokio::test]
async fn forgotten_ids_are_those_before_the_horizon() {
    let store = SqliteStore::open_in_memory().unwrap();
    let old_and_new = batch(vec![request("old", 0, "u-1", Some("1")), request("new", 30, "u-1", Some("1"))]);
    store.write_requests(&old_and_new).await.unwrap();
    let forget = RequestBatch { forget_before: Some(t(10)), ..batch(vec![]) };
    store.write_requests(&forget).await.unwrap();
    // "new" is still known; "old" could be counted again, which is why the
    // job forgets only a day behind the oldest minute it re-reads.
    let again = store.write_requests(&batch(vec![request("new", 30, "u-1", Some("1"))])).await.unwrap();
    assert_eq!(again.duplicates, 1);
    let ids: i64 =
        store.conn.lock().unwrap().query_row("SELECT COUNT(*) FROM log_requests", [], |r| r.get(0)).unwrap();
    assert_eq!(ids, 1);
}

#[tokio::test]
async fn a_version_2_ledger_gains_the_request_tables() {
    let dir = tempfile::tempdir().unwrap();
    {
        let conn = Connection::open(dir.path().join(FILE_NAME)).unwrap();
        conn.execute_batch(super::super::schema::SCHEMA_V1).unwrap();
        conn.execute_batch(super::super::schema::SCHEMA_V2).unwrap();
        conn.pragma_update(None, "user_version", 2).unwrap();
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    store.write_requests(&batch(vec![request("a", 0, "u-1", Some("2"))])).await.unwrap();
    assert_eq!(store.request_sums(t(0), t(1)).await.unwrap()[0].usd, d("2"));
    let version: i64 =
        store.conn.lock().unwrap().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}
