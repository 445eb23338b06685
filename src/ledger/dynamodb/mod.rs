//! The DynamoDB ledger: the same `Store`, `Outbox`, `LeaseStore` and
//! `StatusStore` as the SQLite file, in one table shared by every replica.
//!
//! Owns the `Backend` implementation over DynamoDB and is the only place
//! with `aws_sdk_dynamodb` types. Must not price anything, decide when to
//! take the lease, or create the production table (Terraform does; the
//! store only checks it and, for the demo and tests, creates it).
//!
//! # Items (table: `pk` S hash key, `sk` S range key, TTL on `expires_at`)
//!
//! | item | `pk` | `sk` | attributes | expires |
//! |---|---|---|---|---|
//! | cost lines of a minute | `L#<region>#<yyyy-mm-ddTHH>` | `<MM>#<model ID>` | `v`; `l`: token type → {`n` tokens, `m` model, `e` price entry, `u` usd} or {`n`, `r` unpriced reason} | minute + minute retention |
//! | metric points of a minute | `P#<region>#<hour>` | `<MM>#<model ID>#<source>` | `v`; `p`: metric → {`s` sum, `c` sample count} | minute + minute retention |
//! | call counts of a minute | `C#<region>#<hour>` | `<MM>#<model ID>` | `v`; `c`: `<principal>#<error code>` → {`n` calls, `i`/`o` tokens} | minute + minute retention |
//! | cost shares of a minute | `S#<region>#<hour>` | `<MM>#<model ID>` | `v`; `s`: `<model>#<principal>#<attribution>` → usd | minute + minute retention |
//! | all-time totals | `T` | `<L\|P\|C\|S>#<region>#<model ID>` | `v`; `m`: series → {`r` rows, sums}; `f`/`z` first and last minute seen | never |
//! | hourly rollup | `LR#<region>`, `SR#<region>` | `H<yyyy-mm-ddTHH>#<model ID>` | `v`; `m` as totals | hour + rollup retention |
//! | daily rollup | `LR#<region>`, `SR#<region>` | `D<yyyy-mm-dd>#<model ID>` | `v`; `m` as totals | day + rollup retention |
//! | watermark | `WM` | `<source>#<region>` | `until` (epoch ns) | never |
//! | alert | `OUTBOX` | `E#<dedupe key>` | `key`, `kind`, `created` (ns), `subject`, `body`, `attributes` (JSON), `group`, `attempts`, `error`, `uncertain`, `retry` (ns) while backing off, `published` or `parked` (ns), `lock_holder` / `lock_until` (ns) while a replica sends it | published or parked + alert retention; pending never |
//! | pending alert | `OUTBOX` | `P#<dedupe key>` | `created`, `retry` (ns) | never (deleted when published or parked) |
//! | lease | `LEASE` | `collector`; `shard:<shard key>` (shared shards); `member:<holder>` (a replica's heartbeat, shared shards) | `holder`, `until` (ns; 0 once released), `epoch` (+1 per new holding; fenced writes check it: a shard's rows and watermarks its `shard:` lease when the writer holds one, everything else `collector`) | never |
//! | budget status | `STATUS` | `<budget>#<principal>` | `budget`, `principal`, `state`, `body` (JSON) | never |
//! | flag | `FLAG` | `<key>` | `value` (`budget_statuses:evaluated`: `evaluated`, ns, the stored status set's evaluation) | never |
//! | re-price audit | `REPRICE` | `<run start, ns, 20 digits>#<yyyy-mm-dd>` | `body` (the day's record, JSON; `reprice.rs`) | never |
//! | data-layout version | `META` | `layout` | `layout` (N; `layout.rs`) | never |
//! | logged request ID | `RQ#<request ID>` | `-` | | minute + minute retention |
//! | logged requests of a minute / day / all time | `RQM#<yyyy-mm-ddTHH>` / `RQD#<yyyy-mm>` / `RQT` | `<MM>#` / `<dd>#` / `` + `<region>#<model ID>#<model>#<principal>#<dimensions>` | `rq`, `in`, `out`, `cr`, `w5`, `w1`, `lc`, `ta` counts, `usd` (added with `ADD`) | minute + minute retention / day + rollup retention / never |
//! | S3 object read | `RQO#<region>` | `<key>` | | hour + minute retention |
//!
//! Series sums: cost `t` tokens and `u` usd (series `<model>#<token type>`,
//! empty model = unpriced); metrics `s` and `c` (series = metric); calls
//! `n` (series `<principal>#<error code>`); shares `u` (series
//! `<model>#<principal>#<attribution>`). Free-form key parts are escaped
//! (`%`, `#`), times are fixed-width UTC text, numbers are `N` written from
//! exact `Decimal` text (metric values: shortest round-trip `f64` text) and
//! read back exactly, never compared as text.
//!
//! Minute rows are packed (every token type, or every metric of a source,
//! of one model ID and minute in one item, about 0.5 KB: one write unit) in
//! hourly partitions, so a day's backfill spreads over 24 partition keys.
//! A write reads the stored rows of its minutes (one Query per hour
//! partition), diffs, and writes only rows that changed, each together with
//! the deltas of its all-time total, hourly and daily rollups in one
//! `TransactWriteItems` conditioned on every item's version (`engine.rs`):
//! totals never drift from rows, even across a crash or a concurrent writer.
//! Budget sums read daily rollups for whole days, hourly rollups for the
//! hours at the edges and minute rows only for partial hours (`sums.rs`).
//!
//! Minute rows expire (default 35 days: CloudWatch keeps minutes 15 days, a
//! budget month needs at most 31); a write of a minute within a day of that
//! horizon is refused, because re-writing a row DynamoDB has already deleted
//! would count it twice. Rollups expire much later (default 400 days: a
//! year of reports and budgets); totals, watermarks, leases, statuses,
//! flags and pending alerts never expire; a published alert after the alert
//! retention (default 400 days: longer than any budget period, whose dedupe
//! keys it must keep refusing).

