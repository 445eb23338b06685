//! `healthcheck`: exit 0 when the local daemon is ready. For the ECS container
//! health check, which runs a command inside a container that has no curl.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use super::CliError;

pub fn run(config: &Path, url: Option<&str>) -> Result<ExitCode, CliError> {
    let url = match url {
        Some(u) => u.to_string(),
        None => default_url(config),
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    match runtime.block_on(crate::telemetry::probe::probe(&url, Duration::from_secs(3))) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("not ready: {url}: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `/readyz` on the configured port over loopback (the daemon may listen on 0.0.0.0).
fn default_url(config: &Path) -> String {
    let port = crate::config::load(config).map(|l| l.config.http.listen.port()).unwrap_or(9470);
    format!("http://127.0.0.1:{port}/readyz")
}
