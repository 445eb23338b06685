//! The AWS side of wake-ups: the daemon's CloudWatch alarms (`client.rs`:
//! list, put, delete, in the monitored account where the metrics are) and
//! the SQS queue their notifications reach (`queue.rs`: receive, delete, in
//! the daemon's own account). Each file is the only one that names its SDK's
//! types; the traits below are the seams the jobs and tests use.

pub mod client;
pub mod queue;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::SourceError;
use crate::wakeups::{AlarmSpec, AlarmState};

pub use client::CloudWatchAlarms;
pub use queue::SqsQueue;

/// One of the daemon's alarms as CloudWatch describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExistingAlarm {
    pub name: String,
    pub description: String,
    pub state: Option<AlarmState>,
}

/// The alarm calls; one request each, counted by the caller.
#[async_trait]
pub trait AlarmApi: Send + Sync {
    /// Every alarm of `region` whose name starts with `prefix`, and the
    /// number of DescribeAlarms requests it took.
    async fn list(&self, region: &str, prefix: &str) -> Result<(Vec<ExistingAlarm>, u64), SourceError>;
    /// Creates or overwrites `spec` (its state is kept on update), notifying
    /// `topic_arn` on ALARM and on OK.
    async fn put(&self, spec: &AlarmSpec, topic_arn: &str) -> Result<(), SourceError>;
    /// Deletes these alarms of `region` (at most 100 names).
    async fn delete(&self, region: &str, names: &[String]) -> Result<(), SourceError>;
}

/// One message of the wake-up queue.
#[derive(Clone, Debug)]
pub struct QueueMessage {
    pub body: String,
    pub receipt: String,
    /// When SQS accepted it (`SentTimestamp`).
    pub sent_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait WakeQueue: Send + Sync {
    /// Up to ten messages, waiting up to `wait` for the first (long polling).
    async fn receive(&self, wait: Duration) -> Result<Vec<QueueMessage>, SourceError>;
    async fn delete(&self, receipt: &str) -> Result<(), SourceError>;
    /// The queue's region, for labels.
    fn region(&self) -> &str;
}