mod aggregate;
mod attrs;
mod client;
mod db;
mod engine;
mod expr;
mod keys;
mod layout;
mod lease;
mod meter;
mod minutes;
mod numbers;
mod options;
mod outbox;
mod plan;
mod read;
mod reprice;
mod requests;
mod rows;
mod state;
mod sums;
mod table;
mod trail;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

pub use layout::LAYOUT_VERSION;
pub use options::DynamoOptions;
pub use table::create_table_if_missing;

use super::encoding::instant_nanos;
use super::{
    AttributionBatch, CallBatch, FailedAttempt, Fence, FenceState, Lease, LeaseStore, MinuteBatch, Outbox,
    OutboxEntry, ReplaceStats, RequestBatch, RequestWriteStats, StatusStore, Store, StoreError, StoreUsage,
    WriteStats,
};
use crate::budgets::BudgetStatus;
use crate::records::{
    CallCount, CallTotal, CostLine, CostTotal, MetricPoint, MetricTotal, PrincipalTotal, RequestSum, Source,
};
use db::Db;

/// What every part of the store works with.
pub(super) struct Ctx {
    db: Db,
    options: DynamoOptions,
    /// The fence this handle's leader-only writes check (`lease::fenced`).
    fence: FenceState,
}

/// The DynamoDB ledger. Cloning shares the client.
#[derive(Clone)]
pub struct DynamoStore {
    ctx: Arc<Ctx>,
}

impl fmt::Debug for DynamoStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamoStore").field("table", &self.ctx.db.table()).finish_non_exhaustive()
    }
}

impl DynamoStore {
    /// A store over `table` (no request is sent; see [`DynamoStore::check_table`]).
    pub fn new(
        client: aws_sdk_dynamodb::Client,
        table: impl Into<String>,
        options: DynamoOptions,
    ) -> Result<DynamoStore, StoreError> {
        options.validate()?;
        Ok(DynamoStore {
            ctx: Arc::new(Ctx { db: Db::new(client, table.into()), options, fence: FenceState::default() }),
        })
    }

    /// A store over `table` in `region`, with the daemon's own credentials
    /// (never a monitored account's role).
    pub fn connect(
        aws: &crate::aws::OwnAccount,
        region: &str,
        table: impl Into<String>,
        options: DynamoOptions,
    ) -> Result<DynamoStore, StoreError> {
        DynamoStore::new(client::build(aws, region, options.call_timeout), table, options)
    }

