//! Conversions between ledger values and SQLite column values, and the error
//! mapping. Owns every encoding decision (minutes as epoch seconds, instants
//! as epoch nanoseconds, tokens as INTEGER, money as exact decimal text) so
//! the write and read paths cannot disagree. Must not touch the connection.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::bedrock::BedrockMetric;
use crate::ledger::{LinePricing, Source, StoreError};
use crate::pricing::TokenType;

/// Adds what the store was doing to a SQLite error, so a log line says more
/// than "database is locked".
pub(super) trait Context<T> {
    fn ctx(self, doing: &str) -> Result<T, StoreError>;
}

impl<T> Context<T> for rusqlite::Result<T> {
    fn ctx(self, doing: &str) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::Backend(format!("{doing}: {e}")))
    }
}

fn corrupt(what: &'static str, detail: impl Into<String>) -> StoreError {
    StoreError::Corrupt { what, detail: detail.into() }
}

/// A record's minute as epoch seconds. Records are keyed by minute, so an
/// instant inside a minute is refused rather than silently truncated: two
/// writers truncating differently would otherwise both "own" the minute.
pub(super) fn minute_to_sql(minute: DateTime<Utc>) -> Result<i64, StoreError> {
    let secs = minute.timestamp();
    if minute.timestamp_subsec_nanos() != 0 || secs.rem_euclid(60) != 0 {
        return Err(StoreError::Backend(format!("{minute} is not the start of a minute")));
    }
    Ok(secs)
}

pub(super) fn minute_from_sql(secs: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp(secs, 0).ok_or_else(|| corrupt("minute", format!("{secs} is out of range")))
}

/// A range bound as the first whole second at or after it. Minutes are whole
/// seconds, so `minute >= ceil(from)` ⇔ `minute >= from` and
/// `minute < ceil(to)` ⇔ `minute < to`: the bounds stay exact.
pub(super) fn bound_to_sql(at: DateTime<Utc>) -> i64 {
    let secs = at.timestamp();
    if at.timestamp_subsec_nanos() > 0 {
        secs.saturating_add(1)
    } else {
        secs
    }
}

/// Watermarks keep full precision: nanoseconds round-trip exactly (years 1677–2262).
pub(super) fn instant_to_sql(at: DateTime<Utc>) -> Result<i64, StoreError> {
    at.timestamp_nanos_opt()
        .ok_or_else(|| StoreError::Backend(format!("watermark {at} is outside the storable range")))
}

pub(super) fn instant_from_sql(nanos: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(nanos)
}

/// SQLite integers are signed; a count past `i64::MAX` is refused, never wrapped.
pub(super) fn tokens_to_sql(tokens: u64) -> Result<i64, StoreError> {
    i64::try_from(tokens)
        .map_err(|_| StoreError::Backend(format!("{tokens} tokens exceed the storable range")))
}

pub(super) fn tokens_from_sql(tokens: i64) -> Result<u64, StoreError> {
    u64::try_from(tokens).map_err(|_| corrupt("token count", format!("{tokens} is negative")))
}

/// Money is stored as its exact decimal text (never REAL); `Display` of a
/// `Decimal` has no exponent, so the text parses back to the same value.
pub(super) fn usd_to_sql(usd: Decimal) -> String {
    usd.to_string()
}

/// `from_str_exact` refuses text it would have to round, so a stored amount
/// is either read back exactly or reported as corrupt.
pub(super) fn usd_from_sql(text: &str) -> Result<Decimal, StoreError> {
    Decimal::from_str_exact(text).map_err(|e| corrupt("usd amount", format!("`{text}`: {e}")))
}

pub(super) fn token_type_from_sql(text: &str) -> Result<TokenType, StoreError> {
    TokenType::from_str(text).map_err(|e| corrupt("token type", e.to_string()))
}

pub(super) fn metric_from_sql(text: &str) -> Result<BedrockMetric, StoreError> {
    BedrockMetric::from_key(text).ok_or_else(|| corrupt("metric", format!("unknown metric key `{text}`")))
}

