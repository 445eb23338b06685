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

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use bedrock_cost_monitor::attribution::attribute_minute;
use bedrock_cost_monitor::clock::ManualClock;
use bedrock_cost_monitor::collector::{CloudTrailJob, CloudTrailJobConfig};
use bedrock_cost_monitor::config::types::CloudTrailSource as CloudTrailConfig;
use bedrock_cost_monitor::emulator::{Emulator, Fault, FaultKind, RequestRecord};
use bedrock_cost_monitor::ledger::sqlite::SqliteStore;
use bedrock_cost_monitor::ledger::{Attribution, CostLine, LinePricing, Store};
use bedrock_cost_monitor::pricing::TokenType;
use bedrock_cost_monitor::sources::cloudtrail::CloudTrailSource;
use bedrock_cost_monitor::sources::cloudtrail_calls::aggregate;
use bedrock_cost_monitor::sources::cloudtrail_paging::LookupPolicy;
use bedrock_cost_monitor::sources::{EventFetch, EventSource};
use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Value};

const EAST: &str = "us-east-1";
const WEST: &str = "us-west-2";
const SONNET_US: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const ROLE: &str = "arn:aws:iam::111122223333:role/service/chat-backend";
const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const SSO_ROLE: &str =
    "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataScience_0a1b2c3d4e5f6a7b";

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
}

fn end() -> DateTime<Utc> {
    start() + Duration::minutes(10)
}

fn role_session(session: &str) -> Value {
    json!({"type": "AssumedRole", "principalId": format!("AROAEXAMPLEROLE:{session}"),
        "arn": format!("arn:aws:sts::111122223333:assumed-role/chat-backend/{session}"),
        "accountId": "111122223333", "accessKeyId": "ASIAEXAMPLE",
        "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEROLE",
            "arn": ROLE, "accountId": "111122223333", "userName": "chat-backend"},
            "attributes": {"creationDate": "2026-11-25T09:00:00Z", "mfaAuthenticated": "false"}}})
}

fn alice() -> Value {
    json!({"type": "IAMUser", "principalId": "AIDAEXAMPLEALICE", "arn": ALICE,
        "accountId": "111122223333", "accessKeyId": "AKIAEXAMPLE", "userName": "alice"})
}

fn sso_user(person: &str) -> Value {
    json!({"type": "AssumedRole", "principalId": format!("AROAEXAMPLESSO:{person}"),
        "arn": format!("arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_DataScience_0a1b2c3d4e5f6a7b/{person}"),
        "accountId": "111122223333",
        "sessionContext": {"sessionIssuer": {"type": "Role", "arn": SSO_ROLE, "accountId": "111122223333"}}})
}

/// A trail record; `extra` is merged over the defaults.
fn record(id: &str, region: &str, at: DateTime<Utc>, name: &str, identity: Value, extra: Value) -> Value {
    let mut r = json!({
        "eventVersion": "1.09", "eventID": id, "eventTime": at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "eventSource": "bedrock.amazonaws.com", "eventName": name, "awsRegion": region,
        "userIdentity": identity, "sourceIPAddress": "198.51.100.7", "userAgent": "aws-sdk-rust/1.3.0",
        "requestParameters": {"modelId": SONNET_US}, "responseElements": null,
        "requestID": format!("req-{id}"), "readOnly": false, "eventType": "AwsApiCall",
        "managementEvent": true, "recipientAccountId": "111122223333", "eventCategory": "Management",
    });
    for (k, v) in extra.as_object().unwrap() {
        r[k] = v.clone();
    }
    r
}

fn at(minute: i64, second: i64) -> DateTime<Utc> {
    start() + Duration::minutes(minute) + Duration::seconds(second)
}

/// The busy region: 173 events LookupEvents returns for the window, so four pages.
fn east_history() -> Vec<Value> {
    let mut v = calls_that_count();
    v.extend(events_left_out());
    v
}

