//! What the scheduler runs: the `Job` trait, how a run ended, and the names
//! jobs are known by in logs and labels.
//!
//! Must not know what any job does; the jobs themselves are wired in `app/`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::JobError;
use crate::config::CronSchedule;

/// A scheduled job, as the `job` label knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobName(&'static str);

impl JobName {
    pub const CLOUDWATCH: JobName = JobName("cloudwatch");
    pub const CLOUDWATCH_DETAIL: JobName = JobName("cloudwatch_detail");
    pub const CLOUDTRAIL: JobName = JobName("cloudtrail");
    pub const MANTLE: JobName = JobName("mantle");
    pub const INVOCATION_LOGS: JobName = JobName("invocation_logs");
    pub const BUDGETS: JobName = JobName("budgets");
    pub const ALERTS: JobName = JobName("alerts");
    pub const DIGEST: JobName = JobName("digest");
    pub const COMPACTION: JobName = JobName("compaction");
    pub const RECONCILE: JobName = JobName("reconcile");
    pub const FOLLOWER_REFRESH: JobName = JobName("follower_refresh");

    /// Another job; the name must be a fixed identifier (`[a-z_]+`).
    pub const fn named(name: &'static str) -> JobName {
        JobName(name)
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl std::fmt::Display for JobName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// How a run that did not fail ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completed {
    /// The job did its work.
    Done,
    /// Nothing to do here: another replica holds the lease and does the work.
    Standby,
}

/// A scheduled unit of work. `run_once` is also what tests call directly.
#[async_trait]
pub trait Job: Send + Sync {
    fn name(&self) -> JobName;
    async fn run_once(&self) -> Result<Completed, JobError>;
}

/// Where the scheduler reports what happened (self-metrics, logs).
#[async_trait]
pub trait SchedulerHooks: Send + Sync {
    fn finished(&self, job: JobName, result: &Result<Completed, JobError>, took: Duration);
    fn skipped(&self, job: JobName, ticks: u64);
    /// After every run, once `finished` has: a run is a burst, and what it
    /// leaves cached is handed back here (`app::hooks`).
    async fn after_run(&self) {}
}

pub struct ScheduledJob {
    pub job: Arc<dyn Job>,
    pub schedule: CronSchedule,
    /// Run once immediately at start (catch up after downtime) before the first tick.
    pub run_at_start: bool,
    /// Also run early when this is asked to (between ticks, spaced by its gap).
    pub wake: Option<Arc<super::Wake>>,
}
