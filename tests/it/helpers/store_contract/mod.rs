//! The ledger `Store` contract: behaviour every implementation (SQLite and
//! DynamoDB) must have, written against `&dyn Store` so that `store::sqlite`
//! and `store::dynamodb_contract` run the same functions on their store.
//!
//! Each function expects an empty store and panics on a violation. It owns
//! no store: opening and cleaning up is the caller's job. Must not use
//! anything but the `Store` trait (no backend-specific peeking).

use std::collections::BTreeMap;
use std::future::Future;
use std::str::FromStr;

use bedrock_cost_monitor::bedrock::BedrockMetric;
use bedrock_cost_monitor::ledger::{MinuteBatch, Store, WriteStats};
use bedrock_cost_monitor::pricing::TokenType;
use bedrock_cost_monitor::records::{CostLine, CostTotal, LinePricing, MetricPoint, MetricTotal, Source};
use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;

pub mod calls;
pub mod coord;
pub mod property;
pub mod reprice;
pub mod requests;
#[cfg(feature = "demo")]
pub mod shard_fence;
pub mod shards;

pub const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
pub const SOURCES: [Source; 2] = [Source::CloudWatch, Source::CloudTrail];

/// 2026-03-01 10:`m` UTC.
pub fn t(m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap() + Duration::minutes(i64::from(m))
}

pub fn usd(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

pub fn priced(region: &str, model_id: &str, m: u32, tt: TokenType, tokens: u64, cost: &str) -> CostLine {
    let model = format!("model-of-{model_id}");
    let pricing =
        LinePricing::Priced { price_entry: format!("{model}:all:2025-01-01"), model, usd: usd(cost) };
    CostLine {
        region: region.into(),
        model_id: model_id.into(),
        minute: t(m),
        token_type: tt,
        tokens,
        pricing,
    }
}

pub fn unpriced(region: &str, model_id: &str, m: u32, tt: TokenType, tokens: u64) -> CostLine {
    let pricing = LinePricing::Unpriced { reason: format!("no catalog pattern matches `{model_id}`") };
    CostLine {
        region: region.into(),
        model_id: model_id.into(),
        minute: t(m),
        token_type: tt,
        tokens,
        pricing,
    }
}

pub fn point(region: &str, model_id: &str, metric: BedrockMetric, m: u32, sum: f64) -> MetricPoint {
    let count = metric.is_average().then_some(4.0);
    MetricPoint { region: region.into(), model_id: model_id.into(), metric, minute: t(m), sum, count }
}

pub fn batch(source: Source, region: &str, points: Vec<MetricPoint>, lines: Vec<CostLine>) -> MinuteBatch {
    MinuteBatch { source, region: region.into(), points, lines, watermark: None }
}

pub fn until(mut b: MinuteBatch, m: u32) -> MinuteBatch {
    b.watermark = Some(t(m));
    b
}

/// A window wider than any test data.
pub fn all_time() -> (DateTime<Utc>, DateTime<Utc>) {
    (Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap(), Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap())
}

/// Everything a store shows through the trait.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub cost_totals: Vec<CostTotal>,
    pub metric_totals: Vec<MetricTotal>,
    pub lines: Vec<CostLine>,
    pub points: Vec<MetricPoint>,
    pub watermarks: Vec<Option<DateTime<Utc>>>,
}

pub async fn snapshot(store: &dyn Store) -> Snapshot {
    let (from, to) = all_time();
    let mut watermarks = Vec::new();
    for source in SOURCES {
        for region in REGIONS {
            watermarks.push(store.watermark(source, region).await.unwrap());
        }
    }
    Snapshot {
        cost_totals: store.cost_totals().await.unwrap(),
        metric_totals: store.metric_totals().await.unwrap(),
        lines: store.cost_lines(from, to).await.unwrap(),
        points: store.metric_points(from, to).await.unwrap(),
        watermarks,
    }
}

/// Cost totals recomputed from lines, exactly, in the store's order.
pub fn totals_of(lines: &[CostLine]) -> Vec<CostTotal> {
    type Series = (String, String, Option<String>, TokenType);
    let mut sums: BTreeMap<Series, (u64, Decimal)> = BTreeMap::new();
    for l in lines {
        let (model, cost) = match &l.pricing {
            LinePricing::Priced { model, usd, .. } => (Some(model.clone()), *usd),
            LinePricing::Unpriced { .. } => (None, Decimal::ZERO),
        };
        let slot = sums.entry((l.region.clone(), l.model_id.clone(), model, l.token_type)).or_default();
        *slot = (slot.0 + l.tokens, slot.1 + cost);
    }
    sums.into_iter()
        .map(|((region, model_id, model, token_type), (tokens, usd))| CostTotal {
            region,
            model_id,
            model,
            token_type,
            tokens,
            usd,
        })
        .collect()
}

