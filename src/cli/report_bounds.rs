//! `report --bounds`: per report row, what the ledger's exact figure cannot
//! know from CloudWatch's per-minute sums (the long-context tier, the
//! cache-write TTL), read from each local day's metric points and bounded by
//! `collector::bounds`. Reads and prints; computes nothing itself.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Value};

use super::CliError;
use crate::app::AppError;
use crate::collector::bounds;
use crate::ledger::report::{Dimension, GroupBy, SpendKey, SpendReport};
use crate::ledger::report_days::day_key;
use crate::ledger::retention::COMPACTED_BEFORE;
use crate::money::{display_usd, exact};
pub use crate::pricing::bounds::Bounds;
use crate::pricing::PointPricer;

/// The bounds of each row of `report` (same order) and of its total.
pub struct RowBounds {
    pub rows: Vec<Bounds>,
    pub total: Bounds,
}

pub async fn read(
    loaded: &crate::config::Loaded,
    report: &SpendReport,
    group_by: GroupBy,
    days: &[(NaiveDate, DateTime<Utc>, DateTime<Utc>)],
) -> Result<RowBounds, CliError> {
    let store = crate::app::open_backend(loaded).await?;
    refuse_compacted(store.as_ref(), days).await?;
    let pricer = PointPricer::from_config(loaded);
    let mut by_key: BTreeMap<SpendKey, Bounds> = BTreeMap::new();
    let mut total = Bounds::default();
    for (day, start, end) in days {
        let points = store.metric_points(*start, *end).await.map_err(AppError::from)?;
        for m in bounds::of_points(&pricer, &points) {
            // Bounds are of a minute's whole usage, not of one token type.
            let key = day_key(group_by, *day, &m.model, &m.model_id, &m.region, None, None);
            by_key.entry(key).or_default().add(&m.bounds);
            total.add(&m.bounds);
        }
    }
    let rows = report
        .rows
        .iter()
        .map(|r| {
            let key = SpendKey { token_type: None, ..r.key.clone() };
            by_key.get(&key).copied().unwrap_or_default()
        })
        .collect();
    Ok(RowBounds { rows, total })
}

/// Bounds are read from metric points, which compaction deletes past the
/// minute retention: a day before that would show bounds of zero.
async fn refuse_compacted(
    store: &dyn crate::ledger::Backend,
    days: &[(NaiveDate, DateTime<Utc>, DateTime<Utc>)],
) -> Result<(), CliError> {
    let flag = store.get_state(COMPACTED_BEFORE).await.map_err(AppError::from)?;
    let Some(horizon) = flag.and_then(|f| DateTime::parse_from_rfc3339(&f).ok()) else { return Ok(()) };
    match days.first() {
        Some((day, start, _)) if *start < horizon => Err(CliError::Argument {
            arg: "bounds",
            reason: format!(
                "the minute detail bounds are read from is kept for store.sqlite_minute_retention_days; \
                 {day} is before {horizon}, where the ledger was compacted (the spend itself stays exact)"
            ),
        }),
        _ => Ok(()),
    }
}

/// `--bounds` needs the cost rows' keys: principal shares have none to bound.
pub fn check(group_by: GroupBy) -> Result<(), CliError> {
    if group_by.contains(Dimension::Principal) {
        return Err(CliError::Argument {
            arg: "bounds",
            reason: "cannot be combined with --by principal".into(),
        });
    }
    Ok(())
}

pub const CSV_HEADER: [&str; 4] =
    ["long_context_max_extra_usd", "long_context_certain_minutes", "cache_ttl_low_usd", "cache_ttl_high_usd"];

pub fn csv_fields(b: &Bounds) -> [String; 4] {
    [
        exact(b.long_context_max_extra_usd),
        b.long_context_certain_minutes.to_string(),
        exact(b.cache_ttl_low_usd),
        exact(b.cache_ttl_high_usd),
    ]
}

pub fn json(b: &Bounds) -> Value {
    json!({
        "long_context_max_extra_usd": exact(b.long_context_max_extra_usd),
        "long_context_certain_minutes": b.long_context_certain_minutes,
        "cache_ttl_low_usd": exact(b.cache_ttl_low_usd),
        "cache_ttl_high_usd": exact(b.cache_ttl_high_usd),
    })
}

/// `+≤12.34` and `-0.50..+1.25` for the table, rounded to the cent.
pub fn table_cells(b: &Bounds) -> (String, String) {
    (
        format!("+≤{}", display_usd(b.long_context_max_extra_usd)),
        format!("{}..+{}", display_usd(b.cache_ttl_low_usd), display_usd(b.cache_ttl_high_usd)),
    )
}

pub const TABLE_NOTE: &str =
    "long ctx: the most the long-context tier could add (CloudWatch cannot say which \
requests were long); TTL: the cost change had the cache writes used the other TTL";
