//! Bounded label sets that never shrink while the process runs: the top
//! spenders keep their own label, every other value is summed into `other`,
//! and a value once kept stays kept. Re-ranking on every scrape would move a
//! value in and out of `other`, and a counter that drops is read by
//! `rate()` / `increase()` as a reset: false spikes. Pure.

use std::collections::BTreeSet;

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
}
