//! Item keys and the composite names inside items: every `pk`/`sk` the
//! store writes is built and taken apart here, and nowhere else.
//!
//! Free-form parts (regions, model IDs, principals, dedupe keys, budget
//! names) are escaped (`%` → `%25`, `#` → `%23`), so `#` only ever
//! separates parts and a key reads back unambiguously. Times are fixed-width
//! UTC text (`2026-03-01T10`, minute of the hour `05`), so sort-key order is
//! time order and half-open ranges are plain `BETWEEN`s. Must not touch the
//! SDK beyond building strings.

use chrono::DateTime;

use crate::ledger::encoding::corrupt;
use crate::ledger::window::{DAY, HOUR};
use crate::ledger::StoreError;
use crate::records::Source;

/// One item's primary key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Key {
        Key { pk: pk.into(), sk: sk.into() }
    }
}

/// The four kinds of minute rows. Their tag starts the minute partitions
/// (`L#…`), names their all-time totals (`T` / `L#…`) and, for the two kinds
/// with hourly and daily rollups, the rollup partition (`LR#…`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Kind {
    /// Priced cost lines, every token type of a (region, model ID, minute).
    Lines,
    /// Metric points of one source.
    Points,
    /// CloudTrail call counts.
    Calls,
    /// Attributed cost shares.
    Shares,
}

impl Kind {
    pub fn tag(self) -> &'static str {
        match self {
            Kind::Lines => "L",
            Kind::Points => "P",
            Kind::Calls => "C",
            Kind::Shares => "S",
        }
    }

    /// Whether the kind keeps hourly and daily rollups (what budgets sum).
    pub fn has_rollups(self) -> bool {
        matches!(self, Kind::Lines | Kind::Shares)
    }
}

/// The partition of all-time totals: one small item per kind, region and model ID.
pub(super) const TOTALS_PK: &str = "T";
pub(super) const WATERMARK_PK: &str = "WM";
pub(super) const OUTBOX_PK: &str = "OUTBOX";
pub(super) const LEASE_PK: &str = "LEASE";
pub(super) const STATUS_PK: &str = "STATUS";
pub(super) const FLAG_PK: &str = "FLAG";
/// The re-pricing audit: one item per applied UTC day of a run.
pub(super) const REPRICE_PK: &str = "REPRICE";

/// The last minute a key can hold (9999-12-31T23:59): four-digit years keep
/// text order equal to time order.
const LAST_MINUTE: i64 = 253_402_300_740;

pub(super) fn escape(part: &str) -> String {
    part.replace('%', "%25").replace('#', "%23")
}

