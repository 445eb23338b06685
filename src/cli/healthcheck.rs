//! `healthcheck`: exit 0 when the local daemon is ready. For the ECS container
//! health check, which runs a command inside a container that has no curl.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use super::CliError;
use crate::clock::Clock;

pub fn run(config: &Path, url: Option<&str>, clock: &dyn Clock) -> Result<ExitCode, CliError> {
    let url = match url {
        Some(u) => u.to_string(),
        None => default_url(config, clock),
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    match runtime.block_on(crate::telemetry::probe::probe(&url, Duration::from_secs(3))) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("not ready: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `/readyz` at the configured address (a wildcard address becomes loopback);
/// the built-in default when the configuration cannot be read.
fn default_url(config: &Path, clock: &dyn Clock) -> String {
    match crate::config::load(config, clock.now()) {
        Ok(l) => crate::telemetry::probe::local_url(l.config.http.listen, "/readyz"),
        Err(_) => crate::telemetry::probe::DEFAULT_URL.to_string(),
    }
}
