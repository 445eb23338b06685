//! Invocation-log records as Bedrock writes them (AWS's `ModelInvocationLog`
//! schema 1.0, with the cache counts real records carry), a mixed workload
//! whose bill is computed by hand below, and the emulator's log group.

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{json, Value};

const SONNET: &str = "global.anthropic.claude-sonnet-4-5-20250929-v1:0";
const HAIKU_3: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const ACCOUNT: &str = "111122223333";
/// The log stream Bedrock delivers to, per its documentation.
const STREAM: &str = "aws/bedrock/modelinvocations";

/// One logged call.
#[derive(Clone)]
pub struct Call {
    pub at: DateTime<Utc>,
    pub record: Value,
}

fn record(id: &str, at: DateTime<Utc>, model: &str, op: &str, user: Option<(&str, &str)>) -> Value {
    let mut r = json!({
        "schemaType": "ModelInvocationLog",
        "schemaVersion": "1.0",
        "timestamp": at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "accountId": ACCOUNT,
        "identity": { "arn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/app-task/7f3e1c2d") },
        "region": "us-east-1",
        "requestId": id,
        "operation": op,
        "modelId": model,
        "input": {
            "inputContentType": "application/json",
            "inputBodyJson": { "messages": [{ "role": "user", "content": [{ "text": "SECRET PROMPT" }] }] },
        },
        "output": {
            "outputContentType": "application/json",
            "outputBodyJson": { "output": { "message": { "content": [{ "text": "SECRET COMPLETION" }] } } },
        },
    });
    if let Some((user, tenant)) = user {
        r["requestMetadata"] = json!({ "user_id": user, "tenant": tenant, "feature": "chat" });
    }
    r
}

fn tokens(mut r: Value, input: u64, output: u64, read: u64, write: u64) -> Value {
    r["input"]["inputTokenCount"] = json!(input);
    r["output"]["outputTokenCount"] = json!(output);
    r["input"]["cacheReadInputTokenCount"] = json!(read);
    r["input"]["cacheWriteInputTokenCount"] = json!(write);
    r
}

/// Bills by hand. Sonnet 4.5 global: input 3, output 15, cache read 0.30,
/// 5m write 3.75, 1h write 6 per million; above 200K prompt tokens 6, 22.50,
/// 0.60, 7.50, 12. Claude 3 Haiku: 0.25, 1.25, 0.03, 0.30 (5m).
/// u-1: a 1000×3 + 500×15 = 0.0105; b (210K prompt: long) 150000×6 +
/// 60000×0.60 + 2000×22.50 = 0.981; c 100×3 + 10×15 + 1000×3.75 + 2000×6 =
/// 0.0162. Sum 1.0077.
pub const U1_USD: &str = "1.0077";
/// u-2: d 10000×0.25 + 2000×1.25 = 0.005; e 1000×0.25 + 100×1.25 + 4000×0.30
/// (no split: the configured 5m TTL) = 0.001575. Sum 0.006575.
pub const U2_USD: &str = "0.006575";
/// No metadata: f 2000×3 + 1000×15 = 0.021; g throttled, no tokens, $0.
pub const NONE_USD: &str = "0.021";

/// Seven calls, one delivered twice, one of another region.
pub fn mixed_workload(t0: DateTime<Utc>) -> Vec<Call> {
    let at = |m: i64| t0 + Duration::minutes(m) + Duration::seconds(7);
    let u1 = Some(("u-1", "acme"));
    let u2 = Some(("u-2", "globex"));
    let a = tokens(record("req-a", at(1), SONNET, "Converse", u1), 1_000, 500, 0, 0);
    let b = tokens(record("req-b", at(2), SONNET, "InvokeModel", u1), 150_000, 2_000, 60_000, 0);
    let mut c = tokens(record("req-c", at(3), SONNET, "Converse", u1), 100, 10, 0, 3_000);
    c["output"]["outputBodyJson"]["usage"] = json!({
        "inputTokens": 100, "outputTokens": 10, "cacheWriteInputTokens": 3000,
        "cacheDetails": [{ "inputTokens": 2000, "ttl": "1h" }, { "inputTokens": 1000, "ttl": "5m" }],
    });
    let d = tokens(record("req-d", at(4), HAIKU_3, "InvokeModel", u2), 10_000, 2_000, 0, 0);
    let e = tokens(record("req-e", at(5), HAIKU_3, "InvokeModel", u2), 1_000, 100, 0, 4_000);
    let f = tokens(record("req-f", at(6), SONNET, "ConverseStream", None), 2_000, 1_000, 0, 0);
    let mut g = record("req-g", at(7), SONNET, "Converse", None);
    g["errorCode"] = json!("ThrottlingException");
    let mut west = tokens(record("req-w", at(8), SONNET, "Converse", u1), 5, 5, 0, 0);
    west["region"] = json!("us-west-2");
    let a_again = a.clone();
    [(1, a), (2, b), (3, c), (4, d), (5, e), (6, f), (7, g), (8, west), (9, a_again)]
        .into_iter()
        .map(|(m, record)| Call { at: at(m), record })
        .collect()
}

