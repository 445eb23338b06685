//! Fenced writes in SQLite: a leader-only write runs in one IMMEDIATE
//! transaction that first checks the lease row still names the fence's
//! holder and epoch, so a process that lost the lease (several processes on
//! one file) has its late write refused instead of applied. Without a fence
//! (one process on its own file) the write runs in the same transaction,
//! unchecked. Must not decide who leads (that is `app::leader`).

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::codec::Context;
use crate::ledger::{Fence, StoreError};

/// Runs `work` in one IMMEDIATE transaction, after checking `fence` (if any)
/// against the lease row; a refused fence rolls back and says so.
pub(super) fn fenced<T>(
    conn: &mut Connection,
    fence: Option<&Fence>,
    work: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).ctx("starting a fenced write")?;
    check_if(&tx, fence)?;
    let out = work(&tx)?;
    tx.commit().ctx("committing a fenced write")?;
    Ok(out)
}

/// `check`, when there is a fence.
pub(super) fn check_if(conn: &Connection, fence: Option<&Fence>) -> Result<(), StoreError> {
    fence.map_or(Ok(()), |f| check(conn, f))
}

/// `Ok` while the lease row names the fence's holder and epoch.
pub(super) fn check(conn: &Connection, f: &Fence) -> Result<(), StoreError> {
    let row: Option<(String, i64)> = conn
        .prepare_cached("SELECT holder, epoch FROM leases WHERE name = ?1")
        .and_then(|mut st| st.query_row(params![f.lease], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .ctx("checking the lease")?;
    match row {
        Some((holder, epoch)) if holder == f.holder && u64::try_from(epoch).ok() == Some(f.epoch) => Ok(()),
        _ => Err(StoreError::Fenced { lease: f.lease.clone(), holder: f.holder.clone(), epoch: f.epoch }),
    }
}
