//! The leader lease: one item updated only if it is free, expired or the
//! caller's, expiry compared as a number, so one replica holds it at a time.
//!
//! Must not decide anything: it takes, reads and releases what it is told.

use chrono::{DateTime, Duration, Utc};

use super::attrs::{self, Item};
use super::db::{Expr, Updated};
use super::keys::{escape, Key, LEASE_PK};
use super::{numbers, Ctx};
use crate::ledger::encoding::{corrupt, instant_at_nanos, instant_nanos};
use crate::ledger::{Lease, StoreError};

const HOLDER: &str = "holder";
const UNTIL: &str = "until";

fn nanos(at: DateTime<Utc>) -> Result<aws_sdk_dynamodb::types::AttributeValue, StoreError> {
    Ok(attrs::n(numbers::from_i64(instant_nanos(at)?)))
}

fn lease_key(name: &str) -> Key {
    Key::new(LEASE_PK, escape(name))
}

fn decode_lease(item: &Item) -> Result<Lease, StoreError> {
    let what = "lease";
    let until = numbers::to_i64(what, attrs::get_n(item, UNTIL, what)?)?;
    Ok(Lease { holder: attrs::get_s(item, HOLDER, what)?.to_string(), expires_at: instant_at_nanos(until) })
}

/// One conditional update: the lease changes only when it is free, expired
/// or already the caller's; the answer is the lease as it stands, whoever won.
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
    let update = Expr::new("SET #h = :h, #u = :u").value(":h", attrs::s(holder)).value(":u", nanos(until)?);
    let condition = Expr::new("attribute_not_exists(#pk) OR #h = :h OR #u <= :now")
        .name("#pk", attrs::PK)
        .name("#h", HOLDER)
        .name("#u", UNTIL)
        .value(":now", nanos(now)?);
    match ctx.db.update(&lease_key(name), &update, &condition, "acquiring lease").await? {
        Updated::Done(item) | Updated::Refused(Some(item)) => decode_lease(&item),
        Updated::Refused(None) => {
            let item = ctx.db.get(&lease_key(name), "reading lease").await?;
            decode_lease(&item.ok_or_else(|| corrupt("lease", format!("`{name}` refused but absent")))?)
        }
    }
}

pub(super) async fn release_lease(ctx: &Ctx, name: &str, holder: &str) -> Result<(), StoreError> {
    let condition = Expr::new("#h = :h").name("#h", HOLDER).value(":h", attrs::s(holder));
    ctx.db.delete(&lease_key(name), Some(&condition), "releasing lease").await.map(drop)
}
