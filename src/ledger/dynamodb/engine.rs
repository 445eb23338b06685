//! The write engine every row kind shares: a change is read, diffed into
//! units (one row item each, with the deltas it moves into its totals and
//! rollups), grouped into transactions and sent.
//!
//! Exactly-once by optimistic concurrency: each transaction writes whole
//! units and the aggregates they touch, every item conditioned on the
//! version read (or on not existing). A row and its deltas therefore land
//! together or not at all, even if the process dies between two requests,
//! and a concurrent writer makes the transaction fail instead of applying a
//! delta twice. A failed condition re-reads and re-diffs (rows already
//! committed then diff as unchanged), up to a few attempts. Everything is
//! built, and every item checked against the size limits, before the first
//! request, so a refused change writes nothing.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;

use super::aggregate::{AggKey, Aggregate, Delta};
use super::attrs::{self, Item, VERSION};
use super::db::{Expr, Tx};
use super::keys::Key;
use super::plan::{self, Need};
use super::{numbers, Ctx};
use crate::ledger::StoreError;

const ATTEMPTS: u32 = 6;

/// Counters a change reports, in the order its caller defines
/// (e.g. points inserted, points revised, lines written).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Tally(pub [usize; 3]);

impl Tally {
    pub fn add(&mut self, other: Tally) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }
}

/// One row item's change.
#[derive(Debug)]
pub(super) struct Unit {
    pub key: Key,
    /// The version the stored item must still have; `None`: it must not exist.
    pub expect: Option<u64>,
    /// The new item, key included and version not, or `None` to delete it.
    pub item: Option<Item>,
    pub deltas: Vec<Delta>,
    pub tally: Tally,
}

/// Something that can say, from what is stored now, which units bring the
/// table to the state it wants, and what it counts that needs no write (a
/// key revised and back within one batch).
#[async_trait]
pub(super) trait Change: Send + Sync {
    /// The shard key the change writes under (its fence, `lease::guard`);
    /// `None`: a coordinator write, under the main fence.
    fn shard(&self) -> Option<&str> {
        None
    }

    async fn units(&self, ctx: &Ctx) -> Result<(Vec<Unit>, Tally), StoreError>;
}

/// Reads, diffs and writes until the change is in or a limit is hit.
pub(super) async fn run(ctx: &Ctx, change: &dyn Change, doing: &str) -> Result<Tally, StoreError> {
    let mut tally = Tally::default();
    let mut last = Vec::new();
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(20 << attempt)).await;
        }
        let (units, unwritten) = change.units(ctx).await?;
        match apply(ctx, change.shard(), units, &mut tally, doing).await? {
            None => {
                tally.add(unwritten);
                return Ok(tally);
            }
            Some(codes) => last = codes,
        }
    }
    Err(StoreError::Backend(format!(
        "{doing}: gave up after {ATTEMPTS} attempts, other writers kept changing the same items \
         (last cancellation reasons: {last:?})"
    )))
}

/// One prepared transaction.
struct Request {
    writes: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
    sizes: Vec<usize>,
    tally: Tally,
}

/// Sends the units; `Some(reasons)` when a transaction was cancelled (the
/// ones before it stay committed and counted in `tally`).
async fn apply(
    ctx: &Ctx,
    shard: Option<&str>,
    mut units: Vec<Unit>,
    tally: &mut Tally,
    doing: &str,
) -> Result<Option<Vec<String>>, StoreError> {
    if units.is_empty() {
        return Ok(None);
    }
    // Neighbours that share a model ID share its aggregates: fewer, fuller transactions.
    units.sort_by(|a, b| {
        (a.deltas.first().map(|d| &d.agg), &a.key).cmp(&(b.deltas.first().map(|d| &d.agg), &b.key))
    });
    let mut aggs = read_aggregates(ctx, &units, doing).await?;
    // With a fence, every transaction also checks the lease (a slot is kept
    // for it): a deposed leader's (or shard owner's) late chunk is refused.
    let guard = super::lease::guard(ctx, shard)?;
    for mut request in prepare(ctx, &units, &mut aggs)? {
        if let Some((check, _)) = &guard {
            request.writes.push(check.clone());
            request.sizes.push(0);
        }
        match ctx.db.transact(request.writes, &request.sizes, doing).await? {
            Tx::Committed => tally.add(request.tally),
            Tx::Cancelled(codes) => match &guard {
                Some((_, f)) if codes.last().map(String::as_str) == Some("ConditionalCheckFailed") => {
                    return Err(ctx.fence.refuse(f))
                }
                _ => return Ok(Some(codes)),
            },
        }
    }
    Ok(None)
}

