//! Reconciliation with the bill: the ledger's cost of a UTC day against
//! what Cost Explorer billed for it.
//!
//! - `settle.rs`: when a day's bill is final (read again until it stops
//!   changing, then frozen), and which days to ask for.
//! - `models.rs`: which price-table model a bill's spelling means.
//! - `drift.rs`: per region × model × token bucket, ledger vs bill, the
//!   gross and net drift of the day, the tolerance, what cannot be compared.
//! - `rates.rs`: the rate a bill line implies against the table's rate in force.
//!
//! Pure, like `budgets/`: no I/O, no async, no clock read, no AWS types,
//! never imports `ledger`. The job that feeds it is
//! `collector::bill_job`; its alert is `alerts::reconcile`.

pub mod coverage;
pub mod drift;
pub mod models;
pub mod rates;
pub mod settle;

pub use drift::{compare, DayDrift, Key, Row, Tolerance, Unmapped, Unpriced};
pub use models::BillModels;
pub use rates::{RateCheck, RateInputs};
pub use settle::SettleRule;
