//! The HTTP server, one port: `/metrics` (Prometheus text format of the
//! whole registry), `/healthz` (alive) and `/readyz` (ready, or 503 with the
//! reasons as JSON).
//!
//! [`router`] returns a plain `Router` so other modules add their routes
//! with `router(state).merge(theirs)` (e.g. `/api/v1/...`); [`serve`] runs
//! any such router until the shutdown future completes. Handlers only read
//! the registry and the readiness state.

use std::future::Future;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use prometheus::{Registry, TextEncoder};
use serde_json::json;
use tokio::net::TcpListener;

use super::readiness::Readiness;

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

/// Lets `serve(listener, state, shutdown)` serve the telemetry routes alone.
impl From<HttpState> for Router {
    fn from(state: HttpState) -> Router {
        router(state)
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then stops
/// accepting, closes idle connections and returns once in-flight requests
/// have finished (the caller bounds that wait with its shutdown deadline).
pub async fn serve(
    listener: TcpListener,
    app: impl Into<Router>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "HTTP server listening");
    }
    axum::serve(listener, app.into()).with_graceful_shutdown(shutdown).await
}

async fn metrics(State(state): State<HttpState>) -> Response {
    let encoder = TextEncoder::new();
    match encoder.encode_to_string(&state.registry.gather()) {
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
