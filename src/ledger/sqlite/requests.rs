//! Priced requests from the invocation logs in SQLite: each request ID is
//! counted once (`log_requests`), and its tokens and exact cost are added to
//! its minute's row of `request_sums` and to the all-time row (minute `-1`),
//! in the same transaction that moves the invocation-log watermark. Must not
//! parse logs or price anything.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction, TransactionBehavior};
use rust_decimal::Decimal;

use super::codec::{self, corrupt, Context};
use super::write::advance_watermark;
use crate::ledger::{Fence, RequestBatch, RequestWriteStats, StoreError};
use crate::records::{Dimensions, RequestCost, RequestPricing, RequestSum, RequestTokens, Source};

/// The `minute` of the all-time rows.
const ALL_TIME: i64 = -1;

/// (minute, region, model ID, model or '', principal, dimensions as JSON).
type Key = (i64, String, String, String, String, String);

pub(super) fn write_requests(
    conn: &mut Connection,
    batch: &RequestBatch,
    fence: Option<&Fence>,
) -> Result<RequestWriteStats, StoreError> {
    batch.check()?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).ctx("starting request write")?;
    super::fence::check_if(&tx, fence)?;
    let earliest = batch.requests.iter().map(|r| r.minute.timestamp()).min();
    super::compact::check_writable(&tx, earliest)?;
    let mut stats = RequestWriteStats::default();
    for r in &batch.requests {
        let minute = codec::minute_to_sql(r.minute)?;
        let fresh = tx
            .prepare_cached(
                "INSERT INTO log_requests (request_id, minute) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            )
            .and_then(|mut st| st.execute(params![r.request_id, minute]))
            .ctx("recording a request ID")?;
        if fresh == 0 {
            stats.duplicates += 1;
            continue;
        }
        add_to_sum(&tx, minute, r)?;
        add_to_sum(&tx, ALL_TIME, r)?;
        stats.added += 1;
    }
    if let Some(until) = batch.watermark {
        advance_watermark(&tx, Source::InvocationLogs, &batch.region, until)?;
    }
    if let Some(before) = batch.forget_before {
        tx.prepare_cached("DELETE FROM log_requests WHERE minute < ?1")
            .and_then(|mut st| st.execute(params![codec::bound_to_sql(before)]))
            .ctx("forgetting old request IDs")?;
        tx.prepare_cached("DELETE FROM log_objects WHERE hour < ?1")
            .and_then(|mut st| st.execute(params![codec::bound_to_sql(before)]))
            .ctx("forgetting old objects")?;
    }
    if let Some(o) = &batch.object_done {
        tx.prepare_cached(
            "INSERT INTO log_objects (key, region, hour) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        )
        .and_then(|mut st| st.execute(params![o.key, batch.region, codec::bound_to_sql(o.hour)]))
        .ctx("marking an object read")?;
    }
    tx.commit().ctx("committing request write")?;
    Ok(stats)
}

fn key_of(minute: i64, r: &RequestCost) -> Result<Key, StoreError> {
    let model = match &r.pricing {
        RequestPricing::Priced { model, .. } => model.clone(),
        RequestPricing::Unpriced { .. } => String::new(),
    };
    Ok((
        minute,
        r.region.clone(),
        r.model_id.clone(),
        model,
        r.principal.clone(),
        dimensions_to_sql(&r.dimensions)?,
    ))
}

/// Reads the row, adds the request in Rust (money as exact decimals) and
/// writes it back: SQLite cannot add decimal text exactly.
fn add_to_sum(tx: &Transaction<'_>, minute: i64, r: &RequestCost) -> Result<(), StoreError> {
    let key = key_of(minute, r)?;
    let old = tx
        .prepare_cached(
            "SELECT minute, region, model_id, model, principal, dimensions, requests, input, output,
                    cache_read, cache_write_5m, cache_write_1h, usd, long_context, ttl_assumed
             FROM request_sums WHERE minute = ?1 AND region = ?2 AND model_id = ?3 AND model = ?4
               AND principal = ?5 AND dimensions = ?6",
        )
        .and_then(|mut st| {
            st.query_row(params![key.0, key.1, key.2, key.3, key.4, key.5], |row| Ok(sum_from_row(row)))
                .optional()
        })
        .ctx("reading a request sum")?
        .transpose()?;
    let mut sum = old.unwrap_or_else(|| empty_sum(r));
    add(&mut sum, r)?;
    let t = &sum.tokens;
    let n = codec::tokens_to_sql;
    let counts = [
        n(sum.requests)?,
        n(t.input)?,
        n(t.output)?,
        n(t.cache_read)?,
        n(t.cache_write_5m)?,
        n(t.cache_write_1h)?,
        n(sum.long_context)?,
        n(sum.ttl_assumed)?,
    ];
    tx.prepare_cached(
        "INSERT INTO request_sums (minute, region, model_id, model, principal, dimensions, requests, input,
                                   output, cache_read, cache_write_5m, cache_write_1h, long_context,
                                   ttl_assumed, usd)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
         ON CONFLICT (minute, region, model_id, model, principal, dimensions) DO UPDATE SET
           requests = excluded.requests, input = excluded.input, output = excluded.output,
           cache_read = excluded.cache_read, cache_write_5m = excluded.cache_write_5m,
           cache_write_1h = excluded.cache_write_1h, long_context = excluded.long_context,
           ttl_assumed = excluded.ttl_assumed, usd = excluded.usd",
    )
    .and_then(|mut st| {
        let [requests, input, output, read, w5, w1, long, assumed] = counts;
        st.execute(params![
            key.0,
            key.1,
            key.2,
            key.3,
            key.4,
            key.5,
            requests,
            input,
            output,
            read,
            w5,
            w1,
            long,
            assumed,
            codec::usd_to_sql(sum.usd),
        ])
    })
    .ctx("writing a request sum")?;
    Ok(())
}

