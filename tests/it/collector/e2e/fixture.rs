//! The fixture of the CloudWatch end-to-end tests: a job on a fresh SQLite
//! ledger with a manual clock, talking to the emulator, and the helpers that
//! compare what it wrote with the truth.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use bedrock_cost_monitor::bedrock::BedrockMetric;
use bedrock_cost_monitor::clock::{Clock, ManualClock, SystemClock};
use bedrock_cost_monitor::collector::{CloudWatchJob, CloudWatchJobConfig, RunReport};
use bedrock_cost_monitor::config::{self, Loaded};
use bedrock_cost_monitor::emulator::Emulator;
use bedrock_cost_monitor::ledger::sqlite::SqliteStore;
use bedrock_cost_monitor::ledger::Store;
use bedrock_cost_monitor::pricing::PointPricer;
use bedrock_cost_monitor::records::{CostTotal, Source};
use bedrock_cost_monitor::sim::SimDatum;
use bedrock_cost_monitor::sources::cloudwatch::{CloudWatchSource, MetricNames};
use bedrock_cost_monitor::telemetry::probe::request;
use chrono::{DateTime, Duration, TimeZone, Utc};
use tempfile::TempDir;

use crate::helpers;
use crate::helpers::daemon::{DaemonOptions, TestDaemon};
use crate::helpers::workload::{names, Truth, EAST, WEST};

pub const TIMEOUT: StdDuration = StdDuration::from_secs(10);
/// Attempts per AWS call: one retry, so an injected fault must hit twice.
pub const MAX_ATTEMPTS: u32 = 2;
pub const RESTATEMENT_MINUTES: u32 = 10;

/// The fixed "now" of the tests: minute-aligned, in the recent past.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap()
}

pub fn minutes(n: i64) -> Duration {
    Duration::minutes(n)
}

/// A job on a fresh SQLite ledger, its clock at [`now`], talking to the emulator.
pub struct Fixture {
    pub dir: Arc<TempDir>,
    pub endpoint: String,
    pub store: Arc<SqliteStore>,
    pub clock: Arc<ManualClock>,
    pub job: CloudWatchJob,
}

/// config/demo.toml aimed at the emulator and the fixture's data directory,
/// without the demo's invocation logs: this fixture seeds CloudWatch only,
/// and the logs job would wait for a log group only the demo creates.
pub fn load(endpoint: &str, data_dir: &Path) -> Loaded {
    let (endpoint, data_dir) = (endpoint.to_string(), data_dir.display().to_string());
    let env = move |k: &str| match k {
        "BCM_AWS_ENDPOINT_URL" => Some(endpoint.clone()),
        "BCM_DATA_DIR" => Some(data_dir.clone()),
        _ => None,
    };
    let mut loaded =
        config::load_with_env(&helpers::repo_root().join("config/demo.toml"), &env, SystemClock.now())
            .unwrap();
    loaded.config.sources.invocation_logs.regions.clear();
    loaded
}

pub async fn fixture(emu: &Emulator, backfill_hours: u32) -> Fixture {
    fixture_in(emu, backfill_hours, Arc::new(tempfile::tempdir().unwrap()), 0).await
}

/// The same ledger in a new job with its own clock and no memory: a restarted daemon.
pub async fn fixture_on(emu: &Emulator, backfill_hours: u32, fx: &Fixture) -> Fixture {
    fixture_in(emu, backfill_hours, fx.dir.clone(), 0).await
}

/// A job that also re-reads `deep_hours` once per UTC hour, on `dir`'s ledger.
pub async fn fixture_in(emu: &Emulator, backfill_hours: u32, dir: Arc<TempDir>, deep_hours: u32) -> Fixture {
    fixture_of(emu, backfill_hours, dir, deep_hours, names(), None).await
}

/// The bedrock-mantle usage job (AWS/BedrockMantle, its own watermark) on a fresh ledger.
pub async fn fixture_mantle(emu: &Emulator) -> Fixture {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    fixture_of(emu, 1, dir, 0, MetricNames::mantle(), Some(Source::Mantle)).await
}

