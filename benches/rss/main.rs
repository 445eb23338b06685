//! Benchmark: steady RSS and CPU of `bedrock-cost-monitor run` against the
//! local AWS emulator (driven by `benches/rss.sh`, which builds the image's
//! binary first).
//!
//! 1. Starts the emulator (`emulator::Emulator`: moto + gateway) and writes
//!    the demo workload into it through the demo's code path
//!    (`sim::demo_series`, `sim::datums`, `sim::publish`):
//!    six hours of history, then each minute as it completes.
//!    With `--models M --regions R --principals P` (`scale.rs`) it writes
//!    instead usage metrics for M model IDs in each of R regions (two hours,
//!    then each minute) and CloudTrail events of P distinct
//!    principals (20 minutes of history, then each minute), through the
//!    emulator's seeding of LookupEvents; with `--accounts N` the same again
//!    in each of N - 1 member accounts, published with credentials from STS
//!    `AssumeRole` of the member's reader role (the emulator maps them to
//!    that account) and seeded into that account's event history.
//! 2. Spawns the daemon binary with `config/demo.toml` (2 regions, a
//!    collection every 20 s, 10-minute restatement, 6-hour backfill), or at
//!    scale with the configuration `scale.rs` writes (printed path), the
//!    emulator as endpoint, dummy credentials and a fresh data directory.
//! 3. Every second, samples `/proc/<pid>/status` (VmRSS, VmHWM) and
//!    `/proc/<pid>/stat` (utime + stime); scrapes `/metrics` every 15 s like
//!    Prometheus would. Stops the daemon with SIGTERM and prints a summary.
//!
//! Real work only with `--rss` (and `--bench`): `cargo bench --bench rss --
//! --rss [--secs 180] [--daemon target/image/bedrock-cost-monitor]
//! [--models 50 --regions 5 --principals 1000 [--accounts 20]]`. Plain
//! `cargo bench` and `cargo test --all-targets` skip it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod report;
mod scale;
#[path = "../support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Utc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use report::{clock_ticks, exposed, sample, Activity, Exposed};

use bedrock_cost_monitor::clock::{floor_minute, Clock, SystemClock};
use bedrock_cost_monitor::emulator::Emulator;
use bedrock_cost_monitor::sim::publish::publish;
use bedrock_cost_monitor::sim::trail::SimPrincipal;
use bedrock_cost_monitor::sim::{datums, demo_series, SimSeries};
use scale::AccountLoad;

const HISTORY_HOURS: i64 = 6;
/// At scale, two hours: the first start still backfills and attributes far
/// more than a steady run does, and is over within the warm-up minute.
const SCALED_HISTORY_HOURS: i64 = 2;
/// Samples before this are the start-up (first collection backfills 6 hours).
pub(crate) const WARM_UP: StdDuration = StdDuration::from_secs(60);

struct Options {
    secs: u64,
    daemon: PathBuf,
    /// `None`: the demo's workload and `config/demo.toml`.
    scale: Option<scale::Scale>,
}

fn options(root: &Path) -> Options {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    Options {
        secs: value("--secs").and_then(|s| s.parse().ok()).unwrap_or(180),
        daemon: value("--daemon")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target/image/bedrock-cost-monitor")),
        scale: scale::Scale::from_args(&args),
    }
}

/// A CloudWatch client per (account, region): `None` is the primary account.
type Clients = BTreeMap<(Option<String>, String), aws_sdk_cloudwatch::Client>;

struct Publisher {
    clients: Clients,
    /// The primary account's first.
    loads: Vec<AccountLoad>,
    /// At scale, who calls (their CloudTrail events are seeded too).
    principals: Vec<SimPrincipal>,
}

impl Publisher {
    fn series(&self) -> usize {
        self.loads.iter().map(|l| l.series.len()).sum()
    }

    /// The primary account's series (the demo's invocation logs are of these).
    fn primary(&self) -> &[SimSeries] {
        &self.loads[0].series
    }

