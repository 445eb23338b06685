//! Every billed token the `AWS/Bedrock` namespace publishes reaches the
//! ledger exactly once, whatever name, dimension set or odd value it comes
//! with: the cache metrics under the names in AWS's metric table (and the
//! invocation-log spellings, counted once per minute), series broken down by
//! `ResolvedServiceTier`, token-like metrics the monitor does not know
//! (reported, not skipped), data later than the restatement window (counted
//! the same with or without a restart), answers with data missing (read
//! again) and values that cannot be counts (quarantined).

use std::sync::Arc;

use bedrock_cost_monitor::emulator::{Fault, FaultKind};
use bedrock_cost_monitor::ledger::Store;
use bedrock_cost_monitor::pricing::TokenType;
use bedrock_cost_monitor::sim::publish::{put, RawDatum};
use chrono::{DateTime, Duration, Utc};

use super::fixture::*;
use crate::helpers::emulator;
use crate::helpers::workload::{EAST, SONNET_US};

fn raw(name: &str, dims: &[(&str, &str)], minute: DateTime<Utc>, sum: u32) -> RawDatum {
    RawDatum {
        name: name.into(),
        dimensions: dims.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
        minute,
        sum: f64::from(sum),
        count: None,
    }
}

async fn publish(emu: &bedrock_cost_monitor::emulator::Emulator, datums: &[RawDatum]) {
    publish_in(emu, "AWS/Bedrock", datums).await;
}

async fn publish_in(emu: &bedrock_cost_monitor::emulator::Emulator, namespace: &str, datums: &[RawDatum]) {
    #[expect(clippy::disallowed_methods, reason = "publishes raw datapoints to the emulator")]
    let client = aws_sdk_cloudwatch::Client::new(&emu.sdk_config(EAST).await);
    put(&client, namespace, datums).await.expect("PutMetricData");
}

/// (model ID, token type) → (tokens, priced model) from the ledger's totals.
async fn tokens(fx: &Fixture, model_id: &str, token_type: TokenType) -> Option<(u64, Option<String>)> {
    let totals = fx.store.cost_totals().await.unwrap();
    totals
        .into_iter()
        .find(|t| t.region == EAST && t.model_id == model_id && t.token_type == token_type)
        .map(|t| (t.tokens, t.model))
}

const SONNET: (&str, &str) = ("ModelId", SONNET_US);

#[tokio::test]
async fn cache_tokens_under_awss_documented_names_are_collected_by_default() {
    let emu = emulator::exclusive().await;
    let m = now() - minutes(5);
    publish(
        &emu,
        &[raw("CacheReadInputTokens", &[SONNET], m, 500), raw("CacheWriteInputTokens", &[SONNET], m, 200)],
    )
    .await;
    let fx = fixture(&emu, 1).await;
    fx.run_ok().await;
    let model = Some("claude-sonnet-4-5".to_string());
    assert_eq!(tokens(&fx, SONNET_US, TokenType::CacheRead).await, Some((500, model.clone())));
    assert_eq!(tokens(&fx, SONNET_US, TokenType::CacheWrite5m).await, Some((200, model)));
}

#[tokio::test]
async fn a_minute_under_both_cache_spellings_counts_once() {
    let emu = emulator::exclusive().await;
    let (m1, m2) = (now() - minutes(5), now() - minutes(4));
    publish(
        &emu,
        &[
            raw("CacheReadInputTokens", &[SONNET], m1, 500),
            raw("CacheReadInputTokenCount", &[SONNET], m1, 500),
            raw("CacheReadInputTokenCount", &[SONNET], m2, 70),
        ],
    )
    .await;
    let fx = fixture(&emu, 1).await;
    let report = fx.run_ok().await;
    assert_eq!(tokens(&fx, SONNET_US, TokenType::CacheRead).await.map(|t| t.0), Some(570));
    let dup = &report.regions.iter().find(|r| r.region == EAST).unwrap().duplicate_spellings;
    assert_eq!(dup.len(), 1, "{dup:?}");
    assert_eq!((dup[0].minute, dup[0].counted.as_str()), (m1, "CacheReadInputTokens"));
}

#[tokio::test]
async fn tier_series_count_once_and_keep_their_tier() {
    let emu = emulator::exclusive().await;
    let (m1, m2) = (now() - minutes(5), now() - minutes(4));
    let tier = |t| [SONNET, ("ResolvedServiceTier", t)];
    publish(
        &emu,
        &[
            // The plain series counts every tier at m1, and more than the tiers at m2.
            raw("InputTokenCount", &[SONNET], m1, 1000),
            raw("InputTokenCount", &tier("priority"), m1, 600),
            raw("InputTokenCount", &tier("default"), m1, 400),
            raw("InputTokenCount", &[SONNET], m2, 900),
            raw("InputTokenCount", &tier("priority"), m2, 100),
        ],
    )
    .await;
    let fx = fixture(&emu, 1).await;
    fx.run_ok().await;
    let standard = tokens(&fx, SONNET_US, TokenType::Input).await;
    assert_eq!(standard, Some((400 + 800, Some("claude-sonnet-4-5".into()))));
    let priority = tokens(&fx, &format!("{SONNET_US}+priority"), TokenType::Input).await;
    assert_eq!(priority, Some((700, None)), "priority tokens counted, unpriced without a priority rate");
}

