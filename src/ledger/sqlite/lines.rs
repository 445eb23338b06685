//! The cost lines of the write path (schema 6, `cost_minutes`): reading one
//! line by its key, and inserting or revising it while recording its move
//! between cost totals. Must not apply the totals (the caller does, once per
//! transaction) nor decide anything about pricing.

use rusqlite::{params, OptionalExtension, Transaction};
use rust_decimal::Decimal;

use super::codec::{self, Context};
use super::names::Names;
use super::totals::{CostDeltas, Delta};
use crate::ledger::StoreError;
use crate::records::{CostLine, LinePricing};

/// What an upsert did to its row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Change {
    Inserted,
    Revised,
    Unchanged,
}

/// The stored part of a cost line that can change on revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct LineValue {
    pub tokens: u64,
    pub pricing: LinePricing,
}

/// The stored line with `line`'s key, if any. Reads only: a name never
/// written means no such line.
pub(super) fn read_line(
    tx: &Transaction<'_>,
    names: &mut Names,
    line: &CostLine,
) -> Result<Option<LineValue>, StoreError> {
    let minute = codec::minute_to_sql(line.minute)?;
    let (Some(region), Some(model_id), Some(tt)) = (
        names.find(tx, &line.region)?,
        names.find(tx, &line.model_id)?,
        names.find(tx, line.token_type.as_str())?,
    ) else {
        return Ok(None);
    };
    read_by_ids(tx, [minute, region, model_id, tt])
}

fn read_by_ids(tx: &Transaction<'_>, key: [i64; 4]) -> Result<Option<LineValue>, StoreError> {
    let row = tx
        .prepare_cached(
            "SELECT c.tokens, m.name, e.name, c.usd, w.name FROM cost_minutes c
             LEFT JOIN names m ON m.id = c.model LEFT JOIN names e ON e.id = c.price_entry
             LEFT JOIN names w ON w.id = c.reason
             WHERE c.minute = ?1 AND c.region = ?2 AND c.model_id = ?3 AND c.token_type = ?4",
        )
        .and_then(|mut st| {
            st.query_row(key, |r| Ok((r.get::<_, i64>(0)?, (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))))
                .optional()
        })
        .ctx("reading cost line")?;
    row.map(|(tokens, cols)| {
        Ok(LineValue { tokens: codec::tokens_from_sql(tokens)?, pricing: codec::pricing_from_sql(cols)? })
    })
    .transpose()
}

/// What a line adds to its total: its usd, nothing if unpriced.
fn usd_of(pricing: &LinePricing) -> Decimal {
    match pricing {
        LinePricing::Priced { usd, .. } => *usd,
        LinePricing::Unpriced { .. } => Decimal::ZERO,
    }
}

/// Writes a line and records its move between totals in `deltas`, which
/// the caller applies before committing. A new minute takes one statement.
pub(super) fn upsert_line(
    tx: &Transaction<'_>,
    names: &mut Names,
    line: &CostLine,
    deltas: &mut CostDeltas,
) -> Result<Change, StoreError> {
    let minute = codec::minute_to_sql(line.minute)?;
    let key = [
        minute,
        names.id(tx, &line.region)?,
        names.id(tx, &line.model_id)?,
        names.id(tx, line.token_type.as_str())?,
    ];
    let tokens = codec::tokens_to_sql(line.tokens)?;
    let (model, price_entry, usd, reason) = codec::pricing_to_sql(&line.pricing);
    let (model, price_entry) =
        (names.opt_id(tx, model.as_deref())?, names.opt_id(tx, price_entry.as_deref())?);
    let reason = names.opt_id(tx, reason.as_deref())?;
    let row = params![key[0], key[1], key[2], key[3], tokens, model, price_entry, usd, reason];
    let inserted = tx
        .prepare_cached(
            "INSERT INTO cost_minutes (minute, region, model_id, token_type, tokens, model, price_entry, usd, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
        )
        .and_then(|mut st| st.execute(row))
        .ctx("inserting cost line")?;
    let series = (key[1], key[2], model, key[3]);
    if inserted == 1 {
        deltas.add(series, minute, usd_of(&line.pricing), Delta::Add(line.tokens))?;
        return Ok(Change::Inserted);
    }
    let new = LineValue { tokens: line.tokens, pricing: line.pricing.clone() };
    let Some(old) = read_by_ids(tx, key)? else {
        return Err(StoreError::Backend("a cost line neither inserted nor found".into()));
    };
    if old == new {
        return Ok(Change::Unchanged);
    }
    // A revision replaces: take the old line out of its series (which may be
    // a different one, e.g. unpriced → priced) before adding the new one.
    let old_model = match &old.pricing {
        LinePricing::Priced { model, .. } => Some(names.id(tx, model)?),
        LinePricing::Unpriced { .. } => None,
    };
    let old_series = (key[1], key[2], old_model, key[3]);
    deltas.add(old_series, minute, usd_of(&old.pricing), Delta::Remove(old.tokens))?;
    tx.prepare_cached(
        "UPDATE cost_minutes SET tokens = ?5, model = ?6, price_entry = ?7, usd = ?8, reason = ?9
         WHERE minute = ?1 AND region = ?2 AND model_id = ?3 AND token_type = ?4",
    )
    .and_then(|mut st| st.execute(row))
    .ctx("revising cost line")?;
    deltas.add(series, minute, usd_of(&line.pricing), Delta::Add(line.tokens))?;
    Ok(Change::Revised)
}
