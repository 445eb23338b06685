//! Delivery under failure, against SNS on the emulator: every attempt is one
//! `Publish` the outbox knows of (the SDK never re-sends inside a call), a
//! publish that timed out after SNS accepted it is retried as uncertain and
//! reaches a standard topic at most twice, with the same `dedupe_key`
//! attribute on both copies (and once on a FIFO topic), a message SNS
//! rejects is parked without holding back the ones behind it, a topic that
//! refuses everything ends the flush, and an alert out of attempts is parked
//! with its metric.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use aws_config::timeout::TimeoutConfig;
use bedrock_cost_monitor::alerts::{ops, Dispatcher, RetryPolicy, SnsSink};
use bedrock_cost_monitor::aws::AwsConfig;
use bedrock_cost_monitor::clock::{Clock, ManualClock};
use bedrock_cost_monitor::emulator::{Emulator, Fault, FaultKind};
use bedrock_cost_monitor::ledger::sqlite::SqliteStore;
use bedrock_cost_monitor::ledger::{Backend, Delivery};
use bedrock_cost_monitor::telemetry::SelfMetrics;
use chrono::{DateTime, Duration, TimeZone, Utc};
use prometheus::Registry;

use crate::helpers::emulator;
use crate::helpers::inbox::{publishes, Topic};

const REGION: &str = "us-east-1";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
}

struct Rig {
    store: Arc<dyn Backend>,
    registry: Registry,
    dispatcher: Dispatcher,
}

/// A dispatcher publishing to `topic_arn` with a 1 s attempt timeout (the
/// daemon's is 10 s; the rule is the same).
async fn rig(emu: &Emulator, topic_arn: &str, policy: RetryPolicy) -> Rig {
    let timeouts = TimeoutConfig::builder()
        .operation_attempt_timeout(StdDuration::from_secs(1))
        .operation_timeout(StdDuration::from_secs(5))
        .build();
    let sdk = emu.sdk_config(REGION).await.into_builder().timeout_config(timeouts).build();
    let sink = Arc::new(SnsSink::connect(AwsConfig::from_sdk(sdk).own(), REGION, topic_arn.to_string()));
    let store: Arc<dyn Backend> = Arc::new(SqliteStore::open_in_memory().unwrap());
    let registry = Registry::new();
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(now()));
    let metrics = Arc::new(SelfMetrics::new(&registry, clock).unwrap());
    let dispatcher = Dispatcher::new(store.clone(), sink, Some(metrics), "replica-a")
        .with_policy(policy, Duration::seconds(31));
    Rig { store, registry, dispatcher }
}

fn unpriced(ids: &[&str]) -> Vec<bedrock_cost_monitor::alerts::AlertMessage> {
    ids.iter().map(|id| ops::unpriced_model(REGION, id, now())).collect()
}

/// The value of one sample in the registry's text exposition.
fn metric(registry: &Registry, series: &str) -> Option<String> {
    let text = prometheus::TextEncoder::new().encode_to_string(&registry.gather()).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')).map(str::to_string))
}

