//! What every bench binary shares: whether this run measures, its size knobs
//! from the environment, and repeated wall-clock timing. Must not print.

#![allow(dead_code)]

use std::str::FromStr;
use std::time::{Duration, Instant};

/// `cargo bench` passes `--bench`; `cargo test --all-targets` does not, and
/// then each bench runs a small smoke pass so it keeps compiling and working.
pub fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// A `BCM_BENCH_*` knob, or `default` when it is unset or not a number.
pub fn env_or<T: FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Wall time of each of `reps` runs of `f`, shortest first.
pub fn timings(reps: usize, mut f: impl FnMut()) -> Vec<Duration> {
    let mut times: Vec<Duration> = (0..reps.max(1))
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times
}

/// Claude base model IDs as Bedrock names them, in the forms CloudWatch shows.
const BASE_IDS: &[&str] = &[
    "anthropic.claude-3-haiku-20240307-v1:0",
    "anthropic.claude-3-sonnet-20240229-v1:0",
    "anthropic.claude-3-opus-20240229-v1:0",
    "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "anthropic.claude-3-5-sonnet-20241022-v2:0",
    "anthropic.claude-3-5-haiku-20241022-v1:0",
    "anthropic.claude-3-7-sonnet-20250219-v1:0",
    "anthropic.claude-sonnet-4-20250514-v1:0",
    "anthropic.claude-opus-4-20250514-v1:0",
    "anthropic.claude-opus-4-1-20250805-v1:0",
    "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "anthropic.claude-haiku-4-5-20251001-v1:0",
    "anthropic.claude-opus-4-5-20251101-v1:0",
    "anthropic.claude-opus-4-6-v1",
    "anthropic.claude-sonnet-4-6",
];

/// `n` distinct model IDs of `region`: base IDs, then `us.`, `global.` and `eu.` profiles,
/// foundation-model ARNs, and unknown models (unpriced) when more are needed.
pub fn model_ids(region: &str, n: usize) -> Vec<String> {
    let forms: [&dyn Fn(&str) -> String; 5] = [
        &|b| b.to_string(),
        &|b| format!("us.{b}"),
        &|b| format!("global.{b}"),
        &|b| format!("eu.{b}"),
        &|b| format!("arn:aws:bedrock:{region}::foundation-model/{b}"),
    ];
    let mut ids: Vec<String> = forms.iter().flat_map(|f| BASE_IDS.iter().map(|b| f(b))).collect();
    ids.truncate(n.saturating_sub(3).max(n.min(1)));
    let mut unknown = 0;
    while ids.len() < n {
        ids.push(format!("anthropic.claude-future-{unknown}-20270101-v1:0"));
        unknown += 1;
    }
    ids
}
