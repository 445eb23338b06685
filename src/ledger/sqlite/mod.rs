//! The embedded SQLite ledger (the default store): one file,
//! `<data_dir>/ledger.sqlite`, in WAL mode.
//!
//! Owns the `Store` implementation over SQLite; must not price anything, call
//! AWS or block the async runtime (every call runs on the blocking threads,
//! through `scheduler::blocking`).
//!
//! # Schema (version 6, `PRAGMA user_version`; DDL in `schema.rs`)
//!
//! | table | key | columns |
//! |---|---|---|
//! | `names` | id INTEGER | name TEXT UNIQUE (every text a minute row refers to, stored once; `names.rs`) |
//! | `metric_minutes` | minute, source, region, model_id, metric (ids) | sum REAL, count REAL NULL |
//! | `cost_minutes` | minute, region, model_id, token_type (ids) | tokens INTEGER, model / price_entry (ids) NULL, usd TEXT NULL, reason (id) NULL |
//! | `cost_totals` | region, model_id, model (`''` = unpriced), token_type | lines INTEGER, tokens INTEGER, usd TEXT |
//! | `cost_hours` | hour, region, model_id, model, token_type | lines, tokens, usd (the hourly rollup budgets read) |
//! | `metric_totals` | region, model_id, metric | sum REAL, count REAL |
//! | `watermarks` | source, region | until_ns INTEGER |
//! | `calls` | region, minute, model_id, principal, error_code (`''` = success) | calls, input_tokens NULL, output_tokens NULL |
//! | `call_totals` | region, model_id, principal, error_code | rows, calls |
//! | `principal_costs` | region, minute, model_id, model, principal, attribution | usd TEXT |
//! | `principal_rollups` | hour (`-1` = all time), region, model_id, model, principal, attribution | rows, usd |
//! | `outbox` | dedupe_key | kind, created_ns, subject, body, attributes (JSON), group_id, attempts, last_error, published_ns and parked_ns (both NULL = pending), retry_ns (backoff), uncertain, lock_holder / lock_ns (who publishes it now) |
//! | `leases` | name | holder, expires_ns (0 once released), epoch (+1 per new holding; fenced writes check it, `fence.rs`) |
//! | `budget_statuses` | budget, principal (`''` = whole budget) | body (JSON) |
//! | `flags` | key | value |
//! | `log_requests` | request_id | minute (request IDs counted, forgotten past the read horizon) |
//! | `log_objects` | key | region, hour (S3 objects read to their end) |
//! | `reprices` | at_ns (the run's start), day (UTC, `yyyy-mm-dd`) | body (the audit record as JSON; `reprice.rs`) |
//! | `request_sums` | minute, region, model_id, model (`''` = unpriced), principal, dimensions (JSON) | requests, input, output, cache_read, cache_write_5m, cache_write_1h, long_context, ttl_assumed, usd |
//!
//! Minutes are epoch seconds (start of the minute); money is exact decimal
//! text, never REAL; an unpriced line has NULL model/price_entry/usd and its
//! reason. The minute tables are keyed minute first, which serves the range
//! reads; `metric_points` and `cost_lines` are read-only views of them with
//! the texts (the columns of version 5), which the readers use. The totals and rollup
//! tables are maintained by delta inside each write transaction (`totals.rs`,
//! `calls.rs`, `attribution.rs`), so reading totals never scans minute rows
//! and they always equal the sum of the latest lines and points. Version 1
//! files are upgraded in place (the hourly rollup is rebuilt from the lines);
//! version 2 files gain the request tables, version 4 files the re-price
//! audit, version 5 files the `names` dictionary (their minute rows re-keyed
//! by id, in key order). Before any upgrade the file is
//! checked and copied aside (`startup.rs`).
//!
//! Minute rows past the retention are folded into the rollups or deleted by
//! `compact.rs` (with `fold.rs` and `vacuum.rs`); after that the totals and
//! rollups no longer equal the remaining minute rows, but still equal every
//! row ever written, and no write may reach before the compaction horizon.

mod attribution;
mod calls;
mod codec;
mod compact;
mod coordination;
mod exactly_once;
mod fence;
mod fold;
mod lines;
mod names;
mod outbox;
mod read;
mod replace;
mod reprice;
mod requests;
mod schema;
mod startup;
mod sums;
mod totals;
mod vacuum;
mod write;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::Connection;

pub use schema::SCHEMA_VERSION;

