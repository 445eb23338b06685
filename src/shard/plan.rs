//! Which shards this replica should hold, given what the shared table says
//! now: the shard leases (holder, expiry) and the live members (replicas
//! whose membership heartbeat has not expired).
//!
//! The rule: every live replica's fair share is `ceil(shards / live
//! members)`. A replica takes free or expired shards up to its share and
//! gives up what it holds beyond it, so a new member finds shards freed by
//! the others and a dead member's shards, once their leases expire, go to
//! whoever is below its share. The leases themselves (conditional writes)
//! decide who actually gets a shard; this plan only says what to ask for.
//!
//! Replicas prefer different shards (rendezvous hashing of holder and key:
//! each shard has one most-preferring live member), so they seldom race for
//! the same one, and a shard tends to go back to the same replica.
//!
//! Pure: owns the rule. Must not do I/O or read the clock (`now` is passed).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// One shard's lease as the table holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holding {
    pub holder: String,
    pub expires_at: DateTime<Utc>,
}

/// What the plan is made from.
#[derive(Clone, Debug)]
pub struct View<'a> {
    /// This replica's holder ID.
    pub me: &'a str,
    /// Every shard key the configuration monitors.
    pub shards: &'a [String],
    /// The lease of each shard that has one, by shard key.
    pub leases: &'a BTreeMap<String, Holding>,
    /// The holders with an unexpired membership heartbeat (`me` counts
    /// whether listed or not: it is about to renew its own).
    pub members: &'a BTreeSet<String>,
    pub now: DateTime<Utc>,
}

/// What to ask the table for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Held and kept: renew these.
    pub keep: Vec<String>,
    /// Free or expired, within the fair share: try to acquire these.
    pub take: Vec<String>,
    /// Held beyond the fair share: release these.
    pub release: Vec<String>,
    /// The fair share the plan was made with.
    pub fair_share: usize,
}

/// How much `holder` prefers `key`: a stable 64-bit hash of both (the same
/// on every replica and every build, unlike `std`'s hasher).
pub fn score(holder: &str, key: &str) -> u64 {
    let digest = Sha256::new().chain_update(holder).chain_update([0]).chain_update(key).finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// The live member that prefers `key` most (ties: the smaller holder ID).
fn favourite<'a>(members: &'a BTreeSet<String>, key: &str) -> Option<&'a str> {
    members.iter().max_by(|a, b| score(a, key).cmp(&score(b, key)).then(b.cmp(a))).map(String::as_str)
}

/// `me`'s order of preference over `keys`: first the shards whose favourite
/// live member is `me`, then the rest, each by `me`'s score (ties by key).
fn by_preference(me: &str, members: &BTreeSet<String>, mut keys: Vec<String>) -> Vec<String> {
    keys.sort_by_cached_key(|k| {
        let mine = favourite(members, k) == Some(me);
        (std::cmp::Reverse((mine, score(me, k))), k.clone())
    });
    keys
}

impl View<'_> {
    pub fn plan(&self) -> Plan {
        let mut members = self.members.clone();
        members.insert(self.me.to_string());
        let fair_share = self.shards.len().div_ceil(members.len());
        let live = |h: &Holding| self.now < h.expires_at;
        let (mut held, mut free) = (Vec::new(), Vec::new());
        for key in self.shards {
            match self.leases.get(key) {
                Some(h) if live(h) && h.holder == self.me => held.push(key.clone()),
                Some(h) if live(h) => {}
                _ => free.push(key.clone()),
            }
        }
        let mut keep = by_preference(self.me, &members, held);
        let release = keep.split_off(fair_share.min(keep.len()));
        let room = fair_share.saturating_sub(keep.len());
        let mut take = by_preference(self.me, &members, free);
        take.truncate(room);
        Plan { keep, take, release, fair_share }
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
