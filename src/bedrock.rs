//! Bedrock vocabulary shared along the data flow: the CloudWatch metrics of
//! the runtime (and what each one means here), and how usage of the
//! bedrock-mantle endpoint is named in the ledger, with its project.
//! Pure: names and classification only, no AWS types.

use std::fmt;

use crate::pricing::TokenType;

/// The `AWS/Bedrock` runtime metrics (dimension `ModelId`, 1-minute resolution).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BedrockMetric {
    Invocations,
    InvocationClientErrors,
    InvocationServerErrors,
    InvocationThrottles,
    InputTokenCount,
    OutputTokenCount,
    /// Name configurable: `sources.cloudwatch.cache_read_metric`.
    CacheReadInputTokens,
    /// Name configurable: `sources.cloudwatch.cache_write_metric`.
    CacheWriteInputTokens,
    /// Milliseconds; averaged from Sum / SampleCount.
    InvocationLatency,
    /// Milliseconds, streaming calls only; averaged from Sum / SampleCount.
    TimeToFirstToken,
    EstimatedTpmQuotaUsage,
    LegacyModelInvocations,
}

impl BedrockMetric {
    pub const ALL: [BedrockMetric; 12] = [
        BedrockMetric::Invocations,
        BedrockMetric::InvocationClientErrors,
        BedrockMetric::InvocationServerErrors,
        BedrockMetric::InvocationThrottles,
        BedrockMetric::InputTokenCount,
        BedrockMetric::OutputTokenCount,
        BedrockMetric::CacheReadInputTokens,
        BedrockMetric::CacheWriteInputTokens,
        BedrockMetric::InvocationLatency,
        BedrockMetric::TimeToFirstToken,
        BedrockMetric::EstimatedTpmQuotaUsage,
        BedrockMetric::LegacyModelInvocations,
    ];

    /// Stable key used in the ledger (independent of the configurable AWS names).
    pub fn key(self) -> &'static str {
        match self {
            BedrockMetric::Invocations => "invocations",
            BedrockMetric::InvocationClientErrors => "client_errors",
            BedrockMetric::InvocationServerErrors => "server_errors",
            BedrockMetric::InvocationThrottles => "throttles",
            BedrockMetric::InputTokenCount => "input_tokens",
            BedrockMetric::OutputTokenCount => "output_tokens",
            BedrockMetric::CacheReadInputTokens => "cache_read_tokens",
            BedrockMetric::CacheWriteInputTokens => "cache_write_tokens",
            BedrockMetric::InvocationLatency => "latency_ms",
            BedrockMetric::TimeToFirstToken => "time_to_first_token_ms",
            BedrockMetric::EstimatedTpmQuotaUsage => "estimated_tpm_quota_usage",
            BedrockMetric::LegacyModelInvocations => "legacy_model_invocations",
        }
    }

    pub fn from_key(key: &str) -> Option<BedrockMetric> {
        BedrockMetric::ALL.into_iter().find(|m| m.key() == key)
    }

    /// Usage metrics decide cost and budgets and are collected often; the
    /// others (latency, errors, throttles, quota) are operational detail.
    pub const USAGE: [BedrockMetric; 5] = [
        BedrockMetric::Invocations,
        BedrockMetric::InputTokenCount,
        BedrockMetric::OutputTokenCount,
        BedrockMetric::CacheReadInputTokens,
        BedrockMetric::CacheWriteInputTokens,
    ];

    /// What AWS/BedrockMantle publishes, in this vocabulary: inferences,
    /// client errors, input and output tokens (no cache, latency,
    /// server-error or throttle metric).
    pub const MANTLE: [BedrockMetric; 4] = [
        BedrockMetric::Invocations,
        BedrockMetric::InvocationClientErrors,
        BedrockMetric::InputTokenCount,
        BedrockMetric::OutputTokenCount,
    ];

    pub fn is_usage(self) -> bool {
        BedrockMetric::USAGE.contains(&self)
    }

    /// Every metric that is not a usage metric.
    pub fn detail() -> Vec<BedrockMetric> {
        BedrockMetric::ALL.into_iter().filter(|m| !m.is_usage()).collect()
    }

    /// Averages need the sample count as well as the sum.
    pub fn is_average(self) -> bool {
        matches!(self, BedrockMetric::InvocationLatency | BedrockMetric::TimeToFirstToken)
    }

    /// The token bucket a metric counts, if it is a token metric. Cache writes
    /// map to the 5-minute TTL here; the collector applies the configured TTL.
    pub fn token_type(self) -> Option<TokenType> {
        match self {
            BedrockMetric::InputTokenCount => Some(TokenType::Input),
            BedrockMetric::OutputTokenCount => Some(TokenType::Output),
            BedrockMetric::CacheReadInputTokens => Some(TokenType::CacheRead),
            BedrockMetric::CacheWriteInputTokens => Some(TokenType::CacheWrite5m),
            _ => None,
        }
    }
}

