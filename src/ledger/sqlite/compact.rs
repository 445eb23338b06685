//! Compaction of the SQLite ledger (`Store::compact`): minute rows before the
//! plan's horizon are folded a UTC day per transaction (cost lines and
//! shares checked against their hourly rollups, `fold.rs`, then deleted;
//! metric points and CloudTrail calls, which only all-time totals summarise,
//! deleted), then request IDs, read S3 objects and published or parked alerts past
//! their age are expired and the freed pages handed back to the file system.
//! Also the guards that keep compaction exact afterwards: a write before the
//! horizon is refused (re-writing a folded minute would add it to its rollup
//! twice), and a sum needing a folded hour's minutes fails instead of
//! undercounting.
//!
//! Must not decide the horizon (`ledger::retention` does) nor touch totals,
//! rollups, watermarks or pending alerts.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::codec::{self, Context};
use super::fold::fold_hour;
use super::totals::HOUR;
use crate::ledger::retention::{CompactPlan, CompactReport, COMPACTED_BEFORE};
use crate::ledger::window::DAY;
use crate::ledger::StoreError;

pub(super) fn compact(
    conn: &mut Connection,
    plan: &CompactPlan,
    file: Option<&std::path::Path>,
) -> Result<CompactReport, StoreError> {
    // Measure the file with its log folded in, as it will be after.
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).ctx("checkpointing the log")?;
    let mut report = CompactReport { bytes_before: size(conn, file)?, ..CompactReport::default() };
    let horizon = plan.minutes_before.timestamp();
    // Everything before the last horizon was folded (or is a kept hour), and
    // nothing can have been written there since: start from it.
    let first = match self::horizon(conn)? {
        Some(done) => Some(done),
        None => oldest_minute(conn)?,
    };
    let mut day = first.map_or(horizon, |m| m.div_euclid(HOUR) * HOUR);
    while day < horizon {
        let end = ((day.div_euclid(DAY) + 1) * DAY).min(horizon);
        compact_chunk(conn, plan, (day, end), &mut report)?;
        day = end;
    }
    expire(conn, plan, &mut report)?;
    super::vacuum::reclaim(conn)?;
    report.bytes_after = size(conn, file)?;
    Ok(report)
}

/// Where a first compaction starts (a scan of `calls`, once).
fn oldest_minute(conn: &Connection) -> Result<Option<i64>, StoreError> {
    let mut oldest: Option<i64> = None;
    for sql in [
        "SELECT MIN(minute) FROM cost_minutes",
        "SELECT MIN(minute) FROM metric_minutes",
        "SELECT MIN(hour) FROM principal_rollups WHERE hour >= 0",
        "SELECT MIN(minute) FROM calls",
    ] {
        let found: Option<i64> = conn.query_row(sql, [], |r| r.get(0)).ctx("finding the oldest minute")?;
        oldest = match (oldest, found) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    Ok(oldest)
}

/// One transaction: the horizon flag moves first, so a reader or writer
/// after the commit sees where minutes may be gone.
fn compact_chunk(
    conn: &mut Connection,
    plan: &CompactPlan,
    (from, to): (i64, i64),
    report: &mut CompactReport,
) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).ctx("starting compaction")?;
    move_horizon(&tx, to)?;
    let regions = share_regions(&tx)?;
    let keep = plan.boundary_hours(from, to);
    let mut hour = from;
    while hour < to {
        if keep.contains(&hour) {
            report.hours_kept += u64::from(has_minutes(&tx, hour)?);
        } else {
            let folded = fold_hour(&tx, hour, &regions)?;
            report.hours_folded += u64::from(folded.lines + folded.shares > 0);
            report.cost_lines += folded.lines;
            report.shares += folded.shares;
        }
        hour += HOUR;
    }
    report.metric_points +=
        delete(&tx, "DELETE FROM metric_minutes WHERE minute >= ?1 AND minute < ?2", params![from, to])?;
    for region in call_regions(&tx)? {
        let sql = "DELETE FROM calls WHERE region = ?1 AND minute >= ?2 AND minute < ?3";
        report.calls += delete(&tx, sql, params![region, from, to])?;
    }
    tx.commit().ctx("committing compaction")
}

fn delete(tx: &Transaction<'_>, sql: &str, args: impl rusqlite::Params) -> Result<u64, StoreError> {
    let n = tx.prepare_cached(sql).and_then(|mut st| st.execute(args)).ctx("deleting old rows")?;
    Ok(n as u64)
}

fn has_minutes(tx: &Transaction<'_>, hour: i64) -> Result<bool, StoreError> {
    tx.prepare_cached("SELECT 1 FROM cost_minutes WHERE minute >= ?1 AND minute < ?2 LIMIT 1")
        .and_then(|mut st| st.exists(params![hour, hour + HOUR]))
        .ctx("reading a kept hour")
}

fn share_regions(tx: &Transaction<'_>) -> Result<Vec<String>, StoreError> {
    strings(tx, "SELECT DISTINCT region FROM principal_rollups WHERE hour = -1")
}

fn call_regions(tx: &Transaction<'_>) -> Result<Vec<String>, StoreError> {
    strings(tx, "SELECT DISTINCT region FROM call_totals")
}

fn strings(tx: &Transaction<'_>, sql: &str) -> Result<Vec<String>, StoreError> {
    let mut st = tx.prepare_cached(sql).ctx("listing regions")?;
    let rows = st.query_map([], |r| r.get(0)).ctx("listing regions")?;
    rows.collect::<rusqlite::Result<Vec<String>>>().ctx("listing regions")
}