use super::{
    AttributionBatch, CallBatch, CompactPlan, CompactReport, Fence, FenceState, MinuteBatch, ReplaceStats,
    RequestBatch, RequestWriteStats, Store, StoreError, WriteStats,
};
use crate::records::{
    CallCount, CallTotal, CostLine, CostTotal, MetricPoint, MetricTotal, PrincipalTotal, RequestSum, Source,
};

/// The ledger file's name inside the data directory.
pub const FILE_NAME: &str = "ledger.sqlite";

/// The SQLite ledger. Cloning shares the one connection.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    fence: Arc<FenceState>,
    /// `None` for an in-memory store.
    path: Option<PathBuf>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) `<data_dir>/ledger.sqlite`, checks its
    /// integrity, copies it aside if its schema is older than this build's
    /// (`<file>.v<old>.bak`), and brings its schema to the current version.
    /// Blocking: call it at startup.
    pub fn open(data_dir: &Path) -> Result<SqliteStore, StoreError> {
        let at = |e: StoreError| match e {
            StoreError::Backend(m) => {
                StoreError::Backend(format!("{}: {m}", data_dir.join(FILE_NAME).display()))
            }
            other => other,
        };
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError::Backend(format!("cannot create data directory {}: {e}", data_dir.display()))
        })?;
        let path = data_dir.join(FILE_NAME);
        let mut conn = Connection::open(&path).map_err(|e| StoreError::Backend(e.to_string())).map_err(at)?;
        startup::check_integrity(&conn, &path)?;
        startup::prepare_new_file(&conn).map_err(at)?;
        schema::configure(&conn, true).map_err(at)?;
        if let Some(copy) = startup::backup_before_migration(&conn, &path).map_err(at)? {
            tracing::warn!(
                ledger = %path.display(),
                backup = %copy.display(),
                "ledger schema is older than this build's: copied it before migrating"
            );
        }
        schema::migrate(&mut conn).map_err(at)?;
        Ok(SqliteStore { conn: Arc::new(Mutex::new(conn)), fence: Arc::default(), path: Some(path) })
    }

    /// A private in-memory ledger, for tests.
    pub fn open_in_memory() -> Result<SqliteStore, StoreError> {
        let mut conn = Connection::open_in_memory().map_err(|e| StoreError::Backend(e.to_string()))?;
        schema::configure(&conn, false)?;
        schema::migrate(&mut conn)?;
        Ok(SqliteStore { conn: Arc::new(Mutex::new(conn)), fence: Arc::default(), path: None })
    }

    /// The ledger file, `None` when in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Runs blocking SQLite work off the async runtime, holding the connection.
    async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        crate::scheduler::blocking(move || work(&mut *lock(&conn)?))
            .await
            .map_err(|e| StoreError::Backend(format!("ledger task failed: {e}")))?
    }

    /// Runs a leader-only write under this handle's fence (`fence.rs`).
    async fn run_fenced<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.run_write(move |conn, fence| fence::fenced(conn, fence, work)).await
    }

    /// Runs a write that checks the fence itself, in its own transaction;
    /// a refusal is remembered by the handle.
    async fn run_write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection, Option<&Fence>) -> Result<T, StoreError> + Send + 'static,
    {
        let (fence, state) = (self.fence.get(), Arc::clone(&self.fence));
        self.run(move |conn| match (work(conn, fence.as_ref()), &fence) {
            (Err(StoreError::Fenced { .. }), Some(f)) => Err(state.refuse(f)),
            (out, _) => out,
        })
        .await
    }
}

