//! Cost Explorer: what the bill says, per UTC day, service and usage type.
//!
//! - `client.rs`: the only file that sees `aws_sdk_costexplorer` types;
//!   `GetDimensionValues` (which services bill Bedrock usage) and
//!   `GetCostAndUsage` (daily, unblended cost and usage quantity, grouped by
//!   service and usage type), one page per call, never retried by the SDK.
//! - `usage_type.rs`: reading a usage type for region, model, token bucket,
//!   endpoint and tier (pure, tolerant).
//! - here: the query, paging and the merge of pages into days.
//!
//! Every page is a request Cost Explorer bills ($0.01), so each is counted;
//! a throttled or failed page is tried again a few times, then the run
//! fails and the next one asks again. Must not price, store or compare.

pub mod client;
pub mod usage_type;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDate;

use super::{AwsOutcome, ErrorKind, SourceError};
use crate::records::BillLine;

/// The API name of requests and errors.
pub const API: &str = "GetCostAndUsage";
pub const DIMENSIONS_API: &str = "GetDimensionValues";
/// Cost Explorer has one endpoint, in us-east-1.
pub const REGION: &str = "us-east-1";
/// What the search for billing services looks for: Bedrock's own service
/// and the Marketplace editions (`… (Amazon Bedrock Edition)`).
pub const SERVICE_SEARCH: &str = "Bedrock";
/// Attempts of one page before the run gives up.
const ATTEMPTS: u32 = 3;
const RETRY_WAIT: Duration = Duration::from_secs(2);

/// Days `[from, to)` (Cost Explorer's end date is exclusive) of `services`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BillQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub services: Vec<String>,
    /// Only these linked accounts' usage (an organisation's management
    /// account sees every member's); empty: every account the caller sees.
    pub accounts: Vec<String>,
}

/// One day of one page. A day can continue on the next page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageDay {
    pub day: NaiveDate,
    pub estimated: bool,
    pub lines: Vec<BillLine>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BillPage {
    pub days: Vec<PageDay>,
    pub next: Option<String>,
}

/// Requests sent, by API and outcome, for the self-cost and self-metrics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Requests {
    pub sent: BTreeMap<(&'static str, AwsOutcome), u64>,
}

impl Requests {
    fn count(&mut self, api: &'static str, outcome: AwsOutcome) {
        *self.sent.entry((api, outcome)).or_default() += 1;
    }

    pub fn total(&self) -> u64 {
        self.sent.values().sum()
    }
}

/// One page of one API call; `client.rs` implements it against AWS.
#[async_trait]
pub trait BillSource: Send + Sync {
    async fn services_page(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        search: &str,
        token: Option<String>,
    ) -> Result<(Vec<String>, Option<String>), SourceError>;

    async fn cost_page(&self, query: &BillQuery, token: Option<String>) -> Result<BillPage, SourceError>;
}

/// The days of a query, every page merged; lines sorted by service and usage type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fetched {
    pub days: BTreeMap<NaiveDate, PageDay>,
}

/// Every service whose name contains [`SERVICE_SEARCH`] with usage in `[from, to)`.
pub async fn services(
    source: &dyn BillSource,
    from: NaiveDate,
    to: NaiveDate,
    requests: &mut Requests,
) -> Result<Vec<String>, SourceError> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let (values, next) = attempt(requests, DIMENSIONS_API, || {
            source.services_page(from, to, SERVICE_SEARCH, token.clone())
        })
        .await?;
        out.extend(values);
        if next.is_none() || next == token {
            break;
        }
        token = next;
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Every page of `query`, merged by day.
pub async fn fetch(
    source: &dyn BillSource,
    query: &BillQuery,
    requests: &mut Requests,
) -> Result<Fetched, SourceError> {
    let mut days: BTreeMap<NaiveDate, PageDay> = BTreeMap::new();
    let mut token = None;
    loop {
        let page = attempt(requests, API, || source.cost_page(query, token.clone())).await?;
        for d in page.days {
            let day =
                days.entry(d.day).or_insert_with(|| PageDay { day: d.day, estimated: false, lines: vec![] });
            day.estimated |= d.estimated;
            day.lines.extend(d.lines);
        }
        // A token that does not move would page forever.
        if page.next.is_none() || page.next == token {
            break;
        }
        token = page.next;
    }
    for day in days.values_mut() {
        day.lines.sort();
    }
    Ok(Fetched { days })
}

async fn attempt<T, F, Fut>(requests: &mut Requests, api: &'static str, call: F) -> Result<T, SourceError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, SourceError>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match call().await {
            Ok(v) => {
                requests.count(api, AwsOutcome::Success);
                return Ok(v);
            }
            Err(e) => {
                requests.count(api, e.kind.outcome());
                let again = matches!(e.kind, ErrorKind::Throttled | ErrorKind::Timeout) || is_server_side(&e);
                if !again || tries >= ATTEMPTS {
                    return Err(e);
                }
                tokio::time::sleep(RETRY_WAIT * tries).await;
            }
        }
    }
}

fn is_server_side(e: &SourceError) -> bool {
    e.kind == ErrorKind::Service
        && (e.message.starts_with("InternalFailure") || e.message.starts_with("ServiceUnavailable"))
}

#[cfg(test)]
#[path = "fetch_tests.rs"]
mod fetch_tests;
