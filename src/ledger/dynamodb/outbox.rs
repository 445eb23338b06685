//! The alert outbox: the state changes of an alert that must happen once
//! across replicas, each one conditional request.
//!
//! An alert is an entry item (`OUTBOX` / `E#<key>`) plus, while pending, a
//! small marker (`OUTBOX` / `P#<key>`, with the entry's creation time and
//! backoff) so the due ones are listed without reading every alert ever
//! sent. Claiming puts both in one transaction conditioned on the entry not
//! existing; publishing or parking sets `published` / `parked` and deletes
//! the marker in one transaction conditioned on the entry still being
//! pending; a failed attempt updates both. A published or parked entry
//! expires after the configured retention; a pending one never does.
//!
//! Every change is fenced (`lease::fenced`): with the handle's fence set, a
//! replica that lost the lease has its late claim, lock or mark refused.
//!
//! Must not decide anything: it claims, marks and reads what it is told.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use super::attrs::{self, Item};
use super::db::{Expr, Range};
use super::keys::{escape, unescape, Key, OUTBOX_PK};
use super::lease::fenced;
use super::{numbers, Ctx};
use crate::ledger::encoding::{corrupt, instant_at_nanos, instant_nanos};
use crate::ledger::{FailedAttempt, OutboxEntry, StoreError};

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
const PARKED: &str = "parked";
/// Not attempted again before this (epoch ns); on the entry and its marker.
const RETRY: &str = "retry";
const UNCERTAIN: &str = "uncertain";
/// Who is publishing an entry right now, and until when (epoch ns).
const LOCK_HOLDER: &str = "lock_holder";
const LOCK_UNTIL: &str = "lock_until";

fn entry_key(dedupe_key: &str) -> Key {
    Key::new(OUTBOX_PK, format!("E#{}", escape(dedupe_key)))
}

fn marker_key(dedupe_key: &str) -> Key {
    Key::new(OUTBOX_PK, format!("P#{}", escape(dedupe_key)))
}

fn nanos(at: DateTime<Utc>) -> Result<AttributeValue, StoreError> {
    Ok(attrs::n(numbers::from_i64(instant_nanos(at)?)))
}

fn one() -> AttributeValue {
    attrs::n("1".into())
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
    item.insert(UNCERTAIN.into(), AttributeValue::Bool(e.uncertain));
    if let Some(error) = &e.last_error {
        item.insert(ERROR.into(), attrs::s(error.clone()));
    }
    for (name, at) in [(PUBLISHED, e.published_at), (PARKED, e.parked_at), (RETRY, e.retry_at)] {
        if let Some(at) = at {
            item.insert(name.into(), nanos(at)?);
        }
    }
    if let Some(expires) = e.published_at.or(e.parked_at).and_then(|at| ctx.options.published_expiry(at)) {
        item.insert(attrs::EXPIRES_AT.into(), attrs::n(numbers::from_i64(expires)));
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
    // Entries written before delivery states existed have no `uncertain`.
    let uncertain = match item.get(UNCERTAIN) {
        None => false,
        Some(AttributeValue::Bool(b)) => *b,
        Some(_) => return Err(corrupt(what, format!("`{UNCERTAIN}` is not a boolean"))),
    };
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
        retry_at: instant(RETRY)?,
        uncertain,
        parked_at: instant(PARKED)?,
    })
}

pub(super) async fn claim_alert(ctx: &Ctx, e: &OutboxEntry) -> Result<bool, StoreError> {
    let mut writes = vec![ctx.db.tx_put(encode(ctx, e)?, Some(&Expr::absent()))?];
    if e.is_pending() {
        let mut marker = attrs::key_item(&marker_key(&e.dedupe_key));
        marker.insert(CREATED.into(), nanos(e.created_at)?);
        if let Some(at) = e.retry_at {
            marker.insert(RETRY.into(), nanos(at)?);
        }
        writes.push(ctx.db.tx_put(marker, Some(&Expr::absent()))?);
    }
    fenced(ctx, writes, "claiming alert").await
}

/// A pending marker: (created ns, retry ns, dedupe key).
fn decode_marker(m: &Item) -> Result<(i64, Option<i64>, String), StoreError> {
    let what = "pending alert marker";
    let sk = attrs::get_s(m, attrs::SK, what)?;
    let key = unescape(sk.strip_prefix("P#").unwrap_or(sk))?;
    let created = numbers::to_i64(what, attrs::get_n(m, CREATED, what)?)?;
    let retry = attrs::opt_n(m, RETRY, what)?.map(|n| numbers::to_i64(what, n)).transpose()?;
    Ok((created, retry, key))
}