pub(super) fn source_from_sql(text: &str) -> Result<Source, StoreError> {
    Source::ALL
        .into_iter()
        .find(|s| s.as_str() == text)
        .ok_or_else(|| corrupt("source", format!("unknown source `{text}`")))
}

/// Metric values must be finite: SQLite stores NaN as NULL, which would turn
/// a bad datapoint into "no value" without anyone noticing.
pub(super) fn check_finite(what: &str, value: f64) -> Result<f64, StoreError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(StoreError::Backend(format!("{what} is not a finite number: {value}")))
    }
}

/// The pricing columns of a cost line: (model, price_entry, usd, reason).
pub(super) type PricingColumns = (Option<String>, Option<String>, Option<String>, Option<String>);

pub(super) fn pricing_to_sql(pricing: &LinePricing) -> PricingColumns {
    match pricing {
        LinePricing::Priced { model, price_entry, usd } => {
            (Some(model.clone()), Some(price_entry.clone()), Some(usd_to_sql(*usd)), None)
        }
        LinePricing::Unpriced { reason } => (None, None, None, Some(reason.clone())),
    }
}

pub(super) fn pricing_from_sql(cols: PricingColumns) -> Result<LinePricing, StoreError> {
    match cols {
        (Some(model), Some(price_entry), Some(usd), None) => {
            Ok(LinePricing::Priced { model, price_entry, usd: usd_from_sql(&usd)? })
        }
        (None, None, None, Some(reason)) => Ok(LinePricing::Unpriced { reason }),
        other => Err(corrupt("cost line pricing", format!("inconsistent columns {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn minutes_must_be_aligned() {
        let ok = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 0).unwrap();
        assert_eq!(minute_from_sql(minute_to_sql(ok).unwrap()).unwrap(), ok);
        let off = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        assert!(minute_to_sql(off).is_err());
        let nanos = ok + chrono::Duration::nanoseconds(1);
        assert!(minute_to_sql(nanos).is_err());
    }

    #[test]
    fn bounds_round_up_to_whole_seconds() {
        let t = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 0).unwrap();
        assert_eq!(bound_to_sql(t), t.timestamp());
        assert_eq!(bound_to_sql(t + chrono::Duration::milliseconds(1)), t.timestamp() + 1);
        assert_eq!(bound_to_sql(t - chrono::Duration::milliseconds(1)), t.timestamp());
    }

    #[test]
    fn money_round_trips_exactly_and_bad_text_is_corrupt() {
        for s in ["0", "1.50", "0.0000033", "123456789.123456789012345678"] {
            let d = Decimal::from_str(s).unwrap();
            assert_eq!(usd_from_sql(&usd_to_sql(d)).unwrap(), d, "{s}");
        }
        assert!(matches!(usd_from_sql("1.2.3"), Err(StoreError::Corrupt { .. })));
        assert!(matches!(usd_from_sql("1e3"), Err(StoreError::Corrupt { .. })));
    }

    #[test]
    fn tokens_and_instants_round_trip() {
        assert!(tokens_to_sql(u64::MAX).is_err());
        assert!(tokens_from_sql(-1).is_err());
        let at = Utc.timestamp_opt(1_800_000_000, 123_456_789).unwrap();
        assert_eq!(instant_from_sql(instant_to_sql(at).unwrap()), at);
    }

    #[test]
    fn pricing_columns_must_be_consistent() {
        let priced =
            LinePricing::Priced { model: "m".into(), price_entry: "m:all:2025".into(), usd: Decimal::ONE };
        assert_eq!(pricing_from_sql(pricing_to_sql(&priced)).unwrap(), priced);
        let unpriced = LinePricing::Unpriced { reason: "unknown model".into() };
        assert_eq!(pricing_from_sql(pricing_to_sql(&unpriced)).unwrap(), unpriced);
        let bad = (Some("m".to_string()), None, None, None);
        assert!(matches!(pricing_from_sql(bad), Err(StoreError::Corrupt { .. })));
    }
}
