//! The leader lease: which replica polls AWS, evaluates budgets and
//! publishes. A conditional write with an expiry, so exactly one holder at a
//! time and a dead holder is replaced once its lease runs out.
//!
//! Owns the record and the trait; must not decide when to renew (that is
//! `app::leader`).

use std::sync::atomic::{AtomicBool, Ordering};
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

impl Lease {
    pub fn held_by(&self, holder: &str, now: DateTime<Utc>) -> bool {
        self.holder == holder && now < self.expires_at
    }
}

/// The fence a store handle writes under, and whether a write was refused
/// by it since it was set; what each store keeps for `set_fence`.
#[derive(Debug, Default)]
pub struct FenceState {
    fence: Mutex<Option<Fence>>,
    refused: AtomicBool,
}

impl FenceState {
    pub fn set(&self, fence: Fence) {
        *self.fence.lock().unwrap_or_else(PoisonError::into_inner) = Some(fence);
        self.refused.store(false, Ordering::SeqCst);
    }

    pub fn get(&self) -> Option<Fence> {
        self.fence.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub fn refused(&self) -> bool {
        self.refused.load(Ordering::SeqCst)
    }

    /// Records a refusal and returns the error that says so.
    pub fn refuse(&self, f: &Fence) -> StoreError {
        self.refused.store(true, Ordering::SeqCst);
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

    /// From now on, the leader-only writes of this store handle (alert
    /// outbox, budget statuses, episode flags, watermarks) are conditional
    /// on `fence`. Never cleared: a replica that lost the lease keeps its
    /// last fence, so its late writes are refused. Without one (a single
    /// process on its own SQLite file) they are unconditional.
    fn set_fence(&self, fence: Fence);

    /// Whether a write was refused by the fence since it was last set: the
    /// lease has moved on, and this replica must stop acting as leader.
    fn fenced_out(&self) -> bool;
}
