//! The seeded CloudTrail records: identities as Bedrock's events carry them
//! (assumed-role sessions, an IAM user, an Identity Center role), the calls
//! that count and the events that must be left out.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{json, Value};

pub const EAST: &str = "us-east-1";
pub const WEST: &str = "us-west-2";
pub const SONNET_US: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
pub const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";
pub const ROLE: &str = "arn:aws:iam::111122223333:role/service/chat-backend";
pub const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
pub const SSO_ROLE: &str =
    "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataScience_0a1b2c3d4e5f6a7b";

pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
}

pub fn end() -> DateTime<Utc> {
    start() + Duration::minutes(10)
}

pub fn role_session(session: &str) -> Value {
    json!({"type": "AssumedRole", "principalId": format!("AROAEXAMPLEROLE:{session}"),
        "arn": format!("arn:aws:sts::111122223333:assumed-role/chat-backend/{session}"),
        "accountId": "111122223333", "accessKeyId": "ASIAEXAMPLE",
        "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEROLE",
            "arn": ROLE, "accountId": "111122223333", "userName": "chat-backend"},
            "attributes": {"creationDate": "2026-11-25T09:00:00Z", "mfaAuthenticated": "false"}}})
}

pub fn alice() -> Value {
    json!({"type": "IAMUser", "principalId": "AIDAEXAMPLEALICE", "arn": ALICE,
        "accountId": "111122223333", "accessKeyId": "AKIAEXAMPLE", "userName": "alice"})
}

pub fn sso_user(person: &str) -> Value {
    json!({"type": "AssumedRole", "principalId": format!("AROAEXAMPLESSO:{person}"),
        "arn": format!("arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_DataScience_0a1b2c3d4e5f6a7b/{person}"),
        "accountId": "111122223333",
        "sessionContext": {"sessionIssuer": {"type": "Role", "arn": SSO_ROLE, "accountId": "111122223333"}}})
}

/// A trail record; `extra` is merged over the defaults.
pub fn record(id: &str, region: &str, at: DateTime<Utc>, name: &str, identity: Value, extra: Value) -> Value {
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

pub fn at(minute: i64, second: i64) -> DateTime<Utc> {
    start() + Duration::minutes(minute) + Duration::seconds(second)
}

/// The busy region: 173 events LookupEvents returns for the window, so four pages.
pub fn east_history() -> Vec<Value> {
    let mut v = calls_that_count();
    v.extend(events_left_out());
    v
}

/// 165 Bedrock runtime calls in the window, some seeded twice.
pub fn calls_that_count() -> Vec<Value> {
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

pub fn events_left_out() -> Vec<Value> {
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
