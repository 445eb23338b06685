//! The alert outbox: every alert is claimed here, under its dedupe key,
//! before anything is published, and stays pending until a publish succeeds.
//!
//! That is what makes alerts exactly-once across restarts and replicas: the
//! claim is a conditional insert (only one process, once, gets `true`), and a
//! failed publish leaves the entry pending for the next cycle. Owns the
//! record and the trait; must not build messages or talk to SNS.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;

/// One alert message as it will be published, with its delivery state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Unique per (kind, scope, period, threshold, …): the claim key, the
    /// body's `dedupe_key` and the FIFO `MessageDeduplicationId`.
    pub dedupe_key: String,
    pub kind: String,
    pub created_at: DateTime<Utc>,
    /// SNS `Subject`: one ASCII line under 100 characters.
    pub subject: String,
    /// The JSON message body.
    pub body: String,
    /// SNS message attributes (`kind`, `severity`, `budget`).
    pub attributes: BTreeMap<String, String>,
    /// FIFO `MessageGroupId`.
    pub group_id: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// `None` while pending.
    pub published_at: Option<DateTime<Utc>>,
}

impl OutboxEntry {
    pub fn is_pending(&self) -> bool {
        self.published_at.is_none()
    }
}

#[async_trait]
pub trait Outbox: Send + Sync {
    /// Inserts the entry as pending unless its dedupe key exists. `true` when
    /// this call claimed it; `false` when it was claimed before (by anyone).
    async fn claim_alert(&self, entry: &OutboxEntry) -> Result<bool, StoreError>;

    /// Takes the right to publish a pending entry until `until`: true for
    /// one caller at a time, across processes, so two flushes never send the
    /// same entry. Publishing or a recorded failure ends the lock; a crashed
    /// publisher's lock expires.
    async fn lock_alert(
        &self,
        dedupe_key: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Pending entries, oldest first, at most `limit`.
    async fn pending_alerts(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError>;

    /// Marks a pending entry published; `false` if it was not pending.
    async fn mark_alert_published(&self, dedupe_key: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Counts a failed attempt and ends the lock; the entry stays pending.
    async fn mark_alert_failed(&self, dedupe_key: &str, error: &str) -> Result<(), StoreError>;

    /// The entry under a key, pending or published.
    async fn alert(&self, dedupe_key: &str) -> Result<Option<OutboxEntry>, StoreError>;
}
