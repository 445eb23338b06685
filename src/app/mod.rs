//! The daemon (`run`): builds every component from the configuration,
//! takes (or waits for) the leader lease and, with shared shards, its
//! share of the shard leases, starts the two HTTP listeners
//! (metrics and API) and the scheduler, and drains on SIGTERM/SIGINT. With
//! `scheduler.rs`, the only place that spawns tasks.
//!
//! Must not contain domain logic: it wires sources, pricing, ledger,
//! budgets, alerts and telemetry together and nothing else.

pub mod accounts;
pub mod alarms;
mod alerts_job;
mod build;
mod collect;
pub mod compact;
mod delivery;
mod digest;
mod evaluate;
mod follow;
mod hooks;
mod kept_labels;
pub mod leader;
mod listeners;
mod logs;
pub mod org_recheck;
pub mod reconcile;
mod serve;
pub mod shards;
pub mod signals;
mod slots;
mod snapshot;
mod store;
mod trail;
pub mod wakeups;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::Loaded;
use crate::ledger::Backend;
use crate::scheduler::Scheduler;

pub use build::Components;
pub use evaluate::{Evaluation, Evaluator};
pub use listeners::policy;
pub use serve::serve;
pub use store::{create_table, open_backend};

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
    /// The metrics listener (`/metrics`, `/healthz`, `/readyz`); `None` binds `http.listen`.
    pub listener: Option<TcpListener>,
    /// The API listener (`/api/v1`); `None` binds `api.listen`.
    pub api_listener: Option<TcpListener>,
    /// Turns true to stop; `signals::watch_signals` feeds it from SIGTERM/SIGINT.
    pub shutdown: watch::Receiver<bool>,
    /// Use this store instead of the configured one (tests share one between replicas).
    pub store: Option<Arc<dyn Backend>>,
}

/// Why the daemon stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// `options.shutdown` turned true (SIGTERM, SIGINT).
    Asked,
    /// The organisation's accounts changed: restart to monitor them.
    AccountsChanged,
}

/// Runs the daemon until `options.shutdown` turns true, or until a change
/// in the organisation asks for a restart.
pub async fn run(loaded: Loaded, mut options: RunOptions) -> Result<Stopped, AppError> {
    let config = &loaded.config;
    let c = build::Components::new(&loaded, &options).await?;
    options.shutdown = stop_or_restart(options.shutdown, c.restart.subscribe());
    // Decide the role before the first runs, so a follower does not poll at start.
    let leader = c.leadership.renew().await;
    tracing::info!(holder = %c.leadership.holder, leader, store = ?config.store.kind, "starting");
    if !leader {
        c.follow_once().await;
    }
    // And the shards, so the first collection runs know which to read.
    if let Some(keeper) = &c.shards {
        keeper.round().await;
    }
    // Jobs declare themselves to readiness as they are built: before the HTTP
    // server starts, or /readyz would answer "ready" with no job declared.
    let jobs = c.jobs(&loaded).await;
    // Both ports before the first spawn: a taken port fails the start cleanly.
    let metrics_listener = listeners::bind(options.listener, config.http.listen).await?;
    let api_listener = listeners::bind(options.api_listener, config.api.listen).await?;
    // The lease is kept through the drain and released only once it ends:
    // released at SIGTERM, another replica would lead while this one's last
    // runs still write.
    let (drained, until_drained) = watch::channel(false);
    #[expect(clippy::disallowed_methods, reason = "the daemon's lease keeper, joined at shutdown below")]
    let keeper = tokio::spawn(c.leadership.clone().keep(until_drained.clone()));
    let shard_keeper = c.shards.clone().map(|k| {
        #[expect(clippy::disallowed_methods, reason = "the shard lease keeper, joined at shutdown below")]
        tokio::spawn(k.keep(until_drained))
    });
    let listener = wakeups::listener(&c, &loaded).map(|l| {
        #[expect(
            clippy::disallowed_methods,
            reason = "the wake-up listener, stopped with the scheduler below"
        )]
        tokio::spawn(l.listen(options.shutdown.clone()))
    });
    let stopped = |mut stop: watch::Receiver<bool>| async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    let metrics =
        serve(metrics_listener, c.metrics_routes(), config.http.limits, stopped(options.shutdown.clone()));
    let api =
        serve(api_listener, c.api_routes(&loaded), config.api.limits, stopped(options.shutdown.clone()));
    #[expect(clippy::disallowed_methods, reason = "the metrics listener, joined at shutdown below")]
    let metrics = tokio::spawn(metrics);
    #[expect(clippy::disallowed_methods, reason = "the API listener, joined at shutdown below")]
    let api = tokio::spawn(api);

    let scheduler = Scheduler {
        jobs,
        timezone: config.monitor.timezone.0,
        clock: options.clock.clone(),
        hooks: Arc::new(hooks::TelemetryHooks {
            metrics: c.metrics.clone(),
            readiness: c.readiness.clone(),
            clock: options.clock.clone(),
            store: c.store.clone(),
        }),
    };
    let deadline = Duration::from_secs(config.monitor.shutdown_deadline_secs);
    scheduler.run(options.shutdown.clone(), deadline).await;
    if let Some(listener) = listener {
        let _ = tokio::time::timeout(Duration::from_secs(5), listener).await;
    }
    tracing::info!("scheduler stopped; releasing the lease and closing the HTTP listeners");
    let _ = drained.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(5), keeper).await;
    if let Some(shard_keeper) = shard_keeper {
        let _ = tokio::time::timeout(Duration::from_secs(5), shard_keeper).await;
    }
    let (metrics, api) = tokio::join!(
        tokio::time::timeout(Duration::from_secs(5), metrics),
        tokio::time::timeout(Duration::from_secs(5), api)
    );
    for joined in [metrics, api] {
        if let Ok(Ok(result)) = joined {
            result.map_err(AppError::Http)?;
        }
    }
    Ok(if *c.restart.borrow() { Stopped::AccountsChanged } else { Stopped::Asked })
}

