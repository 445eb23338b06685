//! Benchmark: backfilling CloudWatch's whole 1-minute retention (15 days) for
//! many ModelIds into the SQLite ledger, from recorded responses.
//!
//! The responses are generated before timing with the deterministic workload
//! of `sim` (same day shape, gaps, throttles, latency sum + sample count) for
//! `BCM_BENCH_MODELS` model IDs (default 50) in one region, and served by a
//! fake `MetricSource` that lists the series that have data and slices them
//! by each planned call's window. The timed part is what the daemon does on
//! its first start: one `run_once` of the usage job and one of the detail job
//! (`app::run` builds both), with `backfill_hours` = `BCM_BENCH_HOURS`
//! (default 360 = 15 days): planning, assembling, pricing every token point,
//! and writing every day-chunk to a `SqliteStore` in a temporary directory. Time spent inside the fake source (copying the
//! recorded slices) is measured and reported separately.
//!
//! `cargo bench --bench backfill`; `BCM_BENCH_REPS` repeats (fresh ledger each
//! time, default 1). `BCM_BENCH_KEEP=<empty dir>` writes the ledger there
//! instead and keeps it, e.g. to time `report` on a full ledger. Without `--bench` (as under `cargo test --all-targets`)
//! it backfills two hours of two model IDs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone, Utc};

use bedrock_cost_monitor::bedrock::BedrockMetric;
use bedrock_cost_monitor::clock::{Clock, ManualClock, SystemClock};
use bedrock_cost_monitor::collector::{CloudWatchJob, CloudWatchJobConfig};
use bedrock_cost_monitor::ledger::sqlite::SqliteStore;
use bedrock_cost_monitor::pricing::PointPricer;
use bedrock_cost_monitor::records::Source;
use bedrock_cost_monitor::sim::{datums, SimSeries};
use bedrock_cost_monitor::sources::cloudwatch::plan::{Call, Stat};
use bedrock_cost_monitor::sources::cloudwatch::{ListedSeries, MetricNames, QueryResult};
use bedrock_cost_monitor::sources::{Listing, MetricSource, RequestCount, SeriesListing, SourceError};

const REGION: &str = "us-east-1";
/// CloudWatch keeps 1-minute datapoints for 15 days.
const RETENTION_MINUTES: i64 = 15 * 24 * 60;

/// A sim series per model ID, with varied traffic; half use prompt caching.
fn workload(n: usize) -> Vec<SimSeries> {
    bedrock_cost_monitor::sim::varied_series(REGION, support::model_ids(REGION, n))
}

/// One recorded series: ascending minutes and their values.
#[derive(Default)]
struct Recorded {
    minutes: Vec<DateTime<Utc>>,
    values: Vec<f64>,
}

type SeriesKey = (String, BedrockMetric, Stat);

/// Serves recorded responses: each query gets its series' datapoints inside the call's window.
struct RecordedSource {
    model_ids: Vec<String>,
    series: HashMap<SeriesKey, Recorded>,
    fetch_nanos: AtomicU64,
    calls: AtomicU64,
}

#[async_trait]
impl MetricSource for RecordedSource {
    async fn list_model_ids(&self, _region: &str) -> Result<Listing, SourceError> {
        Ok(Listing { model_ids: self.model_ids.clone(), requests: 1 })
    }

    /// What ListMetrics would list: the (model ID, metric) pairs with data.
    async fn list_series(&self, _region: &str) -> Result<SeriesListing, SourceError> {
        let names = MetricNames::documented();
        let series: BTreeSet<ListedSeries> =
            self.series.keys().map(|(id, metric, _)| ListedSeries::plain(&names, id, *metric)).collect();
        Ok(SeriesListing { series: series.into_iter().collect(), unknown: Default::default(), requests: 1 })
    }

