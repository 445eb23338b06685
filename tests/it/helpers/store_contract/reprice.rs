//! The re-price part of the store contract: a day's lines rewritten with
//! new pricing move their all-time totals, hourly and daily rollups with
//! them and leave the day's audit record; a rewrite is conditional on the
//! line still being stored as read. Run on SQLite and on DynamoDB.

use bedrock_cost_monitor::ledger::{
    LineChange, RepriceDay, RepriceRecord, RepriceStats, RepriceStore, Store,
};
use bedrock_cost_monitor::pricing::TokenType;
use bedrock_cost_monitor::records::{CostLine, CostTotal, LinePricing, Source};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;

use super::{all_time, assert_totals_match_lines, batch, priced, t, totals_of, unpriced, usd};

const R: &str = "us-east-1";

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
}

pub fn record(lines: usize) -> RepriceRecord {
    RepriceRecord {
        at: t(100),
        by: "ops@host".into(),
        from: Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(),
        to: Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap(),
        day: day(),
        table_before: Some("a".repeat(64)),
        table_after: "b".repeat(64),
        forced: false,
        lines,
        old_usd: usd("0.6"),
        new_usd: usd("0.99"),
        became_priced: 1,
        became_unpriced: 0,
    }
}

pub fn new_price(cost: &str) -> LinePricing {
    LinePricing::Priced {
        model: "sonnet".into(),
        price_entry: "sonnet:all:2026-03-01".into(),
        usd: usd(cost),
    }
}

fn sorted(mut v: Vec<CostTotal>) -> Vec<CostTotal> {
    v.sort_by(|a, b| {
        (&a.region, &a.model_id, &a.model, a.token_type).cmp(&(
            &b.region,
            &b.model_id,
            &b.model,
            b.token_type,
        ))
    });
    v
}

/// Rollups equal the lines: every hour of the day and the whole day.
async fn assert_rollups_match_lines(store: &dyn Store) {
    let start = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    for (from, to) in [(start, start + Duration::days(1)), (t(0), t(60)), (t(0), t(2))] {
        let lines = store.cost_lines(from, to).await.unwrap();
        assert_eq!(
            sorted(store.cost_sums(from, to).await.unwrap()),
            sorted(totals_of(&lines)),
            "[{from}, {to})"
        );
    }
}

pub fn seed() -> Vec<CostLine> {
    vec![
        priced(R, "a", 0, TokenType::Input, 1000, "0.3"),
        priced(R, "a", 1, TokenType::Output, 200, "0.3"),
        unpriced(R, "new", 1, TokenType::Input, 300),
        priced(R, "a", 90, TokenType::Input, 10, "0.001"),
    ]
}

/// Re-priced lines replace the old ones in lines, totals and rollups; the
/// record is kept; the same day again finds every line already done.
pub async fn a_day_is_repriced_with_its_totals_rollups_and_record<S: Store + RepriceStore>(store: &S) {
    let lines = seed();
    store.write(&batch(Source::CloudWatch, R, vec![], lines.clone())).await.unwrap();
    let changes = vec![
        LineChange { line: lines[0].clone(), pricing: new_price("0.33") },
        LineChange { line: lines[1].clone(), pricing: new_price("0.33") },
        LineChange { line: lines[2].clone(), pricing: new_price("0.33") },
    ];
    let day_batch = RepriceDay { changes: changes.clone(), record: record(3) };
    let stats = store.reprice_day(&day_batch).await.unwrap();
    assert_eq!(stats, RepriceStats { rewritten: 3, already: 0, stale: 0 });
    let (from, to) = all_time();
    let mut want: Vec<CostLine> = changes.iter().map(LineChange::repriced).collect();
    want.push(lines[3].clone());
    assert_eq!(store.cost_lines(from, to).await.unwrap(), want);
    let total: Decimal = store.cost_totals().await.unwrap().iter().map(|c| c.usd).sum();
    assert_eq!(total, usd("0.991"));
    assert!(
        store.cost_totals().await.unwrap().iter().all(|c| c.model.is_some()),
        "the unpriced series is gone"
    );
    assert_totals_match_lines(store).await;
    assert_rollups_match_lines(store).await;
    assert_eq!(store.reprice_records().await.unwrap(), vec![record(3)]);

    let again = store.reprice_day(&day_batch).await.unwrap();
    assert_eq!(again, RepriceStats { rewritten: 0, already: 3, stale: 0 }, "an interrupted run finishes");
    assert_eq!(store.cost_lines(from, to).await.unwrap(), want);
    assert_totals_match_lines(store).await;
    assert_rollups_match_lines(store).await;
}

/// A line the daemon re-wrote after it was read (a late datapoint) is not
/// overwritten with the stale tokens, and the day keeps no record.
pub async fn a_line_changed_since_read_is_not_overwritten<S: Store + RepriceStore>(store: &S) {
    let lines = seed();
    store.write(&batch(Source::CloudWatch, R, vec![], lines.clone())).await.unwrap();
    let late = priced(R, "a", 0, TokenType::Input, 1500, "0.45");
    store.write(&batch(Source::CloudWatch, R, vec![], vec![late.clone()])).await.unwrap();
    let changes = vec![LineChange { line: lines[0].clone(), pricing: new_price("0.33") }];
    let stats = store.reprice_day(&RepriceDay { changes, record: record(1) }).await.unwrap();
    assert_eq!(stats.stale, 1);
    assert_eq!(stats.rewritten, 0);
    let stored = store.cost_lines(t(0), t(1)).await.unwrap();
    assert_eq!(stored, vec![late], "the daemon's revision stands");
    assert!(store.reprice_records().await.unwrap().is_empty(), "no record for a day not done");
    assert_totals_match_lines(store).await;
    assert_rollups_match_lines(store).await;
}

/// Records come back oldest run first, days in order.
pub async fn records_are_listed_in_run_then_day_order<S: Store + RepriceStore>(store: &S) {
    let lines = seed();
    store.write(&batch(Source::CloudWatch, R, vec![], lines.clone())).await.unwrap();
    let mut later = record(0);
    later.at = t(200);
    let mut second_day = record(0);
    second_day.day = day().succ_opt().unwrap();
    for r in [later.clone(), second_day.clone(), record(0)] {
        store.reprice_day(&RepriceDay { changes: vec![], record: r }).await.unwrap();
    }
    assert_eq!(store.reprice_records().await.unwrap(), vec![record(0), second_day, later]);
}
