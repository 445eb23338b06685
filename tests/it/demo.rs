//! The README's first command: `bedrock-cost-monitor demo` runs on its own
//! (emulator, simulated traffic, the real daemon) and shows a newcomer priced
//! spend, the unpriced model, spend by caller and by end user (invocation
//! logs), the budgets and the alerts that reached the finance inbox, and
//! the runaway's burn-rate alert arriving through a wake-up, timed. Runs the
//! built binary from the repository root until that line (about four
//! minutes: the runaway's first minute ends three minutes after start),
//! then stops it as Ctrl-C would.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use crate::helpers::emulator;

#[test]
fn demo_shows_spend_callers_budgets_and_alerts() {
    let _alone = emulator::alone();
    let root = env!("CARGO_MANIFEST_DIR");
    let mut log = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bedrock-cost-monitor"))
        .args(["demo", "--duration", "300"])
        .current_dir(root)
        .stdout(Stdio::piped())
        // A file, not a pipe: the daemon's log must never fill a buffer nobody reads.
        .stderr(Stdio::from(log.reopen().unwrap()))
        .spawn()
        .expect("demo runs");
    let mut stdout = String::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while lines.read_line(&mut line).unwrap() > 0 {
        stdout.push_str(&line);
        let timed = line.contains("after the runaway's first minute was published");
        line.clear();
        if timed {
            let pid = child.id().to_string();
            Command::new("kill").args(["-INT", &pid]).status().expect("kill runs");
        }
    }
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    log.read_to_string(&mut stderr).unwrap();
    assert!(status.success(), "demo failed:\n{stdout}\n{stderr}");
    for needle in [
        "Spend so far",
        "claude-sonnet-4-5",
        "UNPRICED",
        "unpriced:us.anthropic.claude-3-5-haiku-20241022-v1:0+latency-optimized",
        "By token type: input ",
        "cache_read ",
        "proj_support01 ",
        "in a second account, search (210987654321, us-east-1)",
        "By account (each read through its own role, a shard of its own): 210987654321 ",
        "Spend by caller",
        "arn:aws:iam::111122223333:role/dashboard-server-task",
        "unattributed",
        "budget demo-daily: ",
        "ALERT  budget.threshold         Budget demo-daily reached 50%",
        "ALERT  pricing.unpriced_model",
        "/metrics",
        "/api/v1/decision?principal=",
        "a runaway loop (batch user svc-reindex) starts calling Sonnet",
        "Spend by end user (model invocation logs",
        "u-anna ",
        "budget per-user-daily [user_id=u-",
        "/api/v1/decision?user_id=u-anna",
        "--by user_id,tenant",
        "with the bill (Cost Explorer, ",
        "claude-opus-4-5 cache_write: ledger $",
        "stale rate: claude-opus-4-5 cache_write billed $10.0000/M, table $6.25/M",
        "wake-up alarms at ",
        "Usage is polled every 15 minutes",
        "CloudWatch (played by the demo): bedrock-cost-monitor-wake-us-east-1-",
        "ALERT  budget.burn_rate",
        "s after the runaway's first minute was published (wake-up",
    ] {
        assert!(stdout.contains(needle), "`{needle}` missing from the demo's output:\n{stdout}\n{stderr}");
    }
    // Each alert once. The threshold crossing is there whatever the time of
    // day (the history uses 60 % of the limit); the forecast one only while
    // enough of the day remains for the recent rate to project past it.
    assert_eq!(stdout.matches("reached 50%").count(), 1, "each alert once:\n{stdout}");
    assert!(stdout.matches("ALERT  budget.forecast").count() <= 1, "each alert once:\n{stdout}");
}
