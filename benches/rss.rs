//! Benchmark: steady RSS and CPU of `bedrock-cost-monitor run` against the
//! local AWS emulator (driven by `benches/rss.sh`, which builds the release
//! binary first).
//!
//! 1. Starts the emulator (`emulator::Emulator`: moto + gateway) and writes
//!    the demo workload into it through the demo's code path
//!    (`sim::demo_series`, `sim::datums`, `sources::cloudwatch::publish`):
//!    six hours of history, then each minute as it completes.
//! 2. Spawns the daemon binary with `config/demo.toml` (2 regions, a
//!    collection every 20 s, 10-minute restatement, 6-hour backfill), the
//!    emulator as endpoint, dummy credentials and a fresh data directory.
//! 3. Every second, samples `/proc/<pid>/status` (VmRSS, VmHWM) and
//!    `/proc/<pid>/stat` (utime + stime); scrapes `/metrics` every 15 s like
//!    Prometheus would. Stops the daemon with SIGTERM and prints a summary.
//!
//! Real work only with `--rss` (and `--bench`): `cargo bench --bench rss --
//! --rss [--secs 180] [--daemon target/release/bedrock-cost-monitor]`. Plain
//! `cargo bench` and `cargo test --all-targets` skip it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Utc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use bedrock_cost_monitor::clock::{floor_minute, Clock, SystemClock};
use bedrock_cost_monitor::emulator::Emulator;
use bedrock_cost_monitor::sim::publish::publish;
use bedrock_cost_monitor::sim::{datums, demo_series, SimSeries};

const HISTORY_HOURS: i64 = 6;
/// Samples before this are the start-up (first collection backfills 6 hours).
const WARM_UP: StdDuration = StdDuration::from_secs(60);

struct Options {
    secs: u64,
    daemon: PathBuf,
}

fn options(root: &Path) -> Options {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    Options {
        secs: value("--secs").and_then(|s| s.parse().ok()).unwrap_or(180),
        daemon: value("--daemon")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target/release/bedrock-cost-monitor")),
    }
}

#[derive(Clone, Copy, Debug)]
struct Sample {
    at: StdDuration,
    rss_kib: u64,
    /// Heap and stacks (`RssAnon`) and mapped files, the binary's own pages mostly (`RssFile`).
    anon_kib: u64,
    file_kib: u64,
    threads: u64,
    hwm_kib: u64,
    cpu_ticks: u64,
}

fn sample(pid: u32, at: StdDuration) -> Option<Sample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may contain spaces): state is field 3, utime 14, stime 15.
    let rest: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: u64 = rest.get(11)?.parse().ok()?;
    let stime: u64 = rest.get(12)?.parse().ok()?;
    Some(Sample {
        at,
        rss_kib: field("VmRSS:")?,
        anon_kib: field("RssAnon:")?,
        file_kib: field("RssFile:")?,
        threads: field("Threads:")?,
        hwm_kib: field("VmHWM:")?,
        cpu_ticks: utime + stime,
    })
}

fn clock_ticks() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

struct Publisher {
    clients: BTreeMap<String, aws_sdk_cloudwatch::Client>,
    series: Vec<SimSeries>,
}

impl Publisher {
    async fn publish_range(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> usize {
        let mut total = 0;
        for s in &self.series {
            let client = &self.clients[&s.region];
            let d = datums(s, start, end);
            publish(client, &d).await.expect("publish to the emulator");
            total += d.len();
        }
        total
    }
}

async fn scrape(addr: &str) -> usize {
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else { return 0 };
    let request = format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return 0;
    }
    let mut body = Vec::new();
    let _ = stream.read_to_end(&mut body).await;
    body.len()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn spawn_daemon(opts: &Options, root: &Path, endpoint: &str, data_dir: &Path, listen: &str) -> Child {
    let log = std::fs::File::create(data_dir.join("daemon.log")).unwrap();
    Command::new(&opts.daemon)
        .current_dir(root)
        .args(["--config", "config/demo.toml", "run"])
        .env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "y")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("BCM_AWS_ENDPOINT_URL", endpoint)
        .env("BCM_DATA_DIR", data_dir)
        .env("BCM_LISTEN", listen)
        .env("BCM_LOG_FORMAT", "json")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start {}: {e} (build it: cargo build --release)", opts.daemon.display())
        })
}

#[allow(clippy::float_arithmetic)]
fn cpu_percent(a: &Sample, b: &Sample, ticks_per_sec: u64) -> f64 {
    let cpu = (b.cpu_ticks - a.cpu_ticks) as f64 / ticks_per_sec as f64;
    100.0 * cpu / (b.at - a.at).as_secs_f64()
}

#[allow(clippy::float_arithmetic)]
fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
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

