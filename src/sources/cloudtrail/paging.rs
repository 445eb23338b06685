//! Reading a whole window of LookupEvents pages: every request through the
//! region's [`RateLimiter`], `NextToken` followed, throttles waited out, brief
//! failures retried, and a query restarted from the oldest event read when a
//! token stops being accepted (a long window must not be lost at page 80).
//!
//! Behind [`PageSource`] so this logic is tested on paused time without the
//! SDK; `cloudtrail.rs` implements it with the real client. Must not parse or
//! filter events itself (`EventCollector` does).

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::fetch::{EventCollector, EventFetch, RawEvent};
use crate::sources::rate_limit::RateLimiter;
use crate::sources::{ErrorKind, SourceError};

pub const API: &str = "LookupEvents";

/// One LookupEvents request: the time range, the page size and where to resume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageQuery {
    pub start: DateTime<Utc>,
    /// Inclusive, as LookupEvents treats it.
    pub end: DateTime<Utc>,
    pub page_size: i32,
    pub next_token: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Page {
    pub events: Vec<RawEvent>,
    pub next_token: Option<String>,
}

/// How a page request failed, as far as paging cares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageError {
    /// ThrottlingException: wait and send the same request again.
    Throttled(SourceError),
    /// Timeout, connection failure or 5xx: worth a few more tries.
    Transient(SourceError),
    /// InvalidNextTokenException: the query can be restarted.
    InvalidToken(SourceError),
    Failed(SourceError),
}

impl PageError {
    pub fn into_source(self) -> SourceError {
        match self {
            PageError::Throttled(e)
            | PageError::Transient(e)
            | PageError::InvalidToken(e)
            | PageError::Failed(e) => e,
        }
    }
}

/// One page of events for a region.
#[async_trait]
pub trait PageSource: Send + Sync {
    async fn page(&self, region: &str, query: &PageQuery) -> Result<Page, PageError>;
}

/// Limits of one fetch. Defaults suit the real API; tests shrink the waits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupPolicy {
    /// At most 50 (the API's maximum).
    pub page_size: i32,
    /// The first wait after a throttle; it doubles on every further one.
    pub throttle_backoff: Duration,
    pub max_backoff: Duration,
    /// Throttles in a row on one page before the fetch gives up (a run fails,
    /// not the daemon: something else is using the account's quota).
    pub max_throttles_per_page: u32,
    pub max_transient_retries: u32,
    /// Restarts after a rejected NextToken before the fetch gives up.
    pub max_restarts: u32,
}

impl Default for LookupPolicy {
    fn default() -> Self {
        LookupPolicy {
            page_size: 50,
            throttle_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(8),
            max_throttles_per_page: 30,
            max_transient_retries: 2,
            max_restarts: 3,
        }
    }
}

impl LookupPolicy {
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.saturating_sub(1)).unwrap_or(u32::MAX);
        self.throttle_backoff.saturating_mul(factor).min(self.max_backoff)
    }
}

/// What one fetch reads: a region, the event names to keep, `[start, end)`.
pub struct Window<'a> {
    pub region: &'a str,
    pub event_names: &'a [String],
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Every page of `[start, end)` in the region (LookupEvents is asked for
/// `[start, end]`; the collector drops the end instant).
pub async fn fetch_window<P: PageSource + ?Sized>(
    pages: &P,
    limiter: &RateLimiter,
    policy: &LookupPolicy,
    w: &Window<'_>,
) -> Result<EventFetch, SourceError> {
    let mut collector = EventCollector::new(w.event_names, w.start, w.end);
    // LookupEvents refuses more than 50 per page.
    let page_size = policy.page_size.clamp(1, 50);
    let mut query = PageQuery { start: w.start, end: w.end, page_size, next_token: None };
    let mut tokens = HashSet::new();
    let mut restarts = 0;
    loop {
        match page_with_retries(pages, limiter, policy, w.region, &query, &mut collector).await {
            Ok(page) => {
                page.events.iter().for_each(|e| collector.offer(e));
                match page.next_token.filter(|t| !t.is_empty()) {
                    None => return Ok(collector.finish()),
                    Some(t) if !tokens.insert(t.clone()) => return Err(token_loop(w.region)),
                    Some(t) => query.next_token = Some(t),
                }
            }
            Err(PageError::InvalidToken(_))
                if query.next_token.is_some() && restarts < policy.max_restarts =>
            {
                restarts += 1;
                // Newest first: everything after the oldest event read is done.
                // Its own second is read again; the collector drops repeats.
                query.end = collector.oldest().unwrap_or(query.end).clamp(w.start, w.end);
                query.next_token = None;
                // Tokens of the new query may look like the old query's.
                tokens.clear();
                tracing::info!(region = w.region, resume_before = %query.end, "LookupEvents token rejected; query restarted");
            }
            Err(e) => return Err(e.into_source()),
        }
    }
}

/// One page, sending the same request again after throttles and brief failures.
async fn page_with_retries<P: PageSource + ?Sized>(
    pages: &P,
    limiter: &RateLimiter,
    policy: &LookupPolicy,
    region: &str,
    query: &PageQuery,
    collector: &mut EventCollector,
) -> Result<Page, PageError> {
    let (mut throttles, mut transients) = (0, 0);
    loop {
        limiter.acquire().await;
        let result = pages.page(region, query).await;
        collector.count_request(matches!(result, Err(PageError::Throttled(_))));
        let wait = match result {
            Err(PageError::Throttled(e)) => {
                throttles += 1;
                if throttles > policy.max_throttles_per_page {
                    return Err(PageError::Throttled(e));
                }
                policy.backoff(throttles)
            }
            Err(PageError::Transient(e)) => {
                transients += 1;
                if transients > policy.max_transient_retries {
                    return Err(PageError::Transient(e));
                }
                policy.backoff(transients)
            }
            other => return other,
        };
        // Every caller in the region waits: the quota is the region's, not this fetch's.
        limiter.pause(wait);
    }
}

fn token_loop(region: &str) -> SourceError {
    SourceError {
        api: API,
        region: region.to_string(),
        kind: ErrorKind::Service,
        message: "LookupEvents returned a NextToken it had returned before".into(),
    }
}

#[cfg(test)]
#[path = "paging_tests.rs"]
mod tests;
