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
    // The epoch stays on a renewal of a live lease and grows on any other
    // taking (free, expired or released, another holder's).
    tx.prepare_cached(
        "INSERT INTO leases (name, holder, expires_ns, epoch) VALUES (?1, ?2, ?3, 1)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_ns = excluded.expires_ns,
             epoch = CASE WHEN leases.holder = excluded.holder AND leases.expires_ns > ?4
                          THEN leases.epoch ELSE leases.epoch + 1 END
         WHERE leases.holder = excluded.holder OR leases.expires_ns <= ?4",
    )
    .and_then(|mut st| st.execute(params![name, holder, until_ns, now_ns]))
    .ctx("acquiring lease")?;
    let (holder, expires, epoch): (String, i64, i64) = tx
        .prepare_cached("SELECT holder, expires_ns, epoch FROM leases WHERE name = ?1")
        .and_then(|mut st| st.query_row(params![name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))))
        .ctx("reading lease")?;
    tx.commit().ctx("committing lease")?;
    let epoch = u64::try_from(epoch)
        .map_err(|_| StoreError::Corrupt { what: "lease", detail: format!("epoch {epoch}") })?;
    Ok(Lease { holder, expires_at: codec::instant_from_sql(expires), epoch })
}

/// Deletes lease `name` if it expired before `before` (membership heartbeats only).
pub(super) fn forget_lease(conn: &Connection, name: &str, before: DateTime<Utc>) -> Result<(), StoreError> {
    let before = ns(before)?;
    conn.prepare_cached("DELETE FROM leases WHERE name = ?1 AND expires_ns < ?2")
        .and_then(|mut st| st.execute(params![name, before]))
        .ctx("forgetting a replica")?;
    Ok(())
}

/// Every lease row, by name.
pub(super) fn leases(conn: &Connection) -> Result<Vec<(String, Lease)>, StoreError> {
    let rows: Vec<(String, String, i64, i64)> = conn
        .prepare_cached("SELECT name, holder, expires_ns, epoch FROM leases ORDER BY name")
        .and_then(|mut st| st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect())
        .ctx("listing leases")?;
    rows.into_iter()
        .map(|(name, holder, expires, epoch)| {
            let epoch = u64::try_from(epoch)
                .map_err(|_| StoreError::Corrupt { what: "lease", detail: format!("epoch {epoch}") })?;
            Ok((name, Lease { holder, expires_at: codec::instant_from_sql(expires), epoch }))
        })
        .collect()
}

pub(super) fn release_lease(conn: &Connection, name: &str, holder: &str) -> Result<(), StoreError> {
    // Expired rather than deleted: the row keeps its epoch, so the next
    // holder's is higher and no old fence can match again.
    conn.prepare_cached("UPDATE leases SET expires_ns = 0 WHERE name = ?1 AND holder = ?2")
        .and_then(|mut st| st.execute(params![name, holder]))
        .ctx("releasing lease")?;
    Ok(())
}

/// The flag holding when the stored status set was evaluated (epoch ns).
const STATUSES_EVALUATED: &str = "budget_statuses:evaluated";

/// Inside the caller's transaction (a fenced write).
pub(super) fn put_budget_statuses(
    tx: &Connection,
    statuses: &[BudgetStatus],
    evaluated_at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let evaluated = codec::instant_to_sql(evaluated_at)?;
    let stored: Option<String> = get_state(tx, STATUSES_EVALUATED)?;
    if stored.and_then(|s| s.parse::<i64>().ok()).is_some_and(|s| s > evaluated) {
        return Ok(false);
    }
    put_state(tx, STATUSES_EVALUATED, &evaluated.to_string())?;
    tx.execute("DELETE FROM budget_statuses", []).ctx("clearing budget statuses")?;
    for s in statuses {
        let body = serde_json::to_string(s)
            .map_err(|err| StoreError::Backend(format!("encoding budget status: {err}")))?;
        tx.prepare_cached("INSERT INTO budget_statuses (budget, principal, body) VALUES (?1, ?2, ?3)")
            .and_then(|mut st| st.execute(params![s.budget, s.subject().unwrap_or_default(), body]))
            .ctx("writing budget status")?;
    }
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
