//! The alert outbox in SQLite: claim, lock, record each attempt, park.
//! Every state change that must happen once is a single conditional
//! statement, so it stays correct even with several processes on one file
//! (SQLite serialises writers).
//!
//! Must not decide anything: it claims, marks and reads what it is told.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::codec::{self, Context};
use crate::ledger::{FailedAttempt, OutboxEntry, StoreError};

fn ns(at: DateTime<Utc>) -> Result<i64, StoreError> {
    codec::instant_to_sql(at)
}

pub(super) fn claim_alert(conn: &Connection, e: &OutboxEntry) -> Result<bool, StoreError> {
    let attributes = serde_json::to_string(&e.attributes)
        .map_err(|err| StoreError::Backend(format!("encoding alert attributes: {err}")))?;
    let [published, retry, parked] = [e.published_at, e.retry_at, e.parked_at].map(|t| t.map(ns).transpose());
    let (published, retry, parked, created) = (published?, retry?, parked?, ns(e.created_at)?);
    let inserted = conn
        .prepare_cached(
            "INSERT INTO outbox (dedupe_key, kind, created_ns, subject, body, attributes, group_id, attempts,
                                 last_error, published_ns, retry_ns, uncertain, parked_ns)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
             ON CONFLICT (dedupe_key) DO NOTHING",
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
                published,
                retry,
                e.uncertain,
                parked,
            ])
        })
        .ctx("claiming alert")?;
    Ok(inserted == 1)
}

const ENTRY_COLUMNS: &str = "dedupe_key, kind, created_ns, subject, body, attributes, group_id, attempts, \
                             last_error, published_ns, retry_ns, uncertain, parked_ns";

fn entry(r: &Row<'_>) -> rusqlite::Result<(OutboxEntry, String)> {
    let instant =
        |i: usize| -> rusqlite::Result<_> { Ok(r.get::<_, Option<i64>>(i)?.map(codec::instant_from_sql)) };
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
            published_at: instant(9)?,
            retry_at: instant(10)?,
            uncertain: r.get(11)?,
            parked_at: instant(12)?,
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

fn select(
    conn: &Connection,
    filter: &str,
    args: impl rusqlite::Params,
    what: &'static str,
) -> Result<Vec<OutboxEntry>, StoreError> {
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM outbox {filter}");
    let mut st = conn.prepare_cached(&sql).ctx(what)?;
    let rows = st.query_map(args, entry).ctx(what)?;
    let raw = rows.collect::<rusqlite::Result<Vec<_>>>().ctx(what)?;
    raw.into_iter().map(decode).collect()
}

fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

pub(super) fn pending_alerts(
    conn: &Connection,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<OutboxEntry>, StoreError> {
    select(
        conn,
        "WHERE published_ns IS NULL AND parked_ns IS NULL AND (retry_ns IS NULL OR retry_ns <= ?1)
         ORDER BY created_ns, dedupe_key LIMIT ?2",
        params![ns(now)?, sql_limit(limit)],
        "reading pending alerts",
    )
}

pub(super) fn recent_alerts(conn: &Connection, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
    select(conn, "ORDER BY created_ns DESC, dedupe_key LIMIT ?1", params![sql_limit(limit)], "listing alerts")
}

pub(super) fn alert(conn: &Connection, key: &str) -> Result<Option<OutboxEntry>, StoreError> {
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM outbox WHERE dedupe_key = ?1");
    let raw = conn
        .prepare_cached(&sql)
        .and_then(|mut st| st.query_row(params![key], entry).optional())
        .ctx("reading alert")?;
    raw.map(decode).transpose()
}

/// The condition every change of a pending entry carries.
const PENDING: &str = "dedupe_key = ?1 AND published_ns IS NULL AND parked_ns IS NULL";

pub(super) fn mark_alert_published(
    conn: &Connection,
    key: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let at = ns(at)?;
    let sql = format!(
        "UPDATE outbox SET published_ns = ?2, attempts = attempts + 1, lock_holder = NULL, lock_ns = NULL
         WHERE {PENDING}"
    );
    let n = conn
        .prepare_cached(&sql)
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
    let sql = format!(
        "UPDATE outbox SET lock_holder = ?2, lock_ns = ?4
         WHERE {PENDING} AND (lock_ns IS NULL OR lock_ns <= ?3)"
    );
    let n = conn
        .prepare_cached(&sql)
        .and_then(|mut st| st.execute(params![key, holder, now, until]))
        .ctx("locking alert")?;
    Ok(n == 1)
}

pub(super) fn mark_alert_failed(
    conn: &Connection,
    key: &str,
    f: &FailedAttempt<'_>,
) -> Result<(), StoreError> {
    let sql = format!(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, retry_ns = ?3, uncertain = ?4,
                           lock_holder = NULL, lock_ns = NULL
         WHERE {PENDING}"
    );
    let retry = ns(f.retry_at)?;
    conn.prepare_cached(&sql)
        .and_then(|mut st| st.execute(params![key, f.error, retry, f.uncertain]))
        .ctx("recording a failed publish")?;
    Ok(())
}

pub(super) fn park_alert(
    conn: &Connection,
    key: &str,
    error: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let at = ns(at)?;
    let sql = format!(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, parked_ns = ?3, retry_ns = NULL,
                           lock_holder = NULL, lock_ns = NULL
         WHERE {PENDING}"
    );
    let n = conn
        .prepare_cached(&sql)
        .and_then(|mut st| st.execute(params![key, error, at]))
        .ctx("parking alert")?;
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::super::schema::{SCHEMA_V1, SCHEMA_V2, SCHEMA_V3};
    use super::super::{SqliteStore, FILE_NAME, SCHEMA_VERSION};
    use super::*;
    use crate::ledger::{Delivery, Outbox};

    #[tokio::test]
    async fn a_version_3_outbox_keeps_its_alerts_pending_with_delivery_states() {
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = Connection::open(dir.path().join(FILE_NAME)).unwrap();
            for ddl in [SCHEMA_V1, SCHEMA_V2, SCHEMA_V3] {
                conn.execute_batch(ddl).unwrap();
            }
            conn.execute(
                "INSERT INTO outbox (dedupe_key, kind, created_ns, subject, body, attributes, group_id, attempts,
                                     last_error, published_ns, lock_holder, lock_ns)
                 VALUES ('old', 'budget.threshold', 1, 's', '{}', '{}', 'g', 2, 'SNS: 500', NULL, 'gone', 5)",
                [],
            )
            .unwrap();
            conn.pragma_update(None, "user_version", 3).unwrap();
        }
        let store = SqliteStore::open(dir.path()).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        let due = store.pending_alerts(now, 10).await.unwrap();
        assert_eq!(due.len(), 1, "still pending, and due at once");
        assert_eq!((due[0].attempts, due[0].delivery(), due[0].retry_at), (2, Delivery::Pending, None));
        assert!(store.lock_alert("old", "new", now, now).await.unwrap(), "the old lock has expired");
        let version: i64 =
            store.conn.lock().unwrap().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version, SCHEMA_VERSION);
    }
}
