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

/// Two daemons on one host (here: in one process, so even the pid is
/// shared) without a configured `holder_id` are two replicas: one leads.
#[tokio::test]
async fn two_daemons_on_one_host_never_both_lead() {
    use std::sync::Arc;

    use bedrock_cost_monitor::clock::ManualClock;
    use chrono::TimeZone;

    use crate::helpers::daemon::{DaemonOptions, TestConfig, TestDaemon};

    let emu = emulator::exclusive().await;
    let dir = tempfile::tempdir().unwrap();
    let Shared::Config(store) = table(&emu, "ledger-one-host").await else { unreachable!("a table config") };
    let clock = Arc::new(ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap()));
    let mut daemons = Vec::new();
    for name in ["one", "two"] {
        let sub = dir.path().join(name);
        std::fs::create_dir_all(&sub).unwrap();
        let loaded = TestConfig::driven(&sub, emu.endpoint_url()).extra(&store).load();
        assert_eq!(loaded.config.replicas.holder_id, None, "the default identity is under test");
        daemons.push(TestDaemon::spawn(&emu, DaemonOptions::new(loaded, clock.clone())).await);
    }
    let [a, b] = [&daemons[0], &daemons[1]].map(|d| d.parts().leadership.clone());
    assert_ne!(a.holder, b.holder, "one identity per daemon");
    let prefix = format!("-{}-", std::process::id());
    assert!(a.holder.contains(&prefix) && b.holder.contains(&prefix), "{} / {}", a.holder, b.holder);
    assert!(a.renew().await && !b.renew().await, "the second waits: {} holds the lease", a.holder);
}
