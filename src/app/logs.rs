//! The invocation-log collection as a scheduled job: run, record requests
//! and record outcomes, log what was skipped and why, refresh `/metrics`,
//! and evaluate budgets (per-user budgets need the new requests).

use std::sync::Arc;

use async_trait::async_trait;

use super::build::Components;
use super::evaluate::Evaluator;
use super::snapshot::Refresher;
use crate::alerts::{episode, log_drift, Dispatcher};
use crate::clock::Clock;
use crate::collector::cloudwatch_job::USD_PER_METRIC_REQUESTED;
use crate::collector::log_check::LogCheck;
use crate::collector::{Attributor, InvocationLogsJob, LogsJobConfig, LogsReport};
use crate::config::Loaded;
use crate::ledger::Backend;
use crate::records::Source;
use crate::scheduler::{Completed, Job, JobError, JobName, ScheduledJob};
use crate::sources::cloudwatch::MetricNames;
use crate::sources::invocation_logs::client::CloudWatchLogsSource;
use crate::sources::invocation_logs::s3::{S3Destination, S3LogObjects};
use crate::telemetry::self_metrics::{AwsApi, AwsOutcome, SelfMetrics};
use crate::telemetry::Role;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// The job, when a region's log group is configured (leader only).
pub(super) fn scheduled(parts: &Components, loaded: &Loaded) -> Option<ScheduledJob> {
    let logs = &loaded.config.sources.invocation_logs;
    if !logs.enabled() {
        return None;
    }
    let groups: BTreeMap<String, String> =
        logs.log_groups().map(|(r, g)| (r.to_string(), g.to_string())).collect();
    let buckets: BTreeMap<String, S3Destination> = logs
        .s3_destinations()
        .map(|(r, bucket, prefix, account)| {
            let d =
                S3Destination { bucket: bucket.into(), prefix: prefix.into(), account_id: account.into() };
            (r.to_string(), d)
        })
        .collect();
    let config = LogsJobConfig {
        regions: logs.regions.keys().cloned().collect(),
        lookback_minutes: logs.lookback_minutes,
        backfill_hours: logs.backfill_hours,
        metadata_keys: logs.metadata_keys.clone(),
    };
    let pages = Arc::new(CloudWatchLogsSource::connect(parts.aws.monitored(), &groups));
    let regions: Vec<String> = logs.regions.keys().cloned().collect();
    let health =
        Arc::new(super::build::primary_cloudwatch_source(&parts.aws, &regions, MetricNames::documented()));
    let check = LogCheck { store: parts.store.clone(), health, lookback_minutes: logs.lookback_minutes };
    let mut job =
        InvocationLogsJob::new(pages, parts.store.clone(), parts.pricer.clone(), parts.clock.clone(), config);
    if !buckets.is_empty() {
        let objects = Arc::new(S3LogObjects::connect(parts.aws.monitored(), &buckets));
        job = job.with_objects(objects, buckets.keys().cloned().collect());
    }
    let collect = CollectInvocationLogs {
        job,
        check,
        dispatcher: parts.dispatcher.clone(),
        store: parts.store.clone(),
        drift: (logs.drift_tolerance_pct, logs.drift_min_tokens),
        metrics: parts.metrics.clone(),
        refresher: parts.refresher.clone(),
        evaluator: parts.evaluator.clone(),
        // Built whenever the logs are on (see Components::new).
        attributor: parts.attributor.clone()?,
        clock: parts.clock.clone(),
    };
    Some(parts.schedule(Arc::new(collect), &logs.schedule, Role::Leader, loaded))
}

