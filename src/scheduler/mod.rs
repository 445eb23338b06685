//! The cron scheduler: runs each job on its schedule, never two runs of the
//! same job at once, and drains on shutdown. With `app/`, the only place
//! that spawns tasks and owns time; other modules' blocking work (the SQLite
//! ledger's calls) goes through [`blocking`].
//!
//! A job that overruns its interval does not queue runs: the ticks it missed
//! are skipped and counted. A failed run is reported and the next tick
//! retries; nothing here stops because one run failed. A job with a
//! [`Wake`] also runs early when asked, in the same loop (`wake.rs`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::clock::Clock;

mod error;
mod job;
mod wake;

pub use error::{FailureKind, JobError};
pub use job::{Completed, Job, JobName, ScheduledJob, SchedulerHooks};
pub use wake::Wake;

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
    /// Returns the names of the jobs abandoned, also logged.
    pub async fn run(self, shutdown: watch::Receiver<bool>, deadline: Duration) -> Vec<JobName> {
        let mut tasks = JoinSet::new();
        let mut running = BTreeMap::new();
        for job in self.jobs {
            let name = job.job.name();
            let ctx = Loop {
                job,
                timezone: self.timezone,
                clock: self.clock.clone(),
                hooks: self.hooks.clone(),
                shutdown: shutdown.clone(),
            };
            #[expect(
                clippy::disallowed_methods,
                reason = "one loop per job, drained or aborted by this function at shutdown"
            )]
            running.insert(tasks.spawn(ctx.run()).id(), name);
        }
        let mut stop = shutdown.clone();
        // Wait for the signal (or for every loop to end on its own).
        tokio::select! {
            _ = stop.wait_for(|s| *s) => {}
            _ = drain(&mut tasks, &mut running) => return Vec::new(),
        }
        if tokio::time::timeout(deadline, drain(&mut tasks, &mut running)).await.is_err() {
            // Named, so the log says which job's run the next start will redo.
            let jobs: Vec<JobName> = running.values().copied().collect();
            tracing::warn!(
                deadline_secs = deadline.as_secs(),
                jobs = jobs.iter().map(|j| j.as_str()).collect::<Vec<_>>().join(","),
                "jobs still running at the shutdown deadline; abandoned"
            );
            tasks.abort_all();
            return jobs;
        }
        Vec::new()
    }
}

/// Blocking threads the daemon's runtime may start. The ledger's calls
/// share one SQLite connection, so beyond a few threads they only queue on
/// its lock, each waiting thread holding a stack; DNS lookups and file reads
/// are the other users. Tokio's default (512) let a daemon with a hundred
/// shards start over a hundred threads.
pub const MAX_BLOCKING_THREADS: usize = 8;

/// The multi-threaded runtime the daemon (and the demo) runs on.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .enable_all()
        .build()
}

/// Runs `work` on the runtime's blocking threads and waits for it, so that a
/// blocking call (SQLite) never stalls the async workers. Task creation stays
/// here and in `app/`; the store asks rather than spawning itself.
#[expect(
    clippy::disallowed_methods,
    reason = "the one route to the blocking threads; awaited here, so the caller owns the wait"
)]
pub async fn blocking<T, F>(work: F) -> Result<T, tokio::task::JoinError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    tokio::task::spawn_blocking(work).await
}

