//! The alert outbox: every alert is claimed here, under its dedupe key,
//! before anything is published, and stays pending until a publish succeeds.
//!
//! That is what makes alerts exactly-once across restarts and replicas: the
//! claim is a conditional insert (only one process, once, gets `true`), and a
//! failed publish leaves the entry pending, not attempted again before its
//! `retry_at`, until it is published or parked (given up on: the dead letter).
//! Owns the record and the trait; must not build messages, talk to SNS or
//! decide when to retry (that is `alerts::dispatch`).

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
    /// Not attempted again before this (the backoff after a failed attempt).
    pub retry_at: Option<DateTime<Utc>>,
    /// The last attempt's outcome is unknown (it timed out or lost its
    /// connection): SNS may have delivered it.
    pub uncertain: bool,
    /// Given up on (the dead letter): never attempted again.
    pub parked_at: Option<DateTime<Utc>>,
}

/// Where an entry stands, for reports and logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    Pending,
    /// Pending, and the last attempt may have reached SNS.
    Uncertain,
    Published,
    Parked,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Pending => "pending",
            Delivery::Uncertain => "uncertain",
            Delivery::Published => "published",
            Delivery::Parked => "parked",
        }
    }
}

impl OutboxEntry {
    /// Neither published nor parked: it will be attempted again.
    pub fn is_pending(&self) -> bool {
        self.published_at.is_none() && self.parked_at.is_none()
    }

    pub fn delivery(&self) -> Delivery {
        match (self.published_at, self.parked_at) {
            (Some(_), _) => Delivery::Published,
            (None, Some(_)) => Delivery::Parked,
            (None, None) if self.uncertain => Delivery::Uncertain,
            (None, None) => Delivery::Pending,
        }
    }

    /// Pending and its backoff, if any, is over.
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.is_pending() && self.retry_at.is_none_or(|at| at <= now)
    }
}

/// A failed attempt, as recorded on its entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedAttempt<'a> {
    pub error: &'a str,
    /// Not attempted again before this.
    pub retry_at: DateTime<Utc>,
    /// The attempt may have reached SNS (a timeout, a lost connection).
    pub uncertain: bool,
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

    /// Pending entries that are due at `now` (no `retry_at` after it),
    /// oldest first, at most `limit`: entries backing off never hold back
    /// the ones queued behind them.
    async fn pending_alerts(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<OutboxEntry>, StoreError>;

    /// Marks a pending entry published; `false` if it was not pending.
    async fn mark_alert_published(&self, dedupe_key: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Counts a failed attempt and ends the lock; the entry stays pending,
    /// not due again before `failure.retry_at`.
    async fn mark_alert_failed(
        &self,
        dedupe_key: &str,
        failure: &FailedAttempt<'_>,
    ) -> Result<(), StoreError>;

    /// Gives up on a pending entry (the dead letter): counts the attempt
    /// that ended it, records why and when, ends the lock. `false` if it was
    /// not pending.
    async fn park_alert(&self, dedupe_key: &str, error: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Every entry still kept, newest first, at most `limit`: what
    /// `report --alerts` lists (published ones until they expire).
    async fn recent_alerts(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError>;

    /// The entry under a key, pending or published.
    async fn alert(&self, dedupe_key: &str) -> Result<Option<OutboxEntry>, StoreError>;
}
