//! Folding one UTC hour: its cost lines and attributed shares are summed
//! exactly, compared with the hour's rollups (`cost_hours`,
//! `principal_rollups`), and deleted only if every series agrees to the last
//! digit, line count included. The rollups were kept by delta in every
//! write, so they already hold the hour; folding proves it and lets the
//! minutes go. All-time totals are not touched: they never depended on the
//! minute rows.
//!
//! Runs inside the caller's transaction; a disagreement is
//! `StoreError::Corrupt` and the caller's rollback keeps every row.

use std::collections::BTreeMap;

use rusqlite::{params, Transaction};
use rust_decimal::Decimal;

use super::codec::{self, Context};
use super::totals::HOUR;
use crate::ledger::StoreError;

/// A series' count of rows, tokens (0 for shares) and exact usd.
type Sum = (u64, u64, Decimal);
type Sums = BTreeMap<Vec<String>, Sum>;

/// What folding an hour removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Folded {
    pub lines: u64,
    pub shares: u64,
}

/// The SQL of one kind of minute row and its hourly rollup. Each query
/// yields the key columns, then (rows or 1, tokens or 0, usd or NULL).
struct Kind {
    what: &'static str,
    minutes: &'static str,
    rollup: &'static str,
    delete: &'static str,
    /// Key columns before the three value columns.
    keys: usize,
}

const COSTS: Kind = Kind {
    what: "cost lines",
    minutes: "SELECT region, model_id, COALESCE(model, ''), token_type, 1, tokens, usd FROM cost_lines
              WHERE minute >= ?1 AND minute < ?2",
    rollup: "SELECT region, model_id, model, token_type, lines, tokens, usd FROM cost_hours WHERE hour = ?1",
    delete: "DELETE FROM cost_minutes WHERE minute >= ?1 AND minute < ?2",
    keys: 4,
};

const SHARES: Kind = Kind {
    what: "cost shares",
    minutes: "SELECT region, model_id, model, principal, attribution, 1, 0, usd FROM principal_costs
              WHERE region = ?3 AND minute >= ?1 AND minute < ?2",
    rollup: "SELECT region, model_id, model, principal, attribution, rows, 0, usd FROM principal_rollups
             WHERE hour = ?1",
    delete: "DELETE FROM principal_costs WHERE region = ?3 AND minute >= ?1 AND minute < ?2",
    keys: 5,
};

/// Checks and deletes the minutes of the hour starting at `hour`; `regions`
/// are those holding shares (their rows are keyed region first).
pub(super) fn fold_hour(tx: &Transaction<'_>, hour: i64, regions: &[String]) -> Result<Folded, StoreError> {
    let lines = fold(tx, &COSTS, hour, &[String::new()])?;
    let shares = fold(tx, &SHARES, hour, regions)?;
    Ok(Folded { lines, shares })
}

fn fold(tx: &Transaction<'_>, kind: &Kind, hour: i64, regions: &[String]) -> Result<u64, StoreError> {
    let end = hour + HOUR;
    let mut minutes = Sums::new();
    for region in regions {
        let args = params![hour, end, region];
        read(tx, kind, kind.minutes, &args[..count(tx, kind.minutes)?], &mut minutes)?;
    }
    if minutes.is_empty() {
        return Ok(0); // already folded, or nothing happened that hour
    }
    let mut rollup = Sums::new();
    read(tx, kind, kind.rollup, params![hour], &mut rollup)?;
    if rollup != minutes {
        return Err(StoreError::Corrupt {
            what: "hourly rollup",
            detail: format!(
                "the {} of the hour starting {} do not add up to its rollup ({}); nothing of it was \
                 deleted",
                kind.what,
                codec::minute_from_sql(hour)?,
                first_difference(&minutes, &rollup)
            ),
        });
    }
    let mut removed = 0;
    for region in regions {
        let args = params![hour, end, region];
        removed += tx
            .prepare_cached(kind.delete)
            .and_then(|mut st| {
                let n = st.parameter_count();
                st.execute(&args[..n])
            })
            .ctx("deleting folded minutes")?;
    }
    Ok(u64::try_from(removed).unwrap_or(u64::MAX))
}

fn count(tx: &Transaction<'_>, sql: &str) -> Result<usize, StoreError> {
    Ok(tx.prepare_cached(sql).ctx("preparing a fold")?.parameter_count())
}

fn read(
    tx: &Transaction<'_>,
    kind: &Kind,
    sql: &str,
    args: impl rusqlite::Params,
    into: &mut Sums,
) -> Result<(), StoreError> {
    let k = kind.keys;
    let mut st = tx.prepare_cached(sql).ctx("reading an hour to fold")?;
    let rows = st
        .query_map(args, |r| {
            let key = (0..k).map(|i| r.get::<_, String>(i)).collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((key, r.get::<_, i64>(k)?, r.get::<_, i64>(k + 1)?, r.get::<_, Option<String>>(k + 2)?))
        })
        .ctx("reading an hour to fold")?;
    for row in rows {
        let (key, n, tokens, usd) = row.ctx("reading an hour to fold")?;
        let usd = usd.as_deref().map(codec::usd_from_sql).transpose()?.unwrap_or_default();
        let slot = into.entry(key).or_default();
        let overflow = || StoreError::Backend("an hour's sum overflows exact arithmetic".into());
        slot.0 = slot.0.checked_add(codec::tokens_from_sql(n)?).ok_or_else(overflow)?;
        slot.1 = slot.1.checked_add(codec::tokens_from_sql(tokens)?).ok_or_else(overflow)?;
        slot.2 = slot.2.checked_add(usd).ok_or_else(overflow)?;
    }
    Ok(())
}

fn first_difference(minutes: &Sums, rollup: &Sums) -> String {
    let keys = minutes.keys().chain(rollup.keys());
    for key in keys {
        let (m, r) = (minutes.get(key), rollup.get(key));
        if m != r {
            return format!("{}: minutes {m:?}, rollup {r:?}", key.join(" "));
        }
    }
    String::new()
}
