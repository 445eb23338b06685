//! The atomicity/exactness property of the contract: after any sequence of
//! random, overlapping batches (revisions, unpriced ↔ priced, both sources,
//! both regions), the store equals a reference model of "latest value per
//! key": lines, points, watermarks and write statistics, and its totals equal
//! the sum of its latest lines exactly. Generators and the reference model
//! live here; no store is opened here.

use std::collections::BTreeMap;

use bedrock_cost_monitor::bedrock::BedrockMetric;
use bedrock_cost_monitor::ledger::{MinuteBatch, Store, WriteStats};
use bedrock_cost_monitor::pricing::TokenType;
use bedrock_cost_monitor::records::{CostLine, LinePricing, MetricPoint, Source};
use chrono::{DateTime, Utc};
use proptest::prelude::*;
use proptest::sample::select;
use rust_decimal::Decimal;

use super::{all_time, t, totals_of, REGIONS, SOURCES};

const MODEL_IDS: [&str; 2] = ["us.anthropic.claude-a", "anthropic.claude-b"];
/// Minutes after 10:00 spread over three hours, so hourly rollups and the
/// partial hours at a window's edges both matter.
const MINUTES: [u32; 10] = [0, 1, 2, 3, 59, 60, 61, 119, 125, 185];
/// Windows (minutes after 10:00) whose sums are checked: inside an hour,
/// aligned on hours, a half-hour zone's day edges, empty, everything.
const WINDOWS: [(u32, u32); 7] = [(0, 3), (0, 60), (60, 180), (30, 150), (2, 186), (61, 61), (0, 240)];
const METRICS: [BedrockMetric; 3] =
    [BedrockMetric::Invocations, BedrockMetric::InputTokenCount, BedrockMetric::InvocationLatency];

fn arb_pricing() -> impl Strategy<Value = LinePricing> {
    prop_oneof![
        1 => Just(LinePricing::Unpriced { reason: "unknown model".into() }),
        3 => (select(vec!["claude-a", "claude-b"]), 0i64..10_000_000_000, 0u32..=12).prop_map(|(model, m, scale)| {
            LinePricing::Priced {
                model: model.into(),
                price_entry: format!("{model}:all:2025-01-01"),
                usd: Decimal::new(m, scale),
            }
        }),
    ]
}

fn arb_line() -> impl Strategy<Value = CostLine> {
    let types = vec![TokenType::Input, TokenType::Output, TokenType::CacheRead];
    (select(MODEL_IDS.to_vec()), select(MINUTES.to_vec()), select(types), 0u64..5_000_000, arb_pricing())
        .prop_map(|(model_id, m, token_type, tokens, pricing)| CostLine {
            region: String::new(), // the batch's region, set below
            model_id: model_id.into(),
            minute: t(m),
            token_type,
            tokens,
            pricing,
        })
}

fn arb_point() -> impl Strategy<Value = MetricPoint> {
    // Integer-valued sums and counts: their f64 totals are exact, so the
    // property can demand equality.
    (select(MODEL_IDS.to_vec()), select(METRICS.to_vec()), 0u32..4, 0u32..1_000_000, 1u32..50).prop_map(
        |(model_id, metric, m, sum, count)| MetricPoint {
            region: String::new(),
            model_id: model_id.into(),
            metric,
            minute: t(m),
            sum: f64::from(sum),
            count: metric.is_average().then_some(f64::from(count)),
        },
    )
}

pub fn arb_batch() -> impl Strategy<Value = MinuteBatch> {
    let parts = (
        select(SOURCES.to_vec()),
        select(REGIONS.to_vec()),
        prop::collection::vec(arb_point(), 0..6),
        prop::collection::vec(arb_line(), 0..8),
        prop::option::of(0u32..10),
    );
    parts.prop_map(|(source, region, mut points, mut lines, watermark)| {
        points.iter_mut().for_each(|p| p.region = region.into());
        lines.iter_mut().for_each(|l| l.region = region.into());
        MinuteBatch { source, region: region.into(), points, lines, watermark: watermark.map(t) }
    })
}