fn empty_sum(r: &RequestCost) -> RequestSum {
    RequestSum {
        minute: r.minute,
        region: r.region.clone(),
        model_id: r.model_id.clone(),
        model: match &r.pricing {
            RequestPricing::Priced { model, .. } => Some(model.clone()),
            RequestPricing::Unpriced { .. } => None,
        },
        principal: r.principal.clone(),
        dimensions: r.dimensions.clone(),
        requests: 0,
        tokens: RequestTokens::default(),
        usd: Decimal::ZERO,
        long_context: 0,
        ttl_assumed: 0,
    }
}

/// Adds one request to a sum; an overflow is an error, never a wrong number.
fn add(sum: &mut RequestSum, r: &RequestCost) -> Result<(), StoreError> {
    add_sums(sum, &RequestSum { requests: 1, tokens: r.tokens, ..flags_of(r) })
}

fn flags_of(r: &RequestCost) -> RequestSum {
    let mut one = empty_sum(r);
    if let RequestPricing::Priced { usd, long_context, ttl_assumed, .. } = &r.pricing {
        one.usd = *usd;
        one.long_context = u64::from(*long_context);
        one.ttl_assumed = u64::from(*ttl_assumed);
    }
    one
}

fn add_sums(sum: &mut RequestSum, other: &RequestSum) -> Result<(), StoreError> {
    let overflow = || StoreError::Backend(format!("request sums of {} overflow", sum.model_id));
    sum.requests = sum.requests.checked_add(other.requests).ok_or_else(overflow)?;
    sum.tokens = sum.tokens.checked_add(other.tokens).ok_or_else(overflow)?;
    sum.usd = sum.usd.checked_add(other.usd).ok_or_else(overflow)?;
    sum.long_context = sum.long_context.checked_add(other.long_context).ok_or_else(overflow)?;
    sum.ttl_assumed = sum.ttl_assumed.checked_add(other.ttl_assumed).ok_or_else(overflow)?;
    Ok(())
}

fn dimensions_to_sql(d: &Dimensions) -> Result<String, StoreError> {
    serde_json::to_string(d).map_err(|e| StoreError::Backend(format!("encoding dimensions: {e}")))
}

fn dimensions_from_sql(text: &str) -> Result<Dimensions, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt("request dimensions", format!("`{text}`: {e}")))
}

const COLUMNS: &str = "minute, region, model_id, model, principal, dimensions, requests, input, output,
                       cache_read, cache_write_5m, cache_write_1h, usd, long_context, ttl_assumed";

