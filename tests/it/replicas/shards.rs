//! Shared shards (`[replicas] share_shards`) end to end: three replicas on
//! one DynamoDB table, six shards (the primary account and two member
//! accounts, two regions each, every account with its own usage). They
//! split the shards two each, every shard is collected by exactly one of
//! them and the ledger's totals are exact; one replica is killed (it stops
//! renewing, releases nothing) and its shards move to the others within one
//! lease period, the totals still exact; the budget across accounts,
//! evaluated by the one coordinator, alerts once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use bedrock_cost_monitor::clock::{Clock, ManualClock};
use bedrock_cost_monitor::emulator::Emulator;
use bedrock_cost_monitor::ledger::StoreUsage;
use bedrock_cost_monitor::records::CostTotal;
use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;

use super::scenarios::Shared;
use crate::helpers::daemon::{DaemonOptions, TestConfig, TestDaemon};
use crate::helpers::emulator;
use crate::helpers::inbox::Topic;
use crate::helpers::organization;
use crate::helpers::workload::{publish_all, seeded_series, workload, Truth};

const SEARCH: &str = "222222222222";
const ADS: &str = "444444444444";
const LEASE_SECS: i64 = 60;

fn end() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap()
}

fn sorted(mut rows: Vec<CostTotal>) -> Vec<CostTotal> {
    rows.sort_by(|a, b| (&a.region, &a.model_id, a.token_type).cmp(&(&b.region, &b.model_id, b.token_type)));
    rows
}

/// The shards whose CloudWatch requests this replica made (and priced).
fn collected_by(daemon: &TestDaemon) -> BTreeSet<String> {
    let text = prometheus::TextEncoder::new().encode_to_string(&daemon.parts().registry.gather()).unwrap();
    let series = "bedrock_monitor_shard_api_cost_usd_total{account=\"";
    text.lines()
        .filter_map(|l| l.strip_prefix(series))
        .filter(|l| !l.ends_with(" 0"))
        .filter_map(|l| l.split_once("\",region=\"").and_then(|(a, r)| Some((a, r.split_once('"')?.0))))
        .map(
            |(account, region)| {
                if account == "123456789012" {
                    region.to_string()
                } else {
                    format!("{account}/{region}")
                }
            },
        )
        .collect()
}

async fn rounds(replicas: &[&TestDaemon]) -> Vec<BTreeSet<String>> {
    let mut held = Vec::new();
    for r in replicas {
        held.push(r.parts().shards.as_ref().expect("shards are shared").round().await);
    }
    held
}

fn usage_of(d: &TestDaemon) -> StoreUsage {
    d.parts().store.request_usage().expect("the DynamoDB store counts its requests")
}

/// Each account's usage published in it; the ledger rows it must become and their USD.
async fn publish_usage(emu: &Emulator) -> (Vec<CostTotal>, Decimal) {
    let usage = [
        (None, workload(&seeded_series(), end() - Duration::minutes(30), end())),
        (Some(SEARCH), workload(&seeded_series(), end() - Duration::minutes(20), end())),
        (Some(ADS), workload(&seeded_series(), end() - Duration::minutes(10), end())),
    ];
    let mut want = Vec::new();
    let mut all_usd = Decimal::ZERO;
    for (account, datums) in &usage {
        match account {
            None => publish_all(emu, datums).await,
            Some(a) => organization::publish_in(emu, a, datums).await,
        }
        let truth = Truth::of(datums);
        all_usd += truth.total_usd();
        want.extend(truth.cost_totals_in(*account));
    }
    (want, all_usd)
}

