//! The requests the metric tests make through the real SDK client (datums,
//! queries, PutMetricData and GetMetricData) and the reading of the answers.

use aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataOutput;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{
    Dimension, Metric, MetricDataQuery, MetricDataResult, MetricDatum, MetricStat,
};
use aws_sdk_cloudwatch::Client;

use super::now_secs;

pub(super) const BEDROCK: &str = "AWS/Bedrock";
pub(super) const MANTLE: &str = "AWS/BedrockMantle";
pub(super) const TOKENS: &str = "InputTokenCount";

pub(super) fn dims(pairs: &[(&str, &str)]) -> Vec<Dimension> {
    pairs.iter().map(|(n, v)| Dimension::builder().name(*n).value(*v).build()).collect()
}

pub(super) fn value_datum(pairs: &[(&str, &str)], at: i64, value: f64) -> MetricDatum {
    MetricDatum::builder()
        .metric_name(TOKENS)
        .set_dimensions(Some(dims(pairs)))
        .timestamp(DateTime::from_secs(at))
        .value(value)
        .build()
}

pub(super) fn query(id: &str, namespace: &str, pairs: &[(&str, &str)], stat: &str) -> MetricDataQuery {
    let metric =
        Metric::builder().namespace(namespace).metric_name(TOKENS).set_dimensions(Some(dims(pairs))).build();
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(MetricStat::builder().metric(metric).period(60).stat(stat).build())
        .build()
}

pub(super) async fn put(cw: &Client, namespace: &str, data: Vec<MetricDatum>) {
    for chunk in data.chunks(1000) {
        cw.put_metric_data()
            .namespace(namespace)
            .set_metric_data(Some(chunk.to_vec()))
            .send()
            .await
            .expect("PutMetricData");
    }
}

pub(super) async fn get(
    cw: &Client,
    queries: Vec<MetricDataQuery>,
    start: i64,
    token: Option<String>,
) -> GetMetricDataOutput {
    cw.get_metric_data()
        .set_metric_data_queries(Some(queries))
        .start_time(DateTime::from_secs(start))
        .end_time(DateTime::from_secs(start + 10 * 60))
        .set_next_token(token)
        .send()
        .await
        .expect("GetMetricData")
}

pub(super) fn result<'a>(out: &'a GetMetricDataOutput, id: &str) -> &'a MetricDataResult {
    out.metric_data_results().iter().find(|r| r.id() == Some(id)).unwrap_or_else(|| panic!("no result {id}"))
}

/// (timestamp, value) pairs in the order the answer lists them.
pub(super) fn points(result: &MetricDataResult) -> Vec<(i64, f64)> {
    assert_eq!(result.timestamps().len(), result.values().len(), "Timestamps and Values are parallel");
    result.timestamps().iter().map(DateTime::secs).zip(result.values().iter().copied()).collect()
}

pub(super) fn minute_start() -> i64 {
    now_secs() / 60 * 60 - 10 * 60
}
