//! Watermarks, budget statuses and named flags: small items that never
//! expire.
//!
//! A watermark only moves forward: one update conditioned on the stored
//! instant being lower (numbers compared as numbers). The status set is
//! replaced by diffing: unchanged statuses are not written, the changes go
//! in transactions of up to 100 items, new and changed ones before removals
//! (a set of more than 100 changes is not atomic: a reader in between can see
//! both evaluations' statuses, never neither). Each status item carries its
//! `budget`, `principal` and `state` next to the JSON `body`, for
//! applications that read the table directly. Must not evaluate anything.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::attrs::{self, Item};
use super::db::{Expr, Range};
use super::keys::{compose, escape, Key, FLAG_PK, STATUS_PK, WATERMARK_PK};
use super::plan::MAX_ITEMS;
use super::{numbers, Ctx};
use crate::budgets::BudgetStatus;
use crate::ledger::encoding::{corrupt, instant_at_nanos, instant_nanos};
use crate::ledger::StoreError;
use crate::records::Source;

const UNTIL: &str = "until";
const BUDGET: &str = "budget";
const PRINCIPAL: &str = "principal";
const STATE: &str = "state";
const BODY: &str = "body";
const VALUE: &str = "value";

fn watermark_key(source: Source, region: &str) -> Key {
    Key::new(WATERMARK_PK, compose(&[source.as_str(), region]))
}

pub(super) async fn watermark(
    ctx: &Ctx,
    source: Source,
    region: &str,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let item = ctx.db.get(&watermark_key(source, region), "reading watermark").await?;
    item.map(|i| Ok(instant_at_nanos(numbers::to_i64("watermark", attrs::get_n(&i, UNTIL, "watermark")?)?)))
        .transpose()
}

/// `max(stored, until)`: a refused condition means the stored one is already
/// later. Fenced: a deposed leader cannot move it.
pub(super) async fn advance_watermark(
    ctx: &Ctx,
    source: Source,
    region: &str,
    until: DateTime<Utc>,
) -> Result<(), StoreError> {
    let update = Expr::new("SET #w = :w").value(":w", attrs::n(numbers::from_i64(instant_nanos(until)?)));
    let condition = Expr::new("attribute_not_exists(#w) OR #w < :w").name("#w", UNTIL);
    let key = watermark_key(source, region);
    if ctx.fence.for_shard(region).is_none() {
        // Unfenced (one process on its own table): a plain conditional update, half the cost.
        return ctx.db.update(&key, &update, &condition, "moving watermark").await.map(drop);
    }
    let write = ctx.db.tx_update(&key, &update, &condition)?;
    super::lease::fenced_for(ctx, Some(region), vec![write], "moving watermark").await.map(drop)
}

fn status_item(s: &BudgetStatus) -> Result<(Key, Item), StoreError> {
    let body = serde_json::to_string(s)
        .map_err(|err| StoreError::Backend(format!("encoding budget status: {err}")))?;
    let key = Key::new(STATUS_PK, compose(&[&s.budget, &s.subject().unwrap_or_default()]));
    let mut item = attrs::key_item(&key);
    item.insert(BUDGET.into(), attrs::s(s.budget.clone()));
    if let Some(p) = &s.principal {
        item.insert(PRINCIPAL.into(), attrs::s(p.clone()));
    }
    item.insert(STATE.into(), attrs::s(s.state.as_str()));
    item.insert(BODY.into(), attrs::s(body));
    Ok((key, item))
}

/// The flag holding when the stored status set was evaluated (epoch ns).
const STATUSES_EVALUATED: &str = "budget_statuses:evaluated";
const EVALUATED: &str = "evaluated";

/// The first item of every status transaction: moves the set's evaluation
/// instant forward, refused when a later set is stored, which cancels the
/// whole transaction (`lease::fenced` answers `false`).
fn evaluated_guard(
    ctx: &Ctx,
    evaluated_at: DateTime<Utc>,
) -> Result<aws_sdk_dynamodb::types::TransactWriteItem, StoreError> {
    let update = Expr::new("SET #e = :e")
        .name("#e", EVALUATED)
        .value(":e", attrs::n(numbers::from_i64(instant_nanos(evaluated_at)?)));
    let condition = Expr::new("attribute_not_exists(#e) OR #e <= :e").name("#e", EVALUATED);
    ctx.db.tx_update(&flag_key(STATUSES_EVALUATED), &update, &condition)
}

