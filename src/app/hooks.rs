//! What the scheduler reports goes to self-metrics and the log; after each
//! run, what the run left cached goes back to the system.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::clock::Clock;
use crate::ledger::Backend;
use crate::scheduler::{Completed, JobError, JobName, SchedulerHooks};
use crate::telemetry::self_metrics::{JobOutcome, SelfMetrics};
use crate::telemetry::Readiness;

/// Self-metrics, readiness (a successful run counts) and the log.
pub struct TelemetryHooks {
    pub metrics: Arc<SelfMetrics>,
    pub readiness: Arc<Readiness>,
    pub clock: Arc<dyn Clock>,
    /// Asked to release its cache after every run.
    pub store: Arc<dyn Backend>,
}

#[async_trait]
impl SchedulerHooks for TelemetryHooks {
    fn finished(&self, job: JobName, result: &Result<Completed, JobError>, took: Duration) {
        let outcome = match result {
            Ok(Completed::Done) => JobOutcome::Success,
            Ok(Completed::Standby) => JobOutcome::Skipped,
            Err(_) => JobOutcome::Failure,
        };
        self.metrics.job_finished(job, outcome, took);
        if let Err(e) = result {
            self.metrics.job_failed(job, e.kind());
        }
        if outcome == JobOutcome::Success {
            self.readiness.job_succeeded(job, self.clock.now());
        }
        match result {
            Ok(Completed::Done) => {
                tracing::info!(%job, took_ms = took.as_millis() as u64, "job run succeeded")
            }
            Ok(Completed::Standby) => tracing::debug!(%job, "another replica holds the lease; run skipped"),
            Err(e) => tracing::error!(
                %job,
                took_ms = took.as_millis() as u64,
                kind = e.kind().as_str(),
                error = %e,
                "job run failed"
            ),
        }
    }

    fn skipped(&self, job: JobName, ticks: u64) {
        for _ in 0..ticks {
            self.metrics.job_finished(job, JobOutcome::Skipped, Duration::ZERO);
        }
        tracing::warn!(%job, ticks, "previous run overran its interval; ticks skipped");
    }

    /// A run is a burst (pages of AWS responses, ledger reads, a refresh's
    /// totals): the store's cache, then every whole free page of the heap,
    /// go back now, or the heap keeps the size of the largest run
    /// (`memory.rs`). The next run reads the pages it needs again.
    async fn after_run(&self) {
        if let Err(error) = self.store.release_memory().await {
            tracing::debug!(%error, "the store kept its cache");
        }
        if let Err(error) = crate::scheduler::blocking(crate::memory::release_free_pages).await {
            tracing::debug!(%error, "the heap was not trimmed");
        }
    }
}
