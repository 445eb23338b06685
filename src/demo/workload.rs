//! The demo's simulated traffic: history at start, then each minute as it ends.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::{print, DemoError};
use crate::emulator::Emulator;
use crate::sim::{datums, demo_series, SimSeries};
use crate::sources::cloudwatch::publish;
use crate::sources::plan::floor_minute;
use crate::sources::MetricNames;

const HISTORY_HOURS: i64 = 6;

pub struct Publisher {
    clients: BTreeMap<String, aws_sdk_cloudwatch::Client>,
    names: MetricNames,
    series: Vec<SimSeries>,
}

impl Publisher {
    pub async fn new(emulator: &Emulator, loaded: &crate::config::Loaded) -> Self {
        let mut clients = BTreeMap::new();
        for region in &loaded.config.monitor.regions {
            clients
                .insert(region.clone(), aws_sdk_cloudwatch::Client::new(&emulator.sdk_config(region).await));
        }
        Publisher {
            clients,
            names: MetricNames::from_config(&loaded.config.sources.cloudwatch),
            series: demo_series(),
        }
    }

    /// Publishes the complete minutes of the last hours; returns the datapoint count.
    pub async fn backfill(&self, now: DateTime<Utc>) -> Result<usize, DemoError> {
        let end = floor_minute(now);
        self.publish_range(end - chrono::Duration::hours(HISTORY_HOURS), end).await
    }

    /// Publishes `[start, end)` of every series.
    pub async fn publish_range(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<usize, DemoError> {
        let mut total = 0;
        for s in &self.series {
            let Some(client) = self.clients.get(&s.region) else { continue };
            let d = datums(s, start, end);
            publish(client, &s.region, &d, &self.names).await?;
            total += d.len();
        }
        Ok(total)
    }
}

/// Publishes each minute when it ends and prints the spend after every
/// collection, until Ctrl-C, the duration, or an error.
pub async fn live(
    publisher: &Publisher,
    data_dir: &Path,
    url: &str,
    duration: Option<Duration>,
    stop: &watch::Sender<bool>,
) -> Result<(), DemoError> {
    print::wait_ready(url).await;
    print::summary(data_dir, url).await?;
    let deadline = duration.map(|d| tokio::time::Instant::now() + d);
    let mut published_through = floor_minute(Utc::now());
    loop {
        let sleep = tokio::time::sleep(Duration::from_secs(20));
        tokio::select! {
            _ = sleep => {}
            _ = tokio::signal::ctrl_c() => { let _ = stop.send(true); return Ok(()); }
            _ = until(deadline) => return Ok(()),
        }
        let now_minute = floor_minute(Utc::now());
        if now_minute > published_through {
            let n = publisher.publish_range(published_through, now_minute).await?;
            print::detail(&format!("live: {n} datapoints for {}", published_through.format("%H:%M UTC")));
            published_through = now_minute;
        }
        print::spend_line(data_dir).await?;
    }
}

async fn until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