pub(super) async fn put_budget_statuses(
    ctx: &Ctx,
    statuses: &[BudgetStatus],
    evaluated_at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let mut wanted: BTreeMap<Key, Item> = BTreeMap::new();
    for s in statuses {
        let (key, item) = status_item(s)?;
        if wanted.insert(key, item).is_some() {
            return Err(StoreError::Backend(format!(
                "budget status {} {:?} appears twice in one set",
                s.budget,
                s.subject()
            )));
        }
    }
    let stored = ctx.db.query(STATUS_PK, &Range::All, "reading budget statuses").await?;
    let stored: BTreeMap<Key, Item> =
        stored.into_iter().map(|i| Ok((attrs::key_of(&i)?, i))).collect::<Result<_, StoreError>>()?;
    let mut writes = Vec::new();
    for (key, item) in &wanted {
        if stored.get(key).and_then(|i| i.get(BODY)) != item.get(BODY) {
            writes.push(ctx.db.tx_put(item.clone(), None)?);
        }
    }
    for key in stored.keys().filter(|k| !wanted.contains_key(*k)) {
        writes.push(ctx.db.tx_delete(key, None)?);
    }
    // Even an unchanged set moves the evaluation instant (a guard alone).
    loop {
        let rest = writes.split_off(writes.len().min(MAX_ITEMS - 1));
        let mut batch = vec![evaluated_guard(ctx, evaluated_at)?];
        batch.append(&mut writes);
        if !super::lease::fenced(ctx, batch, "writing budget statuses").await? {
            return Ok(false);
        }
        writes = rest;
        if writes.is_empty() {
            return Ok(true);
        }
    }
}

pub(super) async fn budget_statuses(ctx: &Ctx) -> Result<Vec<BudgetStatus>, StoreError> {
    let items = ctx.db.query(STATUS_PK, &Range::All, "reading budget statuses").await?;
    let mut statuses = items
        .iter()
        .map(|i| {
            serde_json::from_str::<BudgetStatus>(attrs::get_s(i, BODY, "budget status")?)
                .map_err(|err| corrupt("budget status", err.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    statuses.sort_by_key(|s| (s.budget.clone(), s.subject()));
    Ok(statuses)
}

fn flag_key(key: &str) -> Key {
    Key::new(FLAG_PK, escape(key))
}

pub(super) async fn get_state(ctx: &Ctx, key: &str) -> Result<Option<String>, StoreError> {
    let item = ctx.db.get(&flag_key(key), "reading flag").await?;
    item.map(|i| attrs::get_s(&i, VALUE, "flag").map(str::to_string)).transpose()
}

pub(super) async fn put_state(ctx: &Ctx, key: &str, value: &str) -> Result<(), StoreError> {
    let mut item = attrs::key_item(&flag_key(key));
    item.insert(VALUE.into(), attrs::s(value));
    ctx.db.put(item, None, "writing flag").await.map(drop)
}

pub(super) async fn open_state(ctx: &Ctx, key: &str, value: &str) -> Result<String, StoreError> {
    let mut item = attrs::key_item(&flag_key(key));
    item.insert(VALUE.into(), attrs::s(value));
    let put = ctx.db.tx_put(item, Some(&Expr::absent()))?;
    if super::lease::fenced(ctx, vec![put], "opening flag").await? {
        return Ok(value.to_string());
    }
    get_state(ctx, key).await?.ok_or_else(|| corrupt("flag", format!("`{key}` refused but absent")))
}

/// Fenced like opening: a replica that lost the lease cannot close the
/// episode its successor keeps open.
pub(super) async fn delete_state(ctx: &Ctx, key: &str) -> Result<(), StoreError> {
    super::lease::fenced(ctx, vec![ctx.db.tx_delete(&flag_key(key), None)?], "deleting flag").await.map(drop)
}
