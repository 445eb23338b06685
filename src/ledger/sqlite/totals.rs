//! Delta maintenance of the cost totals: the all-time `cost_totals` and the
//! hourly `cost_hours` rollup that budgets read. Every line written or
//! revised moves its contribution out of its old series and into its new
//! one, in the write transaction, so both always equal the sum of the latest
//! lines. Money is exact `Decimal` arithmetic in Rust, never SQL REAL.
//!
//! Must not decide what a line is worth; it only adds and subtracts.

use std::collections::{BTreeMap, HashMap};

use rusqlite::{params, OptionalExtension, Transaction};
use rust_decimal::Decimal;

use super::codec::{self, Context};
use super::names::Names;
use crate::ledger::StoreError;

pub(super) use crate::ledger::window::HOUR;

/// Whether a line's tokens (and its usd, from its pricing) enter or leave a total.
#[derive(Clone, Copy, Debug)]
pub(super) enum Delta {
    Add(u64),
    Remove(u64),
}

/// A cost total as stored: how many lines, their tokens and exact usd.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Total {
    lines: u64,
    tokens: u64,
    usd: Decimal,
}

impl Total {
    /// The total after the delta, or `None` if it would overflow or go
    /// negative, which only a total that disagrees with its lines can do.
    fn apply(self, delta: Delta, usd: Decimal) -> Option<Total> {
        Some(match delta {
            Delta::Add(n) => Total {
                lines: self.lines.checked_add(1)?,
                tokens: self.tokens.checked_add(n)?,
                usd: self.usd.checked_add(usd)?,
            },
            Delta::Remove(n) => Total {
                lines: self.lines.checked_sub(1)?,
                tokens: self.tokens.checked_sub(n)?,
                usd: self.usd.checked_sub(usd)?,
            },
        })
    }
}

/// The SQL of one totals table; `?5` is the hour where the table has one.
struct Table {
    read: &'static str,
    delete: &'static str,
    upsert: &'static str,
}

const ALL_TIME: Table = Table {
    read: "SELECT lines, tokens, usd FROM cost_totals
           WHERE region = ?1 AND model_id = ?2 AND model = ?3 AND token_type = ?4",
    delete: "DELETE FROM cost_totals WHERE region = ?1 AND model_id = ?2 AND model = ?3 AND token_type = ?4",
    upsert: "INSERT INTO cost_totals (region, model_id, model, token_type, lines, tokens, usd)
             VALUES (?1, ?2, ?3, ?4, ?6, ?7, ?8)
             ON CONFLICT (region, model_id, model, token_type)
             DO UPDATE SET lines = excluded.lines, tokens = excluded.tokens, usd = excluded.usd",
};

const HOURLY: Table = Table {
    read: "SELECT lines, tokens, usd FROM cost_hours
           WHERE region = ?1 AND model_id = ?2 AND model = ?3 AND token_type = ?4 AND hour = ?5",
    delete: "DELETE FROM cost_hours
             WHERE region = ?1 AND model_id = ?2 AND model = ?3 AND token_type = ?4 AND hour = ?5",
    upsert: "INSERT INTO cost_hours (region, model_id, model, token_type, hour, lines, tokens, usd)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (hour, region, model_id, model, token_type)
             DO UPDATE SET lines = excluded.lines, tokens = excluded.tokens, usd = excluded.usd",
};

/// A cost series by `names` ids: (region, model ID, model or `None` if
/// unpriced, token type). Ids, not texts, so summing a line allocates nothing.
pub(super) type Series = (i64, i64, Option<i64>, i64);

/// The signed change a batch makes to one total: lines, tokens, usd.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Change {
    lines: i64,
    tokens: i128,
    usd: Decimal,
}

/// The changes one transaction makes to the cost totals, summed per series
/// (all-time) and per series and hour, and written once per series at the
/// end (`apply`) instead of once per line: a day-chunk of a busy region has
/// thousands of lines but a few hundred series-hours.
#[derive(Debug, Default)]
pub(super) struct CostDeltas {
    all_time: HashMap<Series, Change>,
    hourly: HashMap<(i64, Series), Change>,
}

impl CostDeltas {
    /// Records that a line of `series` at `minute` (epoch seconds) enters or
    /// leaves its all-time total and its hour, with its tokens and `usd`.
    pub(super) fn add(
        &mut self,
        series: Series,
        minute: i64,
        usd: Decimal,
        delta: Delta,
    ) -> Result<(), StoreError> {
        let hour = minute.div_euclid(HOUR) * HOUR;
        let (lines, tokens, usd) = match delta {
            Delta::Add(n) => (1, i128::from(n), usd),
            Delta::Remove(n) => (-1, -i128::from(n), -usd),
        };
        for slot in [self.hourly.entry((hour, series)).or_default(), self.all_time.entry(series).or_default()]
        {
            slot.lines += lines;
            slot.tokens += tokens;
            slot.usd = slot.usd.checked_add(usd).ok_or_else(|| {
                StoreError::Backend("a cost total overflows exact decimal arithmetic".into())
            })?;
        }
        Ok(())
    }

