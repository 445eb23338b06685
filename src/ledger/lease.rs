//! The leader lease: which replica polls AWS, evaluates budgets and
//! publishes. A conditional write with an expiry, so exactly one holder at a
//! time and a dead holder is replaced once its lease runs out.
//!
//! Owns the record and the trait; must not decide when to renew (that is
//! `app::leader`).

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::StoreError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub holder: String,
    pub expires_at: DateTime<Utc>,
}

impl Lease {
    pub fn held_by(&self, holder: &str, now: DateTime<Utc>) -> bool {
        self.holder == holder && now < self.expires_at
    }
}

#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Takes or renews the lease `name` for `holder` until `now + ttl` if it
    /// is free, expired, or already `holder`'s; otherwise leaves it. Returns
    /// the lease as it stands afterwards, whoever holds it.
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<Lease, StoreError>;

    /// Gives the lease up if `holder` has it (a clean shutdown hands over at once).
    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError>;
}
