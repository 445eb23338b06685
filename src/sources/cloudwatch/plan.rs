//! Planning `GetMetricData` calls within the API's limits. Pure: no AWS
//! types, so the limits are unit-tested directly.
//!
//! Limits (GetMetricData): at most 500 queries per call and 100,800
//! datapoints per call. Cost is per metric requested, whatever the time
//! range, so a call covers as long a window as the datapoint limit allows.

use chrono::{DateTime, Duration, Utc};

use super::names::{ListedSeries, MetricNames};
use crate::bedrock::BedrockMetric;

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

/// One time series to fetch: an existing series with a statistic.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Series {
    pub listed: ListedSeries,
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

/// The plain `ModelId` series of every metric of every model ID under its
/// preferred name, SampleCount included for averages.
pub fn series_for(names: &MetricNames, model_ids: &[String], metrics: &[BedrockMetric]) -> Vec<Series> {
    let listed: Vec<ListedSeries> = model_ids
        .iter()
        .flat_map(|id| metrics.iter().map(move |m| ListedSeries::plain(names, id, *m)))
        .collect();
    series_of(&listed)
}

/// The series to fetch for existing series, SampleCount included for averages.
pub fn series_of(listed: &[ListedSeries]) -> Vec<Series> {
    let mut out = Vec::new();
    for l in listed {
        out.push(Series { listed: l.clone(), stat: Stat::Sum });
        if l.metric.is_average() {
            out.push(Series { listed: l.clone(), stat: Stat::SampleCount });
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
        let names = MetricNames::documented();
        let s = series_for(&names, &ids(1), &[BedrockMetric::Invocations, BedrockMetric::InvocationLatency]);
        let stats: Vec<_> = s.iter().map(|x| (x.listed.metric, x.stat)).collect();
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
        let all = series_for(&MetricNames::documented(), &ids(50), &BedrockMetric::ALL);
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
}
