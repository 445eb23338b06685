//! Replacing a window by diffing, shared by the call counts and the
//! attributed shares: every new row that differs from the stored one is
//! written (its old contribution taken out of the totals first), every
//! stored row the new set lacks is deleted, identical rows are not touched.
//! Must not know which table it works on: the caller passes the writes.

use std::collections::BTreeMap;

use crate::ledger::{ReplaceStats, StoreError};

/// What the caller does to one row; the diff decides when.
pub(super) trait Rows<K, V> {
    /// Writes `value` under `key` (insert or update).
    fn upsert(&mut self, key: &K, value: &V) -> Result<(), StoreError>;
    fn delete(&mut self, key: &K) -> Result<(), StoreError>;
    /// Adds (`entering`) or removes a row's contribution to its totals.
    fn account(&mut self, key: &K, value: &V, entering: bool) -> Result<(), StoreError>;
}

pub(super) fn replace<K: Ord, V: PartialEq>(
    mut old: BTreeMap<K, V>,
    new: &BTreeMap<K, V>,
    rows: &mut impl Rows<K, V>,
) -> Result<ReplaceStats, StoreError> {
    let mut stats = ReplaceStats::default();
    for (key, value) in new {
        match old.remove(key) {
            Some(prev) if prev == *value => continue,
            Some(prev) => {
                rows.account(key, &prev, false)?;
                stats.changed += 1;
            }
            None => stats.inserted += 1,
        }
        rows.upsert(key, value)?;
        rows.account(key, value, true)?;
    }
    for (key, prev) in old {
        rows.delete(&key)?;
        rows.account(&key, &prev, false)?;
        stats.removed += 1;
    }
    Ok(stats)
}
