//! The replica scenarios, written against any shared store, so the SQLite
//! and DynamoDB modules run the same ones. A `Shared` store is either
//! one handle given to every replica (SQLite) or a `[store]` section every
//! replica's configuration opens (a DynamoDB table).

#![allow(clippy::disallowed_methods, reason = "each replica's lease keeper runs as a task, as in the daemon")]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use bedrock_cost_monitor::clock::{Clock, ManualClock, SystemClock};
use bedrock_cost_monitor::config::Loaded;
use bedrock_cost_monitor::emulator::Emulator;
use bedrock_cost_monitor::ledger::Backend;
use bedrock_cost_monitor::scheduler::Completed;
use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::json;

use crate::helpers::daemon::{DaemonOptions, TestConfig, TestDaemon};
use crate::helpers::inbox::Topic;
use crate::helpers::workload::{publish_all, seeded_series, workload, Truth};

fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, h, m, s).unwrap()
}

/// Publishes the seeded workload for `[from, to)` and returns its spend.
async fn seed(emu: &Emulator, from: DateTime<Utc>, to: DateTime<Utc>) -> Decimal {
    let data = workload(&seeded_series(), from, to);
    publish_all(emu, &data).await;
    Truth::of(&data).total_usd()
}

/// How the replicas share their state.
#[derive(Clone)]
pub enum Shared {
    Handle(Arc<dyn Backend>),
    /// TOML of the `[store]` section each replica loads.
    Config(String),
}

impl Shared {
    fn handle(&self) -> Option<Arc<dyn Backend>> {
        match self {
            Shared::Handle(h) => Some(h.clone()),
            Shared::Config(_) => None,
        }
    }

    fn toml(&self) -> &str {
        match self {
            Shared::Handle(_) => "",
            Shared::Config(t) => t,
        }
    }
}

struct Setting<'a> {
    topic: &'a str,
    limit: Decimal,
    lease_secs: u64,
    shared: &'a Shared,
}

fn replica_config(dir: &Path, emu: &Emulator, s: &Setting<'_>, name: &str) -> Loaded {
    let (lease_secs, limit) = (s.lease_secs, s.limit);
    let extra = format!(
        "{}\n[replicas]\nlease_secs = {lease_secs}\nholder_id = \"{name}\"\nfollower_refresh_secs = 1\n\
         [[budgets]]\nname = \"team-daily\"\nperiod = \"day\"\nlimit_usd = \"{limit}\"\nforecast_alert = false\n",
        s.shared.toml()
    );
    let sub = dir.join(name);
    std::fs::create_dir_all(&sub).unwrap();
    TestConfig::driven(&sub, emu.endpoint_url()).topic(s.topic).extra(&extra).load()
}

/// One replica on `loaded`, sharing the store as `shared` says.
async fn replica(emu: &Emulator, loaded: Loaded, clock: Arc<dyn Clock>, shared: &Shared) -> TestDaemon {
    TestDaemon::spawn(emu, DaemonOptions::new(loaded, clock).store(shared.handle())).await
}

/// `history`: minutes of traffic before the first crossing; the failover
/// comes half as many minutes later, whose spend takes the budget past 80 %.
/// DynamoDB on the emulator is slow (it copies the table per transaction),
/// so its module passes a shorter history.
pub async fn one_publisher_failover_and_one_message_per_crossing(
    emu: &Emulator,
    shared: Shared,
    dir: &Path,
    history: i64,
) {
    let topic = Topic::create(emu, "replica-alerts", false).await;
    let t1 = at(10, 0, 0);
    let first = seed(emu, t1 - Duration::minutes(history), t1).await;
    // 60 % after the history; the next half of it takes spend past 80 %.
    let limit = (first / Decimal::new(6, 1)).round_dp(2);
    let clock = Arc::new(ManualClock::new(t1 + Duration::seconds(30)));
    let setting = Setting { topic: &topic.arn, limit, lease_secs: 30, shared: &shared };
    let a = replica(emu, replica_config(dir, emu, &setting, "task-a"), clock.clone(), &shared).await;
    let b = replica(emu, replica_config(dir, emu, &setting, "task-b"), clock.clone(), &shared).await;
    assert!(
        a.parts().leadership.is_leader() && !b.parts().leadership.is_leader(),
        "the first to ask holds the lease"
    );

    assert_eq!(b.collect_usage().await, Ok(Completed::Standby), "a follower does not poll");
    assert_eq!(a.collect_usage().await, Ok(Completed::Done));
    store_self_cost_is_exported(&a, &shared);
    assert_eq!(b.follower_refresh().await, Ok(Completed::Done));
    let (on_a, on_b) = (a.parts().board.read().statuses.clone(), b.parts().board.read().statuses.clone());
    assert_eq!(on_b, on_a, "the follower serves the leader's statuses from the store");
    assert_eq!(on_b[0].spend_usd, first);

    // task-a dies without releasing its lease; 31 s later task-b takes over.
    clock.advance(Duration::seconds(31));
    assert!(b.parts().leadership.renew().await, "an expired lease passes to the next replica");
    assert!(!a.parts().leadership.renew().await, "and the old holder cannot take it back");

    let t2 = t1 + Duration::minutes(history / 2);
    let second = seed(emu, t1, t2).await;
    clock.set(t2 + Duration::seconds(30));
    assert_eq!(a.collect_usage().await, Ok(Completed::Standby));
    assert_eq!(b.collect_usage().await, Ok(Completed::Done));
    b.alerts_job().await.unwrap();

    let delivered = topic.drain().await;
    let thresholds: Vec<_> = delivered
        .iter()
        .filter(|d| d.kind() == "budget.threshold")
        .map(|d| d.body["threshold_pct"].clone())
        .collect();
    assert_eq!(thresholds, vec![json!(50), json!(80)], "each crossing once, whoever led: {delivered:#?}");
    assert_eq!(delivered.iter().filter(|d| d.kind() == "pricing.unpriced_model").count(), 1);
    let status = &b.parts().board.read().statuses[0];
    assert_eq!(status.spend_usd, first + second, "the new leader caught up from the watermark");
}

