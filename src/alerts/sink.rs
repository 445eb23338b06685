//! Where published alerts go: SNS (`sns.rs`) or, without a topic, the log,
//! as the same JSON body. A sink only delivers; claiming and retrying is the
//! dispatcher's job.

use async_trait::async_trait;

use crate::ledger::OutboxEntry;

/// A delivery that did not happen; the entry stays pending and is retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PublishError(pub String);

#[async_trait]
pub trait AlertSink: Send + Sync {
    /// `"sns"` or `"log"`, for logs.
    fn name(&self) -> &'static str;

    async fn publish(&self, entry: &OutboxEntry) -> Result<(), PublishError>;
}

/// Writes each alert to the log: one line with the subject and the JSON
/// body, at warn level so it stands out among collection lines.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogSink;

#[async_trait]
impl AlertSink for LogSink {
    fn name(&self) -> &'static str {
        "log"
    }

    async fn publish(&self, entry: &OutboxEntry) -> Result<(), PublishError> {
        tracing::warn!(
            target: "bedrock_cost_monitor::alert",
            kind = %entry.kind,
            dedupe_key = %entry.dedupe_key,
            subject = %entry.subject,
            body = %entry.body,
            "alert"
        );
        Ok(())
    }
}
