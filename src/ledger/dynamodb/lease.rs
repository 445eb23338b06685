//! Leases (the leader's, each shard's, each replica's membership): one item
//! each, updated only if it is free, expired or the caller's, expiry compared as a number, so one replica holds it at a time;
//! its epoch grows with every new holding, and fenced writes check it in
//! their transaction (`fenced`).
//!
//! Must not decide anything: it takes, reads and releases what it is told.

use chrono::{DateTime, Duration, Utc};

use super::attrs::{self, Item};
use aws_sdk_dynamodb::types::TransactWriteItem;

use super::db::{Expr, Guarded, Updated};
use super::expr::Range;
use super::keys::{escape, unescape, Key, LEASE_PK};
use super::{numbers, Ctx};
use crate::ledger::encoding::{corrupt, instant_at_nanos, instant_nanos};
use crate::ledger::{member_lease, Fence, Lease, StoreError};

const HOLDER: &str = "holder";
const UNTIL: &str = "until";
const EPOCH: &str = "epoch";

fn nanos(at: DateTime<Utc>) -> Result<aws_sdk_dynamodb::types::AttributeValue, StoreError> {
    Ok(attrs::n(numbers::from_i64(instant_nanos(at)?)))
}

pub(super) fn lease_key(name: &str) -> Key {
    Key::new(LEASE_PK, escape(name))
}

fn decode_lease(item: &Item) -> Result<Lease, StoreError> {
    let what = "lease";
    let until = numbers::to_i64(what, attrs::get_n(item, UNTIL, what)?)?;
    // A lease written before epochs existed is at epoch 0.
    let epoch = attrs::opt_n(item, EPOCH, what)?.map(|n| numbers::to_u64(what, n)).transpose()?.unwrap_or(0);
    Ok(Lease {
        holder: attrs::get_s(item, HOLDER, what)?.to_string(),
        expires_at: instant_at_nanos(until),
        epoch,
    })
}

/// The condition a fenced write checks on the lease item.
pub(super) fn fence_condition(fence: &Fence) -> Expr {
    Expr::new("#h = :fh AND #ep = :fe")
        .name("#h", HOLDER)
        .name("#ep", EPOCH)
        .value(":fh", attrs::s(fence.holder.clone()))
        .value(":fe", attrs::n(numbers::from_u64(fence.epoch)))
}

/// Two conditional updates: a renewal of the caller's live lease (its
/// epoch stays), else a taking of a free or expired one (its epoch grows).
/// The answer is the lease as it stands, whoever won.
pub(super) async fn acquire_lease(
    ctx: &Ctx,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<Lease, StoreError> {
    let until = now
        .checked_add_signed(ttl)
        .ok_or_else(|| StoreError::Backend(format!("lease ttl {ttl} overflows")))?;
    let key = lease_key(name);
    let renew = Expr::new("SET #u = :u").name("#u", UNTIL).value(":u", nanos(until)?);
    let live = Expr::new("#h = :h AND #u > :now")
        .name("#h", HOLDER)
        .name("#u", UNTIL)
        .value(":h", attrs::s(holder))
        .value(":now", nanos(now)?);
    if let Updated::Done(item) = ctx.db.update(&key, &renew, &live, "renewing lease").await? {
        return decode_lease(&item);
    }
    let take = Expr::new("SET #h = :h, #u = :u, #ep = if_not_exists(#ep, :zero) + :one")
        .name("#h", HOLDER)
        .name("#u", UNTIL)
        .name("#ep", EPOCH)
        .value(":h", attrs::s(holder))
        .value(":u", nanos(until)?)
        .value(":zero", attrs::n("0".into()))
        .value(":one", attrs::n("1".into()));
    let free = Expr::new("attribute_not_exists(#pk) OR #u <= :now")
        .name("#pk", attrs::PK)
        .name("#u", UNTIL)
        .value(":now", nanos(now)?);
    match ctx.db.update(&key, &take, &free, "acquiring lease").await? {
        Updated::Done(item) | Updated::Refused(Some(item)) => decode_lease(&item),
        Updated::Refused(None) => {
            let item = ctx.db.get(&key, "reading lease").await?;
            decode_lease(&item.ok_or_else(|| corrupt("lease", format!("`{name}` refused but absent")))?)
        }
    }
}

/// Expired rather than deleted: the item keeps its epoch, so the next
/// holder's is higher and no old fence can match again.
pub(super) async fn release_lease(ctx: &Ctx, name: &str, holder: &str) -> Result<(), StoreError> {
    let expire = Expr::new("SET #u = :zero").name("#u", UNTIL).value(":zero", attrs::n("0".into()));
    let condition = Expr::new("#h = :h").name("#h", HOLDER).value(":h", attrs::s(holder));
    ctx.db.update(&lease_key(name), &expire, &condition, "releasing lease").await.map(drop)
}

/// The fence check to append to a transaction, if a fence is set: the
/// fence of `shard` when the write carries a shard key and the handle holds
/// one for it, else the main (`collector`) fence.
pub(super) fn guard(
    ctx: &Ctx,
    shard: Option<&str>,
) -> Result<Option<(TransactWriteItem, Fence)>, StoreError> {
    let fence = match shard {
        Some(key) => ctx.fence.for_shard(key),
        None => ctx.fence.get(),
    };
    fence.map(|f| Ok((ctx.db.tx_check(&lease_key(&f.lease), &fence_condition(&f))?, f))).transpose()
}

/// Deletes a membership heartbeat that expired before `before`.
pub(super) async fn forget_member(ctx: &Ctx, holder: &str, before: DateTime<Utc>) -> Result<(), StoreError> {
    let expired = Expr::new("#u < :before").name("#u", UNTIL).value(":before", nanos(before)?);
    let delete = ctx.db.tx_delete(&lease_key(&member_lease(holder)), Some(&expired))?;
    ctx.db.transact_guarded(vec![delete], None, "forgetting a replica").await.map(drop)
}

/// Every lease item: one Query on the LEASE partition.
pub(super) async fn leases(ctx: &Ctx) -> Result<Vec<(String, Lease)>, StoreError> {
    let items = ctx.db.query(LEASE_PK, &Range::All, "listing leases").await?;
    items
        .iter()
        .map(|item| Ok((unescape(attrs::get_s(item, attrs::SK, "lease")?)?, decode_lease(item)?)))
        .collect()
}

/// Runs `writes` (the first item's condition decides: `false` when refused)
/// with the handle's fence, if any, checked on the lease item in the same
/// transaction: a refused fence is `StoreError::Fenced`.
pub(super) async fn fenced(
    ctx: &Ctx,
    writes: Vec<TransactWriteItem>,
    doing: &str,
) -> Result<bool, StoreError> {
    fenced_for(ctx, None, writes, doing).await
}

/// `fenced`, under `shard`'s fence when the handle holds one (`guard`).
pub(super) async fn fenced_for(
    ctx: &Ctx,
    shard: Option<&str>,
    writes: Vec<TransactWriteItem>,
    doing: &str,
) -> Result<bool, StoreError> {
    let (check, fence) = guard(ctx, shard)?.unzip();
    match (ctx.db.transact_guarded(writes, check, doing).await?, &fence) {
        (Guarded::Committed, _) => Ok(true),
        (Guarded::GuardRefused, Some(f)) => Err(ctx.fence.refuse(f)),
        (_, _) => Ok(false),
    }
}
