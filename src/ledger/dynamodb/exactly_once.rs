//! The alert outbox and the leader lease: the state changes that must
//! happen once across replicas, each one conditional request.
//!
//! An alert is an entry item (`OUTBOX` / `E#<key>`) plus, while pending, a
//! small marker (`OUTBOX` / `P#<key>`) so the pending ones are listed
//! without reading every alert ever sent. Claiming puts both in one
//! transaction conditioned on the entry not existing; publishing sets
//! `published` and deletes the marker in one transaction conditioned on the
//! entry still being pending. A published entry expires after the configured
//! retention; a pending one never does. The lease is one item updated only
//! if it is free, expired or the caller's, expiry compared as a number.
//!
//! Must not decide anything: it claims, marks and reads what it is told.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::attrs::{self, Item};
use super::db::{Expr, Range, Updated};
use super::keys::{escape, unescape, Key, LEASE_PK, OUTBOX_PK};
use super::{numbers, Ctx};
use crate::ledger::encoding::{corrupt, instant_at_nanos, instant_nanos};
use crate::ledger::{Lease, OutboxEntry, StoreError};

const KEY: &str = "key";
const KIND: &str = "kind";
const CREATED: &str = "created";
const SUBJECT: &str = "subject";
const BODY: &str = "body";
const ATTRIBUTES: &str = "attributes";
const GROUP: &str = "group";
const ATTEMPTS: &str = "attempts";
const ERROR: &str = "error";
const PUBLISHED: &str = "published";
const HOLDER: &str = "holder";
const UNTIL: &str = "until";
/// Who is publishing an entry right now, and until when (epoch ns).
const LOCK_HOLDER: &str = "lock_holder";
const LOCK_UNTIL: &str = "lock_until";

fn entry_key(dedupe_key: &str) -> Key {
    Key::new(OUTBOX_PK, format!("E#{}", escape(dedupe_key)))
}

fn marker_key(dedupe_key: &str) -> Key {
    Key::new(OUTBOX_PK, format!("P#{}", escape(dedupe_key)))
}

fn nanos(at: DateTime<Utc>) -> Result<aws_sdk_dynamodb::types::AttributeValue, StoreError> {
    Ok(attrs::n(numbers::from_i64(instant_nanos(at)?)))
}

fn encode(ctx: &Ctx, e: &OutboxEntry) -> Result<Item, StoreError> {
    let attributes = serde_json::to_string(&e.attributes)
        .map_err(|err| StoreError::Backend(format!("encoding alert attributes: {err}")))?;
    let mut item = attrs::key_item(&entry_key(&e.dedupe_key));
    for (name, text) in [
        (KEY, &e.dedupe_key),
        (KIND, &e.kind),
        (SUBJECT, &e.subject),
        (BODY, &e.body),
        (ATTRIBUTES, &attributes),
        (GROUP, &e.group_id),
    ] {
        item.insert(name.into(), attrs::s(text.clone()));
    }
    item.insert(CREATED.into(), nanos(e.created_at)?);
    item.insert(ATTEMPTS.into(), attrs::n(numbers::from_u64(e.attempts.into())));
    if let Some(error) = &e.last_error {
        item.insert(ERROR.into(), attrs::s(error.clone()));
    }
    if let Some(at) = e.published_at {
        item.insert(PUBLISHED.into(), nanos(at)?);
        if let Some(expires) = ctx.options.published_expiry(at) {
            item.insert(attrs::EXPIRES_AT.into(), attrs::n(numbers::from_i64(expires)));
        }
    }
    Ok(item)
}

fn decode(item: &Item) -> Result<OutboxEntry, StoreError> {
    let what = "alert";
    let text = |name| attrs::get_s(item, name, what).map(str::to_string);
    let instant = |name| -> Result<Option<DateTime<Utc>>, StoreError> {
        attrs::opt_n(item, name, what)?.map(|t| Ok(instant_at_nanos(numbers::to_i64(what, t)?))).transpose()
    };
    let attributes = serde_json::from_str(attrs::get_s(item, ATTRIBUTES, what)?)
        .map_err(|err| corrupt("alert attributes", err.to_string()))?;
    let attempts = numbers::to_u64(what, attrs::get_n(item, ATTEMPTS, what)?)?;
    Ok(OutboxEntry {
        dedupe_key: text(KEY)?,
        kind: text(KIND)?,
        created_at: instant(CREATED)?.ok_or_else(|| corrupt(what, "no creation time"))?,
        subject: text(SUBJECT)?,
        body: text(BODY)?,
        attributes,
        group_id: text(GROUP)?,
        attempts: u32::try_from(attempts).map_err(|_| corrupt(what, format!("{attempts} attempts")))?,
        last_error: attrs::opt_s(item, ERROR, what)?.map(str::to_string),
        published_at: instant(PUBLISHED)?,
    })
}

