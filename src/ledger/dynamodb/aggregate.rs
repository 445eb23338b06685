//! Aggregate items: the all-time totals and the hourly and daily rollups,
//! one item per (kind, region, model ID, bucket) holding every series of
//! that model ID as `{series: {r: rows, <fields>}}`.
//!
//! Owns their encoding and the exact delta arithmetic: a row moving into a
//! series adds `rows + 1` and its amounts, moving out subtracts them; a
//! series whose last row left is dropped (and must then have nothing left,
//! else the total disagrees with its rows: `Corrupt`). Money and token
//! counts are `Decimal`, metric sums `f64` like the points they sum. Must not
//! read or write DynamoDB.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use rust_decimal::Decimal;

use super::attrs::{self, Item, EXPIRES_AT, VERSION};
use super::keys::{self, Key, Kind, TOTALS_PK};
use super::numbers;
use crate::ledger::encoding::corrupt;
use crate::ledger::StoreError;

const SERIES: &str = "m";
const ROWS: &str = "r";
/// Earliest and latest minute (epoch seconds) any row of a total ever had:
/// how far range reads must look for that model ID's minute partitions.
const FIRST: &str = "f";
const LAST: &str = "z";

/// What one series sums besides its row count, per kind: field names, and
/// whether the field is an `f64` metric value rather than an exact amount.
fn fields(kind: Kind) -> &'static [(&'static str, bool)] {
    match kind {
        Kind::Lines => &[("t", false), ("u", false)],
        Kind::Points => &[("s", true), ("c", true)],
        Kind::Calls => &[("n", false)],
        Kind::Shares => &[("u", false)],
    }
}

/// One summed field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Amount {
    Exact(Decimal),
    Real(f64),
}

// Metric sums are f64 like the points they add up (never money), so float
// arithmetic is the faithful total for them; exact amounts stay `Decimal`.
#[allow(clippy::float_arithmetic)]
impl Amount {
    fn neg(self) -> Amount {
        match self {
            Amount::Exact(d) => Amount::Exact(-d),
            Amount::Real(x) => Amount::Real(-x),
        }
    }

    fn add(self, other: Amount) -> Option<Amount> {
        match (self, other) {
            (Amount::Exact(a), Amount::Exact(b)) => a.checked_add(b).map(Amount::Exact),
            (Amount::Real(a), Amount::Real(b)) => Some(Amount::Real(a + b)),
            _ => None,
        }
    }

    fn is_zero(self) -> bool {
        match self {
            Amount::Exact(d) => d.is_zero(),
            // A metric sum can keep a rounding residue; only exact amounts must vanish.
            Amount::Real(_) => true,
        }
    }

    fn text(self, what: &str) -> Result<String, StoreError> {
        match self {
            Amount::Exact(d) => numbers::from_decimal(what, d),
            Amount::Real(x) => numbers::from_f64(what, x),
        }
    }
}

/// Where an aggregate sums: all time, one UTC day or one UTC hour (start, epoch seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Bucket {
    All,
    Day(i64),
    Hour(i64),
}

/// One aggregate item.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct AggKey {
    pub kind: Kind,
    pub region: String,
    pub model_id: String,
    pub bucket: Bucket,
}

impl AggKey {
    /// The aggregates a row of `kind` at `minute` feeds: its all-time total
    /// and, for the kinds budgets sum, its day and hour.
    pub fn of_row(kind: Kind, region: &str, model_id: &str, minute: i64) -> Vec<AggKey> {
        let at = |bucket| AggKey { kind, region: region.into(), model_id: model_id.into(), bucket };
        if kind.has_rollups() {
            vec![
                at(Bucket::All),
                at(Bucket::Day(keys::day_of(minute))),
                at(Bucket::Hour(keys::hour_of(minute))),
            ]
        } else {
            vec![at(Bucket::All)]
        }
    }

    pub fn key(&self) -> Key {
        match self.bucket {
            Bucket::All => Key::new(TOTALS_PK, keys::total_sk(self.kind, &self.region, &self.model_id)),
            Bucket::Day(d) => Key::new(
                keys::rollup_pk(self.kind, &self.region),
                keys::rollup_sk(&keys::day_bound(d), &self.model_id),
            ),
            Bucket::Hour(h) => Key::new(
                keys::rollup_pk(self.kind, &self.region),
                keys::rollup_sk(&keys::hour_bound(h), &self.model_id),
            ),
        }
    }

    /// The start of the bucket, from which a rollup's TTL counts; totals never expire.
    pub fn start(&self) -> Option<i64> {
        match self.bucket {
            Bucket::All => None,
            Bucket::Day(s) | Bucket::Hour(s) => Some(s),
        }
    }
}

/// A row's contribution to one series of one aggregate (negative to take it out).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Delta {
    pub agg: AggKey,
    pub series: String,
    pub rows: i64,
    pub amounts: Vec<Amount>,
    pub minute: i64,
}

