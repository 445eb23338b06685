//! The CloudWatch adapter: `ListMetrics` and `GetMetricData` for the
//! `AWS/Bedrock` or `AWS/BedrockMantle` namespace. The only file of the daemon that sees
//! `aws_sdk_cloudwatch` types.
//!
//! Must not plan windows, price or store: it runs the calls it is given and
//! returns plain data. Retries and timeouts are the SDK's, configured where
//! the clients are built (`crate::aws`).

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use aws_sdk_cloudwatch::types::{
    Dimension, DimensionFilter, Metric, MetricDataQuery, MetricStat, StatusCode,
};
use aws_sdk_cloudwatch::Client;
use chrono::{DateTime, Utc};

use super::assemble::QueryResult;
use super::names::{classify, Listed, MetricNames};
use super::plan::{Call, Series};
use crate::aws::MonitoredShards;
use crate::sources::aws_error::classify as classify_error;
use crate::sources::invocation_logs::delivery::{DeliveryHealth, FAILURE_METRICS};
use crate::sources::{ErrorKind, Listing, MetricSource, RequestCount, SeriesListing, SourceError};

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

    /// A client per region, in the monitored account.
    /// One client per shard, keyed (and asked for) by its ledger key.
    pub fn connect(shards: &MonitoredShards, names: MetricNames) -> Self {
        #[expect(clippy::disallowed_methods, reason = "the adapter builds its own clients")]
        let clients = shards.per_shard(Client::new);
        Self::new(clients, names)
    }

    fn client(&self, api: &'static str, region: &str) -> Result<&Client, SourceError> {
        self.clients.get(region).ok_or_else(|| SourceError {
            api,
            region: region.to_string(),
            kind: ErrorKind::Other,
            message: "no client configured for this region".into(),
        })
    }

    /// CloudWatch matches a query to the series with exactly its dimension
    /// set, so every dimension the series was listed with is repeated.
    fn query(&self, i: usize, s: &Series) -> MetricDataQuery {
        let dimensions =
            s.listed.dimensions.iter().map(|(n, v)| Dimension::builder().name(n).value(v).build()).collect();
        let metric = Metric::builder()
            .namespace(s.listed.namespace.name())
            .metric_name(&s.listed.name)
            .set_dimensions(Some(dimensions))
            .build();
        let stat = MetricStat::builder().metric(metric).period(PERIOD_SECONDS).stat(s.stat.as_str()).build();
        MetricDataQuery::builder().id(Call::query_id(i)).metric_stat(stat).return_data(true).build()
    }
}

#[async_trait]
impl MetricSource for CloudWatchSource {
    async fn list_model_ids(&self, region: &str) -> Result<Listing, SourceError> {
        let listing = self.list_series(region).await?;
        let ids: BTreeSet<String> = listing.series.into_iter().map(|s| s.model_id).collect();
        Ok(Listing { model_ids: ids.into_iter().collect(), requests: listing.requests })
    }

    async fn list_series(&self, region: &str) -> Result<SeriesListing, SourceError> {
        let client = self.client("ListMetrics", region)?;
        let mut series = BTreeSet::new();
        let mut unknown = BTreeSet::new();
        let mut requests = 0;
        let mut token: Option<String> = None;
        loop {
            requests += 1;
            // Every series with a ModelId, whatever else it carries: tier
            // breakdowns and metrics this project does not know are listed too.
            let out = client
                .list_metrics()
                .namespace(self.names.namespace().name())
                .dimensions(DimensionFilter::builder().name(self.names.namespace().model_dimension()).build())
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| classify_error("ListMetrics", region, &e))?;
            for m in out.metrics() {
                let dims: Vec<(String, String)> = m
                    .dimensions()
                    .iter()
                    .filter_map(|d| Some((d.name()?.to_string(), d.value()?.to_string())))
                    .collect();
                match classify(&self.names, m.metric_name().unwrap_or_default(), &dims) {
                    Listed::Series(s) => {
                        series.insert(s);
                    }
                    Listed::Unknown(name) => {
                        unknown.insert(name);
                    }
                    Listed::Ignored => {}
                }
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        Ok(SeriesListing { series: series.into_iter().collect(), unknown, requests })
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
                .map_err(|e| classify_error("GetMetricData", region, &e))?;
            for r in out.metric_data_results() {
                let Some(index) = r.id().and_then(Call::index_of) else { continue };
                let entry = results.entry(index).or_default();
                // "PartialData" with a NextToken means the next page continues
                // (reset below); on the last page, minutes are missing.
                entry.complete = matches!(r.status_code(), Some(StatusCode::Complete) | None);
                for (t, v) in r.timestamps().iter().zip(r.values()) {
                    if let Some(t) = chrono_time(t) {
                        entry.timestamps.push(t);
                        entry.values.push(*v);
                    }
                }
            }
            // PartialData: the same call continues with NextToken.
            match out.next_token() {
                Some(t) if !t.is_empty() => {
                    token = Some(t.to_string());
                    results.values_mut().for_each(|r| r.complete = true);
                }
                _ => break,
            }
        }
        Ok((results, count))
    }
}

#[async_trait]
impl DeliveryHealth for CloudWatchSource {
    /// One GetMetricData call of the failure metrics without dimensions,
    /// one value per metric over the whole window.
    async fn delivery_failures(
        &self,
        region: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<(u64, RequestCount), SourceError> {
        let client = self.client("GetMetricData", region)?;
        let period = i32::try_from((to - from).num_seconds()).unwrap_or(i32::MAX).max(PERIOD_SECONDS);
        // CloudWatch accepts periods in multiples of 60 seconds.
        let period = period - period % PERIOD_SECONDS;
        let queries: Vec<MetricDataQuery> = FAILURE_METRICS
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let metric = Metric::builder().namespace("AWS/Bedrock").metric_name(*name).build();
                let stat = MetricStat::builder().metric(metric).period(period).stat("Sum").build();
                MetricDataQuery::builder().id(Call::query_id(i)).metric_stat(stat).return_data(true).build()
            })
            .collect();
        let count = RequestCount { requests: 1, metrics_requested: queries.len() as u64 };
        let out = client
            .get_metric_data()
            .set_metric_data_queries(Some(queries))
            .start_time(smithy_time(from))
            .end_time(smithy_time(to))
            .send()
            .await
            .map_err(|e| classify_error("GetMetricData", region, &e))?;
        let failures = out
            .metric_data_results()
            .iter()
            .flat_map(|r| r.values().iter().copied())
            .filter(|v| v.is_finite() && *v > 0.0)
            // A count of failed deliveries: a whole number well below 2^53.
            .map(|v| v.round() as u64)
            .sum();
        Ok((failures, count))
    }
}

fn smithy_time(t: DateTime<Utc>) -> aws_sdk_cloudwatch::primitives::DateTime {
    aws_sdk_cloudwatch::primitives::DateTime::from_secs(t.timestamp())
}

fn chrono_time(t: &aws_sdk_cloudwatch::primitives::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}
