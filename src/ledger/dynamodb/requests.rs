//! Logged requests (invocation logs) in DynamoDB: each request is one
//! transaction that puts its request-ID item (only if absent) and adds its
//! tokens and exact cost to its minute's sum, its day's sum and the all-time
//! sum; a request already counted is refused by the first item's condition
//! and skipped. A crash between transactions leaves whole requests behind,
//! each with its ID, so a re-read completes the batch without counting any
//! twice; the watermark and an object's read mark are written after.
//!
//! | item | `pk` | `sk` | expires |
//! |---|---|---|---|
//! | request ID | `RQ#<request ID>` | `-` | minute + minute retention |
//! | minute sum | `RQM#<yyyy-mm-ddTHH>` | `<MM>#<region>#<model ID>#<model>#<principal>#<dimensions>` | minute + minute retention |
//! | day sum | `RQD#<yyyy-mm>` | `<dd>#<region>#…` | day + rollup retention |
//! | all-time sum | `RQT` | `<region>#…` | never |
//! | object read | `RQO#<region>` | `<key>` | hour + minute retention |
//!
//! Sums are added with DynamoDB's `ADD`, exact decimal arithmetic on
//! numbers. Must not parse logs or price anything.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Utc};
use rust_decimal::Decimal;

use super::attrs::{self, Item, EXPIRES_AT};
use super::db::{Expr, Range};
use super::keys::{compose, decompose, escape, Key};
use super::{numbers, state, Ctx};
use crate::ledger::encoding::{corrupt, minute_at};
use crate::ledger::window::{DAY, HOUR};
use crate::ledger::{RequestBatch, RequestWriteStats, StoreError};
use crate::records::{Dimensions, RequestCost, RequestPricing, RequestSum, RequestTokens, Source};

const TOTALS_PK: &str = "RQT";
/// (attribute, what it counts), in the order of the `ADD` values.
const COUNTS: [&str; 8] = ["rq", "in", "out", "cr", "w5", "w1", "lc", "ta"];
const USD: &str = "usd";

fn series(r: &RequestCost, model: &str) -> Result<String, StoreError> {
    let dims = serde_json::to_string(&r.dimensions)
        .map_err(|e| StoreError::Backend(format!("encoding dimensions: {e}")))?;
    Ok(compose(&[&r.region, &r.model_id, model, &r.principal, &dims]))
}

fn month_text(day: i64) -> String {
    DateTime::from_timestamp(day, 0).map(|t| t.format("%Y-%m").to_string()).unwrap_or_default()
}

/// The three sum items one request adds to, with their expiry.
fn sum_keys(ctx: &Ctx, minute: i64, series: &str) -> Vec<(Key, Option<i64>)> {
    let hour = minute.div_euclid(HOUR) * HOUR;
    let day = minute.div_euclid(DAY) * DAY;
    let dd = DateTime::from_timestamp(day, 0).map_or(0, |t| t.day());
    let hour_pk = format!("RQM#{}", super::keys::hour_text(hour));
    vec![
        (
            Key::new(hour_pk, format!("{}#{series}", super::keys::minute_bound(minute))),
            ctx.options.minute_expiry(minute),
        ),
        (
            Key::new(format!("RQD#{}", month_text(day)), format!("{dd:02}#{series}")),
            ctx.options.rollup_secs().map(|s| day + s),
        ),
        (Key::new(TOTALS_PK, series.to_string()), None),
    ]
}

fn add_expr(r: &RequestCost, expires: Option<i64>) -> Result<Expr, StoreError> {
    let (usd, long, assumed) = match &r.pricing {
        RequestPricing::Priced { usd, long_context, ttl_assumed, .. } => {
            (*usd, u64::from(*long_context), u64::from(*ttl_assumed))
        }
        RequestPricing::Unpriced { .. } => (Decimal::ZERO, 0, 0),
    };
    let t = &r.tokens;
    let counts = [1, t.input, t.output, t.cache_read, t.cache_write_5m, t.cache_write_1h, long, assumed];
    const NAMES: [(&str, &str); 9] = [
        ("#a0", ":a0"),
        ("#a1", ":a1"),
        ("#a2", ":a2"),
        ("#a3", ":a3"),
        ("#a4", ":a4"),
        ("#a5", ":a5"),
        ("#a6", ":a6"),
        ("#a7", ":a7"),
        ("#a8", ":a8"),
    ];
    let mut text = String::from("ADD ");
    let mut expr = Expr::new("");
    for (i, ((name, value), count)) in NAMES.iter().zip(counts).enumerate() {
        text.push_str(&format!("{}{name} {value}", if i > 0 { ", " } else { "" }));
        expr = expr.name(name, COUNTS[i]).value(value, attrs::n(numbers::from_u64(count)));
    }
    let (name, value) = NAMES[8];
    text.push_str(&format!(", {name} {value}"));
    expr = expr.name(name, USD).value(value, attrs::n(numbers::from_decimal("usd", with_places(usd))?));
    if let Some(at) = expires {
        text.push_str(" SET #x = :x");
        expr = expr.name("#x", EXPIRES_AT).value(":x", attrs::n(numbers::from_i64(at)));
    }
    expr.text = text;
    Ok(expr)
}

