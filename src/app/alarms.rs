//! The `wakeup_alarms` job (leader only): per region, the alarms the daemon
//! wants (`wakeups::plan` over the listed token series of the active
//! models, priced now, against the region's threshold) are made to exist,
//! unchanged ones are left alone (their description carries a fingerprint),
//! and the daemon's alarms it no longer wants are deleted. Idempotent, with
//! deterministic names: a restart or another replica finds the same set.
//!
//! The alarms' running cost (CloudWatch bills each watched metric per
//! month, prorated) is added to the self-cost for the time they existed.

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::leader::Leadership;
use crate::bedrock::mantle_model_id;
use crate::bedrock::BedrockMetric;
use crate::clock::Clock;
use crate::config::wakeups::WakeupsSection;
use crate::config::BudgetConfig;
use crate::pricing::{PointPricer, PriceOptions, PriceOutcome, TokenType, Usage};
use crate::scheduler::{Completed, Job, JobError, JobName};
use crate::sources::cloudwatch::{ListedSeries, MetricNames, Namespace};
use crate::sources::wakeups::AlarmApi;
use crate::sources::{AwsOutcome, MetricSource, SourceError};
use crate::telemetry::self_metrics::{AwsApi, SelfMetrics};
use crate::wakeups::{plan, threshold, AlarmSpec, Watched};

/// CloudWatch: $0.10 per standard-resolution alarm metric per month.
pub const USD_PER_ALARM_METRIC_MONTH: Decimal = Decimal::from_parts(10, 0, 0, false, 2);
/// The month AWS prorates by: 730 hours, in seconds.
const SECONDS_PER_MONTH: i64 = 730 * 3600;
/// ListMetrics, DescribeAlarms, PutMetricAlarm, DeleteAlarms: $0.01 per 1,000 requests.
const USD_PER_REQUEST: Decimal = Decimal::from_parts(1, 0, 0, false, 5);

pub const JOB: JobName = JobName::named("wakeup_alarms");

pub struct AlarmsJob {
    pub api: Arc<dyn AlarmApi>,
    /// The AWS/Bedrock runtime listing (the usage job's names).
    pub source: Arc<dyn MetricSource>,
    /// The AWS/BedrockMantle listing, when its usage is collected.
    pub mantle: Option<Arc<dyn MetricSource>>,
    pub pricer: Arc<PointPricer>,
    pub config: WakeupsSection,
    pub budgets: Vec<BudgetConfig>,
    pub regions: Vec<String>,
    pub leadership: Arc<Leadership>,
    pub metrics: Arc<SelfMetrics>,
    pub clock: Arc<dyn Clock>,
    /// Since when the alarm metrics below have been billed.
    pub billed: Mutex<Option<(DateTime<Utc>, usize)>>,
}

/// What one region's reconciliation did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    pub put: Vec<String>,
    pub kept: Vec<String>,
    pub deleted: Vec<String>,
    pub billed_metrics: usize,
}

#[async_trait]
impl Job for AlarmsJob {
    fn name(&self) -> JobName {
        JOB
    }

    async fn run_once(&self) -> Result<Completed, JobError> {
        let now = self.clock.now();
        let mut billed = 0;
        let mut errors = Vec::new();
        for region in &self.regions {
            match self.reconcile(region, now).await {
                Ok(r) => {
                    tracing::info!(region = %region, put = ?r.put, kept = r.kept.len(), deleted = ?r.deleted,
                        alarm_metrics = r.billed_metrics, "wake-up alarms reconciled");
                    self.metrics.wakeups.set_alarm_metrics(region, r.billed_metrics);
                    billed += r.billed_metrics;
                }
                Err(e) => {
                    self.count(e.api, region, e.kind.outcome(), 1);
                    tracing::error!(error = %e, region = %region, "cannot reconcile the wake-up alarms; polling goes on");
                    errors.push(JobError::from(crate::collector::CollectError::Source(e)));
                }
            }
        }
        self.accrue(now, billed);
        JobError::from_all(errors).map(|()| Completed::Done)
    }
}

impl AlarmsJob {
    /// The alarms `region` should have, from a fresh listing of both
    /// endpoints' namespaces and today's prices.
    pub async fn desired(&self, region: &str, now: DateTime<Utc>) -> Result<Vec<AlarmSpec>, SourceError> {
        let mut listed = self.list(self.source.as_ref(), region).await?;
        if let Some(mantle) = &self.mantle {
            listed.extend(self.list(mantle.as_ref(), region).await?);
        }
        let Some(usd_per_hour) = threshold(self.config.usd_per_hour.map(|u| u.0), &self.budgets, region)
        else {
            return Ok(Vec::new());
        };
        let pricer = self.pricer.pricer();
        let mut watched: Vec<(Watched, bool)> = listed
            .into_iter()
            .map(|(s, token)| {
                // A mantle series is priced as the ledger prices its usage.
                let priced_as = match s.namespace {
                    Namespace::Mantle => mantle_model_id(None, &s.model_id),
                    Namespace::Bedrock => s.model_id.clone(),
                };
                let usage = Usage::new().with(token, 1_000_000);
                let rate = match pricer.price(&priced_as, region, now, &usage, PriceOptions::default()) {
                    Ok(PriceOutcome::Priced(p)) => Some(p.cost.total_usd),
                    _ => None,
                };
                let w = Watched {
                    namespace: s.namespace.name().to_string(),
                    model_id: s.model_id,
                    metric_name: s.name,
                    dimensions: s.dimensions,
                    usd_per_million: rate.unwrap_or_default(),
                };
                (w, rate.is_some())
            })
            .collect();
        // An unpriced model is weighted at the highest rate seen: it still wakes.
        let highest = watched.iter().filter(|(_, priced)| *priced).map(|(w, _)| w.usd_per_million).max();
        let Some(highest) = highest else { return Ok(Vec::new()) };
        for (w, priced) in &mut watched {
            if !*priced {
                w.usd_per_million = highest;
            }
        }
        let series = watched.into_iter().map(|(w, _)| w).collect();
        Ok(plan(&self.config.alarm_prefix, region, series, usd_per_hour))
    }