impl Delta {
    /// The deltas of a row entering (`sign = 1`) or leaving (`-1`) every aggregate it feeds.
    pub fn of_row(aggs: &[AggKey], series: &str, amounts: &[Amount], minute: i64, sign: i64) -> Vec<Delta> {
        let amounts: Vec<Amount> = amounts.iter().map(|a| if sign < 0 { a.neg() } else { *a }).collect();
        aggs.iter()
            .map(|agg| Delta {
                agg: agg.clone(),
                series: series.into(),
                rows: sign,
                amounts: amounts.clone(),
                minute,
            })
            .collect()
    }
}

/// One series as stored: its row count and summed fields.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Series {
    pub rows: i64,
    pub amounts: Vec<Amount>,
}

/// An aggregate item as read, with the version the next write must match.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Aggregate {
    /// `None`: the item does not exist.
    pub version: Option<u64>,
    pub series: BTreeMap<String, Series>,
    pub bounds: Option<(i64, i64)>,
}

impl Aggregate {
    pub fn decode(kind: Kind, item: &Item) -> Result<Aggregate, StoreError> {
        let what = "aggregate";
        let mut series = BTreeMap::new();
        for (name, value) in attrs::get_m(item, SERIES, what)? {
            series.insert(name.clone(), decode_series(kind, name, value)?);
        }
        let bound = |name| attrs::opt_n(item, name, what)?.map(|t| numbers::to_i64(what, t)).transpose();
        let bounds = match (bound(FIRST)?, bound(LAST)?) {
            (Some(f), Some(z)) => Some((f, z)),
            _ => None,
        };
        Ok(Aggregate { version: Some(attrs::version(item)?), series, bounds })
    }

    /// Applies one delta exactly; `Corrupt` if the aggregate disagrees with its rows.
    pub fn apply(&mut self, d: &Delta) -> Result<(), StoreError> {
        let drift = |detail: String| corrupt("aggregate", format!("{:?} {}: {detail}", d.agg, d.series));
        let slot = self.series.entry(d.series.clone()).or_insert_with(|| Series {
            rows: 0,
            amounts: d.amounts.iter().map(|a| zero_like(*a)).collect(),
        });
        let rows =
            slot.rows.checked_add(d.rows).filter(|r| *r >= 0).ok_or_else(|| drift("negative rows".into()))?;
        let mut amounts = Vec::with_capacity(slot.amounts.len());
        for (have, add) in slot.amounts.iter().zip(&d.amounts) {
            amounts.push(have.add(*add).ok_or_else(|| drift(format!("cannot add {add:?} to {have:?}")))?);
        }
        if rows == 0 {
            if !amounts.iter().all(|a| a.is_zero()) {
                return Err(drift(format!("no rows left but {amounts:?}")));
            }
            self.series.remove(&d.series);
        } else {
            *slot = Series { rows, amounts };
        }
        if d.rows > 0 {
            let (f, z) = self.bounds.unwrap_or((d.minute, d.minute));
            self.bounds = Some((f.min(d.minute), z.max(d.minute)));
        }
        Ok(())
    }

    /// The item to write at `version`, or `None` when no series is left (delete it).
    pub fn encode(
        &self,
        agg: &AggKey,
        version: u64,
        expires_at: Option<i64>,
    ) -> Result<Option<Item>, StoreError> {
        if self.series.is_empty() {
            return Ok(None);
        }
        let mut series = HashMap::with_capacity(self.series.len());
        for (name, s) in &self.series {
            series.insert(name.clone(), encode_series(agg.kind, s)?);
        }
        let mut item = attrs::key_item(&agg.key());
        item.insert(VERSION.into(), attrs::n(numbers::from_u64(version)));
        item.insert(SERIES.into(), AttributeValue::M(series));
        if let (Bucket::All, Some((f, z))) = (agg.bucket, self.bounds) {
            item.insert(FIRST.into(), attrs::n(numbers::from_i64(f)));
            item.insert(LAST.into(), attrs::n(numbers::from_i64(z)));
        }
        if let Some(at) = expires_at {
            item.insert(EXPIRES_AT.into(), attrs::n(numbers::from_i64(at)));
        }
        Ok(Some(item))
    }
}

fn zero_like(a: Amount) -> Amount {
    match a {
        Amount::Exact(_) => Amount::Exact(Decimal::ZERO),
        Amount::Real(_) => Amount::Real(0.0),
    }
}

fn encode_series(kind: Kind, s: &Series) -> Result<AttributeValue, StoreError> {
    let mut m = HashMap::from([(ROWS.to_string(), attrs::n(numbers::from_i64(s.rows)))]);
    for ((name, _), amount) in fields(kind).iter().zip(&s.amounts) {
        m.insert((*name).to_string(), attrs::n(amount.text("aggregate amount")?));
    }
    Ok(AttributeValue::M(m))
}

fn decode_series(kind: Kind, name: &str, value: &AttributeValue) -> Result<Series, StoreError> {
    let what = "aggregate series";
    let m = attrs::as_m(value, name, what)?;
    let rows = numbers::to_i64(what, attrs::get_n(m, ROWS, what)?)?;
    if rows <= 0 {
        return Err(corrupt(what, format!("`{name}` has {rows} rows")));
    }
    let mut amounts = Vec::new();
    for (field, real) in fields(kind) {
        let text = attrs::get_n(m, field, what)?;
        amounts.push(if *real {
            Amount::Real(numbers::to_f64(what, text)?)
        } else {
            Amount::Exact(numbers::to_decimal(what, text)?)
        });
    }
    Ok(Series { rows, amounts })
}