/// `usd` written with 20 decimal places where it fits: the same number, but
/// a sum that some DynamoDB implementations print in exponent form (`1E-7`)
/// then keeps a decimal point (`1.0000000000000E-7`), which every reader of
/// the `N` type parses as a decimal, never as an integer.
fn with_places(usd: Decimal) -> Decimal {
    let mut wide = usd;
    wide.rescale(20);
    if wide == usd {
        wide
    } else {
        usd
    }
}

/// One request: its ID (if absent) and its three sums, atomically; `false`
/// when the ID was already counted.
async fn write_one(ctx: &Ctx, r: &RequestCost) -> Result<bool, StoreError> {
    let minute = ctx.options.writable(r.minute.timestamp())?;
    let model = match &r.pricing {
        RequestPricing::Priced { model, .. } => model.as_str(),
        RequestPricing::Unpriced { .. } => "",
    };
    let series = series(r, model)?;
    let mut id = attrs::key_item(&Key::new(format!("RQ#{}", escape(&r.request_id)), "-"));
    if let Some(at) = ctx.options.minute_expiry(minute) {
        id.insert(EXPIRES_AT.into(), attrs::n(numbers::from_i64(at)));
    }
    let mut writes = vec![ctx.db.tx_put(id, Some(&Expr::absent()))?];
    for (key, expires) in sum_keys(ctx, minute, &series) {
        writes.push(ctx.db.tx_update(&key, &add_expr(r, expires)?, &Expr::always())?);
    }
    super::lease::fenced(ctx, writes, "writing a logged request").await
}

pub(super) async fn write_requests(ctx: &Ctx, batch: &RequestBatch) -> Result<RequestWriteStats, StoreError> {
    batch.check()?;
    let mut stats = RequestWriteStats::default();
    for r in &batch.requests {
        if write_one(ctx, r).await? {
            stats.added += 1;
        } else {
            stats.duplicates += 1;
        }
    }
    if let Some(o) = &batch.object_done {
        let mut item = attrs::key_item(&object_key(&batch.region, &o.key));
        if let Some(at) = ctx.options.minute_expiry(o.hour.timestamp()) {
            item.insert(EXPIRES_AT.into(), attrs::n(numbers::from_i64(at)));
        }
        super::lease::fenced(ctx, vec![ctx.db.tx_put(item, None)?], "marking an object read").await?;
    }
    if let Some(until) = batch.watermark {
        state::advance_watermark(ctx, Source::InvocationLogs, &batch.region, until).await?;
    }
    // Request IDs and object marks expire with the minute rows (TTL): a
    // re-read never reaches back that far, so `forget_before` needs no delete.
    Ok(stats)
}

fn object_key(region: &str, key: &str) -> Key {
    Key::new(format!("RQO#{}", escape(region)), escape(key))
}

pub(super) async fn done_objects(
    ctx: &Ctx,
    region: &str,
    keys: &[String],
) -> Result<BTreeSet<String>, StoreError> {
    let wanted: Vec<Key> = keys.iter().map(|k| object_key(region, k)).collect();
    let found = ctx.db.batch_get(&wanted, "reading read objects").await?;
    Ok(keys.iter().zip(&wanted).filter(|(_, k)| found.contains_key(k)).map(|(key, _)| key.clone()).collect())
}

/// A sum item read back; `minute` as the caller knows it.
fn sum_of(item: &Item, sk_series: &str, minute: DateTime<Utc>) -> Result<RequestSum, StoreError> {
    let parts = decompose(sk_series, 5)?;
    let [region, model_id, model, principal, dims] =
        <[String; 5]>::try_from(parts).map_err(|_| corrupt("request sum key", sk_series.to_string()))?;
    let dimensions: Dimensions =
        serde_json::from_str(&dims).map_err(|e| corrupt("request dimensions", format!("`{dims}`: {e}")))?;
    let n = |name: &'static str| -> Result<u64, StoreError> {
        attrs::opt_n(item, name, "request sum")?.map_or(Ok(0), |t| numbers::to_u64("request sum", t))
    };
    Ok(RequestSum {
        minute,
        region,
        model_id,
        model: (!model.is_empty()).then_some(model),
        principal,
        dimensions,
        requests: n("rq")?,
        tokens: RequestTokens {
            input: n("in")?,
            output: n("out")?,
            cache_read: n("cr")?,
            cache_write_5m: n("w5")?,
            cache_write_1h: n("w1")?,
        },
        usd: attrs::opt_n(item, USD, "request sum")?
            .map_or(Ok(Decimal::ZERO), |t| numbers::to_decimal("usd", t))?,
        long_context: n("lc")?,
        ttl_assumed: n("ta")?,
    })
}

