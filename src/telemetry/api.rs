//! The enforcement API on the telemetry port:
//!
//! - `GET /api/v1/budgets`: every budget's latest status (spend, limit,
//!   utilisation, forecast, state, period), money as decimal strings.
//! - `GET /api/v1/decision?principal=…&model=…[&region=…][&project=…][&user_id=…]`:
//!   `allow`, `warn` or `deny`, with the budget that decided, for the
//!   application next to the sidecar to ask before each Bedrock call; any
//!   other parameter is a `requestMetadata` value (per-user budgets).
//!
//! Both answer from the in-memory board (no store round-trip). Read-only.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use super::budget_board::SharedBudgetBoard;
use crate::budgets::decision::{decide, Request};
use crate::pricing::PointPricer;

#[derive(Clone)]
pub struct ApiState {
    pub board: SharedBudgetBoard,
    /// Resolves the `model` parameter (any ID form) to its price-table key.
    pub pricer: Arc<PointPricer>,
}

pub fn routes(state: ApiState) -> Router {
    Router::new()
        .route("/api/v1/budgets", get(budgets))
        .route("/api/v1/decision", get(decision))
        .with_state(state)
}

async fn budgets(State(state): State<ApiState>) -> Response {
    let board = state.board.read();
    Json(json!({ "evaluated_at": board.evaluated_at, "budgets": board.statuses })).into_response()
}

/// The decision API's own parameters; any other is a metadata key.
const FIXED_PARAMS: [&str; 4] = ["principal", "model", "region", "project"];

async fn decision(State(state): State<ApiState>, Query(q): Query<HashMap<String, String>>) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let model_id = get("model");
    // A price-table key (`claude-sonnet-4-5`) is accepted as well as any ID form.
    let model = model_id.and_then(|m| {
        state.pricer.model_of(m).or_else(|| state.pricer.table.catalog().get(m).map(|d| d.key.clone()))
    });
    // Every other parameter is a requestMetadata value the call will carry
    // (`user_id=u-123`): budgets filtered on, or per, that key answer for it.
    let metadata: Vec<(&str, &str)> = q
        .iter()
        .filter(|(k, v)| !FIXED_PARAMS.contains(&k.as_str()) && !v.is_empty())
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let request = Request {
        principal: get("principal"),
        model_id,
        model: model.as_deref(),
        region: get("region"),
        project: get("project"),
        metadata: &metadata,
    };
    let board = state.board.read();
    let mut answer =
        serde_json::to_value(decide(&board.budgets, &board.statuses, &request)).unwrap_or_default();
    answer["evaluated_at"] = json!(board.evaluated_at);
    answer["model"] = json!(model);
    Json(answer).into_response()
}