fn sum_from_row(row: &Row<'_>) -> Result<RequestSum, StoreError> {
    let get_i = |i: usize| -> Result<i64, StoreError> {
        row.get::<_, i64>(i).map_err(|e| corrupt("request sum", e.to_string()))
    };
    let get_s = |i: usize| -> Result<String, StoreError> {
        row.get::<_, String>(i).map_err(|e| corrupt("request sum", e.to_string()))
    };
    let n = |i: usize| get_i(i).and_then(codec::tokens_from_sql);
    let model = get_s(3)?;
    Ok(RequestSum {
        minute: match get_i(0)? {
            ALL_TIME => DateTime::UNIX_EPOCH,
            minute => codec::minute_from_sql(minute)?,
        },
        region: get_s(1)?,
        model_id: get_s(2)?,
        model: (!model.is_empty()).then_some(model),
        principal: get_s(4)?,
        dimensions: dimensions_from_sql(&get_s(5)?)?,
        requests: n(6)?,
        tokens: RequestTokens {
            input: n(7)?,
            output: n(8)?,
            cache_read: n(9)?,
            cache_write_5m: n(10)?,
            cache_write_1h: n(11)?,
        },
        usd: codec::usd_from_sql(&get_s(12)?)?,
        long_context: n(13)?,
        ttl_assumed: n(14)?,
    })
}

/// Per-minute rows of `region` with `from <= minute < to`, ordered by key.
pub(super) fn request_rows(
    conn: &Connection,
    region: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<RequestSum>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM request_sums WHERE region = ?1 AND minute >= ?2 AND minute < ?3
         ORDER BY minute, model_id, model, principal, dimensions"
    );
    let mut st = conn.prepare_cached(&sql).ctx("reading request sums")?;
    let rows = st
        .query_map(params![region, codec::bound_to_sql(from), codec::bound_to_sql(to)], |row| {
            Ok(sum_from_row(row))
        })
        .ctx("reading request sums")?;
    rows.map(|r| r.ctx("reading request sums")?).collect()
}

/// Which of `keys` of `region` are marked read.
pub(super) fn done_objects(
    conn: &Connection,
    region: &str,
    keys: &[String],
) -> Result<std::collections::BTreeSet<String>, StoreError> {
    let mut st = conn
        .prepare_cached("SELECT 1 FROM log_objects WHERE key = ?1 AND region = ?2")
        .ctx("reading read objects")?;
    let mut done = std::collections::BTreeSet::new();
    for key in keys {
        if st.exists(params![key, region]).ctx("reading read objects")? {
            done.insert(key.clone());
        }
    }
    Ok(done)
}

/// The all-time rows, ordered by key (their minute is the Unix epoch).
pub(super) fn request_totals(conn: &Connection) -> Result<Vec<RequestSum>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM request_sums WHERE minute = ?1
         ORDER BY region, model_id, model, principal, dimensions"
    );
    let mut st = conn.prepare_cached(&sql).ctx("reading request totals")?;
    let rows = st.query_map(params![ALL_TIME], |row| Ok(sum_from_row(row))).ctx("reading request totals")?;
    rows.map(|r| r.ctx("reading request totals")?).collect()
}

/// Rows with `from <= minute < to` of every region, summed per key without
/// the minute (reported under `from`).
pub(super) fn request_sums(
    conn: &Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<RequestSum>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM request_sums WHERE minute >= ?1 AND minute < ?2");
    let mut st = conn.prepare_cached(&sql).ctx("reading request sums")?;
    let rows = st
        .query_map(params![codec::bound_to_sql(from), codec::bound_to_sql(to)], |row| Ok(sum_from_row(row)))
        .ctx("reading request sums")?;
    let mut sums: BTreeMap<(String, String, Option<String>, String, String), RequestSum> = BTreeMap::new();
    for row in rows {
        let row = row.ctx("reading request sums")??;
        let key = (
            row.region.clone(),
            row.model_id.clone(),
            row.model.clone(),
            row.principal.clone(),
            dimensions_to_sql(&row.dimensions)?,
        );
        match sums.get_mut(&key) {
            Some(sum) => add_sums(sum, &row)?,
            None => {
                sums.insert(key, RequestSum { minute: from, ..row });
            }
        }
    }
    Ok(sums.into_values().collect())
}

#[cfg(test)]
#[path = "requests_tests.rs"]
mod tests;
