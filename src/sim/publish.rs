//! Writing simulated datapoints into the emulator's CloudWatch, under the
//! names and dimensions AWS publishes (the demo, tests and benchmarks; the
//! daemon itself never writes metrics).
//!
//! The names here are AWS's, copied from the `AWS/Bedrock` runtime metrics
//! table of the Bedrock user guide ("Monitor Amazon Bedrock with Amazon
//! CloudWatch", runtime metrics), deliberately not taken from the daemon's
//! own vocabulary: a simulator that shares the daemon's assumptions cannot
//! catch them. Must not be reachable from `run`.

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StatisticSet};
use aws_sdk_cloudwatch::Client;
use chrono::{DateTime, Utc};

use super::SimDatum;
use crate::bedrock::BedrockMetric;

/// PutMetricData accepts at most 1,000 datums per call.
const MAX_DATUMS_PER_PUT: usize = 1000;

/// The metric name AWS's table gives for each runtime metric. The cache
/// metrics are `CacheReadInputTokens` / `CacheWriteInputTokens` there (the
/// `…TokenCount` spellings are invocation-log field names).
pub fn aws_metric_name(metric: BedrockMetric) -> &'static str {
    match metric {
        BedrockMetric::Invocations => "Invocations",
        BedrockMetric::InvocationClientErrors => "InvocationClientErrors",
        BedrockMetric::InvocationServerErrors => "InvocationServerErrors",
        BedrockMetric::InvocationThrottles => "InvocationThrottles",
        BedrockMetric::InputTokenCount => "InputTokenCount",
        BedrockMetric::OutputTokenCount => "OutputTokenCount",
        BedrockMetric::CacheReadInputTokens => "CacheReadInputTokens",
        BedrockMetric::CacheWriteInputTokens => "CacheWriteInputTokens",
        BedrockMetric::InvocationLatency => "InvocationLatency",
        BedrockMetric::TimeToFirstToken => "TimeToFirstToken",
        BedrockMetric::EstimatedTpmQuotaUsage => "EstimatedTPMQuotaUsage",
        BedrockMetric::LegacyModelInvocations => "LegacyModelInvocations",
    }
}

/// One datum as CloudWatch stores it: any namespace, name and dimension set.
#[derive(Clone, Debug, PartialEq)]
pub struct RawDatum {
    pub name: String,
    pub dimensions: Vec<(String, String)>,
    pub minute: DateTime<Utc>,
    pub sum: f64,
    /// Samples behind `sum` (averaged metrics); `None` publishes one value.
    pub count: Option<f64>,
}

impl RawDatum {
    /// The simulated datum under AWS's name with its `ModelId` dimension.
    pub fn of(d: &SimDatum) -> Self {
        RawDatum {
            name: aws_metric_name(d.metric).to_string(),
            dimensions: vec![("ModelId".to_string(), d.model_id.clone())],
            minute: d.minute,
            sum: d.sum,
            count: d.count,
        }
    }
}

/// Publishes simulated datums into `AWS/Bedrock`. Returns the number of calls.
pub async fn publish(client: &Client, datums: &[SimDatum]) -> Result<usize, aws_sdk_cloudwatch::Error> {
    let raw: Vec<RawDatum> = datums.iter().map(RawDatum::of).collect();
    put(client, "AWS/Bedrock", &raw).await
}

/// Publishes datums of any shape into `namespace`. Returns the number of calls.
pub async fn put(
    client: &Client,
    namespace: &str,
    datums: &[RawDatum],
) -> Result<usize, aws_sdk_cloudwatch::Error> {
    let mut calls = 0;
    for chunk in datums.chunks(MAX_DATUMS_PER_PUT) {
        let data: Vec<MetricDatum> = chunk.iter().map(datum).collect();
        client.put_metric_data().namespace(namespace).set_metric_data(Some(data)).send().await?;
        calls += 1;
    }
    Ok(calls)
}

fn datum(d: &RawDatum) -> MetricDatum {
    let dimensions =
        d.dimensions.iter().map(|(n, v)| Dimension::builder().name(n).value(v).build()).collect();
    let builder = MetricDatum::builder()
        .metric_name(&d.name)
        .set_dimensions(Some(dimensions))
        .timestamp(aws_sdk_cloudwatch::primitives::DateTime::from_secs(d.minute.timestamp()));
    match d.count {
        // An average travels as a statistic set so Sum and SampleCount both survive.
        Some(count) => builder
            .statistic_values(
                StatisticSet::builder().sample_count(count).sum(d.sum).minimum(0.0).maximum(d.sum).build(),
            )
            .build(),
        None => builder.value(d.sum).build(),
    }
}
