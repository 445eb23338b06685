//! Building the daemon's parts from the configuration: the store, the alert
//! sink, the metrics registry, leadership, the budget board and evaluator,
//! and the list of scheduled jobs with their schedules and roles.

use std::sync::Arc;

use chrono::TimeDelta;

use super::alerts_job::AlertsJob;
use super::collect::CollectCloudWatch;
use super::digest::DigestJob;
use super::evaluate::Evaluator;
use super::follow::Follower;
use super::leader::{default_holder, LeaderOnly, Leadership};
use super::snapshot::Refresher;
use super::trail::CollectCloudTrail;
use super::{AppError, RunOptions};
use crate::alerts::Dispatcher;
use crate::aws::AwsConfig;
use crate::bedrock::BedrockMetric;
use crate::clock::Clock;
use crate::collector::{Attributor, CloudTrailJob, CloudTrailJobConfig, CloudWatchJob, CloudWatchJobConfig};
use crate::config::{CronSchedule, Loaded, StoreKind};
use crate::ledger::Backend;
use crate::pricing::PointPricer;
use crate::records::Source;
use crate::scheduler::{Job, JobName, ScheduledJob, Wake};
use crate::sources::cloudtrail::CloudTrailSource;
use crate::sources::cloudwatch::{CloudWatchSource, MetricNames};
use crate::sources::MetricSource;
use crate::telemetry::self_metrics::SelfMetrics;
use crate::telemetry::snapshot::Snapshot;
use crate::telemetry::{self, Readiness, Role, SharedBudgetBoard};

/// Everything the jobs and the HTTP server share.
pub struct Components {
    pub store: Arc<dyn Backend>,
    pub pricer: Arc<PointPricer>,
    pub registry: prometheus::Registry,
    pub metrics: Arc<SelfMetrics>,
    pub readiness: Arc<Readiness>,
    pub leadership: Arc<Leadership>,
    pub board: SharedBudgetBoard,
    pub refresher: Arc<Refresher>,
    pub dispatcher: Arc<Dispatcher>,
    pub evaluator: Arc<Evaluator>,
    /// Set when CloudTrail or the invocation logs are on: cost is split per principal.
    pub attributor: Option<Arc<Attributor>>,
    pub clock: Arc<dyn Clock>,
    /// The AWS configuration every client derives its region's from: the
    /// monitored account's for the sources, the own account's for the rest.
    pub aws: AwsConfig,
    /// The primary account's label, the member accounts and every shard.
    pub accounts: super::accounts::Accounts,
    /// The usage collection's early-run trigger, with wake-ups on.
    pub wake: Option<Arc<Wake>>,
    /// The bedrock-mantle usage job's, with wake-ups on and mantle collected.
    pub wake_mantle: Option<Arc<Wake>>,
    /// With shared shards: this replica's shard leases and the set it owns.
    pub shards: Option<Arc<super::shards::ShardKeeper>>,
    /// Turns true when the daemon must stop to be restarted with a changed
    /// organisation (`org_recheck.rs`).
    pub restart: tokio::sync::watch::Sender<bool>,
}

