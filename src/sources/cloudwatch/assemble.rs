//! Turning the answers of one `GetMetricData` call into minute points, so
//! that every token is counted once: one spelling of a metric per minute,
//! the tier breakdown plus what the plain series has beyond it, and values
//! that cannot be counts kept aside (quarantined) instead of priced.
//!
//! Pure: no AWS types; must not price or store.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::levels::ledger_model_id;
use super::names::{MetricNames, Namespace};
use super::plan::{Call, Series, Stat};
use crate::bedrock::BedrockMetric;
use crate::records::MetricPoint;

/// Raw answer for one query: parallel timestamps and values (all pages).
#[derive(Clone, Debug, PartialEq)]
pub struct QueryResult {
    pub timestamps: Vec<DateTime<Utc>>,
    pub values: Vec<f64>,
    /// The last page's `StatusCode` was `Complete`. Anything else
    /// (`PartialData` without a `NextToken`, `InternalError`, `Forbidden`)
    /// means minutes may be missing.
    pub complete: bool,
}

impl Default for QueryResult {
    fn default() -> Self {
        QueryResult { timestamps: Vec::new(), values: Vec::new(), complete: true }
    }
}

/// A datapoint that cannot be what its metric counts: not finite, or a
/// token sum that is negative or fractional. Never priced, never stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Quarantined {
    pub model_id: String,
    pub metric: BedrockMetric,
    pub aws_name: String,
    pub minute: DateTime<Utc>,
    pub value: f64,
}

/// A minute that two spellings of one metric both carried: `counted` was
/// kept, `ignored` dropped, so the tokens are not counted twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateSpelling {
    pub model_id: String,
    pub metric: BedrockMetric,
    pub minute: DateTime<Utc>,
    pub counted: String,
    pub ignored: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Assembled {
    pub points: Vec<MetricPoint>,
    pub quarantined: Vec<Quarantined>,
    pub duplicates: Vec<DuplicateSpelling>,
}

/// One accepted value of one series.
struct Raw<'a> {
    series: &'a Series,
    value: f64,
}

type Key = (String, BedrockMetric, DateTime<Utc>);

/// Turns the answers of one call into minute points for `region`.
#[allow(
    clippy::float_arithmetic,
    reason = "CloudWatch statistics, not money; token sums are whole below 2^53"
)]
pub fn assemble(
    region: &str,
    call: &Call,
    results: &BTreeMap<usize, QueryResult>,
    names: &MetricNames,
) -> Assembled {
    let mut out = Assembled::default();
    let mut raw: BTreeMap<Key, Vec<Raw<'_>>> = BTreeMap::new();
    for (index, result) in results {
        let Some(series) = call.series.get(*index) else { continue };
        for (t, v) in result.timestamps.iter().zip(&result.values) {
            if !plausible(series, *v) {
                out.quarantined.push(Quarantined {
                    model_id: series.listed.model_id.clone(),
                    metric: series.listed.metric,
                    aws_name: series.listed.name.clone(),
                    minute: *t,
                    value: *v,
                });
                continue;
            }
            let key = (series.listed.model_id.clone(), series.listed.metric, *t);
            raw.entry(key).or_default().push(Raw { series, value: *v });
        }
    }
    let mut points: BTreeMap<(String, BedrockMetric, DateTime<Utc>), MetricPoint> = BTreeMap::new();
    for ((model_id, metric, minute), values) in raw {
        let values = one_spelling(values, names, &model_id, metric, minute, &mut out.duplicates);
        for (ledger_id, sum, count) in split_tiers(&model_id, &values) {
            let point = points.entry((ledger_id.clone(), metric, minute)).or_insert_with(|| MetricPoint {
                region: region.to_string(),
                model_id: ledger_id,
                metric,
                minute,
                sum: 0.0,
                count: None,
            });
            // A suffixed ModelId and a tier series of the same model can
            // name the same ledger ID: distinct usage, so it adds up.
            point.sum += sum;
            if let Some(c) = count {
                point.count = Some(point.count.unwrap_or(0.0) + c);
            }
        }
    }
    out.points = points.into_values().collect();
    out
}

/// Not finite is never a count; a token sum must also be a whole, non-negative number.
fn plausible(series: &Series, v: f64) -> bool {
    if !v.is_finite() {
        return false;
    }
    let counts_tokens = series.listed.metric.token_type().is_some() && series.stat == Stat::Sum;
    !counts_tokens || (v >= 0.0 && v.fract() == 0.0)
}

