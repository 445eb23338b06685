#![allow(clippy::unwrap_used)]

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};

use super::record::*;

const SONNET_US: &str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const ROLE_SESSION: &str = "arn:aws:sts::111122223333:assumed-role/app-role/worker-1";

fn keep() -> Vec<String> {
    vec!["team".to_string(), "project".to_string()]
}

fn parse(record: &Value) -> Result<LogRecord, RecordError> {
    parse_record(&record.to_string(), &keep())
}

/// `record` with the value at a JSON pointer replaced (or added to its parent object).
fn with(mut record: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    record.pointer_mut(parent).unwrap().as_object_mut().unwrap().insert(key.to_string(), value);
    record
}

fn without(mut record: Value, pointer: &str) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    record.pointer_mut(parent).unwrap().as_object_mut().unwrap().remove(key);
    record
}

/// A Converse record in the documented schema, plus the cache counts and
/// `inferenceRegion` real records carry; 3,000 tokens written to the cache.
fn converse() -> Value {
    json!({
        "schemaType": "ModelInvocationLog",
        "schemaVersion": "1.0",
        "timestamp": "2026-12-06T10:15:30Z",
        "accountId": "111122223333",
        "identity": {"arn": ROLE_SESSION},
        "region": "us-east-1",
        "inferenceRegion": "us-east-2",
        "requestId": "7f0c2a3e-0000-4000-8000-000000000001",
        "operation": "Converse",
        "modelId": SONNET_US,
        "requestMetadata": {"team": "search", "project": "atlas", "user": "u-42"},
        "input": {
            "inputContentType": "application/json",
            "inputBodyJson": {"messages": [{"role": "user", "content": [{"text": "Summarise the memo."}]}]},
            "inputTokenCount": 12,
            "cacheReadInputTokenCount": 500,
            "cacheWriteInputTokenCount": 3000
        },
        "output": {
            "outputContentType": "application/json",
            "outputBodyJson": {
                "output": {"message": {"role": "assistant", "content": [{"text": "The memo says…"}]}},
                "stopReason": "end_turn",
                "metrics": {"latencyMs": 812},
                "usage": {
                    "inputTokens": 12, "outputTokens": 40, "totalTokens": 3552,
                    "cacheReadInputTokens": 500, "cacheWriteInputTokens": 3000,
                    "cacheDetails": [{"inputTokens": 1000, "ttl": "5m"}, {"inputTokens": 2000, "ttl": "1h"}]
                }
            },
            "outputTokenCount": 40
        }
    })
}

/// An Anthropic Messages usage object writing 3,000 tokens: 1,000 for 5 minutes, 2,000 for an hour.
fn anthropic_usage() -> Value {
    json!({
        "input_tokens": 12, "output_tokens": 40,
        "cache_read_input_tokens": 500, "cache_creation_input_tokens": 3000,
        "cache_creation": {"ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 2000}
    })
}

fn invoke_model() -> Value {
    let body = json!({
        "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": "The memo says…"}],
        "stop_reason": "end_turn", "usage": anthropic_usage()
    });
    let record = with(converse(), "/operation", json!("InvokeModel"));
    with(record, "/output/outputBodyJson", body)
}

/// A streamed body as the log holds it: the array of decoded events.
fn invoke_stream() -> Value {
    let mut start_usage = anthropic_usage();
    start_usage["output_tokens"] = json!(1);
    let events = json!([
        {"type": "message_start", "message": {"id": "msg_01", "role": "assistant", "content": [], "usage": start_usage}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "The memo says…"}},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 40}},
        {"type": "message_stop", "amazon-bedrock-invocationMetrics": {"inputTokenCount": 12, "outputTokenCount": 40}}
    ]);
    let record = with(converse(), "/operation", json!("InvokeModelWithResponseStream"));
    with(record, "/output/outputBodyJson", events)
}

fn converse_stream() -> Value {
    let events = json!([
        {"messageStart": {"role": "assistant"}},
        {"contentBlockDelta": {"delta": {"text": "The memo says…"}, "contentBlockIndex": 0}},
        {"messageStop": {"stopReason": "end_turn"}},
        {"metadata": {"usage": converse()["output"]["outputBodyJson"]["usage"].clone(), "metrics": {"latencyMs": 9}}}
    ]);
    let record = with(converse(), "/operation", json!("ConverseStream"));
    with(record, "/output/outputBodyJson", events)
}

