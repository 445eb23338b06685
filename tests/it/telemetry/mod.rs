//! What the daemon serves over HTTP.
//!
//! - `http`: `/metrics`, `/healthz`, `/readyz`, the request timeout and
//!   graceful shutdown of a listener;
//! - `api`: the enforcement API (`/api/v1/decision`, `/api/v1/budgets`) after a
//!   real collection and budget evaluation against the emulator;
//! - `decision`: what the decision cannot vouch for (malformed queries,
//!   unknown models, stale statuses) and the board loaded from the store;
//! - `listeners`: the API's own port and token, and every listener's limits
//!   against floods and slow clients.

mod http;

#[cfg(feature = "demo")]
mod api;
#[cfg(feature = "demo")]
mod decision;
#[cfg(feature = "demo")]
mod listeners;
