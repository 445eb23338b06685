//! Whole-table and per-entry checks of the price file: overlapping effective
//! ranges, models without prices, and cache prices that break the documented
//! ratios without a note saying why. Findings only; nothing is changed.

use rust_decimal::Decimal;

use super::catalog::Catalog;
use super::table::{LongContext, PriceEntry, Prices};
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

/// The documented multipliers of the input price: reads 0.1×, 5-minute
/// writes 1.25×, 1-hour writes 2×. Not every model follows them (Claude 3
/// Haiku's cache prices predate them; Opus 5.5 and Fable 5.1 read cheaper), so
/// a different ratio is a warning unless the entry's `cache_ratio_note` says
/// why. A note on an entry that follows every ratio is stale and would hide the
/// next typo, so it is warned about instead.
pub(super) fn check_cache_ratios(
    prices: &Prices,
    long_context: Option<&LongContext>,
    note: Option<&str>,
    path: &FieldPath,
    findings: &mut Vec<Finding>,
) {
    let mut off = ratio_warnings(prices, &path.key("usd_per_million"));
    if let Some(lc) = long_context {
        off.extend(ratio_warnings(&lc.prices, &path.key("long_context").key("usd_per_million")));
    }
    match note {
        None => findings.extend(off),
        Some(n) if n.trim().is_empty() => findings
            .push(Finding::error(path.key("cache_ratio_note"), "must say why the cache prices differ")),
        Some(_) if off.is_empty() => findings.push(Finding::warning(
            path.key("cache_ratio_note"),
            "every cache price has the documented ratio: remove the note, so that a future typo is warned about",
        )),
        Some(_) => {}
    }
}

fn ratio_warnings(prices: &Prices, path: &FieldPath) -> Vec<Finding> {
    let input = prices.get(TokenType::Input);
    if input.is_zero() {
        return Vec::new();
    }
    let expected = [
        (TokenType::CacheRead, Decimal::new(1, 1)),
        (TokenType::CacheWrite5m, Decimal::new(125, 2)),
        (TokenType::CacheWrite1h, Decimal::new(2, 0)),
    ];
    let mut out = Vec::new();
    for (t, ratio) in expected {
        let Some(&actual) = prices.0.get(&t) else { continue };
        let want = input * ratio;
        if actual != want {
            out.push(Finding::warning(
                path.key(t.as_str()),
                format!(
                    "{} is not {}× the input price {} (expected {}); check the source, \
                     or say why in `cache_ratio_note`",
                    actual.normalize(),
                    ratio.normalize(),
                    input.normalize(),
                    want.normalize()
                ),
            ));
        }
    }
    out
}
