//! Shards: one (account, region) the monitor reads, and the key the ledger
//! keeps its rows, watermarks and health under.
//!
//! The primary account (the one `[aws]` reads: the daemon's own credentials
//! or `aws.assume_role_arn`) keeps the plain region as its key, exactly as a
//! single-account monitor always stored it, so a ledger written before
//! accounts existed stays valid. Every other account's key is
//! `<12-digit account ID>/<region>`; `/` never occurs in a region, so a key
//! always splits back into its account and region.
//!
//! Pure: owns building and splitting keys, and (`plan`) which shards a
//! replica should hold when replicas share them. Must not decide which
//! shards exist (that is configuration and discovery) or do I/O.

pub mod owned;
pub mod plan;

pub use owned::OwnedShards;

use std::fmt;

/// What separates a member account's ID from the region in a key.
const SEPARATOR: char = '/';

/// The account label of the primary account when its ID is not known
/// (`aws.account_id` unset and the caller-identity look-up failed).
pub const PRIMARY_LABEL: &str = "primary";

/// One (account, region) the monitor reads.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shard {
    /// `None`: the primary account.
    pub account: Option<String>,
    pub region: String,
}

impl Shard {
    pub fn primary(region: &str) -> Shard {
        Shard { account: None, region: region.to_string() }
    }

    pub fn member(account: &str, region: &str) -> Shard {
        Shard { account: Some(account.to_string()), region: region.to_string() }
    }

    /// The ledger key: the region for the primary account, `<account>/<region>` otherwise.
    pub fn key(&self) -> String {
        match &self.account {
            None => self.region.clone(),
            Some(a) => format!("{a}{SEPARATOR}{}", self.region),
        }
    }

    /// Splits a key back; a key without an account is the primary's.
    pub fn parse(key: &str) -> Shard {
        Shard { account: account_of(key).map(str::to_string), region: region_of(key).to_string() }
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// The region of a ledger key (the whole key for the primary account).
pub fn region_of(key: &str) -> &str {
    key.rsplit_once(SEPARATOR).map_or(key, |(_, region)| region)
}

/// The member account of a ledger key; `None` for the primary account.
pub fn account_of(key: &str) -> Option<&str> {
    key.rsplit_once(SEPARATOR).map(|(account, _)| account)
}

/// The account label of a key: the member's ID, or `primary` (the primary
/// account's ID, or [`PRIMARY_LABEL`] when it is not known).
pub fn account_label<'a>(key: &'a str, primary: &'a str) -> &'a str {
    account_of(key).unwrap_or(primary)
}

/// The key of `region` in the same account as `key` (a CloudTrail event's
/// `awsRegion` read through a member account's shard stays that member's).
pub fn same_account(key: &str, region: &str) -> String {
    match account_of(key) {
        None => region.to_string(),
        Some(a) => Shard::member(a, region).key(),
    }
}

/// A 12-digit AWS account ID.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_back_into_account_and_region() {
        // (shard, key)
        let cases = [
            (Shard::primary("us-east-1"), "us-east-1"),
            (Shard::primary("us-gov-west-1"), "us-gov-west-1"),
            (Shard::member("111122223333", "eu-west-1"), "111122223333/eu-west-1"),
        ];
        for (shard, key) in cases {
            assert_eq!(shard.key(), key);
            assert_eq!(Shard::parse(key), shard, "{key}");
            assert_eq!(region_of(key), shard.region);
            assert_eq!(account_of(key), shard.account.as_deref());
        }
    }

    #[test]
    fn labels_and_same_account_keys() {
        assert_eq!(account_label("us-east-1", "123456789012"), "123456789012");
        assert_eq!(account_label("111122223333/us-east-1", "123456789012"), "111122223333");
        assert_eq!(same_account("us-east-1", "us-west-2"), "us-west-2");
        assert_eq!(same_account("111122223333/us-east-1", "us-west-2"), "111122223333/us-west-2");
    }

    #[test]
    fn account_ids_are_twelve_digits() {
        for (s, ok) in [("123456789012", true), ("12345678901", false), ("12345678901a", false), ("", false)]
        {
            assert_eq!(is_account_id(s), ok, "{s}");
        }
    }
}
