//! Several accounts, one daemon: member accounts listed in `[accounts]` are
//! read through a role in each, every (account, region) is a shard of its
//! own in the ledger and in `/metrics`, one failing account stops no other,
//! and a budget across accounts alerts exactly once.
//!
//! The emulator keeps each account's metrics and CloudTrail event history apart and maps the keys STS
//! `AssumeRole` hands out to the role's account (see `accounts.rs`); a
//! failing account is one whose every CloudWatch request is refused.

use std::collections::BTreeMap;
use std::sync::Arc;

use bedrock_cost_monitor::aws::AwsConfig;
use bedrock_cost_monitor::clock::ManualClock;
use bedrock_cost_monitor::emulator::{Fault, FaultKind};
use bedrock_cost_monitor::ledger::dynamodb::DynamoStore;
use bedrock_cost_monitor::records::CostTotal;
use bedrock_cost_monitor::sim::trail::{trail_records, SimPrincipal};
use bedrock_cost_monitor::sim::{invocations, SimDatum, SimSeries};
use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use tempfile::TempDir;

use crate::helpers::daemon::{DaemonOptions, TestConfig, TestDaemon};
use crate::helpers::emulator;
use crate::helpers::inbox::Topic;
use crate::helpers::organization;
use crate::helpers::workload::{publish_all, seeded_series, workload, Truth, EAST, SONNET_US, WEST};

/// The emulator's default account: the daemon's own, and the primary one.
const PRIMARY: &str = "123456789012";
const SEARCH: &str = "222222222222";
/// A member whose role is missing: every CloudWatch call in it is refused.
const BROKEN: &str = "333333333333";

fn end() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap()
}

fn sorted(mut rows: Vec<CostTotal>) -> Vec<CostTotal> {
    rows.sort_by(|a, b| (&a.region, &a.model_id, a.token_type).cmp(&(&b.region, &b.model_id, b.token_type)));
    rows
}

fn metrics(daemon: &TestDaemon) -> String {
    prometheus::TextEncoder::new().encode_to_string(&daemon.parts().registry.gather()).unwrap()
}

#[tokio::test]
async fn member_accounts_are_shards_of_their_own_and_a_broken_one_stops_none() {
    let emu = emulator::exclusive().await;
    let primary_usage = workload(&seeded_series(), end() - Duration::minutes(30), end());
    // The search team's account: a different window, so no row can pass for the primary's.
    let search_usage = workload(&seeded_series(), end() - Duration::minutes(20), end());
    publish_all(&emu, &primary_usage).await;
    organization::publish_in(&emu, SEARCH, &search_usage).await;
    organization::publish_in(&emu, BROKEN, &search_usage).await;
    emu.inject_fault(&Fault::new("cloudwatch", FaultKind::AccessDenied).in_account(BROKEN)).await.unwrap();
    let (primary, search) = (Truth::of(&primary_usage), Truth::of(&search_usage));
    let all_usd = primary.total_usd() + search.total_usd();

    let topic = Topic::create(&emu, "budget-alerts", false).await;
    let dir = TempDir::new().unwrap();
    // Across every account: 60 % of both accounts' spend; on the search account alone: 60 % of its.
    let limit = |usd: Decimal| (usd / Decimal::new(6, 1)).round_dp(2);
    let budgets = format!(
        "[[budgets]]\nname = \"org-daily\"\nperiod = \"day\"\nlimit_usd = \"{}\"\nforecast_alert = false\n\
         [[budgets]]\nname = \"search-daily\"\nperiod = \"day\"\nlimit_usd = \"{}\"\nforecast_alert = false\n\
         accounts = [\"{SEARCH}\"]\n",
        limit(all_usd),
        limit(search.total_usd()),
    );
    let accounts = format!("[[accounts.members]]\nid = \"{SEARCH}\"\nname = \"search\"\n[[accounts.members]]\nid = \"{BROKEN}\"\n");
    let config = TestConfig::driven(dir.path(), emu.endpoint_url())
        .max_attempts(1)
        .topic(&topic.arn)
        .extra(&format!("{accounts}\n{budgets}"));
    let clock = Arc::new(ManualClock::new(end() + Duration::seconds(30)));
    let daemon = TestDaemon::spawn(&emu, DaemonOptions::new(config.load(), clock)).await;

    // The broken member is reported per shard, and fails neither the run nor readiness.
    daemon.collect_usage().await.unwrap();
    // Every other shard was collected, to the token, under its own key.
    let stored = daemon.parts().store.cost_totals().await.unwrap();
    let mut want = primary.cost_totals();
    want.extend(search.cost_totals_in(Some(SEARCH)));
    assert_eq!(sorted(stored), sorted(want));
    assert!(!daemon.parts().store.cost_totals().await.unwrap().iter().any(|t| t.region.starts_with(BROKEN)));

    let text = metrics(&daemon);
    let failing = |account: &str, region: &str| {
        format!("bedrock_monitor_shard_failing{{account=\"{account}\",region=\"{region}\",source=\"cloudwatch\"}}")
    };
    for (account, region, flag) in
        [(PRIMARY, EAST, 0), (SEARCH, EAST, 0), (SEARCH, WEST, 0), (BROKEN, EAST, 1), (BROKEN, WEST, 1)]
    {
        assert!(
            text.contains(&format!("{} {flag}\n", failing(account, region))),
            "{account} {region}:\n{text}"
        );
    }
    // Each shard's requests are priced to it; the broken account's refused ones cost nothing here.
    for (account, region) in [(PRIMARY, EAST), (SEARCH, WEST)] {
        let series =
            format!("bedrock_monitor_shard_api_cost_usd_total{{account=\"{account}\",region=\"{region}\"}}");
        assert!(text.contains(&series), "{series} in\n{text}");
    }
    assert!(text.contains(&format!("bedrock_cost_usd_total{{account=\"{SEARCH}\",")), "{text}");

    // A second run changes nothing and alerts nothing again.
    daemon.collect_usage().await.unwrap();
    let delivered = topic.drain().await;
    let crossings: BTreeMap<String, Vec<_>> =
        delivered.iter().filter(|d| d.kind() == "budget.threshold").fold(BTreeMap::new(), |mut by, d| {
            by.entry(d.body["budget"].as_str().unwrap_or_default().to_string())
                .or_insert_with(Vec::new)
                .push(d);
            by
        });
    assert_eq!(crossings.len(), 2, "{delivered:#?}");
    for (budget, usd) in [("org-daily", all_usd), ("search-daily", search.total_usd())] {
        let sent = &crossings[budget];
        assert_eq!(sent.len(), 1, "{budget} alerted once: {sent:#?}");
        let spent: Decimal = sent[0].body["spend_usd"].as_str().unwrap().parse().unwrap();
        assert_eq!(spent, usd, "{budget}");
    }
    daemon.shutdown().await;
}

