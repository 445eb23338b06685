//! The integration tests: one crate, so the AWS SDK is linked once, with one
//! module per feature and the shared helpers in `helpers/`, each compiled
//! once. `cargo test --test it -- MODULE::` runs one feature's tests.
//!
//! Without the `demo` feature (the release image's build) only the modules
//! that need neither the emulator nor the simulated workload are compiled:
//! `cargo test --no-default-features --test it -- cli::` runs the CLI tests
//! against that build. Every module gated on `demo` needs
//! `tests/emulator/setup.sh` to have been run once; `dashboards` also needs
//! `tests/tools/setup.sh` (Prometheus).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

// Built with and without the `demo` feature.
mod architecture;
mod cli;
mod collector;
mod config;
mod pricing;
mod reprice;
mod store;
mod telemetry;

// The emulator, the simulated workload or the `demo` command.
#[cfg(feature = "demo")]
mod accounts;
#[cfg(feature = "demo")]
mod alerts;
#[cfg(feature = "demo")]
mod alerts_delivery;
#[cfg(feature = "demo")]
mod cloudtrail;
#[cfg(feature = "demo")]
mod daemon;
#[cfg(feature = "demo")]
mod dashboards;
#[cfg(feature = "demo")]
mod demo;
#[cfg(feature = "demo")]
mod emulator_selftest;
#[cfg(feature = "demo")]
mod invocation_logs;
#[cfg(feature = "demo")]
mod members;
#[cfg(feature = "demo")]
mod organizations;
#[cfg(feature = "demo")]
mod reconcile;
#[cfg(feature = "demo")]
mod replicas;
#[cfg(feature = "demo")]
mod wakeups;
