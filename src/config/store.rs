//! The `[store]` section: which store keeps the ledger, and how long each
//! keeps what. Its cross-field checks live here too, beside the fields they
//! check. Must not open a store.

use serde::Deserialize;

use super::schedule::CronSchedule;
use super::types::{default_schedule, Config};
use crate::diag::{FieldPath, Finding};
use crate::names::is_region;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    #[default]
    Sqlite,
    Dynamodb,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSection {
    pub kind: StoreKind,
    pub dynamodb_table: Option<String>,
    /// The table's region; default the first of `monitor.regions`.
    pub dynamodb_region: Option<String>,
    /// Days minute rows are kept in DynamoDB before its TTL deletes them
    /// (totals, rollups and alert state are kept longer).
    pub dynamodb_minute_retention_days: u32,
    /// Days the SQLite file keeps minute rows (cost lines and shares, which
    /// then fold into their hourly rollups; metric points, CloudTrail calls,
    /// request IDs and read S3 objects, which go). 35: every open budget
    /// period (a month at most) is still held minute by minute.
    pub sqlite_minute_retention_days: u32,
    /// Days the SQLite file keeps a published alert: longer than any budget
    /// period, whose dedupe keys it must keep refusing.
    pub sqlite_published_alert_retention_days: u32,
    /// When the SQLite file is compacted (daily, at a quiet minute).
    pub sqlite_compaction_schedule: CronSchedule,
}

impl Default for StoreSection {
    fn default() -> Self {
        StoreSection {
            kind: StoreKind::Sqlite,
            dynamodb_table: None,
            dynamodb_region: None,
            dynamodb_minute_retention_days: 35,
            sqlite_minute_retention_days: 35,
            sqlite_published_alert_retention_days: 400,
            sqlite_compaction_schedule: default_schedule("0 17 4 * * *"),
        }
    }
}

/// Hours of CloudWatch's 1-minute data: the deepest a CloudWatch re-read goes.
const CLOUDWATCH_HOURS: u32 = 360;
/// Kept beyond the deepest first-run read: a source's first run may reach
/// back its whole backfill, and must not land on a folded minute.
const MARGIN_HOURS: u32 = 48;

pub(super) fn check(c: &Config, path: &FieldPath, out: &mut Vec<Finding>) {
    let s = &c.store;
    if s.kind == StoreKind::Dynamodb && s.dynamodb_table.as_deref().is_none_or(str::is_empty) {
        out.push(Finding::error(path.key("dynamodb_table"), "required when store.kind = \"dynamodb\""));
    }
    if let Some(r) = &s.dynamodb_region {
        if !is_region(r) {
            out.push(Finding::error(path.key("dynamodb_region"), format!("`{r}` is not an AWS region name")));
        }
    }
    // A budget month needs 31 days of minutes; CloudWatch itself keeps 15.
    let month = " (a budget month needs 31 days of minute rows)";
    for (field, days) in [
        ("dynamodb_minute_retention_days", s.dynamodb_minute_retention_days),
        ("sqlite_minute_retention_days", s.sqlite_minute_retention_days),
    ] {
        if !(32..=3650).contains(&days) {
            out.push(Finding::error(path.key(field), format!("{days} must be between 32 and 3650{month}")));
        }
    }
    if !(32..=3650).contains(&s.sqlite_published_alert_retention_days) {
        out.push(Finding::error(
            path.key("sqlite_published_alert_retention_days"),
            format!(
                "{} must be between 32 and 3650 (a published alert is kept at least as long as the \
                 longest budget period, so its dedupe key keeps refusing a repeat)",
                s.sqlite_published_alert_retention_days
            ),
        ));
    }
    reach(c, path, out);
}

/// The SQLite store refuses writes before its compaction horizon, so every
/// source's first run must reach no further back than the minutes it keeps.
fn reach(c: &Config, path: &FieldPath, out: &mut Vec<Finding>) {
    if c.store.kind != StoreKind::Sqlite {
        return;
    }
    let src = &c.sources;
    let deepest = [
        (src.cloudwatch.enabled, "sources.cloudwatch (15 days of 1-minute data)", CLOUDWATCH_HOURS),
        (src.cloudtrail.enabled, "sources.cloudtrail.backfill_hours", src.cloudtrail.backfill_hours),
        (
            src.invocation_logs.enabled(),
            "sources.invocation_logs.backfill_hours",
            src.invocation_logs.backfill_hours,
        ),
    ];
    let kept = u64::from(c.store.sqlite_minute_retention_days) * 24;
    for (on, what, hours) in deepest {
        if on && u64::from(hours) + u64::from(MARGIN_HOURS) > kept {
            out.push(Finding::error(
                path.key("sqlite_minute_retention_days"),
                format!(
                    "{} days keeps less than {what} reaches back ({hours} h) plus {MARGIN_HOURS} h: a \
                     first run would write minutes compaction may already have folded",
                    c.store.sqlite_minute_retention_days
                ),
            ));
        }
    }
}
