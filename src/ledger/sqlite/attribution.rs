//! Attributed cost shares in SQLite: replacing a region's window of
//! `principal_costs`, with the all-time totals (`hour = -1`) and hourly
//! rollups of `principal_rollups` kept by delta in the same transaction.
//!
//! Must not compute shares (that is `attribution`); it stores what it is given.

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use rust_decimal::Decimal;

use super::codec::{self, Context};
use super::replace::{replace, Rows};
use super::totals::HOUR;
use crate::ledger::{AttributionBatch, Fence, ReplaceStats, StoreError};
use crate::records::{Attribution, PrincipalTotal};

/// (minute, model ID, model, principal, attribution).
type Key = (i64, String, String, String, String);

/// The `hour` of the all-time totals in `principal_rollups`.
pub(super) const ALL_TIME: i64 = -1;

/// Checks the whole batch (`AttributionBatch::check`) before anything is
/// written, and keys it.
fn validate(batch: &AttributionBatch) -> Result<BTreeMap<Key, Decimal>, StoreError> {
    batch.check()?;
    let key = |s: &crate::records::PrincipalCost| -> Result<Key, StoreError> {
        Ok((
            codec::minute_to_sql(s.minute)?,
            s.model_id.clone(),
            s.model.clone(),
            s.principal.clone(),
            s.attribution.as_str().to_string(),
        ))
    };
    batch.shares.iter().map(|s| Ok((key(s)?, s.usd))).collect()
}

pub(super) fn write_attribution(
    conn: &mut Connection,
    batch: &AttributionBatch,
    fence: Option<&Fence>,
) -> Result<ReplaceStats, StoreError> {
    let new = validate(batch)?;
    let (from, to) = (codec::bound_to_sql(batch.from), codec::bound_to_sql(batch.to));
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).ctx("starting share write")?;
    super::fence::check_if(&tx, fence)?;
    super::compact::check_writable(&tx, Some(from))?;
    let old = read_window(&tx, &batch.region, from, to)?;
    let stats = replace(old, &new, &mut ShareRows { tx: &tx, region: &batch.region })?;
    tx.commit().ctx("committing share write")?;
    Ok(stats)
}

/// The `principal_costs` rows of one region, with their rollups.
struct ShareRows<'a> {
    tx: &'a Transaction<'a>,
    region: &'a str,
}

impl Rows<Key, Decimal> for ShareRows<'_> {
    fn upsert(&mut self, key: &Key, usd: &Decimal) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO principal_costs (region, minute, model_id, model, principal, attribution, usd)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (region, minute, model_id, model, principal, attribution) DO UPDATE SET usd = excluded.usd",
            )
            .and_then(|mut st| {
                st.execute(params![self.region, key.0, key.1, key.2, key.3, key.4, codec::usd_to_sql(*usd)])
            })
            .ctx("upserting share")
            .map(drop)
    }

    fn delete(&mut self, key: &Key) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "DELETE FROM principal_costs WHERE region = ?1 AND minute = ?2 AND model_id = ?3 AND model = ?4
                 AND principal = ?5 AND attribution = ?6",
            )
            .and_then(|mut st| st.execute(params![self.region, key.0, key.1, key.2, key.3, key.4]))
            .ctx("deleting share")
            .map(drop)
    }

    fn account(&mut self, key: &Key, usd: &Decimal, entering: bool) -> Result<(), StoreError> {
        if entering {
            adjust(self.tx, self.region, key, *usd, 1)
        } else {
            adjust(self.tx, self.region, key, -*usd, -1)
        }
    }
}

fn read_window(
    tx: &Transaction<'_>,
    region: &str,
    from: i64,
    to: i64,
) -> Result<BTreeMap<Key, Decimal>, StoreError> {
    let mut st = tx
        .prepare_cached(
            "SELECT minute, model_id, model, principal, attribution, usd FROM principal_costs
             WHERE region = ?1 AND minute >= ?2 AND minute < ?3",
        )
        .ctx("reading share window")?;
    let raw = st
        .query_map(params![region, from, to], |r| {
            Ok(((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?), r.get::<_, String>(5)?))
        })
        .ctx("reading share window")?
        .collect::<rusqlite::Result<Vec<(Key, String)>>>()
        .ctx("reading share window")?;
    raw.into_iter().map(|(k, usd)| Ok((k, codec::usd_from_sql(&usd)?))).collect()
}