/// The store's totals equal the sum of its latest lines, exactly.
pub async fn assert_totals_match_lines(store: &dyn Store) {
    let (from, to) = all_time();
    let lines = store.cost_lines(from, to).await.unwrap();
    assert_eq!(store.cost_totals().await.unwrap(), totals_of(&lines));
    assert_region_lines_are_the_regions_share(store, &lines).await;
}

/// Each region key's lines, read alone, are exactly its share of every
/// region's, in the same order; a key with no lines has none.
async fn assert_region_lines_are_the_regions_share(store: &dyn Store, lines: &[CostLine]) {
    let (from, to) = all_time();
    let regions: std::collections::BTreeSet<&str> = lines.iter().map(|l| l.region.as_str()).collect();
    for region in regions {
        let share: Vec<CostLine> = lines.iter().filter(|l| l.region == region).cloned().collect();
        assert_eq!(store.region_cost_lines(region, from, to).await.unwrap(), share, "{region}");
    }
    assert_eq!(store.region_cost_lines("210987654321/us-east-1", from, to).await.unwrap(), vec![]);
}

pub async fn rewrite_is_idempotent(store: &dyn Store) {
    let b = until(
        batch(
            Source::CloudWatch,
            "us-east-1",
            vec![
                point("us-east-1", "a", BedrockMetric::Invocations, 0, 3.0),
                point("us-east-1", "a", BedrockMetric::InvocationLatency, 0, 1234.5),
            ],
            vec![
                priced("us-east-1", "a", 0, TokenType::Input, 1000, "0.003"),
                priced("us-east-1", "a", 0, TokenType::Output, 200, "0.0030"),
                unpriced("us-east-1", "x", 0, TokenType::Input, 7),
            ],
        ),
        1,
    );
    let first = store.write(&b).await.unwrap();
    assert_eq!(first, WriteStats { points_inserted: 2, points_revised: 0, lines_written: 3 });
    let before = snapshot(store).await;
    assert_eq!(store.write(&b).await.unwrap(), WriteStats::default(), "a re-write changes nothing");
    assert_eq!(snapshot(store).await, before);
    assert_eq!(before.cost_totals.iter().map(|c| c.usd).sum::<Decimal>(), usd("0.006"));
    assert_totals_match_lines(store).await;
}

pub async fn late_revision_replaces(store: &dyn Store) {
    let early = batch(
        Source::CloudWatch,
        "us-east-1",
        vec![point("us-east-1", "a", BedrockMetric::Invocations, 0, 3.0)],
        vec![priced("us-east-1", "a", 0, TokenType::Input, 100, "0.0003")],
    );
    store.write(&early).await.unwrap();
    let late = batch(
        Source::CloudWatch,
        "us-east-1",
        vec![point("us-east-1", "a", BedrockMetric::Invocations, 0, 5.0)],
        vec![priced("us-east-1", "a", 0, TokenType::Input, 150, "0.00045")],
    );
    let stats = store.write(&late).await.unwrap();
    assert_eq!(stats, WriteStats { points_inserted: 0, points_revised: 1, lines_written: 1 });
    let s = snapshot(store).await;
    assert_eq!(s.lines, late.lines, "the revision replaced the line");
    assert_eq!(s.points, late.points);
    assert_eq!(
        (s.cost_totals.len(), s.cost_totals[0].tokens, s.cost_totals[0].usd),
        (1, 150, usd("0.00045"))
    );
    assert_eq!((s.metric_totals[0].sum, s.metric_totals[0].count), (5.0, 0.0));
    assert_totals_match_lines(store).await;
}

