//! The command-line surface of the one binary: argument definitions and the
//! short-lived commands. Long-running work (the daemon) lives elsewhere; this
//! module only parses, calls the library and prints.

pub mod args;
pub mod check_config;
pub mod price;

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
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

/// Runs one command, writing to `out`.
pub fn run(cli: Cli, clock: &dyn Clock, out: &mut dyn std::io::Write) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Price(args) => price::run(&cli.config, &args, clock, out),
        Command::CheckConfig => check_config::run(&cli.config, clock, out),
    }
}
