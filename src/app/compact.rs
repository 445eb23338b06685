//! The compaction job (`store.sqlite_compaction_schedule`, daily; the
//! SQLite store only, whose single process always leads): gathers where
//! each source may still write (watermarks and attribution points), plans
//! the horizon (`ledger::retention`), has the store fold and expire, and
//! reports the outcome in the log and `bedrock_monitor_compaction_rows_total`.
//!
//! Must not decide what may go (the plan does) nor delete anything itself.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::Components;
use crate::clock::Clock;
use crate::collector::attribute::attributed_flag;
use crate::config::{Loaded, StoreKind};
use crate::ledger::{Backend, CompactPlan, Retention};
use crate::records::Source;
use crate::scheduler::{Completed, Job, JobError, JobName, ScheduledJob};
use crate::telemetry::self_metrics::SelfMetrics;

pub struct CompactionJob {
    pub store: Arc<dyn Backend>,
    pub clock: Arc<dyn Clock>,
    pub retention: Retention,
    /// Every (source, region) that may still write: compaction stays behind
    /// its watermark and its attribution point.
    pub writers: Vec<(Source, String)>,
    /// Timezones whose local days must stay exact (`monitor.timezone`, budgets').
    pub timezones: Vec<Tz>,
    pub metrics: Option<Arc<SelfMetrics>>,
}

impl CompactionJob {
    /// The oldest instants any writer may still write from.
    async fn still_written(&self) -> Result<Vec<DateTime<Utc>>, JobError> {
        let mut at = Vec::new();
        for (source, region) in &self.writers {
            let mark = self.store.watermark(*source, region).await;
            at.extend(mark.map_err(JobError::store("reading a watermark"))?);
            let flag = self.store.get_state(&attributed_flag(*source, region)).await;
            let flag = flag.map_err(JobError::store("reading an attribution point"))?;
            at.extend(
                flag.and_then(|f| DateTime::parse_from_rfc3339(&f).ok()).map(|d| d.with_timezone(&Utc)),
            );
        }
        Ok(at)
    }
}

#[async_trait]
impl Job for CompactionJob {
    fn name(&self) -> JobName {
        JobName::COMPACTION
    }

    async fn run_once(&self) -> Result<Completed, JobError> {
        let now = self.clock.now();
        let plan = CompactPlan::new(now, self.retention, self.still_written().await?, self.timezones.clone());
        let held_back = plan.minutes_before < now - self.retention.minutes - Duration::hours(1);
        let done = self.store.compact(&plan).await.map_err(JobError::store("compacting the ledger"))?;
        let Some(r) = done else { return Ok(Completed::Done) };
        if let Some(m) = &self.metrics {
            for (kind, n) in r.removed() {
                m.add_compacted(kind, n);
            }
        }
        tracing::info!(
            horizon = %plan.minutes_before,
            held_back_by_a_source = held_back,
            hours_folded = r.hours_folded,
            hours_kept = r.hours_kept,
            cost_lines = r.cost_lines,
            shares = r.shares,
            metric_points = r.metric_points,
            calls = r.calls,
            request_ids = r.request_ids,
            log_objects = r.log_objects,
            published_alerts = r.alerts,
            bytes_before = r.bytes_before,
            bytes_after = r.bytes_after,
            "compacted the ledger"
        );
        Ok(Completed::Done)
    }
}

/// The SQLite store's daily compaction (DynamoDB expires rows by TTL).
/// Daily and not at start, like the digest: not part of readiness.
pub(super) fn scheduled(parts: &Components, loaded: &Loaded) -> Option<ScheduledJob> {
    let config = &loaded.config;
    if config.store.kind != StoreKind::Sqlite {
        return None;
    }
    let s = &config.store;
    let days = |d: u32| Duration::days(i64::from(d));
    let mut regions = parts.accounts.keys();
    regions.extend(config.sources.invocation_logs.regions.keys().cloned());
    regions.sort();
    regions.dedup();
    let sources = [Source::CloudWatch, Source::Mantle, Source::CloudTrail, Source::InvocationLogs];
    let mut timezones: Vec<Tz> = config.budgets.iter().filter_map(|b| b.timezone.map(|t| t.0)).collect();
    timezones.push(config.monitor.timezone.0);
    timezones.sort_by_key(|t| t.name());
    timezones.dedup();
    let job = CompactionJob {
        store: parts.store.clone(),
        clock: parts.clock.clone(),
        retention: Retention {
            minutes: days(s.sqlite_minute_retention_days),
            published_alerts: days(s.sqlite_published_alert_retention_days),
        },
        writers: sources.iter().flat_map(|s| regions.iter().map(|r| (*s, r.clone()))).collect(),
        timezones,
        metrics: Some(parts.metrics.clone()),
    };
    let job = parts.leader_only(Arc::new(job));
    Some(ScheduledJob {
        job,
        schedule: s.sqlite_compaction_schedule.clone(),
        run_at_start: false,
        wake: None,
    })
}