    async fn fetch(
        &self,
        _region: &str,
        call: &Call,
    ) -> Result<(BTreeMap<usize, QueryResult>, RequestCount), SourceError> {
        let started = Instant::now();
        let mut results = BTreeMap::new();
        for (i, s) in call.series.iter().enumerate() {
            let mut result = QueryResult::default();
            if let Some(r) = self.series.get(&(s.listed.model_id.clone(), s.listed.metric, s.stat)) {
                let from = r.minutes.partition_point(|m| *m < call.start);
                let to = r.minutes.partition_point(|m| *m < call.end);
                result.timestamps = r.minutes[from..to].to_vec();
                result.values = r.values[from..to].to_vec();
            }
            results.insert(i, result);
        }
        let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.fetch_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.calls.fetch_add(1, Ordering::Relaxed);
        let count = RequestCount { requests: 1, metrics_requested: call.series.len() as u64 };
        Ok((results, count))
    }
}

/// Generates `[end - 15 days, end)` for every series, a day at a time.
fn record(series: &[SimSeries], end: DateTime<Utc>, minutes: i64) -> (HashMap<SeriesKey, Recorded>, usize) {
    let mut out: HashMap<SeriesKey, Recorded> = HashMap::new();
    let mut values = 0;
    let start = end - Duration::minutes(minutes);
    for s in series {
        let mut day = start;
        while day < end {
            let day_end = (day + Duration::days(1)).min(end);
            for d in datums(s, day, day_end) {
                let sum = out.entry((d.model_id.clone(), d.metric, Stat::Sum)).or_default();
                sum.minutes.push(d.minute);
                sum.values.push(d.sum);
                values += 1;
                if let Some(count) = d.count {
                    let c = out.entry((d.model_id.clone(), d.metric, Stat::SampleCount)).or_default();
                    c.minutes.push(d.minute);
                    c.values.push(count);
                    values += 1;
                }
            }
            day = day_end;
        }
    }
    (out, values)
}

fn line_pricer() -> Arc<PointPricer> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/monitor.toml");
    let loaded = bedrock_cost_monitor::config::load_with_env(&path, &|_| None, SystemClock.now())
        .expect("shipped config loads");
    Arc::new(PointPricer::from_config(&loaded))
}

/// Sizes of the ledger file and its write-ahead log.
fn ledger_sizes(dir: &Path) -> (u64, u64) {
    let size = |name: &str| std::fs::metadata(dir.join(name)).map(|m| m.len()).unwrap_or(0);
    (size("ledger.sqlite"), size("ledger.sqlite-wal"))
}

/// `VmHWM` of this process in KiB (Linux), for the memory the run needed.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[allow(clippy::float_arithmetic)]
fn rate(n: usize, d: StdDuration) -> f64 {
    n as f64 / d.as_secs_f64()
}

