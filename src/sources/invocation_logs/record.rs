//! One Bedrock model invocation log record (schema `ModelInvocationLog`, one
//! JSON object: a CloudWatch Logs event message or one line of an S3 file)
//! parsed into a [`LogRecord`] holding only what pricing and attribution need.
//!
//! Privacy: the record carries the caller's prompt and the model's completion
//! (`input.inputBodyJson`, `output.outputBodyJson`). This module must never
//! copy or keep their text: the input body is skipped unread by serde, and the
//! output body is walked only to find its `usage` object (for the cache-write
//! TTL split); no error message quotes a value of the record.
//!
//! Tolerant of unknown fields and schema versions; whatever cannot be used is
//! a [`RecordError`] for the caller to count by [`RecordError::kind`] and skip,
//! never a panic. Must not price, store, de-duplicate or decide.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

/// Larger input is refused before parsing: AWS moves bodies above 100 KB to
/// S3, so a real record is far smaller, and the bound caps the work per line.
pub const MAX_RECORD_BYTES: usize = 1 << 20;
/// AWS's bound on a `requestMetadata` value; longer ones are cut to it.
const MAX_METADATA_CHARS: usize = 256;
const SCHEMA_TYPE: &str = "ModelInvocationLog";
/// How much of a foreign `schemaType` an error carries.
const MAX_SCHEMA_TYPE_CHARS: usize = 64;
/// Distinct TTL splits kept from one output body: a stream repeats its usage
/// in a few events, never in many, and the bound caps the memory.
const MAX_SPLIT_CANDIDATES: usize = 8;

/// A Bedrock runtime call as its invocation log recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRecord {
    pub timestamp: DateTime<Utc>,
    pub request_id: String,
    pub account_id: Option<String>,
    /// The region the call was made to.
    pub region: String,
    /// Where a cross-region inference profile ran the call.
    pub inference_region: Option<String>,
    /// `Converse`, `ConverseStream`, `InvokeModel`, `InvokeModelWithResponseStream`, …
    pub operation: String,
    /// A model ID or an inference profile ID or ARN, as the caller passed it.
    pub model_id: String,
    /// `identity.arn`.
    pub principal_arn: String,
    /// The caller's `requestMetadata`, only the kept keys, values cut to 256 characters.
    pub metadata: BTreeMap<String, String>,
    pub tokens: RecordTokens,
    /// `None` for a successful call.
    pub error_code: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordTokens {
    /// Uncached input tokens (cache reads and writes are counted apart).
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    /// Both TTLs together: what AWS logs at the top level and bills.
    pub cache_write: u64,
    /// How `cache_write` divides between TTLs, when the output body says so
    /// and its parts add up to `cache_write`.
    pub cache_write_split: Option<CacheWriteSplit>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheWriteSplit {
    pub five_minutes: u64,
    pub one_hour: u64,
}

/// Why a line is not a usable record. No variant carries the line's text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("record of {bytes} bytes exceeds the {MAX_RECORD_BYTES}-byte limit")]
    TooLarge { bytes: usize },
    #[error("not a JSON record: {0}")]
    Json(String),
    #[error("not a model invocation log: schemaType {schema_type:?}")]
    NotAnInvocationLog { schema_type: String },
    #[error("no {0}")]
    Missing(&'static str),
    #[error("{field}: {reason}")]
    BadValue { field: &'static str, reason: String },
}

impl RecordError {
    /// A short fixed label, for a counter.
    pub fn kind(&self) -> &'static str {
        match self {
            RecordError::TooLarge { .. } => "too_large",
            RecordError::Json(_) => "json",
            RecordError::NotAnInvocationLog { .. } => "schema",
            RecordError::Missing(_) => "missing_field",
            RecordError::BadValue { .. } => "bad_value",
        }
    }
}

/// The fields read. `inputBodyJson` is deliberately absent: serde skips an
/// unknown field with `IgnoredAny`, which scans it without copying it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    schema_type: Option<String>,
    timestamp: Option<String>,
    request_id: Option<String>,
    account_id: Option<String>,
    region: Option<String>,
    inference_region: Option<String>,
    operation: Option<String>,
    model_id: Option<String>,
    identity: Option<Identity>,
    request_metadata: Option<BTreeMap<String, Option<String>>>,
    input: Option<Input>,
    output: Option<Output>,
    error_code: Option<String>,
}