/// A stop signal that turns true when either does (or its sender is gone,
/// as a dropped shutdown sender always meant).
fn stop_or_restart(
    mut asked: watch::Receiver<bool>,
    mut restart: watch::Receiver<bool>,
) -> watch::Receiver<bool> {
    let (stop, stopped) = watch::channel(false);
    #[expect(clippy::disallowed_methods, reason = "ends with the first of the two signals; nothing to join")]
    tokio::spawn(async move {
        tokio::select! {
            _ = asked.wait_for(|s| *s) => {}
            _ = restart.wait_for(|s| *s) => {}
        }
        stop.send_replace(true);
    });
    stopped
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::sync::watch;

    use super::stop_or_restart;

    /// Whether `stop` turns true within `wait` (a bound for a busy machine
    /// when it must, a short look when it must not).
    async fn stops_within(mut stop: watch::Receiver<bool>, wait: Duration) -> bool {
        tokio::time::timeout(wait, stop.wait_for(|s| *s)).await.is_ok()
    }

    const MUST: Duration = Duration::from_secs(10);
    const MUST_NOT: Duration = Duration::from_millis(100);

    #[tokio::test]
    async fn the_daemon_stops_when_asked_or_for_a_restart_and_not_otherwise() {
        let (asked, asked_rx) = watch::channel(false);
        let (restart, restart_rx) = watch::channel(false);
        assert!(!stops_within(stop_or_restart(asked_rx.clone(), restart_rx.clone()), MUST_NOT).await);
        restart.send_replace(true);
        assert!(stops_within(stop_or_restart(asked_rx.clone(), restart_rx.clone()), MUST).await);
        restart.send_replace(false);
        asked.send_replace(true);
        assert!(stops_within(stop_or_restart(asked_rx, restart_rx), MUST).await);
    }

    #[tokio::test]
    async fn a_dropped_shutdown_sender_stops_it_as_it_always_did() {
        let (asked, asked_rx) = watch::channel(false);
        let (_restart, restart_rx) = watch::channel(false);
        drop(asked);
        assert!(stops_within(stop_or_restart(asked_rx, restart_rx), MUST).await);
    }
}
