//! Benchmark: AWS calls, metrics requested and the monthly self-cost of the
//! CloudWatch collection, per account-region.
//!
//! Drives the real `CloudWatchJob::run_once` (discovery TTL, planning,
//! watermarks, restatement, its own self-cost accounting) with a counting
//! fake `MetricSource`, a manual clock and an in-memory SQLite ledger: no AWS,
//! no emulator. The daemon's jobs are reproduced as `app::run` builds them
//! (usage metrics and detail metrics, each with its own schedule and
//! watermark), and every schedule is simulated over a 30-day month, tick by
//! tick, after a first start.
//!
//! Which series exist matters, because only those are requested. The fake's
//! `list_series` answers one of three profiles: every metric of every model
//! ID (the upper bound), every metric but `TimeToFirstToken` (streaming only)
//! and `LegacyModelInvocations` (legacy models only), or the series the
//! deterministic `sim` workload publishes.
//!
//! `cargo bench --bench collection`. Without `--bench` (as under `cargo test
//! --all-targets`) it runs a few cycles as a smoke test and exits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod source;
#[path = "../support/mod.rs"]
mod support;

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;

use bedrock_cost_monitor::bedrock::BedrockMetric;
use bedrock_cost_monitor::clock::{Clock, ManualClock, SystemClock};
use bedrock_cost_monitor::collector::{CloudWatchJob, CloudWatchJobConfig, RunReport};
use bedrock_cost_monitor::config::types::CloudWatchSource as CloudWatchConfig;
use bedrock_cost_monitor::ledger::sqlite::SqliteStore;
use bedrock_cost_monitor::pricing::PointPricer;
use bedrock_cost_monitor::records::Source;
use bedrock_cost_monitor::sources::cloudwatch::MetricNames;
use source::{existing_series, CountingSource, Profile};

pub const REGIONS: [&str; 2] = ["us-east-1", "us-west-2"];
/// $0.01 per 1,000: GetMetricData per metric requested, ListMetrics per request.
const USD_PER_UNIT: Decimal = Decimal::from_parts(1, 0, 0, false, 5);
/// ListMetrics returns at most 500 metrics per page.
pub const LIST_PAGE: u64 = 500;
const MONTH_MINUTES: i64 = 30 * 24 * 60;
/// The clock moves in steps of this many minutes (every schedule here is a multiple).
const STEP_MIN: i64 = 5;

/// One collection job as the daemon schedules it.
#[derive(Clone, Debug)]
struct JobSpec {
    name: &'static str,
    metrics: Vec<BedrockMetric>,
    ledger_source: Source,
    /// Runs when minutes since the hour-aligned start ≡ offset (mod interval).
    interval_min: i64,
    offset_min: i64,
    restatement_min: u32,
}

impl JobSpec {
    fn usage(interval_min: i64, restatement_min: u32) -> Self {
        JobSpec {
            name: "usage",
            metrics: BedrockMetric::USAGE.to_vec(),
            ledger_source: Source::CloudWatch,
            interval_min,
            offset_min: 0,
            restatement_min,
        }
    }

    /// Hourly at minute 5 is the shipped `detail_schedule` ("0 5 * * * *").
    fn detail(interval_min: i64, restatement_min: u32) -> Self {
        JobSpec {
            name: "detail",
            metrics: BedrockMetric::detail(),
            ledger_source: Source::CloudWatchDetail,
            interval_min,
            offset_min: 5,
            restatement_min,
        }
    }

    /// The bedrock-mantle usage job: AWS/BedrockMantle on the usage schedule.
    fn mantle() -> Self {
        JobSpec {
            name: "mantle",
            metrics: BedrockMetric::MANTLE.to_vec(),
            ledger_source: Source::Mantle,
            interval_min: 15,
            offset_min: 0,
            restatement_min: 20,
        }
    }

    /// One job for every metric: the schedule before usage and detail were split.
    fn single(interval_min: i64, restatement_min: u32) -> Self {
        JobSpec {
            name: "all metrics",
            metrics: BedrockMetric::ALL.to_vec(),
            ledger_source: Source::CloudWatch,
            interval_min,
            offset_min: 0,
            restatement_min,
        }
    }

