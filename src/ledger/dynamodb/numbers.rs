//! DynamoDB numbers (`N`): decimal text of at most 38 significant digits and
//! a magnitude between 1E-130 and 1E+126. Owns turning ledger values into
//! that text (refusing what DynamoDB would refuse, with a clear message) and
//! reading it back exactly, in every form the service or an emulator hands
//! back: `1E-10`, `1.50`, `-0`, `5.`, `.5`.
//!
//! Pure text arithmetic; numbers are never compared as text here or anywhere
//! in the store (conditions compare them as DynamoDB numbers).

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::ledger::encoding::corrupt;
use crate::ledger::StoreError;

/// DynamoDB's precision and exponent limits.
const MAX_DIGITS: usize = 38;
const MAX_EXPONENT: i64 = 125;
const MIN_EXPONENT: i64 = -130;
/// `rust_decimal` keeps at most 28 decimal places and a 96-bit mantissa (29 digits).
const DECIMAL_SCALE: i64 = 28;
const DECIMAL_DIGITS: usize = 29;

/// A number as `digits × 10^exponent`, digits without leading zeros (empty = zero).
#[derive(Debug, PartialEq, Eq)]
struct Parsed {
    negative: bool,
    digits: String,
    exponent: i64,
}

impl Parsed {
    /// The digits DynamoDB counts: trailing zeros are not significant.
    fn significant(&self) -> (usize, i64) {
        let trimmed = self.digits.trim_end_matches('0');
        let dropped = self.digits.len() - trimmed.len();
        (trimmed.len(), self.exponent + i64::try_from(dropped).unwrap_or(i64::MAX))
    }
}

fn parse(text: &str) -> Option<Parsed> {
    let (negative, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().ok()?),
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.len() + frac.len() == 0 || !all_digits(int) || !all_digits(frac) {
        return None;
    }
    let digits = format!("{int}{frac}").trim_start_matches('0').to_string();
    let exponent = exponent.checked_sub(i64::try_from(frac.len()).ok()?)?;
    Some(Parsed { negative, digits, exponent })
}

/// Refuses text DynamoDB would refuse, saying why, before anything is sent.
fn check(what: &str, text: &str) -> Result<(), StoreError> {
    let refuse = |why: &str| Err(StoreError::Backend(format!("{what} `{text}` {why}")));
    let Some(p) = parse(text) else { return refuse("is not a number") };
    let (len, exponent) = p.significant();
    if len == 0 {
        return Ok(());
    }
    if len > MAX_DIGITS {
        return refuse("has more than DynamoDB's 38 significant digits");
    }
    let magnitude = exponent + i64::try_from(len).unwrap_or(i64::MAX) - 1;
    if !(MIN_EXPONENT..=MAX_EXPONENT).contains(&magnitude) {
        return refuse("is outside DynamoDB's number range (1E-130 to 1E+126)");
    }
    Ok(())
}

/// Exact money (or any `Decimal`) as `N` text. `Display` never uses an
/// exponent and a `Decimal` has at most 29 digits, so the check only guards.
pub(super) fn from_decimal(what: &str, value: Decimal) -> Result<String, StoreError> {
    let text = value.to_string();
    check(what, &text)?;
    Ok(text)
}

/// A metric value as `N` text: its shortest round-trip decimal, so reading it
/// back gives the same `f64`.
pub(super) fn from_f64(what: &str, value: f64) -> Result<String, StoreError> {
    if !value.is_finite() {
        return Err(StoreError::Backend(format!("{what} is not a finite number: {value}")));
    }
    let text = value.to_string();
    check(what, &text)?;
    Ok(text)
}

pub(super) fn from_u64(value: u64) -> String {
    value.to_string()
}

pub(super) fn from_i64(value: i64) -> String {
    value.to_string()
}

/// `N` text as a `Decimal`, exactly, or `Corrupt` when it is not a number or
/// cannot be held without rounding (more than 28 decimal places or 29
/// digits, after dropping trailing zeros that carry no value).
pub(super) fn to_decimal(what: &'static str, text: &str) -> Result<Decimal, StoreError> {
    let bad = |why: &str| corrupt(what, format!("`{text}` {why}"));
    let p = parse(text).ok_or_else(|| bad("is not a number"))?;
    if p.digits.is_empty() {
        return Ok(Decimal::ZERO);
    }
    let mut digits = p.digits;
    let mut exponent = p.exponent;
    if exponent > 0 {
        let zeros = usize::try_from(exponent).map_err(|_| bad("is out of range"))?;
        if digits.len().saturating_add(zeros) > DECIMAL_DIGITS {
            return Err(bad("is too large for an exact decimal"));
        }
        digits.push_str(&"0".repeat(zeros));
        exponent = 0;
    }
    while exponent < 0
        && (exponent < -DECIMAL_SCALE || digits.len() > DECIMAL_DIGITS)
        && digits.ends_with('0')
    {
        digits.pop();
        exponent += 1;
    }
    if exponent < -DECIMAL_SCALE || digits.len() > DECIMAL_DIGITS {
        return Err(bad("cannot be read without rounding"));
    }
    let mantissa = digits.parse::<i128>().map_err(|_| bad("is out of range"))?;
    let signed = if p.negative { -mantissa } else { mantissa };
    let scale = u32::try_from(-exponent).map_err(|_| bad("is out of range"))?;
    Decimal::try_from_i128_with_scale(signed, scale).map_err(|_| bad("is too large for an exact decimal"))
}

