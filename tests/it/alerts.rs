//! Budget alerts end to end against the emulator: a seeded workload is
//! collected by the daemon's own jobs, budgets are evaluated, and what the
//! SQS queue subscribed to the SNS topic receives is checked: exactly one
//! message per crossing, with the documented body and attributes, through a
//! restart between claim and publish and through an SNS outage; a FIFO topic
//! gets group and deduplication IDs.

use std::sync::Arc;

use bedrock_cost_monitor::alerts::{ops, Dispatcher, LogSink};
use bedrock_cost_monitor::clock::{Clock, ManualClock};
use bedrock_cost_monitor::emulator::{Emulator, Fault, FaultKind};
use bedrock_cost_monitor::ledger::sqlite::SqliteStore;
use bedrock_cost_monitor::ledger::Backend;
use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use serde_json::json;
use tempfile::TempDir;

use crate::helpers::daemon::{DaemonOptions, TestConfig, TestDaemon};
use crate::helpers::emulator;
use crate::helpers::inbox::{publishes, Delivered, Topic};
use crate::helpers::workload::{self, publish_all, seeded_series, workload, Truth};

/// The tests' "now": 10:00:30, two hours of traffic before it, same UTC day.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 30).unwrap()
}

/// Publishes the seeded workload of the two hours before `now()`; returns its exact spend.
async fn seed(emu: &Emulator) -> Decimal {
    let end = Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap();
    let data = workload(&seeded_series(), end - Duration::hours(2), end);
    publish_all(emu, &data).await;
    Truth::of(&data).total_usd()
}

/// A daily budget whose limit puts the seeded spend at 60 %: 50 % crossed, 80 % not.
fn budget_at_60_percent(spend: Decimal) -> String {
    let limit = (spend / Decimal::new(6, 1)).round_dp(2);
    format!("[[budgets]]\nname = \"team-daily\"\nperiod = \"day\"\nlimit_usd = \"{limit}\"\nseverity = \"critical\"\nforecast_alert = false\n")
}

fn of_kind<'a>(all: &'a [Delivered], kind: &str) -> Vec<&'a Delivered> {
    all.iter().filter(|d| d.kind() == kind).collect()
}

struct Setup {
    _dir: TempDir,
    clock: Arc<ManualClock>,
    config: TestConfig,
    spend: Decimal,
}

impl Setup {
    /// A daemon on this configuration and clock; again, after a restart.
    async fn daemon(&self, emu: &Emulator) -> TestDaemon {
        TestDaemon::spawn(emu, DaemonOptions::new(self.config.load(), self.clock.clone())).await
    }
}

async fn setup(emu: &Emulator, topic: &Topic) -> Setup {
    setup_with_digest(emu, topic, false).await
}

async fn setup_with_digest(emu: &Emulator, topic: &Topic, digest: bool) -> Setup {
    let spend = seed(emu).await;
    let dir = TempDir::new().unwrap();
    let config = TestConfig::driven(dir.path(), emu.endpoint_url())
        .topic(&topic.arn)
        .digest(digest)
        .extra(&budget_at_60_percent(spend));
    Setup { _dir: dir, clock: Arc::new(ManualClock::new(now())), config, spend }
}

#[tokio::test]
async fn a_crossing_publishes_exactly_one_message_with_the_numbers_that_matter() {
    let emu = emulator::exclusive().await;
    let topic = Topic::create(&emu, "budget-alerts", false).await;
    let s = setup(&emu, &topic).await;
    let daemon = s.daemon(&emu).await;
    daemon.collect_usage().await.unwrap();
    // Later cycles (collection and the minute alerts job) find nothing new to send.
    s.clock.advance(Duration::minutes(1));
    daemon.collect_usage().await.unwrap();
    daemon.alerts_job().await.unwrap();

    let delivered = topic.drain().await;
    let crossing = of_kind(&delivered, "budget.threshold");
    assert_eq!(crossing.len(), 1, "exactly one message for the 50 % crossing: {delivered:#?}");
    let m = crossing[0];
    let limit = (s.spend / Decimal::new(6, 1)).round_dp(2);
    assert_eq!(m.body["budget"], json!("team-daily"));
    assert_eq!(m.body["threshold_pct"], json!(50));
    assert_eq!(m.body["spend_usd"], json!(s.spend.to_string()), "exact spend as a decimal string");
    assert_eq!(m.body["limit_usd"], json!(limit.to_string()));
    assert_eq!(
        m.body["period"],
        json!({"kind": "day", "start": "2026-11-24T00:00:00Z", "end": "2026-11-25T00:00:00Z", "timezone": "UTC"})
    );
    assert_eq!(m.body["dedupe_key"], json!("budget.threshold:team-daily:2026-11-24T00:00:00Z:50"));
    assert!(m.body["forecast_usd"].is_string() && m.body["top_models"][0]["model"].is_string(), "{}", m.body);
    assert_eq!(m.body["top_models"][0]["model"], json!("claude-sonnet-4-5"));
    let subject = m.subject.clone().unwrap();
    assert!(subject.starts_with("Budget team-daily reached 50%: ") && subject.len() < 100, "{subject}");
    assert_eq!(m.attributes["kind"]["Value"], json!("budget.threshold"));
    assert_eq!(m.attributes["severity"]["Value"], json!("critical"));
    assert_eq!(m.attributes["budget"]["Value"], json!("team-daily"));
    // The unknown model of the workload is announced once, too.
    let unpriced = of_kind(&delivered, "pricing.unpriced_model");
    assert_eq!(unpriced.len(), 1, "{delivered:#?}");
    assert_eq!(unpriced[0].body["model_id"], json!(workload::UNKNOWN));
    assert_eq!(delivered.len(), 2, "{delivered:#?}");
}