impl Components {
    pub async fn new(loaded: &Loaded, options: &RunOptions) -> Result<Self, AppError> {
        let config = &loaded.config;
        let clock = options.clock.clone();
        let home = &config.monitor.regions[0];
        let aws = AwsConfig::load(&config.aws, home, options.credentials.clone()).await;
        let accounts = super::accounts::resolve(config, &aws).await;
        let store = match &options.store {
            Some(s) => s.clone(),
            None => super::store::open_store(loaded, &aws, clock.clone()).await?,
        };
        let pricer = Arc::new(PointPricer::from_config(loaded));
        let registry = prometheus::Registry::new();
        let metrics = Arc::new(SelfMetrics::new(&registry, clock.clone())?);
        metrics.shards.set_primary_account(&accounts.primary);
        if store.request_usage().is_some() {
            let store = store.clone();
            metrics.watch_store(&registry, Arc::new(move || store.request_usage().unwrap_or_default()))?;
        }
        let shared = Snapshot::shared();
        telemetry::register_ledger(&registry, shared.clone())?;
        let budgets = crate::config::budget::with_primary_account(config.budgets.clone(), &accounts.primary);
        let board = SharedBudgetBoard::new(budgets.clone());
        // The last statuses any replica stored, so the API's first answers
        // (and the budget gauges) speak from them, not from an empty board.
        super::follow::fill_board(store.as_ref(), &board).await?;
        telemetry::register_budgets(&registry, board.clone(), config.metrics.top_principals)?;
        let refresher = Arc::new(
            Refresher::new(store.clone(), pricer.clone(), shared, config)
                .with_primary_account(&accounts.primary),
        );
        refresher.refresh(clock.now()).await?;
        let readiness = Arc::new(Readiness::new(clock.clone()));
        readiness.set_config_loaded(true);
        let leadership = leadership(loaded, options, &store, &clock, &metrics, &readiness);
        let shards =
            super::shards::keeper(loaded, &leadership.holder, accounts.keys(), &store, &clock, &metrics);
        let dispatcher = super::delivery::dispatcher(loaded, &aws, &store, &metrics, &leadership.holder);
        let evaluator = Arc::new(Evaluator {
            store: store.clone(),
            budgets,
            timezone: config.monitor.timezone.0,
            regions: accounts.keys(),
            stalled_after: chrono::Duration::minutes(i64::from(config.alerts.stalled_after_minutes)),
            principals_known: config.sources.cloudtrail.enabled || config.sources.invocation_logs.enabled(),
            dispatcher: dispatcher.clone(),
            board: board.clone(),
            clock: clock.clone(),
            lock: tokio::sync::Mutex::new(()),
        });
        Ok(Components {
            store,
            pricer,
            registry,
            metrics,
            readiness,
            leadership,
            board,
            refresher,
            dispatcher,
            evaluator,
            attributor: (config.sources.cloudtrail.enabled || config.sources.invocation_logs.enabled())
                .then(|| Arc::new(Attributor::default())),
            clock,
            aws,
            accounts,
            wake: config
                .wakeups
                .enabled
                .then(|| Arc::new(Wake::new(std::time::Duration::from_secs(config.wakeups.min_gap_secs)))),
            wake_mantle: (config.wakeups.enabled && config.sources.mantle.enabled)
                .then(|| Arc::new(Wake::new(std::time::Duration::from_secs(config.wakeups.min_gap_secs)))),
            shards,
            restart: tokio::sync::watch::Sender::new(false),
        })
    }

    fn follower(&self) -> Follower {
        Follower {
            leadership: self.leadership.clone(),
            refresher: self.refresher.clone(),
            store: self.store.clone(),
            board: self.board.clone(),
            clock: self.clock.clone(),
        }
    }

    /// A follower's first read of the shared state, before any tick.
    pub async fn follow_once(&self) {
        if let Err(e) = self.follower().run_once().await {
            tracing::warn!(error = %e, "cannot read the shared store yet; retrying on schedule");
        }
    }

    pub(super) fn leader_only(&self, job: Arc<dyn Job>) -> Arc<dyn Job> {
        Arc::new(LeaderOnly { inner: job, leadership: self.leadership.clone() })
    }

    /// Declares a job to readiness and wraps it for the scheduler.
    pub(super) fn schedule(
        &self,
        job: Arc<dyn Job>,
        schedule: &CronSchedule,
        role: Role,
        loaded: &Loaded,
    ) -> ScheduledJob {
        let tz = loaded.config.monitor.timezone.0;
        let name = job.name();
        self.readiness.add_role_job(name, true, interval(schedule, tz, self.clock.now()), Some(role));
        let job = if role == Role::Leader { self.leader_only(job) } else { job };
        ScheduledJob { job, schedule: schedule.clone(), run_at_start: true, wake: None }
    }