    fn schedule(&self) -> String {
        match (self.interval_min, self.offset_min) {
            (m, 0) if m < 60 => format!("every {m} min"),
            (m, o) if m < 60 => format!("every {m} min, +{o}"),
            (m, o) => format!("every {} h at :{o:02}", m / 60),
        }
    }
}

/// Counts of one job over both regions.
#[derive(Clone, Debug, Default)]
struct JobTotals {
    runs: u64,
    get_calls: u64,
    metrics: u64,
    list_requests: u64,
    /// What the job itself accounted (`RunReport::api_cost_usd`), exact.
    cost: Decimal,
    max_window_min: u64,
}

struct Simulation {
    first_start: JobTotals,
    month: Vec<(JobSpec, JobTotals)>,
    pages: u64,
}

fn line_pricer() -> Arc<PointPricer> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/monitor.toml");
    let loaded = bedrock_cost_monitor::config::load_with_env(&path, &|_| None, SystemClock.now())
        .expect("shipped config loads");
    Arc::new(PointPricer::from_config(&loaded))
}

pub fn start_instant() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap()
}

fn add(t: &mut JobTotals, report: &RunReport, source: &CountingSource) {
    assert!(report.succeeded(), "{:?}", report.errors);
    let count = |api: &str| -> u64 { report.requests.iter().filter(|r| r.api == api).map(|r| r.count).sum() };
    let metrics: u64 = report.regions.iter().map(|r| r.metrics_requested).sum();
    // The job's own self-cost is exactly what the counts say.
    assert_eq!(report.api_cost_usd, Decimal::from(metrics + count("ListMetrics")) * USD_PER_UNIT);
    t.runs += 1;
    t.get_calls += count("GetMetricData");
    t.metrics += metrics;
    t.list_requests += count("ListMetrics");
    t.cost += report.api_cost_usd;
    t.max_window_min = t.max_window_min.max(source.window.swap(0, Ordering::Relaxed));
}

/// Every job runs at start (as the daemon does), then on its schedule for `minutes`.
fn simulate(
    rt: &tokio::runtime::Runtime,
    models: usize,
    profile: Profile,
    specs: &[JobSpec],
    minutes: i64,
) -> Simulation {
    let source = Arc::new(CountingSource::new(models, profile));
    simulate_with(rt, source, MetricNames::documented(), specs, minutes)
}

/// The jobs of `specs` against `source`, which lists series named by `names`.
fn simulate_with(
    rt: &tokio::runtime::Runtime,
    source: Arc<CountingSource>,
    names: MetricNames,
    specs: &[JobSpec],
    minutes: i64,
) -> Simulation {
    let clock = Arc::new(ManualClock::new(start_instant()));
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    let pricer = line_pricer();
    let jobs: Vec<CloudWatchJob> = specs
        .iter()
        .map(|s| {
            CloudWatchJob::new(
                source.clone(),
                store.clone(),
                pricer.clone(),
                clock.clone(),
                CloudWatchJobConfig {
                    regions: REGIONS.iter().map(|r| (*r).to_string()).collect(),
                    restatement_minutes: s.restatement_min,
                    backfill_hours: 24,
                    deep_restatement_hours: CloudWatchConfig::default().deep_restatement_hours,
                    names: names.clone(),
                },
            )
            .with_metrics(&s.metrics, s.ledger_source)
        })
        .collect();
    let mut first_start = JobTotals::default();
    for job in &jobs {
        add(&mut first_start, &rt.block_on(job.run_once()), &source);
    }
    let mut month: Vec<(JobSpec, JobTotals)> =
        specs.iter().map(|s| (s.clone(), JobTotals::default())).collect();
    let mut t = 0;
    while t < minutes {
        t += STEP_MIN;
        clock.advance(Duration::minutes(STEP_MIN));
        for (job, (spec, totals)) in jobs.iter().zip(month.iter_mut()) {
            if t.rem_euclid(spec.interval_min) == spec.offset_min.rem_euclid(spec.interval_min) {
                add(totals, &rt.block_on(job.run_once()), &source);
            }
        }
    }
    // The fake's counters agree with the jobs' own reports.
    let all = |f: fn(&JobTotals) -> u64| month.iter().map(|(_, t)| f(t)).sum::<u64>() + f(&first_start);
    assert_eq!(all(|t| t.metrics), source.metrics.load(Ordering::Relaxed));
    assert_eq!(all(|t| t.get_calls), source.get_calls.load(Ordering::Relaxed));
    assert_eq!(all(|t| t.list_requests), source.list_calls.load(Ordering::Relaxed));
    Simulation { first_start, month, pages: source.list_pages() }
}

