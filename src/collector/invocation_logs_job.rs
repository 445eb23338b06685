//! The invocation-log collection job: per region, the log events from the
//! watermark (re-reading `lookback_minutes` behind it, because delivery is
//! late by an undocumented delay) through the last complete minute, in
//! 15-minute chunks. Every page is parsed, each request priced on its own and
//! written at once (so memory is bounded by a page, and a run interrupted
//! mid-chunk keeps what it wrote); the watermark moves at each chunk's end.
//! Re-reading is safe: the store counts each `requestId` once.
//!
//! Must not serve or alert: a run returns a `LogsReport`.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::{window, CollectError};
use crate::clock::{floor_minute, Clock};
use crate::ledger::{RequestBatch, Store};
use crate::pricing::{price_request, PointPricer};
use crate::records::{RequestPricing, Source};
use crate::sources::invocation_logs::pages::{page_with_retries, Attempts, LogPages, LogQuery, RetryPolicy};
use crate::sources::invocation_logs::record::parse_record;
use crate::sources::invocation_logs::usage::request_usage;

const CHUNK_MINUTES: i64 = 15;
/// Request IDs are kept this long past the oldest minute a run re-reads, so
/// a record re-delivered at the edge of the lookback is still known.
const FORGET_MARGIN_HOURS: i64 = 24;

#[derive(Clone, Debug)]
pub struct LogsJobConfig {
    pub regions: Vec<String>,
    pub lookback_minutes: u32,
    pub backfill_hours: u32,
    /// `requestMetadata` keys kept as dimensions.
    pub metadata_keys: Vec<String>,
}

/// What one region's run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogsRegionReport {
    pub region: String,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub events: u64,
    pub added: u64,
    pub duplicates: u64,
    /// Records that could not be used, by `RecordError::kind`.
    pub rejected: BTreeMap<&'static str, u64>,
    /// Records of another region than the log group's (counted, skipped).
    pub foreign_region: u64,
    /// Model IDs whose requests could not be priced.
    pub unpriced_model_ids: Vec<String>,
    pub requests: u64,
    pub throttles: u64,
    pub watermark: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Default)]
pub struct LogsReport {
    pub regions: Vec<LogsRegionReport>,
    pub errors: Vec<CollectError>,
}

impl LogsReport {
    pub fn succeeded(&self) -> bool {
        self.errors.is_empty()
    }
}

pub struct InvocationLogsJob {
    pages: Arc<dyn LogPages>,
    store: Arc<dyn Store>,
    pricer: Arc<PointPricer>,
    clock: Arc<dyn Clock>,
    config: LogsJobConfig,
    policy: RetryPolicy,
}

impl InvocationLogsJob {
    pub fn new(
        pages: Arc<dyn LogPages>,
        store: Arc<dyn Store>,
        pricer: Arc<PointPricer>,
        clock: Arc<dyn Clock>,
        config: LogsJobConfig,
    ) -> Self {
        InvocationLogsJob { pages, store, pricer, clock, config, policy: RetryPolicy::default() }
    }

    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    pub fn regions(&self) -> &[String] {
        &self.config.regions
    }

    /// One run over every region; a failed region does not stop the others.
    pub async fn run_once(&self) -> LogsReport {
        let now = self.clock.now();
        let (regions, errors) = window::each_region(&self.config.regions, |region| async move {
            let mut r = LogsRegionReport { region: region.clone(), ..Default::default() };
            let outcome = self.collect_region(&region, now, &mut r).await;
            (r, outcome)
        })
        .await;
        LogsReport { regions, errors }
    }

    async fn collect_region(
        &self,
        region: &str,
        now: DateTime<Utc>,
        r: &mut LogsRegionReport,
    ) -> Result<(), CollectError> {
        let end = floor_minute(now);
        let watermark = self.store.watermark(Source::InvocationLogs, region).await?;
        let mut from =
            window::start(watermark, end, self.config.lookback_minutes, self.config.backfill_hours);
        r.from = Some(from);
        let forget_before = from - Duration::hours(FORGET_MARGIN_HOURS);
        while from < end {
            let to = (from + Duration::minutes(CHUNK_MINUTES)).min(end);
            self.collect_chunk(region, from, to, r).await?;
            let batch = RequestBatch {
                region: region.to_string(),
                requests: Vec::new(),
                watermark: Some(to),
                forget_before: Some(forget_before),
            };
            self.store.write_requests(&batch).await?;
            r.to = Some(to);
            from = to;
        }
        r.watermark = self.store.watermark(Source::InvocationLogs, region).await?;
        Ok(())
    }

    /// Every page of `[from, to)`, each written as it arrives.
    async fn collect_chunk(
        &self,
        region: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        r: &mut LogsRegionReport,
    ) -> Result<(), CollectError> {
        let mut query = LogQuery { from, to, limit: None, next_token: None };
        loop {
            let mut attempts = Attempts::default();
            let page =
                page_with_retries(self.pages.as_ref(), region, &query, &self.policy, &mut attempts).await;
            r.requests += attempts.requests;
            r.throttles += attempts.throttles;
            let page = page?;
            r.events += page.events.len() as u64;
            let requests = self.price_page(region, page.events.iter().map(|e| e.message.as_str()), r);
            let batch =
                RequestBatch { region: region.to_string(), requests, watermark: None, forget_before: None };
            let stats = self.store.write_requests(&batch).await?;
            r.added += stats.added as u64;
            r.duplicates += stats.duplicates as u64;
            // A token that repeats the one just sent means the end of the stream.
            match page.next_token {
                Some(t) if query.next_token.as_ref() != Some(&t) => query.next_token = Some(t),
                _ => return Ok(()),
            }
        }
    }

    /// Parses and prices a page's records; a record repeated within the page
    /// is kept once (the batch must not name an ID twice).
    fn price_page<'a>(
        &self,
        region: &str,
        messages: impl Iterator<Item = &'a str>,
        r: &mut LogsRegionReport,
    ) -> Vec<crate::records::RequestCost> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for message in messages {
            let record = match parse_record(message, &self.config.metadata_keys) {
                Ok(rec) => rec,
                Err(e) => {
                    *r.rejected.entry(e.kind()).or_default() += 1;
                    continue;
                }
            };
            if record.region != region {
                r.foreign_region += 1;
                continue;
            }
            if !seen.insert(record.request_id.clone()) {
                r.duplicates += 1;
                continue;
            }
            let cost = price_request(&self.pricer, &request_usage(record));
            if matches!(cost.pricing, RequestPricing::Unpriced { .. })
                && !r.unpriced_model_ids.contains(&cost.model_id)
            {
                r.unpriced_model_ids.push(cost.model_id.clone());
            }
            out.push(cost);
        }
        out
    }
}
