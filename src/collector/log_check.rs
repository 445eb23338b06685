//! The cross-check of the invocation logs against CloudWatch: over the last
//! settled hour of a region (both sources' watermarks passed it, and the
//! logs' lookback for late records too), the tokens each counted for the
//! bedrock-runtime endpoint, and the failed deliveries Bedrock reported.
//!
//! Fetch and compare only; the rule and its alert are `alerts::log_drift`.

use std::sync::Arc;

use chrono::Duration;

use super::CollectError;
use crate::alerts::log_drift::Drift;
use crate::clock::floor_minute;
use crate::ledger::Store;
use crate::records::Source;
use crate::sources::invocation_logs::delivery::DeliveryHealth;
use crate::sources::RequestCount;

/// The hour compared, ending where both sources are settled.
const WINDOW_MINUTES: i64 = 60;

pub struct LogCheck {
    pub store: Arc<dyn Store>,
    pub health: Arc<dyn DeliveryHealth>,
    /// The logs' lookback: records later than this are not waited for.
    pub lookback_minutes: u32,
}

impl LogCheck {
    /// The comparison of `region`'s last settled hour, and what asking
    /// CloudWatch for the failures cost; `None` until both sources have data.
    pub async fn check(&self, region: &str) -> Result<Option<(Drift, RequestCount)>, CollectError> {
        let cw = self.store.watermark(Source::CloudWatch, region).await?;
        let logs = self.store.watermark(Source::InvocationLogs, region).await?;
        let (Some(cw), Some(logs)) = (cw, logs) else { return Ok(None) };
        let to = floor_minute(cw.min(logs)) - Duration::minutes(i64::from(self.lookback_minutes));
        let from = to - Duration::minutes(WINDOW_MINUTES);
        let lines = self.store.region_cost_lines(region, from, to).await?;
        let rows = self.store.request_rows(region, from, to).await?;
        let mut drift = Drift::of(region, (from, to), &lines, &rows);
        let (failures, count) = self.health.delivery_failures(region, from, to).await?;
        drift.delivery_failures = failures;
        Ok(Some((drift, count)))
    }
}
