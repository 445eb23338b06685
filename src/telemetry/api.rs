//! The enforcement API, on its own listener (`[api]`, loopback by default):
//!
//! - `GET /api/v1/budgets`: every budget's latest status (spend, limit,
//!   utilisation, forecast, state, period), money as decimal strings.
//! - `GET /api/v1/decision?principal=…&model=…[&region=…][&account=…][&project=…][&user_id=…]`:
//!   `allow`, `warn` or `deny`, with the budget that decided, for the
//!   application next to the sidecar to ask before each Bedrock call; any
//!   other parameter is a `requestMetadata` value (per-user budgets). A query
//!   it cannot decode exactly, or a parameter given twice, is a 400 with the
//!   reason in JSON.
//!
//! Both answer from the in-memory board (no store round-trip): parsing here,
//! every rule in `budgets::decision`. Read-only. [`routes`] adds the bearer
//! check when a token is configured.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{middleware, Json, Router};
use serde_json::json;

use super::auth::{self, Bearer};
use super::budget_board::SharedBudgetBoard;
use super::query;
use crate::budgets::decision::{decide, Request};
use crate::budgets::Policy;
use crate::clock::Clock;
use crate::config::ApiToken;
use crate::pricing::PointPricer;

#[derive(Clone)]
pub struct ApiState {
    pub board: SharedBudgetBoard,
    /// Resolves the `model` parameter (any ID form) to its price-table key.
    pub pricer: Arc<PointPricer>,
    /// Unknown models and stale statuses (`[api]`).
    pub policy: Policy,
    /// "Now", to judge how old a status is.
    pub clock: Arc<dyn Clock>,
}

/// The API's routes; with `token`, each request must present it.
pub fn routes(state: ApiState, token: Option<&ApiToken>) -> Router {
    let router = Router::new()
        .route("/api/v1/budgets", get(budgets))
        .route("/api/v1/decision", get(decision))
        .with_state(state);
    match token {
        Some(token) => router.layer(middleware::from_fn_with_state(Bearer::new(token), auth::require)),
        None => router,
    }
}

async fn budgets(State(state): State<ApiState>) -> Response {
    let board = state.board.read();
    Json(json!({ "evaluated_at": board.evaluated_at, "budgets": board.statuses })).into_response()
}

/// The decision API's own parameters; any other is a metadata key.
const FIXED_PARAMS: [&str; 5] = ["principal", "model", "region", "account", "project"];

async fn decision(State(state): State<ApiState>, RawQuery(raw): RawQuery) -> Response {
    let q = match query::parse(raw.as_deref()) {
        Ok(q) => q,
        Err(e) => {
            let body = json!({ "error": "bad_request", "reason": e.to_string() });
            return (StatusCode::BAD_REQUEST, Json(body)).into_response();
        }
    };
    let get = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let model_id = get("model");
    let model = model_id.and_then(|m| model_key(&state.pricer, m));
    let metadata = metadata(&q);
    let request = Request {
        principal: get("principal"),
        model_id,
        model: model.as_deref(),
        region: get("region"),
        account: get("account"),
        project: get("project"),
        metadata: &metadata,
    };
    let now = state.clock.now();
    let board = state.board.read();
    let mut answer =
        serde_json::to_value(decide(&board.budgets, &board.statuses, &request, now, &state.policy))
            .unwrap_or_default();
    answer["evaluated_at"] = json!(board.evaluated_at);
    answer["model"] = json!(model);
    Json(answer).into_response()
}

/// The price-table key of any ID form, or of the key itself (`claude-sonnet-4-5`).
fn model_key(pricer: &PointPricer, model: &str) -> Option<String> {
    pricer.model_of(model).or_else(|| pricer.table.catalog().get(model).map(|d| d.key.clone()))
}

/// Every other parameter is a requestMetadata value the call will carry
/// (`user_id=u-123`): budgets filtered on, or per, that key answer for it.
fn metadata(q: &BTreeMap<String, String>) -> Vec<(&str, &str)> {
    q.iter()
        .filter(|(k, v)| !FIXED_PARAMS.contains(&k.as_str()) && !v.is_empty())
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}
