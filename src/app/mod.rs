//! The daemon (`run`): builds every component from the configuration, starts
//! the HTTP server and the scheduler, and drains on SIGTERM/SIGINT. With
//! `scheduler.rs`, the only place that spawns tasks.
//!
//! Must not contain domain logic: it wires sources, pricing, ledger and
//! telemetry together and nothing else.

mod collect;
mod hooks;
pub mod signals;
mod snapshot;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cloudwatch::config::SharedCredentialsProvider;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::bedrock::BedrockMetric;
use crate::clock::Clock;
use crate::collector::{CloudWatchJob, CloudWatchJobConfig, LinePricer};
use crate::config::{Loaded, StoreKind};
use crate::ledger::sqlite::SqliteStore;
use crate::ledger::{Source, Store};
use crate::scheduler::{ScheduledJob, Scheduler};
use crate::sources::cloudwatch::CloudWatchSource;
use crate::sources::MetricNames;
use crate::telemetry::http::{router, serve, HttpState};
use crate::telemetry::ledger_collector::LedgerCollector;
use crate::telemetry::readiness::Readiness;
use crate::telemetry::self_metrics::{self, SelfMetrics};
use crate::telemetry::snapshot::Snapshot;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("ledger: {0}")]
    Store(#[from] crate::ledger::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: String, source: std::io::Error },
    #[error("metrics registry: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("store.kind = \"dynamodb\" is not available in this version; use \"sqlite\"")]
    StoreUnavailable,
    #[error("HTTP server: {0}")]
    Http(std::io::Error),
}

/// How the daemon is embedded: production passes defaults; the demo and
/// tests inject credentials, a listener on a free port and their own stop signal.
pub struct RunOptions {
    pub clock: Arc<dyn Clock>,
    pub credentials: Option<SharedCredentialsProvider>,
    pub listener: Option<TcpListener>,
    /// Turns true to stop; `signals::watch_signals` feeds it from SIGTERM/SIGINT.
    pub shutdown: watch::Receiver<bool>,
}

/// Runs the daemon until `options.shutdown` turns true.
pub async fn run(loaded: Loaded, options: RunOptions) -> Result<(), AppError> {
    let config = &loaded.config;
    let store: Arc<dyn Store> = match config.store.kind {
        StoreKind::Sqlite => Arc::new(SqliteStore::open(&config.monitor.data_dir)?),
        StoreKind::Dynamodb => return Err(AppError::StoreUnavailable),
    };
    let pricer = Arc::new(LinePricer {
        table: loaded.prices.clone(),
        app_profiles: config.pricing.application_profiles.clone(),
        cache_write_ttl: config.pricing.cache_write_ttl,
        cache_write_ttl_by_model: config.pricing.cache_write_ttl_by_model.clone(),
    });
    let registry = prometheus::Registry::new();
    let metrics = Arc::new(SelfMetrics::new(&registry, options.clock.clone())?);
    metrics.set_leader(true);
    let shared = Snapshot::shared();
    registry.register(Box::new(LedgerCollector::new(shared.clone())?))?;
    snapshot::refresh(store.as_ref(), &pricer, &shared, options.clock.now()).await?;

    let readiness = Arc::new(Readiness::new(options.clock.clone()));
    readiness.set_config_loaded(true);
    let ctx = JobContext {
        store: store.clone(),
        pricer: pricer.clone(),
        metrics: metrics.clone(),
        readiness: readiness.clone(),
        snapshot: shared.clone(),
        clock: options.clock.clone(),
    };
    let jobs = cloudwatch_jobs(&loaded, options.credentials.clone(), &ctx).await;

    let listener = match options.listener {
        Some(l) => l,
        None => TcpListener::bind(config.http.listen)
            .await
            .map_err(|source| AppError::Listen { addr: config.http.listen.to_string(), source })?,
    };
    let app = router(HttpState { registry, readiness });
    let mut http_stop = options.shutdown.clone();
    let http = tokio::spawn(serve(listener, app, async move {
        let _ = http_stop.wait_for(|s| *s).await;
    }));

    let scheduler = Scheduler {
        jobs,
        timezone: config.monitor.timezone.0,
        clock: options.clock.clone(),
        hooks: Arc::new(hooks::TelemetryHooks(metrics)),
    };
    let deadline = Duration::from_secs(config.monitor.shutdown_deadline_secs);
    scheduler.run(options.shutdown.clone(), deadline).await;
    tracing::info!("scheduler stopped; closing the HTTP server");
    match tokio::time::timeout(Duration::from_secs(5), http).await {
        Ok(Ok(result)) => result.map_err(AppError::Http),
        _ => Ok(()),
    }
}

