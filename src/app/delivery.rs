//! Wiring of alert delivery: the sink (SNS in the topic's region, with the
//! daemon's own credentials, else the log) and the dispatcher with the configured retry rule. Must not decide
//! when to retry (that is `alerts::retry`).

use std::sync::Arc;

use crate::alerts::{AlertSink, Dispatcher, LogSink, RetryPolicy, SnsSink};
use crate::aws::AwsConfig;
use crate::config::Loaded;
use crate::ledger::Backend;
use crate::telemetry::self_metrics::SelfMetrics;

/// Longer than the store write that records an attempt can take.
const LOCK_MARGIN_SECS: i64 = 30;

/// The dispatcher with the configured retry rule. Its publish lock outlasts
/// one attempt (at most the attempt timeout: the SNS client never retries)
/// by a margin, so a live publisher never loses it and a crashed one holds
/// its alert back only that long.
pub(super) fn dispatcher(
    loaded: &Loaded,
    aws: &AwsConfig,
    store: &Arc<dyn Backend>,
    metrics: &Arc<SelfMetrics>,
    holder: &str,
) -> Arc<Dispatcher> {
    let config = &loaded.config;
    let policy = RetryPolicy { max_attempts: config.alerts.max_publish_attempts, ..RetryPolicy::default() };
    let attempt = i64::try_from(config.aws.attempt_timeout_secs).unwrap_or(i64::MAX / 2);
    let lock = chrono::Duration::seconds(attempt.saturating_add(LOCK_MARGIN_SECS));
    let dispatcher = Dispatcher::new(store.clone(), sink(loaded, aws), Some(metrics.clone()), holder);
    Arc::new(dispatcher.with_policy(policy, lock))
}

/// SNS when a topic is configured (in the topic's region), else the log.
fn sink(loaded: &Loaded, aws: &AwsConfig) -> Arc<dyn AlertSink> {
    let Some(arn) = loaded.config.alerts.sns_topic_arn.clone() else {
        return Arc::new(LogSink);
    };
    let region = arn.split(':').nth(3).filter(|r| !r.is_empty()).map(str::to_string);
    let region = region.unwrap_or_else(|| loaded.config.monitor.regions[0].clone());
    Arc::new(SnsSink::connect(aws.own(), &region, arn))
}
