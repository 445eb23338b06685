//! The CloudWatch collection job: per region, from the watermark (or the
//! backfill start) through the last complete minute, re-reading a trailing
//! restatement window so late datapoints converge.
//!
//! Each planned day-chunk is written with its watermark in one ledger batch,
//! so a crash or a failed call loses nothing already written, and the next
//! run retries exactly the window that failed. A chunk answered with data
//! missing (`PartialData`) is written without moving the watermark, and the
//! region stops there: the next run reads those minutes again.
//!
//! Late data, deterministically: every run re-reads `restatement_minutes`;
//! the first run of each UTC hour (judged from the stored watermark, so a
//! restart changes nothing) also re-reads `deep_restatement_hours`, and what
//! that deeper read finds new or changed is reported as restated.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use tokio::sync::Mutex;

use super::{CollectError, RegionReport, RequestTally, RunReport};
use crate::bedrock::BedrockMetric;
use crate::clock::{floor_minute, Clock};
use crate::ledger::{MinuteBatch, Store};
use crate::pricing::PointPricer;
use crate::records::{LinePricing, Source};
use crate::shard::OwnedShards;
use crate::sources::cloudwatch::levels::select;
use crate::sources::cloudwatch::plan::{plan, series_of, Call};
use crate::sources::cloudwatch::{assemble, ListedSeries, MetricNames};
use crate::sources::{AwsOutcome, MetricSource, SourceError};

/// GetMetricData: $0.01 per 1,000 metrics requested; ListMetrics: $0.01 per 1,000 requests.
pub const USD_PER_METRIC_REQUESTED: Decimal = Decimal::from_parts(1, 0, 0, false, 5);
const USD_PER_LIST_REQUEST: Decimal = Decimal::from_parts(1, 0, 0, false, 5);
/// CloudWatch keeps 1-minute datapoints for 15 days.
const RETENTION_MINUTES: i64 = 15 * 24 * 60;
/// Accounts collected at the same time (reports keep the configured order).
const ACCOUNTS_AT_ONCE: usize = 4;
/// ListMetrics is refreshed at most this often.
const DISCOVERY_TTL_MINUTES: i64 = 60;
/// AWS: a new metric can take up to 15 minutes to appear in ListMetrics, so a
/// series first listed now may have data from before the previous listing.
const LISTING_DELAY_MINUTES: i64 = 15;

#[derive(Clone, Debug)]
pub struct CloudWatchJobConfig {
    pub regions: Vec<String>,
    pub restatement_minutes: u32,
    pub backfill_hours: u32,
    /// Hours re-read once per UTC hour; 0 turns the deep re-read off.
    pub deep_restatement_hours: u32,
    /// The AWS names of the metrics, every spelling, most trusted first.
    pub names: MetricNames,
}

/// The existing series of a region worth reading, and when they were listed.
#[derive(Clone)]
struct Discovery {
    at: DateTime<Utc>,
    series: Vec<ListedSeries>,
    unknown: Vec<String>,
}

/// Series first seen in this listing, with when the previous listing was made.
type NewSeries = Option<(DateTime<Utc>, Vec<ListedSeries>)>;

/// The windows one region's run reads.
struct Window {
    /// The restatement window starts here (or the watermark, if earlier).
    start: DateTime<Utc>,
    /// The deep re-read starts here, this run being the first of its hour.
    deep_start: Option<DateTime<Utc>>,
}

pub struct CloudWatchJob {
    /// The metrics this job collects, and the watermark key they are kept under.
    metrics: Vec<BedrockMetric>,
    ledger_source: Source,
    source: Arc<dyn MetricSource>,
    store: Arc<dyn Store>,
    pricer: Arc<PointPricer>,
    clock: Arc<dyn Clock>,
    config: CloudWatchJobConfig,
    discovery: Mutex<BTreeMap<String, Discovery>>,
    /// With shared shards: only these of `config.regions` are collected,
    /// read afresh at each run.
    owned: Option<Arc<OwnedShards>>,
}