/// The aggregates the units touch, as stored now (absent ones empty).
async fn read_aggregates(
    ctx: &Ctx,
    units: &[Unit],
    doing: &str,
) -> Result<BTreeMap<AggKey, Aggregate>, StoreError> {
    let mut aggs: BTreeMap<AggKey, Aggregate> =
        units.iter().flat_map(|u| &u.deltas).map(|d| (d.agg.clone(), Aggregate::default())).collect();
    let keys: Vec<Key> = aggs.keys().map(AggKey::key).collect();
    let mut found = ctx.db.batch_get(&keys, doing).await?;
    for (agg, state) in aggs.iter_mut() {
        if let Some(item) = found.remove(&agg.key()) {
            *state = Aggregate::decode(agg.kind, &item)?;
        }
    }
    Ok(aggs)
}

/// Every transaction, built and checked before any is sent. Aggregates are
/// carried forward from one transaction to the next (version + 1 each time).
fn prepare(
    ctx: &Ctx,
    units: &[Unit],
    aggs: &mut BTreeMap<AggKey, Aggregate>,
) -> Result<Vec<Request>, StoreError> {
    let order: Vec<AggKey> = aggs.keys().cloned().collect();
    let index: BTreeMap<&AggKey, usize> = order.iter().enumerate().map(|(i, a)| (a, i)).collect();
    let agg_bytes: Vec<usize> = order.iter().map(|a| estimate(a, &aggs[a])).collect();
    let needs: Vec<Need> = units
        .iter()
        .map(|u| {
            let mut touched: Vec<usize> =
                u.deltas.iter().filter_map(|d| index.get(&d.agg).copied()).collect();
            touched.sort_unstable();
            touched.dedup();
            Need { bytes: u.item.as_ref().map_or(0, attrs::item_size), aggs: touched }
        })
        .collect();
    plan::group(&needs, &agg_bytes)
        .into_iter()
        .map(|group| request(ctx, group.iter().map(|i| &units[*i]), &order, aggs))
        .collect()
}

fn estimate(agg: &AggKey, state: &Aggregate) -> usize {
    let version = state.version.unwrap_or(0) + 1;
    match state.encode(agg, version, None) {
        Ok(Some(item)) => attrs::item_size(&item),
        _ => 256,
    }
}

fn request<'a>(
    ctx: &Ctx,
    units: impl Iterator<Item = &'a Unit>,
    order: &[AggKey],
    aggs: &mut BTreeMap<AggKey, Aggregate>,
) -> Result<Request, StoreError> {
    let mut req = Request { writes: Vec::new(), sizes: Vec::new(), tally: Tally::default() };
    let mut before: BTreeMap<AggKey, Aggregate> = BTreeMap::new();
    for unit in units {
        for d in &unit.deltas {
            let state = aggs.get_mut(&d.agg).ok_or_else(|| missing(&d.agg))?;
            before.entry(d.agg.clone()).or_insert_with(|| state.clone());
            state.apply(d)?;
        }
        write_row(ctx, unit, &mut req)?;
        req.tally.add(unit.tally);
    }
    for agg in order.iter().filter(|a| before.contains_key(*a)) {
        let old = &before[agg];
        let state = aggs.get_mut(agg).ok_or_else(|| missing(agg))?;
        if state.series == old.series && state.bounds == old.bounds {
            continue;
        }
        let version = old.version.unwrap_or(0) + 1;
        let expires = agg.start().zip(ctx.options.rollup_secs()).map(|(s, keep)| s.saturating_add(keep));
        let condition = Expr::at_version(old.version);
        match state.encode(agg, version, expires)? {
            Some(item) => {
                req.sizes.push(attrs::check_size(&item)?);
                req.writes.push(ctx.db.tx_put(item, Some(&condition))?);
                state.version = Some(version);
            }
            None if old.version.is_some() => {
                req.sizes.push(0);
                req.writes.push(ctx.db.tx_delete(&agg.key(), Some(&condition))?);
                state.version = None;
            }
            None => {}
        }
    }
    Ok(req)
}

fn write_row(ctx: &Ctx, unit: &Unit, req: &mut Request) -> Result<(), StoreError> {
    let condition = Expr::at_version(unit.expect);
    match &unit.item {
        Some(item) => {
            let mut item = item.clone();
            let version = unit.expect.unwrap_or(0) + 1;
            item.insert(VERSION.into(), attrs::n(numbers::from_u64(version)));
            req.sizes.push(attrs::check_size(&item)?);
            req.writes.push(ctx.db.tx_put(item, Some(&condition))?);
        }
        None => {
            req.sizes.push(0);
            req.writes.push(ctx.db.tx_delete(&unit.key, Some(&condition))?);
        }
    }
    Ok(())
}

fn missing(agg: &AggKey) -> StoreError {
    StoreError::Backend(format!("internal: aggregate {agg:?} was not read before writing"))
}