/// A ModelId with a `+tier` suffix (the form AWS has used for tiered and
/// latency-optimized usage) is counted under its own ID and, with no rate for
/// that tier in the table, unpriced: never the standard rate.
#[tokio::test]
async fn suffixed_model_ids_are_counted_and_unpriced_without_their_rate() {
    let emu = emulator::exclusive().await;
    let m = now() - minutes(5);
    let ids = [format!("{SONNET_US}+latency-optimized"), format!("{SONNET_US}+flex")];
    let datums: Vec<RawDatum> =
        ids.iter().map(|id| raw("InputTokenCount", &[("ModelId", id.as_str())], m, 250)).collect();
    publish(&emu, &datums).await;
    let fx = fixture(&emu, 1).await;
    let report = fx.run_ok().await;
    for id in &ids {
        assert_eq!(tokens(&fx, id, TokenType::Input).await, Some((250, None)), "{id}");
    }
    let east = report.regions.iter().find(|r| r.region == EAST).unwrap();
    assert_eq!(east.unpriced_model_ids, {
        let mut v = ids.to_vec();
        v.sort();
        v
    });
}

#[tokio::test]
async fn unknown_token_metrics_are_reported_not_skipped() {
    let emu = emulator::exclusive().await;
    let m = now() - minutes(5);
    publish(
        &emu,
        &[
            raw("ReasoningTokenCount", &[SONNET], m, 42),
            raw("InputTokenCount", &[SONNET], m, 10),
            raw("OutputImageCount", &[SONNET, ("ImageSize", "1024")], m, 1),
        ],
    )
    .await;
    let fx = fixture(&emu, 1).await;
    let report = fx.run_ok().await;
    let east = report.regions.iter().find(|r| r.region == EAST).unwrap();
    assert_eq!(east.unknown_metrics, vec!["ReasoningTokenCount".to_string()]);
    assert_eq!(tokens(&fx, SONNET_US, TokenType::Input).await.map(|t| t.0), Some(10));
}

/// One job runs throughout; another ledger's job is restarted in between:
/// a datapoint 30 minutes late (older than the restatement window) counts
/// in both by the first run of the next hour, and is reported as restated.
#[tokio::test]
async fn late_data_counts_the_same_with_or_without_a_restart() {
    let emu = emulator::exclusive().await;
    let on_time = now() - minutes(90);
    publish(&emu, &[raw("InputTokenCount", &[SONNET], on_time, 1000)]).await;
    let deep = |dir| fixture_in(&emu, 2, dir, 3);
    let steady = deep(Arc::new(tempfile::tempdir().unwrap())).await;
    let restarted = deep(Arc::new(tempfile::tempdir().unwrap())).await;
    steady.run_ok().await;
    restarted.run_ok().await;

    publish(&emu, &[raw("InputTokenCount", &[SONNET], now() - minutes(30), 777)]).await;
    let restarted = fixture_in(&emu, 2, restarted.dir.clone(), 3).await;
    let mut restated = Vec::new();
    for fx in [&steady, &restarted] {
        for at in [now() + minutes(30), now() + Duration::hours(1)] {
            fx.clock.set(at);
            let report = fx.run_ok().await;
            restated.push(report.regions.iter().find(|r| r.region == EAST).unwrap().restated_points);
        }
        assert_eq!(tokens(fx, SONNET_US, TokenType::Input).await.map(|t| t.0), Some(1777));
    }
    // The steady job finds it with the first run of the new hour; the
    // restarted one may read it back earlier (its first listing reads back
    // one listing interval), and either way it is restated exactly once.
    assert_eq!(restated[0..2], [0, 1], "steady job: {restated:?}");
    assert_eq!(restated[2] + restated[3], 1, "restarted job: {restated:?}");
}

/// CloudWatch marks an answer with data missing by its `StatusCode`
/// (`PartialData` without a `NextToken`): what came is kept, the watermark
/// stays before it, and the next run reads it again.
#[tokio::test]
async fn incomplete_answers_hold_the_watermark_until_read_again() {
    let emu = emulator::exclusive().await;
    let data: Vec<RawDatum> =
        (1..=30).map(|m| raw("InputTokenCount", &[SONNET], now() - minutes(m), 100)).collect();
    publish(&emu, &data).await;
    let fx = fixture(&emu, 1).await;
    emu.inject_fault(&Fault::metric_data(FaultKind::PartialData { next_token: false }).count(1))
        .await
        .unwrap();
    let report = fx.run_ok().await;
    let east = report.regions.iter().find(|r| r.region == EAST).unwrap();
    assert_eq!(east.partial_from, Some(now() - Duration::hours(1)));
    assert_eq!(fx.watermark(EAST).await, None, "the watermark must not pass missing data");
    let partial = tokens(&fx, SONNET_US, TokenType::Input).await.map_or(0, |t| t.0);
    assert!(partial < 3000, "the emulator dropped the newest half: {partial}");

    fx.clock.set(now() + minutes(1));
    let report = fx.run_ok().await;
    assert_eq!(report.regions.iter().find(|r| r.region == EAST).unwrap().partial_from, None);
    assert_eq!(tokens(&fx, SONNET_US, TokenType::Input).await.map(|t| t.0), Some(3000));
    assert_eq!(fx.watermark(EAST).await, Some(now() + minutes(1)));
}

