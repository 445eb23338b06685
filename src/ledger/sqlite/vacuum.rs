//! Handing the pages compaction freed back to the file system, so the file
//! actually shrinks. A file created by this build has incremental
//! auto-vacuum (`startup.rs`): `PRAGMA incremental_vacuum` moves free pages
//! to the end and truncates, in a moment. An older file has none, and that
//! mode can only be switched on by rewriting the file: when at least a
//! quarter of it is free, it is rewritten once with `VACUUM` (seconds for a
//! year of data; readers wait) and is incremental from then on.
//!
//! Must not delete rows.

use rusqlite::Connection;

use super::codec::Context;
use crate::ledger::StoreError;

/// `PRAGMA auto_vacuum` values.
const NONE: i64 = 0;
const INCREMENTAL: i64 = 2;

pub(super) fn reclaim(conn: &Connection) -> Result<(), StoreError> {
    let mode: i64 = conn.pragma_query_value(None, "auto_vacuum", |r| r.get(0)).ctx("reading auto_vacuum")?;
    let free: i64 = conn.pragma_query_value(None, "freelist_count", |r| r.get(0)).ctx("reading freelist")?;
    let pages: i64 = conn.pragma_query_value(None, "page_count", |r| r.get(0)).ctx("reading page_count")?;
    match mode {
        INCREMENTAL if free > 0 => {
            // Each step of the statement frees one page: step it to the end.
            let mut st = conn.prepare("PRAGMA incremental_vacuum").ctx("running incremental_vacuum")?;
            let mut rows = st.query([]).ctx("running incremental_vacuum")?;
            while rows.next().ctx("running incremental_vacuum")?.is_some() {}
        }
        NONE if free * 4 >= pages && free > 0 => {
            conn.pragma_update(None, "auto_vacuum", "INCREMENTAL").ctx("setting auto_vacuum")?;
            conn.execute_batch("VACUUM;").ctx("rewriting the ledger file (VACUUM)")?;
        }
        _ => return Ok(()),
    }
    // In WAL mode the file shrinks when the log is checkpointed into it.
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).ctx("checkpointing the log")
}