/// Bodies above 100 KB are delivered to S3: the record names them instead.
fn s3_bodies() -> Value {
    let record = without(without(converse(), "/input/inputBodyJson"), "/output/outputBodyJson");
    let record =
        with(record, "/input/inputBodyS3Path", json!("s3://logs/AWSLogs/111122223333/input/1.json.gz"));
    with(record, "/output/outputBodyS3Path", json!("s3://logs/AWSLogs/111122223333/output/1.json.gz"))
}

#[test]
fn a_documented_converse_record_parses_into_every_field() {
    let record = parse(&converse()).unwrap();
    let expected = LogRecord {
        timestamp: Utc.with_ymd_and_hms(2026, 12, 6, 10, 15, 30).unwrap(),
        request_id: "7f0c2a3e-0000-4000-8000-000000000001".to_string(),
        account_id: Some("111122223333".to_string()),
        region: "us-east-1".to_string(),
        inference_region: Some("us-east-2".to_string()),
        operation: "Converse".to_string(),
        model_id: SONNET_US.to_string(),
        principal_arn: ROLE_SESSION.to_string(),
        metadata: [("project", "atlas"), ("team", "search")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        tokens: RecordTokens {
            input: 12,
            output: 40,
            cache_read: 500,
            cache_write: 3000,
            cache_write_split: Some(CacheWriteSplit { five_minutes: 1000, one_hour: 2000 }),
        },
        error_code: None,
    };
    assert_eq!(record, expected);
}

#[test]
fn the_ttl_split_is_read_from_each_body_shape_and_only_when_it_adds_up() {
    let split = |five_minutes, one_hour| Some(CacheWriteSplit { five_minutes, one_hour });
    let converse_details =
        |details: Value| with(converse(), "/output/outputBodyJson/usage/cacheDetails", details);
    let cases: Vec<(&str, Value, Option<CacheWriteSplit>)> = vec![
        ("Converse cacheDetails", converse(), split(1000, 2000)),
        ("InvokeModel Anthropic cache_creation", invoke_model(), split(1000, 2000)),
        ("InvokeModelWithResponseStream event array", invoke_stream(), split(1000, 2000)),
        ("ConverseStream metadata event", converse_stream(), split(1000, 2000)),
        ("bodies in S3", s3_bodies(), None),
        ("one TTL only", converse_details(json!([{"inputTokens": 3000, "ttl": "1h"}])), split(0, 3000)),
        (
            "two entries of one TTL add up",
            converse_details(json!([{"inputTokens": 1000, "ttl": "5m"}, {"inputTokens": 2000, "ttl": "5m"}])),
            split(3000, 0),
        ),
        (
            "a split that does not add up to the total",
            converse_details(json!([{"inputTokens": 1000, "ttl": "5m"}, {"inputTokens": 1999, "ttl": "1h"}])),
            None,
        ),
        ("an unknown TTL", converse_details(json!([{"inputTokens": 3000, "ttl": "1d"}])), None),
        ("cacheDetails not an array", converse_details(json!("3000")), None),
        (
            "Anthropic parts that do not add up",
            with(
                invoke_model(),
                "/output/outputBodyJson/usage/cache_creation/ephemeral_1h_input_tokens",
                json!(5),
            ),
            None,
        ),
        ("no cache write", with(converse(), "/input/cacheWriteInputTokenCount", json!(0)), None),
        ("no cacheWriteInputTokenCount", without(converse(), "/input/cacheWriteInputTokenCount"), None),
        ("a text body", with(converse(), "/output/outputBodyJson", json!("plain text")), None),
        ("a null body", with(converse(), "/output/outputBodyJson", Value::Null), None),
        ("usage not an object", with(converse(), "/output/outputBodyJson/usage", json!(7)), None),
    ];
    for (name, record, expected) in cases {
        let tokens = parse(&record).unwrap_or_else(|e| panic!("{name}: {e}")).tokens;
        assert_eq!(tokens.cache_write_split, expected, "{name}");
    }
}

#[test]
fn the_counts_do_not_depend_on_the_body_shape() {
    for record in [converse(), invoke_model(), invoke_stream(), converse_stream(), s3_bodies()] {
        let tokens = parse(&record).unwrap().tokens;
        assert_eq!((tokens.input, tokens.output, tokens.cache_read, tokens.cache_write), (12, 40, 500, 3000));
    }
}

#[test]
fn a_failed_call_without_counts_has_zero_tokens_and_its_error_code() {
    let record = without(without(s3_bodies(), "/input/inputTokenCount"), "/output/outputTokenCount");
    let record =
        without(without(record, "/input/cacheReadInputTokenCount"), "/input/cacheWriteInputTokenCount");
    let record = parse(&with(record, "/errorCode", json!("ThrottlingException"))).unwrap();
    assert_eq!(record.error_code.as_deref(), Some("ThrottlingException"));
    assert_eq!(
        record.tokens,
        RecordTokens { input: 0, output: 0, cache_read: 0, cache_write: 0, cache_write_split: None }
    );
}

#[test]
fn optional_fields_may_be_absent_and_unknown_ones_are_ignored() {
    let mut record = converse();
    for pointer in [
        "/schemaType",
        "/accountId",
        "/inferenceRegion",
        "/requestMetadata",
        "/input/cacheReadInputTokenCount",
    ] {
        record = without(record, pointer);
    }
    let record = with(record, "/schemaVersion", json!("2.7"));
    let record = with(record, "/futureField", json!({"nested": [1, 2, 3]}));
    let parsed = parse(&with(record, "/identity/principalId", json!("AROAEXAMPLE:worker-1"))).unwrap();
    assert_eq!((parsed.account_id, parsed.inference_region), (None, None));
    assert!(parsed.metadata.is_empty());
    assert_eq!(parsed.tokens.cache_read, 0);
    assert_eq!(parsed.error_code, None);
}

#[test]
fn metadata_keeps_the_listed_keys_and_cuts_long_values_at_a_char_boundary() {
    let long = "é".repeat(300);
    let record = with(converse(), "/requestMetadata", json!({"team": long, "project": "", "user": "u-42"}));
    let metadata = parse(&record).unwrap().metadata;
    assert_eq!(metadata.keys().collect::<Vec<_>>(), ["project", "team"]);
    assert_eq!(metadata["team"], "é".repeat(256));
    assert_eq!(metadata["project"], "");
    let none_kept = parse_record(&converse().to_string(), &[]).unwrap();
    assert!(none_kept.metadata.is_empty());
}

#[test]
fn timestamps_are_read_with_and_without_fractions_and_offsets() {
    let at = |ms| Utc.with_ymd_and_hms(2026, 12, 6, 10, 15, 30).unwrap() + chrono::Duration::milliseconds(ms);
    let cases = [
        ("2026-12-06T10:15:30Z", at(0)),
        ("2026-12-06T10:15:30.123Z", at(123)),
        ("2026-12-06T10:15:30.123456Z", at(123) + chrono::Duration::microseconds(456)),
        ("2026-12-06T11:15:30.500+01:00", at(500)),
    ];
    for (text, expected) in cases {
        let record = parse(&with(converse(), "/timestamp", json!(text))).unwrap();
        assert_eq!(record.timestamp, expected, "{text}");
    }
}

#[test]
fn unusable_records_are_refused_by_kind() {
    let line = |v: Value| v.to_string();
    let cases: Vec<(&str, String, RecordError, &str)> = vec![
        (
            "too large",
            "x".repeat(MAX_RECORD_BYTES + 1),
            RecordError::TooLarge { bytes: MAX_RECORD_BYTES + 1 },
            "too_large",
        ),
        (
            "not JSON",
            "schemaType=ModelInvocationLog".to_string(),
            RecordError::Json("not a JSON object".into()),
            "json",
        ),
        ("an array", line(json!([converse()])), RecordError::Json("not a JSON object".into()), "json"),
        (
            "another schema",
            line(with(converse(), "/schemaType", json!("AgentTrace"))),
            RecordError::NotAnInvocationLog { schema_type: "AgentTrace".into() },
            "schema",
        ),
        (
            "no requestId",
            line(without(converse(), "/requestId")),
            RecordError::Missing("requestId"),
            "missing_field",
        ),
        (
            "empty requestId",
            line(with(converse(), "/requestId", json!(""))),
            RecordError::Missing("requestId"),
            "missing_field",
        ),
        (
            "no identity",
            line(without(converse(), "/identity")),
            RecordError::Missing("identity.arn"),
            "missing_field",
        ),
        (
            "no modelId",
            line(without(converse(), "/modelId")),
            RecordError::Missing("modelId"),
            "missing_field",
        ),
        (
            "no output count on a successful call",
            line(without(converse(), "/output/outputTokenCount")),
            RecordError::Missing("output.outputTokenCount"),
            "missing_field",
        ),
    ];
    for (name, line, expected, kind) in cases {
        let error = parse_record(&line, &keep()).unwrap_err();
        assert_eq!(error, expected, "{name}");
        assert_eq!(error.kind(), kind, "{name}");
    }
}

#[test]
fn a_bad_value_names_its_field_without_quoting_it() {
    let cases = [
        ("/input/inputTokenCount", json!(-5), "input.inputTokenCount", "negative"),
        ("/output/outputTokenCount", json!(2.5), "output.outputTokenCount", "not a whole number"),
        ("/output/outputTokenCount", json!(1e3), "output.outputTokenCount", "not a whole number"),
        (
            "/input/cacheWriteInputTokenCount",
            json!("3000"),
            "input.cacheWriteInputTokenCount",
            "not a number",
        ),
        ("/input/cacheReadInputTokenCount", json!(true), "input.cacheReadInputTokenCount", "not a number"),
        ("/requestMetadata/team", json!(7), "requestMetadata", "wrong JSON type, expected a string"),
        ("/region", json!(["eu-west-9"]), "region", "wrong JSON type, expected a string"),
        ("/identity/arn", json!({"v": "eu-west-9"}), "identity.arn", "wrong JSON type, expected a string"),
        ("/errorCode", json!(500), "errorCode", "wrong JSON type, expected a string"),
    ];
    for (pointer, value, field, reason) in cases {
        let error = parse(&with(converse(), pointer, value)).unwrap_err();
        assert_eq!(error, RecordError::BadValue { field, reason: reason.to_string() }, "{pointer}");
        assert_eq!(error.kind(), "bad_value");
        assert!(!error.to_string().contains("eu-west-9"), "{error}");
    }
}

#[test]
fn malformed_json_and_bad_timestamps_are_reported_without_their_text() {
    let cases = [
        ("truncated", converse().to_string()[..200].to_string(), "json"),
        ("trailing text", format!("{} and then some", converse()), "json"),
        (
            "timestamp without a zone",
            with(converse(), "/timestamp", json!("2026-12-06T10:15:30")).to_string(),
            "bad_value",
        ),
        ("timestamp as text", with(converse(), "/timestamp", json!("yesterday")).to_string(), "bad_value"),
    ];
    for (name, line, kind) in cases {
        let error = parse_record(&line, &keep()).unwrap_err();
        assert_eq!(error.kind(), kind, "{name}: {error}");
        assert!(!error.to_string().contains("memo") && !error.to_string().contains("yesterday"), "{error}");
    }
}

#[test]
fn a_record_exactly_at_the_limit_is_parsed() {
    let mut line = converse().to_string();
    line.push_str(&" ".repeat(MAX_RECORD_BYTES - line.len()));
    assert!(parse_record(&line, &keep()).is_ok());
}

/// The privacy rule: prompt and completion text is never copied into the
/// result or an error, however large the body.
#[test]
fn no_body_text_reaches_the_result_or_an_error() {
    const SECRET: &str = "CONFIDENTIAL-PROMPT-TEXT ";
    let big = SECRET.repeat(500 * 1024 / SECRET.len());
    let prompt =
        json!({"messages": [{"role": "user", "content": [{"text": big}]}], "usage": {"note": SECRET}});
    let completion =
        json!([{"type": "content_block_delta", "delta": {"text": SECRET}, "message": {"text": SECRET}}]);
    let record = with(invoke_stream(), "/input/inputBodyJson", prompt);
    let record = with(record, "/output/outputBodyJson", completion);
    let parsed = parse(&record).unwrap();
    assert!(!format!("{parsed:?}").contains("CONFIDENTIAL"));
    assert_eq!(parsed.tokens.cache_write_split, None);

    // A body where an object belongs, and a broken count next to a large body.
    let errors = [
        with(converse(), "/input", json!(big)),
        with(converse(), "/output", json!([big])),
        with(with(record, "/input/inputTokenCount", json!(SECRET)), "/schemaVersion", json!(SECRET)),
    ];
    for bad in errors {
        let error = parse(&bad).unwrap_err();
        assert_eq!(error.kind(), "bad_value");
        assert!(!format!("{error} {error:?}").contains("CONFIDENTIAL"), "{error}");
    }
}