/// Values that cannot be token counts are kept out of the ledger, reported,
/// and never stop the rest of the chunk.
#[tokio::test]
async fn implausible_values_are_quarantined_and_the_rest_kept() {
    let emu = emulator::exclusive().await;
    let mut data = Vec::new();
    for m in 1..=3 {
        data.push(raw("InputTokenCount", &[SONNET], now() - minutes(m), 100));
        data.push(raw("OutputTokenCount", &[SONNET], now() - minutes(m), 10));
    }
    publish(&emu, &data).await;
    let fx = fixture(&emu, 1).await;
    for (value, output) in [(f64::NAN, None), (-5.0, None), (2.5, None), (f64::INFINITY, None)] {
        emu.clear_faults().await.unwrap();
        let fault = Fault::metric_data(FaultKind::MetricValue(value)).metric_name("OutputTokenCount");
        emu.inject_fault(&fault.count(1)).await.unwrap();
        let report = fx.run_ok().await;
        let east = report.regions.iter().find(|r| r.region == EAST).unwrap();
        assert_eq!(east.quarantined.len(), 3, "{value}: {:?}", east.quarantined);
        assert_eq!(tokens(&fx, SONNET_US, TokenType::Input).await.map(|t| t.0), Some(300), "{value}");
        assert_eq!(tokens(&fx, SONNET_US, TokenType::Output).await.map(|t| t.0), output, "{value}");
    }
    emu.clear_faults().await.unwrap();
    fx.run_ok().await;
    assert_eq!(tokens(&fx, SONNET_US, TokenType::Output).await.map(|t| t.0), Some(30));
}

/// bedrock-mantle usage is in `AWS/BedrockMantle` only, every level emitted
/// independently ("a single inference contributes to all four levels"):
/// each token is counted once per project, what no project explains stays
/// visible as `unknown`, and it is priced at the in-region rate.
#[tokio::test]
async fn mantle_usage_counts_once_per_project() {
    let emu = emulator::exclusive().await;
    let m = now() - minutes(5);
    let model = ("Model", "anthropic.claude-opus-4-7");
    let (a, b) = (("Project", "proj_a1"), ("Project", "proj_b2"));
    let levels = [
        raw("TotalInputTokens", &[], m, 1500),
        raw("TotalInputTokens", &[a], m, 1000),
        raw("TotalInputTokens", &[b], m, 400),
        raw("TotalInputTokens", &[model], m, 1500),
        raw("InputTokens", &[a, model], m, 1000),
        raw("InputTokens", &[b, model], m, 400),
        raw("TotalOutputTokens", &[model], m, 90),
        raw("OutputTokens", &[a, model], m, 90),
        raw("Inferences", &[model], m, 3),
        raw("Inferences", &[a, model], m, 2),
        raw("Inferences", &[b, model], m, 1),
    ];
    publish_in(&emu, "AWS/BedrockMantle", &levels).await;
    let fx = fixture_mantle(&emu).await;
    fx.run_ok().await;
    let opus = Some("claude-opus-4-7".to_string());
    let id = |p: &str| format!("mantle/{p}/anthropic.claude-opus-4-7");
    assert_eq!(tokens(&fx, &id("proj_a1"), TokenType::Input).await, Some((1000, opus.clone())));
    assert_eq!(tokens(&fx, &id("proj_b2"), TokenType::Input).await, Some((400, opus.clone())));
    assert_eq!(tokens(&fx, &id("unknown"), TokenType::Input).await, Some((100, opus.clone())));
    assert_eq!(tokens(&fx, &id("proj_a1"), TokenType::Output).await, Some((90, opus)));
    let totals = fx.store.cost_totals().await.unwrap();
    let all: u64 = totals.iter().filter(|t| t.token_type == TokenType::Input).map(|t| t.tokens).sum();
    assert_eq!(all, 1500, "every input token once, none from the account or project levels twice");
    // In-region price of Opus 4.7: $5.50 per million input tokens (global $5, +10%).
    let a_input =
        totals.iter().find(|t| t.model_id == id("proj_a1") && t.token_type == TokenType::Input).unwrap();
    assert_eq!(a_input.usd, rust_decimal::Decimal::new(55, 4), "1000 × 5.50 / 10⁶");
}
