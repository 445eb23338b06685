//! Parsing the `ModelId` a caller passed to Bedrock into what was called and
//! through which endpoint. Pure string work: no price table, no I/O.
//!
//! CloudWatch's `ModelId` dimension is whatever the caller passed: a base ID,
//! a cross-region inference profile (`us.`, `eu.`, …, `global.`), a
//! foundation-model or inference-profile ARN, or an application inference
//! profile. One model therefore shows up under several IDs.

use std::fmt;

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
    /// Billed per token: the base model and the endpoint it was called through.
    Model { base_id: String, endpoint: Endpoint, form: IdForm },
    /// An application inference profile: its target comes from configuration.
    ApplicationProfile { arn_or_id: String, profile_id: String },
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
    if raw.starts_with("arn:") {
        return parse_arn(raw);
    }
    parse_profile_or_base(raw, IdForm::InferenceProfileId, IdForm::BaseId)
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
    ParsedModelId::Model { base_id: base.to_string(), endpoint, form }
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
        "application-inference-profile" => {
            ParsedModelId::ApplicationProfile { arn_or_id: arn.to_string(), profile_id: id.to_string() }
        }
        other => ParsedModelId::NotPerToken { kind: other.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(base: &str, endpoint: Endpoint, form: IdForm) -> ParsedModelId {
        ParsedModelId::Model { base_id: base.into(), endpoint, form }
    }

    #[test]
    fn parses_every_id_form() {
        let base = "anthropic.claude-sonnet-4-5-20250929-v1:0";
        let geo = |p: &str| Endpoint::Geo(p.to_string());
        let cases: Vec<(String, ParsedModelId)> = vec![
            (base.into(), m(base, Endpoint::InRegion, IdForm::BaseId)),
            (format!("global.{base}"), m(base, Endpoint::Global, IdForm::InferenceProfileId)),
            (format!("us.{base}"), m(base, geo("us"), IdForm::InferenceProfileId)),
            (format!("us-gov.{base}"), m(base, geo("us-gov"), IdForm::InferenceProfileId)),
            (format!("eu.{base}"), m(base, geo("eu"), IdForm::InferenceProfileId)),
            (format!("apac.{base}"), m(base, geo("apac"), IdForm::InferenceProfileId)),
            (format!("jp.{base}"), m(base, geo("jp"), IdForm::InferenceProfileId)),
            (format!("au.{base}"), m(base, geo("au"), IdForm::InferenceProfileId)),
            (format!("ca.{base}"), m(base, geo("ca"), IdForm::InferenceProfileId)),
            (
                format!("arn:aws:bedrock:us-east-1::foundation-model/{base}"),
                m(base, Endpoint::InRegion, IdForm::FoundationModelArn),
            ),
            (
                format!("arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.{base}"),
                m(base, geo("eu"), IdForm::InferenceProfileArn),
            ),
            (
                format!("arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov.{base}"),
                m(base, geo("us-gov"), IdForm::InferenceProfileArn),
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3".into(),
                ParsedModelId::ApplicationProfile {
                    arn_or_id: "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3"
                        .into(),
                    profile_id: "a1b2c3".into(),
                },
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/xyz".into(),
                ParsedModelId::NotPerToken { kind: "provisioned-model".into() },
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(parse(&raw), want, "{raw}");
        }
    }

    #[test]
    fn refuses_malformed_ids() {
        for raw in ["", "us.", "arn:aws:s3:::bucket/key", "arn:aws:bedrock:us-east-1"] {
            assert!(matches!(parse(raw), ParsedModelId::Malformed { .. }), "{raw}");
        }
    }
}
