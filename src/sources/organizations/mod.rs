//! AWS Organizations: which member accounts an organisation has, so the
//! daemon can monitor each of them.
//!
//! - `client.rs`: the only file that sees `aws_sdk_organizations` types;
//!   one `ListAccounts` page per call, never retried by the SDK.
//! - `filter.rs`: which listed accounts to monitor (pure): active ones only,
//!   by ID or name glob, exclusions first.
//! - here: the account record, paging every page, retrying a throttled or
//!   failed page a few times, counting every request, and the error text
//!   that says where `ListAccounts` can be called from.
//!
//! Must not assume roles, build other clients, or decide anything about
//! the accounts beyond listing and selecting them: the shards that monitor
//! them are built elsewhere.

pub mod client;
pub mod filter;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;

pub use client::OrganizationsDirectory;
pub use filter::{select, AccountFilter, Selection, SkipReason};

use super::{ErrorKind, SourceError};

/// The API name of requests and errors.
pub const API: &str = "ListAccounts";
/// Organizations' endpoint in the commercial partition is in us-east-1,
/// whatever the monitored regions are.
pub const REGION: &str = "us-east-1";
/// Attempts of one page before the listing gives up.
const ATTEMPTS: u32 = 3;
const RETRY_WAIT: Duration = Duration::from_secs(2);
/// Pages followed before a listing is refused: 100 000 accounts at 20 a
/// page, far more than an organisation this daemon watches holds, so only
/// a service that kept answering new tokens would reach it (instead of
/// paging forever).
const MAX_PAGES: u32 = 5_000;

/// An account of the organisation, as `ListAccounts` describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgAccount {
    /// The 12-digit account ID.
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub status: OrgAccountStatus,
}

/// Where an account is in its life. Only [`OrgAccountStatus::Active`]
/// accounts can be monitored: a suspended or closing account's roles can no
/// longer be assumed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum OrgAccountStatus {
    Active,
    Suspended,
    PendingClosure,
    /// Any other state AWS names (`PENDING_ACTIVATION`, `CLOSED`, or one
    /// added later), kept as AWS spells it.
    Other(String),
}

impl OrgAccountStatus {
    /// From the `State` (or the older `Status`) value of an account.
    pub fn parse(value: &str) -> Self {
        match value {
            "ACTIVE" => OrgAccountStatus::Active,
            "SUSPENDED" => OrgAccountStatus::Suspended,
            "PENDING_CLOSURE" => OrgAccountStatus::PendingClosure,
            other => OrgAccountStatus::Other(other.to_string()),
        }
    }

    /// As AWS spells it, for logs.
    pub fn as_str(&self) -> &str {
        match self {
            OrgAccountStatus::Active => "ACTIVE",
            OrgAccountStatus::Suspended => "SUSPENDED",
            OrgAccountStatus::PendingClosure => "PENDING_CLOSURE",
            OrgAccountStatus::Other(s) => s,
        }
    }
}

/// Every account of the organisation, sorted by ID, and what reading them cost.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listing {
    pub accounts: Vec<OrgAccount>,
    /// Requests sent, failed attempts included.
    pub requests: u64,
}

/// One page of `ListAccounts`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountPage {
    pub accounts: Vec<OrgAccount>,
    pub next: Option<String>,
}

/// One `ListAccounts` call; `client.rs` implements it against AWS, tests
/// with scripted pages.
#[async_trait]
pub trait AccountPages: Send + Sync {
    async fn page(&self, token: Option<String>) -> Result<AccountPage, SourceError>;
}

/// The organisation's accounts, every page read.
#[async_trait]
pub trait AccountDirectory: Send + Sync {
    async fn list_accounts(&self) -> Result<Listing, SourceError>;
}

#[async_trait]
impl<T: AccountPages> AccountDirectory for T {
    async fn list_accounts(&self) -> Result<Listing, SourceError> {
        list(self).await
    }
}

/// Follows `NextToken` to the end. An account seen on two pages is kept
/// once (the later description wins).
async fn list(source: &(impl AccountPages + ?Sized)) -> Result<Listing, SourceError> {
    let mut by_id = BTreeMap::new();
    let mut requests = 0;
    let mut token = None;
    for _ in 0..MAX_PAGES {
        let page = attempt(source, token.clone(), &mut requests).await?;
        by_id.extend(page.accounts.into_iter().map(|a| (a.id.clone(), a)));
        // A token that does not move would page forever.
        if page.next.is_none() || page.next == token {
            return Ok(Listing { accounts: by_id.into_values().collect(), requests });
        }
        token = page.next;
    }
    Err(SourceError {
        api: API,
        region: REGION.to_string(),
        kind: ErrorKind::Other,
        message: format!("still paging after {MAX_PAGES} pages; refusing a listing that may never end"),
    })
}

async fn attempt(
    source: &(impl AccountPages + ?Sized),
    token: Option<String>,
    requests: &mut u64,
) -> Result<AccountPage, SourceError> {
    let mut tries = 0;
    loop {
        tries += 1;
        *requests += 1;
        match source.page(token.clone()).await {
            Ok(page) => return Ok(page),
            Err(e) if retryable(&e) && tries < ATTEMPTS => tokio::time::sleep(RETRY_WAIT * tries).await,
            Err(e) => return Err(e),
        }
    }
}

/// Throttles, timeouts and Organizations' own 5xx (`ServiceException`) may
/// pass on the next try; anything else (access, input) will not.
fn retryable(e: &SourceError) -> bool {
    match e.kind {
        ErrorKind::Throttled | ErrorKind::Timeout => true,
        ErrorKind::Service => ["ServiceException", "InternalFailure", "ServiceUnavailable"]
            .iter()
            .any(|code| e.message.starts_with(code)),
        ErrorKind::Other => false,
    }
}

/// The two refusals an operator meets first, each with what to do about it.
pub fn explained(mut e: SourceError) -> SourceError {
    let hint = if e.message.starts_with("AccessDenied") {
        "ListAccounts answers only in the organisation's management account or in a member account \
         registered as a delegated administrator, and the caller needs organizations:ListAccounts \
         (resource \"*\"): run the daemon there, or have it assume such a role there"
    } else if e.message.starts_with("AWSOrganizationsNotInUse") {
        "the account these credentials belong to is not in an AWS Organization: use the credentials \
         of the organisation's management account or of a delegated administrator account"
    } else {
        return e;
    };
    e.message = format!("{} ({hint})", e.message);
    e
}

#[cfg(test)]
mod tests;