/// What every collection job shares.
struct JobContext {
    store: Arc<dyn Store>,
    pricer: Arc<LinePricer>,
    metrics: Arc<SelfMetrics>,
    readiness: Arc<Readiness>,
    snapshot: crate::telemetry::snapshot::SharedSnapshot,
    clock: Arc<dyn Clock>,
}

/// The usage job (tokens, invocations: often) and the detail job (latency,
/// errors, throttles, quota: rarely), each with its own schedule and watermark.
async fn cloudwatch_jobs(
    loaded: &Loaded,
    credentials: Option<SharedCredentialsProvider>,
    ctx: &JobContext,
) -> Vec<ScheduledJob> {
    let config = &loaded.config;
    let cw = &config.sources.cloudwatch;
    let tiers = [
        (
            self_metrics::Job::CLOUDWATCH,
            Source::CloudWatch,
            BedrockMetric::USAGE.to_vec(),
            cw.enabled,
            &cw.schedule,
        ),
        (
            self_metrics::Job::CLOUDWATCH_DETAIL,
            Source::CloudWatchDetail,
            BedrockMetric::detail(),
            cw.enabled && cw.detail_enabled,
            &cw.detail_schedule,
        ),
    ];
    let source: Arc<dyn crate::sources::MetricSource> =
        Arc::new(cloudwatch_source(loaded, credentials).await);
    let mut jobs = Vec::new();
    for (name, ledger_source, metrics, enabled, schedule) in tiers {
        ctx.readiness.add_job(name, enabled, interval(schedule, config, &*ctx.clock));
        if !enabled {
            continue;
        }
        let job = CloudWatchJob::new(
            source.clone(),
            ctx.store.clone(),
            ctx.pricer.clone(),
            ctx.clock.clone(),
            CloudWatchJobConfig {
                regions: config.monitor.regions.clone(),
                restatement_minutes: cw.restatement_minutes,
                backfill_hours: cw.backfill_hours,
            },
        )
        .with_metrics(&metrics, ledger_source);
        let collect = collect::CollectCloudWatch {
            name,
            ledger_source,
            job,
            store: ctx.store.clone(),
            pricer: ctx.pricer.clone(),
            metrics: ctx.metrics.clone(),
            readiness: ctx.readiness.clone(),
            snapshot: ctx.snapshot.clone(),
            clock: ctx.clock.clone(),
            warned_unpriced: Default::default(),
        };
        jobs.push(ScheduledJob { job: Arc::new(collect), schedule: schedule.clone(), run_at_start: true });
    }
    jobs
}

async fn cloudwatch_source(
    loaded: &Loaded,
    credentials: Option<SharedCredentialsProvider>,
) -> CloudWatchSource {
    let mut clients = BTreeMap::new();
    for region in &loaded.config.monitor.regions {
        let sdk = crate::aws::sdk_config(&loaded.config.aws, region, credentials.clone()).await;
        clients.insert(region.clone(), aws_sdk_cloudwatch::Client::new(&sdk));
    }
    CloudWatchSource::new(clients, MetricNames::from_config(&loaded.config.sources.cloudwatch))
}

/// The gap between the next two runs of a schedule: readiness allows two of them.
fn interval(
    schedule: &crate::config::CronSchedule,
    config: &crate::config::Config,
    clock: &dyn Clock,
) -> chrono::TimeDelta {
    let runs = schedule.next_runs(clock.now(), &config.monitor.timezone.0, 2);
    match runs.as_slice() {
        [a, b] => b.signed_duration_since(a),
        _ => chrono::TimeDelta::hours(24),
    }
}
