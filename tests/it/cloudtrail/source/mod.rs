//! The CloudTrail source end to end against the local emulator's LookupEvents:
//! the real SDK client and adapter, the rate limiter on real time, the parser,
//! the aggregation into call counts and the attribution of a priced minute.
//!
//! Proves: exact per-principal counts (role sessions folded into their role,
//! IAM user, Identity Center role, errors kept apart) after paging through
//! more than 50 events; only the configured runtime event names count; events
//! outside `[start, end)` and of other event sources are left out; re-seeded
//! event IDs count once; malformed records are skipped and named; the gateway
//! never sees more than 2 LookupEvents per second per region, and two regions
//! are paced independently, also by the collection job, which reads them at
//! the same time; an injected throttle is waited out and counted.
//!
//! Needs `tests/emulator/setup.sh` to have been run once.

mod records;

use records::*;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use bedrock_cost_monitor::attribution::attribute_minute;
use bedrock_cost_monitor::clock::ManualClock;
use bedrock_cost_monitor::collector::{CloudTrailJob, CloudTrailJobConfig};
use bedrock_cost_monitor::config::types::CloudTrailSource as CloudTrailConfig;
use bedrock_cost_monitor::emulator::{Emulator, Fault, FaultKind, RequestRecord};
use bedrock_cost_monitor::ledger::sqlite::SqliteStore;
use bedrock_cost_monitor::ledger::Store;
use bedrock_cost_monitor::pricing::TokenType;
use bedrock_cost_monitor::records::{Attribution, CostLine, LinePricing};
use bedrock_cost_monitor::sources::cloudtrail::calls::aggregate;
use bedrock_cost_monitor::sources::cloudtrail::paging::LookupPolicy;
use bedrock_cost_monitor::sources::cloudtrail::CloudTrailSource;
use bedrock_cost_monitor::sources::{EventFetch, EventSource};
use chrono::Duration;
use rust_decimal::Decimal;
use serde_json::json;

use crate::helpers::emulator;

fn source(
    emu_clients: BTreeMap<String, aws_sdk_cloudtrail::Client>,
    policy: LookupPolicy,
) -> CloudTrailSource {
    CloudTrailSource::new(emu_clients, CloudTrailConfig::default().event_names).with_policy(policy)
}

async fn clients(emu: &Emulator, regions: &[&str]) -> BTreeMap<String, aws_sdk_cloudtrail::Client> {
    let mut out = BTreeMap::new();
    for r in regions {
        #[expect(
            clippy::disallowed_methods,
            reason = "the source under test reads the emulator, as the daemon would read AWS"
        )]
        out.insert(r.to_string(), aws_sdk_cloudtrail::Client::new(&emu.sdk_config(r).await));
    }
    out
}

/// No three LookupEvents of a region (accepted or not) within one second.
fn assert_paced(log: &[RequestRecord], region: &str) {
    let mut times: Vec<StdDuration> = log
        .iter()
        .filter(|r| r.region == region && r.operation == "LookupEvents")
        .map(|r| StdDuration::from_secs_f64(r.t))
        .collect();
    times.sort();
    for w in times.windows(3) {
        // The gateway stamps arrival; allow loopback scheduling jitter.
        assert!(w[2] - w[0] >= StdDuration::from_millis(980), "3 LookupEvents within 1 s in {region}: {w:?}");
    }
}

fn totals(fetch: &EventFetch) -> BTreeMap<(String, Option<String>), u64> {
    let mut out = BTreeMap::new();
    for c in aggregate(&fetch.events).calls {
        *out.entry((c.principal, c.error_code)).or_default() += c.calls;
    }
    out
}