    async fn publish_range(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> usize {
        let mut total = 0;
        for load in &self.loads {
            for s in &load.series {
                let client = &self.clients[&(load.account.clone(), s.region.clone())];
                let d = datums(s, start, end);
                publish(client, &d).await.expect("publish to the emulator");
                total += d.len();
            }
        }
        total
    }

    /// At scale: seeds the CloudTrail events of `[start, end)`; returns them
    /// stored and their distinct callers.
    async fn seed_trail(
        &self,
        emulator: &Emulator,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> (usize, usize) {
        if self.principals.is_empty() {
            return (0, 0);
        }
        let (mut stored, mut callers) = (0, 0);
        for load in &self.loads {
            let records = scale::trail(&load.series, &self.principals, start, end);
            for chunk in records.chunks(2_000) {
                stored += emulator
                    .seed_cloudtrail_in(load.account.as_deref(), chunk)
                    .await
                    .expect("seed CloudTrail events");
            }
            callers = callers.max(scale::callers(&records));
        }
        (stored, callers)
    }
}

/// The whole `/metrics` answer (headers too), empty when it failed.
async fn scrape(addr: &str) -> String {
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else { return String::new() };
    let request = format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return String::new();
    }
    let mut body = Vec::new();
    let _ = stream.read_to_end(&mut body).await;
    String::from_utf8_lossy(&body).into_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn spawn_daemon(
    opts: &Options,
    root: &Path,
    config: &Path,
    endpoint: &str,
    data_dir: &Path,
    listen: &str,
) -> Child {
    let log = std::fs::File::create(data_dir.join("daemon.log")).unwrap();
    Command::new(&opts.daemon)
        .current_dir(root)
        .arg("--config")
        .arg(config)
        .arg("run")
        .env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "y")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("BCM_AWS_ENDPOINT_URL", endpoint)
        .env("BCM_DATA_DIR", data_dir)
        .env("BCM_LISTEN", listen)
        // Its own port too, so a second daemon on the host cannot collide.
        .env("BCM_API_LISTEN", format!("127.0.0.1:{}", free_port()))
        .env("BCM_LOG_FORMAT", "json")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start {}: {e} (build it: cargo build --profile image --no-default-features)",
                opts.daemon.display()
            )
        })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if !(args.iter().any(|a| a == "--bench") && args.iter().any(|a| a == "--rss")) {
        println!("rss: skipped (run benches/rss.sh, or `cargo bench --bench rss -- --rss`)");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let opts = options(root);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    rt.block_on(measure(root, &opts));
}

/// The daemon's configuration and the workload's publisher (with its
/// hours of history) for `opts`.
async fn setup(
    root: &Path,
    opts: &Options,
    emulator: &Emulator,
    data_dir: &Path,
) -> (PathBuf, Publisher, i64) {
    let config = match &opts.scale {
        None => root.join("config/demo.toml"),
        Some(scale) => {
            let path = data_dir.join("rss-scale.toml");
            scale::write_config(scale, root, &path).unwrap();
            eprintln!("rss: {scale:?}, configuration {}", path.display());
            path
        }
    };
    let loaded = bedrock_cost_monitor::config::load_with_env(&config, &|_| None, SystemClock.now()).unwrap();
    let (loads, principals, hours) = match &opts.scale {
        None => (vec![AccountLoad { account: None, series: demo_series() }], Vec::new(), HISTORY_HOURS),
        Some(scale) => (scale.loads(), scale.principals(), SCALED_HISTORY_HOURS),
    };
    let mut clients = Clients::new();
    for load in &loads {
        for region in &loaded.config.monitor.regions {
            let sdk = account_config(emulator, load.account.as_deref(), region).await;
            #[expect(clippy::disallowed_methods, reason = "publishes the simulated traffic to the emulator")]
            let client = aws_sdk_cloudwatch::Client::new(&sdk);
            clients.insert((load.account.clone(), region.clone()), client);
        }
    }
    let publisher = Publisher { clients, loads, principals };
    (config, publisher, hours)
}

/// The emulator's credentials in `region`, or for a member account those of
/// its reader role, assumed from the default account as the daemon does
/// (the emulator maps the keys STS hands out to the role's account).
async fn account_config(emulator: &Emulator, account: Option<&str>, region: &str) -> aws_config::SdkConfig {
    let own = emulator.sdk_config(region).await;
    let Some(account) = account else { return own };
    let role = format!("arn:aws:iam::{account}:role/bedrock-cost-monitor-reader");
    let provider = aws_config::sts::AssumeRoleProvider::builder(role)
        .session_name("rss-bench")
        .configure(&own)
        .build()
        .await;
    own.into_builder()
        .credentials_provider(aws_sdk_cloudwatch::config::SharedCredentialsProvider::new(provider))
        .build()
}