    /// Creates `table` in `region` with the key schema and TTL the ledger
    /// needs, unless it exists; `true` when it was created. For trials and
    /// the emulator: production tables come from Terraform.
    pub async fn create_table(
        aws: &crate::aws::OwnAccount,
        region: &str,
        table: &str,
    ) -> Result<bool, StoreError> {
        #[expect(clippy::disallowed_methods, reason = "the adapter builds its own client")]
        let client = aws_sdk_dynamodb::Client::new(&aws.for_region(region));
        let created = create_table_if_missing(&client, table).await?;
        layout::ensure(&Db::new(client, table.to_string())).await?;
        Ok(created)
    }

    /// Fails, saying how to fix it, unless the table exists with the key
    /// schema the store needs and holds the data layout this build writes
    /// (stamping a table that has none). For start-up, before the first run.
    pub async fn check_table(&self) -> Result<(), StoreError> {
        table::check(&self.ctx.db).await?;
        layout::ensure(&self.ctx.db).await
    }

    pub fn table(&self) -> &str {
        self.ctx.db.table()
    }

    /// Requests sent and capacity used so far, estimated from item sizes.
    pub fn usage(&self) -> StoreUsage {
        self.ctx.db.meter.usage()
    }
}

#[async_trait]
impl Store for DynamoStore {
    async fn write(&self, batch: &MinuteBatch) -> Result<WriteStats, StoreError> {
        let change = minutes::MinuteChange::new(&self.ctx, batch)?;
        batch.watermark.map(instant_nanos).transpose()?;
        let t = engine::run(&self.ctx, &change, "writing a minute batch").await?;
        if let Some(until) = batch.watermark {
            state::advance_watermark(&self.ctx, batch.source, &batch.region, until).await?;
        }
        Ok(WriteStats { points_inserted: t.0[0], points_revised: t.0[1], lines_written: t.0[2] })
    }

    async fn watermark(&self, source: Source, region: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        state::watermark(&self.ctx, source, region).await
    }

    async fn cost_totals(&self) -> Result<Vec<CostTotal>, StoreError> {
        read::cost_totals(&self.ctx).await
    }

    async fn metric_totals(&self) -> Result<Vec<MetricTotal>, StoreError> {
        read::metric_totals(&self.ctx).await
    }

