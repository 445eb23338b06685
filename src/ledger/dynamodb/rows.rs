//! Minute rows as items: which item a row lives in (`RowId`), the skeleton
//! every row item shares (key, TTL), reading the rows of a window partition
//! by partition, and the diff that turns a row's old and new entries into
//! aggregate deltas.
//!
//! Must not know what an entry holds; `minutes.rs` and `trail.rs` do.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;

use super::aggregate::{AggKey, Amount, Delta};
use super::attrs::{self, Item, EXPIRES_AT};
use super::db::Range;
use super::engine::{Tally, Unit};
use super::keys::{self, Key, Kind};
use super::{numbers, Ctx};
use crate::ledger::window::HOUR;
use crate::ledger::StoreError;
use crate::records::Source;

/// The item a row lives in: one per kind, region, model ID and minute
/// (and source, for metric points).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct RowId {
    pub kind: Kind,
    pub region: String,
    pub model_id: String,
    /// Epoch seconds, start of the minute.
    pub minute: i64,
    pub source: Option<Source>,
}

impl RowId {
    pub fn key(&self) -> Key {
        Key::new(
            keys::minute_pk(self.kind, &self.region, keys::hour_of(self.minute)),
            keys::minute_sk(self.minute, &self.model_id, self.source),
        )
    }

    pub fn aggs(&self) -> Vec<AggKey> {
        AggKey::of_row(self.kind, &self.region, &self.model_id, self.minute)
    }

    fn from_item(kind: Kind, region: &str, hour: i64, item: &Item) -> Result<RowId, StoreError> {
        let (minute, model_id, source) =
            keys::parse_minute_sk(hour, attrs::get_s(item, attrs::SK, "row key")?)?;
        let source = source.map(|s| crate::ledger::encoding::source(&s)).transpose()?;
        Ok(RowId { kind, region: region.into(), model_id, minute, source })
    }

    /// A new row item: key, TTL and the entries under `attribute`.
    pub fn item(&self, ctx: &Ctx, attribute: &str, entries: HashMap<String, AttributeValue>) -> Item {
        let mut item = attrs::key_item(&self.key());
        item.insert(attribute.into(), AttributeValue::M(entries));
        if let Some(at) = ctx.options.minute_expiry(self.minute) {
            item.insert(EXPIRES_AT.into(), attrs::n(numbers::from_i64(at)));
        }
        item
    }
}

/// The sort-key range of one hour partition that holds minutes `[from, to)`.
fn hour_range(hour: i64, from: i64, to: i64) -> Range {
    match (from > hour, to < hour + HOUR) {
        (false, false) => Range::All,
        (true, false) => Range::AtLeast(keys::minute_bound(from)),
        (false, true) => Range::Below(keys::minute_bound(to)),
        (true, true) => Range::Between(keys::minute_bound(from), keys::minute_bound(to)),
    }
}

/// Every row of `kind` in `region` with `from <= minute < to` (whole minutes),
/// one Query per hour partition.
pub(super) async fn scan(
    ctx: &Ctx,
    kind: Kind,
    region: &str,
    (from, to): (i64, i64),
    doing: &str,
) -> Result<Vec<(RowId, Item)>, StoreError> {
    let (from, to) = (keys::clamp(from), keys::clamp(to));
    let mut rows = Vec::new();
    let mut hour = keys::hour_of(from);
    while hour < to {
        let pk = keys::minute_pk(kind, region, hour);
        for item in ctx.db.query(&pk, &hour_range(hour, from, to), doing).await? {
            rows.push((RowId::from_item(kind, region, hour, &item)?, item));
        }
        hour += HOUR;
    }
    Ok(rows)
}

/// The stored items of `ids`, read by the hour partitions they fall in, each
/// only over the minutes asked for.
pub(super) async fn read(
    ctx: &Ctx,
    ids: impl Iterator<Item = &RowId>,
    doing: &str,
) -> Result<HashMap<RowId, Item>, StoreError> {
    let mut spans: BTreeMap<(Kind, &str, i64), (i64, i64)> = BTreeMap::new();
    let mut wanted = BTreeSet::new();
    for id in ids {
        let span = spans
            .entry((id.kind, id.region.as_str(), keys::hour_of(id.minute)))
            .or_insert((id.minute, id.minute));
        *span = (span.0.min(id.minute), span.1.max(id.minute));
        wanted.insert(id);
    }
    let mut found = HashMap::new();
    for ((kind, region, hour), (first, last)) in &spans {
        let pk = keys::minute_pk(*kind, region, *hour);
        for item in ctx.db.query(&pk, &hour_range(*hour, *first, last + 60), doing).await? {
            let id = RowId::from_item(*kind, region, *hour, &item)?;
            if wanted.contains(&id) {
                found.insert(id, item);
            }
        }
    }
    Ok(found)
}