    pub async fn jobs(&self, loaded: &Loaded) -> Vec<ScheduledJob> {
        let config = &loaded.config;
        let mut jobs = self.cloudwatch_jobs(loaded).await;
        jobs.extend(self.cloudtrail_job(loaded).await);
        jobs.extend(super::logs::scheduled(self, loaded));
        let alerts_job = AlertsJob {
            store: self.store.clone(),
            regions: self.accounts.keys(),
            sources: [
                (Source::CloudWatch, &config.sources.cloudwatch.schedule, config.sources.cloudwatch.enabled),
                (Source::CloudTrail, &config.sources.cloudtrail.schedule, config.sources.cloudtrail.enabled),
            ]
            .into_iter()
            .filter(|(_, _, on)| *on)
            .map(|(s, schedule, _)| (s, schedule.clone()))
            .collect(),
            timezone: config.monitor.timezone.0,
            stalled_after_minutes: config.alerts.stalled_after_minutes,
            dispatcher: self.dispatcher.clone(),
            clock: self.clock.clone(),
            started_at: self.clock.now(),
            evaluator: self.shards.as_ref().map(|_| self.evaluator.clone()),
        };
        let every_minute =
            CronSchedule::every_secs(60).unwrap_or_else(|_| config.sources.cloudwatch.schedule.clone());
        jobs.push(self.schedule(Arc::new(alerts_job), &every_minute, Role::Leader, loaded));
        if config.alerts.digest.enabled {
            let digest = DigestJob { evaluator: self.evaluator.clone() };
            // Daily, and not at start: not part of readiness (its runs are in job_runs_total).
            let job = self.leader_only(Arc::new(digest));
            jobs.push(ScheduledJob {
                job,
                schedule: config.alerts.digest.schedule.clone(),
                run_at_start: false,
                wake: None,
            });
        }
        jobs.extend(super::compact::scheduled(self, loaded));
        jobs.extend(super::reconcile::scheduled(self, loaded));
        jobs.extend(super::alarms::scheduled(self, loaded));
        jobs.extend(super::org_recheck::scheduled(self, loaded));
        if let Ok(every) = CronSchedule::every_secs(config.replicas.follower_refresh_secs) {
            jobs.push(self.schedule(Arc::new(self.follower()), &every, Role::Follower, loaded));
        }
        jobs
    }

    /// The usage job (tokens, invocations: often, then budgets), the detail
    /// job (latency, errors, throttles, quota: rarely), each with its own
    /// schedule and watermark, and the bedrock-mantle usage job (its own
    /// namespace and watermark, on the usage schedule).
    async fn cloudwatch_jobs(&self, loaded: &Loaded) -> Vec<ScheduledJob> {
        let config = &loaded.config;
        let cw = &config.sources.cloudwatch;
        let runtime = MetricNames::from_config(cw);
        let tiers = [
            (
                JobName::CLOUDWATCH,
                Source::CloudWatch,
                BedrockMetric::USAGE.to_vec(),
                cw.enabled,
                &cw.schedule,
                runtime.clone(),
            ),
            (
                JobName::CLOUDWATCH_DETAIL,
                Source::CloudWatchDetail,
                BedrockMetric::detail(),
                cw.enabled && cw.detail_enabled,
                &cw.detail_schedule,
                runtime,
            ),
            (
                JobName::MANTLE,
                Source::Mantle,
                BedrockMetric::MANTLE.to_vec(),
                config.sources.mantle.enabled,
                &cw.schedule,
                MetricNames::mantle(),
            ),
        ];
        let mut jobs = Vec::new();
        for (name, ledger_source, metrics, enabled, schedule, names) in tiers {
            if !enabled {
                continue;
            }
            let source: Arc<dyn MetricSource> =
                Arc::new(CloudWatchSource::connect(&self.accounts.shards, names.clone()));
            // The usage jobs of both endpoints price, attribute and evaluate.
            let usage = ledger_source != Source::CloudWatchDetail;
            let job = CloudWatchJob::new(
                source,
                self.store.clone(),
                self.pricer.clone(),
                self.clock.clone(),
                CloudWatchJobConfig {
                    regions: self.accounts.keys(),
                    restatement_minutes: cw.restatement_minutes,
                    backfill_hours: cw.backfill_hours,
                    deep_restatement_hours: cw.deep_restatement_hours,
                    names,
                },
            )
            .with_metrics(&metrics, ledger_source)
            .owning(self.shards.as_ref().map(|k| k.owned.clone()));
            let collect = CollectCloudWatch {
                name,
                ledger_source,
                job,
                metrics: self.metrics.clone(),
                refresher: self.refresher.clone(),
                clock: self.clock.clone(),
                dispatcher: self.dispatcher.clone(),
                unpriced_alerts: config.alerts.unpriced_model && usage,
                evaluator: usage.then(|| self.evaluator.clone()),
                attributor: self.attributor.clone().filter(|_| usage),
                store: self.store.clone(),
                partial_runs: Default::default(),
                coordinator: self.shards.as_ref().map(|_| self.leadership.clone()),
            };
            let mut scheduled = self.schedule_collection(Arc::new(collect), schedule, loaded);
            if name == JobName::CLOUDWATCH {
                scheduled.wake = self.wake.clone();
            } else if name == JobName::MANTLE {
                scheduled.wake = self.wake_mantle.clone();
            }
            jobs.push(scheduled);
        }
        jobs
    }
}

