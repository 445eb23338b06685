//! Which shards of the ledger a bill covers. A Cost Explorer bill is one
//! account's view: its own usage, or, from an organisation's management
//! account with `linked_accounts`, the usage of those accounts. The ledger
//! side of a comparison must hold exactly the same accounts, summed per
//! region (the bill's lines are per region, not per account).
//!
//! Pure: owns the rule and the fold. Must not read the store or the clock.

use std::collections::BTreeMap;

use crate::records::CostTotal;
use crate::shard::{account_of, region_of};

/// The accounts a bill covers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BillCoverage {
    /// `sources.cost_explorer.linked_accounts`; empty: the primary account only.
    pub linked: Vec<String>,
    /// The primary account's ID, when known.
    pub primary: Option<String>,
}

impl BillCoverage {
    /// Whether a ledger key's account is in the bill. The primary account is
    /// counted unless `linked` names accounts and its known ID is not among them.
    pub fn covers(&self, key: &str) -> bool {
        match account_of(key) {
            None => self.linked.is_empty() || self.primary.as_ref().is_none_or(|p| self.linked.contains(p)),
            Some(member) => self.linked.iter().any(|l| l == member),
        }
    }

    /// The rows of covered shards, keyed by their region and summed across
    /// accounts, in the order `Store::cost_sums` gives them.
    pub fn ledger(&self, rows: Vec<CostTotal>) -> Vec<CostTotal> {
        let mut merged: BTreeMap<(String, String, Option<String>, crate::pricing::TokenType), CostTotal> =
            BTreeMap::new();
        for row in rows.into_iter().filter(|r| self.covers(&r.region)) {
            let region = region_of(&row.region).to_string();
            let key = (region.clone(), row.model_id.clone(), row.model.clone(), row.token_type);
            let slot = merged.entry(key).or_insert_with(|| CostTotal {
                region,
                tokens: 0,
                usd: 0.into(),
                ..row.clone()
            });
            slot.tokens = slot.tokens.saturating_add(row.tokens);
            slot.usd += row.usd;
        }
        merged.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::pricing::TokenType;

    fn row(region: &str, tokens: u64, usd: &str) -> CostTotal {
        CostTotal {
            region: region.into(),
            model_id: "anthropic.claude-sonnet-4-5-20250929-v1:0".into(),
            model: Some("claude-sonnet-4-5".into()),
            token_type: TokenType::Input,
            tokens,
            usd: usd.parse::<Decimal>().unwrap(),
        }
    }

    #[test]
    fn the_bill_sees_its_accounts_summed_per_region() {
        let rows = || {
            vec![
                row("us-east-1", 10, "0.3"),
                row("222222222222/us-east-1", 5, "0.15"),
                row("333333333333/us-east-1", 1, "0.03"),
            ]
        };
        // (linked accounts, primary, want tokens and USD in us-east-1)
        let cases = [
            (vec![], Some("123456789012"), (10, "0.3")),
            (vec!["222222222222"], Some("123456789012"), (5, "0.15")),
            (vec!["123456789012", "222222222222"], Some("123456789012"), (15, "0.45")),
            // The primary's ID unknown: counted, as a bill of its own would be.
            (vec!["222222222222"], None, (15, "0.45")),
        ];
        for (linked, primary, (tokens, usd)) in cases {
            let coverage = BillCoverage {
                linked: linked.iter().map(|s| s.to_string()).collect(),
                primary: primary.map(String::from),
            };
            let got = coverage.ledger(rows());
            assert_eq!(got.len(), 1, "{linked:?}");
            assert_eq!(
                (got[0].region.as_str(), got[0].tokens, got[0].usd),
                ("us-east-1", tokens, usd.parse().unwrap()),
                "{linked:?}"
            );
        }
    }
}