fn per_region(n: u64) -> u64 {
    n / REGIONS.len() as u64
}

fn per_region_usd(d: Decimal) -> Decimal {
    (d / Decimal::from(REGIONS.len())).normalize()
}

fn month_cost(sim: &Simulation) -> Decimal {
    per_region_usd(sim.month.iter().map(|(_, t)| t.cost).sum())
}

fn print_detail(models: usize, profile: Profile, series: usize, sim: &Simulation) {
    for (spec, t) in &sim.month {
        let overlap = i64::try_from(t.max_window_min).unwrap() - spec.interval_min;
        println!(
            "| {models} | {} ({series}) | {} | {} | {} min | {} min | {} min | {} | {} | {} | {} | {} | {} |",
            profile.name(),
            spec.name,
            spec.schedule(),
            spec.restatement_min,
            t.max_window_min,
            overlap.max(0),
            per_region(t.get_calls) / t.runs.max(1),
            per_region(t.metrics) / t.runs.max(1),
            t.runs,
            per_region(t.metrics),
            per_region(t.list_requests),
            per_region_usd(t.cost),
        );
    }
    println!("| {models} | {} | **total** | | | | | | | | | | **{}** |", profile.name(), month_cost(sim));
}

fn options() -> Vec<(&'static str, Vec<JobSpec>)> {
    vec![
        (
            "usage every 15 min + detail every 2 h [CURRENT DEFAULT]",
            vec![JobSpec::usage(15, 20), JobSpec::detail(120, 20)],
        ),
        (
            "usage every 15 min + detail hourly [PREVIOUS DEFAULT]",
            vec![JobSpec::usage(15, 20), JobSpec::detail(60, 20)],
        ),
        (
            "same, detail restatement 80 min (re-reads late detail)",
            vec![JobSpec::usage(15, 20), JobSpec::detail(60, 80)],
        ),
        ("usage every 20 min + detail hourly", vec![JobSpec::usage(20, 30), JobSpec::detail(60, 80)]),
        ("usage every 30 min + detail hourly", vec![JobSpec::usage(30, 40), JobSpec::detail(60, 80)]),
        ("usage every 15 min, detail disabled", vec![JobSpec::usage(15, 20)]),
        ("usage every 10 min + detail every 6 h", vec![JobSpec::usage(10, 20), JobSpec::detail(360, 380)]),
        ("usage every 5 min + detail hourly", vec![JobSpec::usage(5, 20), JobSpec::detail(60, 80)]),
        ("one job, all metrics, every 5 min [FIRST DEFAULT]", vec![JobSpec::single(5, 20)]),
        ("one job, all metrics, every 30 min", vec![JobSpec::single(30, 40)]),
        ("one job, all metrics, every 60 min", vec![JobSpec::single(60, 80)]),
    ]
}

/// The bedrock-mantle job's month, for 10 models called from 1 and 3 projects,
/// next to the default runtime jobs' total for 10 models.
fn mantle(rt: &tokio::runtime::Runtime) {
    println!("\nbedrock-mantle (AWS/BedrockMantle, every series of every level that has a Model):\n");
    println!("| models × projects | series read | metrics requested/run | runs/month | mantle $/month | with the runtime default (10 ModelIds, every metric) |");
    println!("|---|---:|---:|---:|---:|---:|");
    let runtime = month_cost(&simulate(rt, 10, Profile::Every, &options()[0].1, MONTH_MINUTES));
    for projects in [1usize, 3] {
        let series = source::mantle_series(10, projects);
        let n = series.len();
        let source = Arc::new(CountingSource::with_series(series));
        let sim = simulate_with(rt, source, MetricNames::mantle(), &[JobSpec::mantle()], MONTH_MINUTES);
        let (_, t) = &sim.month[0];
        let cost = month_cost(&sim);
        println!(
            "| 10 × {projects} | {n} | {} | {} | {cost} | {} |",
            // Each run covers every region: per region and run.
            per_region(t.metrics) / t.runs.max(1),
            t.runs,
            runtime + cost
        );
    }
}

