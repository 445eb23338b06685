//! The scaled workload of the RSS bench: `--models M --regions R
//! --principals P [--accounts N]` publishes usage metrics for M model IDs in
//! each of R regions and CloudTrail events of P distinct principals, in the
//! primary account and in N - 1 member accounts (default N = 1: the primary
//! only), and writes the configuration the daemon runs with: N × R shards.
//! Without those flags the bench runs the demo's workload with
//! `config/demo.toml`, as it always has. Must not start processes or talk
//! to the emulator (`main.rs` does).
//!
//! The configuration is the one a deployment of that size would run: the
//! defaults (CloudTrail attribution on, bounded labels at their default
//! caps, detail metrics on, SQLite), the R regions, a daily budget with a
//! burn-rate rule and a per-principal daily budget, and only the schedules
//! faster than the defaults (usage every minute, detail every two minutes,
//! CloudTrail every minute with a 10-minute overlap) so that a few minutes
//! of sampling see many runs of every job. The member accounts are
//! `[[accounts.members]]`, each in every region, read through the default
//! role `bedrock-cost-monitor-reader` (the emulator maps the credentials
//! STS hands out for it to that account). Invocation logs stay off, as
//! they are unless a region's log group is configured.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::Value;

use bedrock_cost_monitor::sim::trail::{trail_records, SimPrincipal};
use bedrock_cost_monitor::sim::{varied_series, SimSeries};

use crate::support;

/// Regions in the order a scaled run takes them.
const REGIONS: &[&str] = &[
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-northeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-west-3",
];

/// Minutes of CloudTrail history seeded before the daemon starts (the
/// emulator's LookupEvents, like AWS's, serves 2 pages of 50 a second per region).
pub const TRAIL_HISTORY_MINUTES: i64 = 20;

/// Member account IDs: `2100` and the member's number, 12 digits.
const MEMBER_ID_BASE: u64 = 210_000_000_000;

/// The workload's size, from the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    pub models: usize,
    pub regions: usize,
    pub principals: usize,
    /// The primary account and `accounts - 1` members.
    pub accounts: usize,
}

/// One account's share of the workload: the same series as every other
/// account's (all regions), published with that account's credentials.
pub struct AccountLoad {
    /// `None`: the primary account (the emulator's default one).
    pub account: Option<String>,
    pub series: Vec<SimSeries>,
}

impl Scale {
    /// `None` without any of the three flags: the demo's workload.
    pub fn from_args(args: &[String]) -> Option<Scale> {
        let value = |flag: &str| -> Option<usize> {
            let i = args.iter().position(|a| a == flag)?;
            args.get(i + 1)?.parse().ok()
        };
        let (m, r, p) = (value("--models"), value("--regions"), value("--principals"));
        if m.is_none() && r.is_none() && p.is_none() {
            return None;
        }
        let regions = r.unwrap_or(2).clamp(1, REGIONS.len());
        Some(Scale {
            models: m.unwrap_or(6).max(1),
            regions,
            principals: p.unwrap_or(3).max(1),
            accounts: value("--accounts").unwrap_or(1).max(1),
        })
    }

    /// The member accounts' IDs (none with `--accounts 1`).
    pub fn members(&self) -> Vec<String> {
        (1..self.accounts as u64).map(|k| (MEMBER_ID_BASE + k).to_string()).collect()
    }

    /// The workload of each account, the primary's first.
    pub fn loads(&self) -> Vec<AccountLoad> {
        std::iter::once(None)
            .chain(self.members().into_iter().map(Some))
            .map(|account| AccountLoad { account, series: self.series() })
            .collect()
    }

    pub fn regions(&self) -> Vec<String> {
        REGIONS.iter().take(self.regions).map(|r| r.to_string()).collect()
    }

