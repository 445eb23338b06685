//! The emulator's fault rules and request log, as the gateway's control API
//! speaks them: what [`super::Emulator::inject_fault`] sends and
//! [`super::Emulator::requests`] returns. Plain data; must not talk to the
//! gateway.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

/// What an injected fault does to the matching requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FaultKind {
    /// Answer with the service's own throttling error (HTTP 400).
    Throttle,
    /// Answer `InternalFailure` (or `ServiceUnavailable` for 503) with this 5xx status.
    ServerError { status: u16 },
    /// Answer the service's access-denied error (HTTP 400): a role that is
    /// missing or lacks the permission, as a member account's often is.
    AccessDenied,
    /// Delay the request, then handle it normally.
    Latency(Duration),
    /// Handle the request, then hold its answer back this long: the service
    /// has done the work by the time a client that timed out gives up.
    LateAnswer(Duration),
    /// CloudWatch `GetMetricData` only: each matching series answers only the older
    /// half of its datapoints, with `StatusCode` `PartialData`. With `next_token` the
    /// answer carries a `NextToken` whose call returns the rest, CloudWatch's ordinary
    /// paging; without it there is no `NextToken` and the newer half is simply missing,
    /// which only the `StatusCode` reveals.
    PartialData { next_token: bool },
    /// CloudWatch `GetMetricData` only: every value of each matching series is replaced
    /// by this one. NaN, infinities and negatives are values CloudWatch refuses on
    /// `PutMetricData`, so this is the only way to put them in front of a client.
    MetricValue(f64),
}

/// A fault rule for [`super::Emulator::inject_fault`].
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// `cloudwatch`, `cloudtrail`, `dynamodb`, `sns`, `sqs`, `sts`, ...
    pub service: String,
    /// Operation name such as `GetMetricData`; `None` matches every operation.
    pub operation: Option<String>,
    pub kind: FaultKind,
    /// How many matching requests to affect; `None` means until cleared.
    pub count: Option<u32>,
    /// Data rules only: affect only series with this metric name.
    pub metric_name: Option<String>,
    /// Data rules only: affect only series with a dimension of this value (a model ID).
    pub dimension_value: Option<String>,
    /// Affect only requests acting in this account (by their credentials).
    pub account: Option<String>,
}

impl Fault {
    pub fn new(service: impl Into<String>, kind: FaultKind) -> Self {
        Self {
            service: service.into(),
            operation: None,
            kind,
            count: None,
            metric_name: None,
            dimension_value: None,
            account: None,
        }
    }

    /// Only requests acting in `account` (one failing account among several).
    pub fn in_account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    /// A rule on CloudWatch `GetMetricData` answers, for [`FaultKind::PartialData`] and
    /// [`FaultKind::MetricValue`]. Without a matcher it applies to every series; `count`
    /// counts only the calls that query a matching series.
    pub fn metric_data(kind: FaultKind) -> Self {
        Self::new("cloudwatch", kind).operation("GetMetricData")
    }

    /// Data rules only (the gateway refuses it on others): series with this metric name.
    pub fn metric_name(mut self, name: impl Into<String>) -> Self {
        self.metric_name = Some(name.into());
        self
    }

    /// Data rules only (the gateway refuses it on others): series that have a dimension
    /// with this value, whatever its name.
    pub fn dimension_value(mut self, value: impl Into<String>) -> Self {
        self.dimension_value = Some(value.into());
        self
    }

    pub fn operation(mut self, operation: impl Into<String>) -> Self {
        self.operation = Some(operation.into());
        self
    }

    pub fn count(mut self, count: u32) -> Self {
        self.count = Some(count);
        self
    }

    pub(super) fn to_json(&self) -> Value {
        let mut rule = json!({ "service": self.service });
        match self.kind {
            FaultKind::Throttle => rule["kind"] = json!("throttle"),
            FaultKind::AccessDenied => rule["kind"] = json!("access_denied"),
            FaultKind::ServerError { status } => {
                rule["kind"] = json!("server_error");
                rule["status"] = json!(status);
            }
            FaultKind::Latency(delay) => {
                rule["kind"] = json!("latency");
                rule["latency_ms"] = json!(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
            }
            FaultKind::LateAnswer(delay) => {
                rule["kind"] = json!("late_answer");
                rule["latency_ms"] = json!(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
            }
            FaultKind::PartialData { next_token } => {
                rule["kind"] = json!("partial_data");
                rule["next_token"] = json!(next_token);
            }
            FaultKind::MetricValue(value) => {
                rule["kind"] = json!("metric_value");
                rule["value"] = value_json(value);
            }
        }
        let optional = [
            ("operation", self.operation.as_deref()),
            ("metric_name", self.metric_name.as_deref()),
            ("dimension_value", self.dimension_value.as_deref()),
            ("account", self.account.as_deref()),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                rule[key] = json!(value);
            }
        }
        if let Some(count) = self.count {
            rule["count"] = json!(count);
        }
        rule
    }
}

/// JSON has no NaN or infinities (serde_json would write `null`): the control API takes
/// them as the strings `NaN`, `Infinity` and `-Infinity`.
fn value_json(value: f64) -> Value {
    if value.is_nan() {
        json!("NaN")
    } else if value.is_infinite() {
        json!(if value.is_sign_positive() { "Infinity" } else { "-Infinity" })
    } else {
        json!(value)
    }
}

/// One AWS request the gateway handled (control requests are not logged).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RequestRecord {
    pub service: String,
    pub operation: String,
    pub region: String,
    /// Arrival time in epoch seconds; for `LookupEvents`, the instant the rate
    /// limiter decided on.
    pub t: f64,
    pub status: u16,
}
