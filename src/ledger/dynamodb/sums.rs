//! Window sums for budgets, exactly: whole UTC days from the daily rollups,
//! the whole hours at either edge from the hourly rollups, and the minutes
//! of a partial first or last hour from the minute rows (the split is
//! `ledger::window`'s, shared with SQLite). A month costs about 31 rollup
//! items per model ID plus at most two hours of minute rows, not 44,640
//! minutes. Each region is read only within the minutes its totals have seen.
//!
//! Read-only; sums are exact `Decimal` additions.

use crate::ledger::order::merge_shares;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::aggregate::Aggregate;
use super::attrs::{self, Item};
use super::db::Range;
use super::keys::{self, Kind};
use super::read::{self, Stored};
use super::rows::{self, RowId};
use super::{minutes, trail, Ctx};
use crate::ledger::encoding::minute_at;
use crate::ledger::window::{split, split_days, DAY};
use crate::ledger::StoreError;
use crate::records::{CostTotal, PrincipalTotal};

/// What a window sum reads: minute rows and rollup aggregates.
#[derive(Default)]
struct Parts {
    rows: Vec<(RowId, Item)>,
    rollups: Vec<Stored>,
}

async fn parts(ctx: &Ctx, kind: Kind, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Parts, StoreError> {
    let totals = read::totals(ctx, kind, None).await?;
    let mut parts = Parts::default();
    for (region, (a, b)) in read::extents(&totals, read::minutes_of(from, to), DAY) {
        let s = split(minute_at(a)?, minute_at(b)?);
        for span in s.minutes {
            parts
                .rows
                .extend(rows::scan(ctx, kind, &region, span, "reading minutes for a window sum").await?);
        }
        let Some(hours) = s.hours else { continue };
        let h = split_days(hours);
        let mut ranges: Vec<(String, String)> =
            h.hours.iter().map(|(x, y)| (keys::hour_bound(*x), keys::hour_bound(*y))).collect();
        ranges.extend(h.days.map(|(x, y)| (keys::day_bound(x), keys::day_bound(y))));
        for (lo, hi) in ranges {
            let pk = keys::rollup_pk(kind, &region);
            for item in ctx.db.query(&pk, &Range::Between(lo, hi), "reading rollups for a window sum").await?
            {
                let model_id = keys::parse_rollup_sk(attrs::get_s(&item, attrs::SK, "rollup")?)?;
                parts.rollups.push((region.clone(), model_id, Aggregate::decode(kind, &item)?));
            }
        }
    }
    Ok(parts)
}

fn overflow() -> StoreError {
    StoreError::Backend("sum overflows exact decimal arithmetic".into())
}

use crate::ledger::order::CostKey;

fn add_cost(acc: &mut BTreeMap<CostKey, (u64, Decimal)>, t: CostTotal) -> Result<(), StoreError> {
    let slot = acc.entry((t.region, t.model_id, t.model, t.token_type)).or_default();
    slot.0 = slot.0.checked_add(t.tokens).ok_or_else(overflow)?;
    slot.1 = slot.1.checked_add(t.usd).ok_or_else(overflow)?;
    Ok(())
}

pub(super) async fn cost_sums(
    ctx: &Ctx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<CostTotal>, StoreError> {
    let parts = parts(ctx, Kind::Lines, from, to).await?;
    let mut acc = BTreeMap::new();
    for (id, item) in &parts.rows {
        for line in minutes::line_records(id, item)? {
            let (model, usd) = match line.pricing {
                crate::records::LinePricing::Priced { model, usd, .. } => (Some(model), usd),
                crate::records::LinePricing::Unpriced { .. } => (None, Decimal::ZERO),
            };
            let total = CostTotal {
                region: line.region,
                model_id: line.model_id,
                model,
                token_type: line.token_type,
                tokens: line.tokens,
                usd,
            };
            add_cost(&mut acc, total)?;
        }
    }
    for (region, model_id, agg) in &parts.rollups {
        for (name, s) in &agg.series {
            add_cost(&mut acc, read::cost_total(region, model_id, name, s)?)?;
        }
    }
    Ok(crate::ledger::order::cost_totals_of(acc))
}

pub(super) async fn principal_sums(
    ctx: &Ctx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<PrincipalTotal>, StoreError> {
    let parts = parts(ctx, Kind::Shares, from, to).await?;
    let mut all = Vec::new();
    for (id, item) in &parts.rows {
        all.extend(trail::share_records(id, item)?);
    }
    for (region, model_id, agg) in &parts.rollups {
        for (name, s) in &agg.series {
            all.push(read::share_total(region, model_id, name, s)?);
        }
    }
    merge_shares(all)
}