/// Request IDs and read objects past the horizon (the invocation-log job
/// forgets them too, but only while it runs), and alerts published before
/// `alerts_before` (or parked before it). A pending alert (neither) is never
/// touched.
fn expire(conn: &mut Connection, plan: &CompactPlan, report: &mut CompactReport) -> Result<(), StoreError> {
    let horizon = plan.minutes_before.timestamp();
    let published = codec::instant_to_sql(plan.alerts_before)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).ctx("starting expiry")?;
    move_horizon(&tx, horizon)?;
    report.request_ids += delete(&tx, "DELETE FROM log_requests WHERE minute < ?1", [horizon])?;
    report.log_objects += delete(&tx, "DELETE FROM log_objects WHERE hour < ?1", [horizon])?;
    let sql = "DELETE FROM outbox WHERE COALESCE(published_ns, parked_ns) < ?1";
    report.alerts += delete(&tx, sql, [published])?;
    tx.commit().ctx("committing expiry")
}

/// Records the horizon (never moving it back) in the transaction that
/// deletes up to it.
fn move_horizon(tx: &Transaction<'_>, to: i64) -> Result<(), StoreError> {
    if horizon(tx)?.is_some_and(|h| h >= to) {
        return Ok(());
    }
    let at = codec::minute_from_sql(to.div_euclid(60) * 60)?;
    tx.prepare_cached(
        "INSERT INTO flags (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .and_then(|mut st| st.execute(params![COMPACTED_BEFORE, at.to_rfc3339()]))
    .ctx("recording the compaction horizon")?;
    Ok(())
}

/// Epoch seconds before which minute detail may be gone; `None` if the
/// ledger was never compacted.
pub(super) fn horizon(conn: &Connection) -> Result<Option<i64>, StoreError> {
    let text: Option<String> = conn
        .prepare_cached("SELECT value FROM flags WHERE key = ?1")
        .and_then(|mut st| st.query_row(params![COMPACTED_BEFORE], |r| r.get(0)).optional())
        .ctx("reading the compaction horizon")?;
    text.map(|t| {
        DateTime::parse_from_rfc3339(&t)
            .map(|d| d.with_timezone(&Utc).timestamp())
            .map_err(|e| codec::corrupt("compaction horizon", format!("`{t}`: {e}")))
    })
    .transpose()
}

/// Refuses a write that reaches before the horizon: the minute may have been
/// folded, and writing it again would count it twice in its rollup.
pub(super) fn check_writable(conn: &Connection, earliest: Option<i64>) -> Result<(), StoreError> {
    let (Some(minute), Some(h)) = (earliest, horizon(conn)?) else { return Ok(()) };
    if minute >= h {
        return Ok(());
    }
    Err(StoreError::Backend(format!(
        "refusing to write {}: the ledger is compacted before {} (store.sqlite_minute_retention_days), and \
         writing a folded minute again would count it twice",
        codec::minute_from_sql(minute.div_euclid(60) * 60)?,
        codec::minute_from_sql(h.div_euclid(60) * 60)?
    )))
}

/// Which minute rows and rollup a sum reads, for `check_minutes_kept`.
pub(super) enum Summed {
    Costs,
    Shares,
}

impl Summed {
    /// (does the hour `?1` have a rollup row, does `[?1, ?2)` have a minute row)
    fn sql(&self) -> (&'static str, &'static str) {
        match self {
            Summed::Costs => (
                "SELECT 1 FROM cost_hours WHERE hour = ?1",
                "SELECT 1 FROM cost_minutes WHERE minute >= ?1 AND minute < ?2",
            ),
            // Shares are keyed region first: naming the regions lets the key serve the range.
            Summed::Shares => (
                "SELECT 1 FROM principal_rollups WHERE hour = ?1",
                "SELECT 1 FROM principal_costs WHERE minute >= ?1 AND minute < ?2 AND region IN
                   (SELECT DISTINCT region FROM principal_rollups WHERE hour = -1)",
            ),
        }
    }
}

/// Fails if the minutes `[a, b)` of one hour were folded away: the hour's
/// rollup has rows but the hour has no minute left.
pub(super) fn check_minutes_kept(
    conn: &Connection,
    (a, b): (i64, i64),
    kind: Summed,
) -> Result<(), StoreError> {
    let hour = a.div_euclid(HOUR) * HOUR;
    if b <= a || horizon(conn)?.is_none_or(|h| hour >= h) {
        return Ok(());
    }
    let (rollup, minutes) = kind.sql();
    let exists = |sql: &str, args: &[i64]| {
        conn.prepare_cached(sql)
            .and_then(|mut st| st.exists(rusqlite::params_from_iter(args)))
            .ctx("checking a compacted hour")
    };
    if !exists(rollup, &[hour])? || exists(minutes, &[hour, hour + HOUR])? {
        return Ok(());
    }
    Err(StoreError::Backend(format!(
        "the window edge {} falls inside an hour whose minutes were compacted into its hourly rollup, \
         so it cannot be summed exactly; sum whole hours, or add the timezone to monitor.timezone or \
         a budget so that its days stay exact",
        codec::minute_from_sql(a)?
    )))
}

fn size(conn: &Connection, file: Option<&std::path::Path>) -> Result<u64, StoreError> {
    if let Some(path) = file {
        return std::fs::metadata(path)
            .map(|m| m.len())
            .map_err(|e| StoreError::Backend(format!("reading the size of {}: {e}", path.display())));
    }
    let pages: i64 = conn.pragma_query_value(None, "page_count", |r| r.get(0)).ctx("reading page_count")?;
    let page: i64 = conn.pragma_query_value(None, "page_size", |r| r.get(0)).ctx("reading page_size")?;
    Ok(u64::try_from(pages * page).unwrap_or(0))
}
