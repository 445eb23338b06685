//! The CloudWatch collection path end to end against the local emulator: a
//! seeded workload is published with PutMetricData, `CloudWatchJob::run_once`
//! (real SDK, real adapter, SQLite ledger) is driven by a `ManualClock`, and
//! the ledger and `/metrics` are compared with a truth computed in the test
//! from the published datums and hand-written rates (never the pricing code).
//!
//! Proves: exact totals per (region, model ID, token type) for every ID form
//! and an unknown model (tokens, never $0); late datapoints overwrite their
//! minute instead of adding to it; minutes without a datapoint have no rows;
//! first-start backfill and catch-up after downtime stop at the last complete
//! minute; a failing region fails alone, keeps its watermark and recovers
//! exactly on the next run; regions are independent; a model ID first listed
//! by a run that fails, or by a restarted job, still gets the minutes that
//! passed the watermark before it was listed.
//!
//! Needs `tests/emulator/setup.sh` to have been run once.

mod coverage;
mod fixture;

use fixture::*;

use std::collections::{BTreeMap, BTreeSet};

use bedrock_cost_monitor::bedrock::BedrockMetric;
use bedrock_cost_monitor::collector::CollectError;
use bedrock_cost_monitor::emulator::{Emulator, Fault, FaultKind};
use bedrock_cost_monitor::ledger::sqlite::SqliteStore;
use bedrock_cost_monitor::ledger::Store;
use bedrock_cost_monitor::pricing::TokenType;
use bedrock_cost_monitor::records::{CostLine, LinePricing};
use bedrock_cost_monitor::sim::SimDatum;
use bedrock_cost_monitor::sources::ErrorKind;
use chrono::{DateTime, Duration, Utc};

use crate::helpers::emulator;
use crate::helpers::workload::{
    datum, is_token_metric, prom, publish_all, seeded_series, workload, Truth, EAST, HAIKU_3, OPUS_US,
    SONNET_US, UNKNOWN, WEST,
};

#[tokio::test]
async fn seeded_workload_reaches_ledger_and_metrics_exactly() {
    let emu = emulator::exclusive().await;
    let data = workload(&seeded_series(), now() - Duration::hours(3), now());
    publish_all(&emu, &data).await;
    let fx = fixture(&emu, 6).await;
    let report = fx.run_ok().await;
    let truth = Truth::of(&data);
    fx.assert_ledger_is(&truth).await;

    // Regions are independent: each report and each ledger region holds only its own series.
    let by_region: BTreeMap<_, _> = report.regions.iter().map(|r| (r.region.as_str(), r)).collect();
    for (region, model_ids, unpriced) in [(EAST, 4, vec![UNKNOWN.to_string()]), (WEST, 2, vec![])] {
        let r = by_region[region];
        assert_eq!((r.model_ids, &r.unpriced_model_ids, r.watermark), (model_ids, &unpriced, Some(now())));
        assert_eq!(r.points_inserted, in_region(&data, region).count(), "{region}");
        assert_eq!(r.lines_written, in_region(&data, region).filter(|d| is_token_metric(d.metric)).count());
        assert_eq!(r.points_revised, 0);
        let ledger: Vec<_> =
            fx.store.cost_totals().await.unwrap().into_iter().filter(|t| t.region == region).collect();
        assert_same_totals(&ledger, &truth.in_region(region));
    }

    // The unknown model: its tokens are kept, with no model and no dollars.
    let unknown: Vec<_> =
        fx.store.cost_totals().await.unwrap().into_iter().filter(|t| t.model_id == UNKNOWN).collect();
    assert_eq!(unknown.len(), 2, "input and output: {unknown:?}");
    assert!(unknown.iter().all(|t| t.model.is_none() && t.usd.is_zero() && t.tokens > 0), "{unknown:?}");

    // /metrics of the real daemon on this ledger: the same numbers, and no other cost series.
    let text = fx.scrape_daemon(&emu).await;
    let served = prom::only(&prom::parse(&text), &prom::COST_FAMILIES);
    assert_eq!(served, prom::expected(&truth));
    let of_unknown = |family: &str| {
        let unknown = |l: &BTreeMap<String, String>| l.get("model_id").map(String::as_str) == Some(UNKNOWN);
        served.keys().filter(|(name, labels)| name == family && unknown(labels)).count()
    };
    assert_eq!(of_unknown("bedrock_cost_usd_total"), 0, "an unpriced model never gets a USD sample");
    assert_eq!(of_unknown("bedrock_unpriced_tokens_total"), 2);
    // The daemon's own start-up collection re-read the window without adding anything.
    fx.assert_ledger_is(&truth).await;
}

