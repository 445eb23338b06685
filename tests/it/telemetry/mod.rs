//! What the daemon serves over HTTP.
//!
//! - `http`: `/metrics`, `/healthz`, `/readyz` and graceful shutdown of the server;
//! - `api`: the enforcement API (`/api/v1/decision`, `/api/v1/budgets`) after a
//!   real collection and budget evaluation against the emulator.

mod http;

#[cfg(feature = "demo")]
mod api;
