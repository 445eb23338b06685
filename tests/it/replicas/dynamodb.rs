//! The replica scenarios of `replicas::sqlite` with `store.kind = "dynamodb"`:
//! every replica opens the same table in the emulator from its own
//! configuration, exactly as the sidecars of an ECS service do.

use bedrock_cost_monitor::emulator::Emulator;
use bedrock_cost_monitor::ledger::dynamodb::create_table_if_missing;

use super::scenarios::{self, Shared};
use crate::helpers::emulator;

/// A fresh table and the `[store]` section that points at it.
async fn table(emu: &Emulator, name: &str) -> Shared {
    #[expect(clippy::disallowed_methods, reason = "creates the shared table on the emulator")]
    let client = aws_sdk_dynamodb::Client::new(&emu.sdk_config("us-east-1").await);
    assert!(create_table_if_missing(&client, name).await.unwrap(), "a new table");
    Shared::Config(format!(
        "[store]\nkind = \"dynamodb\"\ndynamodb_table = \"{name}\"\ndynamodb_region = \"us-east-1\"\n"
    ))
}

#[tokio::test]
async fn one_publisher_failover_and_one_message_per_crossing() {
    let emu = emulator::exclusive().await;
    let dir = tempfile::tempdir().unwrap();
    let shared = table(&emu, "ledger-failover").await;
    scenarios::one_publisher_failover_and_one_message_per_crossing(&emu, shared, dir.path(), 20).await;
}

#[tokio::test]
async fn a_dead_leader_is_replaced_within_two_lease_periods() {
    let emu = emulator::exclusive().await;
    let dir = tempfile::tempdir().unwrap();
    let shared = table(&emu, "ledger-lease").await;
    scenarios::a_dead_leader_is_replaced_within_two_lease_periods(&emu, shared, dir.path()).await;
}