/// The demo's invocation logs too: config/demo.toml reads them in one
/// region (the scaled configuration has none, as by default).
async fn demo_logs(
    opts: &Options,
    emulator: &Emulator,
    publisher: &Publisher,
    published_through: DateTime<Utc>,
) -> Option<bedrock_cost_monitor::demo::logs::LogGroup> {
    let logs = match &opts.scale {
        None => Some(bedrock_cost_monitor::demo::logs::LogGroup::create(emulator).await.expect("log group")),
        Some(_) => None,
    };
    if let Some(logs) = &logs {
        let since =
            published_through - chrono::Duration::minutes(bedrock_cost_monitor::demo::logs::HISTORY_MINUTES);
        let records =
            bedrock_cost_monitor::demo::logs::records(publisher.primary(), None, since, published_through);
        let logged = logs.deliver(records).await.expect("deliver invocation logs");
        eprintln!("rss: delivered {logged} invocation log records");
    }
    logs
}

async fn measure(root: &Path, opts: &Options) {
    let emulator =
        Emulator::start(root).await.expect("emulator starts (tests/emulator/setup.sh installs it)");
    let data_dir = tempfile::tempdir().unwrap();
    let (config, publisher, hours) = setup(root, opts, &emulator, data_dir.path()).await;
    let mut published_through = floor_minute(SystemClock.now());
    let history = published_through - chrono::Duration::hours(hours);
    let t = Instant::now();
    let n = publisher.publish_range(history, published_through).await;
    eprintln!(
        "rss: published {n} datapoints ({hours} h, {} series in {} accounts) in {:.0?}",
        publisher.series(),
        publisher.loads.len(),
        t.elapsed()
    );
    let trail_since = published_through - chrono::Duration::minutes(scale::TRAIL_HISTORY_MINUTES);
    let (events, callers) = publisher.seed_trail(&emulator, trail_since, published_through).await;
    if events > 0 {
        eprintln!("rss: seeded {events} CloudTrail events of {callers} distinct callers");
    }
    let logs = demo_logs(opts, &emulator, &publisher, published_through).await;

    let listen = format!("127.0.0.1:{}", free_port());
    let mut daemon = spawn_daemon(opts, root, &config, emulator.endpoint_url(), data_dir.path(), &listen);
    let pid = daemon.id();
    eprintln!("rss: daemon pid {pid}, sampling for {} s", opts.secs);
    let started = Instant::now();
    let mut samples = Vec::new();
    let mut scraped = 0;
    let mut last_scrape = Exposed::default();
    let mut next_scrape = StdDuration::from_secs(15);
    while started.elapsed() < StdDuration::from_secs(opts.secs) {
        tokio::time::sleep(StdDuration::from_secs(1)).await;
        if let Ok(Some(status)) = daemon.try_wait() {
            panic!("daemon exited early ({status}); see {}", data_dir.path().join("daemon.log").display());
        }
        if let Some(s) = sample(pid, started.elapsed()) {
            samples.push(s);
        }
        let now_minute = floor_minute(SystemClock.now());
        if now_minute > published_through {
            publisher.publish_range(published_through, now_minute).await;
            publisher.seed_trail(&emulator, published_through, now_minute).await;
            if let Some(logs) = &logs {
                let records = bedrock_cost_monitor::demo::logs::records(
                    publisher.primary(),
                    None,
                    published_through,
                    now_minute,
                );
                logs.deliver(records).await.expect("deliver invocation logs");
            }
            published_through = now_minute;
        }
        if started.elapsed() >= next_scrape {
            let text = scrape(&listen).await;
            if !text.is_empty() {
                scraped += 1;
                last_scrape = exposed(&text);
            }
            next_scrape += StdDuration::from_secs(15);
        }
    }
    // SIGTERM by pid: the daemon drains and exits.
    let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    let exit = daemon.wait().unwrap();
    let log = std::fs::read_to_string(data_dir.path().join("daemon.log")).unwrap_or_default();
    let count = |needle: &str| log.lines().filter(|l| l.contains(needle)).count();
    let ledger = data_dir.path().join("ledger.sqlite");
    let activity = Activity {
        collections: count("cloudwatch collected"),
        trail_runs: count("cloudtrail collected"),
        errors: count("\"level\":\"ERROR\""),
        scraped,
        ledger_kib: std::fs::metadata(&ledger).map(|m| m.len() / 1024).unwrap_or(0),
        exposed: last_scrape,
    };
    report::report(&samples, clock_ticks(), &activity, &exit.to_string());
}
