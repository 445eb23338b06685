//! Which price table the leader prices with: a store flag the leader writes
//! when it takes the lead (`app::leader`), read by `reprice` before it
//! rewrites anything.
//!
//! The leader re-writes recent minutes on every run (restatement) with the
//! table it loaded at start, so re-pricing history with another table while
//! it runs would be undone, minute by minute, for the restated window. The
//! flag keeps the SHA-256 of the table file in use and of the one before it,
//! so `reprice` can refuse (unless forced) and name the table the history
//! was priced with. Must not price or decide anything else.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ledger::{StatusStore, StoreError};

/// The store flag holding [`TableInUse`] as JSON.
pub const TABLE_FLAG: &str = "pricing.table_in_use";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableInUse {
    /// SHA-256 (hex) of the price-table file the leader loaded.
    pub sha256: String,
    /// The replica that leads with it, and since when.
    pub holder: String,
    pub since: DateTime<Utc>,
    /// The table in use before this one, if the flag knew one.
    pub previous: Option<String>,
}

/// The stored flag; `None` when absent (no leader of this version has run).
pub async fn read(store: &dyn StatusStore) -> Result<Option<TableInUse>, StoreError> {
    let Some(text) = store.get_state(TABLE_FLAG).await? else { return Ok(None) };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| StoreError::Corrupt { what: "price-table flag", detail: format!("`{text}`: {e}") })
}

/// Records that `holder` leads with the table `sha256` from `now` on. The
/// same table again keeps the flag (its `previous` stays the table before).
pub async fn record(
    store: &dyn StatusStore,
    sha256: &str,
    holder: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let stored = read(store).await.unwrap_or(None);
    if stored.as_ref().is_some_and(|s| s.sha256 == sha256) {
        return Ok(());
    }
    let flag = TableInUse {
        sha256: sha256.to_string(),
        holder: holder.to_string(),
        since: now,
        previous: stored.map(|s| s.sha256),
    };
    let text = serde_json::to_string(&flag)
        .map_err(|e| StoreError::Backend(format!("encoding the price-table flag: {e}")))?;
    store.put_state(TABLE_FLAG, &text).await
}
