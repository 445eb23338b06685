//! What the scheduler reports goes to self-metrics and the log.

use std::sync::Arc;
use std::time::Duration;

use crate::scheduler::SchedulerHooks;
use crate::telemetry::self_metrics::{Job, JobOutcome, SelfMetrics};

pub struct TelemetryHooks(pub Arc<SelfMetrics>);

impl SchedulerHooks for TelemetryHooks {
    fn finished(&self, job: &'static str, result: &Result<(), String>, took: Duration) {
        let outcome = if result.is_ok() { JobOutcome::Success } else { JobOutcome::Failure };
        self.0.job_finished(Job::named(job), outcome, took);
        match result {
            Ok(()) => tracing::info!(job, took_ms = took.as_millis() as u64, "job run succeeded"),
            Err(e) => tracing::error!(job, took_ms = took.as_millis() as u64, error = %e, "job run failed"),
        }
    }

    fn skipped(&self, job: &'static str, ticks: u64) {
        for _ in 0..ticks {
            self.0.job_finished(Job::named(job), JobOutcome::Skipped, Duration::ZERO);
        }
        tracing::warn!(job, ticks, "previous run overran its interval; ticks skipped");
    }
}