pub(super) fn unescape(part: &str) -> Result<String, StoreError> {
    let mut out = String::with_capacity(part.len());
    let mut rest = part;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        match rest.get(i..i + 3) {
            Some("%25") => out.push('%'),
            Some("%23") => out.push('#'),
            _ => return Err(corrupt("item key", format!("bad escape in `{part}`"))),
        }
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Escaped parts joined by `#`: a sort key or the name of a series in a map.
pub(super) fn compose(parts: &[&str]) -> String {
    parts.iter().map(|p| escape(p)).collect::<Vec<_>>().join("#")
}

/// The inverse of [`compose`]; exactly `n` parts or `Corrupt`.
pub(super) fn decompose(text: &str, n: usize) -> Result<Vec<String>, StoreError> {
    let parts = text.split('#').map(unescape).collect::<Result<Vec<_>, _>>()?;
    if parts.len() != n {
        return Err(corrupt("item key", format!("`{text}` does not have {n} parts")));
    }
    Ok(parts)
}

/// Minutes the keys can hold: 1970 to 9999.
pub(super) fn storable(minute: i64) -> Result<i64, StoreError> {
    if (0..=LAST_MINUTE).contains(&minute) {
        Ok(minute)
    } else {
        Err(StoreError::Backend(format!("minute {minute} (epoch seconds) is outside 1970 to 9999")))
    }
}

/// Clamps a range bound (epoch seconds) into what the keys can hold.
pub(super) fn clamp(secs: i64) -> i64 {
    secs.clamp(0, LAST_MINUTE + 60)
}

/// Callers pass instants `storable` or `clamp` has bounded to 1970..=9999,
/// which always format; the empty fallback is unreachable.
fn utc_text(secs: i64, format: &str) -> String {
    DateTime::from_timestamp(secs, 0).map(|t| t.format(format).to_string()).unwrap_or_default()
}

pub(super) fn hour_text(hour: i64) -> String {
    utc_text(hour, "%Y-%m-%dT%H")
}

pub(super) fn day_text(day: i64) -> String {
    utc_text(day, "%Y-%m-%d")
}

pub(super) fn hour_of(minute: i64) -> i64 {
    minute.div_euclid(HOUR) * HOUR
}

pub(super) fn day_of(minute: i64) -> i64 {
    minute.div_euclid(DAY) * DAY
}

/// The partition of one kind's minute rows in one region and UTC hour:
/// `L#us-east-1#2026-03-01T10`. Hourly partitions bound how much of one
/// backfill lands on one partition key.
pub(super) fn minute_pk(kind: Kind, region: &str, hour: i64) -> String {
    format!("{}#{}#{}", kind.tag(), escape(region), hour_text(hour))
}

/// `05` for 10:05: the start of every sort key in a minute partition, and a
/// bound that splits the partition at that minute.
pub(super) fn minute_bound(minute: i64) -> String {
    format!("{:02}", minute.rem_euclid(HOUR) / 60)
}

/// `05#<model ID>`, plus `#<source>` for metric points.
pub(super) fn minute_sk(minute: i64, model_id: &str, source: Option<Source>) -> String {
    match source {
        Some(s) => format!("{}#{}", minute_bound(minute), compose(&[model_id, s.as_str()])),
        None => format!("{}#{}", minute_bound(minute), escape(model_id)),
    }
}

/// A minute row's sort key read back: (minute, model ID, source if any).
pub(super) fn parse_minute_sk(hour: i64, sk: &str) -> Result<(i64, String, Option<String>), StoreError> {
    let bad = || corrupt("item key", format!("`{sk}` is not a minute row's sort key"));
    let (mm, rest) = sk.split_once('#').ok_or_else(bad)?;
    let mm: i64 = mm.parse().ok().filter(|m| (0..60).contains(m) && mm.len() == 2).ok_or_else(bad)?;
    let minute = hour + mm * 60;
    match rest.split_once('#') {
        Some(_) => {
            let mut parts = decompose(rest, 2)?;
            let source = parts.pop();
            Ok((minute, parts.pop().unwrap_or_default(), source))
        }
        None => Ok((minute, unescape(rest)?, None)),
    }
}

/// All-time totals of a kind, region and model ID: `L#us-east-1#<model ID>`.
pub(super) fn total_sk(kind: Kind, region: &str, model_id: &str) -> String {
    format!("{}#{}", kind.tag(), compose(&[region, model_id]))
}

/// The prefix of every total of a kind, optionally of one region.
pub(super) fn totals_prefix(kind: Kind, region: Option<&str>) -> String {
    match region {
        Some(r) => format!("{}#{}#", kind.tag(), escape(r)),
        None => format!("{}#", kind.tag()),
    }
}

/// (region, model ID) of a total's sort key.
pub(super) fn parse_total_sk(kind: Kind, sk: &str) -> Result<(String, String), StoreError> {
    let rest = sk
        .strip_prefix(kind.tag())
        .and_then(|r| r.strip_prefix('#'))
        .ok_or_else(|| corrupt("item key", format!("`{sk}` is not a {} total", kind.tag())))?;
    let mut parts = decompose(rest, 2)?;
    let model_id = parts.pop().unwrap_or_default();
    Ok((parts.pop().unwrap_or_default(), model_id))
}

/// The partition of a region's hourly and daily rollups: `LR#us-east-1`.
pub(super) fn rollup_pk(kind: Kind, region: &str) -> String {
    format!("{}R#{}", kind.tag(), escape(region))
}

/// `D2026-03-01`: the sort-key bound of a day; a day's rollups sort after it.
pub(super) fn day_bound(day: i64) -> String {
    format!("D{}", day_text(day))
}

/// `H2026-03-01T10`: the sort-key bound of an hour.
pub(super) fn hour_bound(hour: i64) -> String {
    format!("H{}", hour_text(hour))
}

/// A rollup's sort key: its bucket bound, then the model ID.
pub(super) fn rollup_sk(bound: &str, model_id: &str) -> String {
    format!("{bound}#{}", escape(model_id))
}

/// The model ID of a rollup's sort key.
pub(super) fn parse_rollup_sk(sk: &str) -> Result<String, StoreError> {
    let (_, model_id) =
        sk.split_once('#').ok_or_else(|| corrupt("item key", format!("`{sk}` is not a rollup key")))?;
    unescape(model_id)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use chrono::{TimeZone, Utc};

    fn secs(h: u32, m: u32) -> i64 {
        Utc.with_ymd_and_hms(2026, 3, 1, h, m, 0).unwrap().timestamp()
    }

    #[test]
    fn free_form_parts_round_trip_and_never_split() {
        for part in ["", "plain", "a#b", "100%", "%23", "arn:aws:iam::1:role/x#y%z", "ü#%#"] {
            assert_eq!(unescape(&escape(part)).unwrap(), part);
            assert!(!escape(part).contains('#'), "{part}");
            let composed = compose(&[part, "b", part]);
            assert_eq!(decompose(&composed, 3).unwrap(), vec![part, "b", part]);
        }
        assert!(unescape("%2").is_err());
        assert!(unescape("%41").is_err());
        assert!(decompose("a#b", 3).is_err());
    }

    #[test]
    fn minute_keys_are_fixed_width_and_read_back() {
        let at = secs(10, 5);
        let hour = hour_of(at);
        assert_eq!(minute_pk(Kind::Lines, "us-east-1", hour), "L#us-east-1#2026-03-01T10");
        assert_eq!(minute_sk(at, "m#1", None), "05#m%231");
        assert_eq!(parse_minute_sk(hour, "05#m%231").unwrap(), (at, "m#1".to_string(), None));
        let sk = minute_sk(at, "us.anthropic.claude", Some(Source::CloudWatchDetail));
        assert_eq!(sk, "05#us.anthropic.claude#cloudwatch_detail");
        assert_eq!(
            parse_minute_sk(hour, &sk).unwrap(),
            (at, "us.anthropic.claude".into(), Some("cloudwatch_detail".into()))
        );
        for bad in ["5#m", "60#m", "xx#m", "05"] {
            assert!(parse_minute_sk(hour, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bounds_cut_partitions_half_open() {
        // Sort keys of minutes 04, 05 and 29, 30 around the bounds "05" and "30":
        // BETWEEN "05" AND "30" keeps exactly [05, 30).
        let (lo, hi) = (minute_bound(secs(10, 5)), minute_bound(secs(10, 30)));
        let inside = |sk: &str| sk >= lo.as_str() && sk <= hi.as_str();
        assert!(!inside(&minute_sk(secs(10, 4), "zzz", None)));
        assert!(inside(&minute_sk(secs(10, 5), "", None)));
        assert!(inside(&minute_sk(secs(10, 29), "zzz", None)));
        assert!(!inside(&minute_sk(secs(10, 30), "", None)));
        // The same holds for rollup buckets.
        let (d0, d1) = (day_bound(day_of(secs(0, 0))), day_bound(day_of(secs(0, 0)) + DAY));
        let day_sk = rollup_sk(&day_bound(day_of(secs(0, 0))), "m");
        let next_sk = rollup_sk(&d1, "");
        assert!(day_sk.as_str() >= d0.as_str() && day_sk.as_str() <= d1.as_str());
        assert!(next_sk.as_str() > d1.as_str());
        assert_eq!(hour_bound(hour_of(secs(10, 59))), "H2026-03-01T10");
    }

    #[test]
    fn totals_and_rollups_name_their_series() {
        let sk = total_sk(Kind::Shares, "eu-west-1", "a#b");
        assert!(sk.starts_with(&totals_prefix(Kind::Shares, Some("eu-west-1"))));
        assert!(sk.starts_with(&totals_prefix(Kind::Shares, None)));
        assert_eq!(parse_total_sk(Kind::Shares, &sk).unwrap(), ("eu-west-1".into(), "a#b".into()));
        assert!(parse_total_sk(Kind::Lines, &sk).is_err());
        assert_eq!(rollup_pk(Kind::Lines, "us-east-1"), "LR#us-east-1");
        assert_eq!(parse_rollup_sk(&rollup_sk("H2026-03-01T10", "x#y")).unwrap(), "x#y");
    }

    #[test]
    fn only_four_digit_years_are_storable() {
        assert!(storable(0).is_ok());
        assert!(storable(LAST_MINUTE).is_ok());
        assert_eq!(day_text(LAST_MINUTE), "9999-12-31");
        assert!(storable(-60).is_err());
        assert!(storable(LAST_MINUTE + 60).is_err());
    }
}
