//! The demo's simulated traffic: history at start, then each minute as it
//! ends; from the second live minute one caller runs away (a loop calling
//! Sonnet many times a second), which the budget alerts catch live.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::alarms::AlarmJudge;
use super::inbox::Inbox;
use super::{logs, print, trail, DemoError};
use crate::alerts::AlertKind;
use crate::clock::{floor_minute, Clock};
use crate::config::CronSchedule;
use crate::emulator::Emulator;
use crate::sim::mantle::{self, demo_mantle, mantle_datums};
use crate::sim::publish::{publish, put};
use crate::sim::{datums, demo_series, scaled, SimDatum, SimSeries};

pub const HISTORY_HOURS: i64 = 6;
/// Live minutes before the runaway starts.
const SPIKE_AFTER_MINUTES: i64 = 1;

pub struct Publisher {
    clients: BTreeMap<String, aws_sdk_cloudwatch::Client>,
    series: Vec<SimSeries>,
    /// (index of the runaway series, its factor, from which minute).
    spike: Option<(usize, u64, DateTime<Utc>)>,
}

/// The series that runs away: the `us.` Sonnet profile.
pub fn runaway() -> SimSeries {
    demo_series().remove(0)
}

impl Publisher {
    pub async fn new(emulator: &Emulator, loaded: &crate::config::Loaded) -> Self {
        let mut clients = BTreeMap::new();
        for region in &loaded.config.monitor.regions {
            #[expect(
                clippy::disallowed_methods,
                reason = "the demo publishes its simulated traffic to the emulator"
            )]
            clients
                .insert(region.clone(), aws_sdk_cloudwatch::Client::new(&emulator.sdk_config(region).await));
        }
        Publisher { clients, series: demo_series(), spike: None }
    }

    /// The history the demo starts with: the complete minutes of the last hours.
    pub fn history(&self, now: DateTime<Utc>) -> Vec<SimDatum> {
        let end = floor_minute(now);
        self.data(end - chrono::Duration::hours(HISTORY_HOURS), end)
    }

    /// From `SPIKE_AFTER_MINUTES` after `now`, series 0 runs at `factor` times its traffic.
    pub fn set_spike(&mut self, factor: u64, now: DateTime<Utc>) {
        let from = floor_minute(now) + chrono::Duration::minutes(SPIKE_AFTER_MINUTES + 1);
        self.spike = Some((0, factor, from));
    }

    pub(super) fn data(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<SimDatum> {
        let mut out = Vec::new();
        for (i, s) in self.series.iter().enumerate() {
            match self.spike {
                Some((j, factor, from)) if i == j && end > from => {
                    out.extend(datums(s, start, from.max(start)));
                    out.extend(datums(&scaled(s, factor), from.max(start), end));
                }
                _ => out.extend(datums(s, start, end)),
            }
        }
        out
    }

    pub async fn publish(&self, data: &[SimDatum]) -> Result<usize, DemoError> {
        for (region, client) in &self.clients {
            let mine: Vec<SimDatum> = data.iter().filter(|d| &d.region == region).cloned().collect();
            publish(client, &mine).await.map_err(Box::new)?;
        }
        Ok(data.len())
    }

    /// Publishes `[start, end)` of every series, the mantle projects' included.
    pub async fn publish_range(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<usize, DemoError> {
        Ok(self.publish(&self.data(start, end)).await? + self.publish_mantle(start, end).await?)
    }

    /// The bedrock-mantle projects' `[start, end)`, every level, into AWS/BedrockMantle.
    pub async fn publish_mantle(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<usize, DemoError> {
        let mut n = 0;
        for (region, client) in &self.clients {
            let data = mantle_datums(&demo_mantle(), region, start, end);
            if !data.is_empty() {
                put(client, mantle::NAMESPACE, &data).await.map_err(Box::new)?;
                n += data.len();
            }
        }
        Ok(n)
    }

    pub fn spike_starts(&self) -> Option<DateTime<Utc>> {
        self.spike.map(|(_, _, from)| from)
    }

    /// Invocation log records of `[start, end)` (the logged region only).
    pub fn logs(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<crate::sim::logs::SimLogRecord> {
        logs::records(&self.series, self.spike, start, end)
    }

    /// CloudTrail records of `[start, end)`, with the AccessDenied burst in
    /// the minute after the runaway begins.
    pub fn trail(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<serde_json::Value> {
        let mut out = trail::records(&self.series, self.spike, start, end);
        if let Some(burst) = self.spike_starts().map(|s| s + chrono::Duration::minutes(1)) {
            if (start..end).contains(&burst) {
                out.extend(trail::denied(&self.series[0], burst));
            }
        }
        out
    }
}

/// What the live loop publishes to (the emulator), judges (the wake-up
/// alarms, as CloudWatch), reads back (the ledger in `data_dir`, the daemon
/// at `url` and `api_url`) and prints from (the inbox).
pub struct Live<'a> {
    pub emulator: &'a Emulator,
    pub logs: &'a logs::LogGroup,
    pub inbox: &'a Inbox,
    pub judge: &'a AlarmJudge,
    /// The usage collection's polling schedule (`sources.cloudwatch.schedule`).
    pub polling: &'a CronSchedule,
    pub data_dir: &'a Path,
    pub url: &'a str,
    /// The enforcement API's own listener.
    pub api_url: &'a str,
}

/// Publishes each minute when it ends, judges the alarms over it as
/// CloudWatch would, and prints the spend and new alerts, until Ctrl-C, the
/// duration, or an error. While the runaway's burn-rate alert is awaited
/// the inbox is read every second, to time it.
pub async fn live(
    publisher: &Publisher,
    ctx: &Live<'_>,
    clock: &dyn Clock,
    duration: Option<Duration>,
    stop: &watch::Sender<bool>,
) -> Result<(), DemoError> {
    print::wait_ready(ctx.url).await;
    let urls = print::Urls { metrics: ctx.url, api: ctx.api_url };
    print::summary(ctx.data_dir, &urls, ctx.inbox, publisher.spike_starts(), clock).await?;
    let deadline = duration.map(|d| tokio::time::Instant::now() + d);
    let mut published_through = floor_minute(clock.now());
    let mut timer = TimeToAlert::default();
    let mut spend_printed = tokio::time::Instant::now();
    loop {
        let pause = Duration::from_secs(if timer.waiting() { 1 } else { 20 });
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = tokio::signal::ctrl_c() => { let _ = stop.send(true); return Ok(()); }
            _ = until(deadline) => return Ok(()),
        }
        let now_minute = floor_minute(clock.now());
        if now_minute > published_through {
            publish_minutes(publisher, ctx, published_through, now_minute).await?;
            if publisher.spike_starts().is_some_and(|s| (published_through..now_minute).contains(&s)) {
                timer.start(clock.now());
            }
            judge_minutes(ctx.judge, published_through, now_minute).await?;
            published_through = now_minute;
        }
        if spend_printed.elapsed() >= Duration::from_secs(20) {
            print::spend_line(ctx.data_dir, clock).await?;
            spend_printed = tokio::time::Instant::now();
        }
        let kinds = print::alerts(ctx.inbox).await?;
        if kinds.iter().any(|k| k == AlertKind::BUDGET_BURN_RATE.as_str()) {
            timer.alerted(ctx, clock).await;
        }
    }
}

async fn publish_minutes(
    publisher: &Publisher,
    ctx: &Live<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(), DemoError> {
    let n = publisher.publish_range(from, to).await?;
    trail::seed(ctx.emulator, &publisher.trail(from, to)).await?;
    ctx.logs.deliver(publisher.logs(from, to)).await?;
    let runaway = publisher.spike_starts().is_some_and(|s| from >= s);
    let note = if runaway { " (a runaway loop is calling Sonnet)" } else { "" };
    print::detail(&format!("live: {n} datapoints for {}{note}", from.format("%H:%M UTC")));
    Ok(())
}

/// CloudWatch's evaluation of each published minute; a move to ALARM is printed.
async fn judge_minutes(judge: &AlarmJudge, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(), DemoError> {
    let mut minute = from;
    while minute < to {
        for j in judge.judge(minute).await?.iter().filter(|j| j.changed && j.state == "ALARM") {
            print::detail(&format!(
                "CloudWatch (played by the demo): {} in {} -> ALARM, {} USD/hour >= {} over {}",
                j.alarm,
                j.region,
                j.value.round_dp(2),
                j.threshold.normalize(),
                minute.format("%H:%M UTC")
            ));
        }
        minute += chrono::Duration::minutes(1);
    }
    Ok(())
}

/// From the runaway's first minute published to its burn-rate alert in the inbox.
#[derive(Default)]
struct TimeToAlert {
    started: Option<(tokio::time::Instant, DateTime<Utc>)>,
    done: bool,
}

impl TimeToAlert {
    fn start(&mut self, now: DateTime<Utc>) {
        if self.started.is_none() {
            self.started = Some((tokio::time::Instant::now(), now));
        }
    }

    fn waiting(&self) -> bool {
        self.started.is_some() && !self.done
    }

    /// Prints how long the alert took and what brought it: a wake-up when
    /// the daemon counted an alarm message and no polling tick fell in between.
    async fn alerted(&mut self, ctx: &Live<'_>, clock: &dyn Clock) {
        let Some((at, since)) = self.started.filter(|_| !self.done) else { return };
        self.done = true;
        let took = at.elapsed().as_secs_f64();
        let ticked = ctx.polling.next_after(since, &Utc).is_some_and(|t| t <= clock.now());
        let woke = print::wakeups_counted(ctx.url).await > 0.0;
        let path = match (woke, ticked) {
            (true, false) => "wake-up",
            (true, true) => "wake-up; a polling tick fell in that time too",
            (false, _) => "polling; no wake-up was counted",
        };
        print::detail(&format!(
            "burn-rate alert received {took:.1} s after the runaway's first minute was published ({path})"
        ));
    }
}
async fn until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
