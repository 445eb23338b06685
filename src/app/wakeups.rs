//! The wake-up listener (leader only): long-polls the queue the alarm
//! topics deliver to, and for each ALARM of a monitored region asks the
//! usage collection to run now (`scheduler::Wake`: coalesced, at most one
//! early run per gap). After an ALARM the region stays "hot" for
//! `hot_minutes` or until its OK message: the wake is asked again every
//! pass, so a burn-rate window that fills up over several minutes is
//! judged every gap, not only once.
//!
//! A message is deleted once acted on. One lost (never delivered, or read
//! by a replica that died before its run) costs only time: the scheduled
//! polling collects the same minutes. A queue that cannot be read (missing,
//! denied) is logged with what to do and retried; polling goes on.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::TimeDelta;
use rust_decimal::Decimal;
use tokio::sync::watch;
use tokio::time::Instant;

use super::leader::Leadership;
use crate::clock::Clock;
use crate::scheduler::Wake;
use crate::sources::wakeups::{QueueMessage, WakeQueue};
use crate::sources::{AwsOutcome, SourceError};
use crate::telemetry::self_metrics::{AwsApi, SelfMetrics};
use crate::telemetry::wakeup_metrics::WakeupOutcome;
use crate::wakeups::{parse, AlarmState};

/// SQS: $0.40 per million requests (standard queue, beyond the free tier).
const USD_PER_SQS_REQUEST: Decimal = Decimal::from_parts(4, 0, 0, false, 7);
/// After a failed receive, the next try waits this long.
const RETRY_AFTER: Duration = Duration::from_secs(30);

pub struct WakeListener {
    pub queue: Arc<dyn WakeQueue>,
    /// The usage collection's wake-up.
    pub wake: Arc<Wake>,
    /// The bedrock-mantle usage job's (its alarms' series are billed too).
    pub wake_mantle: Option<Arc<Wake>>,
    pub leadership: Arc<Leadership>,
    pub prefix: String,
    pub regions: Vec<String>,
    pub max_age: TimeDelta,
    pub hot_for: Duration,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<SelfMetrics>,
    /// Regions whose alarm is in ALARM, until when they stay hot.
    pub hot: Mutex<BTreeMap<String, Instant>>,
}

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pass {
    /// Another replica leads: nothing was received.
    pub standby: bool,
    pub messages: usize,
    /// Regions an ALARM (or a hot region) asked to collect.
    pub woke: Vec<String>,
}

impl WakeListener {
    /// One receive (waiting up to `wait`), acting on each message.
    pub async fn run_once(&self, wait: Duration) -> Result<Pass, SourceError> {
        if !self.leadership.is_leader() {
            self.hot.lock().unwrap_or_else(PoisonError::into_inner).clear();
            return Ok(Pass { standby: true, ..Pass::default() });
        }
        let mut pass = Pass::default();
        self.rewake_hot(&mut pass);
        let received = self.queue.receive(wait).await;
        self.count(
            "ReceiveMessage",
            received.as_ref().map(|_| AwsOutcome::Success).map_err(|e| e.kind.outcome()),
        );
        let messages = received?;
        pass.messages = messages.len();
        for m in &messages {
            self.act(m, &mut pass);
            let deleted = self.queue.delete(&m.receipt).await;
            self.count(
                "DeleteMessage",
                deleted.as_ref().map(|_| AwsOutcome::Success).map_err(|e| e.kind.outcome()),
            );
            if let Err(e) = deleted {
                // Acted on already; it comes back after its visibility timeout and coalesces.
                tracing::warn!(error = %e, "cannot delete a wake-up message");
            }
        }
        self.rewake_hot(&mut pass);
        Ok(pass)
    }

