use super::*;
use crate::sources::cloudwatch::names::{ListedSeries, Namespace};
use chrono::TimeZone;

fn t(m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 10, m, 0).unwrap()
}

fn series(name: &str, metric: BedrockMetric, stat: Stat, dims: &[(&str, &str)]) -> Series {
    let mut dimensions: Vec<(String, String)> =
        dims.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    dimensions.push(("ModelId".into(), "m".into()));
    dimensions.sort();
    Series {
        listed: ListedSeries {
            namespace: Namespace::Bedrock,
            model_id: "m".into(),
            metric,
            name: name.into(),
            dimensions,
        },
        stat,
    }
}

fn answer(points: &[(u32, f64)]) -> QueryResult {
    QueryResult {
        timestamps: points.iter().map(|(m, _)| t(*m)).collect(),
        values: points.iter().map(|(_, v)| *v).collect(),
        complete: true,
    }
}

fn run(series: Vec<Series>, answers: Vec<QueryResult>) -> Assembled {
    let call = Call { start: t(0), end: t(5), series };
    let results = answers.into_iter().enumerate().collect();
    assemble("us-east-1", &call, &results, &MetricNames::documented())
}

fn sums(a: &Assembled) -> Vec<(String, u32, f64, Option<f64>)> {
    a.points.iter().map(|p| (p.model_id.clone(), p.minute.minute(), p.sum, p.count)).collect()
}

use chrono::Timelike;

#[test]
fn sum_and_count_meet_and_gaps_stay_absent() {
    let latency = BedrockMetric::InvocationLatency;
    let a = run(
        vec![
            series("InvocationLatency", latency, Stat::Sum, &[]),
            series("InvocationLatency", latency, Stat::SampleCount, &[]),
        ],
        vec![answer(&[(0, 900.0), (2, 300.0)]), answer(&[(0, 3.0), (2, 1.0)])],
    );
    assert_eq!(sums(&a), vec![("m".into(), 0, 900.0, Some(3.0)), ("m".into(), 2, 300.0, Some(1.0))]);
}

#[test]
fn one_spelling_per_minute_the_documented_one_first() {
    let read = BedrockMetric::CacheReadInputTokens;
    let a = run(
        vec![
            series("CacheReadInputTokenCount", read, Stat::Sum, &[]),
            series("CacheReadInputTokens", read, Stat::Sum, &[]),
        ],
        vec![answer(&[(0, 500.0), (1, 70.0)]), answer(&[(0, 500.0), (2, 80.0)])],
    );
    // Minute 0 carried by both names: counted once, from the documented name.
    assert_eq!(
        sums(&a),
        vec![("m".into(), 0, 500.0, None), ("m".into(), 1, 70.0, None), ("m".into(), 2, 80.0, None)]
    );
    assert_eq!(a.duplicates.len(), 1);
    assert_eq!(a.duplicates[0].counted, "CacheReadInputTokens");
    assert_eq!(a.duplicates[0].ignored, "CacheReadInputTokenCount");
}

#[test]
fn tiers_are_counted_once_with_the_untiered_rest_as_standard() {
    let input = BedrockMetric::InputTokenCount;
    let tier = |v| series("InputTokenCount", input, Stat::Sum, &[("ResolvedServiceTier", v)]);
    // (plain, priority, default, flex) per minute; the plain series counts all tiers at minute 0,
    // more than the tiers at minute 1, and is absent at minute 2.
    let a = run(
        vec![
            series("InputTokenCount", input, Stat::Sum, &[]),
            tier("priority"),
            tier("default"),
            tier("flex"),
        ],
        vec![
            answer(&[(0, 1000.0), (1, 900.0)]),
            answer(&[(0, 600.0), (1, 100.0), (2, 50.0)]),
            answer(&[(0, 400.0), (2, 10.0)]),
            answer(&[(3, 7.0)]),
        ],
    );
    assert_eq!(
        sums(&a),
        vec![
            ("m".into(), 0, 400.0, None),
            ("m".into(), 1, 800.0, None),
            ("m".into(), 2, 10.0, None),
            ("m+flex".into(), 3, 7.0, None),
            ("m+priority".into(), 0, 600.0, None),
            ("m+priority".into(), 1, 100.0, None),
            ("m+priority".into(), 2, 50.0, None),
        ]
    );
    let total: f64 = a.points.iter().map(|p| p.sum).sum();
    assert_eq!(total, 1000.0 + 900.0 + 60.0 + 7.0, "every token once: the larger of plain and tiers");
}

#[test]
fn implausible_values_are_quarantined_and_the_rest_kept() {
    let output = BedrockMetric::OutputTokenCount;
    let latency = BedrockMetric::InvocationLatency;
    let a = run(
        vec![
            series("OutputTokenCount", output, Stat::Sum, &[]),
            series("InvocationLatency", latency, Stat::Sum, &[]),
        ],
        vec![
            answer(&[(0, f64::NAN), (1, -5.0), (2, 1.5), (3, f64::INFINITY), (4, 42.0)]),
            answer(&[(0, 12.5), (1, f64::NEG_INFINITY)]),
        ],
    );
    // Output tokens at minute 4, then latency at minute 0 (points sort by metric, then minute).
    assert_eq!(sums(&a), vec![("m".into(), 4, 42.0, None), ("m".into(), 0, 12.5, None)]);
    let minutes: Vec<u32> = a.quarantined.iter().map(|q| q.minute.minute()).collect();
    assert_eq!(minutes, vec![0, 1, 2, 3, 1]);
}

#[test]
fn mantle_projects_count_once_with_the_rest_unknown() {
    let mantle = |name: &str, project: Option<&str>| {
        let mut dimensions = vec![("Model".to_string(), "m".to_string())];
        dimensions.extend(project.map(|p| ("Project".to_string(), p.to_string())));
        dimensions.sort();
        let listed = ListedSeries {
            namespace: Namespace::Mantle,
            model_id: "m".into(),
            metric: BedrockMetric::InputTokenCount,
            name: name.into(),
            dimensions,
        };
        Series { listed, stat: Stat::Sum }
    };
    let call = Call {
        start: t(0),
        end: t(5),
        series: vec![
            mantle("TotalInputTokens", None),
            mantle("InputTokens", Some("proj_a")),
            mantle("InputTokens", Some("proj_b")),
        ],
    };
    let answers =
        vec![answer(&[(0, 1000.0), (1, 50.0)]), answer(&[(0, 600.0)]), answer(&[(0, 300.0), (1, 50.0)])];
    let results = answers.into_iter().enumerate().collect();
    let a = assemble("us-east-1", &call, &results, &MetricNames::mantle());
    assert!(a.duplicates.is_empty(), "different levels are not spellings: {:?}", a.duplicates);
    assert_eq!(
        sums(&a),
        vec![
            ("mantle/proj_a/m".into(), 0, 600.0, None),
            ("mantle/proj_b/m".into(), 0, 300.0, None),
            ("mantle/proj_b/m".into(), 1, 50.0, None),
            ("mantle/unknown/m".into(), 0, 100.0, None),
        ]
    );
}