/// Locks the connection, recovering from a poisoned mutex. That is safe:
/// every write is one transaction, and a panic inside it drops the
/// `Transaction`, which rolls back, so the database never holds half a batch.
/// In case a panic struck between BEGIN and the guard, any transaction still
/// open is rolled back here before the connection is used again.
fn lock(conn: &Mutex<Connection>) -> Result<MutexGuard<'_, Connection>, StoreError> {
    match conn.lock() {
        Ok(guard) => Ok(guard),
        Err(poisoned) => {
            let guard = poisoned.into_inner();
            if !guard.is_autocommit() {
                guard
                    .execute_batch("ROLLBACK")
                    .map_err(|e| StoreError::Backend(format!("rolling back after a panic: {e}")))?;
            }
            conn.clear_poison();
            Ok(guard)
        }
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn write(&self, batch: &MinuteBatch) -> Result<WriteStats, StoreError> {
        // Work on the blocking threads needs owned data; a batch is a few hundred rows.
        let batch = batch.clone();
        self.run_write(move |conn, fence| write::write_batch(conn, &batch, fence)).await
    }

    async fn watermark(&self, source: Source, region: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let region = region.to_string();
        self.run(move |conn| read::watermark(conn, source, &region)).await
    }

    async fn cost_totals(&self) -> Result<Vec<CostTotal>, StoreError> {
        self.run(|conn| read::cost_totals(conn)).await
    }

    async fn metric_totals(&self) -> Result<Vec<MetricTotal>, StoreError> {
        self.run(|conn| read::metric_totals(conn)).await
    }

    async fn cost_lines(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<CostLine>, StoreError> {
        self.run(move |conn| read::cost_lines(conn, None, from, to)).await
    }

    async fn region_cost_lines(
        &self,
        region: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CostLine>, StoreError> {
        let region = region.to_string();
        self.run(move |conn| read::cost_lines(conn, Some(&region), from, to)).await
    }

    async fn metric_points(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<MetricPoint>, StoreError> {
        self.run(move |conn| read::metric_points(conn, from, to)).await
    }

    async fn cost_sums(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<CostTotal>, StoreError> {
        self.run(move |conn| sums::cost_sums(conn, from, to)).await
    }

    async fn write_calls(&self, batch: &CallBatch) -> Result<ReplaceStats, StoreError> {
        let batch = batch.clone();
        self.run_write(move |conn, fence| calls::write_calls(conn, &batch, fence)).await
    }

    async fn call_counts(
        &self,
        region: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CallCount>, StoreError> {
        let region = region.to_string();
        self.run(move |conn| calls::call_counts(conn, &region, from, to)).await
    }

    async fn call_totals(&self) -> Result<Vec<CallTotal>, StoreError> {
        self.run(|conn| calls::call_totals(conn)).await
    }

    async fn write_attribution(&self, batch: &AttributionBatch) -> Result<ReplaceStats, StoreError> {
        let batch = batch.clone();
        self.run_write(move |conn, fence| attribution::write_attribution(conn, &batch, fence)).await
    }

    async fn principal_totals(&self) -> Result<Vec<PrincipalTotal>, StoreError> {
        self.run(|conn| sums::principal_totals(conn)).await
    }

    async fn write_requests(&self, batch: &RequestBatch) -> Result<RequestWriteStats, StoreError> {
        let batch = batch.clone();
        self.run_write(move |conn, fence| requests::write_requests(conn, &batch, fence)).await
    }

    async fn request_rows(
        &self,
        region: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<RequestSum>, StoreError> {
        let region = region.to_string();
        self.run(move |conn| requests::request_rows(conn, &region, from, to)).await
    }

    async fn request_sums(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<RequestSum>, StoreError> {
        self.run(move |conn| requests::request_sums(conn, from, to)).await
    }

    async fn request_totals(&self) -> Result<Vec<RequestSum>, StoreError> {
        self.run(|conn| requests::request_totals(conn)).await
    }

    async fn done_objects(
        &self,
        region: &str,
        keys: &[String],
    ) -> Result<std::collections::BTreeSet<String>, StoreError> {
        let (region, keys) = (region.to_string(), keys.to_vec());
        self.run(move |conn| requests::done_objects(conn, &region, &keys)).await
    }

    async fn principal_sums(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<PrincipalTotal>, StoreError> {
        self.run(move |conn| sums::principal_sums(conn, from, to)).await
    }

    async fn compact(&self, plan: &CompactPlan) -> Result<Option<CompactReport>, StoreError> {
        let (plan, path) = (plan.clone(), self.path.clone());
        self.run(move |conn| compact::compact(conn, &plan, path.as_deref()).map(Some)).await
    }

    /// SQLite keeps up to 2 MB of pages between calls, the larger part of
    /// the daemon's live heap between runs; the next run reads them again
    /// from the file (in the system's cache). Within a run (a backfill's
    /// thousands of writes) the cache works as usual.
    async fn release_memory(&self) -> Result<(), StoreError> {
        self.run(|conn| {
            conn.execute_batch("PRAGMA shrink_memory").map_err(|e| StoreError::Backend(e.to_string()))
        })
        .await
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
#[path = "startup_tests.rs"]
mod startup_tests;

#[cfg(test)]
#[path = "compact_tests.rs"]
mod compact_tests;
