//! The CloudWatch collection as a scheduled job: run, turn the run's report
//! into self-metrics and logs, alert on unpriced models and on data it could
//! not count, refresh `/metrics`, and (the usage job) evaluate budgets so a
//! crossing alerts within one cycle.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};

use async_trait::async_trait;

use super::evaluate::Evaluator;
use super::leader::Leadership;
use super::snapshot::Refresher;
use crate::alerts::{data, ops, AlertMessage, Dispatcher};
use crate::clock::Clock;
use crate::collector::{Attributor, CloudWatchJob, CollectError, RunReport};
use crate::ledger::Backend;
use crate::records::Source;
use crate::scheduler::{Completed, Job, JobError, JobName};
use crate::telemetry::self_metrics::{AwsApi, SelfMetrics};

pub struct CollectCloudWatch {
    /// The `job` label: `cloudwatch` (usage) or `cloudwatch_detail`.
    pub name: JobName,
    pub ledger_source: Source,
    pub job: CloudWatchJob,
    pub metrics: Arc<SelfMetrics>,
    pub refresher: Arc<Refresher>,
    pub clock: Arc<dyn Clock>,
    pub dispatcher: Arc<Dispatcher>,
    /// Raise `pricing.unpriced_model` for unpriced IDs (once per region and ID).
    pub unpriced_alerts: bool,
    /// Evaluate budgets after the run (the usage job).
    pub evaluator: Option<Arc<Evaluator>>,
    /// Split the new cost per principal (the usage job, with CloudTrail on).
    pub attributor: Option<Arc<Attributor>>,
    pub store: Arc<dyn Backend>,
    /// Per region: since when answers are incomplete, and for how many runs.
    pub partial_runs: Mutex<BTreeMap<String, (DateTime<Utc>, u32)>>,
    /// With shared shards: the coordinator lease. Alerts and budgets (its
    /// writes, under its fence) follow a run only on the replica holding it.
    pub coordinator: Option<Arc<Leadership>>,
}

/// Consecutive incomplete runs of a region before `cloudwatch.partial_data`.
const PARTIAL_RUNS_BEFORE_ALERT: u32 = 3;

#[async_trait]
impl Job for CollectCloudWatch {
    fn name(&self) -> JobName {
        self.name
    }

    async fn run_once(&self) -> Result<Completed, JobError> {
        let report = self.job.run_once().await;
        self.record(&report);
        let after = self.after(&report).await;
        outcome_of(&report.errors, after)
    }
}

/// A collection run failed if a region of the primary account failed or
/// what follows it (alerts, attribution, budgets) did; either way what it
/// wrote was used. A member account's AWS errors do not fail the run: they
/// are logged, its shard is marked failing and, if it lasts, alerted as
/// stalled, while the run (and readiness, hence the container's health
/// check) stands for every other account. One broken member role must not
/// get the whole task replaced.
pub(super) fn outcome_of(
    errors: &[CollectError],
    after: Result<(), JobError>,
) -> Result<Completed, JobError> {
    let errors = errors
        .iter()
        .filter(|e| !matches!(e, CollectError::Source(s) if crate::shard::account_of(&s.region).is_some()))
        .cloned()
        .map(JobError::from)
        .chain(after.err())
        .collect();
    JobError::from_all(errors).map(|()| Completed::Done)
}

impl CollectCloudWatch {
    /// Whatever the run wrote is used, even when one region failed.
    async fn after(&self, report: &RunReport) -> Result<(), JobError> {
        let now = self.clock.now();
        let coordinates = self.coordinator.as_ref().is_none_or(|l| l.is_leader());
        let mut messages = self.data_alerts(report, now);
        if self.unpriced_alerts {
            messages.extend(
                report.regions.iter().flat_map(|r| {
                    r.unpriced_model_ids.iter().map(|id| ops::unpriced_model(&r.region, id, now))
                }),
            );
        }
        match self.dispatcher.raise(messages).await {
            Ok(_) => {}
            // A shard owner that once coordinated keeps that lease's fence,
            // which now refuses its claims: its shards' alerts wait for a run
            // of a replica that never coordinated or coordinates now.
            Err(e) if !coordinates => tracing::warn!(error = %e, "cannot claim this shard owner's alerts"),
            Err(e) => return Err(JobError::store("claiming collection alerts")(e)),
        }
        if let Some(attributor) = &self.attributor {
            self.attribute(attributor, report).await?;
        }
        if let Err(e) = self.refresher.refresh(now).await {
            tracing::error!(error = %e, "cannot refresh the metrics snapshot from the ledger");
        }
        // With shared shards the coordinator evaluates, from the shared ledger.
        if let Some(evaluator) = self.evaluator.as_ref().filter(|_| coordinates) {
            let done = evaluator.run_once().await.map_err(JobError::Evaluate)?;
            tracing::info!(
                statuses = done.statuses,
                alerts_claimed = done.claimed.len(),
                published = done.flush.published,
                publish_failures = done.flush.failed,
                "budgets evaluated"
            );
        }
        Ok(())
    }

    /// Unknown token metrics, quarantined values, and answers that stay
    /// incomplete run after run; each alert's key makes it go out once.
    fn data_alerts(&self, report: &RunReport, now: DateTime<Utc>) -> Vec<AlertMessage> {
        let mut out = Vec::new();
        let mut partial = self.partial_runs.lock().unwrap_or_else(PoisonError::into_inner);
        for r in &report.regions {
            out.extend(r.unknown_metrics.iter().map(|name| data::unknown_metric(&r.region, name, now)));
            out.extend(r.quarantined.iter().map(|q| data::quarantined(&r.region, q, now)));
            match r.partial_from {
                Some(from) => {
                    let entry = partial.entry(r.region.clone()).or_insert((from, 0));
                    entry.1 += 1;
                    if entry.1 >= PARTIAL_RUNS_BEFORE_ALERT {
                        out.push(data::partial_data(&r.region, entry.0, entry.1, now));
                    }
                }
                None => {
                    partial.remove(&r.region);
                }
            }
        }
        out
    }

