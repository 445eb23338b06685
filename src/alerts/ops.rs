//! Operational alerts: `pricing.unpriced_model` (a model ID the price table
//! does not know, once per region and ID), `collector.stalled` (a region's
//! usage data older than the configured bound, once per episode), and the
//! CloudTrail error spikes `bedrock.access_denied` / `bedrock.throttling`
//! (once per episode and region). Pure message builders.

use chrono::{DateTime, Duration, SecondsFormat, TimeZone, Utc};
use serde_json::{json, Value};

use std::collections::BTreeMap;

use super::kind::AlertKind;
use super::message::AlertMessage;
use crate::clock::floor_minute;
use crate::config::CronSchedule;
use crate::records::CallCount;

fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn unpriced_model(region: &str, model_id: &str, now: DateTime<Utc>) -> AlertMessage {
    let key = format!("pricing.unpriced_model:{region}:{model_id}");
    let subject = format!("Unpriced Bedrock model {model_id} in {region}: its tokens have no cost");
    AlertMessage::new(AlertKind::UNPRICED_MODEL, "warning", key, &subject, now)
        .with("region", json!(region))
        .with("model_id", json!(model_id))
        .with(
            "action",
            json!(
                "add the model to the price table (config/prices.toml) and run check-config; its tokens are \
                   counted as bedrock_unpriced_tokens_total until then"
            ),
        )
}

/// How long a scheduled collection may take to land its data.
pub const RUN_GRACE: Duration = Duration::minutes(1);

/// The watermark a healthy collector on `schedule` has reached at `now`:
/// the minute of its latest run scheduled at least [`RUN_GRACE`] ago (a run
/// collects up to the start of its minute). `None` before any such run.
pub fn expected_watermark<Tz: TimeZone>(
    schedule: &CronSchedule,
    tz: &Tz,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    schedule.previous_before(now - RUN_GRACE, tz).map(floor_minute)
}

/// A source's data in a region is stalled when it is more than `bound`
/// behind what its schedule explains (`expected`, see
/// [`expected_watermark`]): how long ago the minute it should have reached
/// is, never just how old the data is, so neither a run that has not landed
/// yet nor the minute a watermark rounds down to can look like a stall. A
/// region that never had data counts from when the daemon started.
pub fn is_stalled(
    expected: Option<DateTime<Utc>>,
    watermark: Option<DateTime<Utc>>,
    started_at: DateTime<Utc>,
    bound: Duration,
) -> bool {
    expected.is_some_and(|e| e - watermark.unwrap_or(started_at) > bound)
}

/// The CloudTrail error code a spike alert counts (`None` for other kinds).
pub fn spike_error_code(kind: AlertKind) -> Option<&'static str> {
    match kind {
        AlertKind::ACCESS_DENIED => Some("AccessDeniedException"),
        AlertKind::THROTTLING => Some("ThrottlingException"),
        _ => None,
    }
}

/// The flag of a stalled-collector episode.
pub fn stalled_flag(source: &str, region: &str) -> String {
    format!("episode:collector.stalled:{source}:{region}")
}

pub fn stalled(
    source: &str,
    region: &str,
    watermark: Option<DateTime<Utc>>,
    since: DateTime<Utc>,
    after_minutes: u32,
    now: DateTime<Utc>,
) -> AlertMessage {
    let key = format!("collector.stalled:{source}:{region}:{}", instant(since));
    let lag = watermark.map(|w| (now - w).num_minutes());
    let subject = match lag {
        Some(m) => format!("bedrock-cost-monitor: {source} data in {region} is {m} minutes old"),
        None => format!("bedrock-cost-monitor: no {source} data collected yet in {region}"),
    };
    AlertMessage::new(AlertKind::COLLECTOR_STALLED, "critical", key, &subject, now)
        .with("source", json!(source))
        .with("region", json!(region))
        .with("data_through", watermark.map_or(Value::Null, |w| json!(instant(w))))
        .with("lag_minutes", lag.map_or(Value::Null, |m| json!(m)))
        .with("stalled_after_minutes", json!(after_minutes))
        .with("since", json!(instant(since)))
        .with("action", json!("check the daemon's log and bedrock_monitor_aws_requests_total{outcome!=\"success\"}: credentials, IAM permissions, throttling"))
}

/// Errors of one code in one region over a window, with who caused them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spike {
    pub kind: AlertKind,
    pub error_code: &'static str,
    pub region: String,
    pub count: u64,
    pub window_minutes: u32,
    pub threshold: u64,
    /// (principal, errors), most first.
    pub top_principals: Vec<(String, u64)>,
    /// (model ID, errors), most first.
    pub top_models: Vec<(String, u64)>,
}

/// The spike in `calls` (one region's counts over the window), if errors of
/// `error_code` reach `threshold`.
pub fn spike_of(
    kind: AlertKind,
    error_code: &'static str,
    region: &str,
    calls: &[CallCount],
    window_minutes: u32,
    threshold: u64,
) -> Option<Spike> {
    let mut principals: BTreeMap<&str, u64> = BTreeMap::new();
    let mut models: BTreeMap<&str, u64> = BTreeMap::new();
    for c in calls.iter().filter(|c| c.error_code.as_deref() == Some(error_code)) {
        *principals.entry(&c.principal).or_default() += c.calls;
        *models.entry(&c.model_id).or_default() += c.calls;
    }
    let count: u64 = principals.values().sum();
    if count < threshold {
        return None;
    }
    let top = |m: BTreeMap<&str, u64>| {
        let mut v: Vec<(String, u64)> = m.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.truncate(5);
        v
    };
    Some(Spike {
        kind,
        error_code,
        region: region.to_string(),
        count,
        window_minutes,
        threshold,
        top_principals: top(principals),
        top_models: top(models),
    })
}

pub fn spike_flag(kind: AlertKind, region: &str) -> String {
    format!("episode:{}:{region}", kind.as_str())
}

pub fn spike(s: &Spike, since: DateTime<Utc>, now: DateTime<Utc>) -> AlertMessage {
    let key = format!("{}:{}:{}", s.kind.as_str(), s.region, instant(since));
    let subject =
        format!("{} {} errors in {} within {} minutes", s.count, s.error_code, s.region, s.window_minutes);
    let pairs = |list: &[(String, u64)], name: &str| {
        Value::Array(list.iter().map(|(k, n)| json!({ name: k, "errors": n })).collect())
    };
    AlertMessage::new(s.kind, "warning", key, &subject, now)
        .with("region", json!(s.region))
        .with("error_code", json!(s.error_code))
        .with("errors", json!(s.count))
        .with("window_minutes", json!(s.window_minutes))
        .with("threshold", json!(s.threshold))
        .with("top_principals", pairs(&s.top_principals, "principal"))
        .with("top_models", pairs(&s.top_models, "model_id"))
        .with("since", json!(instant(since)))
}
