//! The CloudTrail collection as a scheduled job: run, record requests and
//! event outcomes, re-attribute the windows written, raise error-spike
//! alerts, refresh `/metrics`, and evaluate budgets (principal budgets need
//! the new shares).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Duration;

use super::evaluate::Evaluator;
use super::snapshot::Refresher;
use crate::alerts::AlertKind;
use crate::alerts::{episode, ops, Dispatcher};
use crate::clock::Clock;
use crate::collector::{Attributor, CloudTrailJob, TrailReport};
use crate::config::types::SpikeSection;
use crate::ledger::Backend;
use crate::records::Source;
use crate::scheduler::{Completed, Job, JobError, JobName};
use crate::telemetry::self_metrics::{AwsApi, AwsOutcome, SelfMetrics};

pub struct CollectCloudTrail {
    pub job: CloudTrailJob,
    pub store: Arc<dyn Backend>,
    pub attributor: Arc<Attributor>,
    pub metrics: Arc<SelfMetrics>,
    pub refresher: Arc<Refresher>,
    pub dispatcher: Arc<Dispatcher>,
    pub evaluator: Arc<Evaluator>,
    pub clock: Arc<dyn Clock>,
    pub access_denied: SpikeSection,
    pub throttling: SpikeSection,
    /// With shared shards: the coordinator lease (spikes, alerts, budgets).
    pub coordinator: Option<Arc<super::leader::Leadership>>,
}

#[async_trait]
impl Job for CollectCloudTrail {
    fn name(&self) -> JobName {
        JobName::CLOUDTRAIL
    }

    async fn run_once(&self) -> Result<Completed, JobError> {
        let report = self.job.run_once().await;
        self.record(&report);
        let after = self.after(&report).await;
        super::collect::outcome_of(&report.errors, after)
    }
}

impl CollectCloudTrail {
    async fn after(&self, report: &TrailReport) -> Result<(), JobError> {
        for r in &report.regions {
            let Some(to) = self
                .store
                .watermark(Source::CloudTrail, &r.region)
                .await
                .map_err(JobError::store("reading the watermark"))?
            else {
                continue;
            };
            let stats = self
                .attributor
                .catch_up(self.store.as_ref(), Source::CloudTrail, &r.region, r.from, to)
                .await
                .map_err(JobError::store("attributing cost to principals"))?;
            tracing::debug!(region = %r.region, ?stats, "principal shares updated");
        }
        if !self.coordinator.as_ref().is_none_or(|l| l.is_leader()) {
            // Spike episodes, alerts and budgets are the coordinator's.
            if let Err(e) = self.refresher.refresh(self.clock.now()).await {
                tracing::error!(error = %e, "cannot refresh the metrics snapshot from the ledger");
            }
            return Ok(());
        }
        let spikes = self.spikes().await.map_err(JobError::store("checking error spikes"))?;
        self.dispatcher.raise(spikes).await.map_err(JobError::store("claiming spike alerts"))?;
        if let Err(e) = self.refresher.refresh(self.clock.now()).await {
            tracing::error!(error = %e, "cannot refresh the metrics snapshot from the ledger");
        }
        self.evaluator.run_once().await.map_err(JobError::Evaluate)?;
        Ok(())
    }

    /// AccessDenied and Throttling spikes per region, once per episode.
    async fn spikes(&self) -> Result<Vec<crate::alerts::AlertMessage>, crate::ledger::StoreError> {
        let now = self.clock.now();
        let rules =
            [(AlertKind::ACCESS_DENIED, &self.access_denied), (AlertKind::THROTTLING, &self.throttling)];
        let mut out = Vec::new();
        for region in self.job_regions() {
            for (kind, rule) in rules {
                let Some(code) = ops::spike_error_code(kind).filter(|_| rule.enabled) else {
                    continue;
                };
                let from = now - Duration::minutes(i64::from(rule.window_minutes));
                let calls = self.store.call_counts(&region, from, now).await?;
                let spike = ops::spike_of(kind, code, &region, &calls, rule.window_minutes, rule.threshold);
                let flag = ops::spike_flag(kind, &region);
                if let Some(since) = episode::track(self.store.as_ref(), &flag, spike.is_some(), now).await? {
                    out.extend(spike.map(|s| ops::spike(&s, since, now)));
                }
            }
        }
        Ok(out)
    }

    /// Every configured shard, owned or not: spikes are judged by the
    /// coordinator from the shared ledger.
    fn job_regions(&self) -> Vec<String> {
        self.job.configured_regions().to_vec()
    }

    fn record(&self, report: &TrailReport) {
        let now = self.clock.now();
        for r in &report.regions {
            let m = &self.metrics;
            m.record_aws_requests(
                AwsApi::LOOKUP_EVENTS,
                &r.region,
                AwsOutcome::Success,
                r.requests.saturating_sub(r.throttles),
            );
            m.record_aws_requests(AwsApi::LOOKUP_EVENTS, &r.region, AwsOutcome::Throttled, r.throttles);
            for (outcome, n) in [
                ("counted", r.events),
                ("malformed", r.malformed),
                ("duplicate", r.duplicates),
                ("without_model", r.without_model),
                ("other_event", r.other_events),
            ] {
                m.add_cloudtrail_events(&r.region, outcome, n);
            }
            if let Some(w) = r.watermark {
                m.set_data_lag(Source::CloudTrail, &r.region, now - w);
            }
            m.shards.set_failing(Source::CloudTrail, &r.region, r.failed);
            if r.malformed > 0 {
                tracing::warn!(region = %r.region, count = r.malformed, event_ids = ?r.malformed_ids, "malformed CloudTrail records skipped");
            }
            tracing::info!(region = %r.region, events = r.events, call_rows = r.call_rows, requests = r.requests,
                throttles = r.throttles, watermark = ?r.watermark, "cloudtrail collected");
        }
        for e in &report.errors {
            tracing::error!(error = %e, "cloudtrail collection failed; the next run retries the same window");
        }
    }
}
