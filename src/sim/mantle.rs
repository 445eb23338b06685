//! Simulated bedrock-mantle traffic as AWS/BedrockMantle publishes it: per
//! minute, `Inferences`, `TotalInputTokens` and `TotalOutputTokens` at the
//! account, project and model levels, per-inference `InputTokens` and
//! `OutputTokens` (and `Inferences`) at project + model, "each level of
//! granularity emits independently, so a single inference contributes to all
//! four levels" (Bedrock user guide, bedrock-mantle metrics). Written from
//! that table, not from the daemon's vocabulary. Must not price anything.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use super::publish::RawDatum;
use super::{invocations, SimSeries};

pub const NAMESPACE: &str = "AWS/BedrockMantle";

/// One project calling one model through the mantle endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MantleSeries {
    pub region: String,
    pub project: String,
    /// As AWS/BedrockMantle names it: no geo prefix (`anthropic.claude-opus-4-7`).
    pub model: String,
    pub peak_inferences: u64,
    pub input_per_call: u64,
    pub output_per_call: u64,
}

/// The demo's mantle traffic: two projects on Opus 4.7 in one region.
pub fn demo_mantle() -> Vec<MantleSeries> {
    let s = |project: &str, peak, input, output| MantleSeries {
        region: "us-east-1".into(),
        project: project.into(),
        model: "anthropic.claude-opus-4-7".into(),
        peak_inferences: peak,
        input_per_call: input,
        output_per_call: output,
    };
    vec![s("proj_support01", 1, 4_000, 500), s("proj_search02", 1, 2_000, 300)]
}

/// Every datum of every level for the minutes in `[start, end)`, for `region`.
pub fn mantle_datums(
    series: &[MantleSeries],
    region: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<RawDatum> {
    let mut out = Vec::new();
    let mut minute = start;
    while minute < end {
        out.extend(minute_levels(series.iter().filter(|s| s.region == region), minute));
        minute += Duration::minutes(1);
    }
    out
}

/// (calls, input, output) per level key of one minute, then one datum each.
fn minute_levels<'a>(series: impl Iterator<Item = &'a MantleSeries>, minute: DateTime<Utc>) -> Vec<RawDatum> {
    type Key = Vec<(String, String)>;
    let mut totals: BTreeMap<Key, (u64, u64, u64)> = BTreeMap::new();
    let mut per_inference: BTreeMap<Key, (u64, u64, u64)> = BTreeMap::new();
    for s in series {
        let calls = invocations(&as_sim(s), minute);
        if calls == 0 {
            continue;
        }
        let usage = (calls, calls * s.input_per_call, calls * s.output_per_call);
        let project = ("Project".to_string(), s.project.clone());
        let model = ("Model".to_string(), s.model.clone());
        for key in [vec![], vec![project.clone()], vec![model.clone()]] {
            add(totals.entry(key).or_default(), usage);
        }
        add(per_inference.entry(vec![model, project]).or_default(), usage);
    }
    let mut out = Vec::new();
    let datum = |name: &str, dims: &Key, sum: u64| RawDatum {
        name: name.into(),
        dimensions: dims.clone(),
        minute,
        sum: sum as f64,
        count: None,
    };
    for (dims, (calls, input, output)) in &totals {
        out.push(datum("Inferences", dims, *calls));
        out.push(datum("TotalInputTokens", dims, *input));
        out.push(datum("TotalOutputTokens", dims, *output));
    }
    for (dims, (calls, input, output)) in &per_inference {
        out.push(datum("Inferences", dims, *calls));
        out.push(datum("InputTokens", dims, *input));
        out.push(datum("OutputTokens", dims, *output));
    }
    out
}

fn add(slot: &mut (u64, u64, u64), (calls, input, output): (u64, u64, u64)) {
    slot.0 += calls;
    slot.1 += input;
    slot.2 += output;
}

/// The same traffic shape as the runtime simulation.
fn as_sim(s: &MantleSeries) -> SimSeries {
    SimSeries {
        region: s.region.clone(),
        model_id: format!("{}/{}", s.project, s.model),
        peak_invocations: s.peak_inferences,
        input_per_call: s.input_per_call,
        output_per_call: s.output_per_call,
        cache_read_per_call: 0,
        cache_write_per_call: 0,
        throttle_every: 0,
    }
}