impl CloudWatchJob {
    pub fn new(
        source: Arc<dyn MetricSource>,
        store: Arc<dyn Store>,
        pricer: Arc<PointPricer>,
        clock: Arc<dyn Clock>,
        config: CloudWatchJobConfig,
    ) -> Self {
        CloudWatchJob {
            metrics: BedrockMetric::ALL.to_vec(),
            ledger_source: Source::CloudWatch,
            source,
            store,
            pricer,
            clock,
            config,
            discovery: Mutex::new(BTreeMap::new()),
            owned: None,
        }
    }

    /// Collects only `metrics`, with its own watermark under `ledger_source`
    /// (usage often, operational detail rarely: GetMetricData bills per metric).
    pub fn with_metrics(mut self, metrics: &[BedrockMetric], ledger_source: Source) -> Self {
        self.metrics = metrics.to_vec();
        self.ledger_source = ledger_source;
        self
    }

    /// Collects only the shards in `owned` at each run (replicas share
    /// them); `None`: every configured shard.
    pub fn owning(mut self, owned: Option<Arc<OwnedShards>>) -> Self {
        self.owned = owned;
        self
    }

    /// The shard keys a run collects now: every configured one, or those owned.
    pub fn regions(&self) -> Vec<String> {
        OwnedShards::collected(self.owned.as_deref(), &self.config.regions)
    }

    /// One collection over every region. A region that fails does not stop the
    /// others; its error is in the report and its watermark stays where it was.
    ///
    /// Accounts are collected a few at a time, each account's regions one
    /// after the other: an account whose calls hang until their timeout must
    /// not hold up every other account's collection.
    pub async fn run_once(&self) -> RunReport {
        use futures_util::StreamExt;
        let now = self.clock.now();
        let runs = futures_util::stream::iter(super::window::by_account(&self.regions()))
            .map(|keys: Vec<String>| async move {
                let mut runs = Vec::with_capacity(keys.len());
                for region in keys {
                    let mut report = RunReport::default();
                    match self.collect_region(&region, now, &mut report).await {
                        Ok(r) => report.regions.push(r),
                        Err(e) => {
                            self.forget_listing(&region, now).await;
                            report.errors.push(e);
                        }
                    }
                    runs.push((region, report));
                }
                runs
            })
            .buffered(ACCOUNTS_AT_ONCE)
            .collect::<Vec<_>>()
            .await;
        let mut report = RunReport::default();
        for (region, r) in runs.into_iter().flatten() {
            report.regions.extend(r.regions);
            report.requests.extend(r.requests);
            report.api_cost_usd += r.api_cost_usd;
            report.api_cost_by_shard.insert(region, r.api_cost_usd);
            report.errors.extend(r.errors);
        }
        report
    }

    /// A run that listed and then failed forgets its listing, so the next run
    /// lists again and still reads back what series first seen in it hold;
    /// with the listing cached, they would only be read from the watermark.
    async fn forget_listing(&self, region: &str, now: DateTime<Utc>) {
        let mut cache = self.discovery.lock().await;
        if cache.get(region).is_some_and(|d| d.at == now) {
            cache.remove(region);
        }
    }