impl fmt::Display for BedrockMetric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The ledger's model IDs of bedrock-mantle usage start with this.
pub const MANTLE_PREFIX: &str = "mantle/";
/// The project of bedrock-mantle usage whose project CloudWatch did not say.
pub const UNKNOWN_PROJECT: &str = "unknown";
/// bedrock-runtime calls belong to the account's default project: "On
/// bedrock-runtime only the default project exists" (Bedrock user guide, Projects).
pub const DEFAULT_PROJECT: &str = "default";

/// The ledger's model ID of bedrock-mantle usage: `mantle/<project>/<model>`.
/// Mantle usage has its own keys (never those of bedrock-runtime usage of the
/// same model) and keeps its project, a first-class dimension of reports and
/// budgets. AWS project IDs match `(proj_[a-zA-Z0-9]+|default)`, so neither
/// `/` nor `unknown` can clash.
pub fn mantle_model_id(project: Option<&str>, model: &str) -> String {
    format!("{MANTLE_PREFIX}{}/{model}", project.unwrap_or(UNKNOWN_PROJECT))
}

/// (project, model) of a mantle ledger ID; `None` for bedrock-runtime IDs.
pub fn split_mantle(model_id: &str) -> Option<(&str, &str)> {
    model_id.strip_prefix(MANTLE_PREFIX)?.split_once('/')
}

/// The project a ledger model ID's usage belongs to.
pub fn project_of(model_id: &str) -> &str {
    split_mantle(model_id).map_or(DEFAULT_PROJECT, |(p, _)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_are_unique() {
        let mut keys: Vec<_> = BedrockMetric::ALL.iter().map(|m| m.key()).collect();
        for m in BedrockMetric::ALL {
            assert_eq!(BedrockMetric::from_key(m.key()), Some(m));
        }
        // Usage and detail split every metric exactly once between the two jobs.
        let detail = BedrockMetric::detail();
        assert_eq!(detail.len() + BedrockMetric::USAGE.len(), BedrockMetric::ALL.len());
        assert!(detail.iter().all(|m| !m.is_usage()));
        assert!(BedrockMetric::USAGE
            .iter()
            .all(|m| m.token_type().is_some() || *m == BedrockMetric::Invocations));
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), BedrockMetric::ALL.len());
    }

    #[test]
    fn mantle_ids_round_trip() {
        let cases = [
            (
                Some("proj_abc"),
                "anthropic.claude-opus-4-7",
                "mantle/proj_abc/anthropic.claude-opus-4-7",
                "proj_abc",
            ),
            (None, "anthropic.claude-opus-4-7", "mantle/unknown/anthropic.claude-opus-4-7", "unknown"),
        ];
        for (project, model, id, want) in cases {
            assert_eq!(mantle_model_id(project, model), id);
            assert_eq!(split_mantle(id), Some((want, model)));
            assert_eq!(project_of(id), want);
        }
        assert_eq!(split_mantle("us.anthropic.claude-sonnet-4-5-20250929-v1:0"), None);
        assert_eq!(project_of("us.anthropic.claude-sonnet-4-5-20250929-v1:0"), "default");
    }
}
