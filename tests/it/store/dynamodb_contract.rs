//! The ledger `Store` contract (`helpers::store_contract`) run on the
//! DynamoDB store against moto through the emulator gateway, every test on a
//! table of its own in a freshly reset emulator. Owns only the wiring; the
//! behaviour under test is in the contract, the same functions
//! `store::sqlite` runs on SQLite.
//!
//! Needs `tests/emulator/setup.sh` to have been run once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bedrock_cost_monitor::clock::ManualClock;
use bedrock_cost_monitor::emulator::Emulator;
use bedrock_cost_monitor::ledger::dynamodb::{create_table_if_missing, DynamoOptions, DynamoStore};
use bedrock_cost_monitor::ledger::Store;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::helpers::{emulator, store_contract};

const REGION: &str = "us-west-2";

/// Options as in production, with the clock at the contract's data (March
/// 2026), so its minutes are recent enough to write.
fn options() -> DynamoOptions {
    DynamoOptions { clock: Arc::new(ManualClock::new(store_contract::t(120))), ..DynamoOptions::default() }
}

#[expect(clippy::disallowed_methods, reason = "a client of the emulator, for the test")]
async fn client(emu: &Emulator) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&emu.sdk_config(REGION).await)
}

/// A new, empty table and a store over it.
async fn fresh(emu: &Emulator) -> DynamoStore {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let table = format!("bcm-ledger-{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let client = client(emu).await;
    assert!(create_table_if_missing(&client, &table).await.unwrap(), "the table is new");
    let store = DynamoStore::new(client, table, options()).unwrap();
    store.check_table().await.unwrap();
    store
}

#[tokio::test]
async fn rewrite_is_idempotent() {
    let emu = emulator::exclusive().await;
    store_contract::rewrite_is_idempotent(&fresh(&emu).await).await;
}

#[tokio::test]
async fn late_revision_replaces() {
    let emu = emulator::exclusive().await;
    store_contract::late_revision_replaces(&fresh(&emu).await).await;
}

#[tokio::test]
async fn watermark_is_monotonic() {
    let emu = emulator::exclusive().await;
    store_contract::watermark_is_monotonic(&fresh(&emu).await).await;
}

#[tokio::test]
async fn regions_and_sources_are_independent() {
    let emu = emulator::exclusive().await;
    store_contract::regions_and_sources_are_independent(&fresh(&emu).await).await;
}

#[tokio::test]
async fn unpriced_is_kept_with_its_model_id() {
    let emu = emulator::exclusive().await;
    store_contract::unpriced_is_kept_with_its_model_id(&fresh(&emu).await).await;
}

#[tokio::test]
async fn ranges_are_half_open_and_ordered() {
    let emu = emulator::exclusive().await;
    store_contract::ranges_are_half_open_and_ordered(&fresh(&emu).await).await;
}

#[tokio::test]
async fn failed_batch_writes_nothing() {
    let emu = emulator::exclusive().await;
    store_contract::failed_batch_writes_nothing(&fresh(&emu).await).await;
}

#[tokio::test]
async fn calls_replace_their_window() {
    let emu = emulator::exclusive().await;
    store_contract::calls::calls_replace_their_window(&fresh(&emu).await).await;
}

#[tokio::test]
async fn refused_call_batch_writes_nothing() {
    let emu = emulator::exclusive().await;
    store_contract::calls::refused_call_batch_writes_nothing(&fresh(&emu).await).await;
}

#[tokio::test]
async fn shares_replace_their_window_and_sum_exactly() {
    let emu = emulator::exclusive().await;
    store_contract::calls::shares_replace_their_window_and_sum_exactly(&fresh(&emu).await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn alerts_are_claimed_once_and_stay_pending_until_published() {
    let emu = emulator::exclusive().await;
    let store = fresh(&emu).await;
    store_contract::coord::alerts_are_claimed_once_and_stay_pending_until_published(Arc::new(store)).await;
}

#[tokio::test]
async fn failed_alerts_back_off_and_parked_ones_leave_the_queue() {
    let emu = emulator::exclusive().await;
    store_contract::coord::failed_alerts_back_off_and_parked_ones_leave_the_queue(&fresh(&emu).await).await;
}

#[tokio::test]
async fn a_deposed_leaders_writes_are_refused() {
    let emu = emulator::exclusive().await;
    store_contract::coord::a_deposed_leaders_writes_are_refused(&fresh(&emu).await).await;
}

#[tokio::test]
async fn lease_has_one_holder_and_passes_on_expiry() {
    let emu = emulator::exclusive().await;
    store_contract::coord::lease_has_one_holder_and_passes_on_expiry(&fresh(&emu).await).await;
}

#[tokio::test]
async fn statuses_are_replaced_whole_and_flags_kept() {
    let emu = emulator::exclusive().await;
    store_contract::coord::statuses_are_replaced_whole_and_flags_kept(&fresh(&emu).await).await;
}

/// A new `DynamoStore` (new client too) over the same table each time.
#[tokio::test]
async fn persists_across_reopen() {
    let emu = emulator::exclusive().await;
    let table = fresh(&emu).await.table().to_string();
    let emu = &emu;
    store_contract::persists_across_reopen(|| {
        let table = table.clone();
        async move { Box::new(DynamoStore::new(client(emu).await, table, options()).unwrap()) as Box<dyn Store> }
    })
    .await;
}

/// Random overlapping batches, as on SQLite but fewer cases (each batch is
/// checked with a few dozen requests to the emulator; set `PROPTEST_CASES`
/// for more). Each case gets its own table.
#[tokio::test(flavor = "multi_thread")]
async fn totals_always_equal_the_latest_lines() {
    let emu = emulator::exclusive().await;
    let handle = tokio::runtime::Handle::current();
    let outcome = tokio::task::block_in_place(|| {
        let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(8);
        let mut runner = TestRunner::new(Config { cases, ..Config::default() });
        let batches = prop::collection::vec(store_contract::property::arb_batch(), 1..40);
        runner
            .run(&batches, |batches| {
                handle.block_on(async {
                    let store = fresh(&emu).await;
                    store_contract::property::totals_follow_latest_lines(&store, &batches).await;
                });
                Ok(())
            })
            .map_err(|e| e.to_string())
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
}

#[tokio::test]
async fn requests_are_counted_once_and_sum_exactly() {
    let emu = emulator::exclusive().await;
    store_contract::requests::requests_are_counted_once_and_sum_exactly(&fresh(&emu).await).await;
}

#[tokio::test]
async fn a_day_is_repriced_with_its_totals_rollups_and_record() {
    let emu = emulator::exclusive().await;
    store_contract::reprice::a_day_is_repriced_with_its_totals_rollups_and_record(&fresh(&emu).await).await;
}

#[tokio::test]
async fn a_line_changed_since_read_is_not_overwritten() {
    let emu = emulator::exclusive().await;
    store_contract::reprice::a_line_changed_since_read_is_not_overwritten(&fresh(&emu).await).await;
}

#[tokio::test]
async fn reprice_records_are_listed_in_run_then_day_order() {
    let emu = emulator::exclusive().await;
    store_contract::reprice::records_are_listed_in_run_then_day_order(&fresh(&emu).await).await;
}

#[tokio::test]
async fn leases_are_listed_with_their_holders() {
    let emu = emulator::exclusive().await;
    store_contract::shards::leases_are_listed_with_their_holders(&fresh(&emu).await).await;
}

#[tokio::test]
async fn a_deposed_shard_owners_writes_are_refused() {
    let emu = emulator::exclusive().await;
    store_contract::shard_fence::a_deposed_shard_owners_writes_are_refused(&fresh(&emu).await).await;
}
