//! The `[accounts]` section: which AWS accounts besides the primary one the
//! monitor reads, listed by hand (`[[accounts.members]]`) or discovered from
//! AWS Organizations (`[accounts.organizations]`), and the role it assumes
//! in each. Its cross-field checks live here too.
//!
//! The primary account is the one `[aws]` reads (the daemon's credentials,
//! or `aws.assume_role_arn`); it is always monitored, in `monitor.regions`.
//! Must not call AWS: discovery is `sources::organizations`.

use std::collections::BTreeSet;

use serde::Deserialize;

use super::types::{default_schedule, Config};
use super::CronSchedule;
use crate::diag::{FieldPath, Finding};
use crate::names::is_arn_of;
use crate::shard::is_account_id;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountsSection {
    /// The primary account's ID, its `account` label. Default: the account
    /// of `aws.assume_role_arn`, else asked of STS `GetCallerIdentity` at start.
    pub primary_id: Option<String>,
    /// The role assumed in a member account that names none:
    /// `arn:aws:iam::<id>:role/<role_name>` (also in every discovered account).
    pub role_name: String,
    /// The external ID those roles require, if any.
    pub external_id: Option<String>,
    /// At most this many member accounts (each multiplies the label series
    /// and the API calls); discovered accounts beyond it are skipped and reported.
    pub max_accounts: usize,
    pub members: Vec<MemberAccount>,
    pub organizations: OrganizationsSection,
}

impl Default for AccountsSection {
    fn default() -> Self {
        AccountsSection {
            primary_id: None,
            role_name: "bedrock-cost-monitor-reader".into(),
            external_id: None,
            max_accounts: 100,
            members: Vec::new(),
            organizations: OrganizationsSection::default(),
        }
    }
}

/// One member account, by hand.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberAccount {
    /// The 12-digit account ID: the `account` label and the ledger key prefix.
    pub id: String,
    /// A name for people (logs, `report`); default the ID.
    #[serde(default)]
    pub name: Option<String>,
    /// The role to assume; default `arn:aws:iam::<id>:role/<accounts.role_name>`.
    #[serde(default)]
    pub role_arn: Option<String>,
    /// Default `accounts.external_id`.
    #[serde(default)]
    pub external_id: Option<String>,
    /// The regions read in this account; empty: `monitor.regions`.
    #[serde(default)]
    pub regions: Vec<String>,
}

/// Member accounts from AWS Organizations `ListAccounts`, read at start.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OrganizationsSection {
    pub enabled: bool,
    /// When the organisation is listed again (UTC). If the accounts chosen
    /// differ from those the daemon started with, it stops (exit code 75)
    /// so that its restart monitors the new set.
    pub recheck_schedule: CronSchedule,
    /// `false`: list only at start, never stop for a changed organisation.
    pub restart_on_change: bool,
    /// A role in the management (or delegated administrator) account to call
    /// `ListAccounts` with; default the daemon's own credentials.
    pub role_arn: Option<String>,
    /// Account IDs or name globs (`*`) to monitor; empty: every active account.
    pub include: Vec<String>,
    /// Account IDs or name globs never monitored; wins over `include`.
    pub exclude: Vec<String>,
    /// The regions read in discovered accounts; empty: `monitor.regions`.
    pub regions: Vec<String>,
}

impl Default for OrganizationsSection {
    fn default() -> Self {
        OrganizationsSection {
            enabled: false,
            recheck_schedule: default_schedule("0 23 * * * *"),
            restart_on_change: true,
            role_arn: None,
            include: Vec::new(),
            exclude: Vec::new(),
            regions: Vec::new(),
        }
    }
}

impl AccountsSection {
    /// Whether any account besides the primary one may be read.
    pub fn multi(&self) -> bool {
        !self.members.is_empty() || self.organizations.enabled
    }

    /// The role to assume in member account `id` when it names none.
    pub fn default_role(&self, id: &str) -> String {
        format!("arn:aws:iam::{id}:role/{}", self.role_name)
    }
}

/// The primary account's ID as configuration says it: `accounts.primary_id`,
/// else the account of `aws.assume_role_arn` (`None`: ask STS at start).
pub fn configured_primary(c: &Config) -> Option<String> {
    c.accounts
        .primary_id
        .clone()
        .or_else(|| c.aws.assume_role_arn.as_deref().and_then(role_account).map(str::to_string))
}

/// The account an IAM role ARN belongs to.
pub fn role_account(arn: &str) -> Option<&str> {
    let account = arn.strip_prefix("arn:")?.split(':').nth(3)?;
    is_account_id(account).then_some(account)
}

