//! The invocation-log collection job: per region, the records from the
//! watermark (re-reading `lookback_minutes` behind it, because delivery is
//! late by an undocumented delay) through the last complete minute.
//!
//! - CloudWatch Logs: the log events in 15-minute chunks; every page is
//!   parsed, each request priced on its own and written at once (memory is
//!   bounded by a page, and a run interrupted mid-chunk keeps what it wrote);
//!   the watermark moves at each chunk's end.
//! - S3: every hour folder the window touches is listed; each object not
//!   yet read is streamed line by line and written in chunks, and marked read
//!   with its last chunk, so no object is read twice once finished nor
//!   skipped when a run dies inside it (it is read again from the start).
//!
//! Re-reading is safe: the store counts each `requestId` once.
//!
//! Must not serve or alert: a run returns a `LogsReport`.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::{window, CollectError};
use crate::clock::{floor_minute, Clock};
use crate::ledger::{DoneObject, RequestBatch, Store};
use crate::pricing::{price_request, PointPricer};
use crate::records::{RequestPricing, Source};
use crate::sources::invocation_logs::objects::{Line, LogObject, LogObjects, RecordLines};
use crate::sources::invocation_logs::pages::{page_with_retries, Attempts, LogPages, LogQuery, RetryPolicy};
use crate::sources::invocation_logs::record::parse_record;
use crate::sources::invocation_logs::usage::request_usage;
use crate::sources::{ErrorKind, SourceError};

const CHUNK_MINUTES: i64 = 15;
/// Request IDs are kept this long past the oldest minute a run re-reads, so
/// a record re-delivered at the edge of the lookback is still known.
const FORGET_MARGIN_HOURS: i64 = 24;
/// Records of an S3 object written per transaction.
const OBJECT_CHUNK: usize = 1_000;

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
    /// S3 objects read to their end by this run.
    pub objects: u64,
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
    /// The S3 destination of the regions that deliver there.
    objects: Option<(Arc<dyn LogObjects>, Vec<String>)>,
    object_chunk: usize,
}

impl InvocationLogsJob {
    pub fn new(
        pages: Arc<dyn LogPages>,
        store: Arc<dyn Store>,
        pricer: Arc<PointPricer>,
        clock: Arc<dyn Clock>,
        config: LogsJobConfig,
    ) -> Self {
        InvocationLogsJob {
            pages,
            store,
            pricer,
            clock,
            config,
            policy: RetryPolicy::default(),
            objects: None,
            object_chunk: OBJECT_CHUNK,
        }
    }

    /// Reads `regions` from their S3 destination instead of CloudWatch Logs.
    pub fn with_objects(mut self, objects: Arc<dyn LogObjects>, regions: Vec<String>) -> Self {
        self.objects = Some((objects, regions));
        self
    }

    /// Records per transaction while reading an object (tests shrink it).
    pub fn with_object_chunk(mut self, records: usize) -> Self {
        self.object_chunk = records.max(1);
        self
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
        if let Some((objects, _)) =
            self.objects.as_ref().filter(|(_, regions)| regions.iter().any(|x| x == region))
        {
            self.collect_objects(objects.as_ref(), region, from, end, r).await?;
            let batch = RequestBatch {
                region: region.to_string(),
                requests: Vec::new(),
                watermark: Some(end),
                forget_before: Some(forget_before),
                object_done: None,
            };
            self.store.write_requests(&batch).await?;
            r.to = Some(end);
            r.watermark = self.store.watermark(Source::InvocationLogs, region).await?;
            return Ok(());
        }
        while from < end {
            let to = (from + Duration::minutes(CHUNK_MINUTES)).min(end);
            self.collect_chunk(region, from, to, r).await?;
            let batch = RequestBatch {
                region: region.to_string(),
                requests: Vec::new(),
                watermark: Some(to),
                forget_before: Some(forget_before),
                object_done: None,
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
            self.write_records(region, page.events.iter().map(|e| e.message.as_str()), None, r).await?;
            // A token that repeats the one just sent means the end of the stream.
            match page.next_token {
                Some(t) if query.next_token.as_ref() != Some(&t) => query.next_token = Some(t),
                _ => return Ok(()),
            }
        }
    }

    /// Parses, prices and writes records (and marks an object read with them).
    async fn write_records<'a>(
        &self,
        region: &str,
        messages: impl Iterator<Item = &'a str>,
        object_done: Option<DoneObject>,
        r: &mut LogsRegionReport,
    ) -> Result<(), CollectError> {
        let requests = self.price_page(region, messages, r);
        let batch = RequestBatch { object_done, ..RequestBatch::of(region, requests) };
        let stats = self.store.write_requests(&batch).await?;
        r.added += stats.added as u64;
        r.duplicates += stats.duplicates as u64;
        Ok(())
    }

