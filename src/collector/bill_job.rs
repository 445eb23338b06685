//! The reconciliation's fetch (leader only): which closed days to ask Cost
//! Explorer for (`reconcile::settle`), one query per run of consecutive
//! days (every page of it), each day stored with how settled it is, then
//! every day of the lookback compared with the ledger's cost sums of the
//! same UTC day. A run returns what it read and what it found; the caller
//! turns that into gauges, self-cost and alerts.
//!
//! Must not alert or render.

use std::sync::Arc;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;

use super::bill_days;
use crate::clock::Clock;
use crate::config::cost_explorer::CostExplorerSource as Config;
use crate::ledger::{Backend, StoreError};
use crate::pricing::PointPricer;
use crate::reconcile::coverage::BillCoverage;
use crate::reconcile::settle::{closed_days, day_end, runs};
use crate::reconcile::{compare, BillModels, DayDrift, RateInputs, SettleRule};
use crate::records::BillDay;
use crate::sources::cost_explorer::{self, BillQuery, BillSource, Requests};
use crate::sources::SourceError;

pub struct BillJob {
    pub source: Arc<dyn BillSource>,
    pub store: Arc<dyn Backend>,
    pub clock: Arc<dyn Clock>,
    pub pricer: Arc<PointPricer>,
    pub config: Config,
    /// Which accounts' ledger rows the bill is compared with.
    pub coverage: BillCoverage,
}

/// One reconciled day: the bill as stored and its comparison with the ledger.
#[derive(Clone, Debug)]
pub struct Reconciled {
    pub bill: BillDay,
    pub drift: DayDrift,
}

#[derive(Debug, Default)]
pub struct BillReport {
    pub requests: Requests,
    /// Days asked for in this run.
    pub asked: Vec<NaiveDate>,
    /// Days that became final in this run.
    pub froze: Vec<NaiveDate>,
    /// Every day of the lookback with a stored bill, oldest first.
    pub days: Vec<Reconciled>,
    /// Days of the lookback never read.
    pub unread: usize,
    /// Cost Explorer failed: the stored days are still compared.
    pub error: Option<SourceError>,
}

#[derive(Debug, thiserror::Error)]
#[error("{during}: {source}")]
pub struct BillStoreError {
    pub during: &'static str,
    #[source]
    pub source: StoreError,
}

fn store_err(during: &'static str) -> impl FnOnce(StoreError) -> BillStoreError {
    move |source| BillStoreError { during, source }
}

impl BillJob {
    pub fn rule(&self) -> SettleRule {
        SettleRule {
            settle: Duration::hours(i64::from(self.config.settle_hours)),
            reread_after: Duration::hours(i64::from(self.config.reread_after_hours)),
            lookback_days: self.config.lookback_days,
        }
    }

    pub async fn run_once(&self) -> Result<BillReport, BillStoreError> {
        let now = self.clock.now();
        let rule = self.rule();
        let lookback = closed_days(now, self.config.lookback_days);
        let mut known =
            bill_days::load(self.store.as_ref(), &lookback).await.map_err(store_err("reading bill days"))?;
        let wanted: Vec<NaiveDate> =
            lookback.iter().copied().filter(|d| rule.wants(known.get(d), now)).collect();
        let mut report = BillReport { asked: wanted.clone(), ..BillReport::default() };
        if !wanted.is_empty() {
            match self.fetch(&wanted, &mut report.requests).await {
                Ok(fetched) => {
                    for day in &wanted {
                        let (lines, estimated) =
                            fetched.days.get(day).map_or((vec![], false), |d| (d.lines.clone(), d.estimated));
                        let next = rule.after_read(*day, known.get(day), lines, estimated, now);
                        bill_days::save(self.store.as_ref(), &next)
                            .await
                            .map_err(store_err("storing a bill day"))?;
                        if next.frozen {
                            report.froze.push(*day);
                        }
                        known.insert(*day, next);
                    }
                }
                Err(e) => report.error = Some(e),
            }
        }
        report.unread = lookback.len() - known.len();
        let tolerance = self.config.rate_tolerance_ratio.0;
        report.days = compare_days(
            self.store.as_ref(),
            &self.pricer,
            tolerance,
            &self.coverage,
            known.into_values().collect(),
        )
        .await?;
        Ok(report)
    }

    async fn fetch(
        &self,
        days: &[NaiveDate],
        requests: &mut Requests,
    ) -> Result<cost_explorer::Fetched, SourceError> {
        let (Some(first), Some(last)) = (days.first(), days.last()) else { return Ok(Default::default()) };
        let services = if self.config.services.is_empty() {
            let to = last.succ_opt().unwrap_or(*last);
            cost_explorer::services(self.source.as_ref(), *first, to, requests).await?
        } else {
            self.config.services.clone()
        };
        let mut all = cost_explorer::Fetched::default();
        if services.is_empty() {
            // Nothing billed under a Bedrock service: every asked day's bill is empty.
            return Ok(all);
        }
        for (from, to) in runs(days) {
            let accounts = self.config.linked_accounts.clone();
            let query = BillQuery { from, to, services: services.clone(), accounts };
            all.days.extend(cost_explorer::fetch(self.source.as_ref(), &query, requests).await?.days);
        }
        Ok(all)
    }
}

/// Each stored bill day against the ledger's cost sums of the same UTC day.
pub async fn compare_days(
    store: &dyn Backend,
    pricer: &PointPricer,
    rate_tolerance: Decimal,
    coverage: &BillCoverage,
    days: Vec<BillDay>,
) -> Result<Vec<Reconciled>, BillStoreError> {
    let models = BillModels::new(pricer.table.catalog());
    let rates = RateInputs { pricer, tolerance: rate_tolerance };
    let mut out = Vec::with_capacity(days.len());
    for bill in days {
        let from = Utc.from_utc_datetime(&bill.day.and_time(chrono::NaiveTime::MIN));
        let ledger = coverage.ledger(
            store.cost_sums(from, day_end(bill.day)).await.map_err(store_err("summing the ledger's day"))?,
        );
        let drift = compare(&ledger, &bill, &models, &rates);
        out.push(Reconciled { bill, drift });
    }
    Ok(out)
}
