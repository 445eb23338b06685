//! Leases: conditional writes with an expiry, so exactly one holder at a
//! time and a dead holder is replaced once its lease runs out. The
//! `collector` lease names the replica that evaluates budgets and publishes
//! (and, unless replicas share shards, polls every shard); with shared
//! shards each shard has a lease of its own (`shard:<key>`), and each
//! replica keeps a membership heartbeat (`member:<holder>`) so the others
//! know how many share the work.
//!
//! Owns the record, the names and the trait; must not decide when to renew
//! or what to take (that is `app::leader` and `app::shards`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::StoreError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub holder: String,
    pub expires_at: DateTime<Utc>,
    /// Grows by one each time the lease passes to a holding that did not
    /// have it (free, expired, or another holder's); a renewal keeps it.
    pub epoch: u64,
}

/// The lease a replica's leader-only writes are made under: the store
/// refuses them (`StoreError::Fenced`) once the lease has another holder or
/// a later epoch, so a deposed leader's late write never lands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fence {
    pub lease: String,
    pub holder: String,
    pub epoch: u64,
}

/// The lease name of a shard's collection.
pub fn shard_lease(key: &str) -> String {
    format!("{SHARD_LEASE_PREFIX}{key}")
}

/// The lease name of a replica's membership heartbeat.
pub fn member_lease(holder: &str) -> String {
    format!("{MEMBER_LEASE_PREFIX}{holder}")
}

pub const SHARD_LEASE_PREFIX: &str = "shard:";
pub const MEMBER_LEASE_PREFIX: &str = "member:";

impl Lease {
    pub fn held_by(&self, holder: &str, now: DateTime<Utc>) -> bool {
        self.holder == holder && now < self.expires_at
    }
}

/// The fences a store handle writes under, and which of them refused a
/// write since it was last set; what each store keeps for `set_fence`.
///
/// One main fence (the `collector` lease: outbox, statuses, flags, and every
/// write when shards are not shared) and one per shard this handle has held
/// (`shard:<key>`): a write that carries a shard key checks that shard's
/// fence if the handle has one, the main fence otherwise. A shard fence is
/// never dropped either, so a deposed owner's late write is refused.
#[derive(Debug, Default)]
pub struct FenceState {
    inner: Mutex<Fences>,
}

#[derive(Debug, Default)]
struct Fences {
    main: Option<Fence>,
    shards: BTreeMap<String, Fence>,
    /// Lease names whose fence refused a write since it was set.
    refused: BTreeSet<String>,
}

impl FenceState {
    fn lock(&self) -> std::sync::MutexGuard<'_, Fences> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn set(&self, fence: Fence) {
        let mut f = self.lock();
        f.refused.remove(&fence.lease);
        match fence.lease.strip_prefix(SHARD_LEASE_PREFIX) {
            Some(key) => {
                f.shards.insert(key.to_string(), fence);
            }
            None => f.main = Some(fence),
        }
    }

    /// The main fence.
    pub fn get(&self) -> Option<Fence> {
        self.lock().main.clone()
    }

    /// The fence a write of shard `key` checks: its own, else the main one.
    pub fn for_shard(&self, key: &str) -> Option<Fence> {
        let f = self.lock();
        f.shards.get(key).or(f.main.as_ref()).cloned()
    }

    /// Whether the main fence refused a write since it was set.
    pub fn refused(&self) -> bool {
        let f = self.lock();
        f.main.as_ref().is_some_and(|m| f.refused.contains(&m.lease))
    }

    /// Whether the fence of lease `name` refused a write since it was set.
    pub fn refused_lease(&self, name: &str) -> bool {
        self.lock().refused.contains(name)
    }

    /// Records a refusal and returns the error that says so.
    pub fn refuse(&self, f: &Fence) -> StoreError {
        self.lock().refused.insert(f.lease.clone());
        StoreError::Fenced { lease: f.lease.clone(), holder: f.holder.clone(), epoch: f.epoch }
    }
}

#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Takes or renews the lease `name` for `holder` until `now + ttl` if it
    /// is free, expired, or already `holder`'s; otherwise leaves it. Returns
    /// the lease as it stands afterwards, whoever holds it.
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<Lease, StoreError>;

    /// Gives the lease up if `holder` has it (a clean shutdown hands over at once).
    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError>;

    /// Deletes `holder`'s membership heartbeat if it expired before
    /// `before` (a replica long gone: every process has its own holder ID,
    /// so without this each restart would leave an item behind). Only
    /// heartbeats: a deleted lease would restart at epoch 1, and no fence
    /// may ever match twice.
    async fn forget_member(&self, holder: &str, before: DateTime<Utc>) -> Result<(), StoreError>;

    /// Every lease as stored, by name, released and expired ones included
    /// (one read: the shard keeper's view of who holds what and who is alive).
    async fn leases(&self) -> Result<Vec<(String, Lease)>, StoreError>;

    /// From now on, the leader-only writes of this store handle (alert
    /// outbox, budget statuses, episode flags, watermarks) are conditional
    /// on `fence`; a `shard:<key>` fence conditions that shard's writes
    /// instead (`FenceState`). Never cleared: a replica that lost the lease
    /// keeps its last fence, so its late writes are refused. Without one (a
    /// single process on its own SQLite file) they are unconditional.
    fn set_fence(&self, fence: Fence);

    /// Whether a write was refused by the main fence since it was last set:
    /// the lease has moved on, and this replica must stop acting as leader.
    fn fenced_out(&self) -> bool;

    /// Whether a write was refused by lease `name`'s fence since it was
    /// last set (a shard's: stop collecting that shard, nothing else).
    fn fenced_out_of(&self, name: &str) -> bool;
}