/// Waits for every loop to end, forgetting each one as it does.
async fn drain(tasks: &mut JoinSet<()>, running: &mut BTreeMap<tokio::task::Id, JobName>) {
    while let Some(done) = tasks.join_next_with_id().await {
        let id = match done {
            Ok((id, ())) => id,
            Err(e) => e.id(),
        };
        running.remove(&id);
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
            self.run_job(false).await;
        }
        loop {
            let now = self.clock.now();
            let Some(next) = self.job.schedule.next_after(now, &self.timezone) else {
                tracing::warn!(job = %self.job.job.name(), "schedule never fires again; job stopped");
                return;
            };
            let wait = (next - now).to_std().unwrap_or(Duration::ZERO);
            let wake = self.job.wake.clone();
            let woken = async move {
                match &wake {
                    Some(w) => w.ready().await,
                    None => std::future::pending().await,
                }
            };
            let early = tokio::select! {
                _ = tokio::time::sleep(wait) => false,
                () = woken => true,
                _ = self.shutdown.wait_for(|s| *s) => return,
            };
            self.run_job(early).await;
            if !early {
                self.count_skipped(next);
            }
            if *self.shutdown.borrow() {
                return;
            }
        }
    }

    async fn run_job(&self, early: bool) {
        if let Some(wake) = &self.job.wake {
            let asked = wake.started(early);
            if !asked.is_empty() {
                tracing::info!(job = %self.job.job.name(), woken_by = %asked.join(","), "run answers a wake-up");
            }
        }
        let started = Instant::now();
        let result = self.job.job.run_once().await;
        self.hooks.finished(self.job.job.name(), &result, started.elapsed());
        self.hooks.after_run().await;
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

#[cfg(test)]
mod tests {
    #![allow(clippy::disallowed_methods, reason = "tests run schedulers as tasks to stop them midway")]
    use super::*;
    use async_trait::async_trait;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Mutex;

    /// Wall time that follows tokio's (paused) clock, so cron ticks and sleeps agree.
    struct TokioClock {
        base: DateTime<Utc>,
        start: tokio::time::Instant,
    }

    impl Clock for TokioClock {
        fn now(&self) -> DateTime<Utc> {
            let elapsed = chrono::Duration::from_std(self.start.elapsed()).unwrap_or_default();
            self.base + elapsed
        }
    }

    struct SlowJob {
        runs: AtomicU64,
        running: AtomicU64,
        overlap_seen: AtomicU64,
        takes: Duration,
    }

    #[async_trait]
    impl Job for SlowJob {
        fn name(&self) -> JobName {
            JobName::named("slow")
        }
        async fn run_once(&self) -> Result<Completed, JobError> {
            if self.running.fetch_add(1, Ordering::SeqCst) > 0 {
                self.overlap_seen.fetch_add(1, Ordering::SeqCst);
            }
            tokio::time::sleep(self.takes).await;
            self.running.fetch_sub(1, Ordering::SeqCst);
            let n = self.runs.fetch_add(1, Ordering::SeqCst);
            if n % 2 == 0 {
                Ok(Completed::Done)
            } else {
                Err(JobError::Publish { failed: 1, detail: "every other run fails".into() })
            }
        }
    }

    #[derive(Default)]
    struct Recorder {
        finished: Mutex<Vec<bool>>,
        skipped: AtomicU64,
        /// How many runs had finished at each `after_run`.
        after_runs: Mutex<Vec<usize>>,
    }

    #[async_trait::async_trait]
    impl SchedulerHooks for Recorder {
        fn finished(&self, _: JobName, result: &Result<Completed, JobError>, _: Duration) {
            self.finished.lock().unwrap().push(result.is_ok());
        }
        fn skipped(&self, _: JobName, ticks: u64) {
            self.skipped.fetch_add(ticks, Ordering::SeqCst);
        }
        async fn after_run(&self) {
            let finished = self.finished.lock().unwrap().len();
            self.after_runs.lock().unwrap().push(finished);
        }
    }

    fn scheduler(job: Arc<SlowJob>, hooks: Arc<Recorder>, every: &str) -> Scheduler {
        let base = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 25, 10, 0, 0).unwrap();
        Scheduler {
            jobs: vec![ScheduledJob {
                job,
                schedule: every.parse().unwrap(),
                run_at_start: true,
                wake: None,
            }],
            timezone: chrono_tz::UTC,
            clock: Arc::new(TokioClock { base, start: tokio::time::Instant::now() }),
            hooks,
        }
    }

    fn slow(takes: Duration) -> Arc<SlowJob> {
        Arc::new(SlowJob { runs: 0.into(), running: 0.into(), overlap_seen: 0.into(), takes })
    }

    #[tokio::test(start_paused = true)]
    async fn overrunning_job_never_overlaps_and_missed_ticks_are_counted() {
        // Every 10 s, each run takes 25 s: ticks at +10 and +20 fall due during a run.
        let job = slow(Duration::from_secs(25));
        let hooks = Arc::new(Recorder::default());
        let (tx, rx) = watch::channel(false);
        let run = tokio::spawn(
            scheduler(job.clone(), hooks.clone(), "*/10 * * * * *").run(rx, Duration::from_secs(60)),
        );
        tokio::time::sleep(Duration::from_secs(100)).await;
        tx.send(true).unwrap();
        run.await.unwrap();
        assert_eq!(job.overlap_seen.load(Ordering::SeqCst), 0);
        let finished = hooks.finished.lock().unwrap().clone();
        assert!(finished.len() >= 3, "{finished:?}");
        assert!(finished.contains(&false), "a failed run is reported and the loop goes on");
        assert!(hooks.skipped.load(Ordering::SeqCst) >= 2);
        // Each run, failed or not, is followed by one `after_run`, after its report.
        let after_runs = hooks.after_runs.lock().unwrap().clone();
        assert_eq!(after_runs, (1..=finished.len()).collect::<Vec<_>>());
    }

    #[tokio::test(start_paused = true)]
    async fn a_wake_up_runs_the_job_between_ticks_once_per_gap_and_a_burst_coalesces() {
        // Hourly ticks; each run takes 5 s; wake-ups at most once a minute.
        let job = slow(Duration::from_secs(5));
        let hooks = Arc::new(Recorder::default());
        let wake = Arc::new(Wake::new(Duration::from_secs(60)));
        let mut s = scheduler(job.clone(), hooks.clone(), "0 0 * * * *");
        s.jobs[0].wake = Some(wake.clone());
        let (tx, rx) = watch::channel(false);
        let run = tokio::spawn(s.run(rx, Duration::from_secs(60)));
        tokio::time::sleep(Duration::from_secs(120)).await; // the start-up run is long done
        assert_eq!(job.runs.load(Ordering::SeqCst), 1);
        for _ in 0..50 {
            wake.request("us-east-1");
        }
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(job.runs.load(Ordering::SeqCst), 2, "fifty requests, one run");
        wake.request("us-east-1"); // inside the gap: waits for it
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert_eq!(job.runs.load(Ordering::SeqCst), 2);
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert_eq!(job.runs.load(Ordering::SeqCst), 3, "the deferred request ran at the end of the gap");
        tx.send(true).unwrap();
        run.await.unwrap();
        assert_eq!(job.overlap_seen.load(Ordering::SeqCst), 0);
        assert_eq!(hooks.skipped.load(Ordering::SeqCst), 0, "an early run skips no tick");
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_waits_for_a_running_job_within_the_deadline() {
        let job = slow(Duration::from_secs(5));
        let hooks = Arc::new(Recorder::default());
        let (tx, rx) = watch::channel(false);
        let run = tokio::spawn(
            scheduler(job.clone(), hooks.clone(), "0 0 * * * *").run(rx, Duration::from_secs(20)),
        );
        tokio::time::sleep(Duration::from_secs(1)).await; // the start-up run is going
        tx.send(true).unwrap();
        assert!(run.await.unwrap().is_empty(), "nothing abandoned");
        assert_eq!(hooks.finished.lock().unwrap().as_slice(), &[true], "the running job finished");
    }

    #[tokio::test(start_paused = true)]
    async fn a_job_past_the_deadline_is_abandoned() {
        let job = slow(Duration::from_secs(3600));
        let hooks = Arc::new(Recorder::default());
        let (tx, rx) = watch::channel(false);
        let started = tokio::time::Instant::now();
        let run = tokio::spawn(scheduler(job, hooks.clone(), "0 0 * * * *").run(rx, Duration::from_secs(20)));
        tokio::time::sleep(Duration::from_secs(1)).await;
        tx.send(true).unwrap();
        assert_eq!(run.await.unwrap(), vec![JobName::named("slow")], "the abandoned job is named");
        assert!(started.elapsed() < Duration::from_secs(30));
        assert!(hooks.finished.lock().unwrap().is_empty());
    }
}