/// What a row's entries contribute to a series of its aggregates.
pub(super) type Contribution = (String, Vec<Amount>);

/// The deltas that move a row from `old` to `new` entries: changed or
/// removed entries leave their series, changed or added ones enter theirs.
pub(super) fn diff<K: Ord, V: PartialEq>(
    id: &RowId,
    old: &BTreeMap<K, V>,
    new: &BTreeMap<K, V>,
    contribution: impl Fn(&K, &V) -> Contribution,
) -> Vec<Delta> {
    let aggs = id.aggs();
    let mut deltas = Vec::new();
    for (k, v) in old {
        if new.get(k) != Some(v) {
            let (series, amounts) = contribution(k, v);
            deltas.extend(Delta::of_row(&aggs, &series, &amounts, id.minute, -1));
        }
    }
    for (k, v) in new {
        if old.get(k) != Some(v) {
            let (series, amounts) = contribution(k, v);
            deltas.extend(Delta::of_row(&aggs, &series, &amounts, id.minute, 1));
        }
    }
    deltas
}

/// One entry as it sits in its row item's map.
pub(super) type Encoded = (String, AttributeValue);

/// How one kind's entries sit in its row items.
pub(super) struct Codec<K, V> {
    /// The map attribute holding the entries.
    pub attribute: &'static str,
    pub encode: fn(&K, &V) -> Result<Encoded, StoreError>,
    pub decode: fn(&Item) -> Result<BTreeMap<K, V>, StoreError>,
    pub contribution: fn(&K, &V) -> Contribution,
}

impl<K: Ord, V: PartialEq> Codec<K, V> {
    /// A stored row's version and entries; an absent row is empty.
    pub fn stored(&self, item: Option<&Item>) -> Result<(Option<u64>, BTreeMap<K, V>), StoreError> {
        match item {
            Some(item) => Ok((Some(attrs::version(item)?), (self.decode)(item)?)),
            None => Ok((None, BTreeMap::new())),
        }
    }

    /// The unit that brings a row item from `old` to `new` entries, if they
    /// differ; a row left without entries is deleted.
    pub fn unit(
        &self,
        ctx: &Ctx,
        id: &RowId,
        expect: Option<u64>,
        old: &BTreeMap<K, V>,
        new: &BTreeMap<K, V>,
    ) -> Result<Option<Unit>, StoreError> {
        if new == old {
            return Ok(None);
        }
        let item = if new.is_empty() {
            None
        } else {
            let entries =
                new.iter().map(|(k, v)| (self.encode)(k, v)).collect::<Result<HashMap<_, _>, _>>()?;
            Some(id.item(ctx, self.attribute, entries))
        };
        let deltas = diff(id, old, new, self.contribution);
        Ok(Some(Unit { key: id.key(), expect, item, deltas, tally: Tally::default() }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_are_read_only_over_the_minutes_asked_for() {
        let h = 36_000;
        assert_eq!(hour_range(h, h, h + HOUR), Range::All);
        assert_eq!(hour_range(h, h - 600, h + 7_200), Range::All);
        assert_eq!(hour_range(h, h + 300, h + HOUR), Range::AtLeast("05".into()));
        assert_eq!(hour_range(h, h, h + 1_800), Range::Below("30".into()));
        assert_eq!(hour_range(h, h + 300, h + 360), Range::Between("05".into(), "06".into()));
    }

    #[test]
    fn a_diff_moves_only_what_changed() {
        let id =
            RowId { kind: Kind::Calls, region: "r".into(), model_id: "m".into(), minute: 60, source: None };
        let old = BTreeMap::from([("a", 1u64), ("b", 2)]);
        let new = BTreeMap::from([("a", 1u64), ("b", 3), ("c", 4)]);
        let contribution = |k: &&str, v: &u64| ((*k).to_string(), vec![Amount::Exact((*v).into())]);
        let deltas = diff(&id, &old, &new, contribution);
        let moves: Vec<_> = deltas.iter().map(|d| (d.series.as_str(), d.rows, d.amounts[0])).collect();
        let e = |n: i64| Amount::Exact(n.into());
        assert_eq!(moves, vec![("b", -1, e(-2)), ("b", 1, e(3)), ("c", 1, e(4))]);
        assert!(diff(&id, &new, &new, contribution).is_empty());
    }
}
