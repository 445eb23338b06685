//! Resolution of a seen `ModelId` to a priced model, or to an explicit
//! "unpriced" result that carries the ID and the reason. Never a zero price.

use std::collections::BTreeMap;
use std::fmt;

use super::catalog::{Catalog, Match};
use super::model_id::{self, Endpoint, IdForm, ParsedModelId};

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
        // A bare application profile ID is only known from configuration.
        let parsed = match self.app_profiles.get(model_id) {
            Some(target) => retarget(model_id::parse(target)),
            None => match model_id::parse(model_id) {
                ParsedModelId::ApplicationProfile { arn_or_id, profile_id } => {
                    match self.app_profiles.get(&arn_or_id).or_else(|| self.app_profiles.get(&profile_id)) {
                        Some(target) => retarget(model_id::parse(target)),
                        None => return unpriced(UnpricedReason::UnmappedApplicationProfile),
                    }
                }
                other => other,
            },
        };
        let (base_id, endpoint, form) = match parsed {
            ParsedModelId::Model { base_id, endpoint, form } => (base_id, endpoint, form),
            ParsedModelId::ApplicationProfile { .. } => {
                return unpriced(UnpricedReason::UnmappedApplicationProfile)
            }
            ParsedModelId::NotPerToken { kind } => return unpriced(UnpricedReason::NotPerToken { kind }),
            ParsedModelId::Malformed { reason } => return unpriced(UnpricedReason::Malformed(reason)),
        };
        match self.catalog.find(&base_id) {
            Match::Found { model, pattern } => Resolution::Resolved(ResolvedModel {
                model_id: model_id.to_string(),
                model: model.key.clone(),
                name: model.name.clone(),
                base_id,
                endpoint,
                form,
                matched_pattern: pattern.to_string(),
            }),
            Match::Unknown => unpriced(UnpricedReason::UnknownModel { base_id }),
            Match::Ambiguous(patterns) => unpriced(UnpricedReason::AmbiguousModel {
                base_id,
                patterns: patterns.into_iter().map(str::to_string).collect(),
            }),
        }
    }
}

/// The target of an application profile decides the endpoint; the form records
/// that the caller used a profile.
fn retarget(parsed: ParsedModelId) -> ParsedModelId {
    match parsed {
        ParsedModelId::Model { base_id, endpoint, .. } => {
            ParsedModelId::Model { base_id, endpoint, form: IdForm::ApplicationProfile }
        }
        // Config validation refuses profiles that target profiles; keep it unpriced.
        ParsedModelId::ApplicationProfile { .. } => ParsedModelId::Malformed {
            reason: "application profile targets another application profile".into(),
        },
        other => other,
    }
}