fn main() {
    let real = support::measuring();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    if !real {
        // Smoke test (cargo test): the default jobs over a few hours.
        let sim = simulate(&rt, 10, Profile::Every, &options()[0].1, 3 * 60);
        assert!(sim.month.iter().all(|(_, t)| t.runs > 0));
        let mantle = Arc::new(CountingSource::with_series(source::mantle_series(2, 2)));
        let sim = simulate_with(&rt, mantle, MetricNames::mantle(), &[JobSpec::mantle()], 60);
        assert!(sim.month[0].1.metrics > 0, "the mantle job requests its series");
        println!(
            "collection: smoke run ok (pass --bench, e.g. `cargo bench --bench collection`, to measure)"
        );
        return;
    }
    let started = std::time::Instant::now();
    println!("# CloudWatch self-cost per account-region (30-day month; {} regions simulated, figures per region)\n", REGIONS.len());
    println!("## The shipped default, job by job (real jobs, tick by tick)\n");
    println!("| ModelIds | series exist (count) | job | schedule | restatement | window read | re-read overlap | GetMetricData calls/run | metrics requested/run | runs/month | metrics requested/month | ListMetrics requests/month | $/month (exact) |");
    println!("|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let default = &options()[0].1;
    let previous = &options()[8].1;
    let mut first_starts = Vec::new();
    for models in [10usize, 50] {
        for profile in [Profile::Every, Profile::NoTtftNoLegacy, Profile::Sim] {
            let series = existing_series(models, profile).len();
            let sim = simulate(&rt, models, profile, default, MONTH_MINUTES);
            print_detail(models, profile, series, &sim);
            first_starts.push((models, profile, sim.first_start.clone(), sim.pages));
        }
        let sim = simulate(&rt, models, Profile::Every, previous, MONTH_MINUTES);
        print_detail(models, Profile::Every, existing_series(models, Profile::Every).len(), &sim);
    }
    mantle(&rt);
    println!("\nFirst start (both default jobs, 24 h backfill), per region:\n");
    println!("| ModelIds | series exist | GetMetricData calls | metrics requested | ListMetrics requests (pages each) | $ |");
    println!("|---:|---|---:|---:|---:|---:|");
    for (models, profile, t, pages) in first_starts {
        println!(
            "| {models} | {} | {} | {} | {} ({pages}) | {} |",
            profile.name(),
            per_region(t.get_calls),
            per_region(t.metrics),
            per_region(t.list_requests),
            per_region_usd(t.cost)
        );
    }

    println!("\n## Options (real jobs, tick by tick; restatement ≥ interval + 20 min unless noted)\n");
    println!("| option | 10 ModelIds, every metric exists: $/month | ≤ $2? | 10 ModelIds, all but TTFT/legacy | 10 ModelIds, sim workload | 50 ModelIds, every metric |");
    println!("|---|---:|:---:|---:|---:|---:|");
    let target = Decimal::from(2);
    for (name, specs) in options() {
        let every = month_cost(&simulate(&rt, 10, Profile::Every, &specs, MONTH_MINUTES));
        let typical = month_cost(&simulate(&rt, 10, Profile::NoTtftNoLegacy, &specs, MONTH_MINUTES));
        let sim = month_cost(&simulate(&rt, 10, Profile::Sim, &specs, MONTH_MINUTES));
        let fifty = month_cost(&simulate(&rt, 50, Profile::Every, &specs, MONTH_MINUTES));
        let ok = if every <= target { "yes" } else { "no" };
        println!("| {name} | {every} | {ok} | {typical} | {sim} | {fifty} |");
    }
    eprintln!("collection: simulated in {:.1?}", started.elapsed());
}
