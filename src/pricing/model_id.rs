//! Parsing the `ModelId` a caller passed to Bedrock into what was called,
//! through which endpoint and in which service tier. Pure string work: no
//! price table, no I/O.
//!
//! CloudWatch's `ModelId` dimension is whatever the caller passed: a base ID,
//! a cross-region inference profile (`us.`, `eu.`, …, `global.`), a
//! foundation-model or inference-profile ARN, or an application inference
//! profile, any of them with a `+tier` suffix. One model therefore shows up
//! under several IDs.

use std::fmt;

use super::tier::{split_tier, ServiceTier};

/// Geographic profile prefixes; `us-gov.` must be tried before `us.`.
pub const GEO_PREFIXES: [&str; 7] = ["us-gov", "us", "eu", "apac", "jp", "au", "ca"];

/// How a call was routed, which decides the price scope.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// A base model ID or foundation-model ARN: served in the called region.
    InRegion,
    /// A geographic cross-region profile such as `us.` or `eu.`.
    Geo(String),
    /// The `global.` cross-region profile.
    Global,
}

impl Endpoint {
    pub fn is_global(&self) -> bool {
        matches!(self, Endpoint::Global)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::InRegion => f.write_str("in-region"),
            Endpoint::Geo(p) => write!(f, "geo cross-region profile `{p}.`"),
            Endpoint::Global => f.write_str("global cross-region profile `global.`"),
        }
    }
}

/// Which written form the ID had; kept so users can see why it resolved as it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdForm {
    BaseId,
    InferenceProfileId,
    FoundationModelArn,
    InferenceProfileArn,
    ApplicationProfile,
}

impl IdForm {
    pub fn as_str(self) -> &'static str {
        match self {
            IdForm::BaseId => "base model ID",
            IdForm::InferenceProfileId => "inference profile ID",
            IdForm::FoundationModelArn => "foundation-model ARN",
            IdForm::InferenceProfileArn => "inference-profile ARN",
            IdForm::ApplicationProfile => "application inference profile",
        }
    }
}

/// A model ID taken apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParsedModelId {
    /// Billed per token: the base model (without any `+tier` suffix), the
    /// endpoint it was called through and the tier that served it.
    Model { base_id: String, endpoint: Endpoint, form: IdForm, tier: ServiceTier },
    /// An application inference profile: its target comes from configuration,
    /// the tier from the call.
    ApplicationProfile { arn_or_id: String, profile_id: String, tier: ServiceTier },
    /// Provisioned throughput, custom or imported models: not billed per token,
    /// so the per-token price table cannot price them.
    NotPerToken { kind: String },
    /// Something that is not a Bedrock model ID at all.
    Malformed { reason: String },
}

pub fn parse(raw: &str) -> ParsedModelId {
    let raw = raw.trim();
    if raw.is_empty() {
        return ParsedModelId::Malformed { reason: "empty model ID".into() };
    }
    // The suffix goes first: it follows every form, ARNs included, and a
    // catalog pattern's trailing `*` must never see it.
    let (id, tier) = match split_tier(raw) {
        Ok(split) => split,
        Err(reason) => return ParsedModelId::Malformed { reason },
    };
    let parsed = if id.starts_with("arn:") {
        parse_arn(id)
    } else if let Some((_, model_id)) = crate::bedrock::split_mantle(id) {
        // bedrock-mantle "is in-region only": the regional price applies.
        model(model_id, Endpoint::InRegion, IdForm::BaseId)
    } else {
        parse_profile_or_base(id, IdForm::InferenceProfileId, IdForm::BaseId)
    };
    with_tier(parsed, tier)
}

fn with_tier(parsed: ParsedModelId, tier: ServiceTier) -> ParsedModelId {
    match parsed {
        ParsedModelId::Model { base_id, endpoint, form, .. } => {
            ParsedModelId::Model { base_id, endpoint, form, tier }
        }
        ParsedModelId::ApplicationProfile { arn_or_id, profile_id, .. } => {
            ParsedModelId::ApplicationProfile { arn_or_id, profile_id, tier }
        }
        other => other,
    }
}

fn parse_profile_or_base(id: &str, profile_form: IdForm, base_form: IdForm) -> ParsedModelId {
    if let Some(base) = id.strip_prefix("global.") {
        return model(base, Endpoint::Global, profile_form);
    }
    for prefix in GEO_PREFIXES {
        if let Some(base) = id.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')) {
            return model(base, Endpoint::Geo(prefix.to_string()), profile_form);
        }
    }
    model(id, Endpoint::InRegion, base_form)
}

fn model(base: &str, endpoint: Endpoint, form: IdForm) -> ParsedModelId {
    if base.is_empty() {
        return ParsedModelId::Malformed { reason: "profile prefix without a model".into() };
    }
    ParsedModelId::Model { base_id: base.to_string(), endpoint, form, tier: ServiceTier::Standard }
}

