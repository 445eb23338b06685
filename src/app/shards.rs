//! Shared shards (`[replicas] share_shards`, DynamoDB): this replica's
//! rounds of membership heartbeat, plan and shard leases, every third of a
//! lease, and the job wrapper that runs collection only on owned shards.
//!
//! A round: renew the membership heartbeat (a lease named
//! `member:<holder>`, so the others count this replica), read every lease
//! in one Query, plan (`shard::plan`: fair share, rendezvous order), release
//! what is beyond the share, acquire or renew the rest, and fence each
//! shard held by its epoch. The owned set the jobs read is replaced at the
//! end, vouched for as long as the leases' renewal can (the leader flag's
//! rule: five sixths of the lease on the monotonic clock). A shard whose
//! write was refused by its fence is dropped at once.
//!
//! Must not collect or decide anything but which shards to ask for.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::TimeDelta;
use tokio::sync::watch;

use super::Components;
use crate::clock::Clock;
use crate::config::{CronSchedule, Loaded, StoreKind};
use crate::ledger::{member_lease, shard_lease, Backend, Fence, MEMBER_LEASE_PREFIX, SHARD_LEASE_PREFIX};
use crate::scheduler::{Completed, Job, JobError, JobName, ScheduledJob};
use crate::shard::plan::{Holding, View};
use crate::shard::OwnedShards;
use crate::telemetry::{Role, SelfMetrics};

/// A replica whose heartbeat stopped this long ago is deleted from the
/// table (a day: long past any pause, and the LEASE partition stays one
/// read unit however often tasks restart).
const FORGET_AFTER_DAYS: i64 = 1;

pub struct ShardKeeper {
    pub holder: String,
    /// Every shard key the configuration monitors.
    keys: Vec<String>,
    ttl: TimeDelta,
    store: Arc<dyn Backend>,
    clock: Arc<dyn Clock>,
    metrics: Arc<SelfMetrics>,
    /// What the collection jobs read.
    pub owned: Arc<OwnedShards>,
}

impl ShardKeeper {
    pub fn new(
        holder: String,
        keys: Vec<String>,
        ttl: Duration,
        store: Arc<dyn Backend>,
        clock: Arc<dyn Clock>,
        metrics: Arc<SelfMetrics>,
    ) -> Self {
        let ttl = TimeDelta::from_std(ttl).unwrap_or(TimeDelta::seconds(30));
        ShardKeeper { holder, keys, ttl, store, clock, metrics, owned: Arc::default() }
    }

    fn lease_len(&self) -> Duration {
        self.ttl.to_std().unwrap_or(Duration::from_secs(30))
    }

