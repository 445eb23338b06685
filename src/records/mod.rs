//! The records that flow between stages: what sources produce, what pricing
//! turns into cost lines, what the ledger keeps and budgets, attribution and
//! telemetry read.
//!
//! - `source.rs`: `Source`, the key watermarks are kept under.
//! - `usage.rs`: `MetricPoint`, `CostLine` (with `LinePricing`), and the
//!   all-time `CostTotal` / `MetricTotal`.
//! - `calls.rs`: CloudTrail `CallCount`s, attributed `PrincipalCost` shares
//!   (`Attribution`), and their totals.
//! - `bill.rs`: what Cost Explorer billed, per day, service and usage type.
//! - `requests.rs`: single requests from the invocation logs: their usage,
//!   their exact cost and the per-minute sums kept of them.
//!
//! Plain data only: no I/O, no AWS types, no pricing or storage rules.
//! Every stage may import this module; it imports none of them.

mod bill;
mod calls;
mod requests;
mod source;
mod usage;

pub use bill::{BillDay, BillLine};
pub use calls::{Attribution, CallCount, CallTotal, PrincipalCost, PrincipalTotal, UNATTRIBUTED_PRINCIPAL};
pub use requests::{
    CacheWrites, Dimensions, RequestCost, RequestPricing, RequestSum, RequestTokens, RequestUsage,
};
pub use source::Source;
pub use usage::{CostLine, CostTotal, LinePricing, MetricPoint, MetricTotal};