#[tokio::test]
async fn organisation_accounts_are_discovered_filtered_and_read_once() {
    let emu = emulator::exclusive().await;
    let org = organization::create(&emu, &["search", "ads", "sandbox"]).await;
    organization::close(&emu, org.id_of("sandbox")).await;
    let usage = workload(&seeded_series(), end() - Duration::minutes(20), end());
    let east: Vec<SimDatum> = usage.iter().filter(|d| d.region == EAST).cloned().collect();
    publish_all(&emu, &east).await;
    for name in ["search", "ads", "sandbox"] {
        organization::publish_in(&emu, org.id_of(name), &east).await;
    }
    let dir = TempDir::new().unwrap();
    // The management account is the primary one: listed by the organisation, read once.
    let accounts =
        "[accounts.organizations]\nenabled = true\nexclude = [\"ads\"]\nregions = [\"us-east-1\"]\n";
    let config = TestConfig::driven(dir.path(), emu.endpoint_url()).extra(accounts);
    let clock = Arc::new(ManualClock::new(end() + Duration::seconds(30)));
    let daemon = TestDaemon::spawn(&emu, DaemonOptions::new(config.load(), clock)).await;
    assert_eq!(org.management, PRIMARY);
    assert_eq!(
        daemon.parts().accounts.keys(),
        vec![EAST.to_string(), WEST.to_string(), format!("{}/{EAST}", org.id_of("search"))]
    );

    daemon.collect_usage().await.unwrap();
    let truth = Truth::of(&east);
    let mut want = truth.cost_totals();
    want.extend(truth.cost_totals_in(Some(org.id_of("search"))));
    assert_eq!(sorted(daemon.parts().store.cost_totals().await.unwrap()), sorted(want));
    let listed = emu.requests(Some("organizations")).await.unwrap();
    assert_eq!(listed.iter().filter(|r| r.operation == "ListAccounts").count(), 1, "{listed:?}");
    daemon.shutdown().await;
}

