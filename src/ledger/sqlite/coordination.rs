//! The coordination traits of the SQLite store: the alert outbox, the
//! leader lease (with its fence) and the budget statuses and flags, each
//! call on the store's connection, leader-only writes through
//! `run_fenced`. The SQL is in `outbox.rs` and `exactly_once.rs`; this file
//! only adapts the async traits to it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{exactly_once, outbox, SqliteStore};
use crate::budgets::BudgetStatus;
use crate::ledger::{FailedAttempt, Fence, Lease, LeaseStore, Outbox, OutboxEntry, StatusStore, StoreError};

#[async_trait]
impl Outbox for SqliteStore {
    async fn claim_alert(&self, entry: &OutboxEntry) -> Result<bool, StoreError> {
        let entry = entry.clone();
        self.run_fenced(move |conn| outbox::claim_alert(conn, &entry)).await
    }

    async fn lock_alert(
        &self,
        dedupe_key: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (key, holder) = (dedupe_key.to_string(), holder.to_string());
        self.run_fenced(move |conn| outbox::lock_alert(conn, &key, &holder, now, until)).await
    }

    async fn pending_alerts(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        self.run(move |conn| outbox::pending_alerts(conn, now, limit)).await
    }

    async fn mark_alert_published(&self, dedupe_key: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let key = dedupe_key.to_string();
        self.run_fenced(move |conn| outbox::mark_alert_published(conn, &key, at)).await
    }

    async fn mark_alert_failed(
        &self,
        dedupe_key: &str,
        failure: &FailedAttempt<'_>,
    ) -> Result<(), StoreError> {
        let (key, error) = (dedupe_key.to_string(), failure.error.to_string());
        let (retry_at, uncertain) = (failure.retry_at, failure.uncertain);
        self.run_fenced(move |conn| {
            outbox::mark_alert_failed(conn, &key, &FailedAttempt { error: &error, retry_at, uncertain })
        })
        .await
    }

    async fn park_alert(&self, dedupe_key: &str, error: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let (key, error) = (dedupe_key.to_string(), error.to_string());
        self.run_fenced(move |conn| outbox::park_alert(conn, &key, &error, at)).await
    }

    async fn recent_alerts(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        self.run(move |conn| outbox::recent_alerts(conn, limit)).await
    }

    async fn alert(&self, dedupe_key: &str) -> Result<Option<OutboxEntry>, StoreError> {
        let key = dedupe_key.to_string();
        self.run(move |conn| outbox::alert(conn, &key)).await
    }
}

#[async_trait]
impl LeaseStore for SqliteStore {
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        ttl: chrono::Duration,
    ) -> Result<Lease, StoreError> {
        let (name, holder) = (name.to_string(), holder.to_string());
        self.run(move |conn| exactly_once::acquire_lease(conn, &name, &holder, now, ttl)).await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        let (name, holder) = (name.to_string(), holder.to_string());
        self.run(move |conn| exactly_once::release_lease(conn, &name, &holder)).await
    }

    async fn forget_member(&self, holder: &str, before: DateTime<Utc>) -> Result<(), StoreError> {
        let name = crate::ledger::member_lease(holder);
        self.run(move |conn| exactly_once::forget_lease(conn, &name, before)).await
    }

    async fn leases(&self) -> Result<Vec<(String, Lease)>, StoreError> {
        self.run(|conn| exactly_once::leases(conn)).await
    }

    fn set_fence(&self, fence: Fence) {
        self.fence.set(fence);
    }

    fn fenced_out(&self) -> bool {
        self.fence.refused()
    }

    fn fenced_out_of(&self, name: &str) -> bool {
        self.fence.refused_lease(name)
    }
}

#[async_trait]
impl StatusStore for SqliteStore {
    async fn put_budget_statuses(
        &self,
        statuses: &[BudgetStatus],
        evaluated_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let statuses = statuses.to_vec();
        self.run_fenced(move |conn| exactly_once::put_budget_statuses(conn, &statuses, evaluated_at)).await
    }

    async fn budget_statuses(&self) -> Result<Vec<BudgetStatus>, StoreError> {
        self.run(|conn| exactly_once::budget_statuses(conn)).await
    }

    async fn get_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = key.to_string();
        self.run(move |conn| exactly_once::get_state(conn, &key)).await
    }

    async fn put_state(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let (key, value) = (key.to_string(), value.to_string());
        self.run(move |conn| exactly_once::put_state(conn, &key, &value)).await
    }

    async fn open_state(&self, key: &str, value: &str) -> Result<String, StoreError> {
        let (key, value) = (key.to_string(), value.to_string());
        self.run_fenced(move |conn| exactly_once::open_state(conn, &key, &value)).await
    }

    async fn delete_state(&self, key: &str) -> Result<(), StoreError> {
        let key = key.to_string();
        self.run_fenced(move |conn| exactly_once::delete_state(conn, &key)).await
    }
}
