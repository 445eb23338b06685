//! An alarm's state change reaches the daemon through SNS and SQS and wakes
//! the usage collection: within seconds on a running daemon, one run for a
//! burst; a message lost on the way is caught up by polling; a missing
//! queue is an error that names the queue call, and collection goes on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_cloudwatch::types::StateValue;
use bedrock_cost_monitor::app;
use bedrock_cost_monitor::bedrock::BedrockMetric;
use bedrock_cost_monitor::clock::{Clock, ManualClock, SystemClock};
use bedrock_cost_monitor::records::Source;
use bedrock_cost_monitor::telemetry::probe::request;
use chrono::{Duration as Minutes, DurationRound, TimeZone, Utc};
use tempfile::TempDir;

use super::{set_state, Wiring, PREFIX};
use crate::helpers::daemon::{DaemonOptions, TestConfig, TestDaemon, TIMEOUT};
use crate::helpers::emulator;
use crate::helpers::workload::{datum, publish_all, seeded_series, workload, EAST, OPUS_GLOBAL};

/// The value of one sample line of the daemon's `/metrics`, 0 when absent.
async fn sample(base: &str, series: &str) -> f64 {
    let text = request("GET", &format!("{base}/metrics"), &[], &[], TIMEOUT).await.unwrap().body_text();
    text.lines().find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok())).unwrap_or(0.0)
}

const RUNS: &str = "bedrock_monitor_job_runs_total{job=\"cloudwatch\",outcome=\"success\"}";

