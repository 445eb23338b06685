//! Which listed series to read so that every token is counted exactly once,
//! and the ledger's name for usage served by a non-standard tier.
//!
//! CloudWatch "treats each unique combination of dimensions as a separate
//! metric", and a service may publish the same traffic at several dimension
//! sets (AWS/BedrockMantle documents "each level of granularity emits
//! independently"). Summing two levels would count tokens twice; reading only
//! the coarse one would price tiered tokens at the standard rate. So per
//! model and metric, the plain `ModelId` series and the finest tier breakdown
//! are read, and the assembler counts the breakdown plus whatever the plain
//! series has beyond it (`assemble.rs`).
//!
//! Pure; must not fetch or price.

use std::collections::BTreeMap;

use super::names::{ListedSeries, Namespace};
use crate::bedrock::{mantle_model_id, BedrockMetric};
use crate::pricing::tier::{tiered_model_id, ServiceTier};

/// The series worth reading: per (model ID, metric), the plain series and
/// those of the finest tier level present; coarser tier levels are dropped.
/// Every spelling of a metric is kept (the assembler counts one per minute).
pub fn select(series: Vec<ListedSeries>) -> Vec<ListedSeries> {
    let mut finest: BTreeMap<(&str, BedrockMetric), u8> = BTreeMap::new();
    for s in &series {
        let level = finest.entry((s.model_id.as_str(), s.metric)).or_default();
        *level = (*level).max(s.level());
    }
    let keep: Vec<bool> = series
        .iter()
        .map(|s| s.level() == 0 || Some(&s.level()) == finest.get(&(s.model_id.as_str(), s.metric)))
        .collect();
    series.into_iter().zip(keep).filter_map(|(s, k)| k.then_some(s)).collect()
}

/// The ledger's model ID for usage of `model_id` broken down by `by` (the
/// value of the series' breakdown dimension, `None` for the plain series).
///
/// AWS/Bedrock: the standard tier (`default` in the Bedrock API) keeps the
/// plain ID, any other tier is appended as `+tier`, the form AWS itself has
/// used for tiered ModelId values, so pricing treats both alike.
/// AWS/BedrockMantle: `mantle/<project>/<model>` (see `bedrock::mantle_model_id`),
/// so mantle usage never shares a ledger key with bedrock-runtime usage.
pub fn ledger_model_id(namespace: Namespace, model_id: &str, by: Option<&str>) -> String {
    let by = by.map(str::trim).filter(|t| !t.is_empty());
    match namespace {
        Namespace::Mantle => mantle_model_id(by, model_id),
        Namespace::Bedrock => match by.map(|raw| (raw, ServiceTier::parse(raw))) {
            None => model_id.to_string(),
            Some((_, Ok(tier))) => tiered_model_id(model_id, &tier),
            // Kept as published: pricing reports it as an ID it cannot read.
            Some((raw, Err(_))) => format!("{model_id}+{raw}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(metric: BedrockMetric, dims: &[(&str, &str)]) -> ListedSeries {
        let mut dimensions: Vec<(String, String)> =
            dims.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        dimensions.push(("ModelId".into(), "m".into()));
        dimensions.sort();
        ListedSeries {
            namespace: Namespace::Bedrock,
            model_id: "m".into(),
            metric,
            name: format!("{metric:?}"),
            dimensions,
        }
    }

    #[test]
    fn keeps_the_plain_series_and_the_finest_tier_level() {
        let input = BedrockMetric::InputTokenCount;
        let output = BedrockMetric::OutputTokenCount;
        let all = vec![
            s(input, &[]),
            s(input, &[("ServiceTier", "priority")]),
            s(input, &[("ServiceTier", "priority"), ("ResolvedServiceTier", "default")]),
            s(input, &[("ResolvedServiceTier", "priority")]),
            s(output, &[]),
            s(output, &[("ServiceTier", "flex")]),
        ];
        let kept = select(all.clone());
        assert_eq!(
            kept,
            vec![all[0].clone(), all[2].clone(), all[3].clone(), all[4].clone(), all[5].clone()]
        );
    }

    #[test]
    fn ledger_ids_table() {
        let mantle = [
            (None, "mantle/unknown/m"),
            (Some("proj_abc"), "mantle/proj_abc/m"),
            (Some("default"), "mantle/default/m"),
        ];
        for (project, want) in mantle {
            assert_eq!(ledger_model_id(Namespace::Mantle, "m", project), want, "{project:?}");
        }
        let cases = [
            (None, "m"),
            (Some("default"), "m"),
            (Some("Standard"), "m"),
            (Some(""), "m"),
            (Some("priority"), "m+priority"),
            (Some("Flex"), "m+flex"),
            (Some("reserved"), "m+reserved"),
        ];
        for (tier, want) in cases {
            assert_eq!(ledger_model_id(Namespace::Bedrock, "m", tier), want, "{tier:?}");
        }
    }
}
