//! Exact cost arithmetic: tokens × USD-per-million ÷ 1,000,000, no rounding.
//!
//! The division by one million is a shift of the decimal scale, so it is exact
//! by construction; multiplication is checked, so an overflow is an error,
//! never a wrong number. Rounding happens only for display (`money.rs`).

use rust_decimal::Decimal;

use super::table::{PriceEntry, Prices};
use super::token::{TokenType, Usage};

/// Tiers and discounts that change the per-token price of a usage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PriceOptions {
    /// Batch inference: the entry's batch discount applies.
    pub batch: bool,
    /// The usage belongs to requests above the model's long-context threshold.
    pub long_context: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostLine {
    pub token_type: TokenType,
    pub tokens: u64,
    pub usd_per_million: Decimal,
    pub usd: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cost {
    pub entry_id: String,
    pub lines: Vec<CostLine>,
    pub total_usd: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CostError {
    #[error("price entry `{0}` has no long-context tier")]
    NoLongContextTier(String),
    #[error("cost of {tokens} {token_type} tokens overflows exact decimal arithmetic")]
    Overflow { token_type: TokenType, tokens: u64 },
}

/// Prices one usage with one entry. Zero-token buckets produce no line.
pub fn cost(entry: &PriceEntry, usage: &Usage, opts: PriceOptions) -> Result<Cost, CostError> {
    let prices = tier_prices(entry, opts)?;
    let mut lines = Vec::new();
    let mut total = Decimal::ZERO;
    for (token_type, tokens) in usage.iter() {
        let overflow = || CostError::Overflow { token_type, tokens };
        let mut rate = prices.get(token_type);
        if opts.batch {
            rate = rate.checked_mul(Decimal::ONE - entry.batch_discount).ok_or_else(overflow)?;
        }
        let usd = tokens_cost(tokens, rate).ok_or_else(overflow)?;
        total = total.checked_add(usd).ok_or_else(overflow)?;
        lines.push(CostLine { token_type, tokens, usd_per_million: rate.normalize(), usd });
    }
    Ok(Cost { entry_id: entry.id.clone(), lines, total_usd: total.normalize() })
}

fn tier_prices(entry: &PriceEntry, opts: PriceOptions) -> Result<&Prices, CostError> {
    if !opts.long_context {
        return Ok(&entry.prices);
    }
    entry
        .long_context
        .as_ref()
        .map(|lc| &lc.prices)
        .ok_or_else(|| CostError::NoLongContextTier(entry.id.clone()))
}

/// `tokens × usd_per_million ÷ 10⁶`, exactly. Works on the integer mantissa so
/// that nothing can round on the way; `None` when the exact result does not fit
/// a `Decimal` (96-bit mantissa, scale ≤ 28), far beyond any real usage.
pub fn tokens_cost(tokens: u64, usd_per_million: Decimal) -> Option<Decimal> {
    let mut mantissa = i128::from(tokens).checked_mul(usd_per_million.mantissa())?;
    let mut scale = usd_per_million.scale() + 6;
    // Trailing zeros carry no information: drop them before giving up on scale.
    while scale > 28 && mantissa % 10 == 0 {
        mantissa /= 10;
        scale -= 1;
    }
    if scale > 28 {
        return None;
    }
    Decimal::try_from_i128_with_scale(mantissa, scale).ok().map(|d| d.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn tokens_cost_table() {
        let cases = [
            (1_200_000u64, "3.30", "3.96"),
            (350_000, "16.50", "5.775"),
            (800_000, "0.33", "0.264"),
            (1, "0.03", "0.00000003"),
            (0, "15", "0"),
            (7, "1.25", "0.00000875"),
            (999_999_999_999, "75", "74999999.999925"),
        ];
        for (tokens, price, want) in cases {
            assert_eq!(tokens_cost(tokens, d(price)).unwrap(), d(want), "{tokens} × {price}");
        }
    }

    #[test]
    fn overflow_is_an_error_not_a_wrong_number() {
        assert_eq!(tokens_cost(u64::MAX, Decimal::MAX), None);
        assert_eq!(tokens_cost(1, d("0.00000000000000000000001")), None);
        // Large but representable: exact, not rounded.
        assert_eq!(
            tokens_cost(u64::MAX, d("0.0000000000000000000001")).unwrap(),
            d("0.0000000018446744073709551615")
        );
    }
}
