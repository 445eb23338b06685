//! What the leader publishes for everyone else to read: the latest status of
//! every budget (for followers' `/api/v1/*` and for applications that read
//! the DynamoDB table directly), and small named flags that must survive a
//! restart or a failover (open alert episodes, for instance).
//!
//! Owns the trait; the status record is `budgets::BudgetStatus`. Must not
//! evaluate anything (that is `budgets/`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::budgets::BudgetStatus;

#[async_trait]
pub trait StatusStore: Send + Sync {
    /// Replaces the whole set of budget statuses evaluated at `evaluated_at`,
    /// unless a set evaluated later is stored: then nothing is written and
    /// the answer is `false` (a replica that lost the lease mid-evaluation
    /// never rolls the statuses back to its older view).
    async fn put_budget_statuses(
        &self,
        statuses: &[BudgetStatus],
        evaluated_at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// The latest set, ordered by budget then principal.
    async fn budget_statuses(&self) -> Result<Vec<BudgetStatus>, StoreError>;

    /// A named flag (e.g. an open alert episode).
    async fn get_state(&self, key: &str) -> Result<Option<String>, StoreError>;
    async fn put_state(&self, key: &str, value: &str) -> Result<(), StoreError>;
    /// Sets the flag only if it is absent, in one conditional write; returns
    /// the value that stands afterwards: `value` if this call set it, else
    /// the one already there. Two replicas opening one alert episode at once
    /// thus agree on its start, hence on its dedupe key: one alert.
    async fn open_state(&self, key: &str, value: &str) -> Result<String, StoreError>;
    async fn delete_state(&self, key: &str) -> Result<(), StoreError>;
}
