//! The `bedrock-cost-monitor` binary: parses arguments and hands over to the
//! library. The only place `anyhow` is used.

use std::process::ExitCode;

use bedrock_cost_monitor::cli::{self, Cli};
use bedrock_cost_monitor::clock::SystemClock;
use clap::Parser;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Not locked: the daemon and demo log to stdout from other threads.
    let mut stdout = std::io::stdout();
    match cli::run(cli, &SystemClock, &mut stdout).map_err(anyhow::Error::from) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
