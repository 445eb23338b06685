//! The dispatcher: claim, then publish, then record. The outbox in the store
//! makes it exactly-once end to end:
//!
//! 1. `raise` claims each message under its dedupe key (a conditional
//!    insert): only one process, once, wins a key, however many replicas or
//!    restarts evaluate the same crossing.
//! 2. `flush` locks each pending entry (a conditional write: one publisher
//!    at a time, even when two flushes or two replicas overlap), publishes it,
//!    oldest first, and marks it published. A failed publish is counted on the
//!    entry, unlocks it and leaves it pending for the next cycle: an SNS outage
//!    delays alerts, never drops them.
//!
//! The one window left is a crash after SNS accepted a message and before
//! the store recorded it: that message is sent again on restart. FIFO topics
//! close it (the deduplication ID is the dedupe key, dropped by SNS within
//! 5 minutes); on standard topics subscribers can use the body's `dedupe_key`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};

use super::kind::AlertKind;
use super::message::AlertMessage;
use super::sink::AlertSink;
use crate::ledger::{Backend, StoreError};
use crate::telemetry::SelfMetrics;

/// Pending entries published per flush.
const FLUSH_BATCH: usize = 100;
/// Consecutive failures after which a flush gives up until the next cycle.
const GIVE_UP_AFTER: usize = 3;
/// How long a publisher holds an entry; a crashed one's lock expires after this.
const PUBLISH_LOCK_SECS: i64 = 120;

pub struct Dispatcher {
    store: Arc<dyn Backend>,
    sink: Arc<dyn AlertSink>,
    metrics: Option<Arc<SelfMetrics>>,
    /// This replica's name on the entries it is publishing.
    holder: String,
    /// Keys this process has already seen claimed: not asked again.
    known: Mutex<HashSet<String>>,
}

/// What a flush did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlushReport {
    pub published: usize,
    pub failed: usize,
    /// Pending entries not attempted (after repeated failures).
    pub deferred: usize,
    pub errors: Vec<String>,
}

impl Dispatcher {
    pub fn new(
        store: Arc<dyn Backend>,
        sink: Arc<dyn AlertSink>,
        metrics: Option<Arc<SelfMetrics>>,
        holder: impl Into<String>,
    ) -> Self {
        Dispatcher { store, sink, metrics, holder: holder.into(), known: Mutex::new(HashSet::new()) }
    }

    pub fn sink_name(&self) -> &'static str {
        self.sink.name()
    }

    fn known(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // Only a cache of keys: a poisoned one is still correct (the store decides).
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Claims each message not claimed before; returns the keys claimed now.
    pub async fn raise(&self, messages: Vec<AlertMessage>) -> Result<Vec<String>, StoreError> {
        let mut claimed = Vec::new();
        for (i, m) in messages.into_iter().enumerate() {
            if self.known().contains(&m.dedupe_key) {
                continue;
            }
            let mut entry = m.into_entry();
            // The outbox publishes oldest first; messages raised together keep
            // their order (50 % before 80 % before 100 %) by a nanosecond each.
            entry.created_at += chrono::Duration::nanoseconds(i64::try_from(i).unwrap_or(i64::MAX));
            let won = self.store.claim_alert(&entry).await?;
            self.known().insert(entry.dedupe_key.clone());
            if won {
                tracing::info!(kind = %entry.kind, dedupe_key = %entry.dedupe_key, "alert claimed");
                claimed.push(entry.dedupe_key);
            }
        }
        Ok(claimed)
    }

    /// Publishes pending entries; failures stay pending.
    pub async fn flush(&self, now: DateTime<Utc>) -> Result<FlushReport, StoreError> {
        let pending = self.store.pending_alerts(FLUSH_BATCH).await?;
        let mut report = FlushReport::default();
        let mut streak = 0;
        for (i, entry) in pending.iter().enumerate() {
            if streak >= GIVE_UP_AFTER {
                report.deferred = pending.len() - i;
                break;
            }
            // Another flush (this process's or a replica's) may be sending it right now.
            let until = now + chrono::Duration::seconds(PUBLISH_LOCK_SECS);
            if !self.store.lock_alert(&entry.dedupe_key, &self.holder, now, until).await? {
                continue;
            }
            match self.sink.publish(entry).await {
                Ok(()) => {
                    streak = 0;
                    self.store.mark_alert_published(&entry.dedupe_key, now).await?;
                    report.published += 1;
                    if let (Some(m), Some(kind)) = (&self.metrics, AlertKind::from_name(&entry.kind)) {
                        m.alert_published(kind);
                    }
                    tracing::info!(kind = %entry.kind, dedupe_key = %entry.dedupe_key, sink = self.sink.name(), "alert published");
                }
                Err(e) => {
                    streak += 1;
                    self.store.mark_alert_failed(&entry.dedupe_key, &e.0).await?;
                    report.failed += 1;
                    tracing::warn!(kind = %entry.kind, dedupe_key = %entry.dedupe_key, attempts = entry.attempts + 1,
                        error = %e, "alert publish failed; it stays pending and is retried next cycle");
                    report.errors.push(e.0);
                }
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::disallowed_methods, reason = "tests flush from concurrent tasks, as replicas would")]
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;
    use chrono::TimeZone;

    use super::*;
    use crate::alerts::ops;
    use crate::alerts::sink::PublishError;
    use crate::ledger::sqlite::SqliteStore;
    use crate::ledger::OutboxEntry;

    /// Counts publishes and takes a while, so overlapping flushes really overlap.
    #[derive(Default)]
    struct SlowSink(AtomicUsize);

    #[async_trait]
    impl AlertSink for SlowSink {
        fn name(&self) -> &'static str {
            "slow"
        }
        async fn publish(&self, _: &OutboxEntry) -> Result<(), PublishError> {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn overlapping_flushes_publish_each_alert_once() {
        let store: Arc<dyn Backend> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let sink = Arc::new(SlowSink::default());
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
        // Two processes (say, the old and the new leader) on one store.
        let a = Arc::new(Dispatcher::new(store.clone(), sink.clone(), None, "a"));
        let b = Arc::new(Dispatcher::new(store.clone(), sink.clone(), None, "b"));
        let messages = (0..5).map(|i| ops::unpriced_model("us-east-1", &format!("m{i}"), now)).collect();
        assert_eq!(a.raise(messages).await.unwrap().len(), 5);
        let flushes: Vec<_> = [a.clone(), b.clone(), a, b]
            .into_iter()
            .map(|d| tokio::spawn(async move { d.flush(now).await.unwrap().published }))
            .collect();
        let mut published = 0;
        for f in flushes {
            published += f.await.unwrap();
        }
        assert_eq!((published, sink.0.load(Ordering::SeqCst)), (5, 5), "each of the five sent once");
        assert!(store.pending_alerts(10).await.unwrap().is_empty());
    }
}
