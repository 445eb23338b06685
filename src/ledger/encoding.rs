//! Encodings every store shares, so the SQLite and DynamoDB ledgers agree on
//! what a minute is, how a range bound rounds and how the ledger's keys read
//! back: minutes as epoch seconds (refused unless aligned), range bounds as
//! whole seconds, watermarks as epoch nanoseconds, and the stable text keys of
//! token types, metrics and sources.
//!
//! Pure conversions; must not know any storage format beyond "integer" and
//! "text".

use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::bedrock::BedrockMetric;
use crate::ledger::StoreError;
use crate::pricing::TokenType;
use crate::records::Source;

pub(crate) fn corrupt(what: &'static str, detail: impl Into<String>) -> StoreError {
    StoreError::Corrupt { what, detail: detail.into() }
}

/// A record's minute as epoch seconds. Records are keyed by minute, so an
/// instant inside a minute is refused rather than silently truncated: two
/// writers truncating differently would otherwise both "own" the minute.
pub(crate) fn minute_secs(minute: DateTime<Utc>) -> Result<i64, StoreError> {
    let secs = minute.timestamp();
    if minute.timestamp_subsec_nanos() != 0 || secs.rem_euclid(60) != 0 {
        return Err(StoreError::Backend(format!("{minute} is not the start of a minute")));
    }
    Ok(secs)
}

pub(crate) fn minute_at(secs: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp(secs, 0).ok_or_else(|| corrupt("minute", format!("{secs} is out of range")))
}

/// A range bound as the first whole second at or after it. Minutes are whole
/// seconds, so `minute >= ceil(from)` ⇔ `minute >= from` and
/// `minute < ceil(to)` ⇔ `minute < to`: the bounds stay exact.
pub(crate) fn bound_secs(at: DateTime<Utc>) -> i64 {
    let secs = at.timestamp();
    if at.timestamp_subsec_nanos() > 0 {
        secs.saturating_add(1)
    } else {
        secs
    }
}

/// Watermarks keep full precision: nanoseconds round-trip exactly (years 1677–2262).
pub(crate) fn instant_nanos(at: DateTime<Utc>) -> Result<i64, StoreError> {
    at.timestamp_nanos_opt()
        .ok_or_else(|| StoreError::Backend(format!("instant {at} is outside the storable range")))
}

pub(crate) fn instant_at_nanos(nanos: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(nanos)
}

pub(crate) fn token_type(text: &str) -> Result<TokenType, StoreError> {
    TokenType::from_str(text).map_err(|e| corrupt("token type", e.to_string()))
}

pub(crate) fn metric(text: &str) -> Result<BedrockMetric, StoreError> {
    BedrockMetric::from_key(text).ok_or_else(|| corrupt("metric", format!("unknown metric key `{text}`")))
}

pub(crate) fn source(text: &str) -> Result<Source, StoreError> {
    Source::ALL
        .into_iter()
        .find(|s| s.as_str() == text)
        .ok_or_else(|| corrupt("source", format!("unknown source `{text}`")))
}

/// Metric values must be finite: a NaN or an infinity would turn a bad
/// datapoint into "no value" (SQLite stores NaN as NULL) or poison a total.
pub(crate) fn check_finite(what: &str, value: f64) -> Result<f64, StoreError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(StoreError::Backend(format!("{what} is not a finite number: {value}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn minutes_must_be_aligned() {
        let ok = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 0).unwrap();
        assert_eq!(minute_at(minute_secs(ok).unwrap()).unwrap(), ok);
        let off = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        assert!(minute_secs(off).is_err());
        let nanos = ok + chrono::Duration::nanoseconds(1);
        assert!(minute_secs(nanos).is_err());
    }

    #[test]
    fn bounds_round_up_to_whole_seconds() {
        let t = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 0).unwrap();
        assert_eq!(bound_secs(t), t.timestamp());
        assert_eq!(bound_secs(t + chrono::Duration::milliseconds(1)), t.timestamp() + 1);
        assert_eq!(bound_secs(t - chrono::Duration::milliseconds(1)), t.timestamp());
    }

    #[test]
    fn instants_and_keys_round_trip() {
        let at = Utc.timestamp_opt(1_800_000_000, 123_456_789).unwrap();
        assert_eq!(instant_at_nanos(instant_nanos(at).unwrap()), at);
        assert_eq!(token_type("cache_read").unwrap(), TokenType::CacheRead);
        assert!(matches!(token_type("cache"), Err(StoreError::Corrupt { .. })));
        assert_eq!(metric("latency_ms").unwrap(), BedrockMetric::InvocationLatency);
        assert_eq!(source("cloudwatch_detail").unwrap(), Source::CloudWatchDetail);
        assert!(check_finite("sum", f64::NAN).is_err());
    }
}
