//! The orders and merges the `Store` trait promises, written once so every
//! store returns the same thing for the same data: metric points in (minute,
//! region, model ID, metric, source) order, and attributed shares summed per
//! key exactly.
//!
//! Pure; must not know any storage format.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::StoreError;
use crate::pricing::TokenType;
use crate::records::{CostTotal, MetricPoint, PrincipalTotal, Source};

/// (region, model ID, model or `None` if unpriced, token type).
pub(crate) type CostKey = (String, String, Option<String>, TokenType);

/// Summed tokens and usd per cost series as `CostTotal`s, in the trait's order.
pub(crate) fn cost_totals_of(acc: BTreeMap<CostKey, (u64, Decimal)>) -> Vec<CostTotal> {
    acc.into_iter()
        .map(|((region, model_id, model, token_type), (tokens, usd))| CostTotal {
            region,
            model_id,
            model,
            token_type,
            tokens,
            usd,
        })
        .collect()
}

/// Points of both sources in the trait's order; for the same key
/// CloudWatch's before CloudTrail's (a `MetricPoint` does not carry its source).
pub(crate) fn points_in_order(mut points: Vec<(Source, MetricPoint)>) -> Vec<MetricPoint> {
    points.sort_by(|(sa, a), (sb, b)| {
        (a.minute, &a.region, &a.model_id, a.metric, sa).cmp(&(
            b.minute,
            &b.region,
            &b.model_id,
            b.metric,
            sb,
        ))
    });
    points.into_iter().map(|(_, p)| p).collect()
}

/// Sums shares with the same key (everything but `usd`), exactly, in key order.
pub(crate) fn merge_shares(rows: Vec<PrincipalTotal>) -> Result<Vec<PrincipalTotal>, StoreError> {
    let mut acc: BTreeMap<PrincipalTotal, Decimal> = BTreeMap::new();
    for mut row in rows {
        let usd = std::mem::take(&mut row.usd);
        let slot = acc.entry(row).or_default();
        *slot = slot
            .checked_add(usd)
            .ok_or_else(|| StoreError::Backend("sum overflows exact decimal arithmetic".into()))?;
    }
    Ok(acc
        .into_iter()
        .map(|(mut row, usd)| {
            row.usd = usd;
            row
        })
        .collect())
}