#[derive(Deserialize)]
struct Identity {
    arn: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Input {
    input_token_count: Option<Value>,
    cache_read_input_token_count: Option<Value>,
    cache_write_input_token_count: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Output {
    output_token_count: Option<Value>,
    output_body_json: Option<OutputUsage>,
}

/// Paths of typed fields, most specific first: a wrong JSON type at one of
/// them is a `BadValue` naming it.
#[rustfmt::skip]
const FIELD_PATHS: [&str; 14] = [
    "schemaType", "timestamp", "requestId", "accountId", "region", "inferenceRegion", "operation",
    "modelId", "identity.arn", "identity", "requestMetadata", "input", "output", "errorCode",
];

/// Parses one record, keeping only the `requestMetadata` keys in `keep`.
pub fn parse_record(line: &str, keep: &[String]) -> Result<LogRecord, RecordError> {
    if line.len() > MAX_RECORD_BYTES {
        return Err(RecordError::TooLarge { bytes: line.len() });
    }
    // serde would also read a struct from a JSON array, field by position.
    if !line.trim_start().starts_with('{') {
        return Err(RecordError::Json("not a JSON object".to_string()));
    }
    let raw = read(line)?;
    if let Some(schema_type) = raw.schema_type.filter(|s| s != SCHEMA_TYPE) {
        return Err(RecordError::NotAnInvocationLog { schema_type: cut(schema_type, MAX_SCHEMA_TYPE_CHARS) });
    }
    let error_code = non_empty(raw.error_code);
    let timestamp = parse_timestamp(&required(raw.timestamp, "timestamp")?)?;
    Ok(LogRecord {
        timestamp,
        request_id: required(raw.request_id, "requestId")?,
        account_id: non_empty(raw.account_id),
        region: required(raw.region, "region")?,
        inference_region: non_empty(raw.inference_region),
        operation: required(raw.operation, "operation")?,
        model_id: required(raw.model_id, "modelId")?,
        principal_arn: required(raw.identity.and_then(|i| i.arn), "identity.arn")?,
        metadata: metadata(raw.request_metadata, keep),
        tokens: tokens(raw.input, raw.output, error_code.is_some())?,
        error_code,
    })
}

fn read(line: &str) -> Result<Raw, RecordError> {
    let mut de = serde_json::Deserializer::from_str(line);
    let raw: Raw = serde_path_to_error::deserialize(&mut de).map_err(|e| type_error(&e))?;
    de.end().map_err(|e| RecordError::Json(e.to_string()))?;
    Ok(raw)
}

/// serde_json's syntax messages name only a position, but its type messages
/// quote the value ("invalid type: string \"…\""), which could be a prompt
/// sent where an object belongs: keep only the place and what was expected.
fn type_error(e: &serde_path_to_error::Error<serde_json::Error>) -> RecordError {
    let inner = e.inner();
    if inner.classify() != serde_json::error::Category::Data {
        return RecordError::Json(inner.to_string());
    }
    let path = e.path().to_string();
    let field = FIELD_PATHS
        .iter()
        .find(|f| path.strip_prefix(**f).is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '['])));
    let message = inner.to_string();
    // The expectation is serde's own text and comes after the quoted value.
    let expected = message.rsplit_once(", expected ").map(|(_, tail)| match tail.rsplit_once(" at line ") {
        Some((expected, _)) => expected,
        None => tail,
    });
    let reason = match expected {
        Some(expected) => format!("wrong JSON type, expected {expected}"),
        None => "invalid value".to_string(),
    };
    match field {
        Some(field) => RecordError::BadValue { field, reason },
        None => RecordError::Json(format!("{reason} at line {} column {}", inner.line(), inner.column())),
    }
}

fn required(value: Option<String>, field: &'static str) -> Result<String, RecordError> {
    non_empty(value).ok_or(RecordError::Missing(field))
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|s| !s.is_empty())
}

fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, RecordError> {
    DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)).map_err(|e| RecordError::BadValue {
        field: "timestamp",
        reason: format!("not an ISO-8601 time with a zone: {e}"),
    })
}

fn metadata(raw: Option<BTreeMap<String, Option<String>>>, keep: &[String]) -> BTreeMap<String, String> {
    raw.into_iter()
        .flatten()
        .filter(|(key, _)| keep.contains(key))
        .filter_map(|(key, value)| Some((key, cut(value?, MAX_METADATA_CHARS))))
        .collect()
}

/// `text` cut to at most `max` characters, at a character boundary.
fn cut(mut text: String, max: usize) -> String {
    if let Some((at, _)) = text.char_indices().nth(max) {
        text.truncate(at);
    }
    text
}

fn tokens(input: Option<Input>, output: Option<Output>, failed: bool) -> Result<RecordTokens, RecordError> {
    let (input_count, cache_read, cache_write) = match input {
        Some(i) => (i.input_token_count, i.cache_read_input_token_count, i.cache_write_input_token_count),
        None => (None, None, None),
    };
    let (output_count, usage) = match output {
        Some(o) => (o.output_token_count, o.output_body_json),
        None => (None, None),
    };
    // A failed call may log no counts; a successful one always logs both.
    let cache_write = count(cache_write, "input.cacheWriteInputTokenCount", false)?;
    let splits = usage.map(|u| u.splits).unwrap_or_default();
    Ok(RecordTokens {
        input: count(input_count, "input.inputTokenCount", !failed)?,
        output: count(output_count, "output.outputTokenCount", !failed)?,
        cache_read: count(cache_read, "input.cacheReadInputTokenCount", false)?,
        cache_write,
        // The top-level total is what AWS bills: a split that disagrees with it is not used.
        cache_write_split: splits
            .into_iter()
            .find(|s| cache_write > 0 && s.five_minutes.checked_add(s.one_hour) == Some(cache_write)),
    })
}