#[tokio::test]
async fn an_alarm_wakes_the_running_daemon_within_seconds_and_a_burst_coalesces() {
    let emu = emulator::exclusive().await;
    let wiring = Wiring::create(&emu).await;
    let now = SystemClock.now().duration_trunc(Minutes::minutes(1)).unwrap();
    publish_all(&emu, &workload(&seeded_series(), now - Minutes::hours(1), now)).await;
    let dir = TempDir::new().unwrap();
    // Polling once a year: any run after the start-up one is a wake-up's.
    let config = TestConfig::driven(dir.path(), emu.endpoint_url())
        .cloudwatch("schedule = \"0 0 0 1 1 *\"\nrestatement_minutes = 10\nbackfill_hours = 3\n")
        .extra(&wiring.config(""));
    let daemon =
        TestDaemon::spawn(&emu, DaemonOptions::new(config.load(), Arc::new(SystemClock)).scheduled()).await;
    let base = daemon.base().to_string();
    let before = sample(&base, RUNS).await;
    assert_eq!(before, 1.0, "the start-up run");

    // A runaway minute, then CloudWatch's evaluation puts the alarm in ALARM.
    let minute = SystemClock.now().duration_trunc(Minutes::minutes(1)).unwrap() - Minutes::minutes(1);
    let burst = [BedrockMetric::InputTokenCount, BedrockMetric::OutputTokenCount]
        .map(|m| datum(EAST, OPUS_GLOBAL, m, minute, 4_000_000));
    publish_all(&emu, &burst).await;
    let alarm = format!("{PREFIX}{EAST}-1");
    let asked = Instant::now();
    set_state(&emu, EAST, &alarm, StateValue::Alarm).await;
    while sample(&base, RUNS).await < before + 1.0 {
        if asked.elapsed() > Duration::from_secs(30) {
            let text =
                request("GET", &format!("{base}/metrics"), &[], &[], TIMEOUT).await.unwrap().body_text();
            let lines: Vec<&str> = text
                .lines()
                .filter(|l| l.contains("wake") || l.contains("job_runs") || l.contains("Message"))
                .collect();
            panic!("no woken collection within 30 s:\n{}", lines.join("\n"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let took = asked.elapsed();
    eprintln!("alarm state change to collected: {} ms", took.as_millis());
    assert!(took < Duration::from_secs(5), "woken in {took:?}");
    let alarms = "bedrock_monitor_wakeups_total{outcome=\"alarm\",region=\"us-east-1\"}";
    assert_eq!(sample(&base, alarms).await, 1.0);

    // A burst: back to OK and to ALARM twice more within the minute.
    for state in [StateValue::Ok, StateValue::Alarm, StateValue::Ok, StateValue::Alarm] {
        set_state(&emu, EAST, &alarm, state).await;
    }
    let heard = Instant::now();
    while sample(&base, alarms).await < 3.0 {
        assert!(heard.elapsed() < Duration::from_secs(30), "the burst never arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(sample(&base, RUNS).await, before + 1.0, "at most one woken run a minute");
    daemon.shutdown().await;
}

#[tokio::test]
async fn a_message_wakes_the_usage_job_and_a_lost_one_is_caught_up_by_polling() {
    let emu = emulator::exclusive().await;
    let wiring = Wiring::create(&emu).await;
    let end = Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap();
    publish_all(&emu, &workload(&seeded_series(), end - Minutes::hours(1), end)).await;
    let dir = TempDir::new().unwrap();
    let config = TestConfig::driven(dir.path(), emu.endpoint_url()).extra(&wiring.config(""));
    let loaded = config.load();
    // The notification's time is the emulator's: the daemon's clock must be near it.
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let daemon = TestDaemon::spawn(&emu, DaemonOptions::new(config.load(), clock.clone())).await;
    daemon.reconcile_alarms().await.unwrap();
    let listener = app::wakeups::listener(daemon.parts(), &loaded).unwrap();
    let wake = daemon.parts().wake.clone().unwrap();

    let alarm = format!("{PREFIX}{EAST}-1");
    set_state(&emu, EAST, &alarm, StateValue::Alarm).await;
    let pass = listener.run_once(Duration::from_secs(2)).await.unwrap();
    assert_eq!((pass.messages, pass.woke.as_slice()), (1, [EAST.to_string()].as_slice()));
    assert!(wake.is_pending(), "the usage job is asked to run");

    // Lost: delivered, then gone before the daemon reads it.
    set_state(&emu, EAST, &alarm, StateValue::Ok).await;
    set_state(&emu, EAST, &alarm, StateValue::Alarm).await;
    assert_eq!(wiring.drain().await, 2);
    assert_eq!(listener.run_once(Duration::from_secs(1)).await.unwrap().messages, 0);
    // The next tick collects the same minutes anyway.
    clock.set(end + Minutes::seconds(30));
    daemon.collect_usage().await.unwrap();
    let watermark = daemon.parts().store.watermark(Source::CloudWatch, EAST).await.unwrap();
    assert_eq!(watermark, Some(end), "polling read through the last complete minute");
    daemon.shutdown().await;
}

#[tokio::test]
async fn a_missing_queue_is_a_clear_error_and_collection_goes_on() {
    let emu = emulator::exclusive().await;
    let wiring = Wiring::create(&emu).await;
    let end = Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap();
    publish_all(&emu, &workload(&seeded_series(), end - Minutes::hours(1), end)).await;
    let dir = TempDir::new().unwrap();
    let missing = format!("{}/000000000000/no-such-queue", emu.endpoint_url());
    let wakeups = wiring
        .config("")
        .replace(&format!("queue_url = {:?}", wiring.queue_url), &format!("queue_url = {missing:?}"));
    let config = TestConfig::driven(dir.path(), emu.endpoint_url()).extra(&wakeups);
    let loaded = config.load();
    let daemon =
        TestDaemon::spawn(&emu, DaemonOptions::new(config.load(), Arc::new(ManualClock::new(end)))).await;
    let listener = app::wakeups::listener(daemon.parts(), &loaded).unwrap();
    let e = listener.run_once(Duration::from_secs(1)).await.unwrap_err();
    let text = e.to_string();
    assert!(text.starts_with("ReceiveMessage in"), "{text}");
    assert!(text.contains("NonExistentQueue") || text.contains("QueueDoesNotExist"), "{text}");
    daemon.collect_usage().await.unwrap();
    daemon.shutdown().await;
}