type LineKey = (DateTime<Utc>, String, String, TokenType);
type PointKey = (DateTime<Utc>, String, String, BedrockMetric, Source);

/// What a store must hold: the latest value of every key.
#[derive(Default)]
pub struct Model {
    lines: BTreeMap<LineKey, CostLine>,
    points: BTreeMap<PointKey, MetricPoint>,
    watermarks: BTreeMap<(Source, String), DateTime<Utc>>,
}

impl Model {
    /// Applies a batch and returns the statistics a store must report.
    fn apply(&mut self, b: &MinuteBatch) -> WriteStats {
        let mut stats = WriteStats::default();
        for p in &b.points {
            let key = (p.minute, p.region.clone(), p.model_id.clone(), p.metric, b.source);
            match self.points.insert(key, p.clone()) {
                None => stats.points_inserted += 1,
                Some(old) if old != *p => stats.points_revised += 1,
                Some(_) => {}
            }
        }
        for l in &b.lines {
            let key = (l.minute, l.region.clone(), l.model_id.clone(), l.token_type);
            if self.lines.insert(key, l.clone()).as_ref() != Some(l) {
                stats.lines_written += 1;
            }
        }
        if let Some(w) = b.watermark {
            let slot = self.watermarks.entry((b.source, b.region.clone())).or_insert(w);
            *slot = (*slot).max(w);
        }
        stats
    }

    /// Metric totals as integers (see `arb_point`): (region, model ID, metric) → (sum, count).
    fn metric_totals(&self) -> BTreeMap<(String, String, BedrockMetric), (u64, u64)> {
        let mut sums: BTreeMap<_, (u64, u64)> = BTreeMap::new();
        for p in self.points.values() {
            let slot = sums.entry((p.region.clone(), p.model_id.clone(), p.metric)).or_default();
            // Exact: both are integer-valued below 2^53 (see `arb_point`).
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let (sum, count) = (p.sum as u64, p.count.unwrap_or(0.0) as u64);
            *slot = (slot.0 + sum, slot.1 + count);
        }
        sums
    }
}

/// Writes the batches one by one and checks the store against the model after each.
pub async fn totals_follow_latest_lines(store: &dyn Store, batches: &[MinuteBatch]) {
    let mut model = Model::default();
    let (from, to) = all_time();
    for (i, b) in batches.iter().enumerate() {
        let want_stats = model.apply(b);
        assert_eq!(store.write(b).await.unwrap(), want_stats, "stats of batch {i}");
        let lines = store.cost_lines(from, to).await.unwrap();
        assert_eq!(lines, model.lines.values().cloned().collect::<Vec<_>>(), "lines after batch {i}");
        assert_eq!(store.cost_totals().await.unwrap(), totals_of(&lines), "cost totals after batch {i}");
        let points = store.metric_points(from, to).await.unwrap();
        assert_eq!(points, model.points.values().cloned().collect::<Vec<_>>(), "points after batch {i}");
        let metric_totals: BTreeMap<_, _> = store
            .metric_totals()
            .await
            .unwrap()
            .into_iter()
            .map(|m| ((m.region, m.model_id, m.metric), (m.sum, m.count)))
            .collect();
        #[allow(clippy::cast_precision_loss)] // exact: the sums stay far below 2^53
        let want: BTreeMap<_, _> =
            model.metric_totals().into_iter().map(|(k, (s, c))| (k, (s as f64, c as f64))).collect();
        assert_eq!(metric_totals, want, "metric totals after batch {i}");
        for (a, b) in WINDOWS {
            let inside: Vec<CostLine> =
                lines.iter().filter(|l| l.minute >= t(a) && l.minute < t(b)).cloned().collect();
            assert_eq!(
                store.cost_sums(t(a), t(b)).await.unwrap(),
                totals_of(&inside),
                "sums of [{a}, {b}) after batch {i}"
            );
        }
        for ((source, region), w) in &model.watermarks {
            assert_eq!(
                store.watermark(*source, region).await.unwrap(),
                Some(*w),
                "watermark after batch {i}"
            );
        }
    }
}
