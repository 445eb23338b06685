//! What the `AWS/Bedrock` and `AWS/BedrockMantle` namespaces publish, as
//! this project reads them: the AWS metric names of each [`BedrockMetric`]
//! (several spellings for the cache metrics), the dimension sets a series
//! may have, and the classification of what `ListMetrics` returns.
//!
//! Pure: names and classification only; must not call AWS or decide which
//! series to fetch (`levels.rs` does).

use crate::bedrock::BedrockMetric;
use crate::config::types::CloudWatchSource as CloudWatchConfig;

/// Every `AWS/Bedrock` runtime metric carries the model it was called with.
pub const MODEL_DIMENSION: &str = "ModelId";
/// AWS/BedrockMantle: "`Model` … for example, `anthropic.claude-opus-4-7`".
pub const MANTLE_MODEL_DIMENSION: &str = "Model";
/// AWS/BedrockMantle: "`Project` – The project ID associated with the inference request".
pub const PROJECT_DIMENSION: &str = "Project";
/// AWS's service-tiers page: "view service tier metrics in Amazon CloudWatch
/// Metrics under ModelId, ServiceTier, and ResolvedServiceTier, where
/// ResolvedServiceTier shows the actual tier that served your requests".
/// The served tier is the billed one, so it is preferred.
pub const RESOLVED_TIER_DIMENSION: &str = "ResolvedServiceTier";
pub const REQUESTED_TIER_DIMENSION: &str = "ServiceTier";

/// The CloudWatch namespace a series lives in. The bedrock-runtime endpoint
/// publishes to `AWS/Bedrock`; the bedrock-mantle endpoint (Anthropic
/// Messages API, Chat Completions, Responses) to `AWS/BedrockMantle`, with
/// other names and dimensions, and "Existing dashboards and alarms built
/// against `AWS/Bedrock` will not pick up `bedrock-mantle` traffic".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Namespace {
    Bedrock,
    Mantle,
}

impl Namespace {
    pub fn name(self) -> &'static str {
        match self {
            Namespace::Bedrock => "AWS/Bedrock",
            Namespace::Mantle => "AWS/BedrockMantle",
        }
    }

    pub fn model_dimension(self) -> &'static str {
        match self {
            Namespace::Bedrock => MODEL_DIMENSION,
            Namespace::Mantle => MANTLE_MODEL_DIMENSION,
        }
    }

    /// The dimensions that break a model's usage down, finest level first,
    /// with their level (0 is the plain per-model series).
    fn breakdowns(self) -> &'static [(&'static str, u8)] {
        match self {
            Namespace::Bedrock => &[(RESOLVED_TIER_DIMENSION, 2), (REQUESTED_TIER_DIMENSION, 1)],
            Namespace::Mantle => &[(PROJECT_DIMENSION, 1)],
        }
    }
}

/// The AWS names of the metrics of one namespace, several per metric where
/// AWS and the tools around it disagree (or, in AWS/BedrockMantle, where each
/// level has its own name); the first name of a metric is preferred.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricNames {
    namespace: Namespace,
    /// (AWS name, metric), each metric's preferred name first.
    names: Vec<(String, BedrockMetric)>,
}

impl MetricNames {
    /// AWS/BedrockMantle's metric table: `Inferences`, `InferenceClientErrors`,
    /// aggregate `TotalInputTokens`/`TotalOutputTokens` (account, project and
    /// model levels) and per-inference `InputTokens`/`OutputTokens` (project
    /// and model). No cache, latency, server-error or throttle metric exists.
    pub fn mantle() -> Self {
        let pairs = [
            ("Inferences", BedrockMetric::Invocations),
            ("InferenceClientErrors", BedrockMetric::InvocationClientErrors),
            ("TotalInputTokens", BedrockMetric::InputTokenCount),
            ("InputTokens", BedrockMetric::InputTokenCount),
            ("TotalOutputTokens", BedrockMetric::OutputTokenCount),
            ("OutputTokens", BedrockMetric::OutputTokenCount),
        ];
        MetricNames {
            namespace: Namespace::Mantle,
            names: pairs.into_iter().map(|(n, m)| (n.to_string(), m)).collect(),
        }
    }

