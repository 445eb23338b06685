//! Telemetry: the Prometheus registry, the domain metrics rendered from a
//! ledger snapshot, the daemon's self-metrics, readiness, the routes of the
//! two listeners (`/metrics`, `/healthz`, `/readyz`; the enforcement API with
//! its token check and strict query decoding) and the `healthcheck` probe.
//!
//! Telemetry only READS state: it never writes the ledger, never prices
//! anything and never calls AWS. Domain counters are rendered from the
//! ledger's all-time totals (handed over as a [`Snapshot`]), so they survive
//! restarts. Money stays `Decimal` until [`families::usd_sample`], the one
//! place where it becomes an `f64` Prometheus sample. Every family `/metrics`
//! serves is registered here: other modules call [`register_ledger`] and
//! [`register_budgets`] or the constructors that take a registry.

pub mod api;
pub mod auth;
pub mod bill_metrics;
pub mod bounds_family;
pub mod budget_board;
pub mod budget_collector;
pub mod data_quality;
pub mod delivery_metrics;
pub mod families;
pub mod gauge_families;
pub mod http;
pub mod ledger_collector;
pub mod log_metrics;
pub mod metadata_collector;
pub mod model_ids;
pub mod principal_collector;
pub mod probe;
pub mod query;
pub mod readiness;
pub mod self_metrics;
pub mod shard_metrics;
pub mod snapshot;
pub mod sticky;
pub mod store_collector;
pub mod wakeup_metrics;

#[cfg(test)]
mod render_tests;

pub use api::ApiState;
pub use budget_board::{BudgetBoard, SharedBudgetBoard};
pub use budget_collector::BudgetCollector;
pub use http::{limited, router, HttpState};
pub use ledger_collector::LedgerCollector;
pub use probe::{probe, ProbeError};
pub use readiness::{JobStatus, Readiness, ReadinessState, Role};
pub use self_metrics::{AwsApi, AwsOutcome, JobOutcome, SelfMetrics};
pub use snapshot::{price_rows, PriceRow, SharedSnapshot, Snapshot};

use prometheus::core::Collector;
use prometheus::Registry;

/// The domain families rendered from the ledger snapshot.
pub fn register_ledger(registry: &Registry, snapshot: SharedSnapshot) -> prometheus::Result<()> {
    register(registry, Box::new(LedgerCollector::new(snapshot)?))
}

/// The budget gauges rendered from the board.
pub fn register_budgets(
    registry: &Registry,
    board: SharedBudgetBoard,
    max_subjects: usize,
) -> prometheus::Result<()> {
    register(registry, Box::new(BudgetCollector::new(board, max_subjects)?))
}

/// The one call of `Registry::register`, private to telemetry, so that what
/// `/metrics` serves is decided in this module alone.
#[expect(
    clippy::disallowed_methods,
    reason = "the one registration; telemetry's own code and its public functions call this"
)]
fn register(registry: &Registry, collector: Box<dyn Collector>) -> prometheus::Result<()> {
    registry.register(collector)
}
