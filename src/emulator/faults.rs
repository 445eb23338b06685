//! The emulator's fault rules and request log, as the gateway's control API
//! speaks them: what [`super::Emulator::inject_fault`] sends and
//! [`super::Emulator::requests`] returns. Plain data; must not talk to the
//! gateway.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

/// What an injected fault does to the matching requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer with the service's own throttling error (HTTP 400).
    Throttle,
    /// Answer `InternalFailure` (or `ServiceUnavailable` for 503) with this 5xx status.
    ServerError { status: u16 },
    /// Delay the request, then handle it normally.
    Latency(Duration),
}

/// A fault rule for [`Emulator::inject_fault`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// `cloudwatch`, `cloudtrail`, `dynamodb`, `sns`, `sqs`, `sts`, ...
    pub service: String,
    /// Operation name such as `GetMetricData`; `None` matches every operation.
    pub operation: Option<String>,
    pub kind: FaultKind,
    /// How many matching requests to affect; `None` means until cleared.
    pub count: Option<u32>,
}

impl Fault {
    pub fn new(service: impl Into<String>, kind: FaultKind) -> Self {
        Self { service: service.into(), operation: None, kind, count: None }
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
            FaultKind::ServerError { status } => {
                rule["kind"] = json!("server_error");
                rule["status"] = json!(status);
            }
            FaultKind::Latency(delay) => {
                rule["kind"] = json!("latency");
                rule["latency_ms"] = json!(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
            }
        }
        if let Some(operation) = &self.operation {
            rule["operation"] = json!(operation);
        }
        if let Some(count) = self.count {
            rule["count"] = json!(count);
        }
        rule
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
