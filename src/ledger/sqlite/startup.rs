//! What `SqliteStore::open` does to a ledger file before migrating it: turn
//! on incremental auto-vacuum while the file is still empty (so compaction
//! can hand freed pages back to the file system), check the file's
//! integrity (`PRAGMA quick_check`) and, when its schema is older than this
//! build's, copy it aside (`VACUUM INTO`) before the migration touches it.
//!
//! Must not migrate (that is `schema.rs`) nor read or write records.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::codec::Context;
use super::schema::SCHEMA_VERSION;
use crate::ledger::StoreError;

/// How many problems `quick_check` reports at most: enough to say what is
/// wrong without flooding the log of a badly damaged file.
const CHECK_LIMIT: u32 = 10;

/// What to do about a damaged file, in every error that reports one.
const RECOVERY: &str = "stop the daemon, move the file (with its -wal and -shm files) aside and start \
     again: the ledger is rebuilt from CloudWatch as far as sources.cloudwatch.backfill_hours reaches \
     (README, \"Recovering the ledger\")";

/// Incremental auto-vacuum takes effect only if set before the first table
/// is created; on an existing file this is a no-op (compaction converts it
/// once with a full VACUUM, `compact::vacuum`).
pub(super) fn prepare_new_file(conn: &Connection) -> Result<(), StoreError> {
    conn.pragma_update(None, "auto_vacuum", "INCREMENTAL").ctx("setting auto_vacuum")
}

/// Fails, naming the file and what is wrong with it, unless SQLite finds the
/// file sound. `quick_check` reads every page but skips the index-content
/// comparison of `integrity_check`: a second or so for a year of data.
pub(super) fn check_integrity(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let mut st =
        conn.prepare(&format!("PRAGMA quick_check({CHECK_LIMIT})")).map_err(|e| unusable(path, e))?;
    let found = st
        .query_map([], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(|e| unusable(path, e))?;
    if found == ["ok"] {
        return Ok(());
    }
    Err(StoreError::Unusable {
        store: path.display().to_string(),
        reason: format!("the ledger file failed its integrity check ({}); {RECOVERY}", found.join("; ")),
    })
}

fn unusable(path: &Path, e: rusqlite::Error) -> StoreError {
    StoreError::Unusable {
        store: path.display().to_string(),
        reason: format!("cannot read the ledger file ({e}); if it is damaged: {RECOVERY}"),
    }
}

/// When the file holds an older schema than this build's, copies it to
/// `<file>.v<old>.bak` (or `.v<old>.<n>.bak` if that exists) and returns
/// where; `None` for a new file or one already current. The copy is a
/// consistent snapshot (`VACUUM INTO` reads in one transaction).
pub(super) fn backup_before_migration(conn: &Connection, path: &Path) -> Result<Option<PathBuf>, StoreError> {
    let version: i64 =
        conn.pragma_query_value(None, "user_version", |r| r.get(0)).ctx("reading user_version")?;
    if version <= 0 || version >= SCHEMA_VERSION {
        return Ok(None);
    }
    let to = free_name(path, version);
    let text = to
        .to_str()
        .ok_or_else(|| StoreError::Backend(format!("backup path {} is not valid UTF-8", to.display())))?;
    conn.execute("VACUUM INTO ?1", [text]).ctx(&format!("backing up the ledger to {}", to.display()))?;
    Ok(Some(to))
}

fn free_name(path: &Path, version: i64) -> PathBuf {
    let base = path.as_os_str().to_string_lossy();
    let mut n = 1;
    loop {
        let name = match n {
            1 => format!("{base}.v{version}.bak"),
            _ => format!("{base}.v{version}.{n}.bak"),
        };
        if !Path::new(&name).exists() {
            return PathBuf::from(name);
        }
        n += 1;
    }
}
