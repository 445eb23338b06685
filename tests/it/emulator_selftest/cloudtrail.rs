//! CloudTrail `LookupEvents` as the gateway implements it, through the real
//! SDK client: newest-first paging, filters, late events, validation like
//! AWS, and the 2-requests-per-second throttle per region.

#![allow(clippy::disallowed_methods, reason = "the throttle test fires a burst of concurrent requests")]

use std::collections::HashMap;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::SdkConfig;
use aws_sdk_cloudtrail::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudtrail::operation::lookup_events::builders::LookupEventsFluentBuilder;
use aws_sdk_cloudtrail::operation::lookup_events::{LookupEventsError, LookupEventsOutput};
use aws_sdk_cloudtrail::primitives::DateTime;
use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use serde_json::{json, Value};

use super::{now_secs, HAIKU, OTHER_REGION, REGION};
use crate::helpers::emulator;

#[expect(clippy::disallowed_methods, reason = "a client of the emulator, for the test")]
fn cloudtrail(sdk: &SdkConfig) -> aws_sdk_cloudtrail::Client {
    let conf = aws_sdk_cloudtrail::config::Builder::from(sdk).retry_config(RetryConfig::disabled());
    aws_sdk_cloudtrail::Client::from_conf(conf.build())
}

/// A raw trail record like the ones Bedrock writes.
fn trail_record(id: &str, region: &str, at: i64, name: &str, identity: Value) -> Value {
    let when = chrono::DateTime::from_timestamp(at, 0).unwrap();
    json!({
        "eventVersion": "1.09",
        "eventID": id,
        "eventTime": when.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "eventName": name,
        "eventSource": "bedrock.amazonaws.com",
        "awsRegion": region,
        "userIdentity": identity,
        "sourceIPAddress": "192.0.2.10",
        "userAgent": "aws-sdk-rust/1.0",
        "requestParameters": {"modelId": HAIKU},
        "readOnly": false,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": "123456789012",
    })
}

fn assumed_role(session: &str) -> Value {
    json!({
        "type": "AssumedRole",
        "principalId": format!("AROAEXAMPLE:{session}"),
        "arn": format!("arn:aws:sts::123456789012:assumed-role/BedrockCaller/{session}"),
        "accountId": "123456789012",
        "accessKeyId": "ASIAEXAMPLE",
        "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "BedrockCaller"}},
    })
}

fn iam_user(name: &str) -> Value {
    json!({
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLE",
        "arn": format!("arn:aws:iam::123456789012:user/{name}"),
        "accountId": "123456789012",
        "accessKeyId": "AKIAEXAMPLE",
        "userName": name,
    })
}

struct Seeded {
    id: String,
    region: &'static str,
    at: i64,
    name: &'static str,
}

/// 120 events over two regions; pairs share a timestamp to exercise the tie-break.
fn seed_set(base: i64) -> (Vec<Seeded>, Vec<Value>) {
    let mut seeded = Vec::new();
    let mut records = Vec::new();
    for i in 0..120_i64 {
        let region = if i % 3 == 0 { OTHER_REGION } else { REGION };
        let name = if i % 4 == 0 { "Converse" } else { "InvokeModel" };
        let at = base - (i / 2) * 10;
        let id = format!("evt-{i:03}");
        let identity = if i % 5 == 0 { assumed_role("alice-session") } else { iam_user("bob") };
        records.push(trail_record(&id, region, at, name, identity));
        seeded.push(Seeded { id, region, at, name });
    }
    (seeded, records)
}

/// Newest first, equal times by EventId: the order the emulator promises.
fn expected_ids(seeded: &[Seeded], keep: impl Fn(&Seeded) -> bool) -> Vec<&str> {
    let mut selected: Vec<&Seeded> = seeded.iter().filter(|s| keep(s)).collect();
    selected.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.id.cmp(&b.id)));
    selected.iter().map(|s| s.id.as_str()).collect()
}

fn is_throttle<R>(err: &SdkError<LookupEventsError, R>) -> bool {
    err.code() == Some("ThrottlingException")
}

