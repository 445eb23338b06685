//! Conversions between ledger values and SQLite column values, and the error
//! mapping. Owns every SQLite encoding decision (tokens as INTEGER, money as
//! exact decimal text; minutes, instants and enum keys as every store encodes
//! them, from `ledger::encoding`) so the write and read paths cannot
//! disagree. Must not touch the connection.

use rust_decimal::Decimal;

use crate::ledger::StoreError;
use crate::records::LinePricing;

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

pub(super) use crate::ledger::encoding::{
    bound_secs as bound_to_sql, check_finite, corrupt, instant_at_nanos as instant_from_sql,
    instant_nanos as instant_to_sql, metric as metric_from_sql, minute_at as minute_from_sql,
    minute_secs as minute_to_sql, source as source_from_sql, token_type as token_type_from_sql,
};

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
    use std::str::FromStr;

    use super::*;
    use chrono::{TimeZone, Utc};

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
