//! Planning `GetMetricData` calls and assembling their answers into minute
//! points. Pure: no AWS types, so the limits are unit-tested directly.
//!
//! Limits (GetMetricData): at most 500 queries per call and 100,800
//! datapoints per call. Cost is per metric requested, whatever the time
//! range, so a call covers as long a window as the datapoint limit allows.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::bedrock::BedrockMetric;
use crate::ledger::MetricPoint;

pub const MAX_QUERIES_PER_CALL: usize = 500;
pub const MAX_DATAPOINTS_PER_CALL: usize = 100_800;
/// Longest window of one call: one day of minutes.
pub const MAX_CALL_MINUTES: i64 = 1440;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stat {
    Sum,
    SampleCount,
}

impl Stat {
    pub fn as_str(self) -> &'static str {
        match self {
            Stat::Sum => "Sum",
            Stat::SampleCount => "SampleCount",
        }
    }
}

/// One time series to fetch: a metric of a model ID with a statistic.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Series {
    pub model_id: String,
    pub metric: BedrockMetric,
    pub stat: Stat,
}

/// One `GetMetricData` call (possibly several pages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The query ID of `series[i]` is `q{i}`.
    pub series: Vec<Series>,
}

impl Call {
    pub fn query_id(i: usize) -> String {
        format!("q{i}")
    }

    pub fn index_of(query_id: &str) -> Option<usize> {
        query_id.strip_prefix('q')?.parse().ok()
    }
}

/// Every series for the model IDs: Sum for each metric, SampleCount as well for averages.
pub fn series_for(model_ids: &[String], metrics: &[BedrockMetric]) -> Vec<Series> {
    let pairs: Vec<(String, BedrockMetric)> =
        model_ids.iter().flat_map(|id| metrics.iter().map(move |m| (id.clone(), *m))).collect();
    series_of(&pairs)
}

/// The series for existing (model ID, metric) pairs, SampleCount included for averages.
pub fn series_of(pairs: &[(String, BedrockMetric)]) -> Vec<Series> {
    let mut out = Vec::new();
    for (model_id, metric) in pairs {
        out.push(Series { model_id: model_id.clone(), metric: *metric, stat: Stat::Sum });
        if metric.is_average() {
            out.push(Series { model_id: model_id.clone(), metric: *metric, stat: Stat::SampleCount });
        }
    }
    out
}

/// Splits `[start, end)` (minute-aligned) into calls within the API limits,
/// oldest first, so a caller can write and advance its watermark call by call.
pub fn plan(series: &[Series], start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<Call> {
    let mut calls = Vec::new();
    let mut chunk_start = start;
    while chunk_start < end && !series.is_empty() {
        let chunk_end = (chunk_start + Duration::minutes(MAX_CALL_MINUTES)).min(end);
        let minutes = usize::try_from((chunk_end - chunk_start).num_minutes()).unwrap_or(1).max(1);
        let per_call = (MAX_DATAPOINTS_PER_CALL / minutes).clamp(1, MAX_QUERIES_PER_CALL);
        for group in series.chunks(per_call) {
            calls.push(Call { start: chunk_start, end: chunk_end, series: group.to_vec() });
        }
        chunk_start = chunk_end;
    }
    calls
}

/// Raw answer for one query: parallel timestamps and values (all pages).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueryResult {
    pub timestamps: Vec<DateTime<Utc>>,
    pub values: Vec<f64>,
}

/// Turns the answers of one call into minute points for `region`.
/// Sum and SampleCount of the same series meet in one point.
pub fn assemble(region: &str, call: &Call, results: &BTreeMap<usize, QueryResult>) -> Vec<MetricPoint> {
    let mut points: BTreeMap<(String, BedrockMetric, DateTime<Utc>), MetricPoint> = BTreeMap::new();
    for (index, result) in results {
        let Some(series) = call.series.get(*index) else { continue };
        for (t, v) in result.timestamps.iter().zip(&result.values) {
            let key = (series.model_id.clone(), series.metric, *t);
            let point = points.entry(key).or_insert_with(|| MetricPoint {
                region: region.to_string(),
                model_id: series.model_id.clone(),
                metric: series.metric,
                minute: *t,
                sum: 0.0,
                count: None,
            });
            match series.stat {
                Stat::Sum => point.sum = *v,
                Stat::SampleCount => point.count = Some(*v),
            }
        }
    }
    points.into_values().collect()
}

/// The start of the minute containing `t`.
pub fn floor_minute(t: DateTime<Utc>) -> DateTime<Utc> {
    let secs = t.timestamp();
    let floored = secs - secs.rem_euclid(60);
    DateTime::from_timestamp(floored, 0).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, h, m, 0).unwrap()
    }

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("model-{i}")).collect()
    }

    #[test]
    fn series_include_sample_counts_for_averages() {
        let s = series_for(&ids(1), &[BedrockMetric::Invocations, BedrockMetric::InvocationLatency]);
        let stats: Vec<_> = s.iter().map(|x| (x.metric, x.stat)).collect();
        assert_eq!(
            stats,
            vec![
                (BedrockMetric::Invocations, Stat::Sum),
                (BedrockMetric::InvocationLatency, Stat::Sum),
                (BedrockMetric::InvocationLatency, Stat::SampleCount),
            ]
        );
    }

    #[test]
    fn plans_respect_both_api_limits() {
        let all = series_for(&ids(50), &BedrockMetric::ALL);
        // (window minutes, expected calls)
        let cases = [(5i64, 2usize), (20, 2), (60, 2), (1440, 10), (3 * 1440, 30)];
        for (minutes, want_calls) in cases {
            let start = t(0, 0) - Duration::minutes(minutes);
            let calls = plan(&all, start, t(0, 0));
            assert_eq!(calls.len(), want_calls, "{minutes} minutes");
            for c in &calls {
                let m = usize::try_from((c.end - c.start).num_minutes()).unwrap();
                assert!(c.series.len() <= MAX_QUERIES_PER_CALL);
                assert!(c.series.len() * m <= MAX_DATAPOINTS_PER_CALL);
            }
            // Every series is fetched for every minute exactly once.
            let covered: i64 =
                calls.iter().map(|c| (c.end - c.start).num_minutes() * c.series.len() as i64).sum();
            assert_eq!(covered, minutes * all.len() as i64);
        }
        assert!(plan(&all, t(1, 0), t(1, 0)).is_empty());
    }

    #[test]
    fn assemble_joins_sum_and_count_and_keeps_gaps() {
        let call = Call {
            start: t(10, 0),
            end: t(10, 3),
            series: series_for(&ids(1), &[BedrockMetric::InvocationLatency]),
        };
        let mut results = BTreeMap::new();
        results.insert(0, QueryResult { timestamps: vec![t(10, 0), t(10, 2)], values: vec![900.0, 300.0] });
        results.insert(1, QueryResult { timestamps: vec![t(10, 0), t(10, 2)], values: vec![3.0, 1.0] });
        let points = assemble("us-east-1", &call, &results);
        assert_eq!(points.len(), 2, "minute 10:01 had no datapoint and stays absent");
        assert_eq!((points[0].sum, points[0].count), (900.0, Some(3.0)));
        assert_eq!(points[1].minute, t(10, 2));
    }

    #[test]
    fn floor_minute_table() {
        let cases = [
            (
                Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 59).unwrap(),
                Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            ),
            (t(10, 5), t(10, 5)),
            (t(23, 59) + Duration::milliseconds(59_999), t(23, 59)),
        ];
        for (input, want) in cases {
            assert_eq!(floor_minute(input), want, "{input}");
        }
    }
}