    fn act(&self, m: &QueueMessage, pass: &mut Pass) {
        let n = match parse(&m.body, &self.prefix) {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "wake-up queue: message ignored");
                self.metrics.wakeups.message("", WakeupOutcome::Ignored);
                return;
            }
        };
        if !self.regions.contains(&n.region) {
            tracing::warn!(alarm = %n.alarm_name, region = %n.region, "wake-up for a region not monitored; ignored");
            self.metrics.wakeups.message(&n.region, WakeupOutcome::Ignored);
            return;
        }
        let now = self.clock.now();
        let at = n.changed_at.or(m.sent_at);
        if at.is_some_and(|t| now - t > self.max_age) {
            tracing::info!(alarm = %n.alarm_name, at = ?at, "wake-up older than max_message_age_minutes; polling covered it");
            self.metrics.wakeups.message(&n.region, WakeupOutcome::Stale);
            return;
        }
        self.metrics.wakeups.message(&n.region, WakeupOutcome::State(n.state));
        let mut hot = self.hot.lock().unwrap_or_else(PoisonError::into_inner);
        match n.state {
            AlarmState::Alarm => {
                tracing::info!(alarm = %n.alarm_name, region = %n.region, changed_at = ?n.changed_at,
                    "wake-up: alarm in ALARM; collecting now");
                hot.insert(n.region.clone(), Instant::now() + self.hot_for);
                self.request(&n.region);
                pass.woke.push(n.region);
            }
            AlarmState::Ok => {
                hot.remove(&n.region);
            }
            AlarmState::InsufficientData => {}
        }
    }

    /// Both usage jobs: an alarm watches either endpoint's tokens.
    fn request(&self, region: &str) {
        self.wake.request(region);
        if let Some(mantle) = &self.wake_mantle {
            mantle.request(region);
        }
    }

    /// Hot regions ask again; the wake's gap keeps it to one run per minute.
    fn rewake_hot(&self, pass: &mut Pass) {
        let mut hot = self.hot.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        hot.retain(|_, until| *until > now);
        for region in hot.keys() {
            self.request(region);
            pass.woke.push(region.clone());
        }
        pass.woke.sort();
        pass.woke.dedup();
    }

    fn count(&self, api: &'static str, outcome: Result<AwsOutcome, AwsOutcome>) {
        let outcome = outcome.unwrap_or_else(|o| o);
        self.metrics.record_aws_request(AwsApi::named(api), self.queue.region(), outcome);
        self.metrics.add_api_cost(USD_PER_SQS_REQUEST);
    }

    /// Passes until `stop` turns true. A follower looks again every few
    /// seconds; a failed receive waits before the next.
    pub async fn listen(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let mut failing = false;
        loop {
            if *stop.borrow() {
                return;
            }
            let pass = tokio::select! {
                // Cut short at shutdown: an unread message stays queued, one
                // read and not yet deleted comes back and coalesces.
                p = self.run_once(crate::sources::wakeups::queue::MAX_WAIT) => p,
                _ = stop.wait_for(|s| *s) => return,
            };
            let pause = match pass {
                Ok(p) if p.standby => Some(Duration::from_secs(5)),
                Ok(_) => {
                    if std::mem::take(&mut failing) {
                        tracing::info!("wake-up queue readable again");
                    }
                    None
                }
                Err(e) => {
                    if !std::mem::replace(&mut failing, true) {
                        tracing::error!(error = %e, "cannot read the wake-up queue (does wakeups.queue_url exist, and may \
                            the task role sqs:ReceiveMessage it?); usage is still collected on schedule");
                    }
                    Some(RETRY_AFTER)
                }
            };
            if let Some(pause) = pause {
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
            }
        }
    }
}

/// The listener a configuration asks for (wake-ups on), sharing the usage
/// jobs' wakes; `run` spawns it, tests drive its `run_once`.
pub fn listener(parts: &super::Components, loaded: &crate::config::Loaded) -> Option<Arc<WakeListener>> {
    let config = &loaded.config;
    let w = &config.wakeups;
    let (wake, url) = (parts.wake.clone()?, w.queue_url.as_deref()?);
    let region = crate::sources::wakeups::SqsQueue::region_of(url)
        .unwrap_or_else(|| config.monitor.regions[0].clone());
    let attempt = Duration::from_secs(config.aws.attempt_timeout_secs);
    let queue = crate::sources::wakeups::SqsQueue::connect(parts.aws.own(), &region, url, attempt);
    Some(Arc::new(WakeListener {
        queue: Arc::new(queue),
        wake,
        wake_mantle: parts.wake_mantle.clone(),
        leadership: parts.leadership.clone(),
        prefix: w.alarm_prefix.clone(),
        regions: config.monitor.regions.clone(),
        max_age: TimeDelta::minutes(i64::from(w.max_message_age_minutes)),
        hot_for: Duration::from_secs(u64::from(w.hot_minutes) * 60),
        clock: parts.clock.clone(),
        metrics: parts.metrics.clone(),
        hot: Mutex::new(BTreeMap::new()),
    }))
}
