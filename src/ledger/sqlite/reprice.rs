//! Re-pricing in SQLite: a day's line changes and its audit row in one
//! IMMEDIATE transaction, so the day is either wholly old or wholly new
//! after any crash. Each line is rewritten through the write path's upsert
//! (its all-time total and hourly rollup move by delta, `totals.rs`), and
//! only if it is still stored as it was read: one stale line rolls the
//! whole day back. Must not price anything.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, TransactionBehavior};

use super::codec::{self, Context};
use super::lines::{read_line, upsert_line, Change, LineValue};
use super::names::Names;
use super::totals::CostDeltas;
use super::SqliteStore;
use crate::ledger::reprice::{decode_record, encode_record};
use crate::ledger::{Fence, RepriceDay, RepriceRecord, RepriceStats, RepriceStore, StoreError};

#[async_trait]
impl RepriceStore for SqliteStore {
    async fn reprice_day(&self, day: &RepriceDay) -> Result<RepriceStats, StoreError> {
        let day = day.clone();
        self.run_write(move |conn, fence| reprice_day(conn, &day, fence)).await
    }

    async fn reprice_records(&self) -> Result<Vec<RepriceRecord>, StoreError> {
        self.run(|conn| records(conn)).await
    }

    async fn rewritable_from(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.run(|conn| super::compact::horizon(conn)?.map(codec::minute_from_sql).transpose()).await
    }
}

fn reprice_day(
    conn: &mut Connection,
    day: &RepriceDay,
    fence: Option<&Fence>,
) -> Result<RepriceStats, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).ctx("starting a re-price")?;
    super::fence::check_if(&tx, fence)?;
    let earliest = day.changes.iter().map(|c| c.line.minute.timestamp()).min();
    super::compact::check_writable(&tx, earliest)?;
    let mut stats = RepriceStats::default();
    let (mut names, mut deltas) = (Names::default(), CostDeltas::default());
    for change in &day.changes {
        let read = LineValue { tokens: change.line.tokens, pricing: change.line.pricing.clone() };
        let wanted = LineValue { tokens: change.line.tokens, pricing: change.pricing.clone() };
        let stored = read_line(&tx, &mut names, &change.line)?;
        match stored {
            Some(s) if s == wanted => stats.already += 1,
            Some(s) if s == read => {
                if upsert_line(&tx, &mut names, &change.repriced(), &mut deltas)? != Change::Unchanged {
                    stats.rewritten += 1;
                }
            }
            _ => stats.stale += 1,
        }
    }
    if stats.stale > 0 {
        // Dropping the transaction rolls back every line of the day.
        return Ok(RepriceStats { rewritten: 0, ..stats });
    }
    deltas.apply(&tx, &mut names)?;
    let r = &day.record;
    let (at, body) = (codec::instant_to_sql(r.at)?, encode_record(r)?);
    tx.prepare_cached("INSERT OR REPLACE INTO reprices (at_ns, day, body) VALUES (?1, ?2, ?3)")
        .and_then(|mut st| st.execute(params![at, r.day.to_string(), body]))
        .ctx("recording a re-price")?;
    tx.commit().ctx("committing a re-price")?;
    Ok(stats)
}

fn records(conn: &Connection) -> Result<Vec<RepriceRecord>, StoreError> {
    let mut st =
        conn.prepare_cached("SELECT body FROM reprices ORDER BY at_ns, day").ctx("reading reprices")?;
    let rows = st.query_map([], |r| r.get::<_, String>(0)).ctx("reading reprices")?;
    rows.map(|row| decode_record(&row.ctx("reading reprices")?)).collect()
}