#[tokio::test]
async fn late_datapoint_overwrites_its_minute() {
    let emu = emulator::exclusive().await;
    let series = seeded_series();
    let data = workload(&series, now() - Duration::hours(1), now());
    publish_all(&emu, &data).await;
    let fx = fixture(&emu, 2).await;
    fx.run_ok().await;
    fx.assert_ledger_is(&Truth::of(&data)).await;

    // Late datapoints: one into a collected minute inside the restatement window
    // (CloudWatch's Sum grows), one into a minute that had none, and one too
    // late (before the window), which is never re-read.
    let (revised, old_sum) =
        minute_with(&data, SONNET_US, BedrockMetric::InputTokenCount, now() - minutes(5));
    // After the clock moves one minute the window starts at now - 9 min.
    let (gap_series, empty) = (1..RESTATEMENT_MINUTES.into())
        .flat_map(|m| series.iter().map(move |s| (s, now() - minutes(m))))
        .find(|(s, m)| !data.iter().any(|d| d.model_id == s.model_id && d.minute == *m))
        .expect("a minute without traffic in the restatement window");
    let (final_minute, final_sum) =
        minute_with(&data, HAIKU_3, BedrockMetric::InputTokenCount, now() - minutes(40));
    let late = [
        datum(EAST, SONNET_US, BedrockMetric::InputTokenCount, revised, 777),
        datum(&gap_series.region, &gap_series.model_id, BedrockMetric::OutputTokenCount, empty, 55),
    ];
    let too_late = datum(EAST, HAIKU_3, BedrockMetric::InputTokenCount, final_minute, 999);
    let next = workload(&series, now(), now() + minutes(1));
    publish_all(&emu, &[&late[..], &next, &[too_late]].concat()).await;
    fx.clock.advance(minutes(1));
    let report = fx.run_ok().await;

    let revised_count: usize = report.regions.iter().map(|r| r.points_revised).sum();
    let inserted: usize = report.regions.iter().map(|r| r.points_inserted).sum();
    assert_eq!((revised_count, inserted), (1, next.len() + 1));
    fx.assert_ledger_is(&Truth::of(data.iter().chain(&late).chain(&next))).await;

    // The minute holds the new Sum (old + late), not old + new Sum.
    let sonnet = input_line(&fx.store, revised, SONNET_US).await;
    assert_eq!(sonnet.tokens, old_sum + 777);
    let usd = Truth::usd(SONNET_US, TokenType::Input, old_sum + 777).unwrap();
    assert!(matches!(sonnet.pricing, LinePricing::Priced { usd: u, .. } if u == usd), "{sonnet:?}");
    let haiku = input_line(&fx.store, final_minute, HAIKU_3).await;
    assert_eq!(haiku.tokens, final_sum, "outside the restatement window a minute is final");
}

async fn input_line(store: &SqliteStore, minute: DateTime<Utc>, model_id: &str) -> CostLine {
    let lines = store.cost_lines(minute, minute + minutes(1)).await.unwrap();
    lines.into_iter().find(|l| l.model_id == model_id && l.token_type == TokenType::Input).unwrap()
}

#[tokio::test]
async fn minutes_without_a_datapoint_have_no_rows() {
    let emu = emulator::exclusive().await;
    let series = seeded_series();
    let (start, end) = (now() - Duration::hours(1), now());
    let data = workload(&series, start, end);
    publish_all(&emu, &data).await;
    let fx = fixture(&emu, 2).await;
    fx.run_ok().await;

    // Every point is a published datum (Sum, and SampleCount for latency) and vice versa.
    let points: BTreeMap<_, _> = fx
        .store
        .metric_points(start - Duration::hours(1), end + Duration::hours(1))
        .await
        .unwrap()
        .into_iter()
        .map(|p| ((p.region, p.model_id, p.metric, p.minute), (p.sum, p.count)))
        .collect();
    let published: BTreeMap<_, _> = data
        .iter()
        .map(|d| ((d.region.clone(), d.model_id.clone(), d.metric, d.minute), (d.sum, d.count)))
        .collect();
    assert_eq!(points, published);

    // A series-minute without traffic has no point and no line (not a zero row).
    let lines = fx.store.cost_lines(start - Duration::hours(1), end + Duration::hours(1)).await.unwrap();
    assert!(lines.iter().all(|l| l.tokens > 0), "a zero line was written");
    let with_lines: BTreeSet<_> = lines.iter().map(|l| (l.model_id.as_str(), l.minute)).collect();
    let mut gaps = 0;
    for s in &series {
        for m in 0..60 {
            let minute = start + minutes(m);
            let traffic = data.iter().any(|d| d.model_id == s.model_id && d.minute == minute);
            assert_eq!(
                with_lines.contains(&(s.model_id.as_str(), minute)),
                traffic,
                "{} {minute}",
                s.model_id
            );
            gaps += usize::from(!traffic);
        }
    }
    assert!(gaps > 0, "the workload has minutes without traffic");
    let token_datums = data.iter().filter(|d| is_token_metric(d.metric)).count();
    assert_eq!(lines.len(), token_datums);
}

