//! Which spend a budget covers: filters on model (a price-table model key
//! or a model-ID pattern), region, project, principal (patterns) and the
//! callers' `requestMetadata` (key → value pattern, from the invocation
//! logs). Empty filters match everything. Pure.
//!
//! A model filter containing `*` or `.` is a model-ID pattern matched
//! against the ID as seen in CloudWatch (`us.anthropic.claude-*`); any other
//! is a model key (`claude-sonnet-4-5`) matched against the resolved model,
//! so every ID form of that model counts.

use std::collections::BTreeMap;

use crate::bedrock::project_of;
use crate::config::BudgetConfig;
use crate::pricing::catalog::glob_match;

/// A budget's filters, borrowed from its configuration.
#[derive(Clone, Copy, Debug)]
pub struct Scope<'a> {
    pub models: &'a [String],
    pub regions: &'a [String],
    pub accounts: &'a [String],
    /// The primary account's ID: a key without an account is its.
    pub primary: &'a str,
    pub principals: &'a [String],
    pub projects: &'a [String],
    pub metadata: &'a BTreeMap<String, String>,
}

impl<'a> Scope<'a> {
    pub fn of(budget: &'a BudgetConfig) -> Self {
        Scope {
            models: &budget.models,
            regions: &budget.regions,
            accounts: &budget.accounts,
            primary: &budget.primary_account,
            principals: &budget.principals,
            projects: &budget.projects,
            metadata: &budget.metadata,
        }
    }

    /// Every spend, filtered on `metadata` alone (empty: everything).
    pub fn everything(metadata: &'a BTreeMap<String, String>) -> Self {
        Scope {
            models: &[],
            regions: &[],
            accounts: &[],
            primary: "",
            principals: &[],
            projects: &[],
            metadata,
        }
    }

    /// Whether the budget reads the logged requests (metadata filters).
    pub fn by_metadata(&self) -> bool {
        !self.metadata.is_empty()
    }

    /// A logged request's metadata: every filtered key present, its value
    /// matching the pattern.
    pub fn matches_metadata(&self, values: &BTreeMap<String, String>) -> bool {
        self.metadata.iter().all(|(k, pattern)| values.get(k).is_some_and(|v| glob_match(pattern, v)))
    }

    /// Whether the budget needs per-principal data (attributed shares).
    pub fn by_principal(&self) -> bool {
        !self.principals.is_empty()
    }

    pub fn matches_model(&self, model_id: &str, model: Option<&str>) -> bool {
        self.models.is_empty()
            || self.models.iter().any(|f| {
                if is_id_pattern(f) {
                    glob_match(f, model_id)
                } else {
                    model == Some(f.as_str())
                }
            })
    }

    /// A region, or a ledger key (`<account>/<region>` for a member account).
    pub fn matches_region(&self, key: &str) -> bool {
        let region = crate::shard::region_of(key);
        self.regions.is_empty() || self.regions.iter().any(|r| r == region)
    }

    /// The account of a ledger key (the primary's for a plain region).
    pub fn matches_key_account(&self, key: &str) -> bool {
        self.matches_account(crate::shard::account_label(key, self.primary))
    }

    /// An account ID.
    pub fn matches_account(&self, account: &str) -> bool {
        self.accounts.is_empty() || self.accounts.iter().any(|a| a == account)
    }

    pub fn matches_principal(&self, principal: &str) -> bool {
        self.principals.is_empty() || self.principals.iter().any(|p| glob_match(p, principal))
    }

    /// A project ID: a bedrock-mantle project, or `default` (bedrock-runtime).
    pub fn matches_project(&self, project: &str) -> bool {
        self.projects.is_empty() || self.projects.iter().any(|p| glob_match(p, project))
    }

    /// A series of the ledger: (region, model ID, resolved model); the
    /// project is the model ID's (`bedrock::project_of`).
    pub fn matches_series(&self, region: &str, model_id: &str, model: Option<&str>) -> bool {
        self.matches_region(region)
            && self.matches_key_account(region)
            && self.matches_model(model_id, model)
            && self.matches_project(project_of(model_id))
    }
}