    /// Every region, failed ones included: what a failed run wrote is
    /// attributed from where the last attribution stopped.
    async fn attribute(&self, attributor: &Attributor, report: &RunReport) -> Result<(), JobError> {
        for region in self.job.regions() {
            let Some(to) = self
                .store
                .watermark(self.ledger_source, &region)
                .await
                .map_err(JobError::store("reading the watermark"))?
            else {
                continue;
            };
            let read_from = report.regions.iter().find(|r| r.region == region).and_then(|r| r.read_from);
            attributor
                .catch_up(self.store.as_ref(), self.ledger_source, &region, read_from, to)
                .await
                .map_err(JobError::store("attributing cost to principals"))?;
        }
        Ok(())
    }

    fn record(&self, report: &RunReport) {
        let now = self.clock.now();
        for t in &report.requests {
            self.metrics.record_aws_requests(AwsApi::named(t.api), &t.region, t.outcome, t.count);
        }
        self.metrics.add_api_cost(report.api_cost_usd);
        for (shard, usd) in &report.api_cost_by_shard {
            self.metrics.shards.add_api_cost(shard, *usd);
        }
        // A shard that failed has no region report: one failing account shows as such.
        for shard in &self.job.regions() {
            let failed = !report.regions.iter().any(|r| &r.region == shard);
            self.metrics.shards.set_failing(self.ledger_source, shard, failed);
        }
        for r in &report.regions {
            self.metrics.add_cloudwatch_metrics_requested(&r.region, r.metrics_requested);
            if let Some(w) = r.watermark {
                self.metrics.set_data_lag(self.ledger_source, &r.region, now - w);
            }
            tracing::info!(
                region = %r.region,
                model_ids = r.model_ids,
                points_inserted = r.points_inserted,
                points_revised = r.points_revised,
                lines = r.lines_written,
                metrics_requested = r.metrics_requested,
                watermark = ?r.watermark,
                unpriced = ?r.unpriced_model_ids,
                job = self.name.as_str(),
                "cloudwatch collected"
            );
        }
        for e in &report.errors {
            tracing::error!(error = %e, "cloudwatch collection failed; the next run retries the same window");
        }
        for r in &report.regions {
            self.record_quality(r);
        }
    }
}

impl CollectCloudWatch {
    /// What the run could not take at face value: one log line per kind and
    /// region, a counter per metric.
    fn record_quality(&self, r: &crate::collector::RegionReport) {
        let q = &self.metrics.quality;
        q.region_seen(&r.region);
        for name in &r.unknown_metrics {
            q.unknown_metric(&r.region, name);
            tracing::warn!(region = %r.region, metric_name = %name, "AWS/Bedrock lists a token metric the monitor cannot count");
        }
        let mut by_metric: BTreeMap<&'static str, (u64, u64)> = BTreeMap::new();
        for x in &r.quarantined {
            by_metric.entry(x.metric.key()).or_default().0 += 1;
            tracing::warn!(region = %r.region, model_id = %x.model_id, metric_name = %x.aws_name,
                minute = %x.minute, value = %x.value, "implausible datapoint kept out of the ledger");
        }
        for d in &r.duplicate_spellings {
            by_metric.entry(d.metric.key()).or_default().1 += 1;
        }
        if let Some(d) = r.duplicate_spellings.first() {
            tracing::warn!(region = %r.region, minutes = r.duplicate_spellings.len(), counted = %d.counted,
                ignored = %d.ignored, "one metric published under two names; each minute counted once");
        }
        for (metric, (quarantined, duplicates)) in by_metric {
            q.quarantined(&r.region, metric, quarantined);
            q.duplicate_spellings(&r.region, metric, duplicates);
        }
        if let Some(from) = r.partial_from {
            q.partial(&r.region);
            tracing::warn!(region = %r.region, incomplete_from = %from,
                "GetMetricData answered with data missing; the watermark stays before it and the next run re-reads");
        }
        if r.restated_points > 0 {
            q.restated(&r.region, r.restated_points as u64);
            tracing::info!(region = %r.region, points = r.restated_points,
                "deep re-read: minutes older than the restatement window changed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::outcome_of;
    use crate::collector::CollectError;
    use crate::scheduler::Completed;
    use crate::sources::{ErrorKind, SourceError};

    fn failed(region: &str) -> CollectError {
        CollectError::Source(SourceError {
            api: "GetMetricData",
            region: region.into(),
            kind: ErrorKind::Other,
            message: "AccessDeniedException".into(),
        })
    }

    #[test]
    fn a_member_accounts_failure_fails_neither_the_run_nor_readiness() {
        // (errors, whether the run succeeds)
        let cases = [
            (vec![], true),
            (vec![failed("222222222222/us-east-1")], true),
            (vec![failed("222222222222/us-east-1"), failed("us-east-1")], false),
            (vec![failed("us-west-2")], false),
        ];
        for (errors, ok) in cases {
            let outcome = outcome_of(&errors, Ok(()));
            assert_eq!(matches!(outcome, Ok(Completed::Done)), ok, "{errors:?}");
        }
    }
}
