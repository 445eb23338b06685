//! bedrock-cost-monitor: exact, near-real-time spend for Claude on AWS Bedrock.
//!
//! Data flows one way (see ARCHITECTURE.md):
//! sources → pricing → ledger → budgets → alerts / telemetry.
//!
//! `demo`, `emulator` and `sim` are development tooling, compiled only with
//! the `demo` feature (on by default, off in the release image).

pub mod alerts;
pub mod app;
pub mod attribution;
pub mod aws;
pub mod bedrock;
pub mod budgets;
pub mod cli;
pub mod clock;
pub mod collector;
pub mod config;
#[cfg(feature = "demo")]
pub mod demo;
pub mod diag;
#[cfg(feature = "demo")]
pub mod emulator;
pub mod ledger;
pub mod logging;
pub mod memory;
pub mod money;
pub mod names;
pub mod pricing;
pub mod reconcile;
pub mod records;
pub mod reprice;
pub mod scheduler;
pub mod shard;
#[cfg(feature = "demo")]
pub mod sim;
pub mod sources;
pub mod telemetry;
pub mod wakeups;
