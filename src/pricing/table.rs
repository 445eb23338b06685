//! The effective-dated price table and the lookup of the entry in force.
//!
//! An entry applies to one model, an endpoint scope (`all`, `global`,
//! `regional`) and optionally one AWS region, from an instant (inclusive)
//! until an instant (exclusive). The most specific entry in force wins:
//! a region override beats a scope entry, which beats an `all` entry.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::catalog::Catalog;
use super::model_id::Endpoint;
use super::token::TokenType;

/// Which endpoints an entry prices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Every endpoint: models without a regional premium.
    All,
    /// The `global.` cross-region profile.
    Global,
    /// In-region calls and geographic profiles (`us.`, `eu.`, …).
    Regional,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::All => "all",
            Scope::Global => "global",
            Scope::Regional => "regional",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        [Scope::All, Scope::Global, Scope::Regional].into_iter().find(|x| x.as_str() == s)
    }

    pub fn covers(self, endpoint: &Endpoint) -> bool {
        match self {
            Scope::All => true,
            Scope::Global => endpoint.is_global(),
            Scope::Regional => !endpoint.is_global(),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// USD per one million tokens, for every token type (validation ensures all five).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prices(pub BTreeMap<TokenType, Decimal>);

impl Prices {
    pub fn get(&self, t: TokenType) -> Decimal {
        // Validation refuses a table with a missing token type, so the zero is unreachable.
        self.0.get(&t).copied().unwrap_or_default()
    }
}

/// A higher tier for requests whose prompt exceeds a size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LongContext {
    pub above_prompt_tokens: u64,
    pub prices: Prices,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceEntry {
    /// Stable name recorded in the ledger: `model:scope[@region]:from-date`.
    pub id: String,
    pub model: String,
    pub scope: Scope,
    pub region: Option<String>,
    pub from: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
    pub source: String,
    pub checked: NaiveDate,
    pub prices: Prices,
    pub long_context: Option<LongContext>,
    /// Fraction taken off for batch inference, e.g. 0.5.
    pub batch_discount: Decimal,
}

impl PriceEntry {
    pub fn in_force(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && self.until.is_none_or(|u| at < u)
    }

    fn specificity(&self) -> u8 {
        u8::from(self.region.is_some()) * 2 + u8::from(self.scope != Scope::All)
    }

    pub fn make_id(model: &str, scope: Scope, region: Option<&str>, from: DateTime<Utc>) -> String {
        let region = region.map(|r| format!("@{r}")).unwrap_or_default();
        let from = if from.time() == chrono::NaiveTime::MIN {
            from.format("%Y-%m-%d").to_string()
        } else {
            from.format("%Y-%m-%dT%H:%M:%SZ").to_string()
        };
        format!("{model}:{scope}{region}:{from}")
    }
}

/// Why no entry applies.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoPrice {
    #[error("no price for model `{model}` ({endpoint}, region {region}) in force at {at}")]
    NotInForce { model: String, endpoint: String, region: String, at: DateTime<Utc> },
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PriceTable {
    catalog: Catalog,
    entries: Vec<PriceEntry>,
}

impl PriceTable {
    /// Builds a table; callers go through the validated loader in `file.rs`.
    pub fn new(catalog: Catalog, entries: Vec<PriceEntry>) -> Self {
        PriceTable { catalog, entries }
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn entries(&self) -> &[PriceEntry] {
        &self.entries
    }

    pub fn entry(&self, id: &str) -> Option<&PriceEntry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The entry in force for a model called through `endpoint` in `region` at `at`.
    pub fn lookup(
        &self,
        model: &str,
        endpoint: &Endpoint,
        region: &str,
        at: DateTime<Utc>,
    ) -> Result<&PriceEntry, NoPrice> {
        self.entries
            .iter()
            .filter(|e| e.model == model && e.in_force(at) && e.scope.covers(endpoint))
            .filter(|e| e.region.as_deref().is_none_or(|r| r == region))
            .max_by_key(|e| e.specificity())
            .ok_or_else(|| NoPrice::NotInForce {
                model: model.to_string(),
                endpoint: endpoint.to_string(),
                region: region.to_string(),
                at,
            })
    }
}
