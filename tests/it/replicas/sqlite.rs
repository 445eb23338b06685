//! Several replicas on one shared store (what three ECS tasks with three
//! sidecars are): only the lease holder polls and publishes, the others
//! serve the statuses it wrote; when it dies another takes over within two
//! lease periods, and every crossing is still published exactly once.
//!
//! The store is shared in-process here (a SQLite file behind one handle);
//! `replicas::dynamodb` runs the same scenarios with every replica opening
//! one DynamoDB table from its configuration, as ECS tasks do.

use std::sync::Arc;

use bedrock_cost_monitor::ledger::sqlite::SqliteStore;
use bedrock_cost_monitor::ledger::Backend;

use super::scenarios::{self, Shared};
use crate::helpers::emulator;

fn shared_sqlite(dir: &std::path::Path) -> Arc<dyn Backend> {
    Arc::new(SqliteStore::open(dir).unwrap())
}

#[tokio::test]
async fn one_publisher_failover_and_one_message_per_crossing() {
    let emu = emulator::exclusive().await;
    let dir = tempfile::tempdir().unwrap();
    let store = shared_sqlite(dir.path());
    scenarios::one_publisher_failover_and_one_message_per_crossing(
        &emu,
        Shared::Handle(store),
        dir.path(),
        120,
    )
    .await;
}

#[tokio::test]
async fn a_dead_leader_is_replaced_within_two_lease_periods() {
    let emu = emulator::exclusive().await;
    let dir = tempfile::tempdir().unwrap();
    let store = shared_sqlite(dir.path());
    scenarios::a_dead_leader_is_replaced_within_two_lease_periods(&emu, Shared::Handle(store), dir.path())
        .await;
}
