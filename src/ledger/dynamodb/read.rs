//! Reads: all-time totals (one Query of the `T` partition per kind), minute
//! ranges (the hour partitions of each region, only between the first and
//! last minute its totals have seen, so a wide range does not probe years of
//! empty partitions), and aggregate series turned back into records.
//!
//! Results are sorted with the records' own order (token types and metrics
//! in enum order), the order the `Store` trait promises. Must not write.

use chrono::{DateTime, Utc};

use super::aggregate::{self, Aggregate, Series};
use super::attrs::{self, Item};
use super::db::Range;
use super::keys::{self, decompose, Kind, TOTALS_PK};
use super::rows::{self, RowId};
use super::{minutes, trail, Ctx};
use crate::ledger::encoding::{self, bound_secs};
use crate::ledger::StoreError;
use crate::records::{CallCount, CallTotal, CostLine, CostTotal, MetricPoint, MetricTotal, PrincipalTotal};

/// One aggregate as read: region, model ID and its series.
pub(super) type Stored = (String, String, Aggregate);

/// The all-time totals of a kind, of every region or one.
pub(super) async fn totals(ctx: &Ctx, kind: Kind, region: Option<&str>) -> Result<Vec<Stored>, StoreError> {
    let range = Range::Prefix(keys::totals_prefix(kind, region));
    let items = ctx.db.query(TOTALS_PK, &range, "reading totals").await?;
    items
        .iter()
        .map(|item| {
            let (region, model_id) = keys::parse_total_sk(kind, attrs::get_s(item, attrs::SK, "total")?)?;
            Ok((region, model_id, Aggregate::decode(kind, item)?))
        })
        .collect()
}

/// Whole minutes `[ceil(from), ceil(to))`: rows are minutes, so the bounds stay exact.
pub(super) fn minutes_of(from: DateTime<Utc>, to: DateTime<Utc>) -> (i64, i64) {
    let ceil = |at| (bound_secs(at) + 59).div_euclid(60) * 60;
    (ceil(from), ceil(to))
}

/// Per region, the minutes its totals have seen (`[first, last + 1 minute)`,
/// widened to whole multiples of `align` seconds), within `[from, to)`.
/// Nothing outside can hold a row; sums align on days so that clamping does
/// not cut a whole day into hours.
pub(super) fn extents(totals: &[Stored], (from, to): (i64, i64), align: i64) -> Vec<(String, (i64, i64))> {
    let mut by_region: std::collections::BTreeMap<&str, (i64, i64)> = std::collections::BTreeMap::new();
    for (region, _, agg) in totals {
        if let Some((f, z)) = agg.bounds {
            let e = by_region.entry(region).or_insert((f, z));
            *e = (e.0.min(f), e.1.max(z));
        }
    }
    by_region
        .into_iter()
        .map(|(r, (f, z))| {
            (
                r.to_string(),
                (from.max(f.div_euclid(align) * align), to.min((z.div_euclid(align) + 1) * align)),
            )
        })
        .filter(|(_, (a, b))| a < b)
        .collect()
}