pub(super) fn to_f64(what: &'static str, text: &str) -> Result<f64, StoreError> {
    if parse(text).is_none() {
        return Err(corrupt(what, format!("`{text}` is not a number")));
    }
    text.parse::<f64>().map_err(|e| corrupt(what, format!("`{text}`: {e}")))
}

/// `N` text that must hold a whole number (counts, versions, instants).
pub(super) fn to_i64(what: &'static str, text: &str) -> Result<i64, StoreError> {
    let value = to_decimal(what, text)?;
    if !value.fract().is_zero() {
        return Err(corrupt(what, format!("`{text}` is not a whole number")));
    }
    value.to_i64().ok_or_else(|| corrupt(what, format!("`{text}` is out of range")))
}

pub(super) fn to_u64(what: &'static str, text: &str) -> Result<u64, StoreError> {
    let value = to_decimal(what, text)?;
    if !value.fract().is_zero() || (value.is_sign_negative() && !value.is_zero()) {
        return Err(corrupt(what, format!("`{text}` is not a whole non-negative number")));
    }
    value.to_u64().ok_or_else(|| corrupt(what, format!("`{text}` is out of range")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::str::FromStr;

    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn reads_every_form_dynamodb_and_emulators_return() {
        let cases = [
            ("0", "0"),
            ("-0", "0"),
            ("0.000", "0"),
            ("1.50", "1.5"),
            ("1E-10", "0.0000000001"),
            ("1e+3", "1000"),
            ("1.5E2", "150"),
            ("-2.5e-3", "-0.0025"),
            ("5.", "5"),
            (".5", "0.5"),
            ("007", "7"),
            ("123456789.123456789012345678", "123456789.123456789012345678"),
            // Trailing zeros past 28 places carry no value: read, not refused.
            ("1.0000000000000000000000000000000000", "1"),
            ("79228162514264337593543950335", "79228162514264337593543950335"),
        ];
        for (text, want) in cases {
            assert_eq!(to_decimal("usd", text).unwrap(), dec(want), "{text}");
        }
        assert!(!to_decimal("usd", "-0").unwrap().is_sign_negative(), "-0 reads as plain zero");
        assert_eq!(to_decimal("usd", "1.50").unwrap().scale(), 2, "the scale written is kept");
    }

    #[test]
    fn refuses_text_that_would_round_or_is_not_a_number() {
        for text in [
            "",
            "-",
            ".",
            "e5",
            "1e",
            "1.2.3",
            "0x10",
            "NaN",
            "inf",
            "1 000",
            // 29 decimal places, 30 and 39 digits: representable only by rounding.
            "0.00000000000000000000000000001",
            "1.00000000000000000000000000001",
            "123456789012345678901234567890123456789",
            "1E+30",
            "79228162514264337593543950336",
        ] {
            assert!(matches!(to_decimal("usd", text), Err(StoreError::Corrupt { .. })), "{text:?}");
        }
    }

    #[test]
    fn writes_exact_text_within_dynamodb_limits() {
        for s in ["0", "0.0030", "-1.25", "79228162514264337593543950335", "0.0000000000000000000000000001"] {
            let text = from_decimal("usd", dec(s)).unwrap();
            assert_eq!(text, s);
            assert_eq!(to_decimal("usd", &text).unwrap(), dec(s));
        }
        assert_eq!(from_u64(u64::MAX), "18446744073709551615");
        assert_eq!(to_u64("tokens", &from_u64(u64::MAX)).unwrap(), u64::MAX);
        assert_eq!(to_i64("ns", &from_i64(i64::MIN)).unwrap(), i64::MIN);
    }

    #[test]
    fn the_38_digit_and_range_limits_are_checked_before_sending() {
        assert!(check("x", "12345678901234567890123456789012345678").is_ok());
        assert!(check("x", "123456789012345678901234567890123456789").is_err());
        // Trailing zeros are not significant digits.
        assert!(check("x", "1234567890123456789012345678901234567800000").is_ok());
        assert!(check("x", "9.9999999999999999999999999999999999999E+125").is_ok());
        assert!(check("x", "1E+126").is_err());
        assert!(check("x", "1E-130").is_ok());
        assert!(check("x", "1E-131").is_err());
        let err = from_f64("metric sum", 1e300).unwrap_err().to_string();
        assert!(err.contains("metric sum") && err.contains("range"), "{err}");
        assert!(from_f64("metric sum", f64::NAN).is_err());
    }

    #[test]
    fn metric_values_round_trip_through_their_text() {
        for x in [0.0, -0.0, 1234.5, 0.1, 1.0 / 3.0, 812.25, 4.0e15, 123_456_789.000_001, 1e-100] {
            let text = from_f64("sum", x).unwrap();
            assert_eq!(to_f64("sum", &text).unwrap().to_bits(), x.to_bits(), "{x} as {text}");
        }
        assert_eq!(to_f64("sum", "1E-10").unwrap(), 1e-10);
        assert_eq!(to_f64("sum", "1.50").unwrap(), 1.5);
        assert!(to_f64("sum", "inf").is_err());
    }

    #[test]
    fn whole_numbers_must_be_whole() {
        assert_eq!(to_i64("v", "1.0E3").unwrap(), 1000);
        assert!(to_i64("v", "1.5").is_err());
        assert!(to_u64("tokens", "-1").is_err());
        assert_eq!(to_u64("tokens", "-0").unwrap(), 0);
    }
}