/// One more round of a replica in steady state: what the lease traffic costs.
async fn steady_round(a: &TestDaemon, held: &BTreeSet<String>) {
    let before = usage_of(a);
    assert_eq!(rounds(&[a]).await[0], *held, "stable");
    let after = usage_of(a);
    let requests: BTreeMap<&str, u64> =
        after.requests.iter().map(|(op, n)| (*op, n - before.requests.get(op).unwrap_or(&0))).collect();
    eprintln!(
        "one steady round, 2 of 6 shards, 3 replicas: requests {requests:?}, read units {}, write units {}",
        after.read_units - before.read_units,
        after.write_units - before.write_units
    );
    let held = u64::try_from(held.len()).unwrap();
    let sent = |op: &str| requests.get(op).copied().unwrap_or(0);
    assert_eq!(
        (sent("Query"), sent("UpdateItem"), requests.values().sum::<u64>()),
        (1, 1 + held, 2 + held),
        "one read of every lease, a heartbeat, a renewal per shard held: {requests:?}"
    );
}

#[tokio::test]
async fn three_replicas_split_six_shards_and_a_dead_ones_move_within_a_lease() {
    let emu = emulator::exclusive().await;
    let dir = tempfile::tempdir().unwrap();
    let (want, all_usd) = publish_usage(&emu).await;
    let topic = Topic::create(&emu, "shard-alerts", false).await;
    let Shared::Config(store) = super::dynamodb::table(&emu, "ledger-shards").await else {
        unreachable!("a table config")
    };
    let budget = format!(
        "[[budgets]]\nname = \"org-daily\"\nperiod = \"day\"\nlimit_usd = \"{}\"\nforecast_alert = false\n",
        (all_usd / Decimal::new(6, 1)).round_dp(2)
    );
    let clock = Arc::new(ManualClock::new(end() + Duration::seconds(30)));
    let mut replicas = Vec::new();
    for name in ["task-a", "task-b", "task-c"] {
        let sub = dir.path().join(name);
        std::fs::create_dir_all(&sub).unwrap();
        let extra = format!(
            "{store}\n[replicas]\nlease_secs = {LEASE_SECS}\nholder_id = \"{name}\"\nshare_shards = true\n\
             [[accounts.members]]\nid = \"{SEARCH}\"\n[[accounts.members]]\nid = \"{ADS}\"\n{budget}"
        );
        let loaded = TestConfig::driven(&sub, emu.endpoint_url()).topic(&topic.arn).extra(&extra).load();
        replicas.push(TestDaemon::spawn(&emu, DaemonOptions::new(loaded, clock.clone())).await);
    }
    let all: BTreeSet<String> = replicas[0].parts().accounts.keys().into_iter().collect();
    assert_eq!(all.len(), 6, "{all:?}");
    let [a, b, c] = [&replicas[0], &replicas[1], &replicas[2]];
    assert!(a.parts().leadership.is_leader(), "the first to ask coordinates");

    // Two rounds each: the first to ask takes all, then gives up its excess
    // as the others' heartbeats appear, and each newcomer takes its share.
    rounds(&[a, b, c]).await;
    let held = rounds(&[a, b, c]).await;
    assert!(held.iter().all(|h| h.len() == 2), "two each: {held:?}");
    assert_eq!(held.iter().flatten().cloned().collect::<BTreeSet<_>>(), all, "disjoint, every shard");
    steady_round(a, &held[0]).await;

    // Every replica collects its own shards, the coordinator first: its
    // run's evaluation sees only its own shards (no threshold yet); the
    // minute job evaluates again from the shared ledger, every shard in.
    for r in [a, b, c] {
        r.collect_usage().await.unwrap();
    }
    a.alerts_job().await.unwrap();
    let delivered = topic.drain().await;
    let crossings: Vec<_> = delivered.iter().filter(|d| d.kind() == "budget.threshold").collect();
    assert_eq!(crossings.len(), 1, "one alert across accounts: {delivered:#?}");
    let spent: Decimal = crossings[0].body["spend_usd"].as_str().unwrap().parse().unwrap();
    assert_eq!(spent, all_usd, "evaluated with every shard's usage");
    for (r, h) in [a, b, c].iter().zip(&held) {
        assert_eq!(&collected_by(r), h, "each replica read only its shards");
    }
    assert_eq!(sorted(a.parts().store.cost_totals().await.unwrap()), sorted(want.clone()), "exact, once");

    // `c` is killed: no more renewals, nothing released. Rounds go on every
    // third of the lease; its shards move once its leases have expired.
    let killed_at = clock.now();
    drop(replicas.remove(2));
    let (a, b) = (&replicas[0], &replicas[1]);
    let moved_after = loop {
        clock.advance(Duration::seconds(LEASE_SECS / 3));
        let held = rounds(&[a, b]).await;
        if held.iter().flatten().cloned().collect::<BTreeSet<_>>() == all {
            assert!(held.iter().all(|h| h.len() == 3), "three each: {held:?}");
            break clock.now() - killed_at;
        }
        assert!(clock.now() - killed_at <= Duration::seconds(2 * LEASE_SECS), "never moved: {held:?}");
    };
    eprintln!("the dead replica's shards moved {}s after its last renewal", moved_after.num_seconds());
    assert!(moved_after <= Duration::seconds(LEASE_SECS), "within one lease period: {moved_after}");

    // The new owners continue from the stored watermarks: nothing counted twice.
    for r in [b, a] {
        r.collect_usage().await.unwrap();
    }
    assert_eq!(sorted(a.parts().store.cost_totals().await.unwrap()), sorted(want), "still exact");
    a.alerts_job().await.unwrap();
    let again = topic.drain().await;
    assert!(again.iter().all(|d| d.kind() != "budget.threshold"), "alerted once: {again:#?}");
}