/// Every row of `kind` with `from <= minute < to`, of every region or one.
async fn rows_in(
    ctx: &Ctx,
    kind: Kind,
    region: Option<&str>,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> Result<Vec<(RowId, Item)>, StoreError> {
    let totals = totals(ctx, kind, region).await?;
    let mut found = Vec::new();
    for (region, span) in extents(&totals, minutes_of(from, to), 60) {
        found.extend(rows::scan(ctx, kind, &region, span, "reading a minute range").await?);
    }
    Ok(found)
}

/// Every region's lines, or with `region` that region key's only.
pub(super) async fn cost_lines(
    ctx: &Ctx,
    region: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<CostLine>, StoreError> {
    let mut lines = Vec::new();
    for (id, item) in rows_in(ctx, Kind::Lines, region, (from, to)).await? {
        lines.extend(minutes::line_records(&id, &item)?);
    }
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

/// Points of every source; for the same key CloudWatch's come before CloudTrail's.
pub(super) async fn metric_points(
    ctx: &Ctx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<MetricPoint>, StoreError> {
    let mut points = Vec::new();
    for (id, item) in rows_in(ctx, Kind::Points, None, (from, to)).await? {
        points.extend(minutes::point_records(&id, &item)?);
    }
    Ok(crate::ledger::order::points_in_order(points))
}

pub(super) async fn call_counts(
    ctx: &Ctx,
    region: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<CallCount>, StoreError> {
    let mut calls = Vec::new();
    for (id, item) in rows_in(ctx, Kind::Calls, Some(region), (from, to)).await? {
        calls.extend(trail::call_records(&id, &item)?);
    }
    calls.sort();
    Ok(calls)
}

/// A cost series (`model#token type`, empty model: unpriced) as a total.
pub(super) fn cost_total(
    region: &str,
    model_id: &str,
    name: &str,
    s: &Series,
) -> Result<CostTotal, StoreError> {
    let mut parts = decompose(name, 2)?;
    let token_type = encoding::token_type(&parts.pop().unwrap_or_default())?;
    let model = parts.pop().filter(|m| !m.is_empty());
    let (tokens, usd) = match s.amounts.as_slice() {
        [t, u] => (aggregate::count(t)?, aggregate::exact(u)?),
        _ => return Err(encoding::corrupt("cost total", format!("`{name}` has {} fields", s.amounts.len()))),
    };
    Ok(CostTotal { region: region.into(), model_id: model_id.into(), model, token_type, tokens, usd })
}

/// A share series (`model#principal#attribution`) as a total.
pub(super) fn share_total(
    region: &str,
    model_id: &str,
    name: &str,
    s: &Series,
) -> Result<PrincipalTotal, StoreError> {
    let (model, principal, attribution) = trail::share_key(name)?;
    let usd = s.amounts.first().map(aggregate::exact).transpose()?.unwrap_or_default();
    Ok(PrincipalTotal {
        region: region.into(),
        model_id: model_id.into(),
        model,
        principal,
        attribution,
        usd,
    })
}

pub(super) async fn cost_totals(ctx: &Ctx) -> Result<Vec<CostTotal>, StoreError> {
    let mut out = Vec::new();
    for (region, model_id, agg) in totals(ctx, Kind::Lines, None).await? {
        for (name, s) in &agg.series {
            out.push(cost_total(&region, &model_id, name, s)?);
        }
    }
    out.sort_by(|a, b| {
        (&a.region, &a.model_id, &a.model, a.token_type).cmp(&(
            &b.region,
            &b.model_id,
            &b.model,
            b.token_type,
        ))
    });
    Ok(out)
}

pub(super) async fn metric_totals(ctx: &Ctx) -> Result<Vec<MetricTotal>, StoreError> {
    let mut out = Vec::new();
    for (region, model_id, agg) in totals(ctx, Kind::Points, None).await? {
        for (name, s) in &agg.series {
            let (sum, count) = match s.amounts.as_slice() {
                [a, b] => (aggregate::real(a)?, aggregate::real(b)?),
                _ => return Err(encoding::corrupt("metric total", format!("`{name}` is malformed"))),
            };
            let metric = encoding::metric(name)?;
            out.push(MetricTotal { region: region.clone(), model_id: model_id.clone(), metric, sum, count });
        }
    }
    out.sort_by(|a, b| (&a.region, &a.model_id, a.metric).cmp(&(&b.region, &b.model_id, b.metric)));
    Ok(out)
}

pub(super) async fn call_totals(ctx: &Ctx) -> Result<Vec<CallTotal>, StoreError> {
    let mut out = Vec::new();
    for (region, model_id, agg) in totals(ctx, Kind::Calls, None).await? {
        for (name, s) in &agg.series {
            let (principal, error_code) = trail::call_key(name)?;
            let calls = s.amounts.first().map(aggregate::count).transpose()?.unwrap_or_default();
            out.push(CallTotal {
                region: region.clone(),
                model_id: model_id.clone(),
                principal,
                error_code,
                calls,
            });
        }
    }
    out.sort();
    Ok(out)
}

pub(super) async fn principal_totals(ctx: &Ctx) -> Result<Vec<PrincipalTotal>, StoreError> {
    let mut out = Vec::new();
    for (region, model_id, agg) in totals(ctx, Kind::Shares, None).await? {
        for (name, s) in &agg.series {
            out.push(share_total(&region, &model_id, name, s)?);
        }
    }
    out.sort();
    Ok(out)
}