async fn fixture_of(
    emu: &Emulator,
    backfill_hours: u32,
    dir: Arc<TempDir>,
    deep_hours: u32,
    names: MetricNames,
    ledger_source: Option<Source>,
) -> Fixture {
    let endpoint = emu.endpoint_url().to_string();
    let loaded = load(&endpoint, dir.path());
    let aws = config::types::AwsSection { max_attempts: MAX_ATTEMPTS, ..loaded.config.aws.clone() };
    let credentials = emu.sdk_config(EAST).await.credentials_provider();
    let mut clients = BTreeMap::new();
    for region in [EAST, WEST] {
        let sdk = bedrock_cost_monitor::aws::sdk_config(&aws, region, credentials.clone()).await;
        #[expect(
            clippy::disallowed_methods,
            reason = "the job under test reads the emulator, as the daemon would read AWS"
        )]
        clients.insert(region.to_string(), aws_sdk_cloudwatch::Client::new(&sdk));
    }
    let pricer = PointPricer::from_config(&loaded);
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let clock = Arc::new(ManualClock::new(now()));
    let job = CloudWatchJob::new(
        Arc::new(CloudWatchSource::new(clients, names.clone())),
        store.clone(),
        Arc::new(pricer),
        clock.clone(),
        CloudWatchJobConfig {
            regions: vec![EAST.into(), WEST.into()],
            restatement_minutes: RESTATEMENT_MINUTES,
            backfill_hours,
            deep_restatement_hours: deep_hours,
            names,
        },
    );
    let job = match ledger_source {
        Some(source) => job.with_metrics(&BedrockMetric::MANTLE, source),
        None => job,
    };
    Fixture { dir, endpoint, store, clock, job }
}

impl Fixture {
    pub async fn run_ok(&self) -> RunReport {
        let report = self.job.run_once().await;
        assert!(report.succeeded(), "run failed: {:?}", report.errors);
        report
    }

    pub async fn assert_ledger_is(&self, truth: &Truth) {
        assert_same_totals(&self.store.cost_totals().await.unwrap(), &truth.cost_totals());
    }

    pub async fn watermark(&self, region: &str) -> Option<DateTime<Utc>> {
        self.store.watermark(Source::CloudWatch, region).await.unwrap()
    }

    /// Runs the real daemon (`app::run`) on this ledger and clock, waits until
    /// it is ready (its start-up collection succeeded) and returns `/metrics`.
    pub async fn scrape_daemon(&self, emu: &Emulator) -> String {
        let options =
            DaemonOptions::new(load(&self.endpoint, self.dir.path()), self.clock.clone()).scheduled();
        let daemon = TestDaemon::spawn(emu, options).await;
        let metrics = request("GET", &format!("{}/metrics", daemon.base()), &[], &[], TIMEOUT).await.unwrap();
        daemon.shutdown().await;
        assert_eq!(metrics.status, 200);
        metrics.body_text()
    }
}

/// Equal totals, or a panic listing only the rows that differ.
pub fn assert_same_totals(ledger: &[CostTotal], truth: &[CostTotal]) {
    let extra: Vec<_> = ledger.iter().filter(|t| !truth.contains(t)).collect();
    let missing: Vec<_> = truth.iter().filter(|t| !ledger.contains(t)).collect();
    assert!(extra.is_empty() && missing.is_empty(), "ledger has {extra:#?}\ntruth has {missing:#?}");
    assert_eq!(ledger.len(), truth.len());
}

pub fn in_region<'a>(data: &'a [SimDatum], region: &'a str) -> impl Iterator<Item = &'a SimDatum> + 'a {
    data.iter().filter(move |d| d.region == region)
}

/// The first minute from `from` on where `model_id` has a datum of `metric`, and its sum.
pub fn minute_with(
    data: &[SimDatum],
    model_id: &str,
    metric: BedrockMetric,
    from: DateTime<Utc>,
) -> (DateTime<Utc>, u64) {
    data.iter()
        .filter(|d| d.model_id == model_id && d.metric == metric && d.minute >= from)
        .map(|d| (d.minute, d.sum as u64))
        .min()
        .unwrap_or_else(|| panic!("no {metric} datum of {model_id} from {from}"))
}
