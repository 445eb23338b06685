//! The Organizations adapter: the only file that sees
//! `aws_sdk_organizations` types. One call is one `ListAccounts` page; the
//! SDK's own retries are off so that every request sent is one the caller
//! counts (`mod.rs` retries a page itself).
//!
//! Must not page, retry or filter (`mod.rs`, `filter.rs`).

use async_trait::async_trait;
use aws_sdk_organizations::config::retry::RetryConfig;
use aws_sdk_organizations::types::Account;
use aws_sdk_organizations::Client;

use super::{explained, AccountPage, AccountPages, OrgAccount, OrgAccountStatus, API, REGION};
use crate::aws::MonitoredAccount;
use crate::sources::aws_error::classify;
use crate::sources::{ErrorKind, SourceError};

/// ListAccounts' `MaxResults`: "Valid Range: Minimum value of 1. Maximum
/// value of 20." (Organizations API Reference). The largest page takes the
/// fewest requests.
const PAGE_SIZE: i32 = 20;

/// The organisation's account directory, read with the credentials of an
/// account allowed to list it (the management account or a delegated
/// administrator).
pub struct OrganizationsDirectory {
    client: Client,
}

impl OrganizationsDirectory {
    /// A client at Organizations' endpoint (us-east-1), whatever the
    /// monitored regions are.
    pub fn connect(account: &MonitoredAccount) -> Self {
        #[expect(clippy::disallowed_methods, reason = "the adapter builds its own client")]
        let client = Client::new(&account.for_region(REGION));
        OrganizationsDirectory { client }
    }
}

fn no_retry() -> aws_sdk_organizations::config::Builder {
    aws_sdk_organizations::Config::builder().retry_config(RetryConfig::disabled())
}

#[async_trait]
impl AccountPages for OrganizationsDirectory {
    async fn page(&self, token: Option<String>) -> Result<AccountPage, SourceError> {
        let out = self
            .client
            .list_accounts()
            .max_results(PAGE_SIZE)
            .set_next_token(token)
            .customize()
            .config_override(no_retry())
            .send()
            .await
            .map_err(|e| explained(classify(API, REGION, &e)))?;
        let accounts = out.accounts().iter().map(org_account).collect::<Result<_, _>>()?;
        Ok(AccountPage { accounts, next: out.next_token().map(str::to_string) })
    }
}

/// `State` first: AWS retires the older `Status` on 9 September 2026 and
/// names more states in `State` (`PENDING_ACTIVATION`, `CLOSED`).
fn org_account(a: &Account) -> Result<OrgAccount, SourceError> {
    let Some(id) = a.id() else {
        return Err(SourceError {
            api: API,
            region: REGION.to_string(),
            kind: ErrorKind::Other,
            message: format!("an account without an Id: {a:?}"),
        });
    };
    let status = match (a.state(), a.status()) {
        (Some(state), _) => OrgAccountStatus::parse(state.as_str()),
        (None, Some(status)) => OrgAccountStatus::parse(status.as_str()),
        (None, None) => OrgAccountStatus::Other("UNKNOWN".to_string()),
    };
    Ok(OrgAccount {
        id: id.to_string(),
        name: a.name().unwrap_or_default().to_string(),
        email: a.email().map(str::to_string),
        status,
    })
}

#[cfg(test)]
mod tests {
    use aws_sdk_organizations::types::{AccountState, AccountStatus};

    use super::*;

    #[test]
    fn state_is_read_before_the_retired_status() {
        let base = || Account::builder().id("123456789012").name("search").email("s@example.com");
        let both = base().state(AccountState::PendingClosure).status(AccountStatus::Active).build();
        assert_eq!(org_account(&both).unwrap().status, OrgAccountStatus::PendingClosure);
        let old = base().status(AccountStatus::Suspended).build();
        assert_eq!(org_account(&old).unwrap().status, OrgAccountStatus::Suspended);
        let closed = base().state(AccountState::Closed).build();
        assert_eq!(org_account(&closed).unwrap().status, OrgAccountStatus::Other("CLOSED".into()));
        let got = org_account(&base().state(AccountState::Active).build()).unwrap();
        assert_eq!(
            got,
            OrgAccount {
                id: "123456789012".into(),
                name: "search".into(),
                email: Some("s@example.com".into()),
                status: OrgAccountStatus::Active,
            }
        );
    }

    #[test]
    fn an_account_without_an_id_is_an_error() {
        let e = org_account(&Account::builder().name("nameless").build()).unwrap_err();
        assert_eq!(e.api, API);
        assert!(e.message.contains("without an Id"), "{e}");
    }
}
