#![allow(clippy::unwrap_used)]

use chrono::TimeZone;
use serde_json::{json, Value};

use super::*;
use crate::sources::cloudtrail::principal::PrincipalType;

const SONNET_US: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

/// The shape of the Bedrock user guide's InvokeModel sample: an assumed role
/// whose `arn` looks like a user, `responseElements: null`, an inference region.
fn guide_sample() -> Value {
    json!({
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole", "principalId": "AROAICFHPEXAMPLE",
            "arn": "arn:aws:iam::111122223333:user/userxyz", "accountId": "111122223333",
            "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "principalId": "AROAICFHPEXAMPLE",
                    "arn": "arn:aws:iam::111122223333:role/Admin", "accountId": "111122223333",
                    "userName": "Admin"},
                "webIdFederationData": {},
                "attributes": {"creationDate": "2024-05-23T22:14:29Z", "mfaAuthenticated": "false"}
            }
        },
        "eventTime": "2024-05-23T22:30:17Z",
        "eventSource": "bedrock.amazonaws.com",
        "eventName": "InvokeModel",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "192.0.2.10",
        "userAgent": "Boto3/1.34.107 md/Botocore#1.34.107 ua/2.0 os/macos#23.4.0 lang/python#3.12.3",
        "requestParameters": {"modelId": "meta.llama3-8b-instruct-v1:0"},
        "responseElements": null,
        "additionalEventData": {"inferenceRegion": "us-west-2"},
        "requestID": "a7c3e1f0-0000-4000-8000-000000000001",
        "eventID": "3f5d0a62-0000-4000-8000-000000000001",
        "readOnly": true,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": "111122223333",
        "eventCategory": "Management",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                       "clientProvidedHostHeader": "bedrock-runtime.us-east-1.amazonaws.com"}
    })
}

