//! Price-table drift: the rate a bill line implies (cost ÷ quantity) against
//! the table's rate in force that day for the same model, endpoint, tier,
//! region and token bucket — the early warning that the table is stale.
//!
//! Cost Explorer does not document the unit of Bedrock token quantities
//! (tokens, thousands or millions appear, and the `Unit` is often `N/A`), so
//! a unit that names thousands or millions is taken at its word and
//! otherwise the power of 1,000 that brings the billed rate nearest the
//! table's is used; a rate off by less than a factor of ~30 is still told
//! apart, which is every price correction seen in practice. Pure.

use chrono::{NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;

use super::drift::Key;
use crate::config::CacheTtl;
use crate::pricing::{Endpoint, PointPricer, ServiceTier, TokenType};
use crate::records::BillLine;
use crate::sources::cost_explorer::usage_type::{BilledEndpoint, BilledTokens, UsageType};

/// The table and the tolerance a billed rate is checked against.
pub struct RateInputs<'a> {
    pub pricer: &'a PointPricer,
    /// A rate further than this share from the table's is stale.
    pub tolerance: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateCheck {
    pub key: Key,
    pub usage_type: String,
    /// USD per million tokens, as billed.
    pub billed_per_million: Decimal,
    /// USD per million tokens of the entry in force.
    pub table_per_million: Decimal,
    pub entry: String,
    /// Tokens per billed unit (1, 1,000 or 1,000,000).
    pub unit_tokens: Decimal,
    pub stale: bool,
}

impl RateCheck {
    /// Billed ÷ table − 1.
    pub fn ratio(&self) -> Decimal {
        if self.table_per_million.is_zero() {
            return Decimal::ZERO;
        }
        (self.billed_per_million / self.table_per_million - Decimal::ONE).round_dp(6)
    }
}

pub(super) fn rate_checks(
    day: NaiveDate,
    mapped: &[(Key, &BillLine, UsageType)],
    inputs: &RateInputs<'_>,
) -> Vec<RateCheck> {
    mapped.iter().filter_map(|(key, line, parsed)| check(day, key, line, parsed, inputs)).collect()
}

fn check(
    day: NaiveDate,
    key: &Key,
    line: &BillLine,
    parsed: &UsageType,
    inputs: &RateInputs<'_>,
) -> Option<RateCheck> {
    if line.quantity <= Decimal::ZERO || line.usd <= Decimal::ZERO {
        return None;
    }
    let endpoint = match parsed.endpoint {
        BilledEndpoint::Global => Endpoint::Global,
        BilledEndpoint::Geographic => Endpoint::Geo("geo".into()),
        BilledEndpoint::InRegion => Endpoint::InRegion,
    };
    let tier = parsed.tier.as_deref().map_or(Ok(ServiceTier::Standard), ServiceTier::parse).ok()?;
    let at = Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0)?);
    let entry = inputs.pricer.table.lookup(&key.model, &endpoint, &tier, &key.region, at).ok()?;
    let token_type = token_type(parsed.tokens?, &key.model, inputs.pricer);
    let table = entry.prices.get(token_type);
    if table.is_zero() {
        return None;
    }
    let per_unit = line.usd / line.quantity;
    let unit_tokens = unit_tokens(&line.unit).unwrap_or_else(|| nearest_scale(per_unit, table));
    let billed = (per_unit * Decimal::from(1_000_000) / unit_tokens).round_dp(6);
    let ratio = (billed / table - Decimal::ONE).abs();
    Some(RateCheck {
        key: key.clone(),
        usage_type: line.usage_type.clone(),
        billed_per_million: billed,
        table_per_million: table,
        entry: entry.id.clone(),
        unit_tokens,
        stale: ratio > inputs.tolerance,
    })
}

fn token_type(tokens: BilledTokens, model: &str, pricer: &PointPricer) -> TokenType {
    match tokens {
        BilledTokens::Input => TokenType::Input,
        BilledTokens::Output => TokenType::Output,
        BilledTokens::CacheRead => TokenType::CacheRead,
        BilledTokens::CacheWrite { one_hour: Some(true) } => TokenType::CacheWrite1h,
        BilledTokens::CacheWrite { one_hour: Some(false) } => TokenType::CacheWrite5m,
        BilledTokens::CacheWrite { one_hour: None } => {
            match pricer.cache_write_ttl_by_model.get(model).copied().unwrap_or(pricer.cache_write_ttl) {
                CacheTtl::FiveMinutes => TokenType::CacheWrite5m,
                CacheTtl::OneHour => TokenType::CacheWrite1h,
            }
        }
    }
}

/// Tokens per unit when the unit says so.
fn unit_tokens(unit: &str) -> Option<Decimal> {
    let u = unit.to_ascii_lowercase().replace([' ', '-', '_'], "");
    if u.contains("1m") || u.contains("million") {
        Some(Decimal::from(1_000_000))
    } else if u.contains("1k") || u.contains("thousand") {
        Some(Decimal::from(1_000))
    } else if u == "tokens" || u == "token" {
        Some(Decimal::ONE)
    } else {
        None
    }
}

/// Of 1, 1,000 and 1,000,000 tokens per unit, the one whose rate per
/// million is nearest (by factor) to the table's.
fn nearest_scale(per_unit: Decimal, table_per_million: Decimal) -> Decimal {
    let million = Decimal::from(1_000_000);
    [Decimal::ONE, Decimal::from(1_000), million]
        .into_iter()
        .min_by_key(|scale| {
            let r = per_unit * million / scale / table_per_million;
            if r.is_zero() {
                Decimal::MAX
            } else if r >= Decimal::ONE {
                r
            } else {
                Decimal::ONE / r
            }
        })
        .unwrap_or(Decimal::ONE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_that_name_their_scale_are_taken_at_their_word() {
        let cases = [
            ("1K tokens", Some(1_000)),
            ("1M Tokens", Some(1_000_000)),
            ("Tokens", Some(1)),
            ("N/A", None),
            ("Units", None),
        ];
        for (unit, want) in cases {
            assert_eq!(unit_tokens(unit), want.map(Decimal::from), "{unit}");
        }
    }

    #[test]
    fn otherwise_the_nearest_power_of_a_thousand() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        // $3 per million: per token 0.000003, per thousand 0.003, per million 3.
        assert_eq!(nearest_scale(d("0.000003"), d("3")), Decimal::ONE);
        assert_eq!(nearest_scale(d("0.0033"), d("3")), Decimal::from(1_000));
        assert_eq!(nearest_scale(d("2.5"), d("3")), Decimal::from(1_000_000));
    }
}
