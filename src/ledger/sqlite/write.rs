//! The write path: one batch in one IMMEDIATE transaction. Owns the upserts
//! and the delta maintenance of the totals tables; must not read ranges or
//! decide anything about pricing.
//!
//! Totals are kept by delta: when a row is overwritten its old value is
//! subtracted from its old series and the new value added to the new series,
//! in the same transaction, so totals always equal the sum of the latest rows.
//! Money deltas are exact `Decimal` arithmetic in Rust; metric deltas are
//! REAL arithmetic in SQL (exact for the integer-valued counts up to 2^53).

use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};

use super::codec::{self, Context};
use super::totals::{adjust_cost_total, Delta};
use crate::ledger::{Fence, MinuteBatch, StoreError, WriteStats};
use crate::records::{CostLine, LinePricing, MetricPoint, Source};

/// What an upsert did to its row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Change {
    Inserted,
    Revised,
    Unchanged,
}

/// Writes the batch atomically. Any error drops the transaction, which rolls
/// back everything the batch had written so far. `lines_written` counts lines
/// inserted or changed, like the point counts, so a re-write reports zeros.
/// Records are upserted in batch order: a key twice in one batch ends as the
/// later one.
pub(super) use super::totals::rebuild_cost_hours;

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
    for point in &batch.points {
        match upsert_point(&tx, batch.source, point)? {
            Change::Inserted => stats.points_inserted += 1,
            Change::Revised => stats.points_revised += 1,
            Change::Unchanged => {}
        }
    }
    for line in &batch.lines {
        if upsert_line(&tx, line)? != Change::Unchanged {
            stats.lines_written += 1;
        }
    }
    if let Some(until) = batch.watermark {
        advance_watermark(&tx, batch.source, &batch.region, until)?;
    }
    tx.commit().ctx("committing write")?;
    Ok(stats)
}

fn upsert_point(tx: &Transaction<'_>, source: Source, p: &MetricPoint) -> Result<Change, StoreError> {
    let minute = codec::minute_to_sql(p.minute)?;
    let sum = codec::check_finite("metric sum", p.sum)?;
    let count = p.count.map(|c| codec::check_finite("metric count", c)).transpose()?;
    let key = params![source.as_str(), p.region, p.model_id, p.metric.key(), minute];
    let old: Option<(f64, Option<f64>)> = tx
        .prepare_cached(
            "SELECT sum, count FROM metric_points
             WHERE source = ?1 AND region = ?2 AND model_id = ?3 AND metric = ?4 AND minute = ?5",
        )
        .and_then(|mut st| st.query_row(key, |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .ctx("reading metric point")?;
    // Unchanged means identical: re-reading a window must not count as a revision.
    if old == Some((sum, count)) {
        return Ok(Change::Unchanged);
    }
    tx.prepare_cached(
        "INSERT INTO metric_points (source, region, model_id, metric, minute, sum, count)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (source, region, model_id, metric, minute)
         DO UPDATE SET sum = excluded.sum, count = excluded.count",
    )
    .and_then(|mut st| {
        st.execute(params![source.as_str(), p.region, p.model_id, p.metric.key(), minute, sum, count])
    })
    .ctx("upserting metric point")?;
    let (old_sum, old_count) = old.unwrap_or((0.0, None));
    // Subtract the old value and add the new one; a point and its total share
    // the series (region, model ID, metric), so one statement suffices.
    tx.prepare_cached(
        "INSERT INTO metric_totals (region, model_id, metric, sum, count) VALUES (?1, ?2, ?3, ?5, ?7)
         ON CONFLICT (region, model_id, metric)
         DO UPDATE SET sum = (sum - ?4) + ?5, count = (count - ?6) + ?7",
    )
    .and_then(|mut st| {
        st.execute(params![
            p.region,
            p.model_id,
            p.metric.key(),
            old_sum,
            sum,
            old_count.unwrap_or(0.0),
            count.unwrap_or(0.0)
        ])
    })
    .ctx("updating metric totals")?;
    Ok(if old.is_some() { Change::Revised } else { Change::Inserted })
}

/// The stored part of a cost line that can change on revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct LineValue {
    pub tokens: u64,
    pub pricing: LinePricing,
}

pub(super) fn read_line(
    tx: &Transaction<'_>,
    line: &CostLine,
    minute: i64,
) -> Result<Option<LineValue>, StoreError> {
    let row = tx
        .prepare_cached(
            "SELECT tokens, model, price_entry, usd, reason FROM cost_lines
             WHERE region = ?1 AND model_id = ?2 AND minute = ?3 AND token_type = ?4",
        )
        .and_then(|mut st| {
            st.query_row(params![line.region, line.model_id, minute, line.token_type.as_str()], |r| {
                Ok((r.get::<_, i64>(0)?, (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            })
            .optional()
        })
        .ctx("reading cost line")?;
    row.map(|(tokens, cols)| {
        Ok(LineValue { tokens: codec::tokens_from_sql(tokens)?, pricing: codec::pricing_from_sql(cols)? })
    })
    .transpose()
}

pub(super) fn upsert_line(tx: &Transaction<'_>, line: &CostLine) -> Result<Change, StoreError> {
    let minute = codec::minute_to_sql(line.minute)?;
    let tokens = codec::tokens_to_sql(line.tokens)?;
    let new = LineValue { tokens: line.tokens, pricing: line.pricing.clone() };
    let old = read_line(tx, line, minute)?;
    if old.as_ref() == Some(&new) {
        return Ok(Change::Unchanged);
    }
    // A revision replaces: take the old line out of its series (which may be
    // a different one, e.g. unpriced → priced) before adding the new one.
    if let Some(old) = &old {
        adjust_cost_total(tx, line, &old.pricing, Delta::Remove(old.tokens))?;
    }
    let (model, price_entry, usd, reason) = codec::pricing_to_sql(&line.pricing);
    tx.prepare_cached(
        "INSERT INTO cost_lines (region, model_id, minute, token_type, tokens, model, price_entry, usd, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (region, model_id, minute, token_type) DO UPDATE SET
           tokens = excluded.tokens, model = excluded.model, price_entry = excluded.price_entry,
           usd = excluded.usd, reason = excluded.reason",
    )
    .and_then(|mut st| {
        st.execute(params![
            line.region,
            line.model_id,
            minute,
            line.token_type.as_str(),
            tokens,
            model,
            price_entry,
            usd,
            reason
        ])
    })
    .ctx("upserting cost line")?;
    adjust_cost_total(tx, line, &line.pricing, Delta::Add(line.tokens))?;
    Ok(if old.is_some() { Change::Revised } else { Change::Inserted })
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