pub struct CollectInvocationLogs {
    pub job: InvocationLogsJob,
    pub check: LogCheck,
    pub dispatcher: Arc<Dispatcher>,
    pub store: Arc<dyn Backend>,
    /// (tolerance in percent, minimum tokens apart) of the cross-check.
    pub drift: (u32, u64),
    pub metrics: Arc<SelfMetrics>,
    pub refresher: Arc<Refresher>,
    pub evaluator: Arc<Evaluator>,
    pub attributor: Arc<Attributor>,
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl Job for CollectInvocationLogs {
    fn name(&self) -> JobName {
        JobName::INVOCATION_LOGS
    }

    async fn run_once(&self) -> Result<Completed, JobError> {
        let report = self.job.run_once().await;
        self.record(&report);
        if let Err(e) = self.refresher.refresh(self.clock.now()).await {
            tracing::error!(error = %e, "cannot refresh the metrics snapshot from the ledger");
        }
        let attributed = self.attribute(&report).await;
        let checked = self.cross_check().await.and(attributed);
        let evaluated = self.evaluator.run_once().await.map(drop).map_err(JobError::Evaluate);
        super::collect::outcome_of(&report.errors, checked.and(evaluated))
    }
}

impl CollectInvocationLogs {
    /// Re-attributes what the run wrote: logged minutes become exact.
    async fn attribute(&self, report: &LogsReport) -> Result<(), JobError> {
        for r in &report.regions {
            let Some(to) = r.watermark else { continue };
            let stats = self
                .attributor
                .catch_up(self.store.as_ref(), Source::InvocationLogs, &r.region, r.from, to)
                .await
                .map_err(JobError::store("attributing cost to principals"))?;
            tracing::debug!(region = %r.region, ?stats, "principal shares updated from the logs");
        }
        Ok(())
    }

    /// Each region's logs against CloudWatch; one alert per drift episode.
    async fn cross_check(&self) -> Result<(), JobError> {
        let now = self.clock.now();
        let (tolerance, min_tokens) = self.drift;
        let mut alerts = Vec::new();
        for region in self.job.regions() {
            let Some((drift, count)) = self.check.check(region).await? else { continue };
            let m = &self.metrics;
            m.record_aws_requests(AwsApi::GET_METRIC_DATA, region, AwsOutcome::Success, count.requests);
            m.add_cloudwatch_metrics_requested(region, count.metrics_requested);
            m.add_api_cost(Decimal::from(count.metrics_requested) * USD_PER_METRIC_REQUESTED);
            m.logs.set_check(region, drift.ratio(), drift.delivery_failures);
            let active = drift.exceeds(Decimal::from(tolerance), min_tokens);
            let flag = log_drift::drift_flag(region);
            let opened = episode::track(self.store.as_ref(), &flag, active, now)
                .await
                .map_err(JobError::store("tracking the log drift episode"))?;
            if let Some(since) = opened {
                tracing::warn!(region, ratio = %drift.ratio(), failures = drift.delivery_failures, "invocation logs drift from CloudWatch");
                alerts.push(log_drift::drift_alert(&drift, since, now));
            }
        }
        self.dispatcher.raise(alerts).await.map_err(JobError::store("claiming log drift alerts"))?;
        Ok(())
    }

    fn record(&self, report: &LogsReport) {
        let now = self.clock.now();
        let m = &self.metrics;
        for r in &report.regions {
            let api = AwsApi::named("FilterLogEvents");
            m.record_aws_requests(
                api,
                &r.region,
                AwsOutcome::Success,
                r.requests.saturating_sub(r.throttles),
            );
            m.record_aws_requests(api, &r.region, AwsOutcome::Throttled, r.throttles);
            m.logs.add_records(&r.region, "counted", r.added);
            m.logs.add_records(&r.region, "duplicate", r.duplicates);
            m.logs.add_records(&r.region, "foreign_region", r.foreign_region);
            for (kind, n) in &r.rejected {
                m.logs.add_records(&r.region, kind, *n);
            }
            if let Some(w) = r.watermark {
                m.set_data_lag(Source::InvocationLogs, &r.region, now - w);
            }
            if !r.rejected.is_empty() {
                tracing::warn!(region = %r.region, rejected = ?r.rejected, "invocation log records skipped");
            }
            if !r.unpriced_model_ids.is_empty() {
                // The CloudWatch job alerts on these once; every run here would repeat it.
                tracing::debug!(region = %r.region, model_ids = ?r.unpriced_model_ids, "logged requests of unpriced models");
            }
            tracing::info!(region = %r.region, events = r.events, added = r.added, duplicates = r.duplicates,
                requests = r.requests, throttles = r.throttles, watermark = ?r.watermark, "invocation logs collected");
        }
        for e in &report.errors {
            tracing::error!(error = %e, "invocation log collection failed; the next run re-reads the same window");
        }
    }
}
