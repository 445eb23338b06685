//! Leadership: this replica's hold on the lease in the shared store, renewed
//! every third of its length. Only the holder polls AWS, evaluates budgets
//! and publishes; the others serve from the store and take over within two
//! lease periods when the holder stops renewing.
//!
//! With SQLite (one file, one process) the lease is trivially held: no
//! store round-trips, and a restart after a crash does not wait for the
//! dead process's lease to expire. A store error or a renewal slower than a
//! third of the lease counts as losing the lease: two pollers would cost
//! money twice, a short pause costs nothing (the next leader catches up from
//! the watermark). And the flag expires by itself, on this process's
//! monotonic clock, once the last renewal can no longer vouch for the lease
//! (its expiry, less a margin for the other hosts' clocks): a process frozen
//! past its lease does not wake up believing it still leads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use chrono::TimeDelta;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::ledger::{Backend, Fence};
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
    /// When the last successful renewal stops vouching for the lease, on the
    /// monotonic clock (wall clocks of two hosts can disagree; this one
    /// cannot jump).
    held_until: Mutex<Option<tokio::time::Instant>>,
    store: Arc<dyn Backend>,
    clock: Arc<dyn Clock>,
    metrics: Arc<SelfMetrics>,
    readiness: Arc<Readiness>,
    /// SHA-256 of the price table this replica prices with, recorded in the
    /// store each time it takes the lead (`reprice::table_in_use`).
    table_sha256: Option<String>,
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
            held_until: Mutex::new(None),
            store,
            clock,
            metrics,
            readiness,
            table_sha256: None,
        }
    }

    /// Records `sha256` as the leader's price table whenever this replica takes the lead.
    pub fn pricing_with(mut self, sha256: String) -> Self {
        self.table_sha256 = Some(sha256);
        self
    }

    /// Tells the store which price table the new leader prices with, so a
    /// re-price with another table is refused while it runs. A failure is
    /// logged: it costs only that check.
    async fn took_the_lead(&self, now: chrono::DateTime<chrono::Utc>) {
        let Some(sha256) = &self.table_sha256 else { return };
        if let Err(e) =
            crate::reprice::table_in_use::record(self.store.as_ref(), sha256, &self.holder, now).await
        {
            tracing::warn!(error = %e, "cannot record the price table in use; `reprice` cannot check it");
        }
    }

    pub fn is_leader(&self) -> bool {
        if self.unshared_store {
            return self.leader.load(Ordering::SeqCst);
        }
        let until = *self.held_until.lock().unwrap_or_else(PoisonError::into_inner);
        // A write refused by the fence proves the lease has moved on.
        self.leader.load(Ordering::SeqCst)
            && until.is_some_and(|u| tokio::time::Instant::now() < u)
            && !self.store.fenced_out()
    }

    /// How long a renewal vouches for the lease on this host: its length,
    /// less a sixth for the other hosts' clocks (which judge its expiry).
    fn vouched(&self) -> Duration {
        let ttl = self.ttl.to_std().unwrap_or(Duration::from_secs(30));
        ttl - ttl / 6
    }

    /// One acquire-or-renew; returns whether this replica holds the lease now.
    pub async fn renew(&self) -> bool {
        let now = self.clock.now();
        if self.unshared_store {
            if !self.leader.swap(true, Ordering::SeqCst) {
                self.took_the_lead(now).await;
            }
            self.metrics.set_leader(true);
            self.readiness.set_role(Role::Leader, now);
            return true;
        }
        let asked = tokio::time::Instant::now();
        // A renewal slower than a third of the lease is no renewal.
        let limit = self.ttl.to_std().map_or(Duration::from_secs(10), crate::config::types::renew_every);
        let answer =
            tokio::time::timeout(limit, self.store.acquire_lease(LEASE, &self.holder, now, self.ttl)).await;
        let held = match answer {
            Ok(Ok(lease)) if lease.held_by(&self.holder, now) => {
                // Every leader-only write from now on is made under this epoch.
                let fence =
                    Fence { lease: LEASE.to_string(), holder: self.holder.clone(), epoch: lease.epoch };
                self.store.set_fence(fence);
                true
            }
            Ok(Ok(_)) => false,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "cannot renew the leader lease; standing by until the store answers");
                false
            }
            Err(_) => {
                tracing::error!(after = ?limit, "renewing the leader lease timed out; standing by");
                false
            }
        };
        *self.held_until.lock().unwrap_or_else(PoisonError::into_inner) =
            held.then(|| asked + self.vouched());
        let was = self.leader.swap(held, Ordering::SeqCst);
        if was != held {
            tracing::info!(holder = %self.holder, leader = held, "leadership changed");
        }
        if held && !was {
            self.took_the_lead(now).await;
        }
        self.metrics.set_leader(held);
        self.readiness.set_role(if held { Role::Leader } else { Role::Follower }, now);
        held
    }

    /// Renews until `release` turns true, then releases the lease so a
    /// follower can take over at once instead of waiting for it to expire.
    /// The daemon turns it true when its shutdown drain has ended, not at
    /// the signal: the lease covers every write this replica still makes.
    pub async fn keep(self: Arc<Self>, mut release: watch::Receiver<bool>) {
        if self.unshared_store {
            return;
        }
        let every = self.ttl.to_std().map_or(Duration::from_secs(10), crate::config::types::renew_every);
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = release.wait_for(|s| *s) => break,
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

/// This replica's default name in the lease: unique per process, so two
/// daemons on one host never both lead (the hostname alone would be shared:
/// each would think the lease its own), and a restarted process never
/// inherits a dead one's lease: it waits for it to expire like any other
/// replica. The hostname and pid say where it runs; a random boot nonce
/// makes it unique even when a container restarts with the same pid.
pub fn default_holder() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "replica".to_string());
    format!("{host}-{}-{:08x}", std::process::id(), boot_nonce())
}