#[tokio::test]
async fn backfills_on_first_start_and_catches_up_after_downtime() {
    let emu = emulator::exclusive().await;
    let series = seeded_series();
    // Four hours of history, of which a 3-hour backfill takes the last three.
    let history = workload(&series, now() - Duration::hours(4), now());
    publish_all(&emu, &history).await;
    let fx = fixture(&emu, 3).await;
    fx.run_ok().await;
    let backfilled: Vec<SimDatum> =
        history.iter().filter(|d| d.minute >= now() - Duration::hours(3)).cloned().collect();
    fx.assert_ledger_is(&Truth::of(&backfilled)).await;
    assert_eq!((fx.watermark(EAST).await, fx.watermark(WEST).await), (Some(now()), Some(now())));

    // Five hours down (far more than the restatement window) while traffic went
    // on, restarting 30 s into a minute whose datapoints exist but are incomplete.
    let later = now() + Duration::hours(5);
    let downtime = workload(&series, now(), later + minutes(1));
    publish_all(&emu, &downtime).await;
    fx.clock.set(later + Duration::seconds(30));
    let report = fx.run_ok().await;

    // The gap is filled from the watermark up to the last complete minute.
    let complete: Vec<SimDatum> = downtime.iter().filter(|d| d.minute < later).cloned().collect();
    assert!(downtime.len() > complete.len(), "the current minute has data");
    fx.assert_ledger_is(&Truth::of(backfilled.iter().chain(&complete))).await;
    assert_eq!((fx.watermark(EAST).await, fx.watermark(WEST).await), (Some(later), Some(later)));
    let inserted: usize = report.regions.iter().map(|r| r.points_inserted).sum();
    assert_eq!(inserted, complete.len());
}