impl Components {
    async fn cloudtrail_job(&self, loaded: &Loaded) -> Option<ScheduledJob> {
        let config = &loaded.config;
        let ct = &config.sources.cloudtrail;
        let attributor = self.attributor.clone()?;
        let source = Arc::new(CloudTrailSource::connect(&self.accounts.shards, ct));
        let job = CloudTrailJob::new(
            source,
            self.store.clone(),
            self.clock.clone(),
            CloudTrailJobConfig {
                regions: self.accounts.keys(),
                overlap_minutes: ct.overlap_minutes,
                backfill_hours: ct.backfill_hours,
            },
        )
        .owning(self.shards.as_ref().map(|k| k.owned.clone()));
        let collect = CollectCloudTrail {
            job,
            store: self.store.clone(),
            attributor,
            metrics: self.metrics.clone(),
            refresher: self.refresher.clone(),
            dispatcher: self.dispatcher.clone(),
            evaluator: self.evaluator.clone(),
            clock: self.clock.clone(),
            access_denied: config.alerts.access_denied.clone(),
            throttling: config.alerts.throttling.clone(),
            coordinator: self.shards.as_ref().map(|_| self.leadership.clone()),
        };
        Some(self.schedule_collection(Arc::new(collect), &ct.schedule, loaded))
    }
}

/// This replica's hold on the lease (always held on its own SQLite file).
fn leadership(
    loaded: &Loaded,
    options: &RunOptions,
    store: &Arc<dyn Backend>,
    clock: &Arc<dyn Clock>,
    metrics: &Arc<SelfMetrics>,
    readiness: &Arc<Readiness>,
) -> Arc<Leadership> {
    let config = &loaded.config;
    let holder = config.replicas.holder_id.clone().unwrap_or_else(default_holder);
    let unshared_store = options.store.is_none() && config.store.kind == StoreKind::Sqlite;
    Arc::new(
        Leadership::new(
            holder,
            unshared_store,
            config.replicas.lease(),
            store.clone(),
            clock.clone(),
            metrics.clone(),
            readiness.clone(),
        )
        .pricing_with(loaded.price_table_sha256.clone()),
    )
}

/// CloudWatch in the primary account's regions only (wake-up alarms and
/// the invocation logs' cross-check live beside the primary's metrics).
pub(super) fn primary_cloudwatch_source(
    aws: &AwsConfig,
    regions: &[String],
    names: MetricNames,
) -> CloudWatchSource {
    CloudWatchSource::connect(&crate::aws::MonitoredShards::primary(aws.monitored(), regions), names)
}

/// The gap between the next two runs of a schedule: readiness allows two of them.
pub(super) fn interval(
    schedule: &CronSchedule,
    tz: chrono_tz::Tz,
    now: chrono::DateTime<chrono::Utc>,
) -> TimeDelta {
    let runs = schedule.next_runs(now, &tz, 2);
    match runs.as_slice() {
        [a, b] => b.signed_duration_since(a),
        _ => TimeDelta::hours(24),
    }
}
