//! Unit tests of what `SqliteStore::open` does before migrating: the
//! integrity check, the copy of an older file, incremental auto-vacuum.

use super::*;
use crate::pricing::TokenType;

/// A version-2 ledger (as the release before the request tables wrote it)
/// with one priced line and its totals.
fn version_2_file(dir: &Path) {
    let conn = Connection::open(dir.join(FILE_NAME)).unwrap();
    conn.execute_batch(schema::SCHEMA_V1).unwrap();
    conn.execute_batch(schema::SCHEMA_V2).unwrap();
    conn.execute_batch(
        "INSERT INTO cost_lines VALUES ('us-east-1', 'm', 1772359200, 'input', 100, 'claude', 'e', '0.0123', NULL);
         INSERT INTO cost_totals VALUES ('us-east-1', 'm', 'claude', 'input', 1, 100, '0.0123');
         INSERT INTO cost_hours VALUES (1772359200, 'us-east-1', 'm', 'claude', 'input', 1, 100, '0.0123');",
    )
    .unwrap();
    conn.pragma_update(None, "user_version", 2).unwrap();
}

fn count(path: &Path, sql: &str) -> i64 {
    Connection::open(path).unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[tokio::test]
async fn an_older_ledger_is_copied_aside_before_it_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    version_2_file(dir.path());
    let store = SqliteStore::open(dir.path()).unwrap();
    let backup = dir.path().join(format!("{FILE_NAME}.v2.bak"));
    assert_eq!(count(&backup, "PRAGMA user_version"), 2, "the copy is the file as it was");
    assert_eq!(count(&backup, "SELECT COUNT(*) FROM cost_lines"), 1);
    // The migration still ran, and the data is intact.
    let totals = store.cost_totals().await.unwrap();
    assert_eq!((totals[0].token_type, totals[0].usd.to_string()), (TokenType::Input, "0.0123".into()));
    assert!(store.request_totals().await.unwrap().is_empty(), "the version-3 tables exist");
    drop(store);
    // A current file is not copied again.
    drop(SqliteStore::open(dir.path()).unwrap());
    let copies = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".bak"));
    assert_eq!(copies.count(), 1);
    assert_eq!(count(&dir.path().join(FILE_NAME), "PRAGMA user_version"), SCHEMA_VERSION);
}

#[test]
fn a_second_copy_of_the_same_version_gets_its_own_name() {
    let dir = tempfile::tempdir().unwrap();
    version_2_file(dir.path());
    std::fs::write(dir.path().join(format!("{FILE_NAME}.v2.bak")), b"an earlier copy").unwrap();
    drop(SqliteStore::open(dir.path()).unwrap());
    assert_eq!(std::fs::read(dir.path().join(format!("{FILE_NAME}.v2.bak"))).unwrap(), b"an earlier copy");
    assert_eq!(count(&dir.path().join(format!("{FILE_NAME}.v2.2.bak")), "PRAGMA user_version"), 2);
}

#[test]
fn a_file_that_is_no_ledger_is_refused_naming_it_and_the_recovery() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(FILE_NAME), vec![b'x'; 8192]).unwrap();
    let err = SqliteStore::open(dir.path()).unwrap_err();
    let StoreError::Unusable { store, reason } = &err else { panic!("{err}") };
    assert!(store.ends_with(FILE_NAME), "{err}");
    assert!(reason.contains("Recovering the ledger"), "{err}");
}

#[test]
fn a_damaged_page_fails_the_integrity_check() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path()).unwrap());
    let path = dir.path().join(FILE_NAME);
    let mut bytes = std::fs::read(&path).unwrap();
    let page = count(&path, "PRAGMA page_size") as usize;
    // Page 3 holds a table's root; scribble over its header.
    bytes[2 * page..2 * page + 64].fill(0xA5);
    std::fs::write(&path, bytes).unwrap();
    let err = SqliteStore::open(dir.path()).unwrap_err();
    assert!(matches!(&err, StoreError::Unusable { store, .. } if store.ends_with(FILE_NAME)), "{err}");
    assert!(err.to_string().contains("move the file"), "{err}");
}

#[test]
fn a_new_ledger_frees_pages_incrementally() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path()).unwrap());
    assert_eq!(count(&dir.path().join(FILE_NAME), "PRAGMA auto_vacuum"), 2);
}
