//! The alarms follow the models listed and the budgets: created once,
//! left alone when nothing changed (across a restart too), updated and
//! added when models appear, a stale one of the daemon's deleted, anyone
//! else's never touched.

use std::sync::Arc;

use aws_sdk_cloudwatch::types::{ComparisonOperator, MetricAlarm};
use bedrock_cost_monitor::bedrock::BedrockMetric;
use bedrock_cost_monitor::clock::ManualClock;
use chrono::{Duration, TimeZone, Utc};
use tempfile::TempDir;

use super::{cloudwatch, count, Wiring, PREFIX};
use crate::helpers::daemon::{DaemonOptions, TestConfig, TestDaemon};
use crate::helpers::emulator;
use crate::helpers::workload::{datum, publish_all, seeded_series, workload, EAST, HAIKU_45_US, OPUS_US};

async fn alarms(emu: &bedrock_cost_monitor::emulator::Emulator, region: &str) -> Vec<MetricAlarm> {
    let out = cloudwatch(emu, region).await.describe_alarms().alarm_name_prefix(PREFIX).send().await.unwrap();
    out.metric_alarms().to_vec()
}

/// The model IDs an alarm watches, in order, each once.
fn models_of(alarm: &MetricAlarm) -> Vec<String> {
    let mut out: Vec<String> = alarm
        .metrics()
        .iter()
        .filter_map(|q| q.metric_stat()?.metric()?.dimensions().first()?.value().map(String::from))
        .collect();
    out.dedup();
    out
}

#[tokio::test]
async fn alarms_follow_the_models_and_are_never_duplicated() {
    let emu = emulator::exclusive().await;
    let wiring = Wiring::create(&emu).await;
    let end = Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap();
    publish_all(&emu, &workload(&seeded_series(), end - Duration::hours(1), end)).await;
    let dir = TempDir::new().unwrap();
    let config = TestConfig::driven(dir.path(), emu.endpoint_url()).extra(&wiring.config(""));
    let clock = Arc::new(ManualClock::new(end + Duration::seconds(30)));
    let daemon = TestDaemon::spawn(&emu, DaemonOptions::new(config.load(), clock.clone())).await;

    daemon.reconcile_alarms().await.unwrap();
    let east = alarms(&emu, EAST).await;
    assert_eq!(east.len(), 1, "four models in us-east-1: eight metrics, one alarm");
    let alarm = &east[0];
    assert_eq!(alarm.alarm_name(), Some(format!("{PREFIX}{EAST}-1").as_str()));
    assert_eq!(models_of(alarm).len(), 4);
    assert_eq!(alarm.metrics().len(), 9, "eight token series and the expression");
    assert_eq!(alarm.threshold(), Some(5.0), "the burn-rate floor");
    assert_eq!(alarm.comparison_operator(), Some(&ComparisonOperator::GreaterThanOrEqualToThreshold));
    assert_eq!(alarm.alarm_actions(), [wiring.topics[EAST].clone()]);
    assert_eq!(alarm.ok_actions(), [wiring.topics[EAST].clone()]);
    let expression = alarm.metrics().iter().find_map(|q| q.expression()).unwrap();
    assert!(expression.starts_with("FILL(m0,0)*"), "{expression}");
    let puts = count(&emu, "PutMetricAlarm").await;

    daemon.reconcile_alarms().await.unwrap();
    let restarted = TestDaemon::spawn(&emu, DaemonOptions::new(config.load(), clock.clone())).await;
    restarted.reconcile_alarms().await.unwrap();
    assert_eq!(count(&emu, "PutMetricAlarm").await, puts, "nothing changed: nothing written");
    assert_eq!(alarms(&emu, EAST).await.len(), 1, "no duplicate after a restart");

    // Two new models in us-east-1: six models, twelve metrics, two alarms.
    let minute = end - Duration::minutes(1);
    let new = [OPUS_US, HAIKU_45_US].into_iter().flat_map(|id| {
        [BedrockMetric::InputTokenCount, BedrockMetric::OutputTokenCount]
            .map(|m| datum(EAST, id, m, minute, 1000))
    });
    publish_all(&emu, &new.collect::<Vec<_>>()).await;
    // A stale alarm of the daemon's (from a larger model set) and someone else's.
    let cw = cloudwatch(&emu, EAST).await;
    for name in [format!("{PREFIX}{EAST}-9"), "team-latency".to_string()] {
        cw.put_metric_alarm()
            .alarm_name(name)
            .namespace("AWS/Bedrock")
            .metric_name("InvocationLatency")
            .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
            .period(60)
            .evaluation_periods(1)
            .threshold(1000.0)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .send()
            .await
            .unwrap();
    }
    // Listings are cached for an hour by the usage job, not by this one.
    clock.advance(Duration::minutes(15));
    restarted.reconcile_alarms().await.unwrap();
    let east = alarms(&emu, EAST).await;
    let names: Vec<&str> = east.iter().filter_map(|a| a.alarm_name()).collect();
    assert_eq!(names, [format!("{PREFIX}{EAST}-1"), format!("{PREFIX}{EAST}-2")], "the stale one is deleted");
    let watched: Vec<String> = east.iter().flat_map(models_of).collect();
    assert_eq!(watched.len(), 6);
    assert!(watched.contains(&OPUS_US.to_string()) && watched.contains(&HAIKU_45_US.to_string()));
    assert!(east.iter().all(|a| a.metrics().len() <= 11), "at most ten metrics and the expression");
    let others = cw.describe_alarms().alarm_names("team-latency").send().await.unwrap();
    assert_eq!(others.metric_alarms().len(), 1, "an alarm without the prefix is not the daemon's");
    daemon.shutdown().await;
    restarted.shutdown().await;
}
