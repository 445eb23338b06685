//! The shards this replica collects right now, when replicas share them:
//! written by the shard keeper after each round, read by the collection
//! jobs at the start of each run (a cheap copy under a lock).
//!
//! A round vouches for its set only until its leases could have expired
//! (on the monotonic clock, like the leader flag): a keeper that stalls
//! stops its jobs instead of polling shards another replica may have taken.
//! Owns the set and its expiry; must not take or renew leases.

use std::collections::BTreeSet;
use std::sync::{Mutex, PoisonError};

use tokio::time::Instant;

#[derive(Debug, Default)]
pub struct OwnedShards {
    inner: Mutex<(BTreeSet<String>, Option<Instant>)>,
}

impl OwnedShards {
    /// The keys owned from now until `vouched_until`; returns whether the
    /// set changed.
    pub fn replace(&self, keys: BTreeSet<String>, vouched_until: Instant) -> bool {
        let mut g = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let changed = g.0 != keys;
        *g = (keys, Some(vouched_until));
        changed
    }

    /// Stops owning `keys` at once (about to be released: a run starting
    /// now must not poll them), keeping the rest's vouching.
    pub fn remove(&self, keys: &[String]) {
        let mut g = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        g.0.retain(|k| !keys.contains(k));
    }

    /// Forgets every shard (a shutdown, or a round that could not vouch).
    pub fn clear(&self) {
        *self.inner.lock().unwrap_or_else(PoisonError::into_inner) = (BTreeSet::new(), None);
    }

    /// The keys owned now; none once the last round's vouching has lapsed.
    pub fn current(&self) -> BTreeSet<String> {
        let g = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        match g.1 {
            Some(until) if Instant::now() < until => g.0.clone(),
            _ => BTreeSet::new(),
        }
    }

    /// What a collection run reads now: every one of `keys` when replicas
    /// do not share shards (`owned` is `None`), else those owned.
    pub fn collected(owned: Option<&OwnedShards>, keys: &[String]) -> Vec<String> {
        owned.map_or_else(|| keys.to_vec(), |o| o.filter(keys))
    }

    /// `keys` kept in their order, only those owned now.
    pub fn filter(&self, keys: &[String]) -> Vec<String> {
        let owned = self.current();
        keys.iter().filter(|k| owned.contains(*k)).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_set_is_owned_only_while_its_round_vouches_for_it() {
        let owned = OwnedShards::default();
        let keys = ["eu-west-1".to_string(), "us-east-1".into(), "111122223333/us-east-1".into()];
        assert!(owned.filter(&keys).is_empty(), "nothing before the first round");
        let set: BTreeSet<String> = ["us-east-1".to_string(), "111122223333/us-east-1".into()].into();
        assert!(owned.replace(set.clone(), Instant::now() + Duration::from_secs(25)));
        assert!(!owned.replace(set, Instant::now() + Duration::from_secs(25)), "same set: no change");
        assert_eq!(owned.filter(&keys), ["us-east-1", "111122223333/us-east-1"], "in the given order");
        owned.remove(&["us-east-1".to_string()]);
        assert_eq!(owned.filter(&keys), ["111122223333/us-east-1"], "released: not polled");
        tokio::time::advance(Duration::from_secs(26)).await;
        assert!(owned.current().is_empty(), "a stalled keeper's set lapses");
    }
}
