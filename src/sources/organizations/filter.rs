//! Which of the organisation's accounts to monitor: pure, deterministic.
//!
//! An entry of `include` or `exclude` is an account ID when it is exactly
//! twelve digits (AWS account IDs always are), else a glob on the account's
//! name where `*` stands for any run of characters. Exclusion wins over
//! inclusion; an empty `include` means every account. Only active accounts
//! are chosen: a suspended or closing account's roles cannot be assumed.
//!
//! Must not call AWS or read configuration files: the caller hands in the
//! listing and the entries.

use super::{OrgAccount, OrgAccountStatus};
use crate::pricing::catalog::glob_match;

/// Entries naming the accounts to monitor and those to leave out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountFilter {
    include: Vec<String>,
    exclude: Vec<String>,
}

impl AccountFilter {
    pub fn new(include: Vec<String>, exclude: Vec<String>) -> Self {
        AccountFilter { include, exclude }
    }

    /// Every account (subject to its status).
    pub fn all() -> Self {
        Self::default()
    }

    pub fn include(&self) -> &[String] {
        &self.include
    }

    pub fn exclude(&self) -> &[String] {
        &self.exclude
    }
}

/// An entry names an account by ID (12 digits) rather than by name.
pub use crate::shard::is_account_id;

fn matches(entry: &str, account: &OrgAccount) -> bool {
    if is_account_id(entry) {
        entry == account.id
    } else {
        glob_match(entry, &account.name)
    }
}

/// Why an account is not monitored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// An `exclude` entry (this one, the first that matched) names it.
    Excluded(String),
    /// `include` is not empty and none of its entries names it.
    NotIncluded,
    /// Wanted, but not active (suspended, closing, not yet activated).
    NotActive(OrgAccountStatus),
}

/// The accounts to monitor and the others with their reason, each sorted
/// by account ID.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    pub chosen: Vec<OrgAccount>,
    pub skipped: Vec<(OrgAccount, SkipReason)>,
    /// `include` entries that named no listed account (a mistyped ID or
    /// glob, or an account that left the organisation), for a warning.
    pub unmatched: Vec<String>,
}

/// Applies `filter` to `listing`. The reason given is the first that holds
/// of: excluded, not included, not active, so an operator sees their own
/// choice before the account's state.
pub fn select(listing: &[OrgAccount], filter: &AccountFilter) -> Selection {
    let mut accounts = listing.to_vec();
    accounts.sort_by(|a, b| a.id.cmp(&b.id));
    accounts.dedup_by(|a, b| a.id == b.id);
    let mut selection = Selection::default();
    for account in accounts {
        match skip_reason(&account, filter) {
            Some(reason) => selection.skipped.push((account, reason)),
            None => selection.chosen.push(account),
        }
    }
    selection.unmatched =
        filter.include.iter().filter(|entry| !listing.iter().any(|a| matches(entry, a))).cloned().collect();
    selection
}

fn skip_reason(account: &OrgAccount, filter: &AccountFilter) -> Option<SkipReason> {
    if let Some(entry) = filter.exclude.iter().find(|e| matches(e, account)) {
        return Some(SkipReason::Excluded(entry.clone()));
    }
    if !filter.include.is_empty() && !filter.include.iter().any(|e| matches(e, account)) {
        return Some(SkipReason::NotIncluded);
    }
    (account.status != OrgAccountStatus::Active).then(|| SkipReason::NotActive(account.status.clone()))
}

#[cfg(test)]
#[path = "filter_tests.rs"]
mod tests;
