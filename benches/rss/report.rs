//! What the RSS bench measures and prints: samples of `/proc/<pid>`, what
//! the daemon did (from its log and the last scrape) and the summary table.
//! Must not start or stop anything.

use std::process::Command;
use std::time::Duration as StdDuration;

use crate::WARM_UP;

#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub at: StdDuration,
    pub rss_kib: u64,
    /// Heap and stacks (`RssAnon`) and mapped files, the binary's own pages mostly (`RssFile`).
    pub anon_kib: u64,
    pub file_kib: u64,
    pub threads: u64,
    pub hwm_kib: u64,
    pub cpu_ticks: u64,
}

pub fn sample(pid: u32, at: StdDuration) -> Option<Sample> {
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

pub fn clock_ticks() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

/// What the last scrape exposed: its bytes, its samples and the distinct
/// `principal` label values (the principal families keep `metrics.top_principals`
/// and `other`; a per-principal budget's gauges have one per principal).
#[derive(Default)]
pub struct Exposed {
    pub bytes: usize,
    pub samples: usize,
    pub principals: usize,
}

pub fn exposed(text: &str) -> Exposed {
    let samples = text.lines().filter(|l| l.starts_with("bedrock_")).count();
    let principals: std::collections::BTreeSet<&str> =
        text.split("principal=\"").skip(1).filter_map(|rest| rest.split('"').next()).collect();
    Exposed { bytes: text.len(), samples, principals: principals.len() }
}

/// What the daemon did during the run, from its log and data directory.
pub struct Activity {
    pub collections: usize,
    pub trail_runs: usize,
    pub errors: usize,
    pub scraped: usize,
    pub ledger_kib: u64,
    pub exposed: Exposed,
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

pub fn report(samples: &[Sample], ticks: u64, a: &Activity, exit: &str) {
    let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
        println!("rss: no samples");
        return;
    };
    let steady: Vec<&Sample> = samples.iter().filter(|s| s.at >= WARM_UP).collect();
    let mut rss: Vec<u64> = steady.iter().map(|s| s.rss_kib).collect();
    rss.sort_unstable();
    println!("# `run` against the emulator: RSS and CPU\n");
    println!(
        "samples: {} over {:.0?}; collections logged: {} (region-runs), CloudTrail: {} (region-runs); /metrics scrapes: {}; error log lines: {}; exit: {exit}; ledger {} KiB",
        samples.len(),
        last.at,
        a.collections,
        a.trail_runs,
        a.scraped,
        a.errors,
        a.ledger_kib,
    );
    println!(
        "last /metrics: {} KiB, {} bedrock_* samples, {} principal label values\n",
        a.exposed.bytes / 1024,
        a.exposed.samples,
        a.exposed.principals
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
