//! Alert episodes: a condition that holds for a while (a burn-rate anomaly,
//! an error spike, a stalled collector) alerts once when it begins, not on
//! every cycle it lasts, and again only after it has ended and begun anew.
//!
//! The open episode and its start live in the store's flags, so a restart or
//! a failover neither forgets it (no repeat) nor invents a new one; opening
//! is a conditional write, so two replicas opening it at once agree on one
//! start, hence one dedupe key and one alert.

use chrono::{DateTime, Utc};

use crate::ledger::{StatusStore, StoreError};

/// Opens, keeps or closes the episode under `flag`. Returns its start while
/// `active`, `None` once it is not.
pub async fn track(
    store: &dyn StatusStore,
    flag: &str,
    active: bool,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let open = store.get_state(flag).await?;
    if !active {
        if open.is_some() {
            store.delete_state(flag).await?;
        }
        return Ok(None);
    }
    if let Some(since) = open.as_deref().and_then(|s| DateTime::parse_from_rfc3339(s).ok()) {
        return Ok(Some(since.with_timezone(&Utc)));
    }
    // Conditional: a replica that opened it first sets the start (and the
    // dedupe key) for both.
    let since = store.open_state(flag, &now.to_rfc3339()).await?;
    let since = DateTime::parse_from_rfc3339(&since).map_err(|e| StoreError::Corrupt {
        what: "alert episode",
        detail: format!("`{flag}` = `{since}`: {e}"),
    })?;
    Ok(Some(since.with_timezone(&Utc)))
}