pub async fn watermark_is_monotonic(store: &dyn Store) {
    let wm = || store.watermark(Source::CloudWatch, "us-east-1");
    assert_eq!(wm().await.unwrap(), None);
    let plain = batch(Source::CloudWatch, "us-east-1", vec![], vec![]);
    for (m, want) in [(5, 5), (3, 5), (5, 5), (7, 7)] {
        store.write(&until(plain.clone(), m)).await.unwrap();
        assert_eq!(wm().await.unwrap(), Some(t(want)), "after writing {m}");
    }
    store.write(&plain).await.unwrap();
    assert_eq!(wm().await.unwrap(), Some(t(7)), "None leaves the watermark");
    let precise = t(8) + Duration::milliseconds(250);
    store.write(&MinuteBatch { watermark: Some(precise), ..plain }).await.unwrap();
    assert_eq!(wm().await.unwrap(), Some(precise), "an instant, not only a minute");
}

pub async fn regions_and_sources_are_independent(store: &dyn Store) {
    let inv = BedrockMetric::Invocations;
    let writes = [
        until(
            batch(
                Source::CloudWatch,
                "us-east-1",
                vec![point("us-east-1", "a", inv, 0, 2.0)],
                vec![priced("us-east-1", "a", 0, TokenType::Input, 10, "1")],
            ),
            5,
        ),
        until(
            batch(
                Source::CloudTrail,
                "us-east-1",
                vec![point("us-east-1", "a", inv, 0, 3.0)],
                vec![priced("us-east-1", "b", 0, TokenType::Input, 20, "2")],
            ),
            2,
        ),
        until(
            batch(
                Source::CloudWatch,
                "eu-west-1",
                vec![],
                vec![priced("eu-west-1", "a", 0, TokenType::Input, 40, "4")],
            ),
            9,
        ),
    ];
    for w in &writes {
        store.write(w).await.unwrap();
    }
    store.write(&until(batch(Source::CloudWatch, "us-east-1", vec![], vec![]), 1)).await.unwrap();
    let s = snapshot(store).await;
    // Order of `snapshot`: (cw, us-east-1), (cw, eu-west-1), (ct, us-east-1), (ct, eu-west-1).
    assert_eq!(s.watermarks, vec![Some(t(5)), Some(t(9)), Some(t(2)), None]);
    let per_region: Vec<_> =
        s.cost_totals.iter().map(|c| (c.region.as_str(), c.model_id.as_str(), c.usd)).collect();
    assert_eq!(
        per_region,
        vec![("eu-west-1", "a", usd("4")), ("us-east-1", "a", usd("1")), ("us-east-1", "b", usd("2"))]
    );
    // Points are keyed by source too: the same minute from both sources is two points.
    assert_eq!(s.points.len(), 2);
    assert_eq!(s.metric_totals.iter().map(|m| m.sum).collect::<Vec<_>>(), vec![5.0]);
    assert_totals_match_lines(store).await;
}

pub async fn unpriced_is_kept_with_its_model_id(store: &dyn Store) {
    let r = "us-east-1";
    let old = unpriced(r, "anthropic.claude-new", 0, TokenType::Input, 40);
    let new = priced(r, "anthropic.claude-new", 1, TokenType::Input, 60, "0.00018");
    store.write(&batch(Source::CloudWatch, r, vec![], vec![old.clone(), new.clone()])).await.unwrap();
    let totals = store.cost_totals().await.unwrap();
    let series: Vec<_> =
        totals.iter().map(|c| (c.model_id.as_str(), c.model.as_deref(), c.tokens, c.usd)).collect();
    assert_eq!(
        series,
        vec![
            ("anthropic.claude-new", None, 40, Decimal::ZERO),
            ("anthropic.claude-new", Some("model-of-anthropic.claude-new"), 60, usd("0.00018")),
        ],
        "unpriced and priced tokens of one model ID are separate series"
    );
    let (from, to) = all_time();
    assert_eq!(store.cost_lines(from, to).await.unwrap(), vec![old, new]);
    // Re-priced later (the table learned the model): the unpriced series empties.
    let repriced = priced(r, "anthropic.claude-new", 0, TokenType::Input, 40, "0.00012");
    store.write(&batch(Source::CloudWatch, r, vec![], vec![repriced])).await.unwrap();
    let totals = store.cost_totals().await.unwrap();
    assert_eq!(
        totals.iter().map(|c| (c.model.is_some(), c.tokens, c.usd)).collect::<Vec<_>>(),
        vec![(true, 100, usd("0.0003"))]
    );
    assert_totals_match_lines(store).await;
}