/// Lines that are not usable records: not JSON, another schema, a negative count.
pub fn garbage() -> Vec<String> {
    let bad_count = json!({
        "schemaType": "ModelInvocationLog", "schemaVersion": "1.0", "timestamp": "2026-12-06T10:00:00Z",
        "requestId": "req-bad", "region": "us-east-1", "operation": "Converse", "modelId": SONNET,
        "identity": { "arn": "arn:aws:iam::111122223333:user/x" },
        "input": { "inputTokenCount": -5 }, "output": { "outputTokenCount": 1 },
    });
    vec![
        "not json at all".into(),
        json!({ "schemaType": "SomethingElse" }).to_string(),
        bad_count.to_string(),
    ]
}

/// Creates the group and Bedrock's stream, and delivers the calls (and the
/// garbage lines, a second after the first call) in time order.
pub async fn put_records(
    emu: &bedrock_cost_monitor::emulator::Emulator,
    group: &str,
    calls: &[Call],
    junk: &[String],
) {
    let sdk = emu.sdk_config("us-east-1").await;
    #[expect(clippy::disallowed_methods, reason = "delivers the records to the emulator, as Bedrock would")]
    let client = aws_sdk_cloudwatchlogs::Client::new(&sdk);
    client.create_log_group().log_group_name(group).send().await.unwrap();
    client.create_log_stream().log_group_name(group).log_stream_name(STREAM).send().await.unwrap();
    let mut events: Vec<(i64, String)> =
        calls.iter().map(|c| (c.at.timestamp_millis(), c.record.to_string())).collect();
    let first = calls.first().map(|c| c.at.timestamp_millis()).unwrap_or_default();
    events.extend(junk.iter().map(|j| (first + 1_000, j.clone())));
    events.sort_by_key(|(t, _)| *t);
    let events: Vec<InputLogEvent> = events
        .into_iter()
        .map(|(t, m)| InputLogEvent::builder().timestamp(t).message(m).build().unwrap())
        .collect();
    client
        .put_log_events()
        .log_group_name(group)
        .log_stream_name(STREAM)
        .set_log_events(Some(events))
        .send()
        .await
        .unwrap();
}

/// Bedrock's own count of failed deliveries to CloudWatch Logs, published
/// as AWS documents it: `AWS/Bedrock`, no dimension ("across all model IDs").
pub async fn put_delivery_failures(
    emu: &bedrock_cost_monitor::emulator::Emulator,
    at: DateTime<Utc>,
    failures: u32,
) {
    use aws_sdk_cloudwatch::primitives::DateTime as SmithyTime;
    use aws_sdk_cloudwatch::types::MetricDatum;
    #[expect(clippy::disallowed_methods, reason = "publishes Bedrock's delivery metric to the emulator")]
    let client = aws_sdk_cloudwatch::Client::new(&emu.sdk_config("us-east-1").await);
    let datum = MetricDatum::builder()
        .metric_name("ModelInvocationLogsCloudWatchDeliveryFailure")
        .timestamp(SmithyTime::from_secs(at.timestamp()))
        .value(f64::from(failures))
        .build();
    client.put_metric_data().namespace("AWS/Bedrock").metric_data(datum).send().await.unwrap();
}

/// `n` calls of user u-9 on Claude 3 Haiku, 1,000 in and 100 out each:
/// 1000×0.25 + 100×1.25 per million = $0.000375 a call.
pub fn filler(t0: DateTime<Utc>, n: usize) -> Vec<Call> {
    (0..n)
        .map(|i| {
            let at = t0 + Duration::minutes(20) + Duration::seconds(i as i64);
            let r = record(&format!("req-fill-{i}"), at, HAIKU_3, "InvokeModel", Some(("u-9", "acme")));
            Call { at, record: tokens(r, 1_000, 100, 0, 0) }
        })
        .collect()
}
