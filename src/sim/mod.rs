//! A deterministic simulated Bedrock workload: what `demo`, the integration
//! tests and the benchmarks feed into CloudWatch. The same inputs always
//! give the same datapoints, so tests can compute the truth independently.
//!
//! Produces datums (pure) and publishes them under AWS's names
//! (`publish.rs`). Must not be used to price anything (tests price the
//! truth by hand), nor be reachable from `run`.

pub mod logs;
pub mod mantle;
pub mod publish;
pub mod trail;

use chrono::{DateTime, Duration, Timelike, Utc};

use crate::bedrock::BedrockMetric;

/// One simulated caller pattern: a model ID in a region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimSeries {
    pub region: String,
    pub model_id: String,
    /// Peak invocations per minute (the day shape scales it down at night).
    pub peak_invocations: u64,
    pub input_per_call: u64,
    pub output_per_call: u64,
    pub cache_read_per_call: u64,
    pub cache_write_per_call: u64,
    /// One minute in this many is throttled (0 = never).
    pub throttle_every: u64,
}

/// One CloudWatch datum: a metric's value for one series and minute.
#[derive(Clone, Debug, PartialEq)]
pub struct SimDatum {
    pub region: String,
    pub model_id: String,
    pub metric: BedrockMetric,
    pub minute: DateTime<Utc>,
    pub sum: f64,
    /// For averaged metrics (latency): the number of samples behind `sum`.
    pub count: Option<f64>,
}