    /// Writes every changed total, exactly, in key order; a total that would
    /// go negative or overflow is `Corrupt` (only a total that disagrees with
    /// its lines can).
    pub(super) fn apply(self, tx: &Transaction<'_>, names: &mut Names) -> Result<(), StoreError> {
        let all_time = self.all_time.into_iter().map(|(series, change)| ((0, series), change)).collect();
        for (table, changes) in
            [(&ALL_TIME, all_time), (&HOURLY, self.hourly.into_iter().collect::<Vec<_>>())]
        {
            let mut named = Vec::with_capacity(changes.len());
            for ((hour, (region, model_id, model, tt)), change) in changes {
                let model = model.map(|m| names.name(tx, m)).transpose()?.unwrap_or_default();
                let texts = (names.name(tx, region)?, names.name(tx, model_id)?, model, names.name(tx, tt)?);
                named.push(((hour, texts), change));
            }
            named.sort_by(|a, b| a.0.cmp(&b.0));
            for ((hour, texts), change) in named {
                apply(tx, table, &texts, hour, change)?;
            }
        }
        Ok(())
    }
}

/// A cost series as its totals are keyed: the texts of `Series`, '' for unpriced.
type Texts = (String, String, String, String);

fn apply(
    tx: &Transaction<'_>,
    table: &Table,
    series: &Texts,
    hour: i64,
    change: Change,
) -> Result<(), StoreError> {
    if change == Change::default() {
        return Ok(()); // a line revised and revised back, or moved within its series
    }
    let (region, model_id, model, tt) = series;
    // SQLite ignores surplus parameters only when they are unnamed and
    // unused, so each statement binds exactly the ones it names.
    let key = params![region, model_id, model, tt, hour];
    let old: Option<(i64, i64, String)> = tx
        .prepare_cached(table.read)
        .and_then(|mut st| {
            let n = st.parameter_count();
            st.query_row(&key[..n], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional()
        })
        .ctx("reading cost total")?;
    let (lines, tokens, usd) = match old {
        Some((lines, tokens, usd)) => (lines, i128::from(tokens), codec::usd_from_sql(&usd)?),
        None => (0, 0, Decimal::ZERO),
    };
    let corrupt = || {
        StoreError::Corrupt {
        what: "cost total",
        detail: format!("{region} {model_id} {model:?} {tt}: {lines} lines, {tokens} tokens, {usd} USD cannot take {change:?}"),
    }
    };
    let lines = lines.checked_add(change.lines).filter(|n| *n >= 0).ok_or_else(corrupt)?;
    let tokens = i64::try_from(tokens + change.tokens).ok().filter(|n| *n >= 0).ok_or_else(corrupt)?;
    let usd = usd.checked_add(change.usd).ok_or_else(corrupt)?;
    if lines == 0 {
        tx.prepare_cached(table.delete)
            .and_then(|mut st| {
                let n = st.parameter_count();
                st.execute(&key[..n])
            })
            .ctx("deleting an emptied cost total")?;
        return Ok(());
    }
    tx.prepare_cached(table.upsert)
        .and_then(|mut st| {
            st.execute(params![region, model_id, model, tt, hour, lines, tokens, codec::usd_to_sql(usd)])
        })
        .ctx("writing cost total")?;
    Ok(())
}

/// Fills `cost_hours` from every cost line (the upgrade from schema 1).
pub(super) fn rebuild_cost_hours(tx: &Transaction<'_>) -> Result<(), StoreError> {
    type Key = (i64, String, String, String, String);
    let mut sums: BTreeMap<Key, Total> = BTreeMap::new();
    let mut st = tx
        .prepare(
            "SELECT minute, region, model_id, COALESCE(model, ''), token_type, tokens, usd FROM cost_lines",
        )
        .ctx("reading cost lines for the hourly rollup")?;
    let rows = st
        .query_map([], |r| {
            let key: Key =
                (r.get::<_, i64>(0)?.div_euclid(HOUR) * HOUR, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
            Ok((key, r.get::<_, i64>(5)?, r.get::<_, Option<String>>(6)?))
        })
        .ctx("reading cost lines for the hourly rollup")?;
    for row in rows {
        let (key, tokens, usd) = row.ctx("reading cost lines for the hourly rollup")?;
        let usd = usd.as_deref().map(codec::usd_from_sql).transpose()?.unwrap_or_default();
        let total = sums.entry(key).or_default();
        *total = total
            .apply(Delta::Add(codec::tokens_from_sql(tokens)?), usd)
            .ok_or_else(|| StoreError::Corrupt { what: "cost total", detail: "overflow in rollup".into() })?;
    }
    drop(st);
    for ((hour, region, model_id, model, tt), t) in sums {
        let (lines, tokens) = (codec::tokens_to_sql(t.lines)?, codec::tokens_to_sql(t.tokens)?);
        tx.prepare_cached(HOURLY.upsert)
            .and_then(|mut st| {
                st.execute(params![
                    region,
                    model_id,
                    model,
                    tt,
                    hour,
                    lines,
                    tokens,
                    codec::usd_to_sql(t.usd)
                ])
            })
            .ctx("writing the hourly rollup")?;
    }
    Ok(())
}
