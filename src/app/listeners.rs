//! The daemon's two listeners: what each serves — the metrics port
//! `/metrics`, `/healthz`, `/readyz`; the API port `/api/v1` with its token
//! and policy — and binding them, before anything is spawned, so a taken
//! port fails the start with nothing left running.

use std::net::SocketAddr;

use axum::Router;
use chrono::TimeDelta;
use tokio::net::TcpListener;

use super::{AppError, Components};
use crate::budgets::Policy;
use crate::config::Loaded;
use crate::telemetry::api::{self, ApiState};
use crate::telemetry::http::{router, HttpState};

impl Components {
    /// `/metrics`, `/healthz`, `/readyz`.
    pub fn metrics_routes(&self) -> Router {
        router(HttpState { registry: self.registry.clone(), readiness: self.readiness.clone() })
    }

    /// `/api/v1/…`, behind the configured token if any.
    pub fn api_routes(&self, loaded: &Loaded) -> Router {
        let state = ApiState {
            board: self.board.clone(),
            pricer: self.pricer.clone(),
            policy: policy(loaded, self.clock.now()),
            clock: self.clock.clone(),
        };
        api::routes(state, loaded.api_token.as_ref())
    }
}

/// `[api]`'s rules for what the decision cannot vouch for.
pub fn policy(loaded: &Loaded, now: chrono::DateTime<chrono::Utc>) -> Policy {
    let config = &loaded.config;
    let tz = config.monitor.timezone.0;
    let after = config.api.stale_after(&config.sources.cloudwatch.schedule, tz, now);
    Policy {
        unknown_model: config.api.unknown_model,
        on_stale: config.api.on_stale,
        // Validation bounds the setting far below TimeDelta's range.
        stale_after: TimeDelta::from_std(after).unwrap_or(TimeDelta::MAX),
    }
}

/// `given` (tests and the demo bind their own), else `addr`.
pub async fn bind(given: Option<TcpListener>, addr: SocketAddr) -> Result<TcpListener, AppError> {
    match given {
        Some(listener) => Ok(listener),
        None => TcpListener::bind(addr)
            .await
            .map_err(|source| AppError::Listen { addr: addr.to_string(), source }),
    }
}
