//! The CloudTrail collection job: per region, the Bedrock runtime events
//! from the watermark (or the backfill start) through the last complete
//! minute, re-reading a trailing overlap every run because events arrive
//! minutes late. Each hour-chunk's events are counted per principal and
//! replace that window's call counts with the new watermark, oldest first,
//! so a failed or interrupted run loses nothing written and the next one
//! resumes where it stopped.
//!
//! Must not serve or alert: a run returns a `TrailReport`.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::{window, CollectError};
use crate::clock::floor_minute;
use crate::clock::Clock;
use crate::ledger::{CallBatch, Store};
use crate::records::Source;
use crate::shard::OwnedShards;
use crate::sources::cloudtrail::calls::aggregate;
use crate::sources::EventSource;

/// LookupEvents reaches back 90 days.
const RETENTION_DAYS: i64 = 90;
/// Events are fetched and written an hour at a time.
const CHUNK_MINUTES: i64 = 60;

#[derive(Clone, Debug)]
pub struct CloudTrailJobConfig {
    pub regions: Vec<String>,
    pub overlap_minutes: u32,
    pub backfill_hours: u32,
}

/// What one region's run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrailRegionReport {
    pub region: String,
    /// The window read, `[from, to)`.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub events: u64,
    pub call_rows: usize,
    pub malformed: u64,
    /// Event IDs of the malformed records (for the log), as far as readable.
    pub malformed_ids: Vec<String>,
    pub duplicates: u64,
    pub without_model: u64,
    pub other_events: u64,
    pub requests: u64,
    pub throttles: u64,
    pub watermark: Option<DateTime<Utc>>,
    /// The region's run ended with an error (in `TrailReport::errors`).
    pub failed: bool,
}

#[derive(Clone, Debug, Default)]
pub struct TrailReport {
    pub regions: Vec<TrailRegionReport>,
    pub errors: Vec<CollectError>,
}

impl TrailReport {
    pub fn succeeded(&self) -> bool {
        self.errors.is_empty()
    }
}

pub struct CloudTrailJob {
    source: Arc<dyn EventSource>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    config: CloudTrailJobConfig,
    /// With shared shards: only these of `config.regions` are collected.
    owned: Option<Arc<OwnedShards>>,
}

impl CloudTrailJob {
    pub fn new(
        source: Arc<dyn EventSource>,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        config: CloudTrailJobConfig,
    ) -> Self {
        CloudTrailJob { source, store, clock, config, owned: None }
    }

    /// Collects only the shards in `owned` at each run (replicas share
    /// them); `None`: every configured shard.
    pub fn owning(mut self, owned: Option<Arc<OwnedShards>>) -> Self {
        self.owned = owned;
        self
    }

    /// Every configured shard key, owned or not.
    pub fn configured_regions(&self) -> &[String] {
        &self.config.regions
    }

    /// The shard keys a run collects now: every configured one, or those owned.
    pub fn regions(&self) -> Vec<String> {
        OwnedShards::collected(self.owned.as_deref(), &self.config.regions)
    }

    /// One run over every region; a failed region does not stop the others.
    pub async fn run_once(&self) -> TrailReport {
        let now = self.clock.now();
        let (regions, errors) = window::each_region(&self.regions(), |region| async move {
            let mut r = TrailRegionReport { region: region.clone(), ..Default::default() };
            let outcome = self.collect_region(&region, now, &mut r).await;
            r.failed = outcome.is_err();
            (r, outcome)
        })
        .await;
        TrailReport { regions, errors }
    }

    async fn window_start(&self, region: &str, end: DateTime<Utc>) -> Result<DateTime<Utc>, CollectError> {
        let watermark = self.store.watermark(Source::CloudTrail, region).await?;
        let start = window::start(watermark, end, self.config.overlap_minutes, self.config.backfill_hours);
        Ok(start.max(end - Duration::days(RETENTION_DAYS)))
    }

    async fn collect_region(
        &self,
        region: &str,
        now: DateTime<Utc>,
        r: &mut TrailRegionReport,
    ) -> Result<(), CollectError> {
        let end = floor_minute(now);
        let mut from = self.window_start(region, end).await?;
        r.from = Some(from);
        while from < end {
            let to = (from + Duration::minutes(CHUNK_MINUTES)).min(end);
            let fetch = self.source.events(region, from, to).await;
            let mut fetch = match fetch {
                Ok(f) => f,
                Err(e) => {
                    r.requests += 1;
                    return Err(e.into());
                }
            };
            r.requests += fetch.requests;
            r.throttles += fetch.throttles;
            r.events += fetch.events.len() as u64;
            r.malformed += fetch.malformed.len() as u64;
            r.malformed_ids.extend(fetch.malformed.iter().filter_map(|m| m.event_id.clone()));
            r.duplicates += fetch.duplicates;
            r.other_events += fetch.other_events;
            // A member account's events are that account's: its calls join its cost lines.
            for e in &mut fetch.events {
                e.region = crate::shard::same_account(region, &e.region);
            }
            let agg = aggregate(&fetch.events);
            r.without_model += agg.without_model.iter().map(|m| m.calls).sum::<u64>();
            let batch =
                CallBatch { region: region.to_string(), from, to, calls: agg.calls, watermark: Some(to) };
            r.call_rows += batch.calls.len();
            self.store.write_calls(&batch).await?;
            r.to = Some(to);
            from = to;
        }
        r.watermark = self.store.watermark(Source::CloudTrail, region).await?;
        Ok(())
    }
}
