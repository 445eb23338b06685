//! What every collection job shares: where a region's window starts,
//! running every region at once so that a failed region stops no other, and
//! grouping shard keys by account.
//!
//! Pure rule plus a fan-out; must not fetch, price or write.

use std::future::Future;

use chrono::{DateTime, Duration, Utc};

use super::CollectError;
use crate::clock::floor_minute;

/// The start of the window ending at `end`: from the watermark, but never
/// later than `reread_minutes` before `end` (late data is read again), and
/// `backfill_hours` back on a region's first run.
pub fn start(
    watermark: Option<DateTime<Utc>>,
    end: DateTime<Utc>,
    reread_minutes: u32,
    backfill_hours: u32,
) -> DateTime<Utc> {
    let reread = end - Duration::minutes(i64::from(reread_minutes));
    match watermark {
        Some(w) => floor_minute(w).min(reread),
        None => end - Duration::hours(i64::from(backfill_hours)),
    }
}

/// Runs `collect` for every region at the same time (each region has its own
/// API quota, so a run takes as long as its busiest region) and gathers the
/// region reports and the errors of the regions that failed.
pub async fn each_region<R, F, Fut>(regions: &[String], collect: F) -> (Vec<R>, Vec<CollectError>)
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = (R, Result<(), CollectError>)>,
{
    let mut reports = Vec::new();
    let mut errors = Vec::new();
    for (report, outcome) in futures_util::future::join_all(regions.iter().cloned().map(collect)).await {
        if let Err(e) = outcome {
            errors.push(e);
        }
        reports.push(report);
    }
    (reports, errors)
}

/// Shard keys grouped by account, in their configured order.
pub fn by_account(keys: &[String]) -> Vec<Vec<String>> {
    let mut groups: Vec<Vec<String>> = Vec::new();
    for key in keys {
        let account = crate::shard::account_of(key);
        match groups.iter_mut().find(|g| crate::shard::account_of(&g[0]) == account) {
            Some(group) => group.push(key.clone()),
            None => groups.push(vec![key.clone()]),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn window_start_table() {
        let end = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
        let at = |m: i64| end + Duration::minutes(m);
        // (watermark, reread minutes, backfill hours, want)
        let cases = [
            (None, 20, 24, end - Duration::hours(24)),
            (Some(at(-5)), 20, 24, at(-20)),
            (Some(at(-90)), 20, 24, at(-90)),
            // A watermark inside a minute starts at that minute.
            (Some(at(-90) + Duration::seconds(30)), 20, 24, at(-90)),
        ];
        for (watermark, reread, backfill, want) in cases {
            assert_eq!(start(watermark, end, reread, backfill), want, "{watermark:?}");
        }
    }

    #[test]
    fn shards_group_by_account_in_their_order() {
        let keys: Vec<String> = [
            "us-east-1",
            "111122223333/us-east-1",
            "us-west-2",
            "111122223333/eu-west-1",
            "444455556666/us-east-1",
        ]
        .map(String::from)
        .to_vec();
        let groups = by_account(&keys);
        let want: [&[&str]; 3] = [
            &["us-east-1", "us-west-2"],
            &["111122223333/us-east-1", "111122223333/eu-west-1"],
            &["444455556666/us-east-1"],
        ];
        assert_eq!(groups, want.map(|g| g.iter().map(|k| k.to_string()).collect::<Vec<_>>()));
    }
}