#[tokio::test]
async fn failed_region_fails_alone_and_next_run_recovers_exactly() {
    let emu = emulator::exclusive().await;
    let series = seeded_series();
    let first = workload(&series, now() - Duration::hours(1), now());
    publish_all(&emu, &first).await;
    let fx = fixture(&emu, 2).await;
    fx.run_ok().await;
    let second = workload(&series, now(), now() + minutes(30));
    publish_all(&emu, &second).await;
    fx.clock.advance(minutes(30));

    // Every attempt of the next GetMetricData fails: us-east-1 is collected first.
    let fault = Fault::new("cloudwatch", FaultKind::ServerError { status: 500 }).operation("GetMetricData");
    emu.inject_fault(&fault.count(MAX_ATTEMPTS)).await.unwrap();
    let report = fx.job.run_once().await;
    let [CollectError::Source(err)] = report.errors.as_slice() else { panic!("{:?}", report.errors) };
    assert_eq!((err.api, err.region.as_str(), err.kind), ("GetMetricData", EAST, ErrorKind::Service));
    let failed = report.requests.iter().find(|t| t.region == EAST && t.outcome.as_str() == "error").unwrap();
    assert_eq!((failed.api, failed.count), ("GetMetricData", 1));
    let log = emu.requests(Some("cloudwatch")).await.unwrap();
    let faulted: Vec<_> = log.iter().filter(|r| r.status == 500).map(|r| r.region.as_str()).collect();
    assert_eq!(faulted, vec![EAST; MAX_ATTEMPTS as usize], "the SDK retried, then gave up");

    // us-east-1 kept its watermark and data; us-west-2 was collected regardless.
    assert_eq!(report.regions.iter().map(|r| r.region.as_str()).collect::<Vec<_>>(), [WEST]);
    assert_eq!(fx.watermark(EAST).await, Some(now()));
    assert_eq!(fx.watermark(WEST).await, Some(now() + minutes(30)));
    let east_then = Truth::of(first.iter().filter(|d| d.region == EAST));
    let west_now = Truth::of(first.iter().chain(&second).filter(|d| d.region == WEST));
    let ledger = fx.store.cost_totals().await.unwrap();
    let of = |region| ledger.iter().filter(|t| t.region == region).cloned().collect::<Vec<_>>();
    assert_same_totals(&of(EAST), &east_then.in_region(EAST));
    assert_same_totals(&of(WEST), &west_now.in_region(WEST));

    // Faults gone: the next run retries exactly the failed window, nothing doubles.
    emu.clear_faults().await.unwrap();
    let report = fx.run_ok().await;
    fx.assert_ledger_is(&Truth::of(first.iter().chain(&second))).await;
    assert_eq!(fx.watermark(EAST).await, Some(now() + minutes(30)));
    let east = report.regions.iter().find(|r| r.region == EAST).unwrap();
    // Series first published after the listing (a first throttle, say) wait for the next one.
    let listed: BTreeSet<_> = in_region(&first, EAST).map(|d| (&d.model_id, d.metric)).collect();
    let of_listed = in_region(&second, EAST).filter(|d| listed.contains(&(&d.model_id, d.metric)));
    assert_eq!(east.points_inserted, of_listed.count());
    assert_eq!(east.points_revised, 0);
    let lines = fx.store.cost_lines(now() - Duration::hours(2), now() + Duration::hours(1)).await.unwrap();
    let token_datums = first.iter().chain(&second).filter(|d| is_token_metric(d.metric)).count();
    assert_eq!(lines.len(), token_datums, "one line per token datapoint, none twice");
}

/// A model ID that starts publishing after a listing is invisible until the
/// next one (hourly). These set up that case: `now` lists the seeded series,
/// then OPUS_US publishes from `now + 10 min` while the watermark passes it.
async fn unlisted_model_passes_the_watermark(emu: &Emulator, fx: &Fixture) -> Vec<SimDatum> {
    let mut data = workload(&seeded_series(), now() - Duration::hours(1), now() + minutes(70));
    publish_all(emu, &data).await;
    fx.run_ok().await;
    let mut newcomer = seeded_series().remove(0);
    newcomer.model_id = OPUS_US.into();
    let late_model = workload(&[newcomer], now() + minutes(10), now() + minutes(70));
    publish_all(emu, &late_model).await;
    fx.clock.set(now() + minutes(40));
    let report = fx.run_ok().await;
    assert_eq!(report.regions[0].model_ids, 4, "OPUS_US is not listed yet");
    assert_eq!(fx.watermark(EAST).await, Some(now() + minutes(40)));
    data.extend(late_model);
    data
}

#[tokio::test]
async fn model_first_listed_by_a_failed_run_is_collected_by_the_next() {
    let emu = emulator::exclusive().await;
    let fx = fixture(&emu, 2).await;
    let data = unlisted_model_passes_the_watermark(&emu, &fx).await;

    // The hourly listing finds OPUS_US, but the run fails.
    fx.clock.set(now() + minutes(61));
    let fault = Fault::new("cloudwatch", FaultKind::ServerError { status: 500 }).operation("GetMetricData");
    emu.inject_fault(&fault.count(MAX_ATTEMPTS)).await.unwrap();
    assert!(!fx.job.run_once().await.succeeded());
    emu.clear_faults().await.unwrap();

    fx.clock.set(now() + minutes(62));
    fx.run_ok().await;
    let end = now() + minutes(62);
    fx.assert_ledger_is(&Truth::of(data.iter().filter(|d| d.minute < end))).await;
}

#[tokio::test]
async fn model_first_listed_after_a_restart_is_collected() {
    let emu = emulator::exclusive().await;
    let fx = fixture(&emu, 2).await;
    let data = unlisted_model_passes_the_watermark(&emu, &fx).await;

    // A restart: a new job on the same ledger lists OPUS_US on its first run.
    let restarted = fixture_on(&emu, 2, &fx).await;
    restarted.clock.set(now() + minutes(45));
    restarted.run_ok().await;
    let end = now() + minutes(45);
    restarted.assert_ledger_is(&Truth::of(data.iter().filter(|d| d.minute < end))).await;
}
