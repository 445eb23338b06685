//! What the leader publishes for everyone else to read: the latest status of
//! every budget (for followers' `/api/v1/*` and for applications that read
//! the DynamoDB table directly), and small named flags that must survive a
//! restart or a failover (open alert episodes, for instance).
//!
//! Owns the trait; the status record is `budgets::BudgetStatus`. Must not
//! evaluate anything (that is `budgets/`).

use async_trait::async_trait;

use super::StoreError;
use crate::budgets::BudgetStatus;

#[async_trait]
pub trait StatusStore: Send + Sync {
    /// Replaces the whole set of budget statuses.
    async fn put_budget_statuses(&self, statuses: &[BudgetStatus]) -> Result<(), StoreError>;

    /// The latest set, ordered by budget then principal.
    async fn budget_statuses(&self) -> Result<Vec<BudgetStatus>, StoreError>;

    /// A named flag (e.g. an open alert episode).
    async fn get_state(&self, key: &str) -> Result<Option<String>, StoreError>;
    async fn put_state(&self, key: &str, value: &str) -> Result<(), StoreError>;
    async fn delete_state(&self, key: &str) -> Result<(), StoreError>;
}
