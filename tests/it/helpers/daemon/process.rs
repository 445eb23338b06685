//! The daemon's binary as a child process, for the tests that kill it
//! (`daemon`) or scrape it from a real Prometheus (`dashboards`): its
//! configuration is a written `TestConfig`.

use std::process::Command;

use bedrock_cost_monitor::emulator::ACCESS_KEY_ID;

use crate::helpers::repo_root;
use crate::helpers::workload::EAST;

/// `bedrock-cost-monitor <args>` from the repository root, with the
/// emulator's dummy credentials, logs in `log_format` (`text` or `json`)
/// and none of the caller's other BCM_* overrides.
pub fn command(args: &[&str], log_format: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bedrock-cost-monitor"));
    cmd.args(args)
        .current_dir(repo_root())
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", "bcm-emulator-secret")
        .env("AWS_REGION", EAST)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("BCM_LOG_FORMAT", log_format);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("BCM_") && name != "BCM_LOG_FORMAT" {
            cmd.env_remove(name);
        }
    }
    cmd
}