fn with(mut base: Value, patch: Value) -> Value {
    for (k, v) in patch.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

fn role_session(session: &str) -> Value {
    json!({"type": "AssumedRole", "principalId": format!("AROAEXAMPLE:{session}"),
           "arn": format!("arn:aws:sts::111122223333:assumed-role/chat-backend/{session}"),
           "accountId": "111122223333",
           "sessionContext": {"sessionIssuer": {"type": "Role",
               "arn": "arn:aws:iam::111122223333:role/service/chat-backend", "accountId": "111122223333"}}})
}

fn parse(v: &Value) -> InvocationEvent {
    parse_event(&v.to_string()).unwrap_or_else(|e| panic!("{e}: {v}"))
}

#[test]
fn the_guide_sample_parses_completely() {
    let e = parse(&guide_sample());
    assert_eq!(e.event_id, "3f5d0a62-0000-4000-8000-000000000001");
    assert_eq!(e.event_time, Utc.with_ymd_and_hms(2024, 5, 23, 22, 30, 17).unwrap());
    assert_eq!(e.event_name, "InvokeModel");
    assert_eq!(e.region, "us-east-1");
    assert_eq!(e.principal.key, "arn:aws:iam::111122223333:role/Admin");
    assert_eq!(e.principal.kind, PrincipalType::AssumedRole);
    assert_eq!(e.account_id.as_deref(), Some("111122223333"));
    assert_eq!(e.model_id.as_deref(), Some("meta.llama3-8b-instruct-v1:0"));
    assert_eq!(e.error_code, None);
    assert_eq!(e.source_ip.as_deref(), Some("192.0.2.10"));
    assert!(e.user_agent.as_deref().unwrap().starts_with("Boto3/1.34.107"));
    assert_eq!(e.inference_region.as_deref(), Some("us-west-2"));
    assert_eq!((e.input_tokens, e.output_tokens), (None, None));
}

/// (case, record, model ID, principal, session, error, inference region, tokens)
type Row = (
    &'static str,
    Value,
    Option<&'static str>,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    (Option<u64>, Option<u64>),
);

fn table() -> Vec<Row> {
    let role = "arn:aws:iam::111122223333:role/service/chat-backend";
    let user = "arn:aws:iam::111122223333:user/alice";
    let iam_user = json!({"type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": user,
                          "accountId": "111122223333", "userName": "alice"});
    let sample = guide_sample;
    vec![
        (
            "assumed role session, Converse with tokens",
            with(
                sample(),
                json!({"eventName": "Converse", "userIdentity": role_session("req-42"),
             "requestParameters": {"modelId": SONNET_US},
             "additionalEventData": {"inferenceRegion": "us-east-2", "inputTokens": 1200, "outputTokens": 340}}),
            ),
            Some(SONNET_US),
            role,
            Some("req-42"),
            None,
            Some("us-east-2"),
            (Some(1200), Some(340)),
        ),
        (
            "IAM user, in-region call without additionalEventData",
            with(
                sample(),
                json!({"userIdentity": iam_user, "additionalEventData": null,
             "requestParameters": {"modelId": "anthropic.claude-3-haiku-20240307-v1:0", "accept": "*/*"}}),
            ),
            Some("anthropic.claude-3-haiku-20240307-v1:0"),
            user,
            None,
            None,
            None,
            (None, None),
        ),
        (
            "AccessDeniedException",
            with(
                sample(),
                json!({"userIdentity": iam_user, "errorCode": "AccessDeniedException",
             "errorMessage": "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: bedrock:InvokeModel",
             "additionalEventData": null}),
            ),
            Some("meta.llama3-8b-instruct-v1:0"),
            user,
            None,
            Some("AccessDeniedException"),
            None,
            (None, None),
        ),
        (
            "ThrottlingException on a stream",
            with(
                sample(),
                json!({"eventName": "InvokeModelWithResponseStream", "userIdentity": role_session("s"),
             "errorCode": "ThrottlingException", "errorMessage": "Too many requests, please wait before trying again."}),
            ),
            Some("meta.llama3-8b-instruct-v1:0"),
            role,
            Some("s"),
            Some("ThrottlingException"),
            Some("us-west-2"),
            (None, None),
        ),
        (
            "token counts as strings, under the invocation-log spelling",
            with(
                sample(),
                json!({"additionalEventData": {"inputTokenCount": "15", "outputTokenCount": "7"}}),
            ),
            Some("meta.llama3-8b-instruct-v1:0"),
            "arn:aws:iam::111122223333:role/Admin",
            None,
            None,
            None,
            (Some(15), Some(7)),
        ),
        (
            "token counts inside a usage object",
            with(
                sample(),
                json!({"additionalEventData": {"usage": {"inputTokens": 3, "outputTokens": 4, "totalTokens": 7}}}),
            ),
            Some("meta.llama3-8b-instruct-v1:0"),
            "arn:aws:iam::111122223333:role/Admin",
            None,
            None,
            None,
            (Some(3), Some(4)),
        ),
        (
            "unusable token counts read as not reported",
            with(
                sample(),
                json!({"additionalEventData": {"inputTokens": -5, "outputTokens": 2.5, "inferenceRegion": 7}}),
            ),
            Some("meta.llama3-8b-instruct-v1:0"),
            "arn:aws:iam::111122223333:role/Admin",
            None,
            None,
            None,
            (None, None),
        ),
        (
            "additionalEventData that is not an object",
            with(sample(), json!({"additionalEventData": "opaque"})),
            Some("meta.llama3-8b-instruct-v1:0"),
            "arn:aws:iam::111122223333:role/Admin",
            None,
            None,
            None,
            (None, None),
        ),
        (
            "only the required fields",
            json!({"eventID": "e-min", "eventTime": "2026-11-25T10:00:00Z", "eventName": "InvokeModel",
                "awsRegion": "eu-west-1", "userIdentity": {"type": "Root", "accountId": "111122223333"}}),
            None,
            "arn:aws:iam::111122223333:root",
            None,
            None,
            None,
            (None, None),
        ),
        (
            "null request parameters and an empty error code",
            with(sample(), json!({"requestParameters": null, "errorCode": ""})),
            None,
            "arn:aws:iam::111122223333:role/Admin",
            None,
            None,
            Some("us-west-2"),
            (None, None),
        ),
    ]
}

#[test]
fn realistic_records_table() {
    for (case, record, model, principal, session, error, inference, tokens) in table() {
        let e = parse(&record);
        assert_eq!(e.model_id.as_deref(), model, "{case}");
        assert_eq!(e.principal.key, principal, "{case}");
        assert_eq!(e.principal.session_name.as_deref(), session, "{case}");
        assert_eq!(e.error_code.as_deref(), error, "{case}");
        assert_eq!(e.inference_region.as_deref(), inference, "{case}");
        assert_eq!((e.input_tokens, e.output_tokens), tokens, "{case}");
    }
}

#[test]
fn account_falls_back_to_the_recipient() {
    let record = with(
        guide_sample(),
        json!({"userIdentity": {"type": "AWSService", "invokedBy": "bedrock.amazonaws.com"}}),
    );
    let e = parse(&record);
    assert_eq!(e.principal.key, "AWSService:bedrock.amazonaws.com");
    assert_eq!(e.account_id.as_deref(), Some("111122223333"));
}

#[test]
fn offsets_and_fractions_in_event_time() {
    let e = parse(&with(guide_sample(), json!({"eventTime": "2026-11-25T11:00:05.250+01:00"})));
    assert_eq!(
        e.event_time,
        Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 5).unwrap() + chrono::Duration::milliseconds(250)
    );
}

#[test]
fn garbage_is_an_error_value_never_a_panic() {
    let missing = |field: &str| {
        let mut v = guide_sample();
        v.as_object_mut().unwrap().remove(field);
        v.to_string()
    };
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "not a JSON object"),
        ("not json".into(), "not a JSON object"),
        ("[]".into(), "not a JSON object"),
        (
            json!(["e", "2026-11-25T10:00:00Z", "InvokeModel", "us-east-1", {}]).to_string(),
            "not a JSON object",
        ),
        ("null".into(), "not a JSON object"),
        ("{\"eventID\": \"x\",}".into(), "trailing comma"),
        ("{\"eventID\": 12}".into(), "invalid type"),
        ("{}".into(), "no eventID"),
        (missing("eventTime"), "no eventTime"),
        (missing("eventName"), "no eventName"),
        (missing("awsRegion"), "no awsRegion"),
        (missing("userIdentity"), "no userIdentity"),
        (with(guide_sample(), json!({"eventTime": "yesterday"})).to_string(), "eventTime \"yesterday\""),
        (with(guide_sample(), json!({"eventTime": "2026-11-25 10:00"})).to_string(), "eventTime"),
        (with(guide_sample(), json!({"userIdentity": "alice"})).to_string(), "invalid type"),
        (with(guide_sample(), json!({"requestParameters": {"modelId": ["a"]}})).to_string(), "invalid type"),
        (guide_sample().to_string()[..200].to_string(), "EOF"),
    ];
    for (raw, reason) in cases {
        let err = parse_event(&raw).unwrap_err();
        assert!(err.reason.contains(reason), "{raw:?}: {} should mention {reason:?}", err.reason);
    }
}
