//! The read-only view of the ledger and price table that `/metrics` renders.
//!
//! Whoever refreshes it (the daemon, after each collection run or on a timer)
//! fills a [`Snapshot`] from `Store::cost_totals`, `Store::metric_totals`,
//! the latest metric points, the model-ID resolution and [`price_rows`], and
//! swaps it into the [`SharedSnapshot`]. Telemetry never queries the store or
//! AWS itself, and never writes anything back.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::pricing::bounds::Bounds;
use crate::pricing::{PriceTable, Scope, TokenType};
use crate::records::{CallTotal, CostTotal, MetricPoint, MetricTotal, PrincipalTotal, RequestSum};

/// The snapshot shared between its writer and the collector.
pub type SharedSnapshot = Arc<RwLock<Snapshot>>;

/// The `model` label of series whose model ID resolves to no priced model.
pub const UNPRICED_MODEL: &str = "unpriced";

/// Everything the domain metrics are rendered from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// All-time totals per (region, model ID, model, token type). Rows with
    /// `model: None` are the unpriced series: they are exported only as
    /// `bedrock_unpriced_tokens_total` and tokens with `model="unpriced"`.
    pub cost_totals: Vec<CostTotal>,
    /// All-time totals per (region, model ID, metric).
    pub metric_totals: Vec<MetricTotal>,
    /// Recent metric points; per (region, model ID, metric) the point with
    /// the latest minute sets the gauges. The writer decides how far back
    /// "recent" goes (a series with no point in that window has no gauge).
    pub latest_points: Vec<MetricPoint>,
    /// Model ID → resolved price-table model key, `None` when unpriced.
    /// Labels the invocation, error and gauge series; an ID missing from the
    /// map is labelled `unpriced` too.
    pub models: BTreeMap<String, Option<String>>,
    /// Prices in force when the snapshot was taken (see [`price_rows`]).
    pub prices: Vec<PriceRow>,
    /// All-time attributed cost per principal (CloudTrail).
    pub principal_totals: Vec<PrincipalTotal>,
    /// All-time CloudTrail calls per principal and outcome.
    pub call_totals: Vec<CallTotal>,
    /// The principals exported under their own label (see `principal_collector`).
    pub principals_kept: std::collections::BTreeSet<String>,
    /// The model IDs exported under their own label; every other is
    /// `model_id="other"` in every family (see `model_ids`).
    pub model_ids_kept: std::collections::BTreeSet<String>,
    /// All-time sums of the logged requests (invocation logs).
    pub request_totals: Vec<RequestSum>,
    /// Per configured metadata key, the values exported under their own
    /// label (see `metadata_collector`); the others are `other`.
    pub metadata_kept: super::metadata_collector::Kept,
    /// The uncertainty of the recent minutes' cost per (region, model ID,
    /// model key), summed by the refresher (see `bounds_family`).
    pub bounds: BTreeMap<(String, String, String), Bounds>,
    /// The primary account's `account` label (rows' `region` fields are
    /// ledger keys: a plain region is the primary account's).
    pub primary_account: String,
}

impl Snapshot {
    /// A new shared, empty snapshot.
    pub fn shared() -> SharedSnapshot {
        Arc::new(RwLock::new(Snapshot::default()))
    }

    /// The `model` label for a model ID as seen in CloudWatch.
    pub fn model_label(&self, model_id: &str) -> &str {
        match self.models.get(model_id) {
            Some(Some(model)) => model,
            _ => UNPRICED_MODEL,
        }
    }

    /// The `model_id` label for a model ID as seen: itself, or `other`
    /// beyond the cap.
    pub fn model_id_label<'a>(&self, model_id: &'a str) -> &'a str {
        super::model_ids::label(&self.model_ids_kept, model_id)
    }
}

/// One rate of one price entry, as exported by
/// `bedrock_price_usd_per_million_tokens{model,token_type,scope,region}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceRow {
    pub model: String,
    pub scope: Scope,
    /// The region of a region override; `None` (exported as the empty label,
    /// which Prometheus treats as absent) for scope-wide entries.
    pub region: Option<String>,
    /// `input`, `output`, `cache_read`, `cache_write` (the 5-minute TTL rate,
    /// the one CloudWatch cache writes are priced at by default) or
    /// `cache_write_1h`.
    pub token_type: &'static str,
    pub usd_per_million: Decimal,
}

/// The `token_type` label of a price: unlike usage, where both TTLs are one
/// `cache_write` bucket, both rates are shown, the 1-hour one separately.
pub fn price_token_label(t: TokenType) -> &'static str {
    match t {
        TokenType::CacheWrite5m => "cache_write",
        TokenType::CacheWrite1h => "cache_write_1h",
        other => other.metric_label(),
    }
}

/// The base-tier rates of every standard-tier entry in force at `at`
/// (long-context tiers, batch discounts and service-tier entries such as
/// `priority` are not exported: the family has no label to tell them apart),
/// ordered by entry then token type.
pub fn price_rows(table: &PriceTable, at: DateTime<Utc>) -> Vec<PriceRow> {
    table
        .entries()
        .iter()
        .filter(|entry| entry.in_force(at) && entry.tier.is_standard())
        .flat_map(|entry| {
            TokenType::ALL.into_iter().map(move |t| PriceRow {
                model: entry.model.clone(),
                scope: entry.scope,
                region: entry.region.clone(),
                token_type: price_token_label(t),
                usd_per_million: entry.prices.get(t),
            })
        })
        .collect()
}
