//! Where the bill's days are kept: one small JSON document per UTC day
//! under the flag `bill:<day>` of the store (both engines keep flags, and
//! writing one is a fenced leader write), so a restart or another replica
//! never asks Cost Explorer again for a day that is final, and `report
//! --reconcile` reads the bill without calling AWS.
//!
//! Must not fetch or compare.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::ledger::{StatusStore, StoreError};
use crate::records::BillDay;

pub fn key(day: NaiveDate) -> String {
    format!("bill:{day}")
}

/// The flag that says the day's drift alert was raised.
pub fn alerted_key(day: NaiveDate) -> String {
    format!("bill.alerted:{day}")
}

pub async fn load(
    store: &dyn StatusStore,
    days: &[NaiveDate],
) -> Result<BTreeMap<NaiveDate, BillDay>, StoreError> {
    let mut out = BTreeMap::new();
    for &day in days {
        let Some(text) = store.get_state(&key(day)).await? else { continue };
        let parsed: BillDay = serde_json::from_str(&text)
            .map_err(|e| StoreError::Corrupt { what: "a bill day", detail: format!("{}: {e}", key(day)) })?;
        out.insert(day, parsed);
    }
    Ok(out)
}

pub async fn save(store: &dyn StatusStore, day: &BillDay) -> Result<(), StoreError> {
    let text = serde_json::to_string(day)
        .map_err(|e| StoreError::Corrupt { what: "a bill day", detail: format!("{}: {e}", key(day.day)) })?;
    store.put_state(&key(day.day), &text).await
}
