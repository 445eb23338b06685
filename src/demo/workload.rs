//! The demo's simulated traffic: history at start, then each minute as it
//! ends; from the second live minute one caller runs away (a loop calling
//! Sonnet many times a second), which the budget alerts catch live.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::inbox::Inbox;
use super::{logs, print, trail, DemoError};
use crate::clock::{floor_minute, Clock};
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

/// What the live loop publishes to (the emulator), reads back (the ledger in
/// `data_dir`, the daemon at `url` and `api_url`) and prints from (the inbox).
pub struct Live<'a> {
    pub emulator: &'a Emulator,
    pub logs: &'a logs::LogGroup,
    pub inbox: &'a Inbox,
    pub data_dir: &'a Path,
    pub url: &'a str,
    /// The enforcement API's own listener.
    pub api_url: &'a str,
}

/// Publishes each minute when it ends and prints the spend and new alerts
/// after every collection, until Ctrl-C, the duration, or an error.
pub async fn live(
    publisher: &Publisher,
    ctx: &Live<'_>,
    clock: &dyn Clock,
    duration: Option<Duration>,
    stop: &watch::Sender<bool>,
) -> Result<(), DemoError> {
    let Live { emulator, logs, inbox, data_dir, url, api_url } = *ctx;
    print::wait_ready(url).await;
    let urls = print::Urls { metrics: url, api: api_url };
    print::summary(data_dir, &urls, inbox, publisher.spike_starts(), clock).await?;
    let deadline = duration.map(|d| tokio::time::Instant::now() + d);
    let mut published_through = floor_minute(clock.now());
    loop {
        let sleep = tokio::time::sleep(Duration::from_secs(20));
        tokio::select! {
            _ = sleep => {}
            _ = tokio::signal::ctrl_c() => { let _ = stop.send(true); return Ok(()); }
            _ = until(deadline) => return Ok(()),
        }
        let now_minute = floor_minute(clock.now());
        if now_minute > published_through {
            let n = publisher.publish_range(published_through, now_minute).await?;
            trail::seed(emulator, &publisher.trail(published_through, now_minute)).await?;
            logs.deliver(publisher.logs(published_through, now_minute)).await?;
            let runaway = publisher.spike_starts().is_some_and(|s| published_through >= s);
            let note = if runaway { " (a runaway loop is calling Sonnet)" } else { "" };
            print::detail(&format!(
                "live: {n} datapoints for {}{note}",
                published_through.format("%H:%M UTC")
            ));
            published_through = now_minute;
        }
        print::spend_line(data_dir, clock).await?;
        print::alerts(inbox).await?;
    }
}

async fn until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
