//! The pricing facade: model ID + region + instant + usage → priced lines or
//! an explicit "unpriced" outcome. What the CLI, the collector and the
//! benchmarks call; it only composes resolution, lookup and cost.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::cost::{cost, Cost, CostError, PriceOptions};
use super::resolve::{Resolution, ResolvedModel, Resolver, UnpricedReason};
use super::table::{NoPrice, PriceEntry, PriceTable};
use super::token::Usage;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Priced<'t> {
    pub resolved: ResolvedModel,
    pub entry: &'t PriceEntry,
    pub cost: Cost,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PriceOutcome<'t> {
    Priced(Priced<'t>),
    /// Never a zero price: the ID and the reason travel on, to be shown.
    Unpriced {
        model_id: String,
        reason: UnpricedReason,
    },
}

pub struct Pricer<'t> {
    table: &'t PriceTable,
    app_profiles: &'t BTreeMap<String, String>,
}

impl<'t> Pricer<'t> {
    pub fn new(table: &'t PriceTable, app_profiles: &'t BTreeMap<String, String>) -> Self {
        Pricer { table, app_profiles }
    }

    pub fn resolve(&self, model_id: &str) -> Resolution {
        Resolver::new(self.table.catalog(), self.app_profiles).resolve(model_id)
    }

    /// Prices `usage` of `model_id` called in `region` at `at`.
    pub fn price(
        &self,
        model_id: &str,
        region: &str,
        at: DateTime<Utc>,
        usage: &Usage,
        opts: PriceOptions,
    ) -> Result<PriceOutcome<'t>, CostError> {
        self.price_resolved(model_id, self.resolve(model_id), region, at, usage, opts)
    }

    /// [`Pricer::price`] of a model ID already resolved, for callers that
    /// price many points of one ID and resolve it once.
    pub fn price_resolved(
        &self,
        model_id: &str,
        resolution: Resolution,
        region: &str,
        at: DateTime<Utc>,
        usage: &Usage,
        opts: PriceOptions,
    ) -> Result<PriceOutcome<'t>, CostError> {
        let resolved = match resolution {
            Resolution::Resolved(r) => r,
            Resolution::Unpriced { model_id, reason } => {
                return Ok(PriceOutcome::Unpriced { model_id, reason })
            }
        };
        let r = &resolved;
        let entry = match self.table.lookup(&r.model, &r.endpoint, &r.tier, region, at) {
            Ok(e) => e,
            Err(no_price) => {
                return Ok(PriceOutcome::Unpriced {
                    model_id: model_id.to_string(),
                    reason: unpriced_reason(no_price, &resolved),
                })
            }
        };
        let cost = cost(entry, usage, opts)?;
        Ok(PriceOutcome::Priced(Priced { resolved, entry, cost }))
    }
}

/// The lookup names the model by key; the reason shown to users names it too.
fn unpriced_reason(no_price: NoPrice, r: &ResolvedModel) -> UnpricedReason {
    match no_price {
        NoPrice::NoTier { model, tier } => UnpricedReason::NoTierPrice { model, name: r.name.clone(), tier },
        NoPrice::NoGovCloud { model, region } => {
            UnpricedReason::NoGovCloudPrice { model, name: r.name.clone(), region }
        }
        other @ NoPrice::NotInForce { .. } => UnpricedReason::NoPriceInForce(other.to_string()),
    }
}
