//! The same re-price on the DynamoDB store in the emulator: the dry run
//! equals the apply and writes nothing; totals, hourly and daily rollups
//! equal the lines and shares the priced cost afterwards; the audit
//! records read back; the minute rows' expiry is the horizon.

use std::sync::Arc;

use bedrock_cost_monitor::clock::ManualClock;
use bedrock_cost_monitor::emulator::Emulator;
use bedrock_cost_monitor::ledger::dynamodb::{create_table_if_missing, DynamoOptions, DynamoStore};
use bedrock_cost_monitor::ledger::{RepriceStore, Store};
use bedrock_cost_monitor::pricing::PointPricer;
use bedrock_cost_monitor::reprice::{self, table_in_use, RepriceError, Request, Window};
use chrono::{DateTime, TimeZone, Utc};

use super::{assert_consistent, day, fixture, midnight, seed, usd, REGION};
use crate::helpers::emulator;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 4, 12, 0, 0).unwrap()
}

#[expect(clippy::disallowed_methods, reason = "a client of the emulator, for the test")]
async fn store(emu: &Emulator, clock_at: DateTime<Utc>) -> DynamoStore {
    let client = aws_sdk_dynamodb::Client::new(&emu.sdk_config("us-west-2").await);
    create_table_if_missing(&client, "bcm-reprice").await.unwrap();
    let options = DynamoOptions { clock: Arc::new(ManualClock::new(clock_at)), ..DynamoOptions::default() };
    let store = DynamoStore::new(client, "bcm-reprice", options).unwrap();
    store.check_table().await.unwrap();
    store
}

#[tokio::test]
async fn dry_run_equals_apply_on_dynamodb() {
    let emu = emulator::exclusive().await;
    let f = fixture(&["2026-03-01", "2026-03-02"], "", now()).await;
    let store = store(&emu, now()).await;
    seed(&store, &f.a, &f.days).await;
    table_in_use::record(&store, &f.b.price_table_sha256, "leader", now()).await.unwrap();
    let pricer = PointPricer::from_config(&f.b);
    let mut request = Request {
        window: Window { from: f.days[0], to: f.days[1] },
        apply: false,
        by: "finance@ops".into(),
        force: false,
        now: now(),
        table_sha256: f.b.price_table_sha256.clone(),
        pricer: &pricer,
        attribute_regions: vec![REGION.into()],
    };
    let (from, to) = (midnight(f.days[0]), midnight(day("2026-03-03")));
    let before = (store.cost_lines(from, to).await.unwrap(), store.cost_totals().await.unwrap());
    let dry = reprice::run(&store, &request).await.unwrap();
    assert_eq!((store.cost_lines(from, to).await.unwrap(), store.cost_totals().await.unwrap()), before);
    assert_eq!((dry.total().changed, dry.total().new_usd), (18, usd("35.7")));
    request.apply = true;
    let applied = reprice::run(&store, &request).await.unwrap();
    assert_eq!(applied.rows().collect::<Vec<_>>(), dry.rows().collect::<Vec<_>>());
    assert_consistent(&store, &f.days).await;
    let records = store.reprice_records().await.unwrap();
    assert_eq!(
        records.iter().map(|r| (r.day, r.lines)).collect::<Vec<_>>(),
        vec![(f.days[0], 9), (f.days[1], 9)]
    );
    request.apply = false;
    assert_eq!(reprice::run(&store, &request).await.unwrap().total().changed, 0);
}

#[tokio::test]
async fn minute_rows_near_their_expiry_are_not_repriced() {
    let emu = emulator::exclusive().await;
    let f = fixture(&["2026-03-01"], "", now()).await;
    seed(&store(&emu, now()).await, &f.a, &f.days).await;
    // 34 days on, the first day's rows are within a day of their 35-day expiry.
    let later = store(&emu, now() + chrono::Duration::days(34)).await;
    let pricer = PointPricer::from_config(&f.b);
    let request = Request {
        window: Window { from: f.days[0], to: f.days[0] },
        apply: false,
        by: "finance@ops".into(),
        force: false,
        now: now(),
        table_sha256: f.b.price_table_sha256.clone(),
        pricer: &pricer,
        attribute_regions: vec![],
    };
    match reprice::run(&later, &request).await {
        Err(RepriceError::BeforeHorizon { first, .. }) => assert_eq!(first, day("2026-03-05")),
        other => panic!("expected a refusal, got {other:?}"),
    }
}
