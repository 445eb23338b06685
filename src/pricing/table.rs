//! The effective-dated price table and the lookup of the entry in force.
//!
//! An entry applies to one model, one service tier (standard unless it says
//! otherwise), an endpoint scope (`all`, `global`, `regional`, `govcloud`) and
//! optionally one AWS region, from an instant (inclusive) until an instant
//! (exclusive). Only entries of the call's own tier may price it: a tiered
//! call without one is unpriced, never priced at the standard rate. Among
//! those, the most specific entry in force wins: a region override beats a
//! scope entry, which beats an `all` entry.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::catalog::Catalog;
use super::model_id::Endpoint;
use super::scope::{is_govcloud, Scope};
use super::tier::ServiceTier;
use super::token::TokenType;

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
    /// Stable name recorded in the ledger: `model:scope[+tier][@region]:from-date`.
    pub id: String,
    pub model: String,
    /// The tier this entry prices; `Standard` for the usual per-token prices.
    pub tier: ServiceTier,
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

    /// The entry's name without its date: `scope[+tier][@region]`.
    pub fn label(&self) -> String {
        scope_label(self.scope, &self.tier, self.region.as_deref())
    }

    pub fn make_id(
        model: &str,
        scope: Scope,
        tier: &ServiceTier,
        region: Option<&str>,
        from: DateTime<Utc>,
    ) -> String {
        let from = if from.time() == chrono::NaiveTime::MIN {
            from.format("%Y-%m-%d").to_string()
        } else {
            from.format("%Y-%m-%dT%H:%M:%SZ").to_string()
        };
        format!("{model}:{}:{from}", scope_label(scope, tier, region))
    }
}

/// Standard-tier entries keep the IDs they had before tiers existed, which
/// the ledger has recorded.
fn scope_label(scope: Scope, tier: &ServiceTier, region: Option<&str>) -> String {
    let region = region.map(|r| format!("@{r}")).unwrap_or_default();
    format!("{scope}{}{region}", tier.suffix())
}

/// Why no entry applies.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoPrice {
    /// No entry of the call's tier exists for the model, at any time.
    #[error("no price for the `{tier}` tier of model `{model}`")]
    NoTier { model: String, tier: ServiceTier },
    /// A GovCloud call and no `govcloud` entry of the call's tier, at any time.
    #[error("no GovCloud price for model `{model}` (region {region})")]
    NoGovCloud { model: String, region: String },
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

    /// Entries of `model` in force at `at`, every tier, scope and region.
    pub fn in_force<'a>(&'a self, model: &'a str, at: DateTime<Utc>) -> impl Iterator<Item = &'a PriceEntry> {
        self.entries.iter().filter(move |e| e.model == model && e.in_force(at))
    }

    /// The entry in force for a model called through `endpoint` in `tier` and
    /// `region` at `at`. A missing tier or GovCloud entry is told apart from a
    /// price not (yet, or any more) in force, so the reason says what to add.
    pub fn lookup(
        &self,
        model: &str,
        endpoint: &Endpoint,
        tier: &ServiceTier,
        region: &str,
        at: DateTime<Utc>,
    ) -> Result<&PriceEntry, NoPrice> {
        let mut of_tier = self.entries.iter().filter(|e| e.model == model && e.tier == *tier).peekable();
        if of_tier.peek().is_none() && !tier.is_standard() {
            return Err(NoPrice::NoTier { model: model.to_string(), tier: tier.clone() });
        }
        let covering: Vec<&PriceEntry> = of_tier
            .filter(|e| e.scope.covers(endpoint, region))
            .filter(|e| e.region.as_deref().is_none_or(|r| r == region))
            .collect();
        if covering.is_empty() && is_govcloud(endpoint, region) {
            return Err(NoPrice::NoGovCloud { model: model.to_string(), region: region.to_string() });
        }
        covering.into_iter().filter(|e| e.in_force(at)).max_by_key(|e| e.specificity()).ok_or_else(|| {
            let tier = if tier.is_standard() { String::new() } else { format!(", `{tier}` tier") };
            NoPrice::NotInForce {
                model: model.to_string(),
                endpoint: format!("{endpoint}{tier}"),
                region: region.to_string(),
                at,
            }
        })
    }
}
