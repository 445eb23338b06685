//! Serving a listener: accept while a slot is free (`slots.rs`), serve each
//! connection as HTTP/1.1 with hyper under the listener's limits — head read
//! within `header_read_timeout` (so a slowloris client, or an idle
//! keep-alive, is cut), no byte moving either way for `idle_timeout` closes
//! it, the head at most `max_request_bytes` — and on shutdown stop
//! accepting, finish in-flight requests, close idle connections.
//!
//! The per-request limits (timeout, body size) are the router's
//! (`telemetry::limited`). Spawns one task per connection, hence in `app/`.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_io_timeout::TimeoutStream;

use super::slots::{Slot, Slots};
use crate::config::ListenerLimits;
use crate::telemetry::limited;

/// Serves `routes` on `listener` under `limits` until `shutdown` completes,
/// then returns once in-flight requests have finished (the caller bounds
/// that wait with its shutdown deadline).
pub async fn serve(
    listener: TcpListener,
    routes: Router,
    limits: ListenerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, max_connections = limits.max_connections, "HTTP listener serving");
    let app = limited(routes, &limits);
    let slots = Slots::new(limits.max_connections, limits.max_connections_per_client);
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = accept(&listener, &slots) => accepted,
        };
        let Some((stream, slot)) = accepted else { continue };
        let connection = serve_connection(stream, app.clone(), limits, slot, stopping.clone());
        #[expect(clippy::disallowed_methods, reason = "one task per connection, joined below at shutdown")]
        connections.spawn(connection);
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = stop.send(true);
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// The next connection once a slot is free; `None` when it was refused (its
/// client holds its share: closed at once) or accepting failed.
async fn accept(listener: &TcpListener, slots: &Slots) -> Option<(TcpStream, Slot)> {
    let free = slots.free().await?;
    match listener.accept().await {
        Ok((stream, peer)) => match slots.claim(free, peer.ip()) {
            Some(slot) => Some((stream, slot)),
            None => {
                tracing::debug!(%peer, "connection refused: its client holds max_connections_per_client");
                None
            }
        },
        Err(error) => {
            // Out of file descriptors and the like: pause rather than spin.
            tracing::warn!(%error, "cannot accept a connection");
            tokio::time::sleep(Duration::from_millis(100)).await;
            None
        }
    }
}

async fn serve_connection(
    stream: TcpStream,
    app: Router,
    limits: ListenerLimits,
    _slot: Slot,
    mut stopping: watch::Receiver<bool>,
) {
    let peer: Option<SocketAddr> = stream.peer_addr().ok();
    let mut io = TimeoutStream::new(stream);
    io.set_read_timeout(Some(limits.idle_timeout()));
    io.set_write_timeout(Some(limits.idle_timeout()));
    // A Router takes hyper's body type as it is.
    let service = TowerToHyperService::new(app);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout())
        .max_buf_size(limits.max_request_bytes);
    let connection = builder.serve_connection(TokioIo::new(Box::pin(io)), service);
    tokio::pin!(connection);
    // Awaited whole, so the watch's read guard never lives across the shutdown below.
    let stop = async move {
        let _ = stopping.wait_for(|s| *s).await;
    };
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = stop => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = result {
        // Timeouts and clients going away are routine: not worth a warning.
        tracing::debug!(?peer, %error, "connection closed");
    }
}
