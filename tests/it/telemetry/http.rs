//! The metrics listener end to end on loopback: `/metrics`, `/healthz`
//! and `/readyz` fetched through the `healthcheck` probe's client, an extra
//! router merged in, and graceful shutdown ending the serve future.
#![allow(clippy::disallowed_methods, reason = "the server under test runs as a task, as in the daemon")]

use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use bedrock_cost_monitor::app::serve;
use bedrock_cost_monitor::clock::ManualClock;
use bedrock_cost_monitor::config::ListenerLimits;
use bedrock_cost_monitor::pricing::TokenType;
use bedrock_cost_monitor::records::CostTotal;
use bedrock_cost_monitor::scheduler::JobName;
use bedrock_cost_monitor::telemetry::probe::{request, HttpResponse};
use bedrock_cost_monitor::telemetry::{
    self, probe, router, HttpState, JobOutcome, ProbeError, Readiness, SelfMetrics, Snapshot,
};
use chrono::{TimeDelta, TimeZone, Utc};
use prometheus::Registry;
use rust_decimal::Decimal;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const TIMEOUT: Duration = Duration::from_secs(5);

struct Fixture {
    base: String,
    readiness: Arc<Readiness>,
    stop: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start() -> Fixture {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()));
    let registry = Registry::new();
    let snapshot = Snapshot::shared();
    let model_id = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
    snapshot.write().unwrap().model_ids_kept.insert(model_id.into());
    snapshot.write().unwrap().cost_totals.push(CostTotal {
        region: "us-east-1".into(),
        model_id: model_id.into(),
        model: Some("claude-haiku-4-5".into()),
        token_type: TokenType::Output,
        tokens: 1234,
        usd: Decimal::new(617, 5),
    });
    telemetry::register_ledger(&registry, snapshot).unwrap();
    let metrics = SelfMetrics::new(&registry, clock.clone()).unwrap();
    metrics.job_finished(JobName::CLOUDWATCH, JobOutcome::Success, Duration::from_millis(20));
    let readiness = Arc::new(Readiness::new(clock));
    let state = HttpState { registry, readiness: readiness.clone() };
    let api = Router::new().route("/api/v1/ping", get(|| async { "pong" }));

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, router(state).merge(api), ListenerLimits::default(), async {
        let _ = stopped.await;
    }));
    Fixture { base, readiness, stop, server }
}

async fn get_path(fx: &Fixture, path: &str) -> HttpResponse {
    request("GET", &format!("{}{path}", fx.base), &[], &[], TIMEOUT).await.unwrap()
}

#[tokio::test]
async fn serves_metrics_health_and_readiness_then_shuts_down() {
    let fx = start().await;

    let metrics = get_path(&fx, "/metrics").await;
    assert_eq!(metrics.status, 200);
    assert_eq!(metrics.header("content-type"), Some("text/plain; version=0.0.4"));
    let text = metrics.body_text();
    assert!(text.contains("# TYPE bedrock_tokens_total counter\n"), "{text}");
    assert!(text.contains(
        "bedrock_cost_usd_total{model=\"claude-haiku-4-5\",model_id=\"global.anthropic.claude-haiku-4-5-20251001-v1:0\",\
         project=\"default\",region=\"us-east-1\",token_type=\"output\"} 0.00617\n"
    ));
    assert!(text.contains("bedrock_monitor_job_runs_total{job=\"cloudwatch\",outcome=\"success\"} 1\n"));
    assert!(text.contains("bedrock_monitor_build_info{version=\""));

    probe(&format!("{}/healthz", fx.base), TIMEOUT).await.unwrap();
    assert_eq!(get_path(&fx, "/healthz").await.body_text(), "ok");
    assert_eq!(get_path(&fx, "/api/v1/ping").await.body_text(), "pong");
    assert_eq!(get_path(&fx, "/nope").await.status, 404);

    // Not ready until the config is loaded and every enabled job has succeeded.
    let readyz = format!("{}/readyz", fx.base);
    match probe(&readyz, TIMEOUT).await.unwrap_err() {
        ProbeError::Status { status, body, .. } => {
            assert_eq!(status, 503);
            let json: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(json["ready"], false);
            assert_eq!(json["reasons"][0], "configuration not loaded");
        }
        other => panic!("expected a 503, got {other}"),
    }
    fx.readiness.set_config_loaded(true);
    fx.readiness.add_job(JobName::CLOUDWATCH, true, TimeDelta::minutes(5));
    assert_eq!(get_path(&fx, "/readyz").await.status, 503);
    fx.readiness.job_succeeded(JobName::CLOUDWATCH, Utc.with_ymd_and_hms(2026, 3, 1, 11, 58, 0).unwrap());
    probe(&readyz, TIMEOUT).await.unwrap();
    assert_eq!(get_path(&fx, "/readyz").await.body_text(), "{\"ready\":true}");

    // Graceful shutdown ends the serve future, even with an idle connection
    // open (a scraper's keep-alive); the port then refuses connections.
    let idle = tokio::net::TcpStream::connect(fx.base.trim_start_matches("http://")).await.unwrap();
    fx.stop.send(()).unwrap();
    tokio::time::timeout(TIMEOUT, fx.server).await.expect("serve did not stop").unwrap().unwrap();
    let err = probe(&format!("{}/healthz", fx.base), TIMEOUT).await.unwrap_err();
    assert!(matches!(err, ProbeError::Io { .. }), "{err}");
    drop(idle);
}

#[tokio::test]
async fn an_answer_later_than_the_request_timeout_is_a_408() {
    let slow = Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            "late"
        }),
    );
    let limits = ListenerLimits { request_timeout_secs: 1, ..ListenerLimits::default() };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/slow", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, slow, limits, async {
        let _ = stopped.await;
    }));
    let answer = request("GET", &url, &[], &[], TIMEOUT).await.unwrap();
    assert_eq!(answer.status, 408);
    stop.send(()).unwrap();
    tokio::time::timeout(TIMEOUT, server).await.expect("serve did not stop").unwrap().unwrap();
}