#[tokio::test]
async fn every_principal_is_counted_exactly_through_four_pages() {
    let emu = emulator::exclusive().await;
    let west_noise = record("west-0", WEST, at(1, 0), "InvokeModel", alice(), json!({}));
    let mut seed = east_history();
    seed.push(west_noise);
    emu.seed_cloudtrail(&seed).await.unwrap();
    let src = source(clients(&emu, &[EAST]).await, LookupPolicy::default());

    let fetch = src.events(EAST, start(), end()).await.unwrap();

    let key = |p: &str, e: Option<&str>| (p.to_string(), e.map(String::from));
    let want: BTreeMap<_, u64> = [
        (key(ROLE, None), 120),
        (key(ROLE, Some("ThrottlingException")), 4),
        (key(ALICE, None), 30),
        (key(ALICE, Some("AccessDeniedException")), 5),
        (key(SSO_ROLE, None), 6),
    ]
    .into();
    assert_eq!(totals(&fetch), want);
    assert_eq!(fetch.events.len(), 165);
    assert_eq!((fetch.requests, fetch.throttles), (4, 0));
    assert_eq!((fetch.other_events, fetch.outside_window, fetch.duplicates), (4, 2, 0));
    let skipped: Vec<_> = fetch.malformed.iter().map(|s| s.event_id.as_deref().unwrap()).collect();
    assert_eq!(skipped, ["bad-model", "bad-identity"]);
    assert!(fetch.malformed.iter().all(|s| !s.reason.is_empty()));

    // Sessions fold into their role; the inference region and tokens survive.
    let sessions: std::collections::BTreeSet<_> = fetch
        .events
        .iter()
        .filter(|e| e.principal.key == ROLE)
        .filter_map(|e| e.principal.session_name.clone())
        .collect();
    assert_eq!(sessions.len(), 5, "s-0..s-3 and the throttled s-9");
    let role_minute_0 =
        aggregate(&fetch.events).calls.into_iter().find(|c| c.principal == ROLE && c.minute == start());
    assert_eq!(role_minute_0.map(|c| c.calls), Some(24));
    assert!(fetch.events.iter().any(|e| e.inference_region.as_deref() == Some("us-west-2")));
    let alice_haiku: Vec<_> = aggregate(&fetch.events)
        .calls
        .into_iter()
        .filter(|c| c.principal == ALICE && c.model_id == HAIKU)
        .map(|c| (c.calls, c.input_tokens, c.output_tokens))
        .collect();
    assert_eq!(alice_haiku, vec![(10, Some(1000), Some(200)); 3]);

    let log = emu.requests(Some("cloudtrail")).await.unwrap();
    assert_eq!(log.len(), 4);
    assert!(log.iter().all(|r| r.status == 200 && r.region == EAST));
    assert_paced(&log, EAST);
}

#[tokio::test]
async fn a_priced_minute_is_split_by_the_calls_fetched() {
    let emu = emulator::exclusive().await;
    emu.seed_cloudtrail(&east_history()).await.unwrap();
    let src = source(clients(&emu, &[EAST]).await, LookupPolicy::default());
    let fetch = src.events(EAST, start(), start() + Duration::minutes(1)).await.unwrap();
    let calls = aggregate(&fetch.events).calls;
    // Minute 0 of Haiku: only alice called it, and reported every token.
    let line = |token_type, tokens, usd: &str| CostLine {
        region: EAST.into(),
        model_id: HAIKU.into(),
        minute: start(),
        token_type,
        tokens,
        pricing: LinePricing::Priced {
            model: "claude-3-haiku".into(),
            price_entry: "e".into(),
            usd: usd.parse().unwrap(),
        },
    };
    let lines = [
        line(TokenType::Input, 1000, "0.00025"),
        line(TokenType::Output, 200, "0.00025"),
        line(TokenType::CacheRead, 10, "0.0000003"),
    ];
    let haiku_calls: Vec<_> = calls.into_iter().filter(|c| c.model_id == HAIKU).collect();
    let shares = attribute_minute(&lines, &haiku_calls);
    let got: Vec<_> = shares.iter().map(|s| (s.principal.as_str(), s.attribution, s.usd)).collect();
    let d = |s: &str| s.parse::<Decimal>().unwrap();
    assert_eq!(
        got,
        vec![(ALICE, Attribution::Exact, d("0.0005")), (ALICE, Attribution::Estimated, d("0.0000003"))]
    );
}

