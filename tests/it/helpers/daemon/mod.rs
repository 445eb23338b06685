//! The daemon for a test, started one way: `TestDaemon::spawn(&emu, options)`
//! builds it in-process from a configuration (`TestConfig`, or any
//! `Loaded`), on the emulator's dummy credentials and the test's clock.
//!
//! By default the test drives it: its jobs are built as `run` builds them
//! and run when the test calls a step (`collect_usage`, `collect_trail`,
//! `alerts_job`, `digest`, `follower_refresh`), on a manual clock instead of
//! cron. `DaemonOptions::http` also serves its two listeners (metrics and
//! API) as `run` does;
//! `DaemonOptions::scheduled` runs `app::run` itself, scheduler and all.
//! `process` starts the binary as a child process instead, for the tests
//! that kill it or scrape it from outside.

#![allow(
    clippy::disallowed_methods,
    reason = "the daemon's HTTP server or `app::run` runs as a task beside the test"
)]

pub mod config;
pub mod process;

use std::sync::Arc;
use std::time::Duration;

use bedrock_cost_monitor::app::{self, Components, RunOptions};
use bedrock_cost_monitor::clock::Clock;
use bedrock_cost_monitor::config::Loaded;
use bedrock_cost_monitor::emulator::Emulator;
use bedrock_cost_monitor::ledger::Backend;
use bedrock_cost_monitor::scheduler::{Completed, JobName, ScheduledJob};
use bedrock_cost_monitor::telemetry::probe::probe;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::TestConfig;

use crate::helpers::workload::EAST;

/// How long the daemon may take to become ready, answer, or stop.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// What to start: the configuration, the clock and how the daemon runs.
pub struct DaemonOptions {
    loaded: Loaded,
    clock: Arc<dyn Clock>,
    store: Option<Arc<dyn Backend>>,
    http: bool,
    scheduled: bool,
}

impl DaemonOptions {
    /// A daemon on `loaded` reading "now" from `clock`, whose jobs the test runs.
    pub fn new(loaded: Loaded, clock: Arc<dyn Clock>) -> DaemonOptions {
        DaemonOptions { loaded, clock, store: None, http: false, scheduled: false }
    }

    /// Uses this store instead of opening the configured one (replicas
    /// sharing one SQLite file); `None` opens the configured one.
    pub fn store(mut self, store: Option<Arc<dyn Backend>>) -> DaemonOptions {
        self.store = store;
        self
    }

    /// Also serves `/metrics` and the probes on a free loopback port, and
    /// `/api/v1` on another.
    pub fn http(mut self) -> DaemonOptions {
        self.http = true;
        self
    }

    /// Runs `app::run` as production does: its scheduler runs the jobs and
    /// it serves HTTP on a free loopback port; `spawn` returns once
    /// `/readyz` answers ready (every start-up run succeeded).
    pub fn scheduled(mut self) -> DaemonOptions {
        self.scheduled = true;
        self
    }
}

/// A running daemon and the handles a scenario needs.
pub struct TestDaemon {
    driven: Option<Driven>,
    /// `http://127.0.0.1:PORT` of the metrics and of the API listener,
    /// when the daemon serves HTTP.
    base: Option<(String, String)>,
    /// Turns true to stop the HTTP listeners or `app::run`.
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<Result<(), String>>>,
}

/// A daemon whose jobs the test runs.
struct Driven {
    parts: Components,
    jobs: Vec<ScheduledJob>,
}

impl TestDaemon {
    pub async fn spawn(emu: &Emulator, options: DaemonOptions) -> TestDaemon {
        let DaemonOptions { loaded, clock, store, http, scheduled } = options;
        let (stop, shutdown) = watch::channel(false);
        let listeners = match http || scheduled {
            true => Some((free_port().await, free_port().await)),
            false => None,
        };
        let url = |l: &TcpListener| format!("http://{}", l.local_addr().unwrap());
        let base = listeners.as_ref().map(|(metrics, api)| (url(metrics), url(api)));
        let credentials = emu.sdk_config(EAST).await.credentials_provider();
        let run = RunOptions {
            clock,
            credentials,
            listener: None,
            api_listener: None,
            shutdown: shutdown.clone(),
            store,
        };
        if scheduled {
            let (listener, api_listener) = listeners.unzip();
            let run = RunOptions { listener, api_listener, ..run };
            let task =
                tokio::spawn(async move { app::run(loaded, run).await.map(drop).map_err(|e| e.to_string()) });
            let daemon = TestDaemon { driven: None, base, stop, tasks: vec![task] };
            wait_ready(&format!("{}/readyz", daemon.base())).await;
            return daemon;
        }
        let parts = Components::new(&loaded, &run).await.unwrap();
        parts.leadership.renew().await;
        let jobs = parts.jobs(&loaded).await;
        let mut tasks = Vec::new();
        if let Some((metrics, api)) = listeners {
            let config = &loaded.config;
            for (listener, routes, limits) in [
                (metrics, parts.metrics_routes(), config.http.limits),
                (api, parts.api_routes(&loaded), config.api.limits),
            ] {
                let mut stopped = shutdown.clone();
                let until = async move {
                    let _ = stopped.wait_for(|s| *s).await;
                };
                let serving = app::serve(listener, routes, limits, until);
                tasks.push(tokio::spawn(async move { serving.await.map_err(|e| e.to_string()) }));
            }
        }
        TestDaemon { driven: Some(Driven { parts, jobs }), base, stop, tasks }
    }

