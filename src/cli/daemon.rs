//! `run`: the daemon in the foreground until SIGTERM/SIGINT.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use super::CliError;
use crate::app::{self, signals, RunOptions, Stopped};
use crate::clock::{Clock, SystemClock};

/// `clock` judges the configuration; the daemon itself runs on the system clock.
pub fn run(config: &Path, clock: &dyn Clock) -> Result<ExitCode, CliError> {
    crate::logging::init();
    let loaded = super::load_reporting(config, clock.now())?;
    let Some(loaded) = loaded else { return Ok(ExitCode::FAILURE) };
    let runtime = crate::scheduler::runtime()?;
    let stopped = runtime.block_on(async {
        tracing::info!(config = %config.display(), regions = ?loaded.config.monitor.regions, "starting");
        let options = RunOptions {
            clock: Arc::new(SystemClock),
            credentials: None,
            listener: None,
            api_listener: None,
            shutdown: signals::watch_signals(),
            store: None,
        };
        app::run(loaded, options).await
    })?;
    match stopped {
        Stopped::Asked => {
            tracing::info!("stopped");
            Ok(ExitCode::SUCCESS)
        }
        Stopped::AccountsChanged => {
            tracing::warn!(
                exit_code = RESTART_EXIT_CODE,
                "stopped for a restart: the organisation's accounts changed"
            );
            Ok(ExitCode::from(RESTART_EXIT_CODE))
        }
    }
}

/// EX_TEMPFAIL: not a failure, but not the clean exit (0) a container
/// restart policy ignores either, so the daemon comes back with the new set.
pub const RESTART_EXIT_CODE: u8 = 75;