    pub fn namespace(&self) -> Namespace {
        self.namespace
    }

    /// The names of AWS's metric table, both cache spellings included.
    pub fn documented() -> Self {
        MetricNames::new(
            &["CacheReadInputTokens".into(), "CacheReadInputTokenCount".into()],
            &["CacheWriteInputTokens".into(), "CacheWriteInputTokenCount".into()],
        )
    }

    pub fn from_config(c: &CloudWatchConfig) -> Self {
        let (read, write) = c.cache_metric_names();
        MetricNames::new(&read, &write)
    }

    pub fn new(cache_read: &[String], cache_write: &[String]) -> Self {
        let mut names = Vec::new();
        for metric in BedrockMetric::ALL {
            match metric {
                BedrockMetric::CacheReadInputTokens => {
                    names.extend(cache_read.iter().map(|n| (n.clone(), metric)));
                }
                BedrockMetric::CacheWriteInputTokens => {
                    names.extend(cache_write.iter().map(|n| (n.clone(), metric)));
                }
                _ => names.push((fixed_name(metric).to_string(), metric)),
            }
        }
        MetricNames { namespace: Namespace::Bedrock, names }
    }

    /// The metric an AWS name stands for; names this project does not collect give `None`.
    pub fn metric_of(&self, aws_name: &str) -> Option<BedrockMetric> {
        self.names.iter().find(|(n, _)| n == aws_name).map(|(_, m)| *m)
    }

    /// 0 for a metric's preferred name, 1 for the next, …; unknown names last.
    pub fn rank(&self, aws_name: &str) -> usize {
        let Some(metric) = self.metric_of(aws_name) else { return usize::MAX };
        self.names.iter().filter(|(_, m)| *m == metric).position(|(n, _)| n == aws_name).unwrap_or(usize::MAX)
    }

    /// The preferred AWS name of a metric (what the simulator publishes).
    pub fn preferred(&self, metric: BedrockMetric) -> &str {
        self.names.iter().find(|(_, m)| *m == metric).map_or_else(|| fixed_name(metric), |(n, _)| n.as_str())
    }
}

/// The names AWS documents for the metrics whose spelling nobody disputes.
fn fixed_name(metric: BedrockMetric) -> &'static str {
    match metric {
        BedrockMetric::Invocations => "Invocations",
        BedrockMetric::InvocationClientErrors => "InvocationClientErrors",
        BedrockMetric::InvocationServerErrors => "InvocationServerErrors",
        BedrockMetric::InvocationThrottles => "InvocationThrottles",
        BedrockMetric::InputTokenCount => "InputTokenCount",
        BedrockMetric::OutputTokenCount => "OutputTokenCount",
        BedrockMetric::CacheReadInputTokens => "CacheReadInputTokens",
        BedrockMetric::CacheWriteInputTokens => "CacheWriteInputTokens",
        BedrockMetric::InvocationLatency => "InvocationLatency",
        BedrockMetric::TimeToFirstToken => "TimeToFirstToken",
        BedrockMetric::EstimatedTpmQuotaUsage => "EstimatedTPMQuotaUsage",
        BedrockMetric::LegacyModelInvocations => "LegacyModelInvocations",
    }
}

/// One existing series of a collected metric: its AWS name and its whole
/// dimension set (sorted by name, `ModelId` included), as a query must
/// repeat it exactly.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ListedSeries {
    pub namespace: Namespace,
    pub model_id: String,
    pub metric: BedrockMetric,
    pub name: String,
    pub dimensions: Vec<(String, String)>,
}

