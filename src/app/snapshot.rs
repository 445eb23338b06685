//! Refreshing the telemetry snapshot from the ledger, so `/metrics` serves
//! all-time totals that survive restarts (and, on a follower, the totals the
//! leader wrote to the shared store), with the label sets the bounded
//! families keep (principals, metadata values, model IDs; the model IDs'
//! saved in the store so that a restart keeps them too).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::kept_labels::{KeptLabels, MODEL_IDS_FLAG, PRINCIPALS_FLAG};
use crate::collector::bounds::of_points;
use crate::config::Config;
use crate::ledger::{Backend, StoreError};
use crate::pricing::bounds::Bounds;
use crate::pricing::PointPricer;
use crate::records::MetricPoint;
use crate::telemetry::gauge_families;
use crate::telemetry::metadata_collector::{keep_more, Kept};
use crate::telemetry::model_ids;
use crate::telemetry::principal_collector;
use crate::telemetry::snapshot::{price_rows, SharedSnapshot, Snapshot};

/// How far back the latest-minute gauges (latency, quota usage) look.
const GAUGE_WINDOW_MINUTES: i64 = 30;
/// That window is read this many minutes at a time: it holds every metric of
/// every series (at 50 model IDs in 5 regions some 70,000 points, about
/// 20 MiB at once with the copies a read makes, which glibc then keeps),
/// while the bounds add up minute by minute and the gauges keep one minute
/// per series.
const SPAN_MINUTES: i64 = 10;

/// The recent minutes' bounds, per (region, model ID, model key).
type RecentBounds = BTreeMap<(String, String, String), Bounds>;

pub struct Refresher {
    store: Arc<dyn Backend>,
    pricer: Arc<PointPricer>,
    shared: SharedSnapshot,
    /// The configured `requestMetadata` keys and how many values of each
    /// keep their own label.
    metadata: (Vec<String>, usize),
    /// The values kept so far: they stay for the life of the process.
    kept: std::sync::Mutex<Kept>,
    /// The principals kept so far, likewise.
    principals_kept: KeptLabels,
    /// The model IDs that keep their label: likewise, and across restarts.
    model_ids_kept: KeptLabels,
    /// The primary account's `account` label, copied into every snapshot.
    primary_account: String,
}

impl Refresher {
    /// A refresher whose label caps come from `[metrics]`; nothing kept yet.
    pub fn new(
        store: Arc<dyn Backend>,
        pricer: Arc<PointPricer>,
        shared: SharedSnapshot,
        config: &Config,
    ) -> Refresher {
        let m = &config.metrics;
        Refresher {
            store,
            pricer,
            shared,
            metadata: (config.sources.invocation_logs.metadata_keys.clone(), m.top_metadata_values),
            kept: Default::default(),
            principals_kept: KeptLabels::new(PRINCIPALS_FLAG, m.top_principals),
            model_ids_kept: KeptLabels::new(MODEL_IDS_FLAG, m.top_model_ids),
            primary_account: crate::shard::PRIMARY_LABEL.to_string(),
        }
    }

    /// Labels the primary account's series `account=<label>`.
    pub fn with_primary_account(mut self, label: &str) -> Refresher {
        self.primary_account = label.to_string();
        self
    }

    /// Adds the uncertainty of `points`' minutes to `out`.
    fn add_bounds(&self, out: &mut RecentBounds, points: &[MetricPoint]) {
        for m in of_points(&self.pricer, points) {
            out.entry((m.region, m.model_id, m.model)).or_default().add(&m.bounds);
        }
    }

    /// The gauges' points and the bounds of the gauge window, read a span
    /// at a time (see `SPAN_MINUTES`); a minute lies in one span only.
    async fn recent(&self, now: DateTime<Utc>) -> Result<(Vec<MetricPoint>, RecentBounds), StoreError> {
        let mut gauges = Vec::new();
        let mut bounds = RecentBounds::new();
        let from = now - Duration::minutes(GAUGE_WINDOW_MINUTES);
        for (start, end) in crate::clock::spans(from, now, Duration::minutes(SPAN_MINUTES)) {
            let points = self.store.metric_points(start, end).await?;
            self.add_bounds(&mut bounds, &points);
            gauges.extend(gauge_families::gauge_points(points));
            gauges = gauge_families::gauge_points(gauges);
        }
        Ok((gauges, bounds))
    }

    pub async fn refresh(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        let store = self.store.as_ref();
        let cost_totals = store.cost_totals().await?;
        let metric_totals = store.metric_totals().await?;
        let (latest_points, bounds) = self.recent(now).await?;
        let principal_totals = store.principal_totals().await?;
        let call_totals = store.call_totals().await?;
        let request_totals = store.request_totals().await?;
        let principals = principal_collector::rank(&principal_totals, &call_totals);
        let principals_kept = self.principals_kept.update(store, principals).await?;
        let metadata_kept = {
            let mut kept = self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            keep_more(&mut kept, &self.metadata.0, &request_totals, self.metadata.1);
            kept.clone()
        };
        let mut models = BTreeMap::new();
        let ids = metric_totals
            .iter()
            .map(|t| &t.model_id)
            .chain(cost_totals.iter().map(|t| &t.model_id))
            .chain(call_totals.iter().map(|t| &t.model_id));
        for id in ids {
            if !models.contains_key(id) {
                models.insert(id.clone(), self.pricer.model_of(id));
            }
        }
        // Every ID some `model_id` label shows competes for a place, not only
        // those with tokens: CloudTrail calls and invocation-only IDs too.
        let seen = models.keys().chain(principal_totals.iter().map(|t| &t.model_id)).map(String::as_str);
        let rank = model_ids::rank(&cost_totals, seen);
        let model_ids_kept = self.model_ids_kept.update(store, rank).await?;
        let (call_totals, principal_totals) =
            principal_collector::fold_unkept(call_totals, principal_totals, &principals_kept);
        let snapshot = Snapshot {
            cost_totals,
            metric_totals,
            latest_points,
            models,
            prices: price_rows(&self.pricer.table, now),
            principal_totals,
            call_totals,
            principals_kept,
            model_ids_kept,
            request_totals,
            metadata_kept,
            bounds,
            primary_account: self.primary_account.clone(),
        };
        // A poisoned lock only means a reader panicked; the data is replaced whole.
        let mut guard = self.shared.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        *guard = snapshot;
        Ok(())
    }
}