/// Keeps, among series that differ only in their name (the same dimension
/// set), the values of the most preferred spelling present in this minute.
/// Series of different dimension sets are different levels, never spellings.
fn one_spelling<'a>(
    values: Vec<Raw<'a>>,
    names: &MetricNames,
    model_id: &str,
    metric: BedrockMetric,
    minute: DateTime<Utc>,
    duplicates: &mut Vec<DuplicateSpelling>,
) -> Vec<Raw<'a>> {
    let mut best: BTreeMap<&[(String, String)], &str> = BTreeMap::new();
    for r in &values {
        let name = r.series.listed.name.as_str();
        let slot = best.entry(r.series.listed.dimensions.as_slice()).or_insert(name);
        if names.rank(name) < names.rank(slot) {
            *slot = name;
        }
    }
    let mut ignored: Vec<(&str, &str)> = values
        .iter()
        .filter_map(|r| {
            let kept = best.get(r.series.listed.dimensions.as_slice()).copied()?;
            (kept != r.series.listed.name).then_some((kept, r.series.listed.name.as_str()))
        })
        .collect();
    ignored.sort_unstable();
    ignored.dedup();
    for (counted, name) in ignored {
        duplicates.push(DuplicateSpelling {
            model_id: model_id.to_string(),
            metric,
            minute,
            counted: counted.to_string(),
            ignored: name.to_string(),
        });
    }
    let keep: Vec<bool> = values
        .iter()
        .map(|r| best.get(r.series.listed.dimensions.as_slice()) == Some(&r.series.listed.name.as_str()))
        .collect();
    values.into_iter().zip(keep).filter_map(|(r, k)| k.then_some(r)).collect()
}

/// (ledger model ID, sum, sample count) per breakdown value (tier or
/// project): the breakdown series as published, and what the plain series
/// counts beyond their total under the plain ID (usage with no tier
/// breakdown is standard usage; mantle usage with no project is `unknown`).
#[allow(
    clippy::float_arithmetic,
    reason = "CloudWatch statistics, not money; token sums are whole below 2^53"
)]
fn split_tiers(model_id: &str, values: &[Raw<'_>]) -> Vec<(String, f64, Option<f64>)> {
    let mut by_id: BTreeMap<String, (f64, Option<f64>)> = BTreeMap::new();
    let (mut plain_sum, mut plain_count) = (None, None);
    let (mut tier_sum, mut tier_count) = (0.0, 0.0);
    for r in values {
        let stat = r.series.stat;
        match r.series.listed.breakdown() {
            None => match stat {
                Stat::Sum => plain_sum = Some(r.value),
                Stat::SampleCount => plain_count = Some(r.value),
            },
            Some((_, tier)) => {
                let id = ledger_model_id(r.series.listed.namespace, model_id, Some(tier));
                let entry = by_id.entry(id).or_insert((0.0, None));
                match stat {
                    Stat::Sum => {
                        entry.0 += r.value;
                        tier_sum += r.value;
                    }
                    Stat::SampleCount => {
                        entry.1 = Some(entry.1.unwrap_or(0.0) + r.value);
                        tier_count += r.value;
                    }
                }
            }
        }
    }
    let namespace = values.first().map_or(Namespace::Bedrock, |r| r.series.listed.namespace);
    let plain_id = ledger_model_id(namespace, model_id, None);
    if by_id.is_empty() {
        return plain_sum.map(|s| (plain_id, s, plain_count)).into_iter().collect();
    }
    // Whole numbers below 2^53 subtract exactly in f64.
    let extra_sum = plain_sum.map_or(0.0, |s| (s - tier_sum).max(0.0));
    let extra_count = plain_count.map(|c| (c - tier_count).max(0.0));
    if extra_sum > 0.0 || extra_count.is_some_and(|c| c > 0.0) {
        let entry = by_id.entry(plain_id).or_insert((0.0, None));
        entry.0 += extra_sum;
        if let Some(c) = extra_count {
            entry.1 = Some(entry.1.unwrap_or(0.0) + c);
        }
    }
    by_id.into_iter().map(|(id, (sum, count))| (id, sum, count)).collect()
}

#[cfg(test)]
#[path = "assemble_tests.rs"]
mod tests;
