//! bedrock-mantle usage is billed like bedrock-runtime usage, so its
//! per-model token series (`AWS/BedrockMantle`, `TotalInputTokens` and
//! `TotalOutputTokens` by `Model`) are watched too, each under one of the
//! two names AWS publishes a model's tokens under, and an ALARM wakes the
//! mantle usage job beside the runtime one.

use std::sync::Arc;
use std::time::Duration as Wait;

use aws_sdk_cloudwatch::types::{MetricAlarm, StateValue};
use bedrock_cost_monitor::app;
use bedrock_cost_monitor::clock::ManualClock;
use bedrock_cost_monitor::sim::mantle::{demo_mantle, mantle_datums, NAMESPACE};
use bedrock_cost_monitor::sim::publish::put;
use chrono::{Duration, TimeZone, Utc};
use tempfile::TempDir;

use super::{cloudwatch, set_state, Wiring, PREFIX};
use crate::helpers::daemon::{DaemonOptions, TestConfig, TestDaemon};
use crate::helpers::emulator;
use crate::helpers::workload::{publish_all, seeded_series, workload, EAST};

/// (metric name, dimensions) of every AWS/BedrockMantle series `alarm` watches.
fn mantle_series(alarm: &MetricAlarm) -> Vec<(String, String)> {
    alarm
        .metrics()
        .iter()
        .filter_map(|q| q.metric_stat()?.metric())
        .filter(|m| m.namespace() == Some(NAMESPACE))
        .map(|m| {
            let dims: Vec<String> = m
                .dimensions()
                .iter()
                .map(|d| format!("{}={}", d.name().unwrap_or_default(), d.value().unwrap_or_default()))
                .collect();
            (m.metric_name().unwrap_or_default().to_string(), dims.join(","))
        })
        .collect()
}

#[tokio::test]
async fn mantle_tokens_are_watched_and_their_alarm_wakes_the_mantle_job_too() {
    let emu = emulator::exclusive().await;
    let wiring = Wiring::create(&emu).await;
    let end = Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap();
    publish_all(&emu, &workload(&seeded_series(), end - Duration::hours(1), end)).await;
    let cw = cloudwatch(&emu, EAST).await;
    let mantle = mantle_datums(&demo_mantle(), EAST, end - Duration::hours(1), end);
    put(&cw, NAMESPACE, &mantle).await.unwrap();
    let dir = TempDir::new().unwrap();
    let config = TestConfig::driven(dir.path(), emu.endpoint_url()).extra(&wiring.config(""));
    let loaded = config.load();
    let clock = Arc::new(ManualClock::new(end + Duration::seconds(30)));
    let daemon = TestDaemon::spawn(&emu, DaemonOptions::new(config.load(), clock.clone())).await;
    daemon.reconcile_alarms().await.unwrap();

    let alarms = cw.describe_alarms().alarm_name_prefix(PREFIX).send().await.unwrap();
    let watching: Vec<&MetricAlarm> =
        alarms.metric_alarms().iter().filter(|a| !mantle_series(a).is_empty()).collect();
    assert_eq!(watching.len(), 1, "the model's mantle series are in one alarm");
    let model = "Model=anthropic.claude-opus-4-7".to_string();
    assert_eq!(
        mantle_series(watching[0]),
        [("TotalInputTokens".to_string(), model.clone()), ("TotalOutputTokens".to_string(), model)],
        "per model only, one name each (not InputTokens/OutputTokens as well)"
    );

    let listener = app::wakeups::listener(daemon.parts(), &loaded).unwrap();
    set_state(&emu, EAST, watching[0].alarm_name().unwrap(), StateValue::Alarm).await;
    let pass = listener.run_once(Wait::from_secs(2)).await.unwrap();
    assert_eq!(pass.woke, [EAST.to_string()]);
    assert!(daemon.parts().wake.as_ref().unwrap().is_pending(), "the runtime usage job is asked to run");
    assert!(daemon.parts().wake_mantle.as_ref().unwrap().is_pending(), "and the mantle usage job");
    daemon.shutdown().await;
}
