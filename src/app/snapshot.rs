//! Refreshing the telemetry snapshot from the ledger, so `/metrics` serves
//! all-time totals that survive restarts.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::collector::LinePricer;
use crate::ledger::{Store, StoreError};
use crate::telemetry::snapshot::{price_rows, SharedSnapshot, Snapshot};

/// How far back the latest-minute gauges (latency, quota usage) look.
const GAUGE_WINDOW_MINUTES: i64 = 30;

pub async fn refresh(
    store: &dyn Store,
    pricer: &LinePricer,
    shared: &SharedSnapshot,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let cost_totals = store.cost_totals().await?;
    let metric_totals = store.metric_totals().await?;
    let latest_points = store.metric_points(now - Duration::minutes(GAUGE_WINDOW_MINUTES), now).await?;
    let mut models = BTreeMap::new();
    for id in metric_totals.iter().map(|t| &t.model_id).chain(cost_totals.iter().map(|t| &t.model_id)) {
        if !models.contains_key(id) {
            models.insert(id.clone(), pricer.model_of(id));
        }
    }
    let snapshot = Snapshot {
        cost_totals,
        metric_totals,
        latest_points,
        models,
        prices: price_rows(&pricer.table, now),
    };
    // A poisoned lock only means a reader panicked; the data is replaced whole.
    let mut guard = shared.write().unwrap_or_else(std::sync::PoisonError::into_inner);
    *guard = snapshot;
    Ok(())
}
