//! The dispatcher: claim, then publish, then record. The outbox in the store
//! makes it exactly-once end to end, up to what SNS itself allows:
//!
//! 1. `raise` claims each message under its dedupe key (a conditional
//!    insert): only one process, once, wins a key, however many replicas or
//!    restarts evaluate the same crossing.
//! 2. `flush` locks each due entry (a conditional write: one publisher at a
//!    time, even when two flushes or two replicas overlap), makes exactly one
//!    attempt (the SNS client never retries inside a call), and records its
//!    outcome: published; failed, with the entry backing off (see `retry`);
//!    or parked, the dead letter, when SNS rejects the message as it is or
//!    it has used every attempt. An SNS outage delays alerts, never drops
//!    them, and entries backing off never hold back the ones behind them.
//!
//! Two windows are left where a message can reach a standard topic twice:
//! an attempt that timed out after SNS accepted it (recorded `uncertain`,
//! then retried), and a publisher stopped (crash, kill, a pause past its
//! lock) after SNS accepted a message and before the store recorded it.
//! FIFO topics close both within SNS's 5-minute deduplication interval (the
//! deduplication ID is the dedupe key, and uncertain attempts are retried
//! inside it); on standard topics every message carries the `dedupe_key`
//! attribute so subscribers can drop the repeat.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

use super::kind::AlertKind;
use super::message::AlertMessage;
use super::retry::{RetryPolicy, Verdict};
use super::sink::{AlertSink, Failure, PublishError};
use crate::ledger::{Backend, FailedAttempt, OutboxEntry, StoreError};
use crate::telemetry::SelfMetrics;

/// Due entries attempted per flush.
const FLUSH_BATCH: usize = 100;

pub struct Dispatcher {
    store: Arc<dyn Backend>,
    sink: Arc<dyn AlertSink>,
    metrics: Option<Arc<SelfMetrics>>,
    /// This replica's name on the entries it is publishing.
    holder: String,
    policy: RetryPolicy,
    /// How long a publisher holds an entry: longer than one attempt and the
    /// store write after it can take, so a live publisher never loses it,
    /// and short, so a crashed one holds its entry back only that long.
    lock_for: Duration,
    /// Keys this process has already seen claimed: not asked again.
    known: Mutex<HashSet<String>>,
}

/// What a flush did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlushReport {
    pub published: usize,
    /// Attempts that failed (the entries parked by them included).
    pub failed: usize,
    /// Entries given up on in this flush.
    pub parked: usize,
    /// Due entries not attempted (the flush stopped at an outage).
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
        Dispatcher {
            store,
            sink,
            metrics,
            holder: holder.into(),
            policy: RetryPolicy::default(),
            lock_for: Duration::seconds(40),
            known: Mutex::new(HashSet::new()),
        }
    }

    /// The retry rule and the publish lock's length (see the fields).
    pub fn with_policy(mut self, policy: RetryPolicy, lock_for: Duration) -> Self {
        self.policy = policy;
        self.lock_for = lock_for;
        self
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

    /// Makes one attempt at each due entry, oldest first, until an outage or
    /// a refusing topic stops it; every outcome is recorded on the entry.
    pub async fn flush(&self, now: DateTime<Utc>) -> Result<FlushReport, StoreError> {
        let due = self.store.pending_alerts(now, FLUSH_BATCH).await?;
        let mut report = FlushReport::default();
        let mut streak = 0;
        for (i, entry) in due.iter().enumerate() {
            // Another flush (this process's or a replica's) may be sending it right now.
            if !self.store.lock_alert(&entry.dedupe_key, &self.holder, now, now + self.lock_for).await? {
                continue;
            }
            let error = match self.sink.publish(entry).await {
                Ok(()) => {
                    streak = 0;
                    self.published(entry, now, &mut report).await?;
                    continue;
                }
                Err(error) => error,
            };
            let ends_flush = self.policy.ends_flush(error.failure, streak);
            if matches!(error.failure, Failure::Transient | Failure::Uncertain) {
                streak += 1;
            }
            self.failed(entry, &error, now, &mut report).await?;
            if ends_flush {
                report.deferred = due.len() - i - 1;
                break;
            }
        }
        Ok(report)
    }

    async fn published(
        &self,
        entry: &OutboxEntry,
        now: DateTime<Utc>,
        report: &mut FlushReport,
    ) -> Result<(), StoreError> {
        self.store.mark_alert_published(&entry.dedupe_key, now).await?;
        report.published += 1;
        if let (Some(m), Some(kind)) = (&self.metrics, AlertKind::from_name(&entry.kind)) {
            m.alert_published(kind);
        }
        tracing::info!(kind = %entry.kind, dedupe_key = %entry.dedupe_key, sink = self.sink.name(), "alert published");
        Ok(())
    }

    /// Records a failed attempt: the entry backs off, or is parked.
    async fn failed(
        &self,
        entry: &OutboxEntry,
        error: &PublishError,
        now: DateTime<Utc>,
        report: &mut FlushReport,
    ) -> Result<(), StoreError> {
        let attempts = entry.attempts.saturating_add(1);
        let kind = AlertKind::from_name(&entry.kind);
        if let (Some(m), Some(kind)) = (&self.metrics, kind) {
            m.delivery.failed(kind, error.failure);
        }
        report.failed += 1;
        report.errors.push(error.message.clone());
        let failure = error.failure.as_str();
        match self.policy.after(error.failure, attempts, self.sink.drops_repeats(), now) {
            Verdict::Retry { at } => {
                let uncertain = error.failure == Failure::Uncertain;
                let attempt = FailedAttempt { error: &error.message, retry_at: at, uncertain };
                self.store.mark_alert_failed(&entry.dedupe_key, &attempt).await?;
                tracing::warn!(kind = %entry.kind, dedupe_key = %entry.dedupe_key, attempts, failure,
                    retry_at = %at, error = %error, "alert publish failed; it stays pending");
            }
            Verdict::Park => {
                if self.store.park_alert(&entry.dedupe_key, &error.message, now).await? {
                    report.parked += 1;
                    if let (Some(m), Some(kind)) = (&self.metrics, kind) {
                        m.delivery.parked(kind);
                    }
                }
                tracing::error!(kind = %entry.kind, dedupe_key = %entry.dedupe_key, attempts, failure,
                    error = %error, "alert parked: it will not be published (see report --alerts)");
            }
        }
        Ok(())
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

    #[tokio::test]
    async fn a_crashed_publishers_lock_holds_its_alert_back_only_until_it_expires() {
        let store: Arc<dyn Backend> = Arc::new(SqliteStore::open_in_memory().unwrap());
        let sink = Arc::new(SlowSink::default());
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
        let lock = chrono::Duration::seconds(40);
        let d = Dispatcher::new(store.clone(), sink.clone(), None, "new")
            .with_policy(RetryPolicy::default(), lock);
        let claimed = d.raise(vec![ops::unpriced_model("us-east-1", "m", now)]).await.unwrap();
        // Another process locked it, then died before publishing.
        assert!(store.lock_alert(&claimed[0], "crashed", now, now + lock).await.unwrap());
        assert_eq!(d.flush(now + chrono::Duration::seconds(39)).await.unwrap().published, 0);
        assert_eq!(d.flush(now + lock).await.unwrap().published, 1, "taken over when the lock runs out");
        assert_eq!(sink.0.load(Ordering::SeqCst), 1);
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
        assert!(store.pending_alerts(now, 10).await.unwrap().is_empty());
    }
}
