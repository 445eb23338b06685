//! Whole-table checks of the price file: overlapping effective ranges,
//! models without prices, and cache prices that break the usual ratios.

use rust_decimal::Decimal;

use super::catalog::Catalog;
use super::table::{PriceEntry, Prices};
use super::token::TokenType;
use crate::diag::{FieldPath, Finding};

/// Two entries for the same model, tier, scope and region may not be in force
/// at once: the lookup would have to guess. Identical starts are reported as
/// duplicates. Entries of different tiers never compete, so they may overlap.
pub(super) fn check_overlaps(entries: &[(usize, PriceEntry)], findings: &mut Vec<Finding>) {
    for (a_pos, (a_idx, a)) in entries.iter().enumerate() {
        for (b_idx, b) in entries[a_pos + 1..].iter().map(|(i, e)| (*i, e)) {
            if a.model != b.model || a.tier != b.tier || a.scope != b.scope || a.region != b.region {
                continue;
            }
            let path = FieldPath::root().key("price").index(b_idx).key("from");
            if a.from == b.from {
                findings.push(Finding::error(
                    path,
                    format!(
                        "duplicate entry: price[{a_idx}] already prices `{}` ({}) from {}",
                        a.model,
                        a.label(),
                        a.from.date_naive()
                    ),
                ));
            } else if overlaps(a, b) {
                findings.push(Finding::error(
                    path,
                    format!(
                        "effective range overlaps price[{a_idx}] ({}); close the earlier one with `until`",
                        range_text(a)
                    ),
                ));
            }
        }
    }
}

fn overlaps(a: &PriceEntry, b: &PriceEntry) -> bool {
    let a_before_b_ends = b.until.is_none_or(|u| a.from < u);
    let b_before_a_ends = a.until.is_none_or(|u| b.from < u);
    a_before_b_ends && b_before_a_ends
}

fn range_text(e: &PriceEntry) -> String {
    match e.until {
        Some(u) => format!("{} until {}", e.from.to_rfc3339(), u.to_rfc3339()),
        None => format!("from {}, open-ended", e.from.to_rfc3339()),
    }
}

/// A model nobody priced resolves but can never be priced: say so at load time.
pub(super) fn check_coverage(
    catalog: &Catalog,
    entries: &[(usize, PriceEntry)],
    findings: &mut Vec<Finding>,
) {
    for (i, m) in catalog.models().iter().enumerate() {
        if !entries.iter().any(|(_, e)| e.model == m.key) {
            findings.push(Finding::warning(
                FieldPath::root().key("model").index(i).key("key"),
                format!("model `{}` has no price entry: its usage will be unpriced", m.key),
            ));
        }
    }
}

/// Anthropic prices cache reads at 0.1×, 5-minute writes at 1.25× and 1-hour
/// writes at 2× the input price; a different ratio is usually a typo.
pub(super) fn warn_cache_ratios(prices: &Prices, path: &FieldPath, findings: &mut Vec<Finding>) {
    let input = prices.get(TokenType::Input);
    if input.is_zero() {
        return;
    }
    let expected = [
        (TokenType::CacheRead, Decimal::new(1, 1)),
        (TokenType::CacheWrite5m, Decimal::new(125, 2)),
        (TokenType::CacheWrite1h, Decimal::new(2, 0)),
    ];
    for (t, ratio) in expected {
        let Some(&actual) = prices.0.get(&t) else { continue };
        let want = input * ratio;
        if actual != want {
            findings.push(Finding::warning(
                path.key(t.as_str()),
                format!(
                    "{} is not {}× the input price {} (expected {}); check the source",
                    actual.normalize(),
                    ratio.normalize(),
                    input.normalize(),
                    want.normalize()
                ),
            ));
        }
    }
}
