//! The CloudTrail adapter: `LookupEvents` for `eventSource =
//! bedrock.amazonaws.com`, per region, at most 2 requests per second. The only
//! file that sees `aws_sdk_cloudtrail` types.
//!
//! Must not parse, filter or aggregate events (`fetch`), nor decide
//! how to page, wait or retry (`paging`): it sends one request and
//! maps the answer. The SDK's own retries are off for LookupEvents, so that
//! every attempt passes the rate limiter and every throttle is counted.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_cloudtrail::config::http::HttpResponse;
use aws_sdk_cloudtrail::config::retry::RetryConfig;
use aws_sdk_cloudtrail::error::SdkError;
use aws_sdk_cloudtrail::operation::lookup_events::LookupEventsError;
use aws_sdk_cloudtrail::types::{Event, LookupAttribute, LookupAttributeKey};
use aws_sdk_cloudtrail::Client;
use chrono::{DateTime, Utc};

use super::fetch::{EventFetch, RawEvent};
use super::paging::{fetch_window, LookupPolicy, Page, PageError, PageQuery, PageSource, Window, API};
use crate::aws::MonitoredShards;
use crate::config::types::CloudTrailSource as CloudTrailConfig;
use crate::sources::aws_error::{classify, is_transient};
use crate::sources::rate_limit::RateLimiter;
use crate::sources::{ErrorKind, EventSource, SourceError};

/// The `eventSource` of Bedrock runtime (and control-plane) events.
pub const EVENT_SOURCE: &str = "bedrock.amazonaws.com";
/// LookupEvents' documented quota, per account and region.
pub const REQUESTS_PER_SECOND: u32 = 2;
/// Added to every request interval so network jitter never lands three
/// requests in one server-side second (≈1.8 requests/s actually sent).
pub const RATE_MARGIN: Duration = Duration::from_millis(50);

struct RegionClient {
    client: Client,
    /// One per region and source: every fetch in the region shares the quota.
    limiter: RateLimiter,
}

/// One CloudTrail client per monitored region.
pub struct CloudTrailSource {
    regions: BTreeMap<String, RegionClient>,
    event_names: Vec<String>,
    policy: LookupPolicy,
}

impl CloudTrailSource {
    pub fn new(clients: BTreeMap<String, Client>, event_names: Vec<String>) -> Self {
        let regions = clients
            .into_iter()
            .map(|(region, client)| {
                (
                    region,
                    RegionClient {
                        client,
                        limiter: RateLimiter::per_second(REQUESTS_PER_SECOND, RATE_MARGIN),
                    },
                )
            })
            .collect();
        CloudTrailSource { regions, event_names, policy: LookupPolicy::default() }
    }

    /// A client per region, in the monitored account, reading the event names of `sources.cloudtrail.event_names`.
    /// One client (and LookupEvents limiter: the quota is per account and
    /// region) per shard, keyed by its ledger key.
    pub fn connect(shards: &MonitoredShards, config: &CloudTrailConfig) -> Self {
        #[expect(clippy::disallowed_methods, reason = "the adapter builds its own clients")]
        let clients = shards.per_shard(Client::new);
        Self::new(clients, config.event_names.clone())
    }

    pub fn with_policy(mut self, policy: LookupPolicy) -> Self {
        self.policy = policy;
        self
    }

    fn region(&self, region: &str) -> Result<&RegionClient, SourceError> {
        self.regions.get(region).ok_or_else(|| SourceError {
            api: API,
            region: region.to_string(),
            kind: ErrorKind::Other,
            message: "no client configured for this region".into(),
        })
    }
}

#[async_trait]
impl EventSource for CloudTrailSource {
    async fn events(
        &self,
        region: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<EventFetch, SourceError> {
        let limiter = &self.region(region)?.limiter;
        let window = Window { region, event_names: &self.event_names, start, end };
        fetch_window(self, limiter, &self.policy, &window).await
    }
}

#[async_trait]
impl PageSource for CloudTrailSource {
    async fn page(&self, region: &str, q: &PageQuery) -> Result<Page, PageError> {
        let client = &self.region(region).map_err(PageError::Failed)?.client;
        let attribute = LookupAttribute::builder()
            .attribute_key(LookupAttributeKey::EventSource)
            .attribute_value(EVENT_SOURCE)
            .build()
            .map_err(|e| PageError::Failed(failed(region, e.to_string())))?;
        let out = client
            .lookup_events()
            .lookup_attributes(attribute)
            .start_time(smithy_time(q.start))
            .end_time(smithy_time(q.end))
            .max_results(q.page_size)
            .set_next_token(q.next_token.clone())
            .customize()
            .config_override(aws_sdk_cloudtrail::Config::builder().retry_config(RetryConfig::disabled()))
            .send()
            .await
            .map_err(|e| page_error(region, &e))?;
        let next_token = out.next_token;
        let events = out.events.unwrap_or_default().into_iter().map(raw_event).collect();
        Ok(Page { events, next_token })
    }
}

fn raw_event(e: Event) -> RawEvent {
    RawEvent {
        event_time: e.event_time.as_ref().and_then(chrono_time),
        event_id: e.event_id,
        event_name: e.event_name,
        cloudtrail_event: e.cloud_trail_event,
    }
}

fn page_error(region: &str, e: &SdkError<LookupEventsError, HttpResponse>) -> PageError {
    let error = classify(API, region, e);
    if error.kind == ErrorKind::Throttled {
        PageError::Throttled(error)
    } else if e.as_service_error().is_some_and(LookupEventsError::is_invalid_next_token_exception) {
        PageError::InvalidToken(error)
    } else if is_transient(e) {
        PageError::Transient(error)
    } else {
        PageError::Failed(error)
    }
}

fn failed(region: &str, message: String) -> SourceError {
    SourceError { api: API, region: region.to_string(), kind: ErrorKind::Other, message }
}

fn smithy_time(t: DateTime<Utc>) -> aws_sdk_cloudtrail::primitives::DateTime {
    aws_sdk_cloudtrail::primitives::DateTime::from_secs_and_nanos(t.timestamp(), t.timestamp_subsec_nanos())
}

fn chrono_time(t: &aws_sdk_cloudtrail::primitives::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}
