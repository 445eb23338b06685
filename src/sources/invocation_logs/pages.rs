//! Reading log pages: the page a query asks for, with throttles waited out
//! (backing off, on the region's limiter) and brief failures retried, so a
//! job only sees a page or a failure it should report.
//!
//! Behind [`LogPages`] so this is tested on paused time without the SDK;
//! `client.rs` implements it with CloudWatch Logs. Must not parse records.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::sources::{ErrorKind, SourceError};

/// One request for log events with `from <= timestamp < to`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogQuery {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Events per page; `None` lets the service fill 1 MB (up to 10,000).
    pub limit: Option<i32>,
    pub next_token: Option<String>,
}

/// One delivered log event: its message is one invocation-log record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEvent {
    pub at: Option<DateTime<Utc>>,
    pub event_id: Option<String>,
    pub message: String,
}

/// A page may be empty while more follow: only a missing token ends a query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogPage {
    pub events: Vec<LogEvent>,
    pub next_token: Option<String>,
}

/// A failed page request, and whether trying again soon may succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageFailure {
    pub error: SourceError,
    /// A timeout, a dropped connection or a 5xx.
    pub retry: bool,
}

#[async_trait]
pub trait LogPages: Send + Sync {
    async fn page(&self, region: &str, query: &LogQuery) -> Result<LogPage, PageFailure>;
}

/// How long to keep trying one page. Defaults suit the real API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first wait after a throttle; it doubles on every further one.
    pub throttle_backoff: Duration,
    pub max_backoff: Duration,
    pub max_throttles: u32,
    pub max_transient_retries: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            throttle_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(16),
            max_throttles: 8,
            max_transient_retries: 3,
        }
    }
}

/// What getting one page took.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Attempts {
    pub requests: u64,
    pub throttles: u64,
}

/// The page `query` asks for, trying again after throttles and brief
/// failures within `policy`; the last failure when the policy gives up.
pub async fn page_with_retries(
    pages: &dyn LogPages,
    region: &str,
    query: &LogQuery,
    policy: &RetryPolicy,
    attempts: &mut Attempts,
) -> Result<LogPage, SourceError> {
    let (mut throttles, mut transients) = (0u32, 0u32);
    let mut backoff = policy.throttle_backoff;
    loop {
        attempts.requests += 1;
        match pages.page(region, query).await {
            Ok(page) => return Ok(page),
            Err(f) if f.error.kind == ErrorKind::Throttled && throttles < policy.max_throttles => {
                throttles += 1;
                attempts.throttles += 1;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(policy.max_backoff);
            }
            Err(f) if f.retry && transients < policy.max_transient_retries => {
                transients += 1;
                tokio::time::sleep(policy.throttle_backoff).await;
            }
            Err(f) => return Err(f.error),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use super::*;

    struct Scripted(Mutex<VecDeque<Result<LogPage, PageFailure>>>);

    #[async_trait]
    impl LogPages for Scripted {
        async fn page(&self, _: &str, _: &LogQuery) -> Result<LogPage, PageFailure> {
            self.0.lock().unwrap().pop_front().expect("no more scripted answers")
        }
    }

    fn failure(kind: ErrorKind, retry: bool) -> Result<LogPage, PageFailure> {
        let error =
            SourceError { api: "FilterLogEvents", region: "us-east-1".into(), kind, message: "x".into() };
        Err(PageFailure { error, retry })
    }

    fn ok() -> Result<LogPage, PageFailure> {
        Ok(LogPage { events: Vec::new(), next_token: Some("t".into()) })
    }

    #[tokio::test(start_paused = true)]
    async fn retries_within_the_policy() {
        use ErrorKind::{Service, Throttled};
        let policy = RetryPolicy { max_throttles: 2, max_transient_retries: 1, ..RetryPolicy::default() };
        // (script, succeeds, requests, throttles)
        let cases = [
            (vec![ok()], true, 1, 0),
            (vec![failure(Throttled, false), failure(Throttled, false), ok()], true, 3, 2),
            (
                vec![failure(Throttled, false), failure(Throttled, false), failure(Throttled, false)],
                false,
                3,
                2,
            ),
            (vec![failure(Service, true), ok()], true, 2, 0),
            (vec![failure(Service, true), failure(Service, true)], false, 2, 0),
            // AccessDenied, a missing log group: reported at once.
            (vec![failure(Service, false)], false, 1, 0),
        ];
        let query =
            LogQuery { from: DateTime::UNIX_EPOCH, to: DateTime::UNIX_EPOCH, limit: None, next_token: None };
        for (i, (script, succeeds, requests, throttles)) in cases.into_iter().enumerate() {
            let pages = Scripted(Mutex::new(script.into()));
            let mut attempts = Attempts::default();
            let got = page_with_retries(&pages, "us-east-1", &query, &policy, &mut attempts).await;
            assert_eq!(got.is_ok(), succeeds, "case {i}");
            assert_eq!(attempts, Attempts { requests, throttles }, "case {i}");
        }
    }
}
