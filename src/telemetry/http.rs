//! The metrics listener's routes: `/metrics` (Prometheus text format of the
//! whole registry), `/healthz` (alive) and `/readyz` (ready, or 503 with the
//! reasons as JSON); and [`limited`], the per-request limits every listener
//! wraps its routes in. The enforcement API has its own listener (`api.rs`):
//! this port does not serve it.
//!
//! Handlers only read the registry and the readiness state. Accepting and
//! serving connections (with their timeouts and limits) is `app::serve`'s,
//! which may spawn.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use prometheus::{Registry, TextEncoder};
use serde_json::json;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use super::readiness::Readiness;
use crate::config::ListenerLimits;

/// What the telemetry routes read.
#[derive(Clone, Debug)]
pub struct HttpState {
    pub registry: Registry,
    pub readiness: Arc<Readiness>,
}

/// The telemetry routes, with their state applied.
pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
}

impl From<HttpState> for Router {
    fn from(state: HttpState) -> Router {
        router(state)
    }
}

/// `routes` answering 408 past the request timeout and 413 to a body larger
/// than `max_request_bytes` (the head's bound is the connection's).
pub fn limited(routes: Router, limits: &ListenerLimits) -> Router {
    routes
        .layer(RequestBodyLimitLayer::new(limits.max_request_bytes))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limits.request_timeout()))
}

async fn metrics(State(state): State<HttpState>) -> Response {
    let encoded = TextEncoder::new().encode_to_string(&state.registry.gather());
    // Gathering builds every sample's label pairs (at 100 shards some 20,000
    // samples, several MB of small blocks): returned once they are freed,
    // off the async workers (the walk locks the allocator's arenas).
    if let Err(error) = crate::scheduler::blocking(crate::memory::release_free_pages).await {
        tracing::debug!(%error, "the heap was not trimmed");
    }
    match encoded {
        Ok(text) => ([(header::CONTENT_TYPE, prometheus::TEXT_FORMAT)], text).into_response(),
        Err(error) => {
            tracing::error!(%error, "cannot encode metrics");
            (StatusCode::INTERNAL_SERVER_ERROR, format!("cannot encode metrics: {error}\n")).into_response()
        }
    }
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<HttpState>) -> Response {
    match state.readiness.check() {
        Ok(()) => Json(json!({ "ready": true })).into_response(),
        Err(reasons) => {
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "ready": false, "reasons": reasons })))
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use prometheus::Encoder;

    #[test]
    fn text_format_is_the_0_0_4_exposition() {
        assert_eq!(TextEncoder::new().format_type(), "text/plain; version=0.0.4");
        let state = HttpState {
            registry: Registry::new(),
            readiness: Arc::new(Readiness::new(Arc::new(SystemClock))),
        };
        let _router: Router = state.into();
    }
}
