//! Window sums for budgets: whole UTC hours come from the hourly rollups,
//! the minutes of a partial first or last hour from the minute rows (the
//! split is `ledger::window`'s, shared by every store).
//!
//! Read-only. Sums are exact `Decimal` additions in Rust. A partial hour
//! whose minutes compaction folded away is an error, never a short sum.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use rust_decimal::Decimal;

use super::attribution::{minute_rows, rollup_rows, ALL_TIME};
use super::codec::{self, Context};
use super::compact::{check_minutes_kept, Summed};
use crate::ledger::order::merge_shares;
use crate::ledger::window::split;
use crate::ledger::StoreError;
use crate::records::{CostTotal, PrincipalTotal};

use crate::ledger::order::CostKey;
/// (region, model ID, model or '', token type, tokens, usd or NULL) as read.
type CostRow = (String, String, String, String, i64, Option<String>);

fn add_cost(acc: &mut BTreeMap<CostKey, (u64, Decimal)>, row: CostRow) -> Result<(), StoreError> {
    let (region, model_id, model, tt, tokens, usd) = row;
    let key = (region, model_id, Some(model).filter(|m| !m.is_empty()), codec::token_type_from_sql(&tt)?);
    let usd = usd.as_deref().map(codec::usd_from_sql).transpose()?.unwrap_or_default();
    let slot = acc.entry(key).or_default();
    slot.0 = slot.0.saturating_add(codec::tokens_from_sql(tokens)?);
    slot.1 = slot.1.checked_add(usd).ok_or_else(overflow)?;
    Ok(())
}

fn overflow() -> StoreError {
    StoreError::Backend("sum overflows exact decimal arithmetic".into())
}

/// Adds the rows of `sql` over `[a, b)` to `acc` as they are read: a
/// budget window's partial hours are up to 59 minutes of every series'
/// lines (at 50 model IDs in 5 regions some 60,000 rows, 8 MB if collected
/// first), while their sums are one entry per series and token type.
fn add_query(
    acc: &mut BTreeMap<CostKey, (u64, Decimal)>,
    conn: &Connection,
    sql: &str,
    a: i64,
    b: i64,
) -> Result<(), StoreError> {
    let mut st = conn.prepare_cached(sql).ctx("reading cost sums")?;
    let rows = st
        .query_map(params![a, b], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
        .ctx("reading cost sums")?;
    for row in rows {
        add_cost(acc, row.ctx("reading cost sums")?)?;
    }
    Ok(())
}

pub(super) fn cost_sums(
    conn: &Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<CostTotal>, StoreError> {
    let s = split(from, to);
    let mut acc = BTreeMap::new();
    for (a, b) in s.minutes {
        check_minutes_kept(conn, (a, b), Summed::Costs)?;
        let sql = "SELECT region, model_id, COALESCE(model, ''), token_type, tokens, usd FROM cost_lines
                   WHERE minute >= ?1 AND minute < ?2";
        add_query(&mut acc, conn, sql, a, b)?;
    }
    if let Some((a, b)) = s.hours {
        let sql = "SELECT region, model_id, model, token_type, tokens, usd FROM cost_hours
                   WHERE hour >= ?1 AND hour < ?2";
        add_query(&mut acc, conn, sql, a, b)?;
    }
    Ok(crate::ledger::order::cost_totals_of(acc))
}

pub(super) fn principal_totals(conn: &Connection) -> Result<Vec<PrincipalTotal>, StoreError> {
    merge_shares(rollup_rows(conn, ALL_TIME, ALL_TIME + 1)?)
}

pub(super) fn principal_sums(
    conn: &Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<PrincipalTotal>, StoreError> {
    let s = split(from, to);
    let mut rows = Vec::new();
    for (a, b) in s.minutes {
        check_minutes_kept(conn, (a, b), Summed::Shares)?;
        rows.extend(minute_rows(conn, a, b)?);
    }
    if let Some((a, b)) = s.hours {
        rows.extend(rollup_rows(conn, a, b)?);
    }
    merge_shares(rows)
}
