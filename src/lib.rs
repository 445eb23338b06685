//! bedrock-cost-monitor: exact, near-real-time spend for Claude on AWS Bedrock.
//!
//! Data flows one way (see ARCHITECTURE.md):
//! sources → pricing → ledger → budgets → alerts / telemetry.

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
pub mod demo;
pub mod diag;
pub mod emulator;
pub mod ledger;
pub mod logging;
pub mod money;
pub mod names;
pub mod pricing;
pub mod scheduler;
pub mod sim;
pub mod sources;
pub mod telemetry;
