//! The write path: one batch in one IMMEDIATE transaction. Owns the batch's
//! transaction, the metric points' upserts and their totals (the cost lines'
//! upserts are `lines.rs`, their totals `totals.rs`); must not read ranges or
//! decide anything about pricing.
//!
//! Totals are kept by delta: when a row is overwritten its old value is
//! subtracted from its old series and the new value added to the new series,
//! in the same transaction, so totals always equal the sum of the latest rows.
//! The deltas are summed per series over the batch and written once per
//! series before the commit (a new minute costs one INSERT). Money deltas
//! are exact `Decimal` arithmetic in Rust; metric deltas are REAL (exact for
//! the integer-valued counts up to 2^53).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, Transaction, TransactionBehavior};

use super::codec::{self, Context};
use super::lines::{upsert_line, Change};
use super::names::Names;
use super::totals::CostDeltas;
use crate::ledger::{Fence, MinuteBatch, StoreError, WriteStats};
use crate::records::{MetricPoint, Source};

pub(super) use super::totals::rebuild_cost_hours;

/// Writes the batch atomically. Any error drops the transaction, which rolls
/// back everything the batch had written so far. `lines_written` counts lines
/// inserted or changed, like the point counts, so a re-write reports zeros.
/// Records are upserted in minute order, and in batch order within a minute:
/// a key twice in one batch ends as the later one.
pub(super) fn write_batch(
    conn: &mut rusqlite::Connection,
    batch: &MinuteBatch,
    fence: Option<&Fence>,
) -> Result<WriteStats, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).ctx("starting write")?;
    super::fence::check_if(&tx, fence)?;
    let minutes = batch.points.iter().map(|p| p.minute).chain(batch.lines.iter().map(|l| l.minute));
    super::compact::check_writable(&tx, minutes.min().map(|m| m.timestamp()))?;
    let mut stats = WriteStats::default();
    let mut names = Names::default();
    let mut metric_deltas = MetricDeltas::default();
    for point in by_minute(&batch.points, |p| p.minute) {
        match upsert_point(&tx, &mut names, batch.source, point, &mut metric_deltas)? {
            Change::Inserted => stats.points_inserted += 1,
            Change::Revised => stats.points_revised += 1,
            Change::Unchanged => {}
        }
    }
    metric_deltas.apply(&tx, &mut names)?;
    let mut cost_deltas = CostDeltas::default();
    for line in by_minute(&batch.lines, |l| l.minute) {
        if upsert_line(&tx, &mut names, line, &mut cost_deltas)? != Change::Unchanged {
            stats.lines_written += 1;
        }
    }
    cost_deltas.apply(&tx, &mut names)?;
    if let Some(until) = batch.watermark {
        advance_watermark(&tx, batch.source, &batch.region, until)?;
    }
    tx.commit().ctx("committing write")?;
    Ok(stats)
}

/// The rows in minute order, which is the tables' key order: a day-chunk
/// then fills its pages one after another instead of touching every page of
/// the day for each series. The sort is stable, so a key twice in the batch
/// still ends as the later one.
fn by_minute<T>(rows: &[T], minute: impl Fn(&T) -> DateTime<Utc>) -> Vec<&T> {
    let mut sorted: Vec<&T> = rows.iter().collect();
    sorted.sort_by_key(|r| minute(r));
    sorted
}

/// A metric series' (sum, count) change in one batch, summed per series and
/// written once at the end of the batch.
#[derive(Debug, Default)]
struct MetricDeltas(BTreeMap<(i64, i64, &'static str), (f64, f64)>);

impl MetricDeltas {
    #[allow(clippy::float_arithmetic, reason = "CloudWatch statistics, not money")]
    fn add(&mut self, series: (i64, i64, &'static str), old: (f64, Option<f64>), new: (f64, Option<f64>)) {
        let slot = self.0.entry(series).or_default();
        slot.0 += new.0 - old.0;
        slot.1 += new.1.unwrap_or(0.0) - old.1.unwrap_or(0.0);
    }

    /// One statement per series; a point and its total share the series
    /// (region, model ID, metric). Exact for the integer-valued statistics
    /// CloudWatch reports (counts and millisecond sums) up to 2^53.
    fn apply(self, tx: &Transaction<'_>, names: &mut Names) -> Result<(), StoreError> {
        let mut st = tx
            .prepare_cached(
                "INSERT INTO metric_totals (region, model_id, metric, sum, count) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (region, model_id, metric)
                 DO UPDATE SET sum = sum + excluded.sum, count = count + excluded.count",
            )
            .ctx("updating metric totals")?;
        for ((region, model_id, metric), (sum, count)) in self.0 {
            let (region, model_id) = (names.name(tx, region)?, names.name(tx, model_id)?);
            st.execute(params![region, model_id, metric, sum, count]).ctx("updating metric totals")?;
        }
        Ok(())
    }
}

/// Inserts a new minute in one statement (the backfill case); only a minute
/// already stored is read back and compared.
fn upsert_point(
    tx: &Transaction<'_>,
    names: &mut Names,
    source: Source,
    p: &MetricPoint,
    deltas: &mut MetricDeltas,
) -> Result<Change, StoreError> {
    let minute = codec::minute_to_sql(p.minute)?;
    let sum = codec::check_finite("metric sum", p.sum)?;
    let count = p.count.map(|c| codec::check_finite("metric count", c)).transpose()?;
    let (source, region) = (names.id(tx, source.as_str())?, names.id(tx, &p.region)?);
    let (model_id, metric) = (names.id(tx, &p.model_id)?, names.id(tx, p.metric.key())?);
    let row = params![minute, source, region, model_id, metric, sum, count];
    let inserted = tx
        .prepare_cached(
            "INSERT INTO metric_minutes (minute, source, region, model_id, metric, sum, count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
        )
        .and_then(|mut st| st.execute(row))
        .ctx("inserting metric point")?;
    if inserted == 1 {
        deltas.add((region, model_id, p.metric.key()), (0.0, None), (sum, count));
        return Ok(Change::Inserted);
    }
    let old: (f64, Option<f64>) = tx
        .prepare_cached(
            "SELECT sum, count FROM metric_minutes
             WHERE minute = ?1 AND source = ?2 AND region = ?3 AND model_id = ?4 AND metric = ?5",
        )
        .and_then(|mut st| st.query_row(&row[..5], |r| Ok((r.get(0)?, r.get(1)?))))
        .ctx("reading metric point")?;
    // Unchanged means identical: re-reading a window must not count as a revision.
    if old == (sum, count) {
        return Ok(Change::Unchanged);
    }
    tx.prepare_cached(
        "UPDATE metric_minutes SET sum = ?6, count = ?7
         WHERE minute = ?1 AND source = ?2 AND region = ?3 AND model_id = ?4 AND metric = ?5",
    )
    .and_then(|mut st| st.execute(row))
    .ctx("revising metric point")?;
    deltas.add((region, model_id, p.metric.key()), old, (sum, count));
    Ok(Change::Revised)
}

/// Moves the watermark forward only: `max(old, new)` in the upsert itself.
pub(super) fn advance_watermark(
    tx: &Transaction<'_>,
    source: Source,
    region: &str,
    until: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    let nanos = codec::instant_to_sql(until)?;
    tx.prepare_cached(
        "INSERT INTO watermarks (source, region, until_ns) VALUES (?1, ?2, ?3)
         ON CONFLICT (source, region) DO UPDATE SET until_ns = max(until_ns, excluded.until_ns)",
    )
    .and_then(|mut st| st.execute(params![source.as_str(), region, nanos]))
    .ctx("moving watermark")?;
    Ok(())
}
