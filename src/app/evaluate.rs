//! Budget evaluation and its alerts, run by the leader right after each
//! collection (so a crossing is alerted within one cycle) and by the minute
//! alerts job (so pending alerts are retried every minute).
//!
//! Wiring only: plans and evaluation are `budgets/`, messages `alerts/`; this
//! fetches the planned sums from the store, publishes the statuses (store and
//! board), claims the alerts and flushes the outbox.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::alerts::{budget, episode, AlertMessage, Dispatcher, FlushReport};
use crate::budgets::BudgetStatus;
use crate::budgets::{self, Plan, Spend};
use crate::clock::Clock;
use crate::config::BudgetConfig;
use crate::ledger::{Backend, StoreError};
use crate::records::Source;
use crate::telemetry::SharedBudgetBoard;

pub struct Evaluator {
    pub store: Arc<dyn Backend>,
    pub budgets: Vec<BudgetConfig>,
    pub timezone: Tz,
    /// Every shard's ledger key.
    pub regions: Vec<String>,
    /// A member account's shard this far behind stops holding budgets back.
    pub stalled_after: chrono::Duration,
    /// CloudTrail attribution exists: budgets also list their top principals.
    pub principals_known: bool,
    pub dispatcher: Arc<Dispatcher>,
    pub board: SharedBudgetBoard,
    pub clock: Arc<dyn Clock>,
    /// One evaluation at a time (the CloudWatch and CloudTrail jobs both trigger it).
    pub lock: tokio::sync::Mutex<()>,
}

/// What one evaluation did.
#[derive(Debug, Default)]
pub struct Evaluation {
    pub statuses: usize,
    pub claimed: Vec<String>,
    pub flush: FlushReport,
}

impl Evaluator {
    /// How far `source`'s data is complete: budgets on the CloudWatch totals
    /// follow its watermark, budgets on logged requests the logs'.
    async fn data_through(&self, source: Source, now: DateTime<Utc>) -> Result<DateTime<Utc>, StoreError> {
        let mut watermarks = Vec::with_capacity(self.regions.len());
        for region in &self.regions {
            watermarks.push((region.as_str(), self.store.watermark(source, region).await?));
        }
        Ok(budgets::windows::data_through_shards(watermarks, now, self.stalled_after))
    }

    /// Evaluates every budget, publishes the statuses, claims and flushes alerts.
    pub async fn run_once(&self) -> Result<Evaluation, StoreError> {
        let _one = self.lock.lock().await;
        let now = self.clock.now();
        let through = self.data_through(Source::CloudWatch, now).await?;
        let logs_through = self.data_through(Source::InvocationLogs, now).await?;
        let plans: Vec<Plan<'_>> = self
            .budgets
            .iter()
            .map(|b| {
                let plan = Plan::new(b, self.timezone, now, through);
                if plan.uses_requests() {
                    Plan::new(b, self.timezone, now, logs_through)
                } else {
                    plan
                }
            })
            .collect();
        let spend = self.fetch(&budgets::needs(&plans, self.principals_known)).await?;
        let statuses = budgets::evaluate(&plans, &spend, now);
        if !self.store.put_budget_statuses(&statuses, now).await? {
            // Another replica has evaluated later: it leads now, and this
            // replica's older view must neither replace its statuses nor alert.
            tracing::warn!(evaluated_at = %now, "a later evaluation is stored; this one is dropped");
            return Ok(Evaluation { statuses: 0, claimed: Vec::new(), flush: FlushReport::default() });
        }
        self.board.set_statuses(statuses.clone());
        let messages = self.alerts(&statuses, now).await?;
        let claimed = self.dispatcher.raise(messages).await?;
        let flush = self.dispatcher.flush(now).await?;
        Ok(Evaluation { statuses: statuses.len(), claimed, flush })
    }

    pub async fn fetch(&self, needs: &budgets::Needs) -> Result<Spend, StoreError> {
        let mut spend = Spend::default();
        for w in &needs.cost {
            spend.cost.insert(*w, self.store.cost_sums(w.from, w.to).await?);
        }
        for w in &needs.principal {
            spend.principal.insert(*w, self.store.principal_sums(w.from, w.to).await?);
        }
        for w in &needs.requests {
            spend.requests.insert(*w, self.store.request_sums(w.from, w.to).await?);
        }
        Ok(spend)
    }

    /// Threshold and forecast alerts, and burn-rate alerts once per episode.
    async fn alerts(
        &self,
        statuses: &[BudgetStatus],
        now: DateTime<Utc>,
    ) -> Result<Vec<AlertMessage>, StoreError> {
        let configs: BTreeMap<&str, &BudgetConfig> =
            self.budgets.iter().map(|b| (b.name.as_str(), b)).collect();
        let mut out = Vec::new();
        for s in statuses {
            let Some(cfg) = configs.get(s.budget.as_str()) else { continue };
            out.extend(budget::alerts(s, cfg.forecast_alert, now));
            if cfg.burn_rate.is_some() {
                let anomalous = s.burn_rate.as_ref().is_some_and(|b| b.anomalous);
                let flag = budget::burn_episode_flag(s);
                if let Some(since) = episode::track(self.store.as_ref(), &flag, anomalous, now).await? {
                    out.extend(budget::burn_rate_alert(s, since, now));
                }
            }
        }
        Ok(out)
    }
}