impl ListedSeries {
    /// A series with only the `ModelId` dimension, under the metric's preferred name.
    pub fn plain(names: &MetricNames, model_id: &str, metric: BedrockMetric) -> Self {
        let namespace = names.namespace();
        ListedSeries {
            namespace,
            model_id: model_id.to_string(),
            metric,
            name: names.preferred(metric).to_string(),
            dimensions: vec![(namespace.model_dimension().to_string(), model_id.to_string())],
        }
    }

    fn dimension(&self, name: &str) -> Option<&str> {
        self.dimensions.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The dimension this series breaks a model's usage down by, if any:
    /// in AWS/Bedrock the served tier when published, else the requested
    /// one; in AWS/BedrockMantle the project.
    pub fn breakdown(&self) -> Option<(&'static str, &str)> {
        self.namespace.breakdowns().iter().find_map(|(d, _)| self.dimension(d).map(|v| (*d, v)))
    }

    /// Which breakdown level the series belongs to: 0 = per model; in
    /// AWS/Bedrock 1 = by requested tier, 2 = by served tier (with or
    /// without the requested one); in AWS/BedrockMantle 1 = by project.
    pub fn level(&self) -> u8 {
        self.namespace.breakdowns().iter().find(|(d, _)| self.dimension(d).is_some()).map_or(0, |(_, l)| *l)
    }
}

/// What one `ListMetrics` entry of `AWS/Bedrock` is to this project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Listed {
    Series(ListedSeries),
    /// A token-like metric name (or dimension set) this project cannot price:
    /// billed usage that would otherwise be skipped in silence. The text
    /// names it, with any unexpected dimensions.
    Unknown(String),
    /// Not usage and not collected (image metrics, log delivery, aggregates).
    Ignored,
}