/// 32 random bits from the OS; should it refuse (Linux does not), the
/// standard library's per-process random hash keys.
fn boot_nonce() -> u32 {
    use std::hash::BuildHasher;
    getrandom::u32().unwrap_or_else(|_| {
        let hash = std::collections::hash_map::RandomState::new().hash_one(std::process::id());
        // Truncation is the point: any 32 of the 64 random bits will do.
        #[expect(clippy::cast_possible_truncation, reason = "32 random bits of 64")]
        let bits = hash as u32;
        bits
    })
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{default_holder, Leadership};
    use crate::clock::{Clock, ManualClock};
    use crate::ledger::sqlite::SqliteStore;
    use crate::reprice::table_in_use;
    use crate::telemetry::{Readiness, SelfMetrics};

    #[tokio::test]
    async fn taking_the_lead_records_the_price_table_and_the_one_before() {
        let store = Arc::new(SqliteStore::open_in_memory().unwrap());
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(chrono::DateTime::UNIX_EPOCH));
        let metrics = Arc::new(SelfMetrics::new(&prometheus::Registry::new(), clock.clone()).unwrap());
        let lead = |holder: &str, sha: &str| {
            Leadership::new(
                holder.into(),
                true,
                std::time::Duration::from_secs(30),
                store.clone(),
                clock.clone(),
                metrics.clone(),
                Arc::new(Readiness::new(clock.clone())),
            )
            .pricing_with(sha.into())
        };
        assert!(lead("first", "aaa").renew().await);
        let second = lead("second", "bbb");
        assert!(second.renew().await && second.renew().await);
        let flag = table_in_use::read(store.as_ref()).await.unwrap().unwrap();
        assert_eq!(
            (flag.sha256.as_str(), flag.holder.as_str(), flag.previous.as_deref()),
            ("bbb", "second", Some("aaa"))
        );
    }

    #[test]
    fn the_default_identity_is_unique_per_call_and_says_where_it_runs() {
        let (a, b) = (default_holder(), default_holder());
        assert_ne!(a, b, "a restarted process (same host, even the same pid) is another holder");
        let pid = format!("-{}-", std::process::id());
        for h in [&a, &b] {
            let nonce = h.rsplit('-').next().unwrap();
            assert!(h.contains(&pid) && nonce.len() == 8, "{h}");
            assert!(nonce.chars().all(|c| c.is_ascii_hexdigit()), "{h}");
        }
    }
}