    async fn cost_lines(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<CostLine>, StoreError> {
        read::cost_lines(&self.ctx, None, from, to).await
    }

    async fn region_cost_lines(
        &self,
        region: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CostLine>, StoreError> {
        read::cost_lines(&self.ctx, Some(region), from, to).await
    }

    async fn metric_points(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<MetricPoint>, StoreError> {
        read::metric_points(&self.ctx, from, to).await
    }

    async fn cost_sums(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<CostTotal>, StoreError> {
        sums::cost_sums(&self.ctx, from, to).await
    }

    async fn write_calls(&self, batch: &CallBatch) -> Result<ReplaceStats, StoreError> {
        let window = trail::calls_window(&self.ctx, batch)?;
        batch.watermark.map(instant_nanos).transpose()?;
        let t = engine::run(&self.ctx, &window, "replacing call counts").await?;
        if let Some(until) = batch.watermark {
            state::advance_watermark(&self.ctx, Source::CloudTrail, &batch.region, until).await?;
        }
        Ok(ReplaceStats { inserted: t.0[0], changed: t.0[1], removed: t.0[2] })
    }

    async fn call_counts(
        &self,
        region: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<CallCount>, StoreError> {
        read::call_counts(&self.ctx, region, from, to).await
    }

    async fn call_totals(&self) -> Result<Vec<CallTotal>, StoreError> {
        read::call_totals(&self.ctx).await
    }

    async fn write_attribution(&self, batch: &AttributionBatch) -> Result<ReplaceStats, StoreError> {
        let window = trail::shares_window(&self.ctx, batch)?;
        let t = engine::run(&self.ctx, &window, "replacing cost shares").await?;
        Ok(ReplaceStats { inserted: t.0[0], changed: t.0[1], removed: t.0[2] })
    }

    async fn principal_totals(&self) -> Result<Vec<PrincipalTotal>, StoreError> {
        read::principal_totals(&self.ctx).await
    }

    async fn principal_sums(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<PrincipalTotal>, StoreError> {
        sums::principal_sums(&self.ctx, from, to).await
    }

    async fn write_requests(&self, batch: &RequestBatch) -> Result<RequestWriteStats, StoreError> {
        requests::write_requests(&self.ctx, batch).await
    }

    async fn request_rows(
        &self,
        region: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<RequestSum>, StoreError> {
        requests::request_rows(&self.ctx, region, from, to).await
    }

    async fn request_sums(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<RequestSum>, StoreError> {
        requests::request_sums(&self.ctx, from, to).await
    }

    async fn request_totals(&self) -> Result<Vec<RequestSum>, StoreError> {
        requests::request_totals(&self.ctx).await
    }

    async fn done_objects(
        &self,
        region: &str,
        keys: &[String],
    ) -> Result<std::collections::BTreeSet<String>, StoreError> {
        requests::done_objects(&self.ctx, region, keys).await
    }

    fn request_usage(&self) -> Option<StoreUsage> {
        Some(self.usage())
    }
}

#[async_trait]
impl Outbox for DynamoStore {
    async fn claim_alert(&self, entry: &OutboxEntry) -> Result<bool, StoreError> {
        outbox::claim_alert(&self.ctx, entry).await
    }

    async fn lock_alert(
        &self,
        dedupe_key: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        outbox::lock_alert(&self.ctx, dedupe_key, holder, now, until).await
    }

    async fn pending_alerts(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        outbox::pending_alerts(&self.ctx, now, limit).await
    }

    async fn mark_alert_published(&self, dedupe_key: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        outbox::mark_alert_published(&self.ctx, dedupe_key, at).await
    }

    async fn mark_alert_failed(
        &self,
        dedupe_key: &str,
        failure: &FailedAttempt<'_>,
    ) -> Result<(), StoreError> {
        outbox::mark_alert_failed(&self.ctx, dedupe_key, failure).await
    }

    async fn park_alert(&self, dedupe_key: &str, error: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        outbox::park_alert(&self.ctx, dedupe_key, error, at).await
    }

    async fn recent_alerts(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        outbox::recent_alerts(&self.ctx, limit).await
    }

    async fn alert(&self, dedupe_key: &str) -> Result<Option<OutboxEntry>, StoreError> {
        outbox::alert(&self.ctx, dedupe_key).await
    }
}

#[async_trait]
impl LeaseStore for DynamoStore {
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<Lease, StoreError> {
        lease::acquire_lease(&self.ctx, name, holder, now, ttl).await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        lease::release_lease(&self.ctx, name, holder).await
    }

    async fn forget_member(&self, holder: &str, before: DateTime<Utc>) -> Result<(), StoreError> {
        lease::forget_member(&self.ctx, holder, before).await
    }

    async fn leases(&self) -> Result<Vec<(String, Lease)>, StoreError> {
        lease::leases(&self.ctx).await
    }

    fn set_fence(&self, fence: Fence) {
        self.ctx.fence.set(fence);
    }

    fn fenced_out(&self) -> bool {
        self.ctx.fence.refused()
    }

    fn fenced_out_of(&self, name: &str) -> bool {
        self.ctx.fence.refused_lease(name)
    }
}

#[async_trait]
impl StatusStore for DynamoStore {
    async fn put_budget_statuses(
        &self,
        statuses: &[BudgetStatus],
        evaluated_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        state::put_budget_statuses(&self.ctx, statuses, evaluated_at).await
    }

    async fn budget_statuses(&self) -> Result<Vec<BudgetStatus>, StoreError> {
        state::budget_statuses(&self.ctx).await
    }

    async fn get_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        state::get_state(&self.ctx, key).await
    }

    async fn put_state(&self, key: &str, value: &str) -> Result<(), StoreError> {
        state::put_state(&self.ctx, key, value).await
    }

    async fn open_state(&self, key: &str, value: &str) -> Result<String, StoreError> {
        state::open_state(&self.ctx, key, value).await
    }

    async fn delete_state(&self, key: &str) -> Result<(), StoreError> {
        state::delete_state(&self.ctx, key).await
    }
}
