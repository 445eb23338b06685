//! Grouping row changes into `TransactWriteItems` requests: each request
//! holds whole units (a row and every aggregate its deltas touch), at most
//! 100 distinct items and 4 MB, every aggregate once (its deltas summed).
//!
//! Pure: indices in, groups out. Units arrive sorted so that neighbours
//! share aggregates (same model ID, adjacent minutes), which is what keeps
//! the number of requests close to rows / 97.

use std::collections::BTreeSet;

/// DynamoDB's limits on one `TransactWriteItems` request.
pub(super) const MAX_ITEMS: usize = 100;
/// What a ledger transaction may hold: one item is kept for the fence check.
const ROW_ITEMS: usize = MAX_ITEMS - 1;
pub(super) const MAX_BYTES: usize = 4 * 1024 * 1024;

/// What one unit needs in a transaction: its row's size and the aggregates it touches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Need {
    pub bytes: usize,
    /// Indices into the aggregate sizes.
    pub aggs: Vec<usize>,
}

/// Consecutive units grouped greedily; a group is closed when the next unit
/// would push it past either limit. Units are never split or reordered.
pub(super) fn group(units: &[Need], agg_bytes: &[usize]) -> Vec<Vec<usize>> {
    let mut groups = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut aggs: BTreeSet<usize> = BTreeSet::new();
    let mut bytes = 0usize;
    for (i, unit) in units.iter().enumerate() {
        let (more_items, more_bytes) = extra(unit, &aggs, agg_bytes);
        let items = current.len() + aggs.len() + more_items;
        if !current.is_empty() && (items > ROW_ITEMS || bytes + more_bytes > MAX_BYTES) {
            groups.push(std::mem::take(&mut current));
            aggs.clear();
            bytes = extra(unit, &aggs, agg_bytes).1;
        } else {
            bytes += more_bytes;
        }
        aggs.extend(unit.aggs.iter().copied());
        current.push(i);
    }
    if !current.is_empty() {
        groups.push(current);
    }
    groups
}

/// Items and bytes `unit` adds to a group that already holds `aggs`.
fn extra(unit: &Need, aggs: &BTreeSet<usize>, agg_bytes: &[usize]) -> (usize, usize) {
    let fresh: Vec<usize> = unit.aggs.iter().copied().filter(|a| !aggs.contains(a)).collect();
    let bytes = fresh.iter().map(|a| agg_bytes.get(*a).copied().unwrap_or(0)).sum::<usize>();
    (1 + fresh.len(), unit.bytes + bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(aggs: &[usize]) -> Need {
        Need { bytes: 500, aggs: aggs.to_vec() }
    }

    fn items_of(group: &[usize], units: &[Need]) -> usize {
        let aggs: BTreeSet<usize> = group.iter().flat_map(|u| units[*u].aggs.iter().copied()).collect();
        group.len() + aggs.len()
    }

    #[test]
    fn groups_share_aggregates_and_leave_a_slot_for_the_fence() {
        // One model ID, two hours: total 0, day 1, hours 2 and 3; 150 minutes.
        let units: Vec<Need> = (0..150).map(|m| unit(&[0, 1, if m < 60 { 2 } else { 3 }])).collect();
        let groups = group(&units, &[300, 300, 300, 300]);
        assert_eq!(groups.iter().map(Vec::len).collect::<Vec<_>>(), vec![95, 55]);
        for g in &groups {
            assert!(items_of(g, &units) < MAX_ITEMS, "one of 100 items is the fence check");
        }
        let flat: Vec<usize> = groups.concat();
        assert_eq!(flat, (0..150).collect::<Vec<_>>(), "every unit once, in order");
    }

    #[test]
    fn interleaved_model_ids_still_fit() {
        // Ten model IDs per minute, each with its own three aggregates.
        let units: Vec<Need> =
            (0..100).map(|i| unit(&[3 * (i % 10), 3 * (i % 10) + 1, 3 * (i % 10) + 2])).collect();
        let groups = group(&units, &[100; 30]);
        assert_eq!(groups[0].len(), 69);
        assert!(groups.iter().all(|g| items_of(g, &units) < MAX_ITEMS));
    }

    #[test]
    fn the_byte_limit_closes_a_group_too() {
        let big = Need { bytes: 300 * 1024, aggs: vec![0] };
        let units = vec![big.clone(); 30];
        let groups = group(&units, &[1024]);
        assert!(groups.iter().all(|g| g.len() * 300 * 1024 + 1024 <= MAX_BYTES));
        assert_eq!(groups.concat().len(), 30);
        assert!(group(&[], &[]).is_empty());
    }
}
