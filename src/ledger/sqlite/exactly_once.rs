//! Coordination state in SQLite: the leader lease, budget statuses and
//! named flags (the alert outbox is `outbox.rs`). Every state change that
//! must happen once is a single conditional statement, so it stays correct
//! even with several processes on one file (SQLite serialises writers).
//!
//! Must not decide anything: it claims, marks and reads what it is told.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::codec::{self, Context};
use crate::budgets::BudgetStatus;
use crate::ledger::{Lease, StoreError};

fn ns(at: DateTime<Utc>) -> Result<i64, StoreError> {
    codec::instant_to_sql(at)
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

/// The flag holding when the stored status set was evaluated (epoch ns).
const STATUSES_EVALUATED: &str = "budget_statuses:evaluated";

pub(super) fn put_budget_statuses(
    conn: &mut Connection,
    statuses: &[BudgetStatus],
    evaluated_at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let evaluated = codec::instant_to_sql(evaluated_at)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).ctx("starting status write")?;
    let stored: Option<String> = get_state(&tx, STATUSES_EVALUATED)?;
    if stored.and_then(|s| s.parse::<i64>().ok()).is_some_and(|s| s > evaluated) {
        return Ok(false);
    }
    put_state(&tx, STATUSES_EVALUATED, &evaluated.to_string())?;
    tx.execute("DELETE FROM budget_statuses", []).ctx("clearing budget statuses")?;
    for s in statuses {
        let body = serde_json::to_string(s)
            .map_err(|err| StoreError::Backend(format!("encoding budget status: {err}")))?;
        tx.prepare_cached("INSERT INTO budget_statuses (budget, principal, body) VALUES (?1, ?2, ?3)")
            .and_then(|mut st| st.execute(params![s.budget, s.subject().unwrap_or_default(), body]))
            .ctx("writing budget status")?;
    }
    tx.commit().ctx("committing budget statuses")?;
    Ok(true)
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

pub(super) fn open_state(conn: &Connection, key: &str, value: &str) -> Result<String, StoreError> {
    conn.prepare_cached("INSERT INTO flags (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING")
        .and_then(|mut st| st.execute(params![key, value]))
        .ctx("opening flag")?;
    get_state(conn, key)?
        .ok_or_else(|| StoreError::Corrupt { what: "flag", detail: format!("`{key}` vanished") })
}

pub(super) fn delete_state(conn: &Connection, key: &str) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM flags WHERE key = ?1")
        .and_then(|mut st| st.execute(params![key]))
        .ctx("deleting flag")?;
    Ok(())
}