    /// A series per model ID and region, with few calls each (one a minute
    /// at night UTC, up to 7 in working hours): at 50 × 5 that is about 45
    /// to 250 CloudTrail events a minute per region, within what
    /// LookupEvents delivers with the overlap re-read, while every
    /// principal still calls.
    fn series(&self) -> Vec<SimSeries> {
        self.regions()
            .iter()
            .flat_map(|region| varied_series(region, support::model_ids(region, self.models)))
            .zip(0u64..)
            .map(|(s, i)| SimSeries { peak_invocations: 2 + i % 5, ..s })
            .collect()
    }

    /// Roles (one in ten an IAM user instead), all of the same weight.
    pub fn principals(&self) -> Vec<SimPrincipal> {
        (0..self.principals)
            .map(|k| {
                if k % 10 == 9 {
                    SimPrincipal::user(&format!("engineer-{k:04}"), 1)
                } else {
                    SimPrincipal::role(&format!("service-{k:04}-task"), 1)
                }
            })
            .collect()
    }
}

/// How many series each principal calls: a service role calls a few model
/// IDs (in one region or several), not every one.
const SERIES_PER_PRINCIPAL: usize = 5;

/// CloudTrail records of every series' calls in `[start, end)`. Series `i`
/// is called by its own window of the principals (starting `i` steps into
/// the list, `SERIES_PER_PRINCIPAL` steps wide), so each principal calls
/// about that many series; a minute's few calls go to the window's
/// principals in turn (`split_calls` rotates them minute by minute), and the
/// trail's history reaches every principal.
pub fn trail(
    series: &[SimSeries],
    principals: &[SimPrincipal],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<Value> {
    let n = principals.len();
    let step = (n / series.len().max(1)).max(1);
    let width = (step * SERIES_PER_PRINCIPAL).min(n);
    let mut out = Vec::new();
    for (i, s) in series.iter().enumerate() {
        let callers: Vec<SimPrincipal> = (0..width).map(|k| principals[(i * step + k) % n].clone()).collect();
        out.extend(trail_records(s, &callers, start, end));
    }
    out
}

/// Writes the daemon's configuration for `scale` to `path`.
pub fn write_config(scale: &Scale, root: &Path, path: &Path) -> std::io::Result<()> {
    let regions: Vec<String> = scale.regions().iter().map(|r| format!("\"{r}\"")).collect();
    let prices = root.join("config/prices.toml");
    let members: String = scale
        .members()
        .iter()
        .map(|id| format!("\n[[accounts.members]]\nid = \"{id}\"\nname = \"member-{id}\"\n"))
        .collect();
    let text = format!(
        r#"# Written by the RSS bench (benches/rss/scale.rs): {models} model IDs x {n} regions x {principals} principals x {accounts} accounts.
[monitor]
regions = [{regions}]
timezone = "UTC"
shutdown_deadline_secs = 10

[sources.cloudwatch]
schedule = "0 * * * * *"
detail_schedule = "40 */2 * * * *"

[sources.cloudtrail]
schedule = "20 * * * * *"
overlap_minutes = 10

[pricing]
table = "{prices}"

[[budgets]]
name = "daily"
period = "day"
limit_usd = "5000.00"
thresholds_pct = [50, 80, 100]
forecast_alert = true
[budgets.burn_rate]
short_minutes = 15
long_hours = 3
factor = "4"
min_usd_per_hour = "10"

[[budgets]]
name = "per-principal-daily"
period = "day"
limit_usd = "50.00"
per_principal = true
{members}"#,
        models = scale.models,
        accounts = scale.accounts,
        n = scale.regions,
        principals = scale.principals,
        regions = regions.join(", "),
        prices = prices.display(),
    );
    std::fs::write(path, text)
}

/// The distinct callers of the successful calls among `records` (sessions
/// of a role are one caller): what attribution will see.
pub fn callers(records: &[Value]) -> usize {
    let ids: std::collections::BTreeSet<&str> = records
        .iter()
        .filter(|r| r.get("errorCode").is_none())
        .filter_map(|r| r["userIdentity"]["principalId"].as_str())
        .map(|id| id.split(':').next().unwrap_or(id))
        .collect();
    ids.len()
}