/// Moves `usd` and `rows` (±1) into the all-time total and the hour of the key.
fn adjust(tx: &Transaction<'_>, region: &str, key: &Key, usd: Decimal, rows: i64) -> Result<(), StoreError> {
    for hour in [ALL_TIME, key.0.div_euclid(HOUR) * HOUR] {
        let k = params![hour, region, key.1, key.2, key.3, key.4];
        let old: Option<(i64, String)> = tx
            .prepare_cached(
                "SELECT rows, usd FROM principal_rollups WHERE hour = ?1 AND region = ?2 AND model_id = ?3
                 AND model = ?4 AND principal = ?5 AND attribution = ?6",
            )
            .and_then(|mut st| st.query_row(k, |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .ctx("reading share rollup")?;
        let (old_rows, old_usd) = match old {
            Some((n, text)) => (n, codec::usd_from_sql(&text)?),
            None => (0, Decimal::ZERO),
        };
        let new_rows = old_rows + rows;
        let new_usd =
            old_usd.checked_add(usd).filter(|_| new_rows >= 0).ok_or_else(|| StoreError::Corrupt {
                what: "share rollup",
                detail: format!("{region} {key:?}: ({old_rows}, {old_usd}) cannot take ({rows}, {usd})"),
            })?;
        let sql = if new_rows == 0 {
            "DELETE FROM principal_rollups WHERE hour = ?1 AND region = ?2 AND model_id = ?3 AND model = ?4
             AND principal = ?5 AND attribution = ?6"
        } else {
            "INSERT INTO principal_rollups (hour, region, model_id, model, principal, attribution, rows, usd)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (hour, region, model_id, model, principal, attribution)
             DO UPDATE SET rows = excluded.rows, usd = excluded.usd"
        };
        tx.prepare_cached(sql)
            .and_then(|mut st| {
                let all =
                    params![hour, region, key.1, key.2, key.3, key.4, new_rows, codec::usd_to_sql(new_usd)];
                let n = st.parameter_count();
                st.execute(&all[..n])
            })
            .ctx("writing share rollup")?;
    }
    Ok(())
}

/// Rows of `principal_rollups` for hours in `[from, to)` (or the totals) as records.
pub(super) fn rollup_rows(
    conn: &Connection,
    from_hour: i64,
    to_hour: i64,
) -> Result<Vec<PrincipalTotal>, StoreError> {
    let mut st = conn
        .prepare_cached(
            "SELECT region, model_id, model, principal, attribution, usd FROM principal_rollups
             WHERE hour >= ?1 AND hour < ?2",
        )
        .ctx("reading share rollups")?;
    let raw = st
        .query_map(params![from_hour, to_hour], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?, r.get::<_, String>(5)?))
        })
        .ctx("reading share rollups")?
        .collect::<rusqlite::Result<Vec<(String, String, String, String, String, String)>>>()
        .ctx("reading share rollups")?;
    raw.into_iter()
        .map(|(region, model_id, model, principal, a, usd)| {
            to_total(region, model_id, model, principal, &a, &usd)
        })
        .collect()
}

/// Minute rows of `principal_costs` with `from <= minute < to`, as records.
pub(super) fn minute_rows(conn: &Connection, from: i64, to: i64) -> Result<Vec<PrincipalTotal>, StoreError> {
    let mut st = conn
        .prepare_cached(
            "SELECT region, model_id, model, principal, attribution, usd FROM principal_costs
             WHERE minute >= ?1 AND minute < ?2",
        )
        .ctx("reading shares")?;
    let raw = st
        .query_map(params![from, to], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?, r.get::<_, String>(5)?))
        })
        .ctx("reading shares")?
        .collect::<rusqlite::Result<Vec<(String, String, String, String, String, String)>>>()
        .ctx("reading shares")?;
    raw.into_iter()
        .map(|(region, model_id, model, principal, a, usd)| {
            to_total(region, model_id, model, principal, &a, &usd)
        })
        .collect()
}

fn to_total(
    region: String,
    model_id: String,
    model: String,
    principal: String,
    attribution: &str,
    usd: &str,
) -> Result<PrincipalTotal, StoreError> {
    let attribution = Attribution::from_key(attribution).ok_or_else(|| StoreError::Corrupt {
        what: "attribution",
        detail: format!("unknown `{attribution}`"),
    })?;
    Ok(PrincipalTotal { region, model_id, model, principal, attribution, usd: codec::usd_from_sql(usd)? })
}