/// A DynamoDB table's requests and capacity show on `/metrics` and count in
/// the self-cost; a SQLite file makes no AWS request and shows none.
fn store_self_cost_is_exported(replica: &TestDaemon, shared: &Shared) {
    let text = prometheus::TextEncoder::new().encode_to_string(&replica.parts().registry.gather()).unwrap();
    let sample = |prefix: &str| {
        let line = text.lines().find(|l| l.starts_with(prefix))?;
        line.rsplit(' ').next()?.parse::<f64>().ok()
    };
    let writes = sample("bedrock_monitor_dynamodb_requests_total{operation=\"TransactWriteItems\"}");
    let units = sample("bedrock_monitor_dynamodb_capacity_units_total{kind=\"write\"}");
    let usage = replica.parts().store.request_usage();
    match shared {
        Shared::Handle(_) => {
            assert!(
                usage.is_none() && writes.is_none() && units.is_none(),
                "SQLite: no DynamoDB series\n{text}"
            )
        }
        Shared::Config(_) => {
            let usage = usage.unwrap();
            assert!(writes.unwrap() >= 1.0 && units.unwrap() >= 1.0, "the ledger write is counted\n{text}");
            assert!(
                replica.parts().metrics.api_cost() >= usage.estimated_usd()
                    && usage.estimated_usd() > Decimal::ZERO
            );
        }
    }
}

pub async fn a_dead_leader_is_replaced_within_two_lease_periods(emu: &Emulator, shared: Shared, dir: &Path) {
    let topic = Topic::create(emu, "lease-alerts", false).await;
    let lease_secs = 3;
    let setting = Setting { topic: &topic.arn, limit: Decimal::from(1000), lease_secs, shared: &shared };
    let make = |name: &'static str| replica_config(dir, emu, &setting, name);
    let (a_cfg, b_cfg) = (make("task-a"), make("task-b"));
    // Real time: the keepers renew on tokio's clock and the lease expires on the wall clock.
    let system = Arc::new(SystemClock);
    let a = replica(emu, a_cfg, system.clone(), &shared).await;
    let b = replica(emu, b_cfg, system, &shared).await;
    assert!(a.parts().leadership.is_leader() && !b.parts().leadership.is_leader());
    let (stop_a, shutdown_a) = tokio::sync::watch::channel(false);
    let (stop_b, shutdown_b) = tokio::sync::watch::channel(false);
    let keeper_a = tokio::spawn(a.parts().leadership.clone().keep(shutdown_a));
    let keeper_b = tokio::spawn(b.parts().leadership.clone().keep(shutdown_b));
    tokio::time::sleep(StdDuration::from_secs(4)).await;
    assert!(a.parts().leadership.is_leader() && !b.parts().leadership.is_leader(), "a renews; b waits");

    keeper_a.abort(); // killed: no release, the lease runs out on its own
    let died = Instant::now();
    while !b.parts().leadership.is_leader() {
        assert!(
            died.elapsed() < StdDuration::from_secs(2 * lease_secs),
            "no takeover within two lease periods"
        );
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    let took = died.elapsed();
    eprintln!("takeover after {took:?} (lease {lease_secs} s)");
    // A clean shutdown releases at once.
    let _ = stop_a;
    stop_b.send(true).unwrap();
    keeper_b.await.unwrap();
    assert!(!b.parts().leadership.is_leader());
    let store = &b.parts().store;
    assert_eq!(
        store
            .acquire_lease("collector", "task-c", SystemClock.now(), Duration::seconds(3))
            .await
            .unwrap()
            .holder,
        "task-c"
    );
}
