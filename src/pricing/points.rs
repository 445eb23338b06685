//! Pricing CloudWatch token points into cost lines, with the configured
//! application profiles and cache-write TTLs: the hand-over from sources to
//! the ledger. Pure: resolution and prices come from the table.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{PriceOptions, PriceOutcome, PriceTable, Pricer, Resolution, TokenType, Usage};
use crate::config::{CacheTtl, Loaded};
use crate::records::{CostLine, LinePricing, MetricPoint};

/// Prices token points with the table, the configured application profiles
/// and the configured cache-write TTLs.
pub struct PointPricer {
    pub table: PriceTable,
    pub app_profiles: BTreeMap<String, String>,
    pub cache_write_ttl: CacheTtl,
    pub cache_write_ttl_by_model: BTreeMap<String, CacheTtl>,
}

impl PointPricer {
    /// The pricer a loaded configuration describes: its price table,
    /// application profiles and cache-write TTLs.
    pub fn from_config(loaded: &Loaded) -> Self {
        let pricing = &loaded.config.pricing;
        PointPricer {
            table: loaded.prices.clone(),
            app_profiles: pricing.application_profiles.clone(),
            cache_write_ttl: pricing.cache_write_ttl,
            cache_write_ttl_by_model: pricing.cache_write_ttl_by_model.clone(),
        }
    }

    pub fn pricer(&self) -> Pricer<'_> {
        Pricer::new(&self.table, &self.app_profiles)
    }

    /// One line per token point; other metrics produce none. Each model ID
    /// is resolved once per call, however many points it has.
    pub fn lines(&self, points: &[MetricPoint]) -> Vec<CostLine> {
        let pricer = self.pricer();
        let mut resolved: BTreeMap<&str, Resolution> = BTreeMap::new();
        points
            .iter()
            .filter_map(|p| {
                let base = p.metric.token_type()?;
                let tokens = whole_tokens(p.sum)?;
                let resolution =
                    resolved.entry(p.model_id.as_str()).or_insert_with(|| pricer.resolve(&p.model_id));
                let token_type = self.token_type_of(resolution, base);
                Some(self.line(&pricer, p, resolution.clone(), token_type, tokens))
            })
            .collect()
    }

    fn line(
        &self,
        pricer: &Pricer<'_>,
        p: &MetricPoint,
        resolution: Resolution,
        token_type: TokenType,
        tokens: u64,
    ) -> CostLine {
        let line = CostLine {
            region: p.region.clone(),
            model_id: p.model_id.clone(),
            minute: p.minute,
            token_type,
            tokens,
            pricing: LinePricing::Unpriced { reason: String::new() },
        };
        CostLine { pricing: pricing_of(pricer, &line, resolution), ..line }
    }

    /// What each line's tokens cost with this table at the line's minute,
    /// as a collection run would price them now. The token type is kept:
    /// it is part of the line's key, and a cache write stays under the TTL
    /// it was counted with. Each model ID is resolved once.
    pub fn reprice(&self, lines: &[CostLine]) -> Vec<LinePricing> {
        let pricer = self.pricer();
        let mut resolved: BTreeMap<&str, Resolution> = BTreeMap::new();
        lines
            .iter()
            .map(|l| {
                let resolution =
                    resolved.entry(l.model_id.as_str()).or_insert_with(|| pricer.resolve(&l.model_id));
                pricing_of(&pricer, l, resolution.clone())
            })
            .collect()
    }

    /// Cache writes are one CloudWatch bucket; the configured TTL decides the rate.
    pub(crate) fn token_type(&self, pricer: &Pricer<'_>, model_id: &str, base: TokenType) -> TokenType {
        if base != TokenType::CacheWrite5m {
            return base;
        }
        self.token_type_of(&pricer.resolve(model_id), base)
    }

    pub(super) fn token_type_of(&self, resolution: &Resolution, base: TokenType) -> TokenType {
        if base != TokenType::CacheWrite5m {
            return base;
        }
        let ttl = match resolution {
            Resolution::Resolved(r) => self.cache_write_ttl_by_model.get(&r.model).copied(),
            Resolution::Unpriced { .. } => None,
        }
        .unwrap_or(self.cache_write_ttl);
        match ttl {
            CacheTtl::FiveMinutes => TokenType::CacheWrite5m,
            CacheTtl::OneHour => TokenType::CacheWrite1h,
        }
    }

    /// The model key a model ID resolves to, for labels.
    pub fn model_of(&self, model_id: &str) -> Option<String> {
        match self.pricer().resolve(model_id) {
            Resolution::Resolved(r) => Some(r.model),
            Resolution::Unpriced { .. } => None,
        }
    }

    /// Whether `model_id` can be priced at `at` (used to report unpriced IDs).
    pub fn is_priced(&self, model_id: &str, region: &str, at: DateTime<Utc>) -> bool {
        let usage = Usage::new().with(TokenType::Input, 1);
        matches!(
            self.pricer().price(model_id, region, at, &usage, PriceOptions::default()),
            Ok(PriceOutcome::Priced(_))
        )
    }
}

/// The pricing of `line`'s tokens of its type at its minute and region.
fn pricing_of(pricer: &Pricer<'_>, line: &CostLine, resolution: Resolution) -> LinePricing {
    let usage = Usage::new().with(line.token_type, line.tokens);
    let outcome = pricer.price_resolved(
        &line.model_id,
        resolution,
        &line.region,
        line.minute,
        &usage,
        PriceOptions::default(),
    );
    match outcome {
        Ok(PriceOutcome::Priced(priced)) => LinePricing::Priced {
            model: priced.resolved.model,
            price_entry: priced.entry.id.clone(),
            usd: priced.cost.total_usd,
        },
        Ok(PriceOutcome::Unpriced { reason, .. }) => LinePricing::Unpriced { reason: reason.to_string() },
        Err(e) => LinePricing::Unpriced { reason: e.to_string() },
    }
}

/// CloudWatch sums of token counts are whole numbers carried in an f64 (exact
/// below 2⁵³). Anything else is not a token count and is skipped, not guessed.
pub(crate) fn whole_tokens(sum: f64) -> Option<u64> {
    const EXACT_LIMIT: f64 = 9_007_199_254_740_992.0;
    if !sum.is_finite() || !(0.0..=EXACT_LIMIT).contains(&sum) || sum.fract() != 0.0 {
        return None;
    }
    // Checked above: a non-negative whole number below 2⁵³ converts exactly.
    Some(sum as u64)
}

#[cfg(test)]
mod tests {
    use super::whole_tokens;

    #[test]
    fn whole_tokens_table() {
        let cases = [
            (0.0, Some(0)),
            (1200.0, Some(1200)),
            (-1.0, None),
            (1.5, None),
            (f64::NAN, None),
            (1e300, None),
        ];
        for (input, want) in cases {
            assert_eq!(whole_tokens(input), want, "{input}");
        }
    }
}
