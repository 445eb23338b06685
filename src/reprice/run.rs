//! The re-price of a window, day by day: read the day's lines, price them
//! again, diff; on apply, rewrite the changed lines with the day's audit
//! record (one store call per day; a stale line, re-written by the daemon
//! since it was read, makes the day read again), then split the day's cost
//! among principals again. A dry run reads and diffs exactly the same way
//! and writes nothing, so its report is what apply would change.
//!
//! Must not price by itself or write anything on a dry run.

use chrono::{DateTime, Days, NaiveDate, Utc};

use super::diff::{diff_day, DayDiff, Row};
use super::table_in_use::{self, TableInUse};
use super::{midnight, RepriceError, Window};
use crate::collector::Attributor;
use crate::ledger::{Backend, RepriceDay, RepriceRecord, RepriceStats, RepriceStore};
use crate::pricing::PointPricer;
use crate::records::LinePricing;

/// Reads of a day before giving up on a day the daemon keeps changing.
const ATTEMPTS: u32 = 5;

/// One re-price run.
pub struct Request<'a> {
    pub window: Window,
    /// Rewrite the ledger; `false` is a dry run.
    pub apply: bool,
    /// Who runs it, for the audit record.
    pub by: String,
    /// Apply even though the leader prices with another table.
    pub force: bool,
    /// The run's start, from the injected clock.
    pub now: DateTime<Utc>,
    /// SHA-256 of the price-table file `pricer` was loaded from.
    pub table_sha256: String,
    pub pricer: &'a PointPricer,
    /// Regions whose attributed shares are split again after each applied
    /// day; empty when the daemon attributes nothing (no CloudTrail, no logs).
    pub attribute_regions: Vec<String>,
}

/// One day of the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayOutcome {
    pub diff: DayDiff,
    /// What the store did; `None` on a dry run or a day without a change.
    pub stats: Option<RepriceStats>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub window: Window,
    pub applied: bool,
    pub forced: bool,
    /// The table the lines were priced with, as far as the store knows.
    pub table_before: Option<String>,
    pub table_after: String,
    /// The leader's table, when the store records one.
    pub in_use: Option<TableInUse>,
    pub days: Vec<DayOutcome>,
}

impl Report {
    /// Every day × model ID with a changed line, by day then model ID.
    pub fn rows(&self) -> impl Iterator<Item = &Row> {
        self.days.iter().flat_map(|d| d.diff.changed_rows())
    }

    /// Sums over every line of the window, changed or not.
    pub fn total(&self) -> Row {
        let mut total = Row::default();
        self.days.iter().for_each(|d| total.add(&d.diff.total()));
        total
    }
}

/// Re-prices `request.window` of `store`.
pub async fn run(store: &dyn Backend, request: &Request<'_>) -> Result<Report, RepriceError> {
    run_with_writer(store, store, request).await
}

/// The same, with the day rewrites sent to `writer` (tests put a fault
/// between the run and the store there); everything else goes to `store`.
pub async fn run_with_writer(
    store: &dyn Backend,
    writer: &dyn RepriceStore,
    request: &Request<'_>,
) -> Result<Report, RepriceError> {
    let window = request.window;
    if let Some(horizon) = store.rewritable_from().await? {
        if window.start() < horizon {
            let day = horizon.date_naive();
            let first =
                if midnight(day) < horizon { day.checked_add_days(Days::new(1)).unwrap_or(day) } else { day };
            return Err(RepriceError::BeforeHorizon { from: window.from, horizon, first });
        }
    }
    let in_use = table_in_use::read(store).await?;
    let differs = in_use.as_ref().filter(|f| f.sha256 != request.table_sha256);
    if let (Some(f), true, false) = (differs, request.apply, request.force) {
        return Err(RepriceError::TableDiffers {
            holder: f.holder.clone(),
            since: f.since,
            running: f.sha256.clone(),
            applying: request.table_sha256.clone(),
        });
    }
    let table_before = match &in_use {
        Some(f) if f.sha256 == request.table_sha256 => f.previous.clone(),
        Some(f) => Some(f.sha256.clone()),
        None => store.reprice_records().await?.pop().map(|r| r.table_after),
    };
    let mut report = Report {
        window,
        applied: request.apply,
        forced: request.apply && differs.is_some(),
        table_before,
        table_after: request.table_sha256.clone(),
        in_use,
        days: Vec::new(),
    };
    let attributor = Attributor::default();
    for day in window.days() {
        let outcome = day_once(store, writer, request, &report, day).await?;
        if request.apply {
            let (start, end) = (midnight(day), next_midnight(day));
            for region in &request.attribute_regions {
                attributor.attribute(store, region, start, end).await?;
            }
        }
        report.days.push(outcome);
    }
    Ok(report)
}

fn next_midnight(day: NaiveDate) -> DateTime<Utc> {
    midnight(day.checked_add_days(Days::new(1)).unwrap_or(day))
}

/// One day: read, diff and (on apply) rewrite, again while lines were stale.
async fn day_once(
    store: &dyn Backend,
    writer: &dyn RepriceStore,
    request: &Request<'_>,
    report: &Report,
    day: NaiveDate,
) -> Result<DayOutcome, RepriceError> {
    for attempt in 1..=ATTEMPTS {
        let lines = store.cost_lines(midnight(day), next_midnight(day)).await?;
        let repriced = request.pricer.reprice(&lines);
        let diff = diff_day(day, &lines, &repriced);
        if !request.apply || diff.changes.is_empty() {
            return Ok(DayOutcome { diff, stats: None });
        }
        let batch = RepriceDay { changes: diff.changes.clone(), record: record(request, report, &diff) };
        let stats = writer.reprice_day(&batch).await?;
        if stats.stale == 0 {
            return Ok(DayOutcome { diff, stats: Some(stats) });
        }
        tracing::warn!(%day, attempt, stale = stats.stale, "lines changed since they were read; reading the day again");
    }
    Err(RepriceError::KeptChanging { day, attempts: ATTEMPTS })
}

fn record(request: &Request<'_>, report: &Report, diff: &DayDiff) -> RepriceRecord {
    let total = diff.total();
    let priced = |p: &LinePricing| matches!(p, LinePricing::Priced { .. });
    let count = |from: bool, to: bool| {
        diff.changes.iter().filter(|c| priced(&c.line.pricing) == from && priced(&c.pricing) == to).count()
    };
    RepriceRecord {
        at: request.now,
        by: request.by.clone(),
        from: report.window.start(),
        to: report.window.end(),
        day: diff.day,
        table_before: report.table_before.clone(),
        table_after: report.table_after.clone(),
        forced: report.forced,
        lines: diff.changes.len(),
        old_usd: total.old_usd,
        new_usd: total.new_usd,
        became_priced: count(false, true),
        became_unpriced: count(true, false),
    }
}
