//! The CloudWatch Logs adapter: `FilterLogEvents` on each region's
//! invocation-log group, one page per call, every call through the region's
//! rate limiter. The only file that sees `aws_sdk_cloudwatchlogs` types.
//!
//! Must not parse records (`record.rs`) nor decide how far to read (the
//! job). The SDK's own retries are off, so that every attempt passes the
//! limiter and a throttle is waited out here, counted, not hidden.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_cloudwatchlogs::config::retry::RetryConfig;
use aws_sdk_cloudwatchlogs::Client;
use chrono::{DateTime, Utc};

use super::pages::{LogEvent, LogPage, LogPages, LogQuery, PageFailure};
use crate::aws::MonitoredAccount;
use crate::sources::aws_error::{classify, is_transient};
use crate::sources::rate_limit::RateLimiter;
use crate::sources::{ErrorKind, SourceError};

pub const API: &str = "FilterLogEvents";
/// FilterLogEvents' default quota per account and region.
pub const REQUESTS_PER_SECOND: u32 = 5;
const RATE_MARGIN: Duration = Duration::from_millis(20);

struct RegionClient {
    client: Client,
    log_group: String,
    limiter: RateLimiter,
}

/// One CloudWatch Logs client per region with a log group.
pub struct CloudWatchLogsSource {
    regions: BTreeMap<String, RegionClient>,
}

impl CloudWatchLogsSource {
    /// Clients for the regions of `groups` (region → log group), in the
    /// monitored account (the logs are delivered in the account that called).
    pub fn connect(aws: &MonitoredAccount, groups: &BTreeMap<String, String>) -> Self {
        let regions: Vec<String> = groups.keys().cloned().collect();
        #[expect(clippy::disallowed_methods, reason = "the adapter builds its own clients")]
        let mut clients = aws.per_region(&regions, Client::new);
        let regions = groups
            .iter()
            .filter_map(|(region, group)| {
                let client = clients.remove(region)?;
                let limiter = RateLimiter::per_second(REQUESTS_PER_SECOND, RATE_MARGIN);
                Some((region.clone(), RegionClient { client, log_group: group.clone(), limiter }))
            })
            .collect();
        CloudWatchLogsSource { regions }
    }
}

#[async_trait]
impl LogPages for CloudWatchLogsSource {
    async fn page(&self, region: &str, q: &LogQuery) -> Result<LogPage, PageFailure> {
        let rc = self.regions.get(region).ok_or_else(|| PageFailure {
            error: SourceError {
                api: API,
                region: region.to_string(),
                kind: ErrorKind::Other,
                message: "no log group configured for this region".into(),
            },
            retry: false,
        })?;
        rc.limiter.acquire().await;
        // FilterLogEvents' end time is inclusive; the query's is not.
        let out = rc
            .client
            .filter_log_events()
            .log_group_name(&rc.log_group)
            .start_time(q.from.timestamp_millis())
            .end_time(q.to.timestamp_millis() - 1)
            .set_limit(q.limit)
            .set_next_token(q.next_token.clone())
            .customize()
            .config_override(aws_sdk_cloudwatchlogs::Config::builder().retry_config(RetryConfig::disabled()))
            .send()
            .await
            .map_err(|e| PageFailure { error: classify(API, region, &e), retry: is_transient(&e) })?;
        let events = out
            .events
            .unwrap_or_default()
            .into_iter()
            .map(|e| LogEvent {
                at: e.timestamp.and_then(DateTime::<Utc>::from_timestamp_millis),
                event_id: e.event_id,
                message: e.message.unwrap_or_default(),
            })
            .collect();
        Ok(LogPage { events, next_token: out.next_token })
    }
}