/// `app::run` with shared shards, as production runs it: the first round
/// comes before the first collection, the daemon is ready holding every
/// shard (it is alone), and the drain's end releases every shard lease and
/// its heartbeat, so another replica can take them at once.
#[tokio::test]
async fn a_scheduled_replica_holds_its_shards_and_releases_them_at_shutdown() {
    use bedrock_cost_monitor::clock::SystemClock;
    use bedrock_cost_monitor::ledger::dynamodb::{DynamoOptions, DynamoStore};
    use bedrock_cost_monitor::ledger::LeaseStore;
    use bedrock_cost_monitor::telemetry::probe::request;

    let emu = emulator::exclusive().await;
    let dir = tempfile::tempdir().unwrap();
    let name = "ledger-shards-run";
    let Shared::Config(store) = super::dynamodb::table(&emu, name).await else {
        unreachable!("a table config")
    };
    let now = bedrock_cost_monitor::clock::floor_minute(SystemClock.now());
    publish_all(&emu, &workload(&seeded_series(), now - Duration::minutes(10), now)).await;
    let loaded = TestConfig::driven(dir.path(), emu.endpoint_url())
        .cloudwatch("restatement_minutes = 10\nbackfill_hours = 1\n")
        .extra(&format!(
            "{store}\n[replicas]\nlease_secs = 30\nholder_id = \"task-a\"\nshare_shards = true\n"
        ))
        .load();
    let daemon = TestDaemon::spawn(&emu, DaemonOptions::new(loaded, Arc::new(SystemClock)).scheduled()).await;
    let url = format!("{}/metrics", daemon.base());
    let text = request("GET", &url, &[], &[], crate::helpers::daemon::TIMEOUT).await.unwrap().body_text();
    assert!(text.contains("\nbedrock_monitor_shards_owned 2\n"), "{text}");

    daemon.shutdown().await;
    #[expect(clippy::disallowed_methods, reason = "the test's own view of the shared table")]
    let client = aws_sdk_dynamodb::Client::new(&emu.sdk_config("us-east-1").await);
    let view = DynamoStore::new(client, name.to_string(), DynamoOptions::default()).unwrap();
    let at = SystemClock.now();
    let leases = view.leases().await.unwrap();
    let names: BTreeSet<&str> = leases.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, BTreeSet::from(["collector", "member:task-a", "shard:us-east-1", "shard:us-west-2"]));
    assert!(leases.iter().all(|(_, l)| !l.held_by("task-a", at)), "every lease released: {leases:?}");
}
