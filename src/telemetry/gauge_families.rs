//! The latest-minute gauges: `bedrock_invocation_latency_ms`,
//! `bedrock_time_to_first_token_ms` (averages: `Sum` ÷ `SampleCount`) and
//! `bedrock_estimated_tpm_quota_usage` (the minute's `Sum`), each from its
//! series' latest minute with data in the snapshot.
//!
//! Gauges cannot be summed like the counters, so the model IDs folded into
//! `model_id="other"` (see `model_ids`) follow their own rule, per region and
//! real `model`: latency and time to first token are the average over every
//! request of the latest minute any folded ID has, Σsum ÷ Σcount of that
//! minute's points (an average of averages would weigh a quiet ID like a busy
//! one); quota usage is not exported for `other`, because each inference
//! profile draws on its own quota and a sum over several matches no limit.
//!
//! Pure; CloudWatch statistics are `f64` measurements, not money.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use prometheus::proto::MetricFamily;

use super::families::FamilyBuilder;
use super::model_ids::OTHER;
use super::snapshot::Snapshot;
use crate::bedrock::BedrockMetric;
use crate::records::MetricPoint;

pub const LABELS: &[&str] = &["account", "region", "model_id", "model"];
pub const LATENCY: (&str, &str) = (
    "bedrock_invocation_latency_ms",
    "Average invocation latency in milliseconds over the latest minute with data.",
);
pub const TTFT: (&str, &str) = (
    "bedrock_time_to_first_token_ms",
    "Average time to first token in milliseconds over the latest minute with data.",
);
pub const QUOTA: (&str, &str) = (
    "bedrock_estimated_tpm_quota_usage",
    "Estimated tokens-per-minute quota usage in the latest minute with data (not for model_id=\"other\").",
);

/// One gauge series: (region, model_id label, model, metric).
type Series<'a> = (&'a str, &'a str, &'a str, BedrockMetric);

pub fn render(snapshot: &Snapshot) -> Vec<MetricFamily> {
    let primary = &snapshot.primary_account;
    let mut latency = FamilyBuilder::gauge(LATENCY.0, LATENCY.1).by_account(primary);
    let mut ttft = FamilyBuilder::gauge(TTFT.0, TTFT.1).by_account(primary);
    let mut quota = FamilyBuilder::gauge(QUOTA.0, QUOTA.1).by_account(primary);
    for ((region, model_id, model, metric), points) in latest_minutes(snapshot) {
        let family = match metric {
            BedrockMetric::InvocationLatency => &mut latency,
            BedrockMetric::TimeToFirstToken => &mut ttft,
            BedrockMetric::EstimatedTpmQuotaUsage if model_id != OTHER => &mut quota,
            _ => continue,
        };
        let value = match metric {
            BedrockMetric::EstimatedTpmQuotaUsage => points.first().map(|p| p.sum),
            _ => average(&points),
        };
        if let Some(value) = value {
            family.sample(&[("region", region), ("model_id", model_id), ("model", model)], value);
        }
    }
    vec![latency.build(), ttft.build(), quota.build()]
}

/// What the gauges need of the recent points: per (region, model ID) and
/// gauge metric, the points of its latest minute. The snapshot keeps only
/// these: it lives between refreshes, and the window it is read from holds
/// every metric's points of the last half hour (about 30 times as many: at
/// 50 model IDs in 5 regions, several MiB for three gauges).
pub fn gauge_points(points: Vec<MetricPoint>) -> Vec<MetricPoint> {
    let is_gauge = |m: BedrockMetric| {
        matches!(
            m,
            BedrockMetric::InvocationLatency
                | BedrockMetric::TimeToFirstToken
                | BedrockMetric::EstimatedTpmQuotaUsage
        )
    };
    let mut latest: BTreeMap<(&str, &str, BedrockMetric), DateTime<Utc>> = BTreeMap::new();
    for p in points.iter().filter(|p| is_gauge(p.metric)) {
        let slot = latest.entry((p.region.as_str(), p.model_id.as_str(), p.metric)).or_insert(p.minute);
        *slot = (*slot).max(p.minute);
    }
    let keep: Vec<bool> = points
        .iter()
        .map(|p| {
            is_gauge(p.metric)
                && latest.get(&(p.region.as_str(), p.model_id.as_str(), p.metric)) == Some(&p.minute)
        })
        .collect();
    points.into_iter().zip(keep).filter_map(|(p, k)| k.then_some(p)).collect()
}