/// LookupEvents that waits out the 2 TPS limit instead of failing on it.
async fn lookup_patiently(
    request: LookupEventsFluentBuilder,
) -> Result<LookupEventsOutput, LookupEventsError> {
    for _ in 0..60 {
        match request.clone().send().await {
            Err(err) if is_throttle(&err) => tokio::time::sleep(Duration::from_millis(500)).await,
            Err(err) => return Err(err.into_service_error()),
            Ok(out) => return Ok(out),
        }
    }
    panic!("LookupEvents still throttled after 60 attempts");
}

/// Every page of a query, as event ids, checking the page size limit.
async fn all_pages(request: LookupEventsFluentBuilder, page_size: i32) -> Vec<String> {
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = request.clone().max_results(page_size).set_next_token(token.clone());
        let out = lookup_patiently(page).await.expect("LookupEvents page");
        assert!(out.events().len() <= usize::try_from(page_size).unwrap());
        ids.extend(out.events().iter().map(|e| e.event_id().unwrap().to_owned()));
        match out.next_token() {
            Some(next) => token = Some(next.to_owned()),
            None => return ids,
        }
    }
}

fn attribute(key: LookupAttributeKey, value: &str) -> LookupAttribute {
    LookupAttribute::builder().attribute_key(key).attribute_value(value).build().unwrap()
}

#[tokio::test]
async fn cloudtrail_lookup_events_pages_newest_first_and_filters() {
    let emu = emulator::exclusive().await;
    let base = now_secs() - 3600;
    let (seeded, records) = seed_set(base);
    assert_eq!(emu.seed_cloudtrail(&records).await.unwrap(), 120);
    let east = cloudtrail(&emu.sdk_config(REGION).await);
    let west = cloudtrail(&emu.sdk_config(OTHER_REGION).await);

    // Every event of the region exactly once, newest first, in pages of 50.
    let ids = all_pages(east.lookup_events(), 50).await;
    assert_eq!(ids, expected_ids(&seeded, |s| s.region == REGION));
    assert_eq!(ids.len(), 80);
    let ids = all_pages(west.lookup_events(), 50).await;
    assert_eq!(ids, expected_ids(&seeded, |s| s.region == OTHER_REGION));

    // Derived fields, including the session name of an assumed role.
    let out = lookup_patiently(
        east.lookup_events().lookup_attributes(attribute(LookupAttributeKey::EventId, "evt-020")),
    )
    .await
    .unwrap();
    let [event] = out.events() else { panic!("expected one event, got {:?}", out.events()) };
    assert_eq!(event.username(), Some("alice-session"));
    assert_eq!(event.event_name(), Some("Converse"));
    assert_eq!(event.event_source(), Some("bedrock.amazonaws.com"));
    assert_eq!(event.access_key_id(), Some("ASIAEXAMPLE"));
    assert_eq!(event.event_time().map(DateTime::secs), Some(base - 100));
    let raw: Value = serde_json::from_str(event.cloud_trail_event().unwrap()).unwrap();
    assert_eq!(raw["eventID"], "evt-020");
    assert_eq!(raw["requestParameters"]["modelId"], HAIKU);

    // Inclusive time range.
    let (from, to) = (base - 300, base - 100);
    let ids = all_pages(
        east.lookup_events().start_time(DateTime::from_secs(from)).end_time(DateTime::from_secs(to)),
        7,
    )
    .await;
    let expected = expected_ids(&seeded, |s| s.region == REGION && (from..=to).contains(&s.at));
    assert_eq!(ids, expected);
    assert!(!expected.is_empty());

    // One lookup attribute, combined with paging.
    let ids = all_pages(
        east.lookup_events().lookup_attributes(attribute(LookupAttributeKey::EventName, "Converse")),
        9,
    )
    .await;
    assert_eq!(ids, expected_ids(&seeded, |s| s.region == REGION && s.name == "Converse"));
    let ids = all_pages(
        east.lookup_events().lookup_attributes(attribute(LookupAttributeKey::Username, "alice-session")),
        50,
    )
    .await;
    let assumed = (0..).zip(&seeded).filter(|(i, s)| s.region == REGION && i % 5 == 0);
    assert_eq!(ids.len(), assumed.count());
}