#[tokio::test]
async fn a_publish_sns_accepted_after_the_timeout_is_uncertain_and_reaches_a_standard_topic_at_most_twice() {
    let emu = emulator::exclusive().await;
    let topic = Topic::create(&emu, "alerts", false).await;
    let rig = rig(&emu, &topic.arn, RetryPolicy::default()).await;
    rig.dispatcher.raise(unpriced(&["model-a", "model-b"])).await.unwrap();
    // SNS takes the first message, then answers only after the client gave up.
    let late = Fault::new("sns", FaultKind::LateAnswer(StdDuration::from_millis(2500)))
        .operation("Publish")
        .count(1);
    emu.inject_fault(&late).await.unwrap();

    let first = rig.dispatcher.flush(now()).await.unwrap();
    assert_eq!((first.published, first.failed, first.parked, first.deferred), (1, 1, 0, 0), "{first:?}");
    // The emulator logs a request when its (late) answer has gone out.
    tokio::time::sleep(StdDuration::from_secs(2)).await;
    assert_eq!(publishes(&emu).await, 2, "one Publish per alert: no re-send inside the SDK call");
    let key = ops::unpriced_model(REGION, "model-a", now()).dedupe_key;
    let entry = rig.store.alert(&key).await.unwrap().unwrap();
    assert_eq!(
        (entry.delivery(), entry.attempts, entry.retry_at),
        (Delivery::Uncertain, 1, Some(now() + Duration::seconds(30)))
    );
    let uncertain =
        r#"bedrock_monitor_alert_publish_failures_total{failure="uncertain",kind="pricing.unpriced_model"}"#;
    assert_eq!(metric(&rig.registry, uncertain).as_deref(), Some("1"));

    assert_eq!(
        rig.dispatcher.flush(now() + Duration::seconds(29)).await.unwrap().published,
        0,
        "backing off"
    );
    assert_eq!(rig.dispatcher.flush(now() + Duration::seconds(30)).await.unwrap().published, 1);
    let delivered = topic.drain().await;
    let copies: Vec<_> = delivered.iter().filter(|d| d.body["dedupe_key"] == key.as_str()).collect();
    assert_eq!(copies.len(), 2, "the accepted attempt and its retry: at most twice, as documented");
    assert!(
        copies.iter().all(|d| d.attributes["dedupe_key"]["Value"] == key.as_str()),
        "both carry the dedupe key, so a subscriber drops the repeat: {copies:#?}"
    );
    assert_eq!(delivered.len(), 3);
    assert!(rig.store.pending_alerts(now() + Duration::days(1), 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn on_a_fifo_topic_the_uncertain_retry_falls_inside_the_deduplication_interval() {
    let emu = emulator::exclusive().await;
    let topic = Topic::create(&emu, "alerts", true).await;
    let rig = rig(&emu, &topic.arn, RetryPolicy::default()).await;
    rig.dispatcher.raise(unpriced(&["model-a"])).await.unwrap();
    let late = Fault::new("sns", FaultKind::LateAnswer(StdDuration::from_millis(2500)))
        .operation("Publish")
        .count(1);
    emu.inject_fault(&late).await.unwrap();
    assert_eq!(rig.dispatcher.flush(now()).await.unwrap().failed, 1);
    // Retried 30 s later (not after a longer backoff): well inside SNS's 5 minutes.
    let retry = rig.dispatcher.flush(now() + Duration::seconds(30)).await.unwrap();
    assert_eq!(retry.published, 1);
    tokio::time::sleep(StdDuration::from_secs(2)).await;
    assert_eq!(publishes(&emu).await, 2);
    let delivered = topic.drain().await;
    assert_eq!(delivered.len(), 1, "SNS dropped the repeat by its deduplication ID: {delivered:#?}");
}

#[tokio::test]
async fn a_message_sns_rejects_is_parked_and_the_ones_behind_it_go_out() {
    let emu = emulator::exclusive().await;
    let topic = Topic::create(&emu, "alerts", false).await;
    let rig = rig(&emu, &topic.arn, RetryPolicy::default()).await;
    // SNS takes messages up to 256 KB; a model ID this long makes one larger.
    let huge = "x".repeat(300 * 1024);
    rig.dispatcher.raise(unpriced(&[huge.as_str(), "model-b", "model-c"])).await.unwrap();
    let report = rig.dispatcher.flush(now()).await.unwrap();
    assert_eq!((report.published, report.failed, report.parked), (2, 1, 1), "{report:?}");
    assert!(report.errors[0].contains("InvalidParameter"), "{:?}", report.errors);
    let listed = rig.store.recent_alerts(10).await.unwrap();
    let parked: Vec<_> = listed.iter().filter(|e| e.delivery() == Delivery::Parked).collect();
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].attempts, 1, "parked at once: retrying cannot change SNS's answer");
    let parked_total = r#"bedrock_monitor_alerts_parked_total{kind="pricing.unpriced_model"}"#;
    assert_eq!(metric(&rig.registry, parked_total).as_deref(), Some("1"));
    assert_eq!(topic.drain().await.len(), 2);
    assert!(rig.store.pending_alerts(now() + Duration::days(1), 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_topic_that_refuses_everything_ends_the_flush_without_parking() {
    let emu = emulator::exclusive().await;
    let missing = "arn:aws:sns:us-east-1:123456789012:no-such-topic";
    let rig = rig(&emu, missing, RetryPolicy::default()).await;
    rig.dispatcher.raise(unpriced(&["model-a", "model-b", "model-c"])).await.unwrap();
    let report = rig.dispatcher.flush(now()).await.unwrap();
    assert_eq!((report.failed, report.parked, report.deferred), (1, 0, 2), "{report:?}");
    assert!(report.errors[0].contains("NotFound"), "{:?}", report.errors);
    assert_eq!(publishes(&emu).await, 1, "the others were not tried against a topic that refuses all");
    let due_later = rig.store.pending_alerts(now() + Duration::seconds(30), 10).await.unwrap();
    assert_eq!(due_later.len(), 3, "all still pending; the refused one backs off");
}

#[tokio::test]
async fn an_alert_out_of_attempts_is_parked_while_a_new_one_still_goes_out() {
    let emu = emulator::exclusive().await;
    let topic = Topic::create(&emu, "alerts", false).await;
    let policy = RetryPolicy { max_attempts: 2, ..RetryPolicy::default() };
    let rig = rig(&emu, &topic.arn, policy).await;
    rig.dispatcher.raise(unpriced(&["model-a"])).await.unwrap();
    let outage = Fault::new("sns", FaultKind::ServerError { status: 500 }).operation("Publish").count(2);
    emu.inject_fault(&outage).await.unwrap();
    assert_eq!(rig.dispatcher.flush(now()).await.unwrap().failed, 1);
    let second = rig.dispatcher.flush(now() + Duration::seconds(30)).await.unwrap();
    assert_eq!((second.failed, second.parked), (1, 1), "{second:?}");
    let transient =
        r#"bedrock_monitor_alert_publish_failures_total{failure="transient",kind="pricing.unpriced_model"}"#;
    assert_eq!(metric(&rig.registry, transient).as_deref(), Some("2"));
    rig.dispatcher.raise(unpriced(&["model-b"])).await.unwrap();
    assert_eq!(rig.dispatcher.flush(now() + Duration::hours(1)).await.unwrap().published, 1);
    let delivered = topic.drain().await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].body["model_id"], "model-b", "{delivered:#?}");
}