/// Per gauge series, the points of its latest minute: one for a kept model
/// ID, one per folded ID that has that minute for `other`.
fn latest_minutes(snapshot: &Snapshot) -> BTreeMap<Series<'_>, Vec<&MetricPoint>> {
    let mut out: BTreeMap<Series<'_>, (DateTime<Utc>, Vec<&MetricPoint>)> = BTreeMap::new();
    for p in &snapshot.latest_points {
        let key = (
            p.region.as_str(),
            snapshot.model_id_label(&p.model_id),
            snapshot.model_label(&p.model_id),
            p.metric,
        );
        let slot = out.entry(key).or_insert((p.minute, Vec::new()));
        if p.minute > slot.0 {
            *slot = (p.minute, Vec::new());
        }
        if p.minute == slot.0 {
            slot.1.push(p);
        }
    }
    out.into_iter().map(|(key, (_, points))| (key, points)).collect()
}

/// Σsum ÷ Σcount over the points that have samples; none: no average.
#[allow(clippy::float_arithmetic, reason = "CloudWatch statistics, not money")]
fn average(points: &[&MetricPoint]) -> Option<f64> {
    let with_samples = points.iter().filter_map(|p| p.count.filter(|c| *c > 0.0).map(|c| (p.sum, c)));
    let (sum, count) = with_samples.fold((0.0, 0.0), |(s, n), (ps, pc)| (s + ps, n + pc));
    (count > 0.0).then(|| sum / count)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn point(id: &str, metric: BedrockMetric, minute: u32, sum: f64, count: Option<f64>) -> MetricPoint {
        let minute = Utc.with_ymd_and_hms(2026, 3, 1, 10, minute, 0).unwrap();
        MetricPoint { region: "us-east-1".into(), model_id: id.into(), metric, minute, sum, count }
    }

    #[test]
    fn other_averages_every_request_of_the_latest_minute_and_has_no_quota_gauge() {
        use BedrockMetric::{
            EstimatedTpmQuotaUsage as Quota, InvocationLatency as Latency, TimeToFirstToken as Ttft,
        };
        let snapshot = Snapshot {
            latest_points: vec![
                point("kept", Latency, 5, 900.0, Some(3.0)),
                point("kept", Quota, 5, 1000.0, None),
                // Folded: the latest minute is 5; b's minute 4 is not that minute.
                point("a", Latency, 5, 1000.0, Some(4.0)),
                point("c", Latency, 5, 600.0, Some(1.0)),
                point("d", Latency, 5, 7.0, None),
                point("b", Latency, 4, 50_000.0, Some(1.0)),
                point("a", Quota, 5, 2000.0, None),
                point("c", Quota, 5, 3000.0, None),
                // No sample counts in the latest minute: no average.
                point("a", Ttft, 5, 10.0, None),
                point("c", Ttft, 3, 10.0, Some(1.0)),
            ],
            model_ids_kept: ["kept".to_string()].into(),
            ..Snapshot::default()
        };
        let s = "model=\"unpriced\"";
        let lines = crate::telemetry::families::sample_lines(render(&snapshot));
        // The snapshot's reduced points render the same gauges.
        let reduced =
            Snapshot { latest_points: gauge_points(snapshot.latest_points.clone()), ..snapshot.clone() };
        assert_eq!(crate::telemetry::families::sample_lines(render(&reduced)), lines);
        assert_eq!(
            lines,
            [
                format!("bedrock_invocation_latency_ms{{{s},model_id=\"kept\",region=\"us-east-1\"}} 300"),
                // (1000 + 600) / (4 + 1), not the mean of 250 and 600.
                format!("bedrock_invocation_latency_ms{{{s},model_id=\"other\",region=\"us-east-1\"}} 320"),
                format!(
                    "bedrock_estimated_tpm_quota_usage{{{s},model_id=\"kept\",region=\"us-east-1\"}} 1000"
                ),
            ]
        );
    }

    #[test]
    fn gauge_points_keep_each_series_latest_minute_of_gauge_metrics_only() {
        use BedrockMetric::{
            InputTokenCount as Input, InvocationLatency as Latency, TimeToFirstToken as Ttft,
        };
        let points = vec![
            point("a", Latency, 3, 1.0, Some(1.0)),
            point("a", Latency, 5, 2.0, Some(1.0)),
            point("a", Input, 5, 100.0, None),
            point("b", Latency, 4, 3.0, Some(1.0)),
            point("b", Ttft, 2, 4.0, Some(1.0)),
        ];
        let kept: Vec<(String, BedrockMetric, u32)> = gauge_points(points)
            .into_iter()
            .map(|p| (p.model_id, p.metric, chrono::Timelike::minute(&p.minute)))
            .collect();
        assert_eq!(kept, [("a".into(), Latency, 5), ("b".into(), Latency, 4), ("b".into(), Ttft, 2)]);
    }
}
