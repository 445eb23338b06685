//! Reading a wake-up message: the CloudWatch alarm notification that SNS
//! delivered to the queue, with its SNS envelope (`Type: "Notification"`,
//! the notification as the `Message` string) or raw (raw message delivery
//! on the subscription).
//!
//! The alarm notification is CloudWatch's JSON (`AlarmName`, `AlarmArn`,
//! `NewStateValue`, `OldStateValue`, `StateChangeTime`, `Region`, `Trigger`).
//! Its `Region` is a display name ("US East (N. Virginia)"), so the region
//! is read from `AlarmArn` (`arn:aws:cloudwatch:<region>:<account>:alarm:<name>`).
//!
//! Pure; must not receive or delete messages.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// An alarm's state as CloudWatch names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlarmState {
    Alarm,
    Ok,
    InsufficientData,
}

impl AlarmState {
    pub fn parse(s: &str) -> Option<AlarmState> {
        match s {
            "ALARM" => Some(AlarmState::Alarm),
            "OK" => Some(AlarmState::Ok),
            "INSUFFICIENT_DATA" => Some(AlarmState::InsufficientData),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AlarmState::Alarm => "alarm",
            AlarmState::Ok => "ok",
            AlarmState::InsufficientData => "insufficient_data",
        }
    }
}

/// A state change of one of the daemon's alarms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub alarm_name: String,
    pub region: String,
    pub state: AlarmState,
    /// When CloudWatch changed the state (`StateChangeTime`), if readable.
    pub changed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not a CloudWatch alarm notification: no {0}")]
    Missing(&'static str),
    #[error("alarm `{0}` is not one of this daemon's (prefix `{1}`)")]
    NotOurs(String, String),
    #[error("alarm ARN `{0}` names no region")]
    BadArn(String),
}

/// Reads one queue message body. Only alarms named with `prefix` are the
/// daemon's: anything else is reported, never acted on.
pub fn parse(body: &str, prefix: &str) -> Result<Notification, MessageError> {
    let outer: Value = serde_json::from_str(body).map_err(|e| MessageError::NotJson(e.to_string()))?;
    let alarm =
        match (outer.get("Type").and_then(Value::as_str), outer.get("Message").and_then(Value::as_str)) {
            (Some("Notification"), Some(inner)) => {
                serde_json::from_str(inner).map_err(|e| MessageError::NotJson(e.to_string()))?
            }
            _ => outer,
        };
    let text = |key: &'static str| alarm.get(key).and_then(Value::as_str).ok_or(MessageError::Missing(key));
    let alarm_name = text("AlarmName")?.to_string();
    if !alarm_name.starts_with(prefix) {
        return Err(MessageError::NotOurs(alarm_name, prefix.to_string()));
    }
    let state = AlarmState::parse(text("NewStateValue")?).ok_or(MessageError::Missing("NewStateValue"))?;
    let arn = text("AlarmArn")?;
    let region = match arn.split(':').collect::<Vec<_>>().as_slice() {
        ["arn", _, "cloudwatch", region, ..] if !region.is_empty() => (*region).to_string(),
        _ => return Err(MessageError::BadArn(arn.to_string())),
    };
    let changed_at = alarm.get("StateChangeTime").and_then(Value::as_str).and_then(parse_time);
    Ok(Notification { alarm_name, region, state, changed_at })
}

/// `2017-01-12T16:30:42.236+0000`, CloudWatch's form, or RFC 3339.
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(s))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alarm(name: &str, state: &str) -> String {
        serde_json::json!({
            "AlarmName": name,
            "AlarmDescription": "bedrock-cost-monitor wake-up",
            "AWSAccountId": "123456789012",
            "NewStateValue": state,
            "NewStateReason": "Threshold Crossed: 1 datapoint [42.0] was greater than or equal to the threshold (20.0).",
            "StateChangeTime": "2026-12-06T10:03:12.345+0000",
            "Region": "US East (N. Virginia)",
            "AlarmArn": format!("arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"),
            "OldStateValue": "OK",
            "Trigger": {"Period": 60, "EvaluationPeriods": 1, "Threshold": 20.0}
        })
        .to_string()
    }

    #[test]
    fn an_sns_envelope_is_opened_and_the_region_read_from_the_arn() {
        let body = serde_json::json!({
            "Type": "Notification",
            "MessageId": "m-1",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:bcm-wakeups",
            "Subject": "ALARM: \"bcm-wake-us-east-1-1\" in US East (N. Virginia)",
            "Message": alarm("bcm-wake-us-east-1-1", "ALARM"),
        })
        .to_string();
        let n = parse(&body, "bcm-wake-").unwrap();
        assert_eq!(n.region, "us-east-1");
        assert_eq!(n.state, AlarmState::Alarm);
        assert_eq!(n.changed_at.unwrap().to_rfc3339(), "2026-12-06T10:03:12.345+00:00");
    }

    #[test]
    fn raw_delivery_is_read_too() {
        let n = parse(&alarm("bcm-wake-us-east-1-2", "OK"), "bcm-wake-").unwrap();
        assert_eq!((n.alarm_name.as_str(), n.state), ("bcm-wake-us-east-1-2", AlarmState::Ok));
    }

    #[test]
    fn someone_elses_alarm_or_a_stranger_message_is_refused() {
        assert!(matches!(parse(&alarm("billing", "ALARM"), "bcm-wake-"), Err(MessageError::NotOurs(..))));
        assert!(matches!(parse("hello", "bcm-wake-"), Err(MessageError::NotJson(_))));
        assert_eq!(parse("{}", "bcm-wake-"), Err(MessageError::Missing("AlarmName")));
    }
}
