//! Resolution of a seen `ModelId` to a priced model, or to an explicit
//! "unpriced" result that carries the ID and the reason. Never a zero price.
//! The catalog sees the base ID only; the tier travels beside it to the lookup.

use std::collections::BTreeMap;
use std::fmt;

use super::catalog::{Catalog, Match};
use super::model_id::{self, Endpoint, IdForm, ParsedModelId};
use super::tier::{split_tier, ServiceTier};

/// A model ID that maps to a model of the price table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedModel {
    /// The ID as seen (CloudWatch dimension, CLI argument).
    pub model_id: String,
    /// The model key of the price table, e.g. `claude-sonnet-4-5`.
    pub model: String,
    pub name: String,
    pub base_id: String,
    pub endpoint: Endpoint,
    pub form: IdForm,
    /// The tier of the call, from the ID's `+tier` suffix (standard without one).
    pub tier: ServiceTier,
    /// The catalog pattern that matched the base ID.
    pub matched_pattern: String,
}

/// Why an ID cannot be priced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnpricedReason {
    UnknownModel {
        base_id: String,
    },
    AmbiguousModel {
        base_id: String,
        patterns: Vec<String>,
    },
    UnmappedApplicationProfile,
    NotPerToken {
        kind: String,
    },
    Malformed(String),
    /// The model is known but no entry is in force for this endpoint, region and time.
    NoPriceInForce(String),
    /// The model is known but the table has no price for the tier that served
    /// the call. Never priced at the standard rate instead.
    NoTierPrice {
        model: String,
        name: String,
        tier: ServiceTier,
    },
    /// A call in GovCloud (a `us-gov-*` region or a `us-gov.` profile) of a
    /// model without a `govcloud` entry. Never priced at commercial rates.
    NoGovCloudPrice {
        model: String,
        name: String,
        region: String,
    },
}

impl fmt::Display for UnpricedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnpricedReason::UnknownModel { base_id } => write!(
                f,
                "model `{base_id}` is not in the price table (add it to the price table to price it)"
            ),
            UnpricedReason::AmbiguousModel { base_id, patterns } => {
                write!(f, "model `{base_id}` matches equally specific patterns {}", patterns.join(", "))
            }
            UnpricedReason::UnmappedApplicationProfile => f.write_str(
                "application inference profile is not mapped to a model (set pricing.application_profiles)",
            ),
            UnpricedReason::NotPerToken { kind } => {
                write!(f, "`{kind}` resources are not billed per token")
            }
            UnpricedReason::Malformed(reason) => write!(f, "not a Bedrock model ID: {reason}"),
            UnpricedReason::NoPriceInForce(reason) => f.write_str(reason),
            UnpricedReason::NoTierPrice { name, tier: ServiceTier::Reserved, .. } => write!(
                f,
                "no price for the `reserved` tier of {name} in the table: reserved capacity is billed \
                 per reserved tokens-per-minute per month, not per token \
                 (add a [[price]] with tier = \"reserved\" to price its tokens)"
            ),
            UnpricedReason::NoTierPrice { name, tier, .. } => write!(
                f,
                "no price for the `{tier}` tier of {name} in the table \
                 (add a [[price]] with tier = \"{tier}\"); it is not priced at the standard rate"
            ),
            UnpricedReason::NoGovCloudPrice { name, region, .. } => write!(
                f,
                "no GovCloud price for {name} in the table (call in {region} or through a `us-gov.` profile); \
                 GovCloud is priced only by scope = \"govcloud\" entries, never at commercial rates"
            ),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    Resolved(ResolvedModel),
    Unpriced { model_id: String, reason: UnpricedReason },
}

/// Resolves IDs against the catalog and the configured application profiles.
pub struct Resolver<'a> {
    catalog: &'a Catalog,
    /// Application inference profile ARN or ID → the model ID it targets.
    app_profiles: &'a BTreeMap<String, String>,
}

impl<'a> Resolver<'a> {
    pub fn new(catalog: &'a Catalog, app_profiles: &'a BTreeMap<String, String>) -> Self {
        Resolver { catalog, app_profiles }
    }

    pub fn resolve(&self, model_id: &str) -> Resolution {
        let unpriced = |reason| Resolution::Unpriced { model_id: model_id.to_string(), reason };
        let (base_id, endpoint, form, tier) = match self.parse(model_id) {
            Ok(ParsedModelId::Model { base_id, endpoint, form, tier }) => (base_id, endpoint, form, tier),
            Ok(ParsedModelId::ApplicationProfile { .. }) => {
                return unpriced(UnpricedReason::UnmappedApplicationProfile)
            }
            Ok(ParsedModelId::NotPerToken { kind }) => return unpriced(UnpricedReason::NotPerToken { kind }),
            Ok(ParsedModelId::Malformed { reason }) => return unpriced(UnpricedReason::Malformed(reason)),
            Err(reason) => return unpriced(reason),
        };
        match self.catalog.find(&base_id) {
            Match::Found { model, pattern } => Resolution::Resolved(ResolvedModel {
                model_id: model_id.to_string(),
                model: model.key.clone(),
                name: model.name.clone(),
                base_id,
                endpoint,
                form,
                tier,
                matched_pattern: pattern.to_string(),
            }),
            Match::Unknown => unpriced(UnpricedReason::UnknownModel { base_id }),
            Match::Ambiguous(patterns) => unpriced(UnpricedReason::AmbiguousModel {
                base_id,
                patterns: patterns.into_iter().map(str::to_string).collect(),
            }),
        }
    }

    /// Parses the ID, replacing an application profile by its configured target.
    fn parse(&self, model_id: &str) -> Result<ParsedModelId, UnpricedReason> {
        // A bare application profile ID is only known from configuration.
        if let Ok((bare, tier)) = split_tier(model_id.trim()) {
            if let Some(target) = self.app_profiles.get(bare) {
                return Ok(retarget(model_id::parse(target), tier));
            }
        }
        match model_id::parse(model_id) {
            ParsedModelId::ApplicationProfile { arn_or_id, profile_id, tier } => {
                match self.app_profiles.get(&arn_or_id).or_else(|| self.app_profiles.get(&profile_id)) {
                    Some(target) => Ok(retarget(model_id::parse(target), tier)),
                    None => Err(UnpricedReason::UnmappedApplicationProfile),
                }
            }
            other => Ok(other),
        }
    }
}

/// The target of an application profile decides the endpoint; the form records
/// that the caller used a profile, and the tier is the call's: a profile has
/// no tier of its own, so a target with a suffix is refused.
fn retarget(parsed: ParsedModelId, tier: ServiceTier) -> ParsedModelId {
    match parsed {
        ParsedModelId::Model { base_id, endpoint, tier: target_tier, .. } if target_tier.is_standard() => {
            ParsedModelId::Model { base_id, endpoint, form: IdForm::ApplicationProfile, tier }
        }
        ParsedModelId::Model { .. } => ParsedModelId::Malformed {
            reason: "application profile target has a `+tier` suffix; the tier belongs to each call".into(),
        },
        // Config validation refuses profiles that target profiles; keep it unpriced.
        ParsedModelId::ApplicationProfile { .. } => ParsedModelId::Malformed {
            reason: "application profile targets another application profile".into(),
        },
        other => other,
    }
}