/// 165 Bedrock runtime calls in the window, some seeded twice.
fn calls_that_count() -> Vec<Value> {
    let mut v = Vec::new();
    for i in 0..120 {
        let inference = if i % 2 == 0 { "us-east-2" } else { "us-west-2" };
        v.push(record(
            &format!("role-{i:03}"),
            EAST,
            at(i % 5, i / 5),
            "InvokeModel",
            role_session(&format!("s-{}", i % 4)),
            json!({"additionalEventData": {"inferenceRegion": inference}}),
        ));
    }
    for i in 0..30 {
        v.push(record(
            &format!("alice-{i:02}"),
            EAST,
            at(i % 3, 30 + i / 3),
            "Converse",
            alice(),
            json!({"requestParameters": {"modelId": HAIKU},
                   "additionalEventData": {"inputTokens": 100, "outputTokens": 20}}),
        ));
    }
    for i in 0..5 {
        v.push(record(
            &format!("denied-{i}"),
            EAST,
            at(1, 50 + i),
            "InvokeModel",
            alice(),
            json!({"errorCode": "AccessDeniedException", "errorMessage": "not authorized"}),
        ));
    }
    for i in 0..4 {
        v.push(record(
            &format!("throttled-{i}"),
            EAST,
            at(2, 50 + i),
            "InvokeModelWithResponseStream",
            role_session("s-9"),
            json!({"errorCode": "ThrottlingException", "errorMessage": "Too many requests"}),
        ));
    }
    for (i, person) in ["bob@example.com", "dana@example.com"].iter().cycle().take(6).enumerate() {
        v.push(record(
            &format!("sso-{i}"),
            EAST,
            at(3, 40 + i as i64),
            "ConverseStream",
            sso_user(person),
            json!({"requestParameters": {"modelId": HAIKU}}),
        ));
    }
    // Re-seeded IDs replace the earlier record: still one event each.
    for i in 0..10 {
        v.push(record(
            &format!("role-{i:03}"),
            EAST,
            at(i % 5, i / 5),
            "InvokeModel",
            role_session(&format!("s-{}", i % 4)),
            json!({"additionalEventData": {"inferenceRegion": "us-east-2"}}),
        ));
    }
    v
}

fn events_left_out() -> Vec<Value> {
    let mut v = Vec::new();
    // At the window end (LookupEvents includes it, the fetch must not) and beyond.
    v.push(record("at-end-0", EAST, end(), "InvokeModel", alice(), json!({})));
    v.push(record("at-end-1", EAST, end(), "Converse", alice(), json!({})));
    v.push(record("before", EAST, start() - Duration::seconds(1), "InvokeModel", alice(), json!({})));
    v.push(record("after", EAST, end() + Duration::minutes(1), "InvokeModel", alice(), json!({})));
    // Unreadable for the monitor (the gateway stores them as given).
    v.push(record("bad-identity", EAST, at(4, 55), "InvokeModel", Value::Null, json!({})));
    v.push(record(
        "bad-model",
        EAST,
        at(4, 56),
        "InvokeModel",
        alice(),
        json!({"requestParameters": {"modelId": 42}}),
    ));
    // Control-plane calls of the same event source, and another service.
    for (i, name) in
        ["ListFoundationModels", "ListFoundationModels", "GetFoundationModel", "ListInferenceProfiles"]
            .iter()
            .enumerate()
    {
        v.push(record(
            &format!("control-{i}"),
            EAST,
            at(5, i as i64),
            name,
            alice(),
            json!({"requestParameters": null}),
        ));
    }
    v.push(record("s3-0", EAST, at(6, 0), "GetObject", alice(), json!({"eventSource": "s3.amazonaws.com"})));
    v
}

fn source(
    emu_clients: BTreeMap<String, aws_sdk_cloudtrail::Client>,
    policy: LookupPolicy,
) -> CloudTrailSource {
    CloudTrailSource::from_config(emu_clients, &CloudTrailConfig::default()).with_policy(policy)
}

async fn clients(emu: &Emulator, regions: &[&str]) -> BTreeMap<String, aws_sdk_cloudtrail::Client> {
    let mut out = BTreeMap::new();
    for r in regions {
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
    let emu = support::emulator().await;
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
    let emu = support::emulator().await;
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
    let emu = support::emulator().await;
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
    let emu = support::emulator().await;
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
    let emu = support::emulator().await;
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