    /// Every hour folder from `from`'s hour through `end`'s; each object not
    /// yet read, in key order.
    async fn collect_objects(
        &self,
        objects: &dyn LogObjects,
        region: &str,
        from: DateTime<Utc>,
        end: DateTime<Utc>,
        r: &mut LogsRegionReport,
    ) -> Result<(), CollectError> {
        let mut hour = floor_hour(from);
        while hour < end {
            let (listed, requests) = objects.list_hour(region, hour).await?;
            r.requests += requests;
            let keys: Vec<String> = listed.iter().map(|o| o.key.clone()).collect();
            let done = self.store.done_objects(region, &keys).await?;
            for object in listed.iter().filter(|o| !done.contains(&o.key)) {
                self.read_object(objects, region, hour, object, r).await?;
            }
            hour += Duration::hours(1);
        }
        Ok(())
    }

    /// One object, line by line, written in chunks; marked read with the last.
    /// An object that is not gzip (or is cut short) is skipped and counted,
    /// never retried forever; a failed download is retried by the next run.
    async fn read_object(
        &self,
        objects: &dyn LogObjects,
        region: &str,
        hour: DateTime<Utc>,
        object: &LogObject,
        r: &mut LogsRegionReport,
    ) -> Result<(), CollectError> {
        r.requests += 1;
        let mut lines = RecordLines::new(objects.open(region, &object.key).await?);
        let mut pending: Vec<String> = Vec::new();
        loop {
            match lines.next().await {
                Ok(Some(Line::Record(text))) => {
                    r.events += 1;
                    pending.push(text);
                    if pending.len() >= self.object_chunk {
                        self.write_records(region, pending.iter().map(String::as_str), None, r).await?;
                        pending.clear();
                    }
                }
                Ok(Some(Line::TooLong { .. })) => {
                    r.events += 1;
                    *r.rejected.entry("too_large").or_default() += 1;
                }
                Ok(None) => break,
                Err(e)
                    if e.kind() == std::io::ErrorKind::InvalidData
                        || e.kind() == std::io::ErrorKind::UnexpectedEof =>
                {
                    tracing::warn!(region, key = %object.key, error = %e, "unreadable invocation log object skipped");
                    *r.rejected.entry("corrupt_object").or_default() += 1;
                    break;
                }
                Err(e) => {
                    let message = format!("reading {}: {e}", object.key);
                    return Err(SourceError {
                        api: "GetObject",
                        region: region.to_string(),
                        kind: ErrorKind::Other,
                        message,
                    }
                    .into());
                }
            }
        }
        let done = DoneObject { key: object.key.clone(), hour };
        self.write_records(region, pending.iter().map(String::as_str), Some(done), r).await?;
        r.objects += 1;
        Ok(())
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

/// The start of `t`'s UTC hour.
fn floor_hour(t: DateTime<Utc>) -> DateTime<Utc> {
    let secs = t.timestamp();
    DateTime::from_timestamp(secs - secs.rem_euclid(3600), 0).unwrap_or(t)
}