#[tokio::test]
async fn an_alert_claimed_before_a_crash_is_published_once_after_the_restart() {
    let emu = emulator::exclusive().await;
    let topic = Topic::create(&emu, "budget-alerts", false).await;
    let s = setup(&emu, &topic).await;
    let data = s.config.data_dir();
    {
        // The first life claims the unpriced-model alert and dies before publishing it.
        let store: Arc<dyn Backend> = Arc::new(SqliteStore::open(&data).unwrap());
        let dispatcher = Dispatcher::new(store, Arc::new(LogSink), None, "first-life");
        let claimed =
            dispatcher.raise(vec![ops::unpriced_model("us-east-1", workload::UNKNOWN, now())]).await.unwrap();
        assert_eq!(claimed.len(), 1);
    }
    let daemon = s.daemon(&emu).await;
    daemon.collect_usage().await.unwrap();
    daemon.alerts_job().await.unwrap();
    let delivered = topic.drain().await;
    assert_eq!(of_kind(&delivered, "pricing.unpriced_model").len(), 1, "published once: {delivered:#?}");
    assert_eq!(of_kind(&delivered, "budget.threshold").len(), 1);
    // A third life re-evaluates the same crossing: nothing new.
    drop(daemon);
    let again = s.daemon(&emu).await;
    again.collect_usage().await.unwrap();
    assert!(topic.drain().await.is_empty(), "no duplicate after a restart");
}

#[tokio::test]
async fn an_sns_outage_delays_the_alert_to_a_later_cycle_and_never_duplicates() {
    let emu = emulator::exclusive().await;
    let topic = Topic::create(&emu, "budget-alerts", false).await;
    let s = setup(&emu, &topic).await;
    let daemon = s.daemon(&emu).await;
    // SNS answers 500 to everything: each publish is one attempt (no SDK retry), and fails.
    emu.inject_fault(&Fault::new("sns", FaultKind::ServerError { status: 500 }).operation("Publish"))
        .await
        .unwrap();
    let failed = daemon.collect_usage().await;
    assert!(failed.is_ok(), "collection succeeded; alerts wait in the outbox: {failed:?}");
    assert_eq!(publishes(&emu).await, 2, "one attempt per alert, none hidden inside the SDK");
    daemon.alerts_job().await.unwrap();
    assert_eq!(publishes(&emu).await, 2, "backing off: not attempted again at once");
    s.clock.advance(Duration::seconds(31));
    assert!(daemon.alerts_job().await.is_err(), "the alerts job reports what it could not publish");
    assert!(topic.drain().await.is_empty());
    let pending = daemon.parts().store.recent_alerts(10).await.unwrap();
    assert_eq!(pending.len(), 2, "both alerts still pending");
    assert!(
        pending.iter().all(|e| e.is_pending()
            && e.attempts == 2
            && e.retry_at == Some(s.clock.now() + Duration::seconds(60))
            && e.last_error.as_deref().unwrap_or("").contains("SNS")),
        "the second failure backs off twice as long: {pending:#?}"
    );

    emu.clear_faults().await.unwrap();
    s.clock.advance(Duration::minutes(1));
    daemon.alerts_job().await.unwrap();
    daemon.collect_usage().await.unwrap();
    daemon.alerts_job().await.unwrap();
    let delivered = topic.drain().await;
    assert_eq!(of_kind(&delivered, "budget.threshold").len(), 1, "{delivered:#?}");
    assert_eq!(delivered.len(), 2, "each alert delivered exactly once after the outage");
}

#[tokio::test]
async fn a_fifo_topic_gets_the_budget_as_group_and_the_dedupe_key_as_deduplication_id() {
    let emu = emulator::exclusive().await;
    let topic = Topic::create(&emu, "budget-alerts", true).await;
    let s = setup(&emu, &topic).await;
    let daemon = s.daemon(&emu).await;
    daemon.collect_usage().await.unwrap();
    let delivered = topic.drain().await;
    let crossing = of_kind(&delivered, "budget.threshold");
    assert_eq!(crossing.len(), 1, "{delivered:#?}");
    assert_eq!(crossing[0].group_id.as_deref(), Some("team-daily"));
    assert_eq!(crossing[0].dedupe_id.as_deref(), Some("budget.threshold:team-daily:2026-11-24T00:00:00Z:50"));
}

