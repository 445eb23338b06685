//! What the feature modules share, each compiled once:
//!
//! - `store_contract`: the ledger `Store` contract, written against the
//!   trait, run on SQLite (`store::sqlite`) and on DynamoDB
//!   (`store::dynamodb_contract`, `store::dynamodb`).
//! - `emulator`: the test process's one AWS emulator, reset for each test
//!   and used by one test at a time.
//! - `workload`: the seeded CloudWatch workload, its truth priced by hand,
//!   publishing it; `workload::prom`: `/metrics` text read back as samples.
//! - `organization`: an AWS Organization with member accounts, made through
//!   the Organizations API, and a member account's credentials.
//! - `inbox`: an SNS topic with an SQS queue subscribed (what finance receives).
//! - `daemon`: the daemon for a test: its configuration (`TestConfig`), the
//!   daemon in-process (`TestDaemon::spawn`) and the binary as a child
//!   process (`daemon::process`).
//! - `prometheus`: a real Prometheus and its API, for `dashboards`.

#[cfg(feature = "demo")]
use std::path::Path;

pub mod store_contract;

#[cfg(feature = "demo")]
pub mod daemon;
#[cfg(feature = "demo")]
pub mod emulator;
#[cfg(feature = "demo")]
pub mod inbox;
#[cfg(feature = "demo")]
pub mod organization;
#[cfg(feature = "demo")]
pub mod prometheus;
#[cfg(feature = "demo")]
pub mod workload;

/// The repository root: config/, dashboards/, deploy/ and the emulator's script.
#[cfg(feature = "demo")]
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A loopback port that was free a moment ago.
#[cfg(feature = "demo")]
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
