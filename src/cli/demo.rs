//! `demo`: see `crate::demo`. Run from the repository root. Without the
//! `demo` feature (the release image) it only says that it is not built in.

use std::process::ExitCode;

use super::CliError;

#[cfg(feature = "demo")]
pub fn run(duration_secs: Option<u64>) -> Result<ExitCode, CliError> {
    use crate::demo::{self, DemoOptions};
    use std::time::Duration;

    // The daemon's own log stays quiet unless asked for (RUST_LOG=info).
    crate::logging::init_with_default("warn");
    let repo_root = std::env::current_dir()?;
    let runtime = crate::scheduler::runtime()?;
    runtime
        .block_on(demo::run(DemoOptions { repo_root, duration: duration_secs.map(Duration::from_secs) }))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "demo"))]
pub fn run(_duration_secs: Option<u64>) -> Result<ExitCode, CliError> {
    Err(CliError::NotBuilt("demo"))
}
