//! SIGTERM (ECS stopping the task) and SIGINT (Ctrl-C) become one shutdown flag.

use tokio::sync::watch;

/// Returns the receiver of a flag that turns true on the first signal.
pub fn watch_signals() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    #[expect(
        clippy::disallowed_methods,
        reason = "the daemon's signal listener; it lives as long as the process"
    )]
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown signal received; draining");
        let _ = tx.send(true);
    });
    rx
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the daemon");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
