//! The CloudWatch collection as a scheduled job: run, then turn the run's
//! report into self-metrics and logs, mark readiness and refresh `/metrics`.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::clock::Clock;
use crate::collector::{CloudWatchJob, LinePricer, RunReport};
use crate::ledger::{Source, Store};
use crate::scheduler::Job;
use crate::telemetry::readiness::Readiness;
use crate::telemetry::self_metrics::{self, AwsApi, AwsOutcome, SelfMetrics};
use crate::telemetry::snapshot::SharedSnapshot;

pub struct CollectCloudWatch {
    /// The `job` label: `cloudwatch` (usage) or `cloudwatch_detail`.
    pub name: self_metrics::Job,
    pub ledger_source: Source,
    pub job: CloudWatchJob,
    pub store: Arc<dyn Store>,
    pub pricer: Arc<LinePricer>,
    pub metrics: Arc<SelfMetrics>,
    pub readiness: Arc<Readiness>,
    pub snapshot: SharedSnapshot,
    pub clock: Arc<dyn Clock>,
    /// Unpriced model IDs already warned about: one warning per ID, not per run.
    pub warned_unpriced: Mutex<BTreeSet<String>>,
}

#[async_trait]
impl Job for CollectCloudWatch {
    fn name(&self) -> &'static str {
        self.name.as_str()
    }

    async fn run_once(&self) -> Result<(), String> {
        let report = self.job.run_once().await;
        self.record(&report);
        let now = self.clock.now();
        if let Err(e) = super::snapshot::refresh(self.store.as_ref(), &self.pricer, &self.snapshot, now).await
        {
            tracing::error!(error = %e, "cannot refresh the metrics snapshot from the ledger");
        }
        if report.succeeded() {
            self.readiness.job_succeeded(self.name, now);
            Ok(())
        } else {
            let errors: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
            Err(errors.join("; "))
        }
    }
}

impl CollectCloudWatch {
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
                job = self.name.as_str(),
                "cloudwatch collected"
            );
            // A poisoned lock only loses which IDs were warned about: warn again.
            let mut warned = self.warned_unpriced.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            for id in &r.unpriced_model_ids {
                if warned.insert(id.clone()) {
                    tracing::warn!(region = %r.region, model_id = %id, "model is unpriced: its tokens are counted, not priced; add it to the price table");
                }
            }
        }
        for e in &report.errors {
            tracing::error!(error = %e, "cloudwatch collection failed; the next run retries the same window");
        }
    }
}

fn outcome(label: &str) -> AwsOutcome {
    match label {
        "success" => AwsOutcome::Success,
        "throttled" => AwsOutcome::Throttled,
        "timeout" => AwsOutcome::Timeout,
        _ => AwsOutcome::Error,
    }
}
