//! The cron scheduler: runs each job on its schedule, never two runs of the
//! same job at once, and drains on shutdown. With `app.rs`, the only place
//! that spawns tasks and owns time.
//!
//! A job that overruns its interval does not queue runs: the ticks it missed
//! are skipped and counted. A failed run is reported and the next tick
//! retries; nothing here stops because one run failed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::clock::Clock;
use crate::config::CronSchedule;

/// A scheduled unit of work. `run_once` is also what tests call directly.
#[async_trait]
pub trait Job: Send + Sync {
    fn name(&self) -> &'static str;
    async fn run_once(&self) -> Result<(), String>;
}

/// Where the scheduler reports what happened (self-metrics, logs).
pub trait SchedulerHooks: Send + Sync {
    fn finished(&self, job: &'static str, result: &Result<(), String>, took: Duration);
    fn skipped(&self, job: &'static str, ticks: u64);
}

pub struct ScheduledJob {
    pub job: Arc<dyn Job>,
    pub schedule: CronSchedule,
    /// Run once immediately at start (catch up after downtime) before the first tick.
    pub run_at_start: bool,
}

pub struct Scheduler {
    pub jobs: Vec<ScheduledJob>,
    pub timezone: chrono_tz::Tz,
    pub clock: Arc<dyn Clock>,
    pub hooks: Arc<dyn SchedulerHooks>,
}

impl Scheduler {
    /// Runs until `shutdown` turns true, then gives running jobs `deadline`
    /// to finish before abandoning them (a ledger batch is atomic, so an
    /// abandoned run loses only its unwritten chunk, which the next start re-reads).
    pub async fn run(self, shutdown: watch::Receiver<bool>, deadline: Duration) {
        let mut tasks = JoinSet::new();
        for job in self.jobs {
            let ctx = Loop {
                job,
                timezone: self.timezone,
                clock: self.clock.clone(),
                hooks: self.hooks.clone(),
                shutdown: shutdown.clone(),
            };
            tasks.spawn(ctx.run());
        }
        let mut stop = shutdown.clone();
        // Wait for the signal (or for every loop to end on its own).
        tokio::select! {
            _ = stop.wait_for(|s| *s) => {}
            _ = async { while tasks.join_next().await.is_some() {} } => return,
        }
        let drained =
            tokio::time::timeout(deadline, async { while tasks.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            tracing::warn!(
                deadline_secs = deadline.as_secs(),
                "jobs still running at the shutdown deadline; abandoned"
            );
            tasks.abort_all();
        }
    }
}

struct Loop {
    job: ScheduledJob,
    timezone: chrono_tz::Tz,
    clock: Arc<dyn Clock>,
    hooks: Arc<dyn SchedulerHooks>,
    shutdown: watch::Receiver<bool>,
}

impl Loop {
    async fn run(mut self) {
        if self.job.run_at_start && !*self.shutdown.borrow() {
            self.run_job().await;
        }
        loop {
            let now = self.clock.now();
            let Some(next) = self.job.schedule.next_after(now, &self.timezone) else {
                tracing::warn!(job = self.job.job.name(), "schedule never fires again; job stopped");
                return;
            };
            let wait = (next - now).to_std().unwrap_or(Duration::ZERO);
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.shutdown.wait_for(|s| *s) => return,
            }
            self.run_job().await;
            self.count_skipped(next);
            if *self.shutdown.borrow() {
                return;
            }
        }
    }

    async fn run_job(&self) {
        let started = Instant::now();
        let result = self.job.job.run_once().await;
        self.hooks.finished(self.job.job.name(), &result, started.elapsed());
    }

    /// Ticks that fell due while the run was still going are skipped, not queued.
    fn count_skipped(&self, tick: DateTime<Utc>) {
        let now = self.clock.now();
        let missed = self.job.schedule.count_between(tick, now, &self.timezone);
        if missed > 0 {
            self.hooks.skipped(self.job.job.name(), missed);
        }
    }
}