#[tokio::test]
async fn the_daily_digest_reports_yesterday_once() {
    let emu = emulator::exclusive().await;
    let topic = Topic::create(&emu, "finance-digest", false).await;
    let s = setup_with_digest(&emu, &topic, true).await;
    let daemon = s.daemon(&emu).await;
    daemon.collect_usage().await.unwrap();
    topic.drain().await;
    // The next morning at 08:00 (UTC here): the digest covers 2026-11-24.
    s.clock.set(Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap());
    daemon.digest().await.unwrap();
    daemon.digest().await.unwrap();
    let delivered = topic.drain().await;
    let digests = of_kind(&delivered, "report.daily");
    assert_eq!(digests.len(), 1, "once per day: {delivered:#?}");
    let d = &digests[0].body;
    assert_eq!(d["day"], json!("2026-11-24"));
    assert_eq!(d["yesterday_usd"], json!(s.spend.to_string()), "exact spend of the day");
    assert_eq!(d["month_to_date_usd"], json!(s.spend.to_string()));
    assert_eq!(d["budgets"][0]["budget"], json!("team-daily"));
    assert!(d["top_models"][0]["model"].is_string() && d["unpriced_tokens_yesterday"].as_u64().unwrap() > 0);
    assert!(digests[0].subject.as_deref().unwrap().starts_with("Bedrock spend 2026-11-24: "));
}

#[tokio::test]
async fn a_stalled_collector_alerts_once_per_stall() {
    let emu = emulator::exclusive().await;
    let topic = Topic::create(&emu, "ops-alerts", false).await;
    let s = setup(&emu, &topic).await;
    let daemon = s.daemon(&emu).await;
    daemon.collect_usage().await.unwrap();
    topic.drain().await;
    let stalled = || async { of_kind(&topic.drain().await, "collector.stalled").len() };
    // Fresh data: nothing. Without collections the data falls behind its
    // 15-minute schedule; 76 minutes on, the run due 75 minutes in has not
    // landed: more than the 60 minutes allowed. One alert per region, once.
    daemon.alerts_job().await.unwrap();
    assert_eq!(stalled().await, 0);
    s.clock.advance(Duration::minutes(75));
    daemon.alerts_job().await.unwrap();
    assert_eq!(stalled().await, 0, "the run due 75 minutes in may still be running");
    s.clock.advance(Duration::minutes(2));
    daemon.alerts_job().await.unwrap();
    daemon.alerts_job().await.unwrap();
    assert_eq!(stalled().await, 2, "us-east-1 and us-west-2, each once");
    // Collecting again ends the episode; a later stall is a new one.
    daemon.collect_usage().await.unwrap();
    daemon.alerts_job().await.unwrap();
    assert_eq!(stalled().await, 0);
    s.clock.advance(Duration::minutes(77));
    daemon.alerts_job().await.unwrap();
    assert_eq!(stalled().await, 2, "a new stall alerts again");
}

/// The tightest bound (1 minute) on a 5-second schedule: the alerts job runs
/// at every minute's start, before that instant's collection has landed
/// (the order a scheduler may well pick), and a healthy collector is never
/// stalled; one that stops is, once its data is a minute behind its schedule.
#[tokio::test]
async fn a_healthy_fast_collector_is_never_stalled_and_a_stopped_one_is() {
    let emu = emulator::exclusive().await;
    let topic = Topic::create(&emu, "ops-alerts", false).await;
    let dir = TempDir::new().unwrap();
    let config = TestConfig::driven(dir.path(), emu.endpoint_url())
        .topic(&topic.arn)
        .cloudwatch("schedule = \"*/5 * * * * *\"\nrestatement_minutes = 10\nbackfill_hours = 3\n")
        .alerts("stalled_after_minutes = 1");
    // Half a minute past the minute: at each check the minute the watermark
    // rounds down to is 92 s behind `now`, more than the whole bound.
    let clock = Arc::new(ManualClock::new(now() + Duration::seconds(2)));
    let daemon = TestDaemon::spawn(&emu, DaemonOptions::new(config.load(), clock.clone())).await;
    let stalled = || async { of_kind(&topic.drain().await, "collector.stalled").len() };
    // Three minutes of 5-second ticks; at each minute the alerts job goes first.
    for tick in 0..36 {
        if tick % 12 == 0 {
            daemon.alerts_job().await.unwrap();
        }
        daemon.collect_usage().await.unwrap();
        clock.advance(Duration::seconds(5));
    }
    daemon.alerts_job().await.unwrap();
    assert_eq!(stalled().await, 0, "healthy: the watermark is where the schedule says");
    // The collector stops. Its last run, 5 s ago, collected up to this minute's start.
    clock.advance(Duration::seconds(115));
    daemon.alerts_job().await.unwrap();
    assert_eq!(stalled().await, 0, "a minute behind its schedule is not more than a minute");
    clock.advance(Duration::seconds(60));
    daemon.alerts_job().await.unwrap();
    assert_eq!(stalled().await, 2, "both regions, once the data is over a minute behind");
}
