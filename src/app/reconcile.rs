//! The reconciliation with the bill as a scheduled job
//! (`sources.cost_explorer.schedule`, daily, and at start; leader only):
//! run the fetch and comparison (`collector::bill_job`), count every Cost
//! Explorer request in the self-cost, set the `bedrock_monitor_bill_*`
//! gauges from the latest reconciled day, and raise one `bill.drift` alert
//! per day whose drift exceeds the tolerance once it is due. Not part of
//! readiness: a bill that cannot be read never makes the daemon unready.
//!
//! Must not compare (that is `reconcile/`) nor call AWS itself.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;

use super::build::Components;
use crate::alerts::reconcile::bill_drift_alert;
use crate::alerts::Dispatcher;
use crate::clock::Clock;
use crate::collector::bill_days::alerted_key;
use crate::collector::bill_job::{BillJob, BillReport, Reconciled};
use crate::config::Loaded;
use crate::ledger::Backend;
use crate::reconcile::settle::day_end;
use crate::reconcile::Tolerance;
use crate::scheduler::{Completed, Job, JobError, JobName, ScheduledJob};
use crate::sources::cost_explorer::client::CostExplorerSource;
use crate::sources::cost_explorer::{DIMENSIONS_API, REGION};
use crate::telemetry::self_metrics::{AwsApi, SelfMetrics};

/// Cost Explorer API: "$0.01 per request … each page counts as a separate request".
pub const USD_PER_REQUEST: Decimal = Decimal::from_parts(1, 0, 0, false, 2);

pub(super) fn scheduled(parts: &Components, loaded: &Loaded) -> Option<ScheduledJob> {
    let config = &loaded.config.sources.cost_explorer;
    if !config.enabled {
        return None;
    }
    let job = BillJob {
        source: Arc::new(CostExplorerSource::connect(parts.aws.monitored())),
        store: parts.store.clone(),
        clock: parts.clock.clone(),
        pricer: parts.pricer.clone(),
        config: config.clone(),
        coverage: crate::reconcile::coverage::BillCoverage {
            linked: config.linked_accounts.clone(),
            primary: crate::shard::is_account_id(&parts.accounts.primary)
                .then(|| parts.accounts.primary.clone()),
        },
    };
    let job = Reconcile::new(job, parts.dispatcher.clone(), parts.metrics.clone());
    Some(ScheduledJob {
        job: parts.leader_only(Arc::new(job)),
        schedule: config.schedule.clone(),
        run_at_start: true,
        wake: None,
    })
}

pub struct Reconcile {
    pub job: BillJob,
    pub dispatcher: Arc<Dispatcher>,
    pub metrics: Arc<SelfMetrics>,
    tolerance: Tolerance,
    alert_after: Duration,
}

impl Reconcile {
    pub fn new(job: BillJob, dispatcher: Arc<Dispatcher>, metrics: Arc<SelfMetrics>) -> Self {
        let c = &job.config;
        let tolerance = Tolerance { usd: c.tolerance_usd.0, ratio: c.tolerance_ratio.0 };
        let alert_after = Duration::hours(i64::from(c.alert_after_hours));
        Reconcile { job, dispatcher, metrics, tolerance, alert_after }
    }

    fn store(&self) -> &dyn Backend {
        self.job.store.as_ref()
    }

    fn clock(&self) -> &dyn Clock {
        self.job.clock.as_ref()
    }

    /// Old enough for its drift to mean something, or final.
    fn due(&self, r: &Reconciled, now: DateTime<Utc>) -> bool {
        r.bill.frozen || now - day_end(r.bill.day) >= self.alert_after
    }

    fn record(&self, report: &BillReport) {
        for ((api, outcome), n) in &report.requests.sent {
            let api = if *api == DIMENSIONS_API {
                AwsApi::GET_DIMENSION_VALUES
            } else {
                AwsApi::GET_COST_AND_USAGE
            };
            self.metrics.record_aws_requests(api, REGION, *outcome, *n);
        }
        self.metrics.add_api_cost(Decimal::from(report.requests.total()) * USD_PER_REQUEST);
        let frozen = report.days.iter().filter(|r| r.bill.frozen).count();
        let settling = report.days.len() - frozen;
        let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        self.metrics.bill.set_days(count(frozen), count(settling), count(report.unread));
        let now = self.clock().now();
        let latest = report.days.iter().rev().find(|r| self.due(r, now)).or(report.days.last());
        if let Some(r) = latest {
            let start = Utc.from_utc_datetime(&r.bill.day.and_time(chrono::NaiveTime::MIN));
            self.metrics.bill.set_day(&r.drift, start.timestamp(), r.bill.frozen);
        }
    }

    /// One alert per due day beyond the tolerance, never twice for a day.
    async fn alert(&self, report: &BillReport) -> Result<(), JobError> {
        let now = self.clock().now();
        for r in report.days.iter().filter(|r| self.due(r, now) && r.drift.exceeds(self.tolerance)) {
            let flag = alerted_key(r.bill.day);
            if self
                .store()
                .get_state(&flag)
                .await
                .map_err(JobError::store("reading an alert flag"))?
                .is_some()
            {
                continue;
            }
            let message = bill_drift_alert(&r.drift, self.tolerance, r.bill.frozen, now);
            self.dispatcher.raise(vec![message]).await.map_err(JobError::store("claiming a bill alert"))?;
            self.store()
                .put_state(&flag, &now.to_rfc3339())
                .await
                .map_err(JobError::store("recording a bill alert"))?;
        }
        Ok(())
    }

    fn log(report: &BillReport) {
        for r in &report.days {
            tracing::debug!(
                day = %r.bill.day, frozen = r.bill.frozen, reads = r.bill.reads,
                ledger_usd = %r.drift.ledger_usd(), billed_usd = %r.drift.billed_usd(),
                net_drift_usd = %r.drift.net(), gross_drift_usd = %r.drift.gross(),
                unmapped_lines = r.drift.unmapped.len(), stale_rates = r.drift.stale_rates().count(),
                "reconciled a day with the bill"
            );
        }
        tracing::info!(
            asked = report.asked.len(),
            froze = report.froze.len(),
            requests = report.requests.total(),
            days = report.days.len(),
            unread = report.unread,
            "reconciled the ledger with Cost Explorer"
        );
    }
}

#[async_trait]
impl Job for Reconcile {
    fn name(&self) -> JobName {
        JobName::RECONCILE
    }

    async fn run_once(&self) -> Result<Completed, JobError> {
        let report =
            self.job.run_once().await.map_err(|e| JobError::Store { during: e.during, source: e.source })?;
        self.record(&report);
        Self::log(&report);
        let alerted = self.alert(&report).await;
        match report.error {
            // The stored days were still compared; the next run asks again.
            Some(e) => Err(JobError::Aws(e)),
            None => alerted.map(|()| Completed::Done),
        }
    }
}
