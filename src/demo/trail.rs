//! The demo's callers, as CloudTrail records them: the application's ECS
//! task role (its tasks' sessions fold into it), a reporting job's role and
//! an engineer's IAM user share the traffic; the runaway loop is the
//! application's; a sandbox role without Bedrock permissions keeps getting
//! AccessDenied. Records are seeded into the emulator's LookupEvents.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::DemoError;
use crate::emulator::Emulator;
use crate::sim::trail::{error_burst, trail_records, SimPrincipal};
use crate::sim::{scaled, SimSeries};

/// Minutes of CloudTrail history seeded at start (LookupEvents reads ~90 events/s).
pub const HISTORY_MINUTES: i64 = 20;

pub fn callers() -> Vec<SimPrincipal> {
    vec![
        SimPrincipal::role("dashboard-server-task", 7),
        SimPrincipal::role("reporting-job", 2),
        SimPrincipal::user("alice", 1),
    ]
}

/// The role whose calls are all denied.
pub fn sandbox() -> SimPrincipal {
    SimPrincipal::role("intern-sandbox", 1)
}

/// Records for `[start, end)`: every series' calls shared among the callers,
/// except the runaway series from `spike.1` on, whose calls are all the
/// application's loop.
pub fn records(
    series: &[SimSeries],
    spike: Option<(usize, u64, DateTime<Utc>)>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<Value> {
    let callers = callers();
    let mut out = Vec::new();
    for (i, s) in series.iter().enumerate() {
        match spike {
            Some((j, factor, from)) if i == j && end > from => {
                out.extend(trail_records(s, &callers, start, from.max(start)));
                out.extend(trail_records(&scaled(s, factor), &callers[..1], from.max(start), end));
            }
            _ => out.extend(trail_records(s, &callers, start, end)),
        }
    }
    out
}

/// The sandbox role trying Sonnet a dozen times in one minute.
pub fn denied(series: &SimSeries, minute: DateTime<Utc>) -> Vec<Value> {
    error_burst(series, &sandbox(), minute, 12, "AccessDeniedException")
}

pub async fn seed(emulator: &Emulator, records: &[Value]) -> Result<usize, DemoError> {
    let mut stored = 0;
    // The control API takes a few thousand records per request comfortably.
    for chunk in records.chunks(2_000) {
        stored += emulator.seed_cloudtrail(chunk).await?;
    }
    Ok(stored)
}