async fn measure(root: &Path, opts: &Options) {
    let emulator =
        Emulator::start(root).await.expect("emulator starts (tests/emulator/setup.sh installs it)");
    let loaded = bedrock_cost_monitor::config::load_with_env(
        &root.join("config/demo.toml"),
        &|_| None,
        SystemClock.now(),
    )
    .unwrap();
    let mut clients = BTreeMap::new();
    for region in &loaded.config.monitor.regions {
        #[expect(clippy::disallowed_methods, reason = "publishes the simulated traffic to the emulator")]
        clients.insert(region.clone(), aws_sdk_cloudwatch::Client::new(&emulator.sdk_config(region).await));
    }
    let publisher = Publisher { clients, series: demo_series() };
    let mut published_through = floor_minute(SystemClock.now());
    let history = published_through - chrono::Duration::hours(HISTORY_HOURS);
    let n = publisher.publish_range(history, published_through).await;
    eprintln!("rss: published {n} datapoints ({HISTORY_HOURS} h, {} series)", publisher.series.len());
    // The demo's invocation logs too: config/demo.toml reads them in one region.
    let logs = bedrock_cost_monitor::demo::logs::LogGroup::create(&emulator).await.expect("log group");
    let since =
        published_through - chrono::Duration::minutes(bedrock_cost_monitor::demo::logs::HISTORY_MINUTES);
    let records =
        bedrock_cost_monitor::demo::logs::records(&publisher.series, None, since, published_through);
    let logged = logs.deliver(records).await.expect("deliver invocation logs");
    eprintln!("rss: delivered {logged} invocation log records");

    let data_dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let mut daemon = spawn_daemon(opts, root, emulator.endpoint_url(), data_dir.path(), &listen);
    let pid = daemon.id();
    eprintln!("rss: daemon pid {pid}, sampling for {} s", opts.secs);
    let started = Instant::now();
    let mut samples = Vec::new();
    let mut scraped = 0;
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
            let records = bedrock_cost_monitor::demo::logs::records(
                &publisher.series,
                None,
                published_through,
                now_minute,
            );
            logs.deliver(records).await.expect("deliver invocation logs");
            published_through = now_minute;
        }
        if started.elapsed() >= next_scrape {
            if scrape(&listen).await > 0 {
                scraped += 1;
            }
            next_scrape += StdDuration::from_secs(15);
        }
    }
    // SIGTERM by pid: the daemon drains and exits.
    let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    let exit = daemon.wait().unwrap();
    let log = std::fs::read_to_string(data_dir.path().join("daemon.log")).unwrap_or_default();
    let collections = log.lines().filter(|l| l.contains("cloudwatch collected")).count();
    let errors = log.lines().filter(|l| l.contains("\"level\":\"ERROR\"")).count();
    let ledger = data_dir.path().join("ledger.sqlite");
    let ledger_kib = std::fs::metadata(&ledger).map(|m| m.len() / 1024).unwrap_or(0);
    report(&samples, clock_ticks(), collections, errors, scraped, ledger_kib, &exit.to_string());
}

fn report(
    samples: &[Sample],
    ticks: u64,
    collections: usize,
    errors: usize,
    scraped: usize,
    ledger_kib: u64,
    exit: &str,
) {
    let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
        println!("rss: no samples");
        return;
    };
    let steady: Vec<&Sample> = samples.iter().filter(|s| s.at >= WARM_UP).collect();
    let mut rss: Vec<u64> = steady.iter().map(|s| s.rss_kib).collect();
    rss.sort_unstable();
    println!("# `run` against the emulator: RSS and CPU\n");
    println!(
        "samples: {} over {:.0?}; collections logged: {collections} (region-runs); /metrics scrapes: {scraped}; error log lines: {errors}; exit: {exit}; ledger {ledger_kib} KiB\n",
        samples.len(),
        last.at
    );
    println!("| figure | value |");
    println!("|---|---:|");
    if let (Some(lo), Some(hi)) = (rss.first(), rss.last()) {
        let median = rss[rss.len() / 2];
        println!("| steady RSS (after {WARM_UP:?}): median | {:.1} MiB |", mib(median));
        println!("| steady RSS: min .. max | {:.1} .. {:.1} MiB |", mib(*lo), mib(*hi));
    }
    println!(
        "| of which at the end: heap and stacks (RssAnon) / mapped files (RssFile) | {:.1} / {:.1} MiB |",
        mib(last.anon_kib),
        mib(last.file_kib)
    );
    println!("| threads at the end | {} |", last.threads);
    println!("| peak RSS (VmHWM at the end) | {:.1} MiB |", mib(last.hwm_kib));
    println!("| RSS at the first sample (1 s) | {:.1} MiB |", mib(first.rss_kib));
    println!("| CPU, whole run (% of one core) | {:.2} % |", cpu_percent(first, last, ticks));
    if let Some(s) = steady.first() {
        println!("| CPU, steady (% of one core) | {:.2} % |", cpu_percent(s, last, ticks));
    }
    println!("| CPU time, daemon total | {:.2} s |", seconds(last.cpu_ticks, ticks));
}

#[allow(clippy::float_arithmetic)]
fn seconds(cpu_ticks: u64, ticks_per_sec: u64) -> f64 {
    cpu_ticks as f64 / ticks_per_sec as f64
}