/// `arn:<partition>:bedrock:<region>:<account>:<resource-type>/<id>`.
fn parse_arn(arn: &str) -> ParsedModelId {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, _partition, service, _region, _account, resource] = parts[..] else {
        return ParsedModelId::Malformed { reason: "ARN has fewer than six `:`-separated parts".into() };
    };
    if service != "bedrock" {
        return ParsedModelId::Malformed { reason: format!("ARN of service `{service}`, not `bedrock`") };
    }
    let Some((kind, id)) = resource.split_once('/') else {
        return ParsedModelId::Malformed { reason: "ARN resource has no `type/id`".into() };
    };
    match kind {
        "foundation-model" => model(id, Endpoint::InRegion, IdForm::FoundationModelArn),
        "inference-profile" => {
            parse_profile_or_base(id, IdForm::InferenceProfileArn, IdForm::InferenceProfileArn)
        }
        "application-inference-profile" => ParsedModelId::ApplicationProfile {
            arn_or_id: arn.to_string(),
            profile_id: id.to_string(),
            tier: ServiceTier::Standard,
        },
        other => ParsedModelId::NotPerToken { kind: other.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(base: &str, endpoint: Endpoint, form: IdForm) -> ParsedModelId {
        ParsedModelId::Model { base_id: base.into(), endpoint, form, tier: ServiceTier::Standard }
    }

    /// Every written form, as (raw ID, base ID, endpoint, form).
    fn forms(base: &str) -> Vec<(String, Endpoint, IdForm)> {
        let geo = |p: &str| Endpoint::Geo(p.to_string());
        let profile = IdForm::InferenceProfileId;
        let mut out = vec![
            (base.to_string(), Endpoint::InRegion, IdForm::BaseId),
            (format!("global.{base}"), Endpoint::Global, profile),
        ];
        for p in GEO_PREFIXES {
            out.push((format!("{p}.{base}"), geo(p), profile));
        }
        out.extend([
            (
                format!("arn:aws:bedrock:us-east-1::foundation-model/{base}"),
                Endpoint::InRegion,
                IdForm::FoundationModelArn,
            ),
            (
                format!("arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.{base}"),
                geo("eu"),
                IdForm::InferenceProfileArn,
            ),
            (
                format!("arn:aws:bedrock:us-east-1:123456789012:inference-profile/global.{base}"),
                Endpoint::Global,
                IdForm::InferenceProfileArn,
            ),
            (
                format!("arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov.{base}"),
                geo("us-gov"),
                IdForm::InferenceProfileArn,
            ),
        ]);
        out
    }

    #[test]
    fn parses_every_id_form_with_and_without_a_tier_suffix() {
        // A dated ID with `:` and `-v2`, and an undated one, so the suffix
        // split cannot lean on either shape.
        for base in ["anthropic.claude-3-5-sonnet-20241022-v2:0", "anthropic.claude-opus-4-8"] {
            for (raw, endpoint, form) in forms(base) {
                assert_eq!(parse(&raw), m(base, endpoint.clone(), form), "{raw}");
                for (suffix, tier) in [
                    ("+priority", ServiceTier::Priority),
                    ("+flex", ServiceTier::Flex),
                    ("+reserved", ServiceTier::Reserved),
                    ("+latency-optimized", ServiceTier::LatencyOptimized),
                    ("+default", ServiceTier::Standard),
                    ("+standard", ServiceTier::Standard),
                    ("+Priority", ServiceTier::Priority),
                    ("+turbo", ServiceTier::Other("turbo".into())),
                ] {
                    let want =
                        ParsedModelId::Model { base_id: base.into(), endpoint: endpoint.clone(), form, tier };
                    assert_eq!(parse(&format!("{raw}{suffix}")), want, "{raw}{suffix}");
                }
            }
        }
    }

    #[test]
    fn application_profiles_and_other_resources() {
        let app = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3";
        let profile = |tier| ParsedModelId::ApplicationProfile {
            arn_or_id: app.into(),
            profile_id: "a1b2c3".into(),
            tier,
        };
        assert_eq!(parse(app), profile(ServiceTier::Standard));
        assert_eq!(parse(&format!("{app}+priority")), profile(ServiceTier::Priority));
        for raw in [
            "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/xyz",
            "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/xyz+flex",
        ] {
            assert_eq!(parse(raw), ParsedModelId::NotPerToken { kind: "provisioned-model".into() }, "{raw}");
        }
    }

    #[test]
    fn refuses_malformed_ids() {
        for raw in [
            "",
            "us.",
            "us.+priority",
            "+priority",
            "anthropic.claude-opus-4-8+",
            "anthropic.claude-opus-4-8+priority+flex",
            "anthropic.claude-opus-4-8+pri/ority",
            "arn:aws:s3:::bucket/key",
            "arn:aws:bedrock:us-east-1",
        ] {
            assert!(matches!(parse(raw), ParsedModelId::Malformed { .. }), "{raw}: {:?}", parse(raw));
        }
    }
}

#[cfg(test)]
mod mantle_tests {
    use super::*;

    #[test]
    fn mantle_ids_are_in_region_base_ids() {
        let want = ParsedModelId::Model {
            base_id: "anthropic.claude-opus-4-7".into(),
            endpoint: Endpoint::InRegion,
            form: IdForm::BaseId,
            tier: ServiceTier::Standard,
        };
        assert_eq!(parse("mantle/proj_abc123/anthropic.claude-opus-4-7"), want);
        assert_eq!(parse("mantle/unknown/anthropic.claude-opus-4-7"), want);
    }
}