/// 120 calls in each region: three pages each.
async fn seed_both_regions(emu: &Emulator) {
    let mut seed = Vec::new();
    for region in [EAST, WEST] {
        for i in 0..120 {
            seed.push(record(
                &format!("{region}-{i}"),
                region,
                at(i % 10, i / 10),
                "InvokeModel",
                alice(),
                json!({}),
            ));
        }
    }
    emu.seed_cloudtrail(&seed).await.unwrap();
}

/// Each region has its own quota: their pages interleave instead of queueing.
fn assert_interleaved(log: &[RequestRecord]) {
    let span = |region: &str| {
        let t: Vec<StdDuration> =
            log.iter().filter(|r| r.region == region).map(|r| StdDuration::from_secs_f64(r.t)).collect();
        (t.iter().min().copied().unwrap(), t.iter().max().copied().unwrap())
    };
    let ((east_first, east_last), (west_first, west_last)) = (span(EAST), span(WEST));
    assert!(west_first < east_last && east_first < west_last, "regions were paced one after the other");
}

#[tokio::test]
async fn two_regions_are_paced_independently() {
    let emu = emulator::exclusive().await;
    seed_both_regions(&emu).await;
    let src = source(clients(&emu, &[EAST, WEST]).await, LookupPolicy::default());

    let (east, west) = tokio::join!(src.events(EAST, start(), end()), src.events(WEST, start(), end()));
    let (east, west) = (east.unwrap(), west.unwrap());
    assert_eq!((east.events.len(), west.events.len()), (120, 120));
    assert_eq!((east.requests, west.requests), (3, 3));

    let log = emu.requests(Some("cloudtrail")).await.unwrap();
    assert_eq!(log.iter().filter(|r| r.status == 200).count(), 6);
    assert_paced(&log, EAST);
    assert_paced(&log, WEST);
    assert_interleaved(&log);
    assert_eq!(src.events("eu-west-1", start(), end()).await.unwrap_err().region, "eu-west-1");
}

/// The collection job reads its regions at the same time, so a run lasts as
/// long as its busiest region, and each region still gets every call.
#[tokio::test]
async fn the_job_reads_its_regions_at_the_same_time() {
    let emu = emulator::exclusive().await;
    seed_both_regions(&emu).await;
    let src = source(clients(&emu, &[EAST, WEST]).await, LookupPolicy::default());
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let clock = Arc::new(ManualClock::new(end() + Duration::minutes(1)));
    let config = CloudTrailJobConfig {
        regions: vec![EAST.into(), WEST.into()],
        overlap_minutes: 20,
        backfill_hours: 2,
    };
    let report = CloudTrailJob::new(Arc::new(src), store.clone(), clock, config).run_once().await;
    assert!(report.succeeded(), "{:?}", report.errors);
    let events: Vec<(&str, u64)> = report.regions.iter().map(|r| (r.region.as_str(), r.events)).collect();
    assert_eq!(events, vec![(EAST, 120), (WEST, 120)], "in configured order");
    let log = emu.requests(Some("cloudtrail")).await.unwrap();
    assert_paced(&log, EAST);
    assert_paced(&log, WEST);
    assert_interleaved(&log);
    let calls: u64 = store.call_totals().await.unwrap().iter().map(|c| c.calls).sum();
    assert_eq!(calls, 240);
}

#[tokio::test]
async fn an_injected_throttle_is_waited_out_and_counted() {
    let emu = emulator::exclusive().await;
    emu.seed_cloudtrail(&east_history()).await.unwrap();
    emu.inject_fault(&Fault::new("cloudtrail", FaultKind::Throttle).count(2)).await.unwrap();
    let policy = LookupPolicy { throttle_backoff: StdDuration::from_millis(300), ..LookupPolicy::default() };
    let src = source(clients(&emu, &[EAST]).await, policy);

    let fetch = src.events(EAST, start(), end()).await.unwrap();

    assert_eq!(fetch.events.len(), 165);
    assert_eq!((fetch.requests, fetch.throttles), (6, 2));
    let log = emu.requests(Some("cloudtrail")).await.unwrap();
    let statuses: Vec<u16> = log.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [400, 400, 200, 200, 200, 200]);
    assert_paced(&log, EAST);
}