pub async fn ranges_are_half_open_and_ordered(store: &dyn Store) {
    use TokenType::{CacheRead, Input, Output};
    let lines = vec![
        priced("us-east-1", "b", 1, Output, 1, "1"),
        priced("eu-west-1", "b", 1, Input, 2, "1"),
        priced("us-east-1", "a", 1, CacheRead, 3, "1"),
        priced("us-east-1", "a", 1, Input, 4, "1"),
        priced("us-east-1", "a", 2, Input, 5, "1"),
        priced("us-east-1", "a", 0, Input, 6, "1"),
    ];
    let points = vec![
        point("us-east-1", "a", BedrockMetric::OutputTokenCount, 1, 1.0),
        point("us-east-1", "a", BedrockMetric::Invocations, 1, 1.0),
        point("us-east-1", "a", BedrockMetric::Invocations, 2, 1.0),
    ];
    store.write(&batch(Source::CloudWatch, "us-east-1", points, lines)).await.unwrap();
    let tokens = |ls: Vec<CostLine>| ls.into_iter().map(|l| l.tokens).collect::<Vec<_>>();
    // minute 1 in (minute, region, model ID, token type) order; token types in enum order.
    assert_eq!(tokens(store.cost_lines(t(1), t(2)).await.unwrap()), vec![2, 4, 3, 1]);
    let half = Duration::seconds(30);
    assert_eq!(tokens(store.cost_lines(t(0) + half, t(2)).await.unwrap()), vec![2, 4, 3, 1]);
    assert_eq!(tokens(store.cost_lines(t(1), t(2) + half).await.unwrap()), vec![2, 4, 3, 1, 5]);
    assert_eq!(tokens(store.cost_lines(t(0), t(3)).await.unwrap()), vec![6, 2, 4, 3, 1, 5]);
    assert!(store.cost_lines(t(2), t(2)).await.unwrap().is_empty());
    let metrics = store.metric_points(t(1), t(2)).await.unwrap();
    let metrics: Vec<_> = metrics.iter().map(|p| (p.minute, p.metric)).collect();
    assert_eq!(metrics, vec![(t(1), BedrockMetric::Invocations), (t(1), BedrockMetric::OutputTokenCount)]);
}

/// A batch refused midway leaves nothing behind. The refusal is a line whose
/// minute is not the start of a minute, which the trait rules out for every store.
pub async fn failed_batch_writes_nothing(store: &dyn Store) {
    let good = until(
        batch(
            Source::CloudWatch,
            "us-east-1",
            vec![point("us-east-1", "a", BedrockMetric::Invocations, 0, 1.0)],
            vec![priced("us-east-1", "a", 0, TokenType::Input, 10, "0.1")],
        ),
        1,
    );
    store.write(&good).await.unwrap();
    let before = snapshot(store).await;
    let mut bad = until(
        batch(
            Source::CloudWatch,
            "us-east-1",
            vec![point("us-east-1", "a", BedrockMetric::Invocations, 0, 9.0)],
            vec![
                priced("us-east-1", "a", 0, TokenType::Input, 99, "9.9"),
                priced("us-east-1", "a", 1, TokenType::Input, 10, "0.1"),
            ],
        ),
        5,
    );
    let mut torn = priced("us-east-1", "a", 2, TokenType::Input, 10, "0.1");
    torn.minute += Duration::seconds(30);
    bad.lines.push(torn);
    assert!(store.write(&bad).await.is_err());
    assert_eq!(snapshot(store).await, before, "nothing of the refused batch is visible");
}

/// Data and watermarks survive closing and reopening. `open` returns a store
/// over the same underlying data each time it is called.
pub async fn persists_across_reopen<F, Fut>(open: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Box<dyn Store>>,
{
    let store = open().await;
    let b = until(
        batch(
            Source::CloudTrail,
            "eu-west-1",
            vec![point("eu-west-1", "a", BedrockMetric::TimeToFirstToken, 3, 812.25)],
            vec![
                priced("eu-west-1", "a", 3, TokenType::CacheWrite1h, 5000, "0.0375"),
                unpriced("eu-west-1", "z", 3, TokenType::Output, 9),
            ],
        ),
        4,
    );
    store.write(&b).await.unwrap();
    let before = snapshot(store.as_ref()).await;
    drop(store);
    let reopened = open().await;
    assert_eq!(snapshot(reopened.as_ref()).await, before);
    assert_eq!(reopened.write(&b).await.unwrap(), WriteStats::default(), "still idempotent after reopening");
}