#[tokio::test]
async fn cloudtrail_lookup_events_takes_late_events_and_validates_like_aws() {
    let emu = emulator::exclusive().await;
    let base = now_secs() - 3600;
    let (_, records) = seed_set(base);
    emu.seed_cloudtrail(&records).await.unwrap();
    let east = cloudtrail(&emu.sdk_config(REGION).await);

    // Late arrival and idempotent re-seeding.
    let late = trail_record("evt-late", REGION, base + 5, "InvokeModel", iam_user("carol"));
    let replaced = trail_record("evt-001", REGION, base, "Converse", iam_user("bob"));
    assert_eq!(emu.seed_cloudtrail(&[late, replaced]).await.unwrap(), 2);
    let ids = all_pages(east.lookup_events(), 50).await;
    assert_eq!(ids.len(), 81);
    assert_eq!(ids[0], "evt-late");
    let out = lookup_patiently(
        east.lookup_events().lookup_attributes(attribute(LookupAttributeKey::EventId, "evt-001")),
    )
    .await
    .unwrap();
    assert_eq!(out.events()[0].event_name(), Some("Converse"));

    // The real API's validation errors.
    let err = lookup_patiently(east.lookup_events().max_results(51)).await.unwrap_err();
    assert!(err.is_invalid_max_results_exception(), "{err:?}");
    let err = lookup_patiently(
        east.lookup_events()
            .lookup_attributes(attribute(LookupAttributeKey::EventName, "Converse"))
            .lookup_attributes(attribute(LookupAttributeKey::Username, "bob")),
    )
    .await
    .unwrap_err();
    assert!(err.is_invalid_lookup_attributes_exception(), "{err:?}");
    let err = lookup_patiently(east.lookup_events().next_token("not-a-token")).await.unwrap_err();
    assert!(err.is_invalid_next_token_exception(), "{err:?}");
    // A token is bound to the query it came from.
    let first = lookup_patiently(east.lookup_events().max_results(5)).await.unwrap();
    let token = first.next_token().unwrap();
    let err = lookup_patiently(
        east.lookup_events()
            .lookup_attributes(attribute(LookupAttributeKey::EventName, "Converse"))
            .next_token(token),
    )
    .await
    .unwrap_err();
    assert!(err.is_invalid_next_token_exception(), "{err:?}");
}

#[tokio::test]
async fn cloudtrail_lookup_events_is_throttled_at_two_per_second_per_region() {
    let emu = emulator::exclusive().await;
    let base = now_secs() - 600;
    let (_, records) = seed_set(base);
    emu.seed_cloudtrail(&records).await.unwrap();
    let east = cloudtrail(&emu.sdk_config(REGION).await);

    // A burst of concurrent calls: far more than 2 arrive within one second.
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let client = east.clone();
        burst.spawn(async move { client.lookup_events().max_results(1).send().await });
    }
    let (mut accepted, mut throttled) = (0, 0);
    while let Some(result) = burst.join_next().await {
        match result.unwrap() {
            Ok(_) => accepted += 1,
            Err(err) if is_throttle(&err) => {
                assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(400));
                throttled += 1;
            }
            Err(err) => panic!("unexpected error {err:?}"),
        }
    }
    assert!(throttled >= 1, "no ThrottlingException in a burst of 8");
    assert!(accepted >= 1);

    // Another region has its own budget.
    let west = cloudtrail(&emu.sdk_config(OTHER_REGION).await);
    west.lookup_events().max_results(1).send().await.expect("first call in another region");

    let log = emu.requests(Some("cloudtrail")).await.unwrap();
    let east_log: Vec<_> = log.iter().filter(|r| r.region == REGION).collect();
    assert!(east_log.iter().all(|r| r.operation == "LookupEvents"));
    assert_eq!(east_log.iter().filter(|r| r.status == 200).count(), accepted);
    assert_eq!(east_log.iter().filter(|r| r.status == 400).count(), throttled);
    let mut by_region: HashMap<&str, Vec<f64>> = HashMap::new();
    for record in log.iter().filter(|r| r.status == 200) {
        by_region.entry(&record.region).or_default().push(record.t);
    }
    for (region, mut times) in by_region {
        times.sort_by(f64::total_cmp);
        for window in times.windows(3) {
            assert!(
                window[2] - window[0] >= 1.0 - 1e-6,
                "3 LookupEvents accepted within 1 s in {region}: {window:?}"
            );
        }
    }
}
