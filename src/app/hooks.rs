//! What the scheduler reports goes to self-metrics and the log.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::scheduler::{Ran, SchedulerHooks};
use crate::telemetry::self_metrics::{Job, JobOutcome, SelfMetrics};
use crate::telemetry::Readiness;

/// Self-metrics, readiness (a successful run counts) and the log.
pub struct TelemetryHooks {
    pub metrics: Arc<SelfMetrics>,
    pub readiness: Arc<Readiness>,
    pub clock: Arc<dyn Clock>,
}

impl SchedulerHooks for TelemetryHooks {
    fn finished(&self, job: &'static str, result: &Result<Ran, String>, took: Duration) {
        let outcome = match result {
            Ok(Ran::Done) => JobOutcome::Success,
            Ok(Ran::Standby) => JobOutcome::Skipped,
            Err(_) => JobOutcome::Failure,
        };
        self.metrics.job_finished(Job::named(job), outcome, took);
        if outcome == JobOutcome::Success {
            self.readiness.job_succeeded(Job::named(job), self.clock.now());
        }
        match result {
            Ok(Ran::Done) => tracing::info!(job, took_ms = took.as_millis() as u64, "job run succeeded"),
            Ok(Ran::Standby) => tracing::debug!(job, "another replica holds the lease; run skipped"),
            Err(e) => tracing::error!(job, took_ms = took.as_millis() as u64, error = %e, "job run failed"),
        }
    }

    fn skipped(&self, job: &'static str, ticks: u64) {
        for _ in 0..ticks {
            self.metrics.job_finished(Job::named(job), JobOutcome::Skipped, Duration::ZERO);
        }
        tracing::warn!(job, ticks, "previous run overran its interval; ticks skipped");
    }
}