pub(super) fn check(c: &Config, out: &mut Vec<Finding>) {
    let a = &c.accounts;
    let path = FieldPath::root().key("accounts");
    if let Some(id) = &a.primary_id {
        if !is_account_id(id) {
            out.push(Finding::error(path.key("primary_id"), format!("`{id}` is not a 12-digit account ID")));
        }
    }
    if a.role_name.is_empty() || a.role_name.contains([':', '/', ' ']) {
        out.push(Finding::error(
            path.key("role_name"),
            "must be a plain IAM role name (no `:`, `/` or spaces)",
        ));
    }
    if !(1..=1000).contains(&a.max_accounts) {
        out.push(Finding::error(path.key("max_accounts"), "must be between 1 and 1000"));
    }
    if a.members.len() > a.max_accounts {
        out.push(Finding::error(
            path.key("members"),
            format!("lists {} accounts, more than max_accounts ({})", a.members.len(), a.max_accounts),
        ));
    }
    let mut seen = BTreeSet::new();
    for (i, m) in a.members.iter().enumerate() {
        member(a, m, &path.key("members").index(i), &mut seen, out);
    }
    let org = &a.organizations;
    let org_path = path.key("organizations");
    if let Some(arn) = &org.role_arn {
        if !is_arn_of(arn, "iam") || role_account(arn).is_none() {
            out.push(Finding::error(org_path.key("role_arn"), format!("`{arn}` is not an IAM role ARN")));
        }
    }
    for field in ["include", "exclude"] {
        let list = if field == "include" { &org.include } else { &org.exclude };
        if list.iter().any(|s| s.trim().is_empty()) {
            out.push(Finding::error(org_path.key(field), "must not contain an empty entry"));
        }
    }
    super::validate::regions(&org.regions, &org_path.key("regions"), false, out);
    if a.multi() && c.wakeups.enabled {
        out.push(Finding::warning(
            FieldPath::root().key("wakeups").key("enabled"),
            "wake-up alarms watch the primary account only; member accounts are polled on schedule",
        ));
    }
}

fn member(
    a: &AccountsSection,
    m: &MemberAccount,
    at: &FieldPath,
    seen: &mut BTreeSet<String>,
    out: &mut Vec<Finding>,
) {
    if !is_account_id(&m.id) {
        out.push(Finding::error(at.key("id"), format!("`{}` is not a 12-digit account ID", m.id)));
    } else if !seen.insert(m.id.clone()) {
        out.push(Finding::error(at.key("id"), format!("`{}` is listed twice", m.id)));
    } else if a.primary_id.as_deref() == Some(m.id.as_str()) {
        out.push(Finding::error(
            at.key("id"),
            format!("`{}` is the primary account (accounts.primary_id), already monitored", m.id),
        ));
    }
    if let Some(arn) = &m.role_arn {
        match role_account(arn) {
            Some(account) if is_arn_of(arn, "iam") && account == m.id => {}
            Some(account) if is_arn_of(arn, "iam") => out.push(Finding::error(
                at.key("role_arn"),
                format!("`{arn}` is a role in account {account}, not in {}", m.id),
            )),
            _ => out.push(Finding::error(at.key("role_arn"), format!("`{arn}` is not an IAM role ARN"))),
        }
    }
    super::validate::regions(&m.regions, &at.key("regions"), false, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(toml: &str) -> Vec<String> {
        let mut c: Config = toml::from_str(&format!("[monitor]\nregions = [\"us-east-1\"]\n{toml}")).unwrap();
        c.wakeups.enabled = false;
        let mut out = Vec::new();
        check(&c, &mut out);
        out.iter().map(|f| format!("{}: {}", f.path, f.reason)).collect()
    }

    #[test]
    fn member_accounts_are_checked_field_by_field() {
        let cases = [
            ("[[accounts.members]]\nid = \"111122223333\"", vec![]),
            ("[[accounts.members]]\nid = \"1111\"", vec!["accounts.members[0].id: `1111` is not a 12-digit account ID"]),
            (
                "[[accounts.members]]\nid = \"111122223333\"\n[[accounts.members]]\nid = \"111122223333\"",
                vec!["accounts.members[1].id: `111122223333` is listed twice"],
            ),
            (
                "[accounts]\nprimary_id = \"111122223333\"\n[[accounts.members]]\nid = \"111122223333\"",
                vec!["accounts.members[0].id: `111122223333` is the primary account (accounts.primary_id), already monitored"],
            ),
            (
                "[[accounts.members]]\nid = \"111122223333\"\nrole_arn = \"arn:aws:iam::444455556666:role/r\"",
                vec!["accounts.members[0].role_arn: `arn:aws:iam::444455556666:role/r` is a role in account 444455556666, not in 111122223333"],
            ),
            (
                "[[accounts.members]]\nid = \"111122223333\"\nregions = [\"us-east-1\", \"mars-1\"]",
                vec!["accounts.members[0].regions[1]: `mars-1` is not an AWS region name"],
            ),
            ("[accounts]\nrole_name = \"a/b\"", vec!["accounts.role_name: must be a plain IAM role name (no `:`, `/` or spaces)"]),
            (
                "[accounts.organizations]\nenabled = true\nrole_arn = \"arn:aws:s3:::b\"",
                vec!["accounts.organizations.role_arn: `arn:aws:s3:::b` is not an IAM role ARN"],
            ),
            (
                "[accounts]\nmax_accounts = 1\n[[accounts.members]]\nid = \"111122223333\"\n[[accounts.members]]\nid = \"444455556666\"",
                vec!["accounts.members: lists 2 accounts, more than max_accounts (1)"],
            ),
        ];
        for (toml, want) in cases {
            assert_eq!(findings(toml), want, "{toml}");
        }
    }

    #[test]
    fn roles_default_from_the_role_name() {
        let a = AccountsSection::default();
        assert_eq!(
            a.default_role("111122223333"),
            "arn:aws:iam::111122223333:role/bedrock-cost-monitor-reader"
        );
        assert_eq!(role_account("arn:aws:iam::111122223333:role/x"), Some("111122223333"));
        assert_eq!(role_account("arn:aws:iam:::role/x"), None);
        assert!(!a.multi());
    }
}
