//! Contract of the logged requests (invocation logs) in the ledger: each
//! request ID is counted once however often it is written, sums per key are
//! exact over any window (whole days and partial ones alike), all-time sums
//! equal the sum of every request, objects marked read are known, and the
//! watermark only moves forward. Written against the trait, for every store.

use std::collections::BTreeMap;

use bedrock_cost_monitor::ledger::{DoneObject, RequestBatch, Store};
use bedrock_cost_monitor::records::{RequestCost, RequestPricing, RequestSum, RequestTokens, Source};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use super::{t, usd};

const R: &str = "us-east-1";

fn request(id: &str, minute: DateTime<Utc>, user: &str, cost: Option<&str>) -> RequestCost {
    RequestCost {
        request_id: id.into(),
        minute,
        region: R.into(),
        model_id: "global.anthropic.claude-sonnet-4-5-20250929-v1:0".into(),
        principal: "arn:aws:iam::111122223333:role/app".into(),
        dimensions: BTreeMap::from([("user_id".to_string(), user.to_string())]),
        tokens: RequestTokens { input: 100, output: 10, cache_write_1h: 5, ..RequestTokens::default() },
        pricing: match cost {
            Some(c) => RequestPricing::Priced {
                model: "claude-sonnet-4-5".into(),
                price_entry: "claude-sonnet-4-5:global:2025-09-29".into(),
                usd: usd(c),
                long_context: true,
                ttl_assumed: false,
            },
            None => RequestPricing::Unpriced { reason: "test".into() },
        },
    }
}

/// (user, priced) → (requests, input tokens, usd, long-context requests).
fn by_user(sums: &[RequestSum]) -> BTreeMap<(String, bool), (u64, u64, Decimal, u64)> {
    let mut out: BTreeMap<(String, bool), (u64, u64, Decimal, u64)> = BTreeMap::new();
    for s in sums {
        let e = out.entry((s.dimensions["user_id"].clone(), s.model.is_some())).or_default();
        e.0 += s.requests;
        e.1 += s.tokens.input;
        e.2 += s.usd;
        e.3 += s.long_context;
    }
    out
}

pub async fn requests_are_counted_once_and_sum_exactly(store: &dyn Store) {
    let next_day = t(0) + Duration::days(1);
    let first = RequestBatch::of(
        R,
        vec![
            request("a", t(0), "u-1", Some("0.0000001")),
            request("b", t(0), "u-1", Some("0.3")),
            request("c", t(61), "u-2", Some("1")),
            request("d", t(61), "u-2", None),
        ],
    );
    let stats = store.write_requests(&first).await.unwrap();
    assert_eq!((stats.added, stats.duplicates), (4, 0));
    let second = RequestBatch::of(
        R,
        vec![request("a", t(0), "u-1", Some("0.0000001")), request("e", next_day, "u-1", Some("2"))],
    );
    let stats = store.write_requests(&second).await.unwrap();
    assert_eq!((stats.added, stats.duplicates), (1, 1), "a re-delivered request is skipped");

    let want = BTreeMap::from([
        (("u-1".to_string(), true), (3, 300, usd("2.3000001"), 3)),
        (("u-2".to_string(), true), (1, 100, usd("1"), 1)),
        (("u-2".to_string(), false), (1, 100, Decimal::ZERO, 0)),
    ]);
    // Across a whole day and two partial ones, and all time.
    let window = store.request_sums(t(0), t(0) + Duration::days(2)).await.unwrap();
    assert_eq!(by_user(&window), want);
    assert!(window.iter().all(|s| s.minute == t(0)), "window sums are reported at its start");
    assert_eq!(by_user(&store.request_totals().await.unwrap()), want);
    // Half-open minutes: only c and d.
    let rows = store.request_rows(R, t(61), t(62)).await.unwrap();
    assert_eq!((rows.len(), rows.iter().map(|r| r.requests).sum::<u64>()), (2, 2), "{rows:?}");
    assert!(store.request_rows("eu-west-1", t(0), t(120)).await.unwrap().is_empty());
    let one_day = store.request_sums(t(0), t(0) + Duration::hours(1)).await.unwrap();
    assert_eq!(by_user(&one_day)[&("u-1".to_string(), true)].0, 2);

    let done = RequestBatch {
        object_done: Some(DoneObject { key: "AWSLogs/1/x.json.gz".into(), hour: t(0) }),
        watermark: Some(t(30)),
        ..RequestBatch::of(R, vec![])
    };
    store.write_requests(&done).await.unwrap();
    let keys = vec!["AWSLogs/1/x.json.gz".to_string(), "AWSLogs/1/y.json.gz".to_string()];
    let read = store.done_objects(R, &keys).await.unwrap();
    assert_eq!(read.into_iter().collect::<Vec<_>>(), vec![keys[0].clone()]);
    assert!(store.done_objects("eu-west-1", &keys).await.unwrap().is_empty());
    store
        .write_requests(&RequestBatch { watermark: Some(t(10)), ..RequestBatch::of(R, vec![]) })
        .await
        .unwrap();
    assert_eq!(store.watermark(Source::InvocationLogs, R).await.unwrap(), Some(t(30)));
}
