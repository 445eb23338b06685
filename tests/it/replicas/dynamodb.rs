//! The replica scenarios of `replicas::sqlite` with `store.kind = "dynamodb"`:
//! every replica opens the same table in the emulator from its own
//! configuration, exactly as the sidecars of an ECS service do.

use bedrock_cost_monitor::emulator::Emulator;
use bedrock_cost_monitor::ledger::dynamodb::create_table_if_missing;

use super::scenarios::{self, Shared};
use crate::helpers::emulator;

/// A fresh table and the `[store]` section that points at it.
pub(super) async fn table(emu: &Emulator, name: &str) -> Shared {
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

/// Every store call is bounded by half the lease, retries included: a store
/// that hangs fails the run instead of holding it past the lease.
#[tokio::test]
async fn a_hung_store_call_fails_within_half_the_lease() {
    use std::sync::Arc;
    use std::time::Duration as StdDuration;

    use bedrock_cost_monitor::clock::ManualClock;
    use bedrock_cost_monitor::emulator::{Fault, FaultKind};
    use chrono::TimeZone;

    use crate::helpers::daemon::{DaemonOptions, TestConfig, TestDaemon};

    let emu = emulator::exclusive().await;
    let dir = tempfile::tempdir().unwrap();
    let Shared::Config(store) = table(&emu, "ledger-hung").await else { unreachable!("a table config") };
    let loaded = TestConfig::driven(dir.path(), emu.endpoint_url())
        .extra(&format!("{store}\n[replicas]\nlease_secs = 6\nholder_id = \"task-a\"\n"))
        .load();
    let clock = Arc::new(ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap()));
    let daemon = TestDaemon::spawn(&emu, DaemonOptions::new(loaded, clock)).await;
    // Reads of the ledger now take 5 s: longer than 3 s, half the lease.
    let hung = Fault::new("dynamodb", FaultKind::Latency(StdDuration::from_secs(5))).operation("GetItem");
    emu.inject_fault(&hung).await.unwrap();
    let run = daemon.collect_usage().await;
    emu.clear_faults().await.unwrap();
    assert!(run.as_ref().is_err_and(|e| e.contains("timeout") || e.contains("timed out")), "{run:?}");
}

/// SIGTERM drains the runs in flight before the lease goes: while the last
/// run still writes, no other replica can take the lease; once the drain has
/// ended it is free at once.
#[tokio::test]
async fn the_lease_is_held_through_the_shutdown_drain_and_released_after_it() {
    use std::sync::Arc;
    use std::time::{Duration as StdDuration, Instant};

    use bedrock_cost_monitor::clock::{Clock, SystemClock};
    use bedrock_cost_monitor::emulator::{Fault, FaultKind};
    use bedrock_cost_monitor::ledger::dynamodb::{DynamoOptions, DynamoStore};
    use bedrock_cost_monitor::ledger::LeaseStore;
    use chrono::Duration;

    use crate::helpers::daemon::{DaemonOptions, TestConfig, TestDaemon};
    use crate::helpers::workload::{publish_all, seeded_series, workload};

    let emu = emulator::exclusive().await;
    let dir = tempfile::tempdir().unwrap();
    let name = "ledger-drain";
    let Shared::Config(store) = table(&emu, name).await else { unreachable!("a table config") };
    // Traffic in the last ten minutes, so every run reads CloudWatch (little
    // to write at start, so the daemon is ready quickly even on a busy host).
    let end = bedrock_cost_monitor::clock::floor_minute(SystemClock.now());
    publish_all(&emu, &workload(&seeded_series(), end - Duration::minutes(10), end)).await;
    let loaded = TestConfig::driven(dir.path(), emu.endpoint_url())
        .cloudwatch("schedule = \"*/2 * * * * *\"\nrestatement_minutes = 10\nbackfill_hours = 1\n")
        .extra(&format!("{store}\n[replicas]\nlease_secs = 30\nholder_id = \"task-a\"\n"))
        .load();
    let daemon = TestDaemon::spawn(&emu, DaemonOptions::new(loaded, Arc::new(SystemClock)).scheduled()).await;
    #[expect(clippy::disallowed_methods, reason = "the test's own view of the shared table")]
    let client = aws_sdk_dynamodb::Client::new(&emu.sdk_config("us-east-1").await);
    let view = DynamoStore::new(client, name.to_string(), DynamoOptions::default()).unwrap();
    let take = || view.acquire_lease("collector", "task-b", SystemClock.now(), Duration::seconds(3));

    // Every GetMetricData now takes 6 s: the next run is still going when SIGTERM comes.
    let slow =
        Fault::new("cloudwatch", FaultKind::Latency(StdDuration::from_secs(6))).operation("GetMetricData");
    emu.inject_fault(&slow).await.unwrap();
    tokio::time::sleep(StdDuration::from_secs(3)).await;
    daemon.signal_stop();
    let signalled = Instant::now();
    // Seconds after the signal, while the last run drains, the lease is still
    // this replica's: nobody else can take it (released at the signal, it could).
    tokio::time::sleep(StdDuration::from_millis(3500)).await;
    assert_eq!(take().await.unwrap().holder, "task-a", "held through the drain");
    assert!(
        signalled.elapsed() < StdDuration::from_secs(6),
        "the check ran while the run was still in flight"
    );
    emu.clear_faults().await.unwrap();
    daemon.shutdown().await;
    assert_eq!(take().await.unwrap().holder, "task-b", "released once the drain ended");
}

/// The leader flag cannot outlive what the last renewal vouches for: frozen
/// (no renewal) past the lease less the clock margin, the replica no longer
/// believes it leads, and a renewal slower than a third of the lease (the
/// store hangs) counts as lost.
#[tokio::test]
async fn the_leader_flag_expires_locally_and_a_hung_renewal_is_no_renewal() {
    use std::sync::Arc;
    use std::time::Duration as StdDuration;

    use bedrock_cost_monitor::clock::SystemClock;
    use bedrock_cost_monitor::emulator::{Fault, FaultKind};

    use crate::helpers::daemon::{DaemonOptions, TestConfig, TestDaemon};

    let emu = emulator::exclusive().await;
    let dir = tempfile::tempdir().unwrap();
    let Shared::Config(store) = table(&emu, "ledger-local-expiry").await else {
        unreachable!("a table config")
    };
    let loaded = TestConfig::driven(dir.path(), emu.endpoint_url())
        .extra(&format!("{store}\n[replicas]\nlease_secs = 3\nholder_id = \"task-a\"\n"))
        .load();
    let daemon = TestDaemon::spawn(&emu, DaemonOptions::new(loaded, Arc::new(SystemClock))).await;
    let leadership = daemon.parts().leadership.clone();
    assert!(leadership.is_leader());
    // Nobody renews (a frozen process): 3 s less a sixth = 2.5 s of trust.
    tokio::time::sleep(StdDuration::from_millis(2000)).await;
    assert!(leadership.is_leader(), "still within what the renewal vouched for");
    tokio::time::sleep(StdDuration::from_millis(700)).await;
    assert!(!leadership.is_leader(), "no longer known to hold the lease");
    assert!(leadership.renew().await, "a prompt renewal restores it");
    // The store now answers the lease after 2 s: more than a third of 3 s.
    let hung = Fault::new("dynamodb", FaultKind::Latency(StdDuration::from_secs(2))).operation("UpdateItem");
    emu.inject_fault(&hung).await.unwrap();
    assert!(!leadership.renew().await, "a renewal that took too long is no renewal");
    assert!(!leadership.is_leader());
    emu.clear_faults().await.unwrap();
}
