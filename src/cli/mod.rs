//! The command-line surface of the one binary: argument definitions and the
//! short-lived commands. Long-running work (the daemon) lives elsewhere; this
//! module only parses, calls the library and prints.

pub mod args;
pub mod check_config;
mod create_table;
pub mod daemon;
pub mod demo;
pub mod healthcheck;
pub mod price;
pub mod report;
mod report_alerts;
pub mod report_bounds;
pub mod report_reconcile;
mod report_requests;
pub mod reprice;
mod reprice_print;

pub use args::{Cli, Command};

use std::process::ExitCode;

use crate::clock::Clock;

/// Exit status when a model could not be priced.
pub const EXIT_UNPRICED: u8 = 3;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("--{arg}: {reason}")]
    Argument { arg: &'static str, reason: String },
    #[error(transparent)]
    Cost(#[from] crate::pricing::CostError),
    #[error("I/O: {0}")]
    Output(#[from] std::io::Error),
    #[error(transparent)]
    App(#[from] crate::app::AppError),
    #[error("reprice: {0}")]
    Reprice(String),
    #[cfg(feature = "demo")]
    #[error(transparent)]
    Demo(#[from] crate::demo::DemoError),
    #[cfg(not(feature = "demo"))]
    #[error(
        "`{0}` is not in this build: it is a development command, compiled only with the `demo` \
         cargo feature (on by default; release images leave it out). From a checkout of the \
         repository: cargo run --release -- {0}"
    )]
    NotBuilt(&'static str),
}

/// Runs one command, writing to `out`.
pub fn run(cli: Cli, clock: &dyn Clock, out: &mut dyn std::io::Write) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Price(args) => price::run(&cli.config, &args, clock, out),
        Command::CheckConfig => check_config::run(&cli.config, clock, out),
        Command::CreateTable => create_table::run(&cli.config, clock, out),
        Command::Run => daemon::run(&cli.config, clock),
        Command::Report(args) => report::run(&cli.config, &args, clock, out),
        Command::Reprice(args) => reprice::run(&cli.config, &args, clock, out),
        Command::Demo { duration_secs } => demo::run(duration_secs),
        Command::Healthcheck { url } => healthcheck::run(&cli.config, url.as_deref(), clock),
    }
}

/// Loads the configuration as of `now`, printing every diagnostic; `None` when refused.
/// A command that reads the SQLite ledger needs one to exist: say so
/// instead of creating an empty file.
pub(crate) fn require_ledger(loaded: &crate::config::Loaded) -> Result<(), CliError> {
    let file = loaded.config.monitor.data_dir.join(crate::ledger::sqlite::FILE_NAME);
    if loaded.config.store.kind == crate::config::StoreKind::Sqlite && !file.exists() {
        return Err(CliError::Argument {
            arg: "config",
            reason: format!("no ledger at {} (has `run` or `demo` written one?)", file.display()),
        });
    }
    Ok(())
}

pub fn load_reporting(
    path: &std::path::Path,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<crate::config::Loaded>, CliError> {
    match crate::config::load(path, now) {
        Ok(loaded) => {
            for w in loaded.warnings.warnings() {
                eprintln!("{w}");
            }
            Ok(Some(loaded))
        }
        Err(crate::config::ConfigError::Invalid(diags)) => {
            for d in &diags.0 {
                eprintln!("{d}");
            }
            eprintln!("{}: {} error(s); configuration refused", path.display(), diags.errors().count());
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}
