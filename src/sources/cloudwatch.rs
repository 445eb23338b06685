//! The CloudWatch adapter: `ListMetrics` and `GetMetricData` for the
//! `AWS/Bedrock` namespace. The only file that sees `aws_sdk_cloudwatch` types.
//!
//! Must not plan windows, price or store: it runs the calls it is given and
//! returns plain data. Retries and timeouts are the SDK's, configured where
//! the clients are built (`crate::aws`).

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use aws_sdk_cloudwatch::types::{
    Dimension, DimensionFilter, Metric, MetricDataQuery, MetricDatum, MetricStat, StatisticSet,
};
use aws_sdk_cloudwatch::Client;
use chrono::{DateTime, Utc};

use super::aws_error::classify;
use super::plan::{Call, QueryResult};
use super::{ErrorKind, Listing, MetricNames, MetricSource, RequestCount, SeriesListing, SourceError};

pub const NAMESPACE: &str = "AWS/Bedrock";
const DIMENSION: &str = "ModelId";
const PERIOD_SECONDS: i32 = 60;

/// One CloudWatch client per monitored region.
pub struct CloudWatchSource {
    clients: BTreeMap<String, Client>,
    names: MetricNames,
}

impl CloudWatchSource {
    pub fn new(clients: BTreeMap<String, Client>, names: MetricNames) -> Self {
        CloudWatchSource { clients, names }
    }

    fn client(&self, api: &'static str, region: &str) -> Result<&Client, SourceError> {
        self.clients.get(region).ok_or_else(|| SourceError {
            api,
            region: region.to_string(),
            kind: ErrorKind::Other,
            message: "no client configured for this region".into(),
        })
    }

    fn query(&self, i: usize, s: &super::plan::Series) -> MetricDataQuery {
        let metric = Metric::builder()
            .namespace(NAMESPACE)
            .metric_name(self.names.aws_name(s.metric))
            .dimensions(Dimension::builder().name(DIMENSION).value(&s.model_id).build())
            .build();
        let stat = MetricStat::builder().metric(metric).period(PERIOD_SECONDS).stat(s.stat.as_str()).build();
        MetricDataQuery::builder().id(Call::query_id(i)).metric_stat(stat).return_data(true).build()
    }
}

#[async_trait]
impl MetricSource for CloudWatchSource {
    async fn list_model_ids(&self, region: &str) -> Result<Listing, SourceError> {
        let listing = self.list_series(region).await?;
        let ids: BTreeSet<String> = listing.series.into_iter().map(|(id, _)| id).collect();
        Ok(Listing { model_ids: ids.into_iter().collect(), requests: listing.requests })
    }

    async fn list_series(&self, region: &str) -> Result<SeriesListing, SourceError> {
        let client = self.client("ListMetrics", region)?;
        let mut series = BTreeSet::new();
        let mut requests = 0;
        let mut token: Option<String> = None;
        loop {
            requests += 1;
            let out = client
                .list_metrics()
                .namespace(NAMESPACE)
                .dimensions(DimensionFilter::builder().name(DIMENSION).build())
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| classify("ListMetrics", region, &e))?;
            for m in out.metrics() {
                // Only the per-model series: other dimension sets are aggregates.
                let (Some(metric), [d]) =
                    (m.metric_name().and_then(|n| self.names.metric_of(n)), m.dimensions())
                else {
                    continue;
                };
                if let (Some(DIMENSION), Some(id)) = (d.name(), d.value()) {
                    series.insert((id.to_string(), metric));
                }
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(SeriesListing { series: series.into_iter().collect(), requests })
    }

    async fn fetch(
        &self,
        region: &str,
        call: &Call,
    ) -> Result<(BTreeMap<usize, QueryResult>, RequestCount), SourceError> {
        let client = self.client("GetMetricData", region)?;
        let queries: Vec<_> = call.series.iter().enumerate().map(|(i, s)| self.query(i, s)).collect();
        let mut results: BTreeMap<usize, QueryResult> = BTreeMap::new();
        let mut count = RequestCount::default();
        let mut token: Option<String> = None;
        loop {
            count.requests += 1;
            count.metrics_requested += queries.len() as u64;
            let out = client
                .get_metric_data()
                .set_metric_data_queries(Some(queries.clone()))
                .start_time(smithy_time(call.start))
                .end_time(smithy_time(call.end))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| classify("GetMetricData", region, &e))?;
            for r in out.metric_data_results() {
                let Some(index) = r.id().and_then(Call::index_of) else { continue };
                let entry = results.entry(index).or_default();
                for (t, v) in r.timestamps().iter().zip(r.values()) {
                    if let Some(t) = chrono_time(t) {
                        entry.timestamps.push(t);
                        entry.values.push(*v);
                    }
                }
            }
            // PartialData: the same call continues with NextToken.
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        Ok((results, count))
    }
}

/// PutMetricData accepts at most 1,000 datums per call.
const MAX_DATUMS_PER_PUT: usize = 1000;

/// Writes simulated datapoints into `AWS/Bedrock` (the demo, tests and
/// benchmarks; the daemon itself never writes metrics). Returns the number of calls.
pub async fn publish(
    client: &Client,
    region: &str,
    datums: &[crate::sim::SimDatum],
    names: &MetricNames,
) -> Result<usize, SourceError> {
    let mut calls = 0;
    for chunk in datums.chunks(MAX_DATUMS_PER_PUT) {
        let data: Vec<MetricDatum> = chunk.iter().map(|d| datum(d, names)).collect();
        client
            .put_metric_data()
            .namespace(NAMESPACE)
            .set_metric_data(Some(data))
            .send()
            .await
            .map_err(|e| classify("PutMetricData", region, &e))?;
        calls += 1;
    }
    Ok(calls)
}

fn datum(d: &crate::sim::SimDatum, names: &MetricNames) -> MetricDatum {
    let builder = MetricDatum::builder()
        .metric_name(names.aws_name(d.metric))
        .dimensions(Dimension::builder().name(DIMENSION).value(&d.model_id).build())
        .timestamp(smithy_time(d.minute));
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

fn smithy_time(t: DateTime<Utc>) -> aws_sdk_cloudwatch::primitives::DateTime {
    aws_sdk_cloudwatch::primitives::DateTime::from_secs(t.timestamp())
}

fn chrono_time(t: &aws_sdk_cloudwatch::primitives::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}
