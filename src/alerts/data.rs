//! Operational alerts about what CloudWatch publishes that the daemon could
//! not count: `cloudwatch.unknown_metric` (a token-like metric it does not
//! know, once per name), `cloudwatch.quarantined_value` (an implausible
//! datapoint kept out of the ledger, once per series), and
//! `cloudwatch.partial_data` (a region whose answers stay incomplete, once
//! per stuck window). Pure message builders.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

use super::kind::AlertKind;
use super::message::AlertMessage;
use crate::sources::cloudwatch::Quarantined;

pub fn unknown_metric(region: &str, name: &str, now: DateTime<Utc>) -> AlertMessage {
    let key = format!("cloudwatch.unknown_metric:{name}");
    let subject = format!("Uncounted Bedrock token metric {name} in {region}");
    AlertMessage::new(AlertKind::UNKNOWN_METRIC, "warning", key, &subject, now)
        .with("region", json!(region))
        .with("metric_name", json!(name))
        .with(
            "action",
            json!(
                "AWS/Bedrock publishes a token metric the monitor does not count, so billed usage may be \
                 missing from the ledger: if it is a new spelling of a known metric, add it to \
                 sources.cloudwatch.cache_read_metrics / cache_write_metrics; otherwise upgrade the monitor"
            ),
        )
}

pub fn quarantined(region: &str, q: &Quarantined, now: DateTime<Utc>) -> AlertMessage {
    let key = format!("cloudwatch.quarantined_value:{region}:{}:{}", q.model_id, q.metric.key());
    let subject =
        format!("Implausible {} value for {} in {region} kept out of the ledger", q.aws_name, q.model_id);
    AlertMessage::new(AlertKind::QUARANTINED_VALUE, "warning", key, &subject, now)
        .with("region", json!(region))
        .with("model_id", json!(q.model_id))
        .with("metric_name", json!(q.aws_name))
        .with("minute", json!(q.minute.to_rfc3339_opts(SecondsFormat::Secs, true)))
        // Not finite values have no JSON number: the text says what came.
        .with("value", json!(q.value.to_string()))
        .with(
            "action",
            json!("the minute's other data was kept; compare with the CloudWatch console and the bill"),
        )
}

pub fn partial_data(region: &str, from: DateTime<Utc>, runs: u32, now: DateTime<Utc>) -> AlertMessage {
    let from = from.to_rfc3339_opts(SecondsFormat::Secs, true);
    let key = format!("cloudwatch.partial_data:{region}:{from}");
    let subject = format!("CloudWatch answers for {region} incomplete from {from} ({runs} runs)");
    AlertMessage::new(AlertKind::PARTIAL_DATA, "warning", key, &subject, now)
        .with("region", json!(region))
        .with("incomplete_from", json!(from))
        .with("consecutive_runs", json!(runs))
        .with(
            "action",
            json!(
                "GetMetricData keeps answering with data missing; the ledger stays complete only up to \
                 this minute and usage after it is re-read on every run"
            ),
        )
}
