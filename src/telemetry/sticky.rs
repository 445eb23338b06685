//! Bounded label sets that never shrink while the process runs: the top
//! spenders keep their own label, every other value is summed into `other`,
//! and a value once kept stays kept. Re-ranking on every scrape would move a
//! value in and out of `other`, and a counter that drops is read by
//! `rate()` / `increase()` as a reset: false spikes. A set saved by an
//! earlier process can seed the next one ([`restore`]), so a restart does not
//! re-rank either. Pure.

use std::collections::{BTreeMap, BTreeSet};

/// Adds the best `ranked` values not kept yet (highest rank first, then by
/// name) until `cap` are kept; never removes one.
pub fn keep_best<R: Ord>(kept: &mut BTreeSet<String>, ranked: Vec<(String, R)>, cap: usize) {
    if kept.len() >= cap {
        return;
    }
    let mut fresh: Vec<(String, R)> = ranked.into_iter().filter(|(v, _)| !kept.contains(v)).collect();
    fresh.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let room = cap - kept.len();
    kept.extend(fresh.into_iter().take(room).map(|(v, _)| v));
}

/// The kept set a process starts from, given the one an earlier process
/// saved: all of it while it fits `cap`; after the cap was lowered, its best
/// `cap` values by `rank` (the others move to `other` once, a step the
/// operator asked for).
pub fn restore<R: Ord + Clone + Default>(
    saved: BTreeSet<String>,
    rank: &BTreeMap<String, R>,
    cap: usize,
) -> BTreeSet<String> {
    if saved.len() <= cap {
        return saved;
    }
    let ranked = saved.into_iter().map(|v| {
        let r = rank.get(&v).cloned().unwrap_or_default();
        (v, r)
    });
    let mut kept = BTreeSet::new();
    keep_best(&mut kept, ranked.collect(), cap);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_first_until_full_then_never_changes() {
        let mut kept = BTreeSet::new();
        keep_best(&mut kept, vec![("a".into(), 1), ("b".into(), 5)], 3);
        assert_eq!(kept, BTreeSet::from(["a".to_string(), "b".to_string()]));
        keep_best(&mut kept, vec![("c".into(), 9), ("d".into(), 10)], 3);
        assert_eq!(kept, BTreeSet::from(["a".to_string(), "b".to_string(), "d".to_string()]));
        keep_best(&mut kept, vec![("e".into(), 100)], 3);
        assert!(!kept.contains("e"), "full: a newcomer goes to `other`");
    }

    #[test]
    fn a_saved_set_is_kept_whole_unless_the_cap_was_lowered() {
        let saved = BTreeSet::from(["a".to_string(), "b".to_string(), "c".to_string()]);
        let rank = BTreeMap::from([("a".to_string(), 1), ("b".to_string(), 9), ("z".to_string(), 99)]);
        assert_eq!(restore(saved.clone(), &rank, 3), saved, "a value no longer ranked stays too");
        assert_eq!(restore(saved.clone(), &rank, 5), saved, "room left is filled later, by keep_best");
        let lowered = restore(saved, &rank, 2);
        assert_eq!(lowered, BTreeSet::from(["a".to_string(), "b".to_string()]), "best two of the saved");
    }
}