/// A count must be a non-negative JSON integer; serde_json hands over
/// fractions, exponents and integers beyond u64 as floats.
fn count(value: Option<Value>, field: &'static str, required: bool) -> Result<u64, RecordError> {
    let reason = match value {
        None | Some(Value::Null) if required => return Err(RecordError::Missing(field)),
        None | Some(Value::Null) => return Ok(0),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(n) => return Ok(n),
            None if n.is_i64() => "negative",
            None => "not a whole number",
        },
        Some(_) => "not a number",
    };
    Err(RecordError::BadValue { field, reason: reason.to_string() })
}

/// The TTL splits found in an output body; the body itself is not kept.
#[derive(Default)]
struct OutputUsage {
    splits: Vec<CacheWriteSplit>,
}

impl OutputUsage {
    fn add(&mut self, split: CacheWriteSplit) {
        if self.splits.len() < MAX_SPLIT_CANDIDATES && !self.splits.contains(&split) {
            self.splits.push(split);
        }
    }
}

impl<'de> Deserialize<'de> for OutputUsage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(BodyVisitor)
    }
}

/// Walks a body for `usage` objects: at its top level, in each event of a
/// streamed body (an array), and in an object's `message` (Anthropic
/// `message_start`) and `metadata` (Converse stream `metadata` event).
/// Everything else, text included, is skipped unread, and a body of an
/// unexpected shape yields no split rather than an error.
struct BodyVisitor;

/// Scalars carry no usage.
macro_rules! no_usage {
    ($($visit:ident($t:ty)),*) => {$(
        fn $visit<E: de::Error>(self, _: $t) -> Result<OutputUsage, E> {
            Ok(OutputUsage::default())
        }
    )*};
}

impl<'de> Visitor<'de> for BodyVisitor {
    type Value = OutputUsage;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a model response body")
    }
    no_usage!(visit_str(&str), visit_bool(bool), visit_u64(u64), visit_i64(i64), visit_f64(f64));
    fn visit_unit<E: de::Error>(self) -> Result<OutputUsage, E> {
        Ok(OutputUsage::default())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OutputUsage, A::Error> {
        let mut out = OutputUsage::default();
        while let Some(event) = seq.next_element::<OutputUsage>()? {
            event.splits.into_iter().for_each(|s| out.add(s));
        }
        Ok(out)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OutputUsage, A::Error> {
        let mut out = OutputUsage::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "usage" => {
                    // A usage object holds counts only, so reading it whole copies no text.
                    let usage = map.next_value::<Value>()?;
                    splits_of(&usage).into_iter().flatten().for_each(|s| out.add(s));
                }
                "message" | "metadata" => {
                    let nested = map.next_value::<OutputUsage>()?;
                    nested.splits.into_iter().for_each(|s| out.add(s));
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// The splits a `usage` object states, in the Converse shape
/// (`cacheDetails: [{inputTokens, ttl}]`) and the Anthropic Messages shape
/// (`cache_creation: {ephemeral_5m_input_tokens, ephemeral_1h_input_tokens}`).
fn splits_of(usage: &Value) -> [Option<CacheWriteSplit>; 2] {
    [
        usage.get("cacheDetails").and_then(converse_split),
        usage.get("cache_creation").and_then(anthropic_split),
    ]
}

/// Every entry must be readable: a split missing part of the writes would be wrong.
fn converse_split(details: &Value) -> Option<CacheWriteSplit> {
    let mut split = CacheWriteSplit { five_minutes: 0, one_hour: 0 };
    for detail in details.as_array()? {
        let tokens = detail.get("inputTokens")?.as_u64()?;
        let bucket = match detail.get("ttl")?.as_str()? {
            "5m" => &mut split.five_minutes,
            "1h" => &mut split.one_hour,
            _ => return None,
        };
        *bucket = bucket.checked_add(tokens)?;
    }
    Some(split)
}

fn anthropic_split(creation: &Value) -> Option<CacheWriteSplit> {
    let part = |key: &str| match creation.get(key) {
        None | Some(Value::Null) => Some(0),
        Some(v) => v.as_u64(),
    };
    creation.as_object()?;
    Some(CacheWriteSplit {
        five_minutes: part("ephemeral_5m_input_tokens")?,
        one_hour: part("ephemeral_1h_input_tokens")?,
    })
}