/// Minute sums with `from <= minute < to` (every region), one Query per hour.
async fn minute_sums(ctx: &Ctx, from: i64, to: i64) -> Result<Vec<RequestSum>, StoreError> {
    let mut out = Vec::new();
    let mut hour = from.div_euclid(HOUR) * HOUR;
    while hour < to {
        let pk = format!("RQM#{}", super::keys::hour_text(hour));
        for item in ctx.db.query(&pk, &Range::All, "reading request sums").await? {
            let sk = attrs::get_s(&item, attrs::SK, "request sum key")?;
            let (mm, rest) = sk.split_once('#').ok_or_else(|| corrupt("request sum key", sk.to_string()))?;
            let mm: i64 = mm.parse().map_err(|_| corrupt("request sum key", sk.to_string()))?;
            let minute = hour + mm * 60;
            if (from..to).contains(&minute) {
                out.push(sum_of(&item, rest, minute_at(minute)?)?);
            }
        }
        hour += HOUR;
    }
    Ok(out)
}

/// Day sums of the whole UTC days in `[from, to)`.
async fn day_sums(ctx: &Ctx, from: i64, to: i64) -> Result<Vec<RequestSum>, StoreError> {
    let mut out = Vec::new();
    let mut months: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut day = from;
    while day + DAY <= to {
        months.entry(month_text(day)).or_default().push(day);
        day += DAY;
    }
    for (month, days) in months {
        let wanted: BTreeSet<u32> =
            days.iter().filter_map(|d| DateTime::from_timestamp(*d, 0)).map(|t| t.day()).collect();
        for item in ctx.db.query(&format!("RQD#{month}"), &Range::All, "reading request day sums").await? {
            let sk = attrs::get_s(&item, attrs::SK, "request day key")?;
            let (dd, rest) = sk.split_once('#').ok_or_else(|| corrupt("request day key", sk.to_string()))?;
            let dd: u32 = dd.parse().map_err(|_| corrupt("request day key", sk.to_string()))?;
            if wanted.contains(&dd) {
                out.push(sum_of(&item, rest, minute_at(from)?)?);
            }
        }
    }
    Ok(out)
}

pub(super) async fn request_rows(
    ctx: &Ctx,
    region: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<RequestSum>, StoreError> {
    let mut rows = minute_sums(ctx, from.timestamp(), to.timestamp()).await?;
    rows.retain(|r| r.region == region);
    rows.sort_by(|a, b| {
        (a.minute, &a.model_id, &a.model, &a.principal).cmp(&(b.minute, &b.model_id, &b.model, &b.principal))
    });
    Ok(rows)
}

/// Whole UTC days from the day sums, the edges from the minute sums.
pub(super) async fn request_sums(
    ctx: &Ctx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<RequestSum>, StoreError> {
    let (from, to) = (from.timestamp(), to.timestamp());
    let first_day = (from + DAY - 1).div_euclid(DAY) * DAY;
    let last_day = to.div_euclid(DAY) * DAY;
    let mut parts = Vec::new();
    if first_day < last_day {
        parts.extend(minute_sums(ctx, from, first_day).await?);
        parts.extend(day_sums(ctx, first_day, last_day).await?);
        parts.extend(minute_sums(ctx, last_day, to).await?);
    } else {
        parts.extend(minute_sums(ctx, from, to).await?);
    }
    Ok(merge(parts, minute_at(from)?))
}

pub(super) async fn request_totals(ctx: &Ctx) -> Result<Vec<RequestSum>, StoreError> {
    let mut out = Vec::new();
    for item in ctx.db.query(TOTALS_PK, &Range::All, "reading request totals").await? {
        let sk = attrs::get_s(&item, attrs::SK, "request total key")?;
        out.push(sum_of(&item, sk, DateTime::UNIX_EPOCH)?);
    }
    Ok(out)
}

/// Sums per key without the minute, reported under `minute`.
fn merge(parts: Vec<RequestSum>, minute: DateTime<Utc>) -> Vec<RequestSum> {
    let mut by: BTreeMap<(String, String, Option<String>, String, String), RequestSum> = BTreeMap::new();
    for p in parts {
        let dims = serde_json::to_string(&p.dimensions).unwrap_or_default();
        let key = (p.region.clone(), p.model_id.clone(), p.model.clone(), p.principal.clone(), dims);
        match by.get_mut(&key) {
            Some(s) => {
                s.requests += p.requests;
                s.tokens = s.tokens.checked_add(p.tokens).unwrap_or(s.tokens);
                s.usd += p.usd;
                s.long_context += p.long_context;
                s.ttl_assumed += p.ttl_assumed;
            }
            None => {
                by.insert(key, RequestSum { minute, ..p });
            }
        }
    }
    by.into_values().collect()
}
