//! Structured logs with `tracing`: JSON lines in production (stdout is not a
//! terminal, as in ECS with awslogs), human-readable in a terminal.
//! `BCM_LOG_FORMAT=json|text` forces one; `RUST_LOG` filters (default `info`).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub fn init() {
    init_with_default("info");
}

/// As `init`, with another default level (the demo keeps its own output readable).
pub fn init_with_default(level: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let json = match std::env::var("BCM_LOG_FORMAT").as_deref() {
        Ok("json") => true,
        Ok("text") => false,
        _ => !std::io::stdout().is_terminal(),
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    // A second init (tests, the demo) keeps the first subscriber: ignore the error.
    let _ = if json { builder.json().flatten_event(true).try_init() } else { builder.try_init() };
}
