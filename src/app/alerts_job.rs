//! The leader's minute job: raises `collector.stalled` when a region's data
//! is more than `alerts.stalled_after_minutes` behind what its collection
//! schedule should have gathered by now (once per episode), and
//! (with shared shards) evaluates budgets from the shared ledger, and
//! flushes the alert outbox, so an alert whose publish failed is retried
//! within a minute, not only at the next collection.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::alerts::{episode, ops, Dispatcher};
use crate::clock::Clock;
use crate::config::CronSchedule;
use crate::ledger::Backend;
use crate::records::Source;
use crate::scheduler::{Completed, Job, JobError, JobName};

pub struct AlertsJob {
    pub store: Arc<dyn Backend>,
    pub regions: Vec<String>,
    /// The sources whose freshness is watched, with their collection schedule.
    pub sources: Vec<(Source, CronSchedule)>,
    /// The schedules' timezone.
    pub timezone: chrono_tz::Tz,
    pub stalled_after_minutes: u32,
    pub dispatcher: Arc<Dispatcher>,
    pub clock: Arc<dyn Clock>,
    /// A region that never had data is stalled only once this much time has
    /// passed since the daemon started.
    pub started_at: DateTime<Utc>,
    /// With shared shards: budgets are evaluated here too, every minute,
    /// because the coordinator may own no shard (no collection run of its
    /// own would evaluate them).
    pub evaluator: Option<Arc<super::evaluate::Evaluator>>,
}

#[async_trait]
impl Job for AlertsJob {
    fn name(&self) -> JobName {
        JobName::ALERTS
    }

    async fn run_once(&self) -> Result<Completed, JobError> {
        let now = self.clock.now();
        let bound = Duration::minutes(i64::from(self.stalled_after_minutes));
        let mut messages = Vec::new();
        for (source, schedule) in &self.sources {
            let expected = ops::expected_watermark(schedule, &self.timezone, now);
            for region in &self.regions {
                let watermark = self
                    .store
                    .watermark(*source, region)
                    .await
                    .map_err(JobError::store("reading the watermark"))?;
                let stalled = ops::is_stalled(expected, watermark, self.started_at, bound);
                let flag = ops::stalled_flag(source.as_str(), region);
                let episode = episode::track(self.store.as_ref(), &flag, stalled, now)
                    .await
                    .map_err(JobError::store("tracking the stall episode"))?;
                if let Some(since) = episode {
                    messages.push(ops::stalled(
                        source.as_str(),
                        region,
                        watermark,
                        since,
                        self.stalled_after_minutes,
                        now,
                    ));
                }
            }
        }
        self.dispatcher.raise(messages).await.map_err(JobError::store("claiming stall alerts"))?;
        if let Some(evaluator) = &self.evaluator {
            evaluator.run_once().await.map_err(JobError::Evaluate)?;
        }
        let flush = self.dispatcher.flush(now).await.map_err(JobError::store("publishing alerts"))?;
        if flush.failed > 0 {
            return Err(JobError::Publish { failed: flush.failed, detail: flush.errors.join("; ") });
        }
        Ok(Completed::Done)
    }
}
