//! Budgets: pure evaluation of the configured budgets against ledger sums.
//!
//! `period` finds the calendar period in a timezone, `scope` says which
//! spend a budget covers, `windows` plans which sums to fetch and reads
//! them, `forecast` extrapolates and detects burn-rate anomalies,
//! `evaluate` turns it all into `BudgetStatus`es and `decision` answers the
//! enforcement API from them, `staleness` saying which of them it may trust.
//!
//! Must not do I/O, be async, read the clock or see AWS types: the caller
//! fetches the planned windows from the store and passes "now" in.

pub mod decision;
pub mod evaluate;
pub mod forecast;
pub mod period;
pub mod scope;
pub mod staleness;
mod status;
pub mod windows;

pub use decision::{decide, Decision, Request, Verdict};
pub use evaluate::evaluate;
pub use staleness::{Policy, Staleness};
pub use status::{BudgetState, BudgetStatus, BurnRate, MetadataValue, PeriodInfo, SpendItem};
pub use windows::{data_through, needs, Needs, Plan, Spend, Window};

#[cfg(test)]
mod metadata_tests;
#[cfg(test)]
mod staleness_tests;
#[cfg(test)]
mod tests;