    /// Its components: store, board, registry, leadership, … (a driven daemon's).
    pub fn parts(&self) -> &Components {
        &self.driven().parts
    }

    /// `http://127.0.0.1:PORT` of its metrics listener (`/metrics`, `/readyz`, …).
    pub fn base(&self) -> &str {
        &self.bases().0
    }

    /// `http://127.0.0.1:PORT` of its API listener (`/api/v1/…`).
    pub fn api_base(&self) -> &str {
        &self.bases().1
    }

    fn bases(&self) -> &(String, String) {
        self.base.as_ref().expect("the daemon serves HTTP only with `http()` or `scheduled()`")
    }

    /// One run of the CloudWatch usage job: collect, price, evaluate budgets, alert.
    pub async fn collect_usage(&self) -> Result<Completed, String> {
        self.run(JobName::CLOUDWATCH).await
    }

    /// One run of the organisation recheck (`accounts.organizations`).
    pub async fn recheck_organization(&self) -> Result<Completed, String> {
        self.run(bedrock_cost_monitor::app::org_recheck::JOB).await
    }

    /// One run of the CloudTrail job: calls per principal, cost split among them.
    pub async fn collect_trail(&self) -> Result<Completed, String> {
        self.run(JobName::CLOUDTRAIL).await
    }

    /// One run of the invocation-log job: requests priced, per-user budgets evaluated.
    pub async fn collect_logs(&self) -> Result<Completed, String> {
        self.run(JobName::INVOCATION_LOGS).await
    }

    /// One run of the `wakeup_alarms` job: the alarms made to match the models and budgets.
    pub async fn reconcile_alarms(&self) -> Result<Completed, String> {
        self.run(app::alarms::JOB).await
    }

    /// One run of the minute `alerts` job: stalled collectors, outbox retries.
    pub async fn alerts_job(&self) -> Result<Completed, String> {
        self.run(JobName::ALERTS).await
    }

    /// One run of the reconciliation with the bill (Cost Explorer).
    pub async fn reconcile(&self) -> Result<Completed, String> {
        self.run(JobName::RECONCILE).await
    }

    /// One run of the daily digest job.
    pub async fn digest(&self) -> Result<Completed, String> {
        self.run(JobName::DIGEST).await
    }

    /// One run of a follower's refresh from the shared store.
    pub async fn follower_refresh(&self) -> Result<Completed, String> {
        self.run(JobName::FOLLOWER_REFRESH).await
    }

    /// Stops the HTTP listeners or `app::run` and waits until they have stopped cleanly.
    /// Signals a stop (SIGTERM) without waiting; `shutdown` then waits.
    pub fn signal_stop(&self) {
        self.stop.send(true).unwrap();
    }

    pub async fn shutdown(self) {
        self.stop.send_replace(true);
        for task in self.tasks {
            tokio::time::timeout(TIMEOUT, task).await.expect("the daemon stops").unwrap().unwrap();
        }
    }

    fn driven(&self) -> &Driven {
        self.driven.as_ref().expect("a scheduled daemon runs its jobs itself")
    }

    /// Runs the job once, as a cron tick would.
    async fn run(&self, name: JobName) -> Result<Completed, String> {
        let job = self
            .driven()
            .jobs
            .iter()
            .find(|j| j.job.name() == name)
            .unwrap_or_else(|| panic!("no job {name}"));
        job.job.run_once().await.map_err(|e| e.to_string())
    }
}

async fn free_port() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").await.unwrap()
}

/// Polls `url` until it answers 2xx (bounded).
async fn wait_ready(url: &str) {
    let mut last = None;
    for _ in 0..500 {
        match probe(url, TIMEOUT).await {
            Ok(_) => return,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{url} not ready within 10 s: {last:?}");
}
