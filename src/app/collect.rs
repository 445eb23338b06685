//! The CloudWatch collection as a scheduled job: run, turn the run's report
//! into self-metrics and logs, alert on unpriced models, refresh `/metrics`,
//! and (the usage job) evaluate budgets so a crossing alerts within one cycle.

use std::sync::Arc;

use async_trait::async_trait;

use super::evaluate::Evaluator;
use super::snapshot::Refresher;
use crate::alerts::{ops, Dispatcher};
use crate::clock::Clock;
use crate::collector::{Attributor, CloudWatchJob, RunReport};
use crate::ledger::{Backend, Source};
use crate::scheduler::{Job, Ran};
use crate::telemetry::self_metrics::{self, AwsApi, AwsOutcome, SelfMetrics};

pub struct CollectCloudWatch {
    /// The `job` label: `cloudwatch` (usage) or `cloudwatch_detail`.
    pub name: self_metrics::Job,
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
}

#[async_trait]
impl Job for CollectCloudWatch {
    fn name(&self) -> &'static str {
        self.name.as_str()
    }

    async fn run_once(&self) -> Result<Ran, String> {
        let report = self.job.run_once().await;
        self.record(&report);
        let after = self.after(&report).await;
        ran(report.errors.iter().map(ToString::to_string), after)
    }
}

/// A collection run failed if a region failed or what follows it (alerts,
/// attribution, budgets) did; either way what it wrote was used.
pub(super) fn ran(errors: impl Iterator<Item = String>, after: Result<(), String>) -> Result<Ran, String> {
    let errors: Vec<String> = errors.chain(after.err()).collect();
    if errors.is_empty() {
        Ok(Ran::Done)
    } else {
        Err(errors.join("; "))
    }
}

impl CollectCloudWatch {
    /// Whatever the run wrote is used, even when one region failed.
    async fn after(&self, report: &RunReport) -> Result<(), String> {
        let now = self.clock.now();
        if self.unpriced_alerts {
            let messages = report
                .regions
                .iter()
                .flat_map(|r| r.unpriced_model_ids.iter().map(|id| ops::unpriced_model(&r.region, id, now)))
                .collect();
            self.dispatcher
                .raise(messages)
                .await
                .map_err(|e| format!("claiming unpriced-model alerts: {e}"))?;
        }
        if let Some(attributor) = &self.attributor {
            self.attribute(attributor, report).await?;
        }
        if let Err(e) = self.refresher.refresh(now).await {
            tracing::error!(error = %e, "cannot refresh the metrics snapshot from the ledger");
        }
        if let Some(evaluator) = &self.evaluator {
            let done = evaluator.run_once().await.map_err(|e| format!("evaluating budgets: {e}"))?;
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

    /// Every region, failed ones included: what a failed run wrote is
    /// attributed from where the last attribution stopped.
    async fn attribute(&self, attributor: &Attributor, report: &RunReport) -> Result<(), String> {
        let regions: Vec<String> = self.job.regions().to_vec();
        for region in regions {
            let Some(to) =
                self.store.watermark(self.ledger_source, &region).await.map_err(|e| e.to_string())?
            else {
                continue;
            };
            let read_from = report.regions.iter().find(|r| r.region == region).and_then(|r| r.read_from);
            attributor
                .catch_up(self.store.as_ref(), self.ledger_source, &region, read_from, to)
                .await
                .map_err(|e| format!("attributing cost to principals: {e}"))?;
        }
        Ok(())
    }

    fn record(&self, report: &RunReport) {
        let now = self.clock.now();
        for t in &report.requests {
            self.metrics.record_aws_requests(AwsApi::named(t.api), &t.region, outcome(t.outcome), t.count);
        }
        self.metrics.add_api_cost(report.api_cost_usd);
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
    }
}

pub(super) fn outcome(label: &str) -> AwsOutcome {
    match label {
        "success" => AwsOutcome::Success,
        "throttled" => AwsOutcome::Throttled,
        "timeout" => AwsOutcome::Timeout,
        _ => AwsOutcome::Error,
    }
}
