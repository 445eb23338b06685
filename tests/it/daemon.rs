//! The real binary (`bedrock-cost-monitor run`) against the emulator, killed
//! and restarted: SIGKILL (no drain) while it runs its 2-second schedule,
//! late and new datapoints published while it is down, a restart, then
//! SIGTERM. The SQLite ledger it leaves must equal the seeded truth exactly
//! (no minute lost, none counted twice), `run` must exit 0 within its
//! shutdown deadline, and `healthcheck` must follow the daemon's life.
//!
//! Uses the wall clock (the binary has no other): the seeded minutes are
//! complete minutes before the test started, so every run of the daemon
//! covers them whenever it happens.
//!
//! Needs `tests/emulator/setup.sh` to have been run once.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use bedrock_cost_monitor::bedrock::BedrockMetric;
use bedrock_cost_monitor::clock::{floor_minute, Clock, SystemClock};
use bedrock_cost_monitor::ledger::sqlite::SqliteStore;
use bedrock_cost_monitor::ledger::Store;
use bedrock_cost_monitor::sim::SimDatum;
use bedrock_cost_monitor::telemetry::probe::probe;
use chrono::{DateTime, Utc};
use tempfile::TempDir;
use tokio::process::{Child, Command};

use crate::helpers::daemon::config::SHUTDOWN_DEADLINE_SECS;
use crate::helpers::daemon::{process, TestConfig};
use crate::helpers::workload::{
    datum, is_token_metric, publish_all, seeded_series, workload, Truth, EAST, SONNET_US,
};
use crate::helpers::{self, emulator};

/// `bedrock-cost-monitor <args>`, logging as text into `log`; killed if the test ends first.
fn command(args: &[&str], log: &Path) -> Command {
    let mut cmd = Command::from(process::command(args, "text"));
    cmd.stdin(Stdio::null()).kill_on_drop(true);
    let out = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
    cmd.stdout(out.try_clone().unwrap()).stderr(out);
    cmd
}

struct Daemon {
    config: PathBuf,
    log: PathBuf,
    url: String,
}

impl Daemon {
    fn start(&self) -> Child {
        command(&["--config", &self.config.display().to_string(), "run"], &self.log).spawn().unwrap()
    }

    /// Polls /readyz (bounded): ready means a collection run of this process succeeded.
    async fn wait_ready(&self, child: &mut Child) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("daemon exited early ({status}):\n{}", self.log_text());
            }
            if probe(&self.url, Duration::from_secs(2)).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("daemon not ready within 30 s:\n{}", self.log_text());
    }

    /// Whether `bedrock-cost-monitor healthcheck --url …` exits 0.
    async fn healthcheck(&self) -> bool {
        let check = command(&["healthcheck", "--url", &self.url], &self.log).status().await.unwrap();
        check.success()
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// SIGTERM, then the exit status within the shutdown deadline (plus process start-up slack).
async fn terminate(daemon: &Daemon, mut child: Child) -> std::process::ExitStatus {
    let pid = child.id().unwrap().to_string();
    let sent = std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(sent.success());
    let limit = Duration::from_secs(SHUTDOWN_DEADLINE_SECS + 3);
    match tokio::time::timeout(limit, child.wait()).await {
        Ok(status) => status.unwrap(),
        Err(_) => panic!("daemon still running {limit:?} after SIGTERM:\n{}", daemon.log_text()),
    }
}

/// Distinct (region, model ID, metric, minute) keys of token datums: the ledger's lines.
fn line_keys(data: &[SimDatum]) -> usize {
    let keys: std::collections::BTreeSet<_> = data
        .iter()
        .filter(|d| is_token_metric(d.metric))
        .map(|d| (&d.region, &d.model_id, d.metric, d.minute))
        .collect();
    keys.len()
}

#[tokio::test]
async fn killed_and_restarted_daemon_keeps_the_ledger_exact() {
    let emu = emulator::exclusive().await;
    let dir = TempDir::new().unwrap();
    let port = helpers::free_port();
    let daemon = Daemon {
        config: TestConfig::scheduled(dir.path(), emu.endpoint_url(), port).write(),
        log: dir.path().join("daemon.log"),
        url: format!("http://127.0.0.1:{port}/readyz"),
    };
    let t0: DateTime<Utc> = floor_minute(SystemClock.now());
    let mut data = workload(&seeded_series(), t0 - chrono::Duration::hours(2), t0);
    publish_all(&emu, &data).await;

    let mut child = daemon.start();
    daemon.wait_ready(&mut child).await;
    assert!(
        daemon.healthcheck().await,
        "healthcheck fails while the daemon is ready:\n{}",
        daemon.log_text()
    );
    child.kill().await.unwrap(); // SIGKILL: no drain, whatever run was going is cut
    assert!(!daemon.healthcheck().await, "healthcheck passes with the daemon dead");

    // While it is down: a late datapoint into a minute it already collected
    // (inside the restatement window) and any minutes completed since.
    let late = datum(EAST, SONNET_US, BedrockMetric::InputTokenCount, t0 - chrono::Duration::minutes(3), 777);
    let since = workload(&seeded_series(), t0, floor_minute(SystemClock.now()));
    publish_all(&emu, &[&[late.clone()][..], &since].concat()).await;
    data.push(late);
    data.extend(since);

    let mut child = daemon.start();
    daemon.wait_ready(&mut child).await;
    assert!(daemon.healthcheck().await, "healthcheck fails after the restart:\n{}", daemon.log_text());
    let status = terminate(&daemon, child).await;
    assert_eq!(status.code(), Some(0), "exit after SIGTERM:\n{}", daemon.log_text());
    assert!(!daemon.healthcheck().await, "healthcheck passes after the daemon stopped");

    let store = SqliteStore::open(&dir.path().join("data")).unwrap();
    let truth = Truth::of(&data);
    assert_eq!(store.cost_totals().await.unwrap(), truth.cost_totals(), "{}", daemon.log_text());
    let lines = store.cost_lines(t0 - chrono::Duration::hours(3), SystemClock.now()).await.unwrap();
    assert_eq!(lines.len(), line_keys(&data), "one line per seeded token minute");
}