    /// One round; returns the shards held afterwards. A store error leaves
    /// the owned set to lapse on its own (the leases may be gone by then).
    pub async fn round(&self) -> BTreeSet<String> {
        let asked = tokio::time::Instant::now();
        match tokio::time::timeout(crate::config::types::renew_every(self.lease_len()), self.try_round())
            .await
        {
            Ok(Ok(held)) => {
                let len = self.lease_len();
                let changed = self.owned.replace(held.clone(), asked + (len - len / 6));
                if changed {
                    tracing::info!(holder = %self.holder, shards = ?held, count = held.len(), "shards owned changed");
                }
                self.metrics.set_shards_owned(held.len());
                held
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, "cannot renew the shard leases; their collection stops when they lapse");
                self.owned.current()
            }
            Err(_) => {
                tracing::error!(
                    "renewing the shard leases timed out; their collection stops when they lapse"
                );
                self.owned.current()
            }
        }
    }

    async fn try_round(&self) -> Result<BTreeSet<String>, crate::ledger::StoreError> {
        let now = self.clock.now();
        self.store.acquire_lease(&member_lease(&self.holder), &self.holder, now, self.ttl).await?;
        let (mut leases, mut members) = (BTreeMap::new(), BTreeSet::new());
        for (name, lease) in self.store.leases().await? {
            if let Some(key) = name.strip_prefix(SHARD_LEASE_PREFIX) {
                let mut holding = Holding { holder: lease.holder, expires_at: lease.expires_at };
                // A shard whose write this replica's fence refused is not
                // ours, whatever the lease read a moment ago said.
                if holding.holder == self.holder && self.store.fenced_out_of(&name) {
                    holding.expires_at = now;
                }
                leases.insert(key.to_string(), holding);
            } else if let Some(member) = name.strip_prefix(MEMBER_LEASE_PREFIX) {
                if lease.held_by(member, now) {
                    members.insert(member.to_string());
                } else if lease.expires_at < now - TimeDelta::days(FORGET_AFTER_DAYS) {
                    self.store.forget_member(member, now - TimeDelta::days(FORGET_AFTER_DAYS)).await?;
                }
            }
        }
        let plan =
            View { me: &self.holder, shards: &self.keys, leases: &leases, members: &members, now }.plan();
        self.owned.remove(&plan.release);
        for key in &plan.release {
            self.store.release_lease(&shard_lease(key), &self.holder).await?;
        }
        let mut held = BTreeSet::new();
        for key in plan.keep.iter().chain(&plan.take) {
            let name = shard_lease(key);
            let lease = self.store.acquire_lease(&name, &self.holder, now, self.ttl).await?;
            if lease.held_by(&self.holder, now) {
                self.store.set_fence(Fence { lease: name, holder: self.holder.clone(), epoch: lease.epoch });
                held.insert(key.clone());
            }
        }
        Ok(held)
    }

    /// Rounds every third of the lease until `release` turns true, then
    /// gives every shard and the membership up, so the others take over at
    /// once instead of waiting for expiry.
    pub async fn keep(self: Arc<Self>, mut release: watch::Receiver<bool>) {
        let every = crate::config::types::renew_every(self.lease_len());
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = release.wait_for(|s| *s) => break,
            }
            self.round().await;
        }
        let held = self.owned.current();
        self.owned.clear();
        self.metrics.set_shards_owned(0);
        for name in held.iter().map(|k| shard_lease(k)).chain([member_lease(&self.holder)]) {
            if let Err(e) = self.store.release_lease(&name, &self.holder).await {
                tracing::warn!(error = %e, lease = %name, "cannot release a lease; it expires by itself");
            }
        }
    }
}

/// Runs `inner` while this replica owns at least one shard (the job itself
/// collects only those) or coordinates (its run's tail evaluates budgets
/// and judges CloudTrail spikes over every shard, even with none owned).
pub struct ShardOwnerOnly {
    pub inner: Arc<dyn Job>,
    pub owned: Arc<OwnedShards>,
    pub leadership: Arc<super::leader::Leadership>,
}

#[async_trait]
impl Job for ShardOwnerOnly {
    fn name(&self) -> JobName {
        self.inner.name()
    }

    async fn run_once(&self) -> Result<Completed, JobError> {
        // Nothing owned, nothing to collect: a success, so a replica the
        // others leave no shard to (more replicas than shards) stays ready.
        if self.owned.current().is_empty() && !self.leadership.is_leader() {
            return Ok(Completed::Done);
        }
        self.inner.run_once().await
    }
}

/// The keeper, when replicas share shards: the option is on and the store
/// is the shared DynamoDB table (with SQLite one process holds every shard).
pub(super) fn keeper(
    loaded: &Loaded,
    holder: &str,
    keys: Vec<String>,
    store: &Arc<dyn Backend>,
    clock: &Arc<dyn Clock>,
    metrics: &Arc<SelfMetrics>,
) -> Option<Arc<ShardKeeper>> {
    let config = &loaded.config;
    (config.replicas.share_shards && config.store.kind == StoreKind::Dynamodb).then(|| {
        Arc::new(ShardKeeper::new(
            holder.to_string(),
            keys,
            config.replicas.lease(),
            store.clone(),
            clock.clone(),
            metrics.clone(),
        ))
    })
}

impl Components {
    /// A usage collection job, scheduled: on the leader over every shard,
    /// or (shared shards) on every replica over the shards it owns, counted
    /// by readiness in either role.
    pub(super) fn schedule_collection(
        &self,
        job: Arc<dyn Job>,
        schedule: &CronSchedule,
        loaded: &Loaded,
    ) -> ScheduledJob {
        let Some(keeper) = &self.shards else {
            return self.schedule(job, schedule, Role::Leader, loaded);
        };
        let tz = loaded.config.monitor.timezone.0;
        let every = super::build::interval(schedule, tz, self.clock.now());
        self.readiness.add_role_job(job.name(), true, every, None);
        ScheduledJob {
            job: Arc::new(ShardOwnerOnly {
                inner: job,
                owned: keeper.owned.clone(),
                leadership: self.leadership.clone(),
            }),
            schedule: schedule.clone(),
            run_at_start: true,
            wake: None,
        }
    }
}