pub(super) async fn claim_alert(ctx: &Ctx, e: &OutboxEntry) -> Result<bool, StoreError> {
    let mut writes = vec![ctx.db.tx_put(encode(ctx, e)?, Some(&Expr::absent()))?];
    if e.is_pending() {
        let mut marker = attrs::key_item(&marker_key(&e.dedupe_key));
        marker.insert(CREATED.into(), nanos(e.created_at)?);
        writes.push(ctx.db.tx_put(marker, Some(&Expr::absent()))?);
    }
    ctx.db.transact_once(writes, "claiming alert").await
}

pub(super) async fn pending_alerts(ctx: &Ctx, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
    let what = "pending alert marker";
    let markers = ctx.db.query(OUTBOX_PK, &Range::Prefix("P#".into()), "listing pending alerts").await?;
    let mut pending = markers
        .iter()
        .map(|m| {
            let sk = attrs::get_s(m, attrs::SK, what)?;
            let key = unescape(sk.strip_prefix("P#").unwrap_or(sk))?;
            Ok((numbers::to_i64(what, attrs::get_n(m, CREATED, what)?)?, key))
        })
        .collect::<Result<Vec<(i64, String)>, StoreError>>()?;
    pending.sort();
    pending.truncate(limit);
    let keys: Vec<Key> = pending.iter().map(|(_, k)| entry_key(k)).collect();
    let mut found: HashMap<Key, Item> = ctx.db.batch_get(&keys, "reading pending alerts").await?;
    keys.iter()
        .map(|k| {
            found
                .remove(k)
                .ok_or_else(|| corrupt(what, format!("{} has no entry", k.sk)))
                .and_then(|i| decode(&i))
        })
        .collect()
}

/// The entry must exist and not be published yet.
fn still_pending() -> Expr {
    Expr::new("attribute_exists(#pk) AND attribute_not_exists(#p)")
        .name("#pk", attrs::PK)
        .name("#p", PUBLISHED)
}

pub(super) async fn mark_alert_published(
    ctx: &Ctx,
    key: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let mut update = Expr::new("SET #p = :p, #n = #n + :one")
        .name("#n", ATTEMPTS)
        .value(":p", nanos(at)?)
        .value(":one", attrs::n("1".into()));
    if let Some(expires) = ctx.options.published_expiry(at) {
        update.text.push_str(", #x = :x");
        update = update.name("#x", attrs::EXPIRES_AT).value(":x", attrs::n(numbers::from_i64(expires)));
    }
    let writes = vec![
        ctx.db.tx_update(&entry_key(key), &update, &still_pending())?,
        ctx.db.tx_delete(&marker_key(key), None)?,
    ];
    ctx.db.transact_once(writes, "marking alert published").await
}

/// One conditional update: the entry is pending and nobody holds a lock
/// that has not expired.
pub(super) async fn lock_alert(
    ctx: &Ctx,
    key: &str,
    holder: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let update = Expr::new("SET #lh = :h, #lu = :u")
        .name("#lh", LOCK_HOLDER)
        .name("#lu", LOCK_UNTIL)
        .value(":h", attrs::s(holder))
        .value(":u", nanos(until)?);
    let condition = Expr::new(
        "attribute_exists(#pk) AND attribute_not_exists(#p) AND (attribute_not_exists(#lu) OR #lu <= :now)",
    )
    .name("#pk", attrs::PK)
    .name("#p", PUBLISHED)
    .name("#lu", LOCK_UNTIL)
    .value(":now", nanos(now)?);
    match ctx.db.update(&entry_key(key), &update, &condition, "locking alert").await? {
        Updated::Done(_) => Ok(true),
        Updated::Refused(_) => Ok(false),
    }
}

pub(super) async fn mark_alert_failed(ctx: &Ctx, key: &str, error: &str) -> Result<(), StoreError> {
    let update = Expr::new("SET #n = #n + :one, #e = :e REMOVE #lh, #lu")
        .name("#lh", LOCK_HOLDER)
        .name("#lu", LOCK_UNTIL)
        .name("#n", ATTEMPTS)
        .name("#e", ERROR)
        .value(":one", attrs::n("1".into()))
        .value(":e", attrs::s(error));
    ctx.db.update(&entry_key(key), &update, &still_pending(), "recording a failed publish").await.map(drop)
}

pub(super) async fn alert(ctx: &Ctx, key: &str) -> Result<Option<OutboxEntry>, StoreError> {
    ctx.db.get(&entry_key(key), "reading alert").await?.map(|item| decode(&item)).transpose()
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
