//! The daemon (`run`): builds every component from the configuration,
//! takes (or waits for) the leader lease, starts the HTTP server and the
//! scheduler, and drains on SIGTERM/SIGINT. With `scheduler.rs`, the only
//! place that spawns tasks.
//!
//! Must not contain domain logic: it wires sources, pricing, ledger,
//! budgets, alerts and telemetry together and nothing else.

mod alerts_job;
mod build;
mod collect;
pub mod compact;
mod digest;
mod evaluate;
mod follow;
mod hooks;
pub mod leader;
mod logs;
pub mod signals;
mod snapshot;
mod trail;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::Loaded;
use crate::ledger::Backend;
use crate::scheduler::Scheduler;
use crate::telemetry::api::{routes, ApiState};
use crate::telemetry::http::{router, serve, HttpState};

pub use build::{create_table, open_backend, Components};
pub use evaluate::{Evaluation, Evaluator};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("ledger: {0}")]
    Store(#[from] crate::ledger::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: String, source: std::io::Error },
    #[error("metrics registry: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("{0}")]
    Setup(String),
    #[error("HTTP server: {0}")]
    Http(std::io::Error),
}

/// How the daemon is embedded: production passes defaults; the demo and
/// tests inject credentials, a listener on a free port and their own stop signal.
pub struct RunOptions {
    pub clock: Arc<dyn Clock>,
    pub credentials: Option<crate::aws::Credentials>,
    pub listener: Option<TcpListener>,
    /// Turns true to stop; `signals::watch_signals` feeds it from SIGTERM/SIGINT.
    pub shutdown: watch::Receiver<bool>,
    /// Use this store instead of the configured one (tests share one between replicas).
    pub store: Option<Arc<dyn Backend>>,
}

/// Runs the daemon until `options.shutdown` turns true.
pub async fn run(loaded: Loaded, options: RunOptions) -> Result<(), AppError> {
    let config = &loaded.config;
    let c = build::Components::new(&loaded, &options).await?;
    // Decide the role before the first runs, so a follower does not poll at start.
    let leader = c.leadership.renew().await;
    tracing::info!(holder = %c.leadership.holder, leader, store = ?config.store.kind, "starting");
    if !leader {
        c.follow_once().await;
    }
    // Jobs declare themselves to readiness as they are built: before the HTTP
    // server starts, or /readyz would answer "ready" with no job declared.
    let jobs = c.jobs(&loaded).await;
    #[expect(clippy::disallowed_methods, reason = "the daemon's lease keeper, joined at shutdown below")]
    let keeper = tokio::spawn(c.leadership.clone().keep(options.shutdown.clone()));

    let listener = match options.listener {
        Some(l) => l,
        None => TcpListener::bind(config.http.listen)
            .await
            .map_err(|source| AppError::Listen { addr: config.http.listen.to_string(), source })?,
    };
    let app = router(HttpState { registry: c.registry.clone(), readiness: c.readiness.clone() })
        .merge(routes(ApiState { board: c.board.clone(), pricer: c.pricer.clone() }));
    let mut http_stop = options.shutdown.clone();
    #[expect(clippy::disallowed_methods, reason = "the daemon's HTTP server, joined at shutdown below")]
    let http = tokio::spawn(serve(listener, app, async move {
        let _ = http_stop.wait_for(|s| *s).await;
    }));

    let scheduler = Scheduler {
        jobs,
        timezone: config.monitor.timezone.0,
        clock: options.clock.clone(),
        hooks: Arc::new(hooks::TelemetryHooks {
            metrics: c.metrics.clone(),
            readiness: c.readiness.clone(),
            clock: options.clock.clone(),
        }),
    };
    let deadline = Duration::from_secs(config.monitor.shutdown_deadline_secs);
    scheduler.run(options.shutdown.clone(), deadline).await;
    tracing::info!("scheduler stopped; releasing the lease and closing the HTTP server");
    let _ = tokio::time::timeout(Duration::from_secs(5), keeper).await;
    match tokio::time::timeout(Duration::from_secs(5), http).await {
        Ok(Ok(result)) => result.map_err(AppError::Http),
        _ => Ok(()),
    }
}
