//! The accounts this daemon reads, resolved once at start: the primary
//! account's ID (its `account` label), the member accounts listed in
//! `[accounts]`, each with the role assumed in it, and from them the shards
//! (account × region) every source collects.
//!
//! Member accounts come from `[[accounts.members]]` and, when enabled, from
//! AWS Organizations `ListAccounts` at start (`sources::organizations`);
//! `org_recheck.rs` lists again on a schedule and compares with
//! [`Accounts::discovered`].
//!
//! Wiring only: the section's rules are `config::accounts`, key syntax is
//! `shard`, the organisation filter `sources::organizations::filter`. A member whose role cannot be assumed is still a shard: its
//! calls fail, it is reported, and it never stops another account.

use std::collections::BTreeSet;

use crate::aws::{AwsConfig, MonitoredShards};
use crate::config::accounts::configured_primary;
use crate::config::types::Config;
use crate::shard::PRIMARY_LABEL;
use crate::sources::identity::CallerIdentity;
use crate::sources::organizations::{select, AccountDirectory, AccountFilter, OrganizationsDirectory};

/// One member account as the daemon reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub name: String,
    pub role_arn: String,
    pub regions: Vec<String>,
}

/// The resolved accounts.
#[derive(Clone, Debug)]
pub struct Accounts {
    /// The primary account's `account` label: its ID, or `primary` if unknown.
    pub primary: String,
    pub members: Vec<Member>,
    pub shards: MonitoredShards,
    /// The members that came from the organisation's listing at start (none
    /// if it was off or failed).
    pub discovered: BTreeSet<String>,
}

impl Accounts {
    /// The ledger keys of every shard, the primary account's regions first.
    pub fn keys(&self) -> Vec<String> {
        self.shards.keys()
    }
}

/// Resolves the primary account's ID and the listed members, and assumes
/// each member's role (lazily: no AWS call until a source reads).
pub async fn resolve(config: &Config, aws: &AwsConfig) -> Accounts {
    let primary = primary_id(config, aws).await;
    let mut members = listed(config);
    let mut discovered = BTreeSet::new();
    if config.accounts.organizations.enabled {
        let found = discover(config, aws, &primary, &members).await.unwrap_or_default();
        discovered = found.iter().map(|m| m.id.clone()).collect();
        members.extend(found);
    }
    let mut shards = MonitoredShards::primary(aws.monitored(), &config.monitor.regions);
    for m in &members {
        let external = config_external_id(config, &m.id);
        let account = aws.member(&m.role_arn, external.as_deref()).await;
        shards.add_member(&m.id, &account, &m.regions);
    }
    if !members.is_empty() {
        tracing::info!(
            primary = %primary,
            members = members.len(),
            shards = shards.keys().len(),
            "monitoring several accounts"
        );
    }
    Accounts { primary, members, shards, discovered }
}

/// `accounts.primary_id`, else the account of `aws.assume_role_arn`, else
/// what STS says the credentials act in; `primary` if STS cannot say.
async fn primary_id(config: &Config, aws: &AwsConfig) -> String {
    if let Some(id) = configured_primary(config) {
        return id;
    }
    let region = &config.monitor.regions[0];
    match CallerIdentity::connect(aws.monitored(), region).account().await {
        Ok(id) => id,
        Err(e) => {
            tracing::warn!(
                error = %e,
                "cannot learn the primary account's ID; it is labelled `{PRIMARY_LABEL}` (set accounts.primary_id)"
            );
            PRIMARY_LABEL.to_string()
        }
    }
}

/// The members listed by hand, with their defaults filled in.
pub fn listed(config: &Config) -> Vec<Member> {
    let a = &config.accounts;
    a.members
        .iter()
        .map(|m| Member {
            id: m.id.clone(),
            name: m.name.clone().unwrap_or_else(|| m.id.clone()),
            role_arn: m.role_arn.clone().unwrap_or_else(|| a.default_role(&m.id)),
            regions: if m.regions.is_empty() { config.monitor.regions.clone() } else { m.regions.clone() },
        })
        .collect()
}

/// The active accounts of the organisation its filter chooses, less the
/// primary account and those listed by hand (their entries win), at most
/// `max_accounts` members in all. A listing that fails is logged and
/// answers `None`: the monitor still starts with the listed members.
pub async fn discover(
    config: &Config,
    aws: &AwsConfig,
    primary: &str,
    listed: &[Member],
) -> Option<Vec<Member>> {
    let a = &config.accounts;
    let org = &a.organizations;
    let reader = match &org.role_arn {
        Some(role) => aws.member(role, a.external_id.as_deref()).await,
        None => aws.own_reader(),
    };
    let listing = match OrganizationsDirectory::connect(&reader).list_accounts().await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, "cannot list the organisation's accounts; monitoring the listed ones only");
            return None;
        }
    };
    let selection = select(&listing.accounts, &AccountFilter::new(org.include.clone(), org.exclude.clone()));
    for entry in &selection.unmatched {
        tracing::warn!(entry = %entry, "accounts.organizations.include names no account of the organisation");
    }
    for (account, reason) in &selection.skipped {
        tracing::info!(account = %account.id, name = %account.name, reason = ?reason, "organisation account not monitored");
    }
    let regions = if org.regions.is_empty() { &config.monitor.regions } else { &org.regions };
    let room = a.max_accounts.saturating_sub(listed.len());
    let fresh: Vec<_> = selection
        .chosen
        .into_iter()
        .filter(|acc| acc.id != primary && !listed.iter().any(|m| m.id == acc.id))
        .collect();
    if fresh.len() > room {
        let left: Vec<&str> = fresh[room..].iter().map(|acc| acc.id.as_str()).collect();
        tracing::error!(max_accounts = a.max_accounts, skipped = ?left, "more accounts than accounts.max_accounts; these are not monitored");
    }
    tracing::info!(
        requests = listing.requests,
        accounts = fresh.len().min(room),
        "organisation accounts discovered"
    );
    let chosen = fresh
        .into_iter()
        .take(room)
        .map(|acc| Member {
            role_arn: a.default_role(&acc.id),
            name: acc.name,
            id: acc.id,
            regions: regions.clone(),
        })
        .collect();
    Some(chosen)
}

fn config_external_id(config: &Config, id: &str) -> Option<String> {
    let a = &config.accounts;
    a.members
        .iter()
        .find(|m| m.id == id)
        .and_then(|m| m.external_id.clone())
        .or_else(|| a.external_id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_members_get_the_default_role_and_regions() {
        let c: Config = toml::from_str(
            "[monitor]\nregions = [\"us-east-1\", \"eu-west-1\"]\n[accounts]\nrole_name = \"reader\"\n\
             [[accounts.members]]\nid = \"111122223333\"\nname = \"search\"\n\
             [[accounts.members]]\nid = \"444455556666\"\nrole_arn = \"arn:aws:iam::444455556666:role/x\"\nregions = [\"us-west-2\"]\n",
        )
        .unwrap();
        let want = vec![
            Member {
                id: "111122223333".into(),
                name: "search".into(),
                role_arn: "arn:aws:iam::111122223333:role/reader".into(),
                regions: vec!["us-east-1".into(), "eu-west-1".into()],
            },
            Member {
                id: "444455556666".into(),
                name: "444455556666".into(),
                role_arn: "arn:aws:iam::444455556666:role/x".into(),
                regions: vec!["us-west-2".into()],
            },
        ];
        assert_eq!(listed(&c), want);
    }
}
