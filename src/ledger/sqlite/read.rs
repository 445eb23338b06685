//! The read path: watermarks, totals (read from the totals tables, never
//! summed from minute rows) and minute ranges (scans of the by-minute
//! indexes). Must not write.
//!
//! Rows are fetched as raw column tuples, then decoded; a value that does not
//! decode is `StoreError::Corrupt`, kept apart from SQLite errors. SQL orders
//! by the stored text; results are then re-sorted with the records' own
//! `Ord` (token types and metrics sort in enum order, not alphabetically),
//! which is the order the `Store` trait promises. The SQL order is already
//! close, so that sort is cheap.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::codec::{self, Context};
use crate::ledger::StoreError;
use crate::records::{CostLine, CostTotal, MetricPoint, MetricTotal, Source};

pub(super) fn watermark(
    conn: &Connection,
    source: Source,
    region: &str,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let nanos: Option<i64> = conn
        .prepare_cached("SELECT until_ns FROM watermarks WHERE source = ?1 AND region = ?2")
        .and_then(|mut st| st.query_row(params![source.as_str(), region], |r| r.get(0)).optional())
        .ctx("reading watermark")?;
    Ok(nanos.map(codec::instant_from_sql))
}

/// Runs a query and returns its rows as raw tuples.
fn fetch<T>(
    conn: &Connection,
    doing: &str,
    sql: &str,
    args: impl rusqlite::Params,
    raw: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StoreError> {
    let mut st = conn.prepare_cached(sql).ctx(doing)?;
    let rows = st.query_map(args, raw).ctx(doing)?;
    rows.collect::<rusqlite::Result<Vec<T>>>().ctx(doing)
}

pub(super) fn cost_totals(conn: &Connection) -> Result<Vec<CostTotal>, StoreError> {
    let raw = fetch(
        conn,
        "reading cost totals",
        "SELECT region, model_id, model, token_type, tokens, usd FROM cost_totals
         ORDER BY region, model_id, model, token_type",
        [],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get(4)?,
                r.get::<_, String>(5)?,
            ))
        },
    )?;
    let mut totals = raw
        .into_iter()
        .map(|(region, model_id, model, token_type, tokens, usd)| {
            Ok(CostTotal {
                region,
                model_id,
                // '' is the unpriced series (see the schema).
                model: Some(model).filter(|m| !m.is_empty()),
                token_type: codec::token_type_from_sql(&token_type)?,
                tokens: codec::tokens_from_sql(tokens)?,
                usd: codec::usd_from_sql(&usd)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    totals.sort_by(|a, b| {
        (&a.region, &a.model_id, &a.model, a.token_type).cmp(&(
            &b.region,
            &b.model_id,
            &b.model,
            b.token_type,
        ))
    });
    Ok(totals)
}

pub(super) fn metric_totals(conn: &Connection) -> Result<Vec<MetricTotal>, StoreError> {
    let raw = fetch(
        conn,
        "reading metric totals",
        "SELECT region, model_id, metric, sum, count FROM metric_totals ORDER BY region, model_id, metric",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, String>(2)?, r.get(3)?, r.get(4)?)),
    )?;
    let mut totals = raw
        .into_iter()
        .map(|(region, model_id, metric, sum, count)| {
            Ok(MetricTotal { region, model_id, metric: codec::metric_from_sql(&metric)?, sum, count })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    totals.sort_by(|a, b| (&a.region, &a.model_id, a.metric).cmp(&(&b.region, &b.model_id, b.metric)));
    Ok(totals)
}

/// Every region's lines, or with `region` that region key's only.
pub(super) fn cost_lines(
    conn: &Connection,
    region: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<CostLine>, StoreError> {
    let raw = fetch(
        conn,
        "reading cost lines",
        "SELECT region, model_id, minute, token_type, tokens, model, price_entry, usd, reason
         FROM cost_lines WHERE minute >= ?1 AND minute < ?2 AND (?3 IS NULL OR region = ?3)
         ORDER BY minute, region, model_id, token_type",
        params![codec::bound_to_sql(from), codec::bound_to_sql(to), region],
        |r| {
            let key = (r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?, r.get(4)?);
            Ok((key, (r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?)))
        },
    )?;
    let mut lines = raw
        .into_iter()
        .map(|((region, model_id, minute, token_type, tokens), pricing)| {
            Ok(CostLine {
                region,
                model_id,
                minute: codec::minute_from_sql(minute)?,
                token_type: codec::token_type_from_sql(&token_type)?,
                tokens: codec::tokens_from_sql(tokens)?,
                pricing: codec::pricing_from_sql(pricing)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    lines.sort_by(|a, b| {
        (a.minute, &a.region, &a.model_id, a.token_type).cmp(&(
            b.minute,
            &b.region,
            &b.model_id,
            b.token_type,
        ))
    });
    Ok(lines)
}

/// Points of both sources are returned (a `MetricPoint` does not carry its
/// source); for the same key CloudWatch's comes before CloudTrail's.
pub(super) fn metric_points(
    conn: &Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<MetricPoint>, StoreError> {
    let raw = fetch(
        conn,
        "reading metric points",
        "SELECT source, region, model_id, metric, minute, sum, count
         FROM metric_points WHERE minute >= ?1 AND minute < ?2
         ORDER BY minute, region, model_id, metric",
        params![codec::bound_to_sql(from), codec::bound_to_sql(to)],
        |r| {
            let key = (r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?, r.get(4)?);
            Ok((key, r.get(5)?, r.get(6)?))
        },
    )?;
    let points = raw
        .into_iter()
        .map(|((source, region, model_id, metric, minute), sum, count)| {
            let point = MetricPoint {
                region,
                model_id,
                metric: codec::metric_from_sql(&metric)?,
                minute: codec::minute_from_sql(minute)?,
                sum,
                count,
            };
            Ok((codec::source_from_sql(&source)?, point))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(crate::ledger::order::points_in_order(points))
}
