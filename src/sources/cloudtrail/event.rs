//! One CloudTrail record (the `CloudTrailEvent` JSON string of LookupEvents, or
//! a record of a trail file) parsed into a plain [`InvocationEvent`].
//!
//! Tolerant: unknown fields are ignored and every field but `eventID`,
//! `eventTime`, `eventName`, `awsRegion` and `userIdentity` may be missing or
//! null. Whatever cannot be read is a [`MalformedEvent`] value for the caller
//! to count and skip, never a panic. Must not filter, de-duplicate or
//! aggregate: that is the fetch's and `calls`'s job.

use chrono::{DateTime, Utc};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use super::principal::{normalise, Principal, UserIdentity};

/// A Bedrock runtime call as CloudTrail recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvocationEvent {
    pub event_id: String,
    pub event_time: DateTime<Utc>,
    pub event_name: String,
    /// `awsRegion`: the region the call was made to, where CloudWatch publishes it.
    pub region: String,
    pub principal: Principal,
    /// The caller's account (`userIdentity.accountId`, else `recipientAccountId`).
    pub account_id: Option<String>,
    /// `requestParameters.modelId`, as the caller passed it.
    pub model_id: Option<String>,
    /// `None` for a successful call.
    pub error_code: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    /// `additionalEventData.inferenceRegion`: where a cross-region profile ran the call.
    pub inference_region: Option<String>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
}

/// A record that cannot be used; `reason` is for the log line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed CloudTrail event: {reason}")]
pub struct MalformedEvent {
    pub reason: String,
}

impl MalformedEvent {
    fn new(reason: impl Into<String>) -> Self {
        MalformedEvent { reason: reason.into() }
    }
}

/// The fields read from a record. A present field of the wrong type makes the
/// record malformed, except inside `additionalEventData`, whose content varies
/// by operation and over time.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    #[serde(rename = "eventID")]
    event_id: Option<String>,
    event_time: Option<String>,
    event_name: Option<String>,
    aws_region: Option<String>,
    user_identity: Option<UserIdentity>,
    #[serde(rename = "sourceIPAddress")]
    source_ip_address: Option<String>,
    user_agent: Option<String>,
    error_code: Option<String>,
    recipient_account_id: Option<String>,
    request_parameters: Option<RequestParameters>,
    additional_event_data: Option<AdditionalEventData>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestParameters {
    model_id: Option<String>,
}

/// Token counts are read under every spelling seen for them: CloudTrail's
/// `inputTokens`, the invocation-log `inputTokenCount`, and snake case; a
/// `usage` object (the Converse response shape) is looked into as well.
#[derive(Default)]
struct AdditionalEventData {
    inference_region: Option<String>,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
}

const INPUT_TOKEN_KEYS: [&str; 3] = ["inputTokens", "inputTokenCount", "input_tokens"];
const OUTPUT_TOKEN_KEYS: [&str; 3] = ["outputTokens", "outputTokenCount", "output_tokens"];

/// Parses one record; see the module documentation for what is required.
pub fn parse_event(raw: &str) -> Result<InvocationEvent, MalformedEvent> {
    // serde would also read a struct from a JSON array, field by position.
    if !raw.trim_start().starts_with('{') {
        return Err(MalformedEvent::new("not a JSON object"));
    }
    let record: Record = serde_json::from_str(raw).map_err(|e| MalformedEvent::new(e.to_string()))?;
    let required = |v: Option<String>, field: &str| match v {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(MalformedEvent::new(format!("no {field}"))),
    };
    let event_id = required(record.event_id, "eventID")?;
    let event_time = required(record.event_time, "eventTime")?;
    let event_time = DateTime::parse_from_rfc3339(&event_time)
        .map_err(|e| MalformedEvent::new(format!("eventTime {event_time:?}: {e}")))?
        .with_timezone(&Utc);
    let event_name = required(record.event_name, "eventName")?;
    let region = required(record.aws_region, "awsRegion")?;
    let identity = record.user_identity.ok_or_else(|| MalformedEvent::new("no userIdentity"))?;
    let principal = normalise(&identity);
    let extra = record.additional_event_data.unwrap_or_default();
    let text = |v: Option<String>| v.filter(|s| !s.is_empty());
    Ok(InvocationEvent {
        event_id,
        event_time,
        event_name,
        region,
        account_id: principal.account_id.clone().or_else(|| text(record.recipient_account_id)),
        principal,
        model_id: text(record.request_parameters.and_then(|p| p.model_id)),
        error_code: text(record.error_code),
        source_ip: text(record.source_ip_address),
        user_agent: text(record.user_agent),
        inference_region: extra.inference_region,
        input_tokens: extra.input_tokens,
        output_tokens: extra.output_tokens,
    })
}

impl<'de> Deserialize<'de> for AdditionalEventData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ExtraVisitor)
    }
}

struct ExtraVisitor;

impl<'de> Visitor<'de> for ExtraVisitor {
    type Value = AdditionalEventData;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an additionalEventData object")
    }

    /// Anything but an object carries nothing we read: tolerated, not an error.
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(AdditionalEventData::default())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(AdditionalEventData::default())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(AdditionalEventData::default())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(AdditionalEventData::default())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(AdditionalEventData::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(AdditionalEventData::default())
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(AdditionalEventData::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = AdditionalEventData::default();
        while let Some(key) = map.next_key::<String>()? {
            let key = key.as_str();
            if key == "inferenceRegion" {
                out.inference_region = map.next_value::<LenientString>()?.0;
            } else if INPUT_TOKEN_KEYS.contains(&key) {
                out.input_tokens = out.input_tokens.or(map.next_value::<TokenCount>()?.0);
            } else if OUTPUT_TOKEN_KEYS.contains(&key) {
                out.output_tokens = out.output_tokens.or(map.next_value::<TokenCount>()?.0);
            } else if key == "usage" {
                let usage = map.next_value::<AdditionalEventData>()?;
                out.input_tokens = out.input_tokens.or(usage.input_tokens);
                out.output_tokens = out.output_tokens.or(usage.output_tokens);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(out)
    }
}

/// A non-negative whole token count, as a JSON number or a decimal string;
/// anything else (negative, fractional, text, null) reads as "not reported".
struct TokenCount(Option<u64>);

impl<'de> Deserialize<'de> for TokenCount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        let n = match &v {
            serde_json::Value::Number(n) => n.as_u64(),
            serde_json::Value::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        };
        Ok(TokenCount(n))
    }
}

/// A non-empty string where one is expected, else `None` (the event stays usable).
struct LenientString(Option<String>);

impl<'de> Deserialize<'de> for LenientString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) if !s.is_empty() => Ok(LenientString(Some(s))),
            _ => Ok(LenientString(None)),
        }
    }
}

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;
