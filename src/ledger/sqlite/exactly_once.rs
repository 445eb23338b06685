//! Coordination state in SQLite: the alert outbox, the leader lease, budget
//! statuses and named flags. Every state change that must happen once is a
//! single conditional statement, so it stays correct even with several
//! processes on one file (SQLite serialises writers).
//!
//! Must not decide anything: it claims, marks and reads what it is told.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use super::codec::{self, Context};
use crate::budgets::BudgetStatus;
use crate::ledger::{Lease, OutboxEntry, StoreError};

fn ns(at: DateTime<Utc>) -> Result<i64, StoreError> {
    codec::instant_to_sql(at)
}

pub(super) fn claim_alert(conn: &Connection, e: &OutboxEntry) -> Result<bool, StoreError> {
    let attributes = serde_json::to_string(&e.attributes)
        .map_err(|err| StoreError::Backend(format!("encoding alert attributes: {err}")))?;
    let published = e.published_at.map(ns).transpose()?;
    let created = ns(e.created_at)?;
    let inserted = conn
        .prepare_cached(
            "INSERT INTO outbox (dedupe_key, kind, created_ns, subject, body, attributes, group_id, attempts,
                                 last_error, published_ns)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .and_then(|mut st| {
            st.execute(params![
                e.dedupe_key,
                e.kind,
                created,
                e.subject,
                e.body,
                attributes,
                e.group_id,
                e.attempts,
                e.last_error,
                published
            ])
        })
        .ctx("claiming alert")?;
    Ok(inserted == 1)
}

const ENTRY_COLUMNS: &str =
    "dedupe_key, kind, created_ns, subject, body, attributes, group_id, attempts, last_error, published_ns";

fn entry(r: &Row<'_>) -> rusqlite::Result<(OutboxEntry, String)> {
    Ok((
        OutboxEntry {
            dedupe_key: r.get(0)?,
            kind: r.get(1)?,
            created_at: codec::instant_from_sql(r.get(2)?),
            subject: r.get(3)?,
            body: r.get(4)?,
            attributes: BTreeMap::new(),
            group_id: r.get(6)?,
            attempts: r.get(7)?,
            last_error: r.get(8)?,
            published_at: r.get::<_, Option<i64>>(9)?.map(codec::instant_from_sql),
        },
        r.get(5)?,
    ))
}

fn decode(raw: (OutboxEntry, String)) -> Result<OutboxEntry, StoreError> {
    let (mut e, attributes) = raw;
    e.attributes = serde_json::from_str(&attributes)
        .map_err(|err| StoreError::Corrupt { what: "alert attributes", detail: err.to_string() })?;
    Ok(e)
}

pub(super) fn pending_alerts(conn: &Connection, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM outbox WHERE published_ns IS NULL ORDER BY created_ns, dedupe_key LIMIT ?1"
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut st = conn.prepare_cached(&sql).ctx("reading pending alerts")?;
    let rows = st.query_map(params![limit], entry).ctx("reading pending alerts")?;
    let raw = rows.collect::<rusqlite::Result<Vec<_>>>().ctx("reading pending alerts")?;
    raw.into_iter().map(decode).collect()
}

pub(super) fn alert(conn: &Connection, key: &str) -> Result<Option<OutboxEntry>, StoreError> {
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM outbox WHERE dedupe_key = ?1");
    let raw = conn
        .prepare_cached(&sql)
        .and_then(|mut st| st.query_row(params![key], entry).optional())
        .ctx("reading alert")?;
    raw.map(decode).transpose()
}

pub(super) fn mark_alert_published(
    conn: &Connection,
    key: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let at = ns(at)?;
    let n = conn
        .prepare_cached(
            "UPDATE outbox SET published_ns = ?2, attempts = attempts + 1
             WHERE dedupe_key = ?1 AND published_ns IS NULL",
        )
        .and_then(|mut st| st.execute(params![key, at]))
        .ctx("marking alert published")?;
    Ok(n == 1)
}

