//! Time to alert, end to end: the daemon runs on its own schedule with the
//! usage collection polled every 15 minutes, so only a wake-up can explain
//! a fast alert. A runaway's first minute is published, CloudWatch's part is
//! played over it (the demo's `AlarmJudge`: the alarm read back and judged
//! over the published datapoints), and the burn-rate alert is awaited in
//! the finance inbox. Asserts the path (normal traffic leaves the alarm in
//! OK, the runaway's minute puts it in ALARM, the daemon counts the wake-up,
//! no polling tick fell in between, the burn-rate alert is delivered), never
//! a duration; the duration is printed for BENCHMARKS.md.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bedrock_cost_monitor::bedrock::BedrockMetric;
use bedrock_cost_monitor::clock::{Clock, SystemClock};
use bedrock_cost_monitor::config::CronSchedule;
use bedrock_cost_monitor::demo::alarms::AlarmJudge;
use bedrock_cost_monitor::telemetry::probe::request;
use chrono::{Duration as Minutes, DurationRound, Utc};
use tempfile::TempDir;

use super::{Wiring, PREFIX};
use crate::helpers::daemon::{DaemonOptions, TestConfig, TestDaemon, TIMEOUT};
use crate::helpers::emulator;
use crate::helpers::inbox::Topic;
use crate::helpers::workload::{datum, publish_all, seeded_series, workload, EAST, OPUS_GLOBAL, WEST};

const POLLING: &str = "0 */15 * * * *";
const WOKEN: &str = "bedrock_monitor_wakeups_total{outcome=\"alarm\",region=\"us-east-1\"}";

async fn sample(base: &str, series: &str) -> f64 {
    let text = request("GET", &format!("{base}/metrics"), &[], &[], TIMEOUT).await.unwrap().body_text();
    text.lines().find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok())).unwrap_or(0.0)
}

#[tokio::test]
async fn a_runaways_first_minute_reaches_the_inbox_as_a_burn_rate_alert_through_a_wake_up() {
    let emu = emulator::exclusive().await;
    let wiring = Wiring::create(&emu).await;
    let inbox = Topic::create(&emu, "finance", false).await;
    let now = SystemClock.now().duration_trunc(Minutes::minutes(1)).unwrap();
    publish_all(&emu, &workload(&seeded_series(), now - Minutes::hours(3), now)).await;
    let dir = TempDir::new().unwrap();
    // 1000 USD/hour: far above the seeded traffic, far below the runaway's 7200.
    let config = TestConfig::driven(dir.path(), emu.endpoint_url())
        .cloudwatch(&format!("schedule = {POLLING:?}\nrestatement_minutes = 10\nbackfill_hours = 3\n"))
        .topic(&inbox.arn)
        // The burn rate's long window within the three hours collected.
        .extra(&wiring.config_with("usd_per_hour = \"1000\"\n", "short_minutes = 5\nlong_hours = 2\n"));
    let daemon =
        TestDaemon::spawn(&emu, DaemonOptions::new(config.load(), Arc::new(SystemClock)).scheduled()).await;
    let base = daemon.base().to_string();
    let judge = AlarmJudge::connect(&emu, &[EAST.to_string(), WEST.to_string()], PREFIX).await;
    let alarm = format!("{PREFIX}{EAST}-1");
    // The start-up run has put the alarms; wait for them, then drop the start-up alerts.
    let ready = Instant::now();
    let normal = loop {
        let judged = judge.judge(now - Minutes::minutes(1)).await.unwrap();
        if judged.iter().any(|j| j.alarm == alarm) {
            break judged;
        }
        assert!(ready.elapsed() < Duration::from_secs(30), "the daemon never put its alarms");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(normal.iter().all(|j| j.state == "OK"), "normal traffic leaves the alarms in OK: {normal:?}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = inbox.drain().await;
    assert!(before.iter().all(|d| d.kind() != "budget.burn_rate"), "normal traffic burns at its usual rate");

    // Out of the way of a polling tick, so that only a wake-up can explain the alert.
    let polling: CronSchedule = POLLING.parse().unwrap();
    let tick = polling.next_after(SystemClock.now(), &Utc).unwrap();
    if tick - SystemClock.now() < Minutes::seconds(150) {
        let wait = (tick - SystemClock.now() + Minutes::seconds(5)).to_std().unwrap_or_default();
        tokio::time::sleep(wait).await;
    }

    // The runaway's first minute: 4 M input and 4 M output tokens of Opus 4.5.
    let minute = SystemClock.now().duration_trunc(Minutes::minutes(1)).unwrap() - Minutes::minutes(1);
    let burst = [BedrockMetric::InputTokenCount, BedrockMetric::OutputTokenCount]
        .map(|m| datum(EAST, OPUS_GLOBAL, m, minute, 4_000_000));
    publish_all(&emu, &burst).await;
    let (published, since) = (Instant::now(), SystemClock.now());
    let judged = judge.judge(minute).await.unwrap();
    let runaway = judged.iter().find(|j| j.alarm == alarm).unwrap();
    assert_eq!((runaway.state.as_str(), runaway.changed), ("ALARM", true), "{runaway:?}");

    let alert = loop {
        let got = inbox.receive().await;
        if let Some(a) = got.into_iter().find(|d| d.kind() == "budget.burn_rate") {
            break a;
        }
        assert!(published.elapsed() < Duration::from_secs(120), "no burn-rate alert within 2 minutes");
    };
    let took = published.elapsed();
    eprintln!(
        "time to alert: {} ms from the runaway's first minute published to the burn-rate alert in the inbox",
        took.as_millis()
    );
    assert!(alert.subject.as_deref().unwrap_or_default().contains("runaway"), "{alert:?}");
    assert!(sample(&base, WOKEN).await >= 1.0, "the daemon counted the wake-up");
    let tick = polling.next_after(since, &Utc).unwrap();
    assert!(tick > SystemClock.now(), "no polling tick ({tick}) fell in the measurement");
    daemon.shutdown().await;
}
