//! Money conventions shared by every module: exact parsing of user-written
//! amounts and the one display rounding rule.
//!
//! Money is `Decimal` from the moment it enters until it leaves for
//! Prometheus. Nothing here rounds a stored or computed amount; `display_usd`
//! is for human-facing text only.

use rust_decimal::{Decimal, RoundingStrategy};

/// Parses an amount written in a TOML file: a string (`"3.30"`) or an integer.
/// A TOML float is refused: `3.3` has already lost exactness in the parser.
pub fn parse_toml_decimal(value: &toml::Value) -> Result<Decimal, String> {
    match value {
        toml::Value::String(s) => parse_decimal(s),
        toml::Value::Integer(i) => Ok(Decimal::from(*i)),
        toml::Value::Float(f) => Err(format!("write the amount as a string (\"{f}\") so it stays exact")),
        other => Err(format!("expected a decimal string, found {}", other.type_str())),
    }
}

/// Parses a plain decimal number (`12`, `0.30`, `-1.5`); no exponent, no thousands separators.
pub fn parse_decimal(s: &str) -> Result<Decimal, String> {
    let t = s.trim();
    let plain = !t.is_empty()
        && t.chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+')));
    if !plain {
        return Err(format!("`{s}` is not a plain decimal number"));
    }
    Decimal::from_str_exact(t).map_err(|e| format!("`{s}` is not a valid decimal: {e}"))
}

/// Human display of a USD amount: rounded to the cent, half away from zero
/// (as invoices round), with `<0.01` for a non-zero amount below half a cent
/// so that small spend never reads as nothing.
pub fn display_usd(amount: Decimal) -> String {
    let rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    if rounded.is_zero() && !amount.is_zero() {
        return if amount.is_sign_negative() { ">-0.01".to_string() } else { "<0.01".to_string() };
    }
    format!("{rounded:.2}")
}

/// A price per million tokens as written, without trailing zeros beyond cents.
pub fn display_rate(rate: Decimal) -> String {
    let n = rate.normalize();
    if n.scale() < 2 {
        format!("{n:.2}")
    } else {
        n.to_string()
    }
}

/// Exact decimal text for machine output (JSON, CSV): no exponent, no trailing zeros.
pub fn exact(amount: Decimal) -> String {
    amount.normalize().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn display_rounds_half_away_from_zero_to_cents() {
        let cases = [
            ("9.999", "10.00"),
            ("0.005", "0.01"),
            ("0.0049", "<0.01"),
            ("0", "0.00"),
            ("2.345", "2.35"),
            ("-2.345", "-2.35"),
            ("1500", "1500.00"),
        ];
        for (input, want) in cases {
            assert_eq!(display_usd(d(input)), want, "{input}");
        }
    }

    #[test]
    fn toml_values_parse_exactly_or_are_refused() {
        let ok = [(toml::Value::String("3.30".into()), "3.30"), (toml::Value::Integer(15), "15")];
        for (v, want) in ok {
            assert_eq!(parse_toml_decimal(&v).unwrap(), d(want));
        }
        assert!(parse_toml_decimal(&toml::Value::Float(3.3)).unwrap_err().contains("string"));
        assert!(parse_decimal("1e3").is_err());
        assert!(parse_decimal("1,000").is_err());
        assert!(parse_decimal("").is_err());
    }

    #[test]
    fn exact_and_rate_text() {
        assert_eq!(exact(d("9.9990")), "9.999");
        assert_eq!(display_rate(d("3")), "3.00");
        assert_eq!(display_rate(d("0.3")), "0.30");
        assert_eq!(display_rate(d("4.125")), "4.125");
    }
}
