//! `demo`: the newcomer's first command. Starts the local AWS emulator,
//! writes a simulated Bedrock workload into it (six hours of history, then
//! live minutes), runs the daemon against it and prints what to look at.
//!
//! Owns only orchestration and printing, and plays CloudWatch's alarm
//! evaluation, which the emulator lacks (`alarms.rs`, shared with the
//! time-to-alert test); the daemon it runs is the real one (`app::run`),
//! talking to the emulator through the real AWS SDK. Wake-ups are on:
//! `wakeups.rs` makes their queue and topics and sizes the threshold.

pub mod alarms;
mod bill;
mod budget;
mod inbox;
pub mod logs;
mod member;
mod print;
mod trail;
mod wakeups;
mod workload;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cloudwatch::config::SharedCredentialsProvider;
use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::app::{self, RunOptions};
use crate::clock::{Clock, SystemClock};
use crate::emulator::{Emulator, EmulatorError};

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("run the demo from the repository root (missing {0})")]
    NotRepoRoot(PathBuf),
    #[error("emulator set-up failed: {0}")]
    Setup(String),
    #[error(transparent)]
    Emulator(#[from] EmulatorError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("playing CloudWatch's alarm evaluation: {0}")]
    Alarms(String),
    #[error("publishing the simulated workload: {0}")]
    Publish(#[from] Box<aws_sdk_cloudwatch::Error>),
    #[error(transparent)]
    App(#[from] crate::app::AppError),
    #[error(transparent)]
    Store(#[from] crate::ledger::StoreError),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

pub struct DemoOptions {
    pub repo_root: PathBuf,
    /// Stop by itself after this long (CI); `None` runs until Ctrl-C.
    pub duration: Option<Duration>,
}

pub async fn run(opts: DemoOptions) -> Result<(), DemoError> {
    // The emulator's data and the daemon both live on the wall clock.
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let root = &opts.repo_root;
    ensure_emulator(root)?;
    print::step("starting the local AWS emulator (moto + gateway)");
    let emulator = Emulator::start(root).await?;
    let data_dir = std::env::temp_dir().join(format!("bedrock-cost-monitor-demo-{}", std::process::id()));
    let inbox = inbox::Inbox::create(&emulator).await?;
    let mut loaded = configure(root, &emulator, &data_dir, &inbox, clock.now()).await?;

    print::step("writing six hours of simulated Bedrock traffic into CloudWatch (2 regions, 7 model IDs, 2 bedrock-mantle projects)");
    let mut publisher = workload::Publisher::new(&emulator, &loaded).await;
    let now = clock.now();
    let end = crate::clock::floor_minute(now);
    publish_history(&emulator, &mut loaded, &mut publisher, now).await?;
    let log_group = seed_who_called(&emulator, &publisher, end).await?;
    let billed = bill::prepare(&emulator, &publisher, &loaded, clock.clone()).await?;

    let judge = alarms::AlarmJudge::connect(
        &emulator,
        &loaded.config.monitor.regions,
        &loaded.config.wakeups.alarm_prefix,
    )
    .await;
    let polling = loaded.config.sources.cloudwatch.schedule.clone();
    let listener = bind(&loaded.config.http.listen).await?;
    let url = format!("http://{}", listener.local_addr()?);
    let api_listener = bind(&loaded.config.api.listen).await?;
    let api_url = format!("http://{}", api_listener.local_addr()?);
    let (stop_tx, stop_rx) = watch::channel(false);
    let credentials =
        emulator.sdk_config("us-east-1").await.credentials_provider().map(SharedCredentialsProvider::new);
    let options = RunOptions {
        clock: clock.clone(),
        credentials,
        listener: Some(listener),
        api_listener: Some(api_listener),
        shutdown: stop_rx,
        store: None,
    };
    print::step(&format!("starting the daemon (data in {})", data_dir.display()));
    #[expect(
        clippy::disallowed_methods,
        reason = "the demo runs the real daemon beside its live loop and joins it below"
    )]
    let daemon = tokio::spawn(async move { app::run(loaded, options).await.map(drop) });
    bill::reconcile(&billed, &url).await?;

    let live = workload::Live {
        emulator: &emulator,
        judge: &judge,
        polling: &polling,
        logs: &log_group,
        inbox: &inbox,
        data_dir: &data_dir,
        url: &url,
        api_url: &api_url,
    };
    let result = workload::live(&publisher, &live, clock.as_ref(), opts.duration, &stop_tx).await;
    let _ = stop_tx.send(true);
    let stopped = daemon.await.map_err(|e| DemoError::Setup(format!("daemon task: {e}")));
    print::step("stopped; the emulator shuts down with the demo");
    result?;
    stopped??;
    Ok(())
}

/// Sizes the budgets and wake-up alarms on the history of every account,
/// then publishes it: the platform's, its mantle projects', the member's.
async fn publish_history(
    emulator: &Emulator,
    loaded: &mut crate::config::Loaded,
    publisher: &mut workload::Publisher,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), DemoError> {
    let end = crate::clock::floor_minute(now);
    let start = end - chrono::Duration::hours(workload::HISTORY_HOURS);
    let history = publisher.history(now);
    let member_history = member::history(loaded, start, end);
    let every_account: Vec<_> = history.iter().chain(&member_history).cloned().collect();
    if let Some(sizing) = budget::size(loaded, &every_account, &workload::runaway(), now) {
        print::detail(&format!(
            "budget {}: limit {} USD a day, sized so that today's simulated traffic so far uses 60 % of it",
            budget::BUDGET,
            sizing.limit
        ));
        publisher.set_spike(sizing.spike_factor, now);
        size_alarms(loaded, &history, sizing.spike_factor, publisher.spike_starts());
    }
    let datums = publisher.publish(&history).await?;
    let mantle = publisher.publish_mantle(start, end).await?;
    print::detail(&format!("{datums} datapoints published, and {mantle} of two bedrock-mantle projects"));
    if let Some((id, name, region)) = member::configured(loaded) {
        let n = member::publish_history(emulator, loaded, &member_history).await?;
        print::detail(&format!(
            "and {n} in a second account, {name} ({id}, {region}), which the daemon reads through a role there"
        ));
    }
    Ok(())
}

/// CloudTrail's and the invocation logs' recent history: who called.
async fn seed_who_called(
    emulator: &Emulator,
    publisher: &workload::Publisher,
    end: DateTime<Utc>,
) -> Result<logs::LogGroup, DemoError> {
    let records = publisher.trail(end - chrono::Duration::minutes(trail::HISTORY_MINUTES), end);
    let stored = trail::seed(emulator, &records).await?;
    let minutes = trail::HISTORY_MINUTES;
    print::detail(&format!(
        "{stored} CloudTrail records of the last {minutes} minutes (who called: 3 principals)"
    ));
    let log_group = logs::LogGroup::create(emulator).await?;
    let logged = log_group
        .deliver(publisher.logs(end - chrono::Duration::minutes(logs::HISTORY_MINUTES), end))
        .await?;
    print::detail(&format!(
        "{logged} model invocation log records of the last {} hours in {} (each call's end user and tenant)",
        logs::HISTORY_MINUTES / 60,
        logs::REGION
    ));
    Ok(log_group)
}

/// Installs the emulator's virtualenv on first use (idempotent script).
fn ensure_emulator(root: &Path) -> Result<(), DemoError> {
    let setup = root.join(crate::emulator::SETUP_COMMAND);
    if !setup.exists() {
        return Err(DemoError::NotRepoRoot(setup));
    }
    if crate::emulator::venv_path(root).join("bin/python").exists() {
        return Ok(());
    }
    print::step("installing the emulator (Python virtualenv with moto; about a minute, once)");
    let status = std::process::Command::new("bash").arg(&setup).status()?;
    if status.success() {
        Ok(())
    } else {
        Err(DemoError::Setup(format!("{} exited with {status}", setup.display())))
    }
}

/// config/demo.toml pointed at the emulator, the inbox and the wake-up
/// queue and topics (made for the configured regions, then loaded again
/// with them, so the wake-up settings are checked as any deployment's).
async fn configure(
    root: &Path,
    emulator: &Emulator,
    data_dir: &Path,
    inbox: &inbox::Inbox,
    now: DateTime<Utc>,
) -> Result<crate::config::Loaded, DemoError> {
    let mut env = BTreeMap::from([
        ("BCM_AWS_ENDPOINT_URL", emulator.endpoint_url().to_string()),
        ("BCM_DATA_DIR", data_dir.display().to_string()),
        ("BCM_SNS_TOPIC_ARN", inbox.topic_arn.clone()),
    ]);
    let path = root.join("config/demo.toml");
    let first = crate::config::load_with_env(&path, &|k: &str| env.get(k).cloned(), now)?;
    let wiring = wakeups::Wiring::create(emulator, &first.config.monitor.regions).await?;
    env.insert("BCM_WAKEUPS_QUEUE_URL", wiring.queue_url.clone());
    env.insert("BCM_WAKEUPS_TOPIC_ARNS", wiring.topics_env());
    Ok(crate::config::load_with_env(&path, &|k: &str| env.get(k).cloned(), now)?)
}

/// Sets the wake-up alarms' threshold between the busiest normal minute and
/// the runaway's first, and says so.
fn size_alarms(
    loaded: &mut crate::config::Loaded,
    history: &[crate::sim::SimDatum],
    factor: u64,
    starts: Option<DateTime<Utc>>,
) {
    let pricer = crate::pricing::PointPricer::from_config(loaded);
    let Some(starts) = starts else { return };
    match wakeups::threshold(&pricer, history, &workload::runaway(), factor, starts) {
        Some(t) => {
            loaded.config.wakeups.usd_per_hour = Some(crate::config::Usd(t.usd_per_hour));
            print::detail(&format!(
                "wake-up alarms at {} USD/hour at one minute's pace (busiest normal minute of a region: {}; the runaway's first: {})",
                t.usd_per_hour, t.busiest, t.runaway
            ));
        }
        None => {
            loaded.config.wakeups.enabled = false;
            print::detail(
                "wake-ups off: the runaway is not above normal traffic here; polling alone catches it",
            );
        }
    }
}

/// The configured port, or any free one when it is taken.
async fn bind(addr: &std::net::SocketAddr) -> std::io::Result<TcpListener> {
    match TcpListener::bind(addr).await {
        Ok(l) => Ok(l),
        Err(_) => TcpListener::bind(("127.0.0.1", 0)).await,
    }
}