pub(super) async fn pending_alerts(
    ctx: &Ctx,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<OutboxEntry>, StoreError> {
    let now = instant_nanos(now)?;
    let markers = ctx.db.query(OUTBOX_PK, &Range::Prefix("P#".into()), "listing pending alerts").await?;
    let mut due = Vec::new();
    for m in &markers {
        let (created, retry, key) = decode_marker(m)?;
        if retry.is_none_or(|at| at <= now) {
            due.push((created, key));
        }
    }
    due.sort();
    due.truncate(limit);
    let keys: Vec<Key> = due.iter().map(|(_, k)| entry_key(k)).collect();
    let mut found: HashMap<Key, Item> = ctx.db.batch_get(&keys, "reading pending alerts").await?;
    keys.iter()
        .map(|k| {
            found
                .remove(k)
                .ok_or_else(|| corrupt("pending alert marker", format!("{} has no entry", k.sk)))
                .and_then(|i| decode(&i))
        })
        .collect()
}

/// Every entry kept (published and parked ones until they expire), newest first.
pub(super) async fn recent_alerts(ctx: &Ctx, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
    let items = ctx.db.query(OUTBOX_PK, &Range::Prefix("E#".into()), "listing alerts").await?;
    let mut entries = items.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
    entries.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| a.dedupe_key.cmp(&b.dedupe_key)));
    entries.truncate(limit);
    Ok(entries)
}

/// The entry must exist and be neither published nor parked.
fn still_pending() -> Expr {
    Expr::new("attribute_exists(#pk) AND attribute_not_exists(#p) AND attribute_not_exists(#k)")
        .name("#pk", attrs::PK)
        .name("#p", PUBLISHED)
        .name("#k", PARKED)
}

/// Ends an entry's life as pending: sets `name` to `at` (with the expiry)
/// and removes the lock, the backoff and the marker, in one transaction.
async fn settle(
    ctx: &Ctx,
    key: &str,
    name: &'static str,
    at: DateTime<Utc>,
    error: Option<&str>,
    doing: &str,
) -> Result<bool, StoreError> {
    let mut update = Expr::new("SET #s = :s, #n = #n + :one")
        .name("#s", name)
        .name("#n", ATTEMPTS)
        .name("#lh", LOCK_HOLDER)
        .name("#lu", LOCK_UNTIL)
        .name("#r", RETRY)
        .value(":s", nanos(at)?)
        .value(":one", one());
    if let Some(expires) = ctx.options.published_expiry(at) {
        update.text.push_str(", #x = :x");
        update = update.name("#x", attrs::EXPIRES_AT).value(":x", attrs::n(numbers::from_i64(expires)));
    }
    if let Some(error) = error {
        update.text.push_str(", #e = :e");
        update = update.name("#e", ERROR).value(":e", attrs::s(error));
    }
    update.text.push_str(" REMOVE #lh, #lu, #r");
    let writes = vec![
        ctx.db.tx_update(&entry_key(key), &update, &still_pending())?,
        ctx.db.tx_delete(&marker_key(key), None)?,
    ];
    fenced(ctx, writes, doing).await
}

pub(super) async fn mark_alert_published(
    ctx: &Ctx,
    key: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    settle(ctx, key, PUBLISHED, at, None, "marking alert published").await
}

pub(super) async fn park_alert(
    ctx: &Ctx,
    key: &str,
    error: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    settle(ctx, key, PARKED, at, Some(error), "parking alert").await
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
    let mut condition = still_pending();
    condition.text.push_str(" AND (attribute_not_exists(#lu) OR #lu <= :now)");
    let condition = condition.name("#lu", LOCK_UNTIL).value(":now", nanos(now)?);
    fenced(ctx, vec![ctx.db.tx_update(&entry_key(key), &update, &condition)?], "locking alert").await
}

/// Counts the attempt on the entry and moves its marker's backoff, in one
/// transaction: a marker never says due while its entry backs off.
pub(super) async fn mark_alert_failed(ctx: &Ctx, key: &str, f: &FailedAttempt<'_>) -> Result<(), StoreError> {
    let retry = nanos(f.retry_at)?;
    let update = Expr::new("SET #n = #n + :one, #e = :e, #r = :r, #c = :c REMOVE #lh, #lu")
        .name("#lh", LOCK_HOLDER)
        .name("#lu", LOCK_UNTIL)
        .name("#n", ATTEMPTS)
        .name("#e", ERROR)
        .name("#r", RETRY)
        .name("#c", UNCERTAIN)
        .value(":one", one())
        .value(":e", attrs::s(f.error))
        .value(":r", retry.clone())
        .value(":c", AttributeValue::Bool(f.uncertain));
    let marker = Expr::new("SET #r = :r").name("#r", RETRY).value(":r", retry);
    let marker_exists = Expr::new("attribute_exists(#pk)").name("#pk", attrs::PK);
    let writes = vec![
        ctx.db.tx_update(&entry_key(key), &update, &still_pending())?,
        ctx.db.tx_update(&marker_key(key), &marker, &marker_exists)?,
    ];
    fenced(ctx, writes, "recording a failed publish").await.map(drop)
}

pub(super) async fn alert(ctx: &Ctx, key: &str) -> Result<Option<OutboxEntry>, StoreError> {
    ctx.db.get(&entry_key(key), "reading alert").await?.map(|item| decode(&item)).transpose()
}
