//! What a minute's CloudWatch sums cannot say, priced as a range instead of
//! guessed: which requests were above a model's long-context threshold, and
//! which cache-write TTL the writes used.
//!
//! The ledger prices a minute at the standard rate and the configured TTL;
//! this gives, for the same minute, the most the long-context tier could add
//! (an upper bound: every token of a minute whose prompt could exceed the
//! threshold priced at the tier), whether some request certainly was long
//! (the average prompt per invocation is above the threshold), and how much
//! cheaper or dearer the other TTL would make the writes.
//!
//! Pure: no I/O, no clock, no floats.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::cost::{cost, PriceOptions};
use super::pricer::{PriceOutcome, Pricer};
use super::token::{TokenType, Usage};

/// The uncertainty of one minute (or a sum of minutes), in exact USD.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bounds {
    /// The most the long-context tier could add to the ledger's cost.
    pub long_context_max_extra_usd: Decimal,
    /// Minutes where some request certainly was above the threshold.
    pub long_context_certain_minutes: u64,
    /// The cache-write TTL not configured would change the cost by at least
    /// this (≤ 0) …
    pub cache_ttl_low_usd: Decimal,
    /// … and at most this (≥ 0).
    pub cache_ttl_high_usd: Decimal,
}

impl Bounds {
    /// Sums; amounts far beyond any bill saturate rather than wrap.
    pub fn add(&mut self, other: &Bounds) {
        self.long_context_max_extra_usd =
            self.long_context_max_extra_usd.saturating_add(other.long_context_max_extra_usd);
        self.long_context_certain_minutes =
            self.long_context_certain_minutes.saturating_add(other.long_context_certain_minutes);
        self.cache_ttl_low_usd = self.cache_ttl_low_usd.saturating_add(other.cache_ttl_low_usd);
        self.cache_ttl_high_usd = self.cache_ttl_high_usd.saturating_add(other.cache_ttl_high_usd);
    }
}

/// The bounds of one minute of `model_id` in `region`: `usage` as the ledger
/// priced it (cache writes under the configured TTL's token type) and the
/// minute's invocations. Unpriced usage has no bounds (`None`).
pub fn minute_bounds(
    pricer: &Pricer<'_>,
    model_id: &str,
    region: &str,
    at: DateTime<Utc>,
    usage: &Usage,
    invocations: Option<u64>,
) -> Option<Bounds> {
    let PriceOutcome::Priced(priced) =
        pricer.price(model_id, region, at, usage, PriceOptions::default()).ok()?
    else {
        return None;
    };
    let entry = priced.entry;
    let mut b = Bounds::default();
    if let Some(lc) = &entry.long_context {
        let prompt =
            [TokenType::Input, TokenType::CacheRead, TokenType::CacheWrite5m, TokenType::CacheWrite1h]
                .into_iter()
                .map(|t| usage.get(t))
                .fold(0u64, u64::saturating_add);
        if prompt > lc.above_prompt_tokens {
            let long =
                cost(entry, usage, PriceOptions { long_context: true, ..PriceOptions::default() }).ok()?;
            b.long_context_max_extra_usd =
                long.total_usd.saturating_sub(priced.cost.total_usd).max(Decimal::ZERO);
            let certain = invocations
                .filter(|n| *n > 0)
                .is_some_and(|n| prompt > lc.above_prompt_tokens.saturating_mul(n));
            b.long_context_certain_minutes = u64::from(certain);
        }
    }
    let (used, other) = match (usage.get(TokenType::CacheWrite5m), usage.get(TokenType::CacheWrite1h)) {
        (w, 0) if w > 0 => ((TokenType::CacheWrite5m, w), TokenType::CacheWrite1h),
        (0, w) if w > 0 => ((TokenType::CacheWrite1h, w), TokenType::CacheWrite5m),
        _ => return Some(b),
    };
    let at_rate = |t: TokenType| cost(entry, &Usage::new().with(t, used.1), PriceOptions::default()).ok();
    let delta = at_rate(other)?.total_usd.saturating_sub(at_rate(used.0)?.total_usd);
    b.cache_ttl_low_usd = delta.min(Decimal::ZERO);
    b.cache_ttl_high_usd = delta.max(Decimal::ZERO);
    Some(b)
}

#[cfg(test)]
#[path = "bounds_tests.rs"]
mod tests;
