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
        // A member account's shard key (`<account>/<region>`) prices as its region.
        let region = crate::shard::region_of(region);
        let covers = |e: &&PriceEntry| {
            e.model == model
                && e.tier == *tier
                && e.scope.covers(endpoint, region)
                && e.region.as_deref().is_none_or(|r| r == region)
        };
        let best =
            self.entries.iter().filter(covers).filter(|e| e.in_force(at)).max_by_key(|e| e.specificity());
        if let Some(entry) = best {
            return Ok(entry);
        }
        // Only on a miss: tell what is missing, which is what the user must add.
        if !tier.is_standard() && !self.entries.iter().any(|e| e.model == model && e.tier == *tier) {
            return Err(NoPrice::NoTier { model: model.to_string(), tier: tier.clone() });
        }
        if is_govcloud(endpoint, region) && !self.entries.iter().any(|e| covers(&e)) {
            return Err(NoPrice::NoGovCloud { model: model.to_string(), region: region.to_string() });
        }
        let tier = if tier.is_standard() { String::new() } else { format!(", `{tier}` tier") };
        Err(NoPrice::NotInForce {
            model: model.to_string(),
            endpoint: format!("{endpoint}{tier}"),
            region: region.to_string(),
            at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, day, 0, 0, 0).unwrap()
    }

    fn entry(model: &str, scope: Scope, tier: ServiceTier, region: Option<&str>, from: u32) -> PriceEntry {
        PriceEntry {
            id: PriceEntry::make_id(model, scope, &tier, region, at(from)),
            model: model.into(),
            tier,
            scope,
            region: region.map(String::from),
            from: at(from),
            until: None,
            source: "https://example.com".into(),
            checked: at(from).date_naive(),
            prices: Prices(BTreeMap::new()),
            long_context: None,
            batch_discount: Decimal::ZERO,
        }
    }

    #[test]
    fn lookup_by_tier_scope_and_govcloud() {
        use ServiceTier::{Priority, Reserved, Standard};
        let table = PriceTable::new(
            Catalog::default(),
            vec![
                entry("old", Scope::All, Standard, None, 1),
                entry("new", Scope::Global, Standard, None, 1),
                entry("new", Scope::Regional, Standard, None, 1),
                entry("new", Scope::Regional, Standard, Some("eu-west-3"), 1),
                entry("new", Scope::GovCloud, Standard, None, 1),
                entry("new", Scope::Global, Priority, None, 10),
            ],
        );
        let geo = |p: &str| Endpoint::Geo(p.into());
        let ok = |id: &str| Ok::<String, &str>(id.into());
        // (model, endpoint, tier, region, day of June) → entry ID or the kind of
        // miss; day 0 stands for one second before the first entry.
        let cases = [
            ("old", geo("eu"), Standard, "eu-west-1", 5, ok("old:all:2026-06-01")),
            ("new", Endpoint::Global, Standard, "us-east-1", 5, ok("new:global:2026-06-01")),
            ("new", geo("us"), Standard, "us-east-1", 5, ok("new:regional:2026-06-01")),
            ("new", Endpoint::InRegion, Standard, "eu-west-3", 5, ok("new:regional@eu-west-3:2026-06-01")),
            ("new", geo("us-gov"), Standard, "us-gov-west-1", 5, ok("new:govcloud:2026-06-01")),
            ("new", Endpoint::InRegion, Standard, "us-gov-east-1", 5, ok("new:govcloud:2026-06-01")),
            ("new", Endpoint::Global, Priority, "us-east-1", 10, ok("new:global+priority:2026-06-10")),
            ("new", Endpoint::Global, Priority, "us-east-1", 9, Err("not in force")),
            ("new", geo("us"), Priority, "us-east-1", 10, Err("not in force")),
            ("new", Endpoint::Global, Reserved, "us-east-1", 10, Err("no tier")),
            ("old", geo("us-gov"), Standard, "us-gov-west-1", 5, Err("no govcloud")),
            ("old", Endpoint::InRegion, Standard, "us-gov-east-1", 5, Err("no govcloud")),
            ("new", geo("us-gov"), Priority, "us-gov-west-1", 10, Err("no govcloud")),
            ("new", Endpoint::Global, Standard, "us-east-1", 0, Err("not in force")),
        ];
        for (model, endpoint, tier, region, day, want) in cases {
            let day = if day == 0 { at(1) - chrono::Duration::seconds(1) } else { at(day) };
            let got = match table.lookup(model, &endpoint, &tier, region, day) {
                Ok(e) => Ok(e.id.clone()),
                Err(NoPrice::NoTier { .. }) => Err("no tier"),
                Err(NoPrice::NoGovCloud { .. }) => Err("no govcloud"),
                Err(NoPrice::NotInForce { .. }) => Err("not in force"),
            };
            assert_eq!(got, want, "{model} {endpoint} {tier} {region} {day}");
        }
    }
}