    /// The per-model input and output token series `source` lists, each
    /// under its namespace's preferred name only (AWS/BedrockMantle
    /// publishes a model's tokens under two names; one is watched).
    async fn list(
        &self,
        source: &dyn MetricSource,
        region: &str,
    ) -> Result<Vec<(ListedSeries, TokenType)>, SourceError> {
        let listing = source.list_series(region).await?;
        self.count("ListMetrics", region, AwsOutcome::Success, listing.requests);
        let mantle = MetricNames::mantle();
        let token = |s: &ListedSeries| match s.metric {
            BedrockMetric::InputTokenCount => Some(TokenType::Input),
            BedrockMetric::OutputTokenCount => Some(TokenType::Output),
            _ => None,
        };
        Ok(listing
            .series
            .into_iter()
            .filter(|s| s.level() == 0)
            .filter(|s| s.namespace != Namespace::Mantle || s.name == mantle.preferred(s.metric))
            .filter_map(|s| token(&s).map(|t| (s, t)))
            .collect())
    }

    /// Puts what is missing or changed, deletes what is no longer wanted.
    /// Every write is made only while this replica holds the lease.
    pub async fn reconcile(&self, region: &str, now: DateTime<Utc>) -> Result<Reconciled, SourceError> {
        let desired = self.desired(region, now).await?;
        let (existing, requests) = self.api.list(region, &self.config.alarm_prefix).await?;
        self.count("DescribeAlarms", region, AwsOutcome::Success, requests);
        let topic = self.config.topic_arns.get(region).cloned().unwrap_or_default();
        let mut out = Reconciled::default();
        for spec in &desired {
            out.billed_metrics += spec.billed_metrics();
            let fingerprint = spec.fingerprint();
            let same = existing.iter().any(|e| {
                e.name == spec.name && AlarmSpec::fingerprint_of(&e.description) == Some(&fingerprint)
            });
            if same {
                out.kept.push(spec.name.clone());
                continue;
            }
            if !self.leadership.is_leader() {
                return Ok(out);
            }
            self.api.put(spec, &topic).await?;
            self.count("PutMetricAlarm", region, AwsOutcome::Success, 1);
            out.put.push(spec.name.clone());
        }
        let stale: Vec<String> =
            existing.into_iter().map(|e| e.name).filter(|n| !desired.iter().any(|d| &d.name == n)).collect();
        for chunk in stale.chunks(100) {
            if !self.leadership.is_leader() {
                return Ok(out);
            }
            self.api.delete(region, chunk).await?;
            self.count("DeleteAlarms", region, AwsOutcome::Success, 1);
            out.deleted.extend(chunk.iter().cloned());
        }
        Ok(out)
    }

    fn count(&self, api: &'static str, region: &str, outcome: AwsOutcome, n: u64) {
        if n == 0 {
            return;
        }
        self.metrics.record_aws_requests(AwsApi::named(api), region, outcome, n);
        self.metrics.add_api_cost(Decimal::from(n) * USD_PER_REQUEST);
    }

    /// Adds the alarms' cost since the previous run at the count then kept.
    fn accrue(&self, now: DateTime<Utc>, billed: usize) {
        let mut last = self.billed.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((since, count)) = *last {
            let seconds = (now - since).num_seconds().max(0);
            let usd = USD_PER_ALARM_METRIC_MONTH * Decimal::from(count) * Decimal::from(seconds)
                / Decimal::from(SECONDS_PER_MONTH);
            self.metrics.add_api_cost(usd);
        }
        *last = Some((now, billed));
    }
}

/// The reconciliation job a configuration asks for (wake-ups on).
pub(super) fn scheduled(
    parts: &super::Components,
    loaded: &crate::config::Loaded,
) -> Option<crate::scheduler::ScheduledJob> {
    let config = &loaded.config;
    if !config.wakeups.enabled {
        return None;
    }
    let names = MetricNames::from_config(&config.sources.cloudwatch);
    let source = super::build::primary_cloudwatch_source(&parts.aws, &config.monitor.regions, names);
    let mantle = config.sources.mantle.enabled.then(|| {
        let source = super::build::primary_cloudwatch_source(
            &parts.aws,
            &config.monitor.regions,
            MetricNames::mantle(),
        );
        Arc::new(source) as Arc<dyn MetricSource>
    });
    let api =
        crate::sources::wakeups::CloudWatchAlarms::connect(parts.aws.monitored(), &config.monitor.regions);
    let job = AlarmsJob {
        api: Arc::new(api),
        source: Arc::new(source),
        mantle,
        pricer: parts.pricer.clone(),
        config: config.wakeups.clone(),
        budgets: crate::config::budget::with_primary_account(config.budgets.clone(), &parts.accounts.primary),
        regions: config.monitor.regions.clone(),
        leadership: parts.leadership.clone(),
        metrics: parts.metrics.clone(),
        clock: parts.clock.clone(),
        billed: Mutex::new(None),
    };
    let schedule = &config.wakeups.reconcile_schedule;
    Some(parts.schedule(Arc::new(job), schedule, crate::telemetry::Role::Leader, loaded))
}
