//! The ledger `Store` contract (`helpers::store_contract`) run on the SQLite
//! store, each test on a fresh ledger file in its own temporary directory.
//! Owns only the wiring; the behaviour under test is in the contract.

#![allow(clippy::disallowed_methods, reason = "the property test drives the store from a blocking thread")]

use std::sync::Arc;

use bedrock_cost_monitor::ledger::sqlite::SqliteStore;
use bedrock_cost_monitor::ledger::Store;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tempfile::TempDir;

use crate::helpers::store_contract;

/// A store in a fresh directory; keep the `TempDir` alive as long as the store.
fn fresh() -> (TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    (dir, store)
}

#[tokio::test]
async fn rewrite_is_idempotent() {
    let (_dir, store) = fresh();
    store_contract::rewrite_is_idempotent(&store).await;
}

#[tokio::test]
async fn late_revision_replaces() {
    let (_dir, store) = fresh();
    store_contract::late_revision_replaces(&store).await;
}

#[tokio::test]
async fn watermark_is_monotonic() {
    let (_dir, store) = fresh();
    store_contract::watermark_is_monotonic(&store).await;
}

#[tokio::test]
async fn regions_and_sources_are_independent() {
    let (_dir, store) = fresh();
    store_contract::regions_and_sources_are_independent(&store).await;
}

#[tokio::test]
async fn unpriced_is_kept_with_its_model_id() {
    let (_dir, store) = fresh();
    store_contract::unpriced_is_kept_with_its_model_id(&store).await;
}

#[tokio::test]
async fn ranges_are_half_open_and_ordered() {
    let (_dir, store) = fresh();
    store_contract::ranges_are_half_open_and_ordered(&store).await;
}

#[tokio::test]
async fn failed_batch_writes_nothing() {
    let (_dir, store) = fresh();
    store_contract::failed_batch_writes_nothing(&store).await;
}

#[tokio::test]
async fn calls_replace_their_window() {
    let (_dir, store) = fresh();
    store_contract::calls::calls_replace_their_window(&store).await;
}

#[tokio::test]
async fn refused_call_batch_writes_nothing() {
    let (_dir, store) = fresh();
    store_contract::calls::refused_call_batch_writes_nothing(&store).await;
}

#[tokio::test]
async fn shares_replace_their_window_and_sum_exactly() {
    let (_dir, store) = fresh();
    store_contract::calls::shares_replace_their_window_and_sum_exactly(&store).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn alerts_are_claimed_once_and_stay_pending_until_published() {
    let (_dir, store) = fresh();
    store_contract::coord::alerts_are_claimed_once_and_stay_pending_until_published(Arc::new(store)).await;
}

#[tokio::test]
async fn failed_alerts_back_off_and_parked_ones_leave_the_queue() {
    let (_dir, store) = fresh();
    store_contract::coord::failed_alerts_back_off_and_parked_ones_leave_the_queue(&store).await;
}

#[tokio::test]
async fn a_deposed_leaders_writes_are_refused() {
    let (_dir, store) = fresh();
    store_contract::coord::a_deposed_leaders_writes_are_refused(&store).await;
}

#[tokio::test]
async fn lease_has_one_holder_and_passes_on_expiry() {
    let (_dir, store) = fresh();
    store_contract::coord::lease_has_one_holder_and_passes_on_expiry(&store).await;
}

#[tokio::test]
async fn statuses_are_replaced_whole_and_flags_kept() {
    let (_dir, store) = fresh();
    store_contract::coord::statuses_are_replaced_whole_and_flags_kept(&store).await;
}

#[tokio::test]
async fn persists_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data");
    store_contract::persists_across_reopen(|| {
        let path = path.clone();
        async move { Box::new(SqliteStore::open(&path).unwrap()) as Box<dyn Store> }
    })
    .await;
}

/// A few dozen random overlapping batches per case. Runs proptest on a
/// blocking thread so each case can `block_on` the async store calls on this
/// test's runtime (and still shrink on failure).
#[tokio::test(flavor = "multi_thread")]
async fn totals_always_equal_the_latest_lines() {
    let handle = tokio::runtime::Handle::current();
    let outcome = tokio::task::spawn_blocking(move || {
        let mut runner = TestRunner::new(Config { cases: 32, ..Config::default() });
        let batches = prop::collection::vec(store_contract::property::arb_batch(), 1..40);
        runner
            .run(&batches, |batches| {
                let (_dir, store) = fresh();
                handle.block_on(store_contract::property::totals_follow_latest_lines(&store, &batches));
                Ok(())
            })
            .map_err(|e| e.to_string())
    })
    .await
    .unwrap();
    if let Err(e) = outcome {
        panic!("{e}");
    }
}

#[tokio::test]
async fn requests_are_counted_once_and_sum_exactly() {
    let (_dir, store) = fresh();
    store_contract::requests::requests_are_counted_once_and_sum_exactly(&store).await;
}

#[tokio::test]
async fn a_day_is_repriced_with_its_totals_rollups_and_record() {
    let (_dir, store) = fresh();
    store_contract::reprice::a_day_is_repriced_with_its_totals_rollups_and_record(&store).await;
}

#[tokio::test]
async fn a_line_changed_since_read_is_not_overwritten() {
    let (_dir, store) = fresh();
    store_contract::reprice::a_line_changed_since_read_is_not_overwritten(&store).await;
}

#[tokio::test]
async fn reprice_records_are_listed_in_run_then_day_order() {
    let (_dir, store) = fresh();
    store_contract::reprice::records_are_listed_in_run_then_day_order(&store).await;
}

/// SQLite re-prices a day in one transaction: one stale line, and nothing of the day changes.
#[tokio::test]
async fn a_stale_line_rolls_the_whole_day_back() {
    use bedrock_cost_monitor::ledger::{LineChange, RepriceDay, RepriceStore};
    use bedrock_cost_monitor::pricing::TokenType;
    use bedrock_cost_monitor::records::Source;
    use store_contract::reprice::{new_price, record, seed};

    let (_dir, store) = fresh();
    let lines = seed();
    store
        .write(&store_contract::batch(Source::CloudWatch, "us-east-1", vec![], lines.clone()))
        .await
        .unwrap();
    let late = store_contract::priced("us-east-1", "a", 1, TokenType::Output, 250, "0.4");
    store.write(&store_contract::batch(Source::CloudWatch, "us-east-1", vec![], vec![late])).await.unwrap();
    let before = store_contract::snapshot(&store).await;
    let changes = lines.iter().map(|l| LineChange { line: l.clone(), pricing: new_price("1") }).collect();
    let stats = store.reprice_day(&RepriceDay { changes, record: record(4) }).await.unwrap();
    assert_eq!((stats.rewritten, stats.stale), (0, 1));
    assert_eq!(store_contract::snapshot(&store).await, before, "the three fresh lines were rolled back too");
    assert!(store.reprice_records().await.unwrap().is_empty());
}

#[tokio::test]
async fn leases_are_listed_with_their_holders() {
    let (_dir, store) = fresh();
    store_contract::shards::leases_are_listed_with_their_holders(&store).await;
}