    async fn collect_region(
        &self,
        region: &str,
        now: DateTime<Utc>,
        report: &mut RunReport,
    ) -> Result<RegionReport, CollectError> {
        let end = floor_minute(now);
        let (discovery, new_since) = self.discover(region, now, report).await?;
        let model_ids: BTreeSet<String> = discovery.series.iter().map(|s| s.model_id.clone()).collect();
        let window = self.window(region, end).await?;
        let mut out = RegionReport {
            region: region.to_string(),
            model_ids: model_ids.len(),
            unknown_metrics: discovery.unknown.clone(),
            ..Default::default()
        };
        // GetMetricData bills per metric requested, not per minute: the deep
        // re-read rides in the same calls as long as they stay within the
        // datapoint limit.
        let floor = window.deep_start.unwrap_or(window.start);
        let mut calls = plan(&series_of(&discovery.series), floor, end);
        // Series first seen now may have data older than what is re-read anyway.
        if let Some((since, new)) = new_since {
            let earliest = (end - Duration::minutes(RETENTION_MINUTES)).max(since);
            if earliest < floor {
                calls.extend(plan(&series_of(&new), earliest, floor));
            }
        }
        calls.sort_by_key(|c| (c.start, c.end));
        out.read_from = calls.first().map(|c| c.start);
        self.run_calls(region, &calls, end, window.start, &mut out, report).await?;
        if calls.is_empty() {
            // Nothing to read (no model has metrics): the window is complete anyway.
            let batch = MinuteBatch {
                source: self.ledger_source,
                region: region.to_string(),
                points: vec![],
                lines: vec![],
                watermark: Some(end),
            };
            self.store.write(&batch).await?;
        }
        out.watermark = self.store.watermark(self.ledger_source, region).await?;
        let mut unpriced: BTreeSet<String> =
            model_ids.into_iter().filter(|id| !self.pricer.is_priced(id, region, now)).collect();
        unpriced.append(&mut std::mem::take(&mut out.unpriced_model_ids).into_iter().collect());
        out.unpriced_model_ids = unpriced.into_iter().collect();
        Ok(out)
    }

    /// From the watermark, but never later than the restatement window and
    /// never earlier than CloudWatch's 1-minute retention; the first run of
    /// an hour also reads `deep_restatement_hours` back.
    async fn window(&self, region: &str, end: DateTime<Utc>) -> Result<Window, CollectError> {
        let oldest = end - Duration::minutes(RETENTION_MINUTES) + Duration::minutes(1);
        let restate = end - Duration::minutes(i64::from(self.config.restatement_minutes));
        let watermark = self.store.watermark(self.ledger_source, region).await?;
        let start = match watermark {
            Some(w) => w.min(restate),
            None => end - Duration::hours(i64::from(self.config.backfill_hours)),
        };
        let deep_hours = i64::from(self.config.deep_restatement_hours);
        let deep_start = watermark
            .filter(|w| deep_hours > 0 && hour_of(*w) < hour_of(end))
            .map(|_| (end - Duration::hours(deep_hours)).max(oldest))
            .filter(|d| *d < start.max(oldest));
        Ok(Window { start: start.max(oldest), deep_start })
    }

    /// Calls of one chunk are fetched, priced and written together with the
    /// chunk's end as the new watermark, oldest chunk first. What chunks
    /// ending at or before `restated_before` (the deep re-read, read-backs of
    /// newly listed series) find new or changed is late data: restated.
    async fn run_calls(
        &self,
        region: &str,
        calls: &[Call],
        end: DateTime<Utc>,
        restated_before: DateTime<Utc>,
        out: &mut RegionReport,
        report: &mut RunReport,
    ) -> Result<(), CollectError> {
        let mut i = 0;
        while i < calls.len() {
            let chunk_end = calls[i].end;
            let mut points = Vec::new();
            let mut partial = false;
            while i < calls.len() && calls[i].end == chunk_end {
                let fetched = self.source.fetch(region, &calls[i]).await;
                let (results, count) = match fetched {
                    Ok(ok) => ok,
                    Err(e) => return Err(failed(report, e)),
                };
                tally(report, "GetMetricData", region, AwsOutcome::Success, count.requests);
                out.metrics_requested += count.metrics_requested;
                report.api_cost_usd += Decimal::from(count.metrics_requested) * USD_PER_METRIC_REQUESTED;
                if results.values().any(|r| !r.complete) && out.partial_from.is_none() {
                    out.partial_from = Some(calls[i].start);
                    partial = true;
                }
                let assembled = assemble(region, &calls[i], &results, &self.config.names);
                out.quarantined.extend(assembled.quarantined);
                out.duplicate_spellings.extend(assembled.duplicates);
                points.extend(assembled.points);
                i += 1;
            }
            let lines = self.pricer.lines(&points);
            out.unpriced_model_ids.extend(lines.iter().filter_map(|l| match l.pricing {
                LinePricing::Unpriced { .. } => Some(l.model_id.clone()),
                LinePricing::Priced { .. } => None,
            }));
            let (late_points, points): (Vec<_>, Vec<_>) =
                points.into_iter().partition(|p| p.minute < restated_before);
            let (late_lines, lines): (Vec<_>, Vec<_>) =
                lines.into_iter().partition(|l| l.minute < restated_before);
            if !late_points.is_empty() || !late_lines.is_empty() {
                let late = self.batch(region, late_points, late_lines, None);
                let stats = self.store.write(&late).await?;
                out.restated_points += stats.points_inserted + stats.points_revised;
                out.add(&stats);
            }
            // Data missing: keep what came, but the watermark must not pass it.
            let watermark = (!partial).then_some(chunk_end.min(end));
            let stats = self.store.write(&self.batch(region, points, lines, watermark)).await?;
            out.add(&stats);
            if partial {
                break;
            }
        }
        Ok(())
    }