/// A stored series' exact amount as a count (tokens, calls).
pub(super) fn count(amount: &Amount) -> Result<u64, StoreError> {
    match amount {
        Amount::Exact(d) if d.fract().is_zero() && !d.is_sign_negative() => {
            rust_decimal::prelude::ToPrimitive::to_u64(d)
                .ok_or_else(|| corrupt("aggregate count", format!("{d} is out of range")))
        }
        other => Err(corrupt("aggregate count", format!("{other:?} is not a count"))),
    }
}

pub(super) fn exact(amount: &Amount) -> Result<Decimal, StoreError> {
    match amount {
        Amount::Exact(d) => Ok(*d),
        Amount::Real(x) => Err(corrupt("aggregate amount", format!("{x} is not exact"))),
    }
}

pub(super) fn real(amount: &Amount) -> Result<f64, StoreError> {
    match amount {
        Amount::Real(x) => Ok(*x),
        Amount::Exact(d) => Err(corrupt("aggregate amount", format!("{d} is not a metric value"))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::str::FromStr;

    use super::*;

    fn usd(s: &str) -> Amount {
        Amount::Exact(Decimal::from_str(s).unwrap())
    }

    fn total(kind: Kind) -> AggKey {
        AggKey { kind, region: "us-east-1".into(), model_id: "m#1".into(), bucket: Bucket::All }
    }

    #[test]
    fn deltas_move_rows_in_and_out_exactly() {
        let agg = total(Kind::Lines);
        let mut a = Aggregate::default();
        for d in
            Delta::of_row(std::slice::from_ref(&agg), "claude#input", &[usd("100"), usd("0.0003")], 600, 1)
        {
            a.apply(&d).unwrap();
        }
        for d in
            Delta::of_row(std::slice::from_ref(&agg), "claude#input", &[usd("50"), usd("0.00015")], 60, 1)
        {
            a.apply(&d).unwrap();
        }
        assert_eq!(a.series["claude#input"], Series { rows: 2, amounts: vec![usd("150"), usd("0.00045")] });
        assert_eq!(a.bounds, Some((60, 600)));
        for d in
            Delta::of_row(std::slice::from_ref(&agg), "claude#input", &[usd("150"), usd("0.00045")], 60, -1)
        {
            a.apply(&d).unwrap();
        }
        let e =
            a.apply(&Delta::of_row(&[agg], "claude#input", &[usd("1"), usd("0")], 60, -1)[0]).unwrap_err();
        assert!(matches!(e, StoreError::Corrupt { .. }), "no rows left but an amount is drift");
    }

    #[test]
    fn removing_what_is_not_there_is_corrupt() {
        let mut a = Aggregate::default();
        let d = &Delta::of_row(&[total(Kind::Calls)], "p#", &[usd("1")], 0, -1)[0];
        assert!(matches!(a.apply(d), Err(StoreError::Corrupt { .. })));
    }

    #[test]
    fn items_round_trip_and_an_emptied_aggregate_is_deleted() {
        let agg = total(Kind::Points);
        let mut a = Aggregate::default();
        let d = Delta::of_row(
            std::slice::from_ref(&agg),
            "latency_ms",
            &[Amount::Real(812.25), Amount::Real(4.0)],
            120,
            1,
        );
        a.apply(&d[0]).unwrap();
        let item = a.encode(&agg, 7, None).unwrap().unwrap();
        assert_eq!(attrs::key_of(&item).unwrap(), Key::new("T", "P#us-east-1#m%231"));
        let back = Aggregate::decode(Kind::Points, &item).unwrap();
        assert_eq!(back, Aggregate { version: Some(7), ..a.clone() });
        a.apply(
            &Delta::of_row(
                std::slice::from_ref(&agg),
                "latency_ms",
                &[Amount::Real(812.25), Amount::Real(4.0)],
                120,
                -1,
            )[0],
        )
        .unwrap();
        assert_eq!(a.encode(&agg, 8, None).unwrap(), None);
    }

    #[test]
    fn rows_feed_their_rollups() {
        let aggs = AggKey::of_row(Kind::Shares, "r", "m", 86_400 + 3_600 * 5 + 60);
        let buckets: Vec<_> = aggs.iter().map(|a| a.bucket).collect();
        assert_eq!(buckets, vec![Bucket::All, Bucket::Day(86_400), Bucket::Hour(86_400 + 3_600 * 5)]);
        assert_eq!(aggs[1].key(), Key::new("SR#r", "D1970-01-02#m"));
        assert_eq!(aggs[2].key(), Key::new("SR#r", "H1970-01-02T05#m"));
        assert_eq!(AggKey::of_row(Kind::Calls, "r", "m", 60).len(), 1);
    }
}