fn is_id_pattern(filter: &str) -> bool {
    filter.contains('*') || filter.contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn metadata_filters_table() {
        let filters = map(&[("tenant", "acme*"), ("feature", "chat")]);
        let scope = Scope::everything(&filters);
        let cases = [
            (map(&[("tenant", "acme-eu"), ("feature", "chat"), ("user_id", "u-1")]), true),
            (map(&[("tenant", "globex"), ("feature", "chat")]), false),
            // A request without a filtered key is outside the budget.
            (map(&[("tenant", "acme")]), false),
            (map(&[]), false),
        ];
        for (values, want) in cases {
            assert_eq!(scope.matches_metadata(&values), want, "{values:?}");
        }
        assert!(scope.by_metadata());
    }

    #[test]
    fn filters_table() {
        let none = BTreeMap::new();
        let models = s(&["claude-sonnet-4-5", "us.anthropic.claude-haiku-*"]);
        let regions = s(&["us-east-1"]);
        let principals = s(&["arn:aws:iam::*:role/app-*"]);
        let accounts = s(&["123456789012", "111122223333"]);
        let scope = Scope {
            models: &models,
            regions: &regions,
            accounts: &accounts,
            primary: "123456789012",
            principals: &principals,
            projects: &[],
            metadata: &none,
        };
        let cases = [
            (
                "us-east-1",
                "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
                Some("claude-sonnet-4-5"),
                true,
            ),
            ("us-east-1", "us.anthropic.claude-haiku-4-5-20251001-v1:0", Some("claude-haiku-4-5"), true),
            // The pattern is on the ID: the base ID of the same model does not match it.
            ("us-east-1", "anthropic.claude-haiku-4-5-20251001-v1:0", Some("claude-haiku-4-5"), false),
            (
                "us-west-2",
                "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
                Some("claude-sonnet-4-5"),
                false,
            ),
            // An unpriced model has no key: only an ID pattern can match it.
            ("us-east-1", "anthropic.claude-opus-5", None, false),
            // Ledger keys: a listed member's region matches, another member's not.
            (
                "111122223333/us-east-1",
                "anthropic.claude-haiku-4-5-20251001-v1:0",
                Some("claude-sonnet-4-5"),
                true,
            ),
            (
                "444455556666/us-east-1",
                "anthropic.claude-haiku-4-5-20251001-v1:0",
                Some("claude-sonnet-4-5"),
                false,
            ),
            (
                "111122223333/us-west-2",
                "anthropic.claude-haiku-4-5-20251001-v1:0",
                Some("claude-sonnet-4-5"),
                false,
            ),
        ];
        for (region, id, model, want) in cases {
            assert_eq!(scope.matches_series(region, id, model), want, "{region} {id}");
        }
        assert!(scope.matches_principal("arn:aws:iam::111122223333:role/app-prod"));
        assert!(!scope.matches_principal("arn:aws:iam::111122223333:user/alice"));
        let everything = Scope::everything(&none);
        assert!(everything.matches_series("eu-west-1", "x", None) && everything.matches_principal("anyone"));
        assert!(!everything.by_principal() && scope.by_principal());
    }

    #[test]
    fn project_filters_table() {
        let none = BTreeMap::new();
        let projects = s(&["proj_team*", "default"]);
        let scope = Scope {
            models: &[],
            regions: &[],
            accounts: &[],
            primary: "",
            principals: &[],
            projects: &projects,
            metadata: &none,
        };
        let cases = [
            ("mantle/proj_team1/anthropic.claude-opus-4-7", true),
            ("mantle/proj_other/anthropic.claude-opus-4-7", false),
            ("mantle/unknown/anthropic.claude-opus-4-7", false),
            // bedrock-runtime usage belongs to the default project.
            ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", true),
        ];
        for (id, want) in cases {
            assert_eq!(scope.matches_series("us-east-1", id, Some("m")), want, "{id}");
        }
        assert!(scope.matches_project("proj_team9") && !scope.matches_project("proj_x"));
    }
}