pub(super) fn lock_alert(
    conn: &Connection,
    key: &str,
    holder: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let (now, until) = (ns(now)?, ns(until)?);
    let n = conn
        .prepare_cached(
            "UPDATE outbox SET lock_holder = ?2, lock_ns = ?4
             WHERE dedupe_key = ?1 AND published_ns IS NULL AND (lock_ns IS NULL OR lock_ns <= ?3)",
        )
        .and_then(|mut st| st.execute(params![key, holder, now, until]))
        .ctx("locking alert")?;
    Ok(n == 1)
}

pub(super) fn mark_alert_failed(conn: &Connection, key: &str, error: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, lock_holder = NULL, lock_ns = NULL
         WHERE dedupe_key = ?1 AND published_ns IS NULL",
    )
    .and_then(|mut st| st.execute(params![key, error]))
    .ctx("recording a failed publish")?;
    Ok(())
}

/// One conditional upsert: the row changes only when it is free, expired
/// or already the caller's; then the lease is read back, whoever won.
pub(super) fn acquire_lease(
    conn: &mut Connection,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<Lease, StoreError> {
    let (now_ns, until_ns) = (ns(now)?, ns(now + ttl)?);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).ctx("starting lease")?;
    tx.prepare_cached(
        "INSERT INTO leases (name, holder, expires_ns) VALUES (?1, ?2, ?3)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_ns = excluded.expires_ns
         WHERE leases.holder = excluded.holder OR leases.expires_ns <= ?4",
    )
    .and_then(|mut st| st.execute(params![name, holder, until_ns, now_ns]))
    .ctx("acquiring lease")?;
    let (holder, expires): (String, i64) = tx
        .prepare_cached("SELECT holder, expires_ns FROM leases WHERE name = ?1")
        .and_then(|mut st| st.query_row(params![name], |r| Ok((r.get(0)?, r.get(1)?))))
        .ctx("reading lease")?;
    tx.commit().ctx("committing lease")?;
    Ok(Lease { holder, expires_at: codec::instant_from_sql(expires) })
}

pub(super) fn release_lease(conn: &Connection, name: &str, holder: &str) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM leases WHERE name = ?1 AND holder = ?2")
        .and_then(|mut st| st.execute(params![name, holder]))
        .ctx("releasing lease")?;
    Ok(())
}

pub(super) fn put_budget_statuses(
    conn: &mut Connection,
    statuses: &[BudgetStatus],
) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).ctx("starting status write")?;
    tx.execute("DELETE FROM budget_statuses", []).ctx("clearing budget statuses")?;
    for s in statuses {
        let body = serde_json::to_string(s)
            .map_err(|err| StoreError::Backend(format!("encoding budget status: {err}")))?;
        tx.prepare_cached("INSERT INTO budget_statuses (budget, principal, body) VALUES (?1, ?2, ?3)")
            .and_then(|mut st| st.execute(params![s.budget, s.subject().unwrap_or_default(), body]))
            .ctx("writing budget status")?;
    }
    tx.commit().ctx("committing budget statuses")
}

pub(super) fn budget_statuses(conn: &Connection) -> Result<Vec<BudgetStatus>, StoreError> {
    let mut st = conn
        .prepare_cached("SELECT body FROM budget_statuses ORDER BY budget, principal")
        .ctx("reading budget statuses")?;
    let bodies = st
        .query_map([], |r| r.get::<_, String>(0))
        .ctx("reading budget statuses")?
        .collect::<rusqlite::Result<Vec<_>>>()
        .ctx("reading budget statuses")?;
    bodies
        .iter()
        .map(|b| {
            serde_json::from_str(b)
                .map_err(|err| StoreError::Corrupt { what: "budget status", detail: err.to_string() })
        })
        .collect()
}

pub(super) fn get_state(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    conn.prepare_cached("SELECT value FROM flags WHERE key = ?1")
        .and_then(|mut st| st.query_row(params![key], |r| r.get(0)).optional())
        .ctx("reading flag")
}

pub(super) fn put_state(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT INTO flags (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .and_then(|mut st| st.execute(params![key, value]))
        .ctx("writing flag")?;
    Ok(())
}

pub(super) fn delete_state(conn: &Connection, key: &str) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM flags WHERE key = ?1")
        .and_then(|mut st| st.execute(params![key]))
        .ctx("deleting flag")?;
    Ok(())
}