    fn batch(
        &self,
        region: &str,
        points: Vec<crate::records::MetricPoint>,
        lines: Vec<crate::records::CostLine>,
        watermark: Option<DateTime<Utc>>,
    ) -> MinuteBatch {
        MinuteBatch { source: self.ledger_source, region: region.to_string(), points, lines, watermark }
    }

    /// The region's existing series worth reading, from ListMetrics at most
    /// hourly. Also returns the series new since the previous listing.
    async fn discover(
        &self,
        region: &str,
        now: DateTime<Utc>,
        report: &mut RunReport,
    ) -> Result<(Discovery, NewSeries), CollectError> {
        let mut cache = self.discovery.lock().await;
        if let Some(d) = cache.get(region) {
            if now - d.at < Duration::minutes(DISCOVERY_TTL_MINUTES) {
                return Ok((d.clone(), None));
            }
        }
        let listing = match self.source.list_series(region).await {
            Ok(l) => l,
            Err(e) => return Err(failed(report, e)),
        };
        let mine = listing.series.into_iter().filter(|s| self.metrics.contains(&s.metric)).collect();
        let series = select(mine);
        tally(report, "ListMetrics", region, AwsOutcome::Success, listing.requests);
        report.api_cost_usd += Decimal::from(listing.requests) * USD_PER_LIST_REQUEST;
        let new_since = match cache.get(region) {
            Some(old) => {
                let known: BTreeSet<_> = old.series.iter().collect();
                let new: Vec<_> = series.iter().filter(|s| !known.contains(s)).cloned().collect();
                Some((old.at - Duration::minutes(LISTING_DELAY_MINUTES), new))
            }
            // First listing of this process (or after a failed run): a series the
            // previous listing lacked may have data from up to one TTL before the watermark.
            None => self.store.watermark(self.ledger_source, region).await?.map(|w| {
                let since = w - Duration::minutes(DISCOVERY_TTL_MINUTES + LISTING_DELAY_MINUTES);
                (since, series.clone())
            }),
        };
        let discovery = Discovery { at: now, series, unknown: listing.unknown.into_iter().collect() };
        cache.insert(region.to_string(), discovery.clone());
        Ok((discovery, new_since.filter(|(_, new)| !new.is_empty())))
    }
}

/// The start of the UTC hour containing `t`.
fn hour_of(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(3600)
}

fn tally(report: &mut RunReport, api: &'static str, region: &str, outcome: AwsOutcome, count: u64) {
    if count == 0 {
        return;
    }
    match report.requests.iter_mut().find(|t| t.api == api && t.region == region && t.outcome == outcome) {
        Some(t) => t.count += count,
        None => report.requests.push(RequestTally { api, region: region.to_string(), outcome, count }),
    }
}

fn failed(report: &mut RunReport, e: SourceError) -> CollectError {
    tally(report, e.api, &e.region, e.kind.outcome(), 1);
    CollectError::Source(e)
}
