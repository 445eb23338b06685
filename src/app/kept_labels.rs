//! A bounded label set (`telemetry::sticky`) that survives restarts: read
//! once from a store flag by the first refresh of the process, written back
//! whenever it grows. Without it a restart re-ranks from all-time totals, and
//! a value that had grown inside `other` would leave it (the `other` counter
//! drops: a counter reset to `increase()`) while a value that lost its place
//! would join it (a step as large as its all-time total).
//!
//! With several replicas every one reads the flag at its start and writes
//! what it adds; the last write wins, so replicas started at different times
//! may keep different sets for their lives (each one's own counters still
//! never decrease). Must not decide what is kept: `telemetry::sticky` does.

use std::collections::{BTreeMap, BTreeSet};

use tokio::sync::Mutex;

use crate::ledger::{Backend, StoreError};
use crate::telemetry::sticky;

/// The store flag holding the model IDs that keep their own label.
pub const MODEL_IDS_FLAG: &str = "metrics.model_ids_kept";
/// The store flag holding the principals that keep their own label.
pub const PRINCIPALS_FLAG: &str = "metrics.principals_kept";

pub struct KeptLabels {
    flag: &'static str,
    cap: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    kept: BTreeSet<String>,
    /// What the flag holds as far as this process knows; `None` until read.
    saved: Option<BTreeSet<String>>,
}

impl KeptLabels {
    pub fn new(flag: &'static str, cap: usize) -> Self {
        KeptLabels { flag, cap, state: Mutex::new(State::default()) }
    }

    /// The kept set after adding the best of `rank` while there is room;
    /// restored from the flag first if this process has not read it yet.
    pub async fn update<R: Ord + Clone + Default>(
        &self,
        store: &dyn Backend,
        rank: BTreeMap<String, R>,
    ) -> Result<BTreeSet<String>, StoreError> {
        // Held across the store calls: refreshes from several jobs must not
        // interleave a restore with an addition.
        let mut state = self.state.lock().await;
        if state.saved.is_none() {
            let saved = read(store, self.flag).await?;
            state.kept = sticky::restore(saved.clone(), &rank, self.cap);
            state.saved = Some(saved);
        }
        sticky::keep_best(&mut state.kept, rank.into_iter().collect(), self.cap);
        if state.saved.as_ref() != Some(&state.kept) {
            let text = serde_json::to_string(&state.kept)
                .map_err(|e| StoreError::Backend(format!("encoding the kept labels: {e}")))?;
            store.put_state(self.flag, &text).await?;
            state.saved = Some(state.kept.clone());
        }
        Ok(state.kept.clone())
    }
}

/// The saved set; an unreadable flag is logged and read as empty, because
/// the worst it costs is one re-ranking, as before the flag existed.
async fn read(store: &dyn Backend, flag: &str) -> Result<BTreeSet<String>, StoreError> {
    let Some(text) = store.get_state(flag).await? else {
        return Ok(BTreeSet::new());
    };
    Ok(serde_json::from_str(&text).unwrap_or_else(|e| {
        tracing::warn!(flag, error = %e, "the saved label set is unreadable; ranking again from the totals");
        BTreeSet::new()
    }))
}

#[cfg(test)]
#[path = "kept_labels_tests.rs"]
mod tests;