#[allow(clippy::float_arithmetic)]
fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn main() {
    let real = support::measuring();
    let (models, hours, reps) = if real {
        (
            support::env_or("BCM_BENCH_MODELS", 50) as usize,
            support::env_or("BCM_BENCH_HOURS", 360),
            support::env_or("BCM_BENCH_REPS", 1),
        )
    } else {
        (2, 2, 1)
    };
    // 00:00:30 so the last complete minute is 23:59; the window is what the job reads.
    let now = Utc.with_ymd_and_hms(2026, 3, 16, 0, 0, 30).unwrap();
    let end = bedrock_cost_monitor::clock::floor_minute(now);
    let minutes = (i64::from(hours) * 60).min(RETENTION_MINUTES);
    let series = workload(models);

    let generated = Instant::now();
    let (recorded, values) = record(&series, end, minutes);
    let generation = generated.elapsed();
    let source = Arc::new(RecordedSource {
        model_ids: series.iter().map(|s| s.model_id.clone()).collect(),
        series: recorded,
        fetch_nanos: AtomicU64::new(0),
        calls: AtomicU64::new(0),
    });
    if real {
        println!(
            "# Backfill from recorded responses: {models} ModelIds x {hours} h (1 region) into SQLite\n"
        );
        println!(
            "Recorded {values} datapoint values in {generation:.2?} (not timed below); peak RSS so far {} KiB\n",
            peak_rss_kib().unwrap_or(0)
        );
        println!("| rep | wall (usage + detail job) | of which fake source | GetMetricData calls | points inserted | cost lines written | rows | rows/s | ledger + WAL after the run | ledger closed | peak RSS of bench |");
        println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    for rep in 1..=reps.max(1) {
        let row = backfill_once(&rt, &source, now, hours);
        if real {
            println!("{}", row.markdown(rep, source.calls.load(Ordering::Relaxed)));
        }
    }
    if !real {
        println!("backfill: smoke run ok (pass --bench, e.g. `cargo bench --bench backfill`, to measure)");
    }
}

/// What one backfill into a fresh ledger measured.
struct Rep {
    walls: Vec<StdDuration>,
    fetch: StdDuration,
    points: usize,
    lines: usize,
    db_open: u64,
    wal_open: u64,
    db_closed: u64,
}

impl Rep {
    fn markdown(&self, rep: u32, calls: u64) -> String {
        let wall: StdDuration = self.walls.iter().sum();
        let rows = self.points + self.lines;
        format!(
            "| {rep} | {wall:.2?} ({:.2?} + {:.2?}) | {:.2?} | {calls} | {} | {} | {rows} | {:.0} | {:.1} + {:.1} MiB | {:.1} MiB | {} KiB |",
            self.walls[0],
            self.walls[1],
            self.fetch,
            self.points,
            self.lines,
            rate(rows, wall),
            mib(self.db_open),
            mib(self.wal_open),
            mib(self.db_closed),
            peak_rss_kib().unwrap_or(0),
        )
    }
}

/// The daemon's two jobs on first start, usage then detail (each its own
/// watermark), into a fresh ledger in a temporary directory (or `BCM_BENCH_KEEP`).
fn backfill_once(
    rt: &tokio::runtime::Runtime,
    source: &Arc<RecordedSource>,
    now: DateTime<Utc>,
    hours: u32,
) -> Rep {
    source.fetch_nanos.store(0, Ordering::Relaxed);
    source.calls.store(0, Ordering::Relaxed);
    let end = bedrock_cost_monitor::clock::floor_minute(now);
    let temp = tempfile::tempdir().unwrap();
    let dir = std::env::var_os("BCM_BENCH_KEEP").map_or_else(|| temp.path().to_path_buf(), PathBuf::from);
    let store = Arc::new(SqliteStore::open(&dir).unwrap());
    let tiers = [
        (BedrockMetric::USAGE.to_vec(), Source::CloudWatch),
        (BedrockMetric::detail(), Source::CloudWatchDetail),
    ];
    let jobs: Vec<CloudWatchJob> = tiers
        .iter()
        .map(|(metrics, ledger_source)| {
            let config = CloudWatchJobConfig {
                regions: vec![REGION.to_string()],
                restatement_minutes: 20,
                backfill_hours: hours,
                deep_restatement_hours: 0,
                names: MetricNames::documented(),
            };
            let clock = Arc::new(ManualClock::new(now));
            CloudWatchJob::new(source.clone(), store.clone(), line_pricer(), clock, config)
                .with_metrics(metrics, *ledger_source)
        })
        .collect();
    drop(store);
    let (mut points, mut lines, mut walls) = (0, 0, Vec::new());
    for job in &jobs {
        let started = Instant::now();
        let report = rt.block_on(job.run_once());
        walls.push(started.elapsed());
        assert!(report.succeeded(), "{:?}", report.errors);
        let r = &report.regions[0];
        assert_eq!(r.watermark, Some(end));
        assert!(r.points_inserted > 0 && r.points_revised == 0);
        points += r.points_inserted;
        lines += r.lines_written;
    }
    let fetch = StdDuration::from_nanos(source.fetch_nanos.load(Ordering::Relaxed));
    let (db_open, wal_open) = ledger_sizes(&dir);
    // Closing the only connection checkpoints the WAL into the file.
    drop(jobs);
    let (db_closed, _) = ledger_sizes(&dir);
    Rep { walls, fetch, points, lines, db_open, wal_open, db_closed }
}
