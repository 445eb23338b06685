//! Leadership: this replica's hold on the lease in the shared store, renewed
//! every third of its length. Only the holder polls AWS, evaluates budgets
//! and publishes; the others serve from the store and take over within two
//! lease periods when the holder stops renewing.
//!
//! With SQLite (one file, one process) the lease is trivially held: no
//! store round-trips, and a restart after a crash does not wait for the
//! dead process's lease to expire. A store error
//! while renewing counts as losing the lease: two pollers would cost money
//! twice, a short pause costs nothing (the next leader catches up from the
//! watermark).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::TimeDelta;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::ledger::Backend;
use crate::scheduler::{Completed, Job, JobError, JobName};
use crate::telemetry::{Readiness, Role, SelfMetrics};

/// The lease's name in the store.
pub const LEASE: &str = "collector";

pub struct Leadership {
    pub holder: String,
    /// Always the leader (the SQLite store: one process).
    unshared_store: bool,
    ttl: TimeDelta,
    leader: AtomicBool,
    store: Arc<dyn Backend>,
    clock: Arc<dyn Clock>,
    metrics: Arc<SelfMetrics>,
    readiness: Arc<Readiness>,
}

impl Leadership {
    pub fn new(
        holder: String,
        unshared_store: bool,
        ttl: Duration,
        store: Arc<dyn Backend>,
        clock: Arc<dyn Clock>,
        metrics: Arc<SelfMetrics>,
        readiness: Arc<Readiness>,
    ) -> Self {
        let ttl = TimeDelta::from_std(ttl).unwrap_or(TimeDelta::seconds(30));
        Leadership {
            holder,
            unshared_store,
            ttl,
            leader: AtomicBool::new(false),
            store,
            clock,
            metrics,
            readiness,
        }
    }

    pub fn is_leader(&self) -> bool {
        self.leader.load(Ordering::SeqCst)
    }

    /// One acquire-or-renew; returns whether this replica holds the lease now.
    pub async fn renew(&self) -> bool {
        let now = self.clock.now();
        if self.unshared_store {
            self.leader.store(true, Ordering::SeqCst);
            self.metrics.set_leader(true);
            self.readiness.set_role(Role::Leader, now);
            return true;
        }
        let held = match self.store.acquire_lease(LEASE, &self.holder, now, self.ttl).await {
            Ok(lease) => lease.held_by(&self.holder, now),
            Err(e) => {
                tracing::error!(error = %e, "cannot renew the leader lease; standing by until the store answers");
                false
            }
        };
        let was = self.leader.swap(held, Ordering::SeqCst);
        if was != held {
            tracing::info!(holder = %self.holder, leader = held, "leadership changed");
        }
        self.metrics.set_leader(held);
        self.readiness.set_role(if held { Role::Leader } else { Role::Follower }, now);
        held
    }

    /// Renews until `shutdown`, then releases the lease so a follower can
    /// take over at once instead of waiting for it to expire.
    pub async fn keep(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        if self.unshared_store {
            return;
        }
        let every = self.ttl.to_std().map_or(Duration::from_secs(10), crate::config::types::renew_every);
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.wait_for(|s| *s) => break,
            }
            self.renew().await;
        }
        if self.leader.swap(false, Ordering::SeqCst) {
            if let Err(e) = self.store.release_lease(LEASE, &self.holder).await {
                tracing::warn!(error = %e, "cannot release the leader lease; it expires by itself");
            }
            self.metrics.set_leader(false);
        }
    }
}

/// This replica's default name in the lease: the hostname, which is unique
/// per ECS task (awsvpc) and survives a container restart inside the task,
/// so a restarted sidecar takes its own lease back at once.
pub fn default_holder() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| format!("replica-{}", std::process::id()))
}

/// Runs `inner` only while this replica holds the lease.
pub struct LeaderOnly {
    pub inner: Arc<dyn Job>,
    pub leadership: Arc<Leadership>,
}

#[async_trait]
impl Job for LeaderOnly {
    fn name(&self) -> JobName {
        self.inner.name()
    }

    async fn run_once(&self) -> Result<Completed, JobError> {
        if !self.leadership.is_leader() {
            return Ok(Completed::Standby);
        }
        self.inner.run_once().await
    }
}