/// Classifies a listed metric by its name and dimensions.
pub fn classify(names: &MetricNames, aws_name: &str, dimensions: &[(String, String)]) -> Listed {
    let namespace = names.namespace();
    let model_dimension = namespace.model_dimension();
    let model_id = dimensions.iter().find(|(n, _)| n == model_dimension).map(|(_, v)| v.clone());
    let known = |n: &str| n == model_dimension || namespace.breakdowns().iter().any(|(d, _)| *d == n);
    let extra: Vec<&str> = dimensions.iter().map(|(n, _)| n.as_str()).filter(|n| !known(n)).collect();
    let token_like = aws_name.to_ascii_lowercase().contains("token");
    match (names.metric_of(aws_name), model_id) {
        (Some(metric), Some(model_id)) if extra.is_empty() => {
            let mut dimensions = dimensions.to_vec();
            dimensions.sort();
            Listed::Series(ListedSeries {
                namespace,
                model_id,
                metric,
                name: aws_name.to_string(),
                dimensions,
            })
        }
        (Some(metric), Some(_)) if metric.token_type().is_some() => {
            Listed::Unknown(format!("{aws_name} with dimensions {}", extra.join(", ")))
        }
        (None, Some(_)) if token_like => Listed::Unknown(aws_name.to_string()),
        _ => Listed::Ignored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dims(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    #[test]
    fn both_cache_spellings_are_known_and_the_documented_one_is_preferred() {
        let names = MetricNames::documented();
        let cases = [
            ("CacheReadInputTokens", Some(BedrockMetric::CacheReadInputTokens), 0),
            ("CacheReadInputTokenCount", Some(BedrockMetric::CacheReadInputTokens), 1),
            ("CacheWriteInputTokens", Some(BedrockMetric::CacheWriteInputTokens), 0),
            ("CacheWriteInputTokenCount", Some(BedrockMetric::CacheWriteInputTokens), 1),
            ("InputTokenCount", Some(BedrockMetric::InputTokenCount), 0),
            ("OutputImageCount", None, usize::MAX),
        ];
        for (name, metric, rank) in cases {
            assert_eq!(names.metric_of(name), metric, "{name}");
            assert_eq!(names.rank(name), rank, "{name}");
        }
        assert_eq!(names.preferred(BedrockMetric::CacheReadInputTokens), "CacheReadInputTokens");
    }

    #[test]
    fn classification_table() {
        let names = MetricNames::documented();
        let model = ("ModelId", "anthropic.claude-sonnet-4-6");
        let series = |name: &str, metric, d: &[(&str, &str)]| {
            let mut dimensions = dims(d);
            dimensions.sort();
            let model_id = model.1.into();
            Listed::Series(ListedSeries {
                namespace: Namespace::Bedrock,
                model_id,
                metric,
                name: name.into(),
                dimensions,
            })
        };
        let cases = [
            (
                "InputTokenCount",
                vec![model],
                series("InputTokenCount", BedrockMetric::InputTokenCount, &[model]),
            ),
            (
                "OutputTokenCount",
                vec![("ResolvedServiceTier", "priority"), model],
                series(
                    "OutputTokenCount",
                    BedrockMetric::OutputTokenCount,
                    &[model, ("ResolvedServiceTier", "priority")],
                ),
            ),
            ("ReasoningTokenCount", vec![model], Listed::Unknown("ReasoningTokenCount".into())),
            (
                "InputTokenCount",
                vec![model, ("Workspace", "w1")],
                Listed::Unknown("InputTokenCount with dimensions Workspace".into()),
            ),
            ("InvocationLatency", vec![model, ("Workspace", "w1")], Listed::Ignored),
            ("OutputImageCount", vec![model, ("ImageSize", "1024")], Listed::Ignored),
            ("InputTokenCount", vec![], Listed::Ignored),
            ("ModelInvocationLogsCloudWatchDeliveryFailure", vec![], Listed::Ignored),
        ];
        for (name, d, want) in cases {
            assert_eq!(classify(&names, name, &dims(&d)), want, "{name} {d:?}");
        }
    }

    #[test]
    fn tiers_and_levels() {
        let s = |d: &[(&str, &str)]| ListedSeries {
            namespace: Namespace::Bedrock,
            model_id: "m".into(),
            metric: BedrockMetric::InputTokenCount,
            name: "InputTokenCount".into(),
            dimensions: dims(d),
        };
        let cases = [
            (s(&[("ModelId", "m")]), None, 0),
            (s(&[("ModelId", "m"), ("ServiceTier", "flex")]), Some(("ServiceTier", "flex")), 1),
            (
                s(&[("ModelId", "m"), ("ResolvedServiceTier", "default"), ("ServiceTier", "priority")]),
                Some(("ResolvedServiceTier", "default")),
                2,
            ),
        ];
        for (series, tier, level) in cases {
            assert_eq!(series.breakdown(), tier, "{series:?}");
            assert_eq!(series.level(), level, "{series:?}");
        }
    }

    #[test]
    fn mantle_levels_and_names() {
        let names = MetricNames::mantle();
        let d = |pairs: &[(&str, &str)]| dims(pairs);
        let model = ("Model", "anthropic.claude-opus-4-7");
        let project = ("Project", "proj_abc123");
        let cases = [
            ("TotalInputTokens", d(&[model]), Some((BedrockMetric::InputTokenCount, 0))),
            ("InputTokens", d(&[project, model]), Some((BedrockMetric::InputTokenCount, 1))),
            ("Inferences", d(&[project, model]), Some((BedrockMetric::Invocations, 1))),
            ("TotalOutputTokens", d(&[project]), None),
            ("TotalInputTokens", d(&[]), None),
        ];
        for (name, dimensions, want) in cases {
            let got = match classify(&names, name, &dimensions) {
                Listed::Series(s) => Some((s.metric, s.level())),
                _ => None,
            };
            assert_eq!(got, want, "{name} {dimensions:?}");
        }
        assert_eq!(
            classify(&names, "CacheReadInputTokens", &d(&[model])),
            Listed::Unknown("CacheReadInputTokens".into())
        );
    }
}