#[tokio::test]
async fn a_new_organisation_account_asks_for_a_restart_and_a_failed_listing_does_not() {
    let emu = emulator::exclusive().await;
    let org = organization::create(&emu, &["search"]).await;
    let dir = TempDir::new().unwrap();
    let accounts = "[accounts.organizations]\nenabled = true\nregions = [\"us-east-1\"]\n";
    let config = TestConfig::driven(dir.path(), emu.endpoint_url()).extra(accounts);
    let clock = Arc::new(ManualClock::new(end()));
    let daemon = TestDaemon::spawn(&emu, DaemonOptions::new(config.load(), clock)).await;
    let restart = daemon.parts().restart.subscribe();
    let started: Vec<&str> = daemon.parts().accounts.discovered.iter().map(String::as_str).collect();
    assert_eq!(started, vec![org.id_of("search")]);

    daemon.recheck_organization().await.unwrap();
    assert!(!*restart.borrow(), "the same accounts: no restart");

    // Refused, as when the management account's role is broken: the
    // listing failed, nothing is known to have changed.
    let denied = Fault::new("organizations", FaultKind::AccessDenied).operation("ListAccounts");
    emu.inject_fault(&denied).await.unwrap();
    let ads = organization::add_account(&emu, "ads").await;
    daemon.recheck_organization().await.unwrap();
    assert!(!*restart.borrow(), "a failed listing is no change");

    emu.clear_faults().await.unwrap();
    daemon.recheck_organization().await.unwrap();
    assert!(*restart.borrow(), "{ads} is new: the daemon stops to be restarted with it");
    daemon.shutdown().await;
}

/// Light traffic in us-east-1, so the paced LookupEvents reads it in seconds.
fn light() -> SimSeries {
    SimSeries {
        region: EAST.into(),
        model_id: SONNET_US.into(),
        peak_invocations: 3,
        input_per_call: 2_000,
        output_per_call: 500,
        cache_read_per_call: 0,
        cache_write_per_call: 0,
        throttle_every: 0,
    }
}

/// Successful calls per (ledger key, principal) in `calls`.
fn calls_of(rows: &[bedrock_cost_monitor::records::CallTotal]) -> BTreeMap<(String, String), u64> {
    let mut out = BTreeMap::new();
    for c in rows.iter().filter(|c| c.error_code.is_none()) {
        *out.entry((c.region.clone(), c.principal.clone())).or_default() += c.calls;
    }
    out
}

#[tokio::test]
async fn each_account_reads_its_own_cloudtrail_within_its_own_quota() {
    let emu = emulator::exclusive().await;
    let (start, stop) = (end() - Duration::minutes(20), end());
    let usage = workload(&[light()], start, stop);
    publish_all(&emu, &usage).await;
    organization::publish_in(&emu, SEARCH, &usage).await;
    let (app, search_app) = ([SimPrincipal::role("app", 1)], [SimPrincipal::role("search-app", 1)]);
    emu.seed_cloudtrail(&trail_records(&light(), &app, start, stop)).await.unwrap();
    emu.seed_cloudtrail_in(Some(SEARCH), &trail_records(&light(), &search_app, start, stop)).await.unwrap();

    // On the shared DynamoDB table: a member's key is part of every item's key.
    let own = AwsConfig::from_sdk(emu.sdk_config(EAST).await);
    DynamoStore::create_table(own.own(), EAST, "bcm-ledger").await.unwrap();
    let store = format!(
        "[store]\nkind = \"dynamodb\"\ndynamodb_table = \"bcm-ledger\"\ndynamodb_region = \"{EAST}\"\n"
    );
    let dir = TempDir::new().unwrap();
    let config = TestConfig::driven(dir.path(), emu.endpoint_url())
        .cloudtrail("enabled = true\nbackfill_hours = 1\n")
        .extra(&format!("{store}\n[[accounts.members]]\nid = \"{SEARCH}\"\nregions = [\"{EAST}\"]\n"));
    let clock = Arc::new(ManualClock::new(end() + Duration::seconds(30)));
    let daemon = TestDaemon::spawn(&emu, DaemonOptions::new(config.load(), clock)).await;
    daemon.collect_usage().await.unwrap();
    daemon.collect_trail().await.unwrap();

    // Each account's calls are its own principals', under its own key.
    let seeded: u64 = (0..20).map(|m| invocations(&light(), start + Duration::minutes(m))).sum();
    let member_key = format!("{SEARCH}/{EAST}");
    let want: BTreeMap<(String, String), u64> =
        [((EAST.to_string(), app[0].arn()), seeded), ((member_key.clone(), search_app[0].arn()), seeded)]
            .into();
    let store = &daemon.parts().store;
    assert_eq!(calls_of(&store.call_totals().await.unwrap()), want);
    // And its cost is split among them alone, to the last digit.
    let shares: Decimal = store
        .principal_totals()
        .await
        .unwrap()
        .iter()
        .filter(|p| p.region == member_key)
        .map(|p| p.usd)
        .sum();
    let cost: Decimal =
        store.cost_totals().await.unwrap().iter().filter(|t| t.region == member_key).map(|t| t.usd).sum();
    assert_eq!(shares, cost);
    // Two accounts read side by side, each paced on its own quota: nothing throttled.
    let lookups = emu.requests(Some("cloudtrail")).await.unwrap();
    assert!(lookups.iter().any(|r| r.operation == "LookupEvents"));
    assert!(lookups.iter().all(|r| r.status == 200), "{lookups:?}");
    daemon.shutdown().await;
}