/// The demo's workload: several Claude models and ID forms in two regions,
/// including a `us.` profile, a `global.` profile, an ARN, a latency-optimized
/// (suffixed) ID and one model the price table does not know.
pub fn demo_series() -> Vec<SimSeries> {
    let s = |region: &str, model_id: &str, peak, input, output, read, write, throttle| SimSeries {
        region: region.into(),
        model_id: model_id.into(),
        peak_invocations: peak,
        input_per_call: input,
        output_per_call: output,
        cache_read_per_call: read,
        cache_write_per_call: write,
        throttle_every: throttle,
    };
    // Few calls with large prompts (agent-style), so the CloudTrail side of
    // the demo stays within what LookupEvents reads in seconds.
    vec![
        s("us-east-1", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", 4, 24_000, 6_500, 90_000, 12_000, 17),
        s(
            "us-east-1",
            "global.anthropic.claude-opus-4-5-20251101-v1:0",
            1,
            30_000,
            9_000,
            120_000,
            12_000,
            0,
        ),
        s("us-east-1", "anthropic.claude-3-haiku-20240307-v1:0", 9, 8_000, 1_200, 0, 0, 0),
        s("us-east-1", "anthropic.claude-opus-9-20290101-v1:0", 1, 9_000, 2_700, 0, 0, 0),
        s("us-west-2", "us.anthropic.claude-haiku-4-5-20251001-v1:0", 6, 15_000, 3_000, 40_000, 5_000, 23),
        // Latency-optimized inference: AWS publishes it under a suffixed
        // ModelId, billed at its own rate, which the price table lacks.
        s(
            "us-west-2",
            "us.anthropic.claude-3-5-haiku-20241022-v1:0+latency-optimized",
            2,
            6_000,
            900,
            0,
            0,
            0,
        ),
        s(
            "us-west-2",
            "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0",
            2,
            10_000,
            2_500,
            0,
            0,
            0,
        ),
    ]
}

/// A series per model ID with varied traffic (for benchmarks): different
/// volumes and prompt sizes, every other one with prompt caching, every
/// third one sometimes throttled.
pub fn varied_series(region: &str, model_ids: Vec<String>) -> Vec<SimSeries> {
    model_ids
        .into_iter()
        .zip(0u64..)
        .map(|(model_id, i)| {
            let caching = i % 2 == 0;
            SimSeries {
                region: region.to_string(),
                model_id,
                peak_invocations: 5 + (i * 13) % 90,
                input_per_call: 500 + (i * 337) % 4_000,
                output_per_call: 100 + (i * 97) % 1_400,
                cache_read_per_call: if caching { 2_000 + (i * 1_009) % 18_000 } else { 0 },
                cache_write_per_call: if caching { 200 + (i * 211) % 2_000 } else { 0 },
                throttle_every: if i % 3 == 0 { 17 + i % 7 } else { 0 },
            }
        })
        .collect()
}

/// The same caller running `factor` times as busy (a runaway loop).
pub fn scaled(series: &SimSeries, factor: u64) -> SimSeries {
    SimSeries { peak_invocations: series.peak_invocations.saturating_mul(factor), ..series.clone() }
}

/// Invocations of a series in a minute: a day shape times a deterministic
/// jitter, and about one minute in eleven with no traffic at all (no datapoint).
pub fn invocations(series: &SimSeries, minute: DateTime<Utc>) -> u64 {
    let h = hash(&series.model_id, minute);
    if h % 11 == 0 {
        return 0;
    }
    // Busier in working hours (UTC), never below a quarter of the peak.
    let hour = u64::from(minute.hour());
    let shape = if (8..20).contains(&hour) { 4 } else { 1 };
    let jitter = 75 + h % 51; // 75..=125 %
    (series.peak_invocations * shape * jitter / 400).max(1)
}

/// Every datum of `series` for the minutes in `[start, end)`.
pub fn datums(series: &SimSeries, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<SimDatum> {
    let mut out = Vec::new();
    let mut minute = start;
    while minute < end {
        out.extend(minute_datums(series, minute));
        minute += Duration::minutes(1);
    }
    out
}

fn minute_datums(series: &SimSeries, minute: DateTime<Utc>) -> Vec<SimDatum> {
    let calls = invocations(series, minute);
    if calls == 0 {
        return Vec::new();
    }
    let d = |metric, sum: u64| SimDatum {
        region: series.region.clone(),
        model_id: series.model_id.clone(),
        metric,
        minute,
        sum: sum as f64,
        count: None,
    };
    let mut out = vec![
        d(BedrockMetric::Invocations, calls),
        d(BedrockMetric::InputTokenCount, calls * series.input_per_call),
        d(BedrockMetric::OutputTokenCount, calls * series.output_per_call),
    ];
    if series.cache_read_per_call > 0 {
        out.push(d(BedrockMetric::CacheReadInputTokens, calls * series.cache_read_per_call));
        out.push(d(BedrockMetric::CacheWriteInputTokens, calls * series.cache_write_per_call));
    }
    let h = hash(&series.model_id, minute);
    if series.throttle_every > 0 && h % series.throttle_every == 0 {
        out.push(d(BedrockMetric::InvocationThrottles, 1 + h % 3));
    }
    if h % 37 == 0 {
        out.push(d(BedrockMetric::InvocationClientErrors, 1));
    }
    let latency_ms = 400 + series.output_per_call * 2 + h % 300;
    out.push(SimDatum {
        sum: (latency_ms * calls) as f64,
        count: Some(calls as f64),
        ..d(BedrockMetric::InvocationLatency, 0)
    });
    out
}

/// FNV-1a over the model ID and the minute: stable across runs and platforms.
fn hash(model_id: &str, minute: DateTime<Utc>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in model_id.bytes().chain(minute.timestamp().to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn deterministic_with_gaps_and_throttles() {
        let start = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
        let end = start + Duration::hours(3);
        let series = &demo_series()[0];
        let a = datums(series, start, end);
        assert_eq!(a, datums(series, start, end));
        let minutes_with_traffic = a.iter().filter(|d| d.metric == BedrockMetric::Invocations).count();
        assert!(minutes_with_traffic > 120 && minutes_with_traffic < 180, "{minutes_with_traffic}");
        assert!(a.iter().any(|d| d.metric == BedrockMetric::InvocationThrottles));
        // Token sums are whole numbers: what CloudWatch reports for counts.
        assert!(a.iter().all(|d| d.sum.fract() == 0.0));
    }
}
