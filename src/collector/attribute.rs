//! The attribution step: after any source wrote a window, the priced cost
//! lines, the CloudTrail call counts and the logged requests of that window
//! are read back, split per principal (`attribution`, pure) and the shares
//! replace the window's old ones. Reading back after writing means the last
//! step to run always sees every source's latest data; one step at a time (a lock), so a
//! CloudWatch-triggered step and a CloudTrail-triggered one cannot interleave
//! a stale read with a fresh write.
//!
//! Each source keeps an "attributed through" flag per region in the store,
//! so a run that failed after writing part of its window is still attributed
//! by the next run, from the flag on.
//!
//! Must not fetch or price anything.

use chrono::{DateTime, Duration, Utc};
use tokio::sync::Mutex;

use crate::attribution::attribute_window;
use crate::ledger::{AttributionBatch, Backend, ReplaceStats, Store, StoreError};
use crate::records::Source;

/// Windows longer than this are attributed this many minutes at a time.
/// A step holds every region's cost lines of its chunk (`cost_lines` is not
/// per region), so its memory grows with regions × model IDs × token types ×
/// minutes: at 50 model IDs in 5 regions an hour is about 60,000 lines (over
/// 10 MiB), a day hundreds of MiB, and glibc keeps the peak resident long
/// after. A quarter of an hour keeps it near 3 MiB. Shares are computed per
/// minute, so minute-aligned chunks give the same shares as one window.
const CHUNK_MINUTES: i64 = 15;

/// The flag holding where the last attribution after `source` stopped in `region`.
pub fn attributed_flag(source: Source, region: &str) -> String {
    format!("attributed_through:{source}:{region}")
}

#[derive(Default)]
pub struct Attributor {
    lock: Mutex<()>,
}

impl Attributor {
    /// After `source` wrote `[read_from, …)` of `region`: re-attributes from
    /// the earlier of `read_from` and where the last attribution for this
    /// source stopped, through `to` (the source's watermark).
    pub async fn catch_up(
        &self,
        store: &dyn Backend,
        source: Source,
        region: &str,
        read_from: Option<DateTime<Utc>>,
        to: DateTime<Utc>,
    ) -> Result<ReplaceStats, StoreError> {
        let flag = attributed_flag(source, region);
        let done = store.get_state(&flag).await?.and_then(|s| DateTime::parse_from_rfc3339(&s).ok());
        let from = match (read_from, done.map(|d| d.with_timezone(&Utc))) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => return Ok(ReplaceStats::default()),
        };
        let stats = self.attribute(store, region, from, to).await?;
        store.put_state(&flag, &to.to_rfc3339()).await?;
        Ok(stats)
    }

    /// Re-attributes `[from, to)` of `region`.
    pub async fn attribute(
        &self,
        store: &dyn Store,
        region: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<ReplaceStats, StoreError> {
        let _one = self.lock.lock().await;
        let mut total = ReplaceStats::default();
        for (start, end) in crate::clock::spans(from, to, Duration::minutes(CHUNK_MINUTES)) {
            let lines = store.region_cost_lines(region, start, end).await?;
            let calls = store.call_counts(region, start, end).await?;
            let logged = store.request_rows(region, start, end).await?;
            let shares = attribute_window(&lines, &calls, &logged);
            let batch = AttributionBatch { region: region.to_string(), from: start, to: end, shares };
            let stats = store.write_attribution(&batch).await?;
            total.inserted += stats.inserted;
            total.changed += stats.changed;
            total.removed += stats.removed;
        }
        Ok(total)
    }
}
